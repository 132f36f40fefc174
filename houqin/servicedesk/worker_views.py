"""The worker's phone pages under /servicedesk/m/: my jobs by deadline, one job with one big
button for the next step, a label scan that proves arrival, and "me" (on duty, this month).

Small server-rendered pages that work without JavaScript on a weak network: every action is an
ordinary form post answered by a redirect; htmx only refreshes the job list and the duty switch."""

import datetime
import decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Avg, Count, F, Q, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from houqin.core.exceptions import ConflictError
from houqin.servicedesk import services, sla
from houqin.servicedesk.models import OPEN_STATUSES, HoldReason, PhotoStage, Status, WorkOrder
from houqin.servicedesk.photos import PhotosField, with_photos
from houqin.servicedesk.portal_forms import VersionForm, label_code_of, location_of_label
from houqin.servicedesk.workflow import can_start

WORK_PERMISSION = "servicedesk.work_workorder"
# A worker has a handful of open jobs; this only bounds a page gone wrong.
MAX_JOBS = 100
TIMELINE_EXCERPT = 8
DIFFICULTY_CHOICES = [
    (decimal.Decimal(value), label)
    for value, label in (
        ("0.5", gettext_lazy("0.5 — very easy")),
        ("0.8", gettext_lazy("0.8 — easy")),
        ("1", gettext_lazy("1 — normal")),
        ("1.2", "1.2"),
        ("1.5", gettext_lazy("1.5 — hard")),
        ("2", "2"),
        ("2.5", "2.5"),
        ("3", gettext_lazy("3 — very hard")),
    )
]


# ---------------------------------------------------------------------------------------------
# Forms: one per step, each with the version of the order the worker saw
# ---------------------------------------------------------------------------------------------


class StartForm(VersionForm):
    scanned = forms.CharField(
        label=gettext_lazy("Location QR code"),
        required=False,
        max_length=300,
        help_text=gettext_lazy("Paste the address your scanner app read from the label, or type the label code."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )

    def clean_scanned(self):
        text = self.cleaned_data.get("scanned", "").strip()
        if not text:
            return None
        location = location_of_label(text)
        if location is None:
            raise ValidationError(
                _("No place has the label “%(code)s”.") % {"code": (label_code_of(text) or text)[:40]}, code="unknown"
            )
        return location


class HoldForm(VersionForm):
    # No reason chosen in advance: a wrong one would count against the team (held for parts…).
    reason = forms.ChoiceField(
        label=gettext_lazy("Waiting for"),
        choices=[("", gettext_lazy("Choose…")), *HoldReason.choices],
        error_messages={"required": gettext_lazy("Choose why the job waits.")},
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)


class ResumeForm(VersionForm):
    pass


class CompleteForm(VersionForm):
    note = forms.CharField(
        label=gettext_lazy("What was done"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": gettext_lazy("Say what was done.")},
    )
    labor_minutes = forms.IntegerField(
        label=gettext_lazy("Labour (minutes)"),
        min_value=0,
        max_value=10000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={"required": gettext_lazy("Enter the labour time in minutes.")},
    )
    difficulty = forms.TypedChoiceField(
        label=gettext_lazy("Difficulty"), choices=DIFFICULTY_CHOICES, coerce=decimal.Decimal, initial=decimal.Decimal(1)
    )
    parts = forms.CharField(
        label=gettext_lazy("Parts used"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": gettext_lazy("e.g. 1 × LED tube 18 W")}),
    )
    photos = PhotosField(label=gettext_lazy("Photos"))


STEP_FORMS = {"start": StartForm, "hold": HoldForm, "resume": ResumeForm, "complete": CompleteForm}


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _require_worker(user) -> None:
    if not user.has_perm(WORK_PERMISSION):
        raise PermissionDenied(_("These pages are for workers."))


def _person_of(user):
    try:
        return user.person
    except Exception:
        return None


def duration_text(minutes: int) -> str:
    if minutes < 60:
        return _("%(m)d min") % {"m": minutes}
    if minutes < 24 * 60:
        return _("%(h)d h %(m)d min") % {"h": minutes // 60, "m": minutes % 60}
    return _("%(d)d d %(h)d h") % {"d": minutes // (24 * 60), "h": minutes % (24 * 60) // 60}


TARGET_LABELS = {
    "response": gettext_lazy("Dispatch due"),
    "arrival": gettext_lazy("Arrival due"),
    "completion": gettext_lazy("Completion due"),
}
LEVEL_CLASSES = {sla.LEVEL_OK: "ok", sla.LEVEL_WARNING: "warning", sla.LEVEL_BREACH: "breach"}


def deadline_of(order: WorkOrder, now: datetime.datetime) -> dict:
    """What the countdown on a job shows: the pending target, its time, what is left, a colour."""
    clock = sla.current_clock(order, now)
    if clock is None:
        paused = order.status == Status.ON_HOLD
        return {"due": None, "level": "paused" if paused else "none", "text": _("Clock paused") if paused else ""}
    seconds = (clock.due - now).total_seconds()
    minutes = int(abs(seconds) // 60)
    if seconds >= 0:
        left = _("%(time)s left") % {"time": duration_text(minutes)}
    else:
        left = _("%(time)s overdue") % {"time": duration_text(minutes)}
    return {
        "due": clock.due,
        "target": TARGET_LABELS[clock.target],
        "level": LEVEL_CLASSES[clock.level],
        "text": left,
    }


def _far_future():
    return datetime.datetime.max.replace(tzinfo=datetime.UTC)


def my_jobs(user, person, now) -> list[dict]:
    """The person's open orders, the most pressing deadline first; paused ones last."""
    orders = (
        WorkOrder.objects.for_user(user)
        .filter(assignee=person, status__in=OPEN_STATUSES)
        .select_related("category", "category__parent", "location")
        .order_by("completion_due", "pk")[:MAX_JOBS]
    )
    jobs = [{"order": order, "deadline": deadline_of(order, now)} for order in orders]
    jobs.sort(key=lambda job: (job["deadline"]["due"] or _far_future(), job["order"].pk))
    return jobs


def _orders_for(user):
    return WorkOrder.objects.for_user(user).select_related("category", "category__parent", "location", "department")


def _allowed(user, order, action: str) -> bool:
    return can_start(action, order.status) and services.may_act(user, order, action)


def _step_forms(user, order, now, bound: dict | None = None) -> dict:
    """The forms of the steps this user may take on this order now, bound ones kept (errors)."""
    bound = bound or {}
    result = {}
    for action, form_class in STEP_FORMS.items():
        if not _allowed(user, order, action):
            continue
        if action in bound:
            result[action] = bound[action]
            continue
        initial = {"version": order.version}
        if action == "complete" and order.arrived_at is not None:
            # A guess the worker corrects if need be: the time since arrival, minus time on hold.
            worked = int((now - order.arrived_at).total_seconds() // 60) - order.held_minutes
            initial["labor_minutes"] = max(0, min(worked, 10000))
        result[action] = form_class(initial=initial, prefix=action)
    return result


def _render_job(request, order, *, bound: dict | None = None, status: int = 200):
    now = timezone.now()
    events = list(order.events.order_by("-time", "-id")[: TIMELINE_EXCERPT + 1])
    context = {
        "order": order,
        "deadline": deadline_of(order, now),
        "steps": _step_forms(request.user, order, now, bound),
        "events": events[:TIMELINE_EXCERPT],
        "more_events": len(events) > TIMELINE_EXCERPT,
        "photos": list(order.photos.all()),
        "is_mine": order.assignee_id is not None and order.assignee_id == getattr(_person_of(request.user), "pk", 0),
        "nav": "jobs",
    }
    return render(request, "servicedesk/worker_job.html", context, status=status)


# ---------------------------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------------------------


@login_required
def jobs(request):
    """My jobs: the open orders assigned to me, the most pressing first."""
    _require_worker(request.user)
    person = _person_of(request.user)
    now = timezone.now()
    context = {"person": person, "jobs": my_jobs(request.user, person, now) if person else [], "nav": "jobs"}
    if request.htmx:
        return render(request, "servicedesk/worker_jobs.html#jobs", context)
    return render(request, "servicedesk/worker_jobs.html", context)


@login_required
def job(request, pk):
    _require_worker(request.user)
    order = get_object_or_404(_orders_for(request.user), pk=pk)
    return _render_job(request, order)


STEP_DONE = {
    "start": gettext_lazy("You are on the job: %(number)s is in progress."),
    "hold": gettext_lazy("%(number)s is on hold."),
    "resume": gettext_lazy("%(number)s resumed."),
    "complete": gettext_lazy("%(number)s completed. Thank you!"),
}


@login_required
@require_POST
def job_step(request, pk, action):
    """One step on a job: start (arrive), hold, resume or complete, through the services."""
    _require_worker(request.user)
    form_class = STEP_FORMS.get(action)
    if form_class is None:
        raise Http404
    order = get_object_or_404(_orders_for(request.user), pk=pk)
    form = form_class(request.POST, request.FILES, prefix=action)
    if not form.is_valid():
        return _render_job(request, order, bound={action: form})
    data = form.cleaned_data
    by = request.user
    try:
        if action == "start":
            order = services.start(order, by=by, version=data["version"], scanned_location=data["scanned"])
        elif action == "hold":
            order = services.hold(order, by=by, reason=data["reason"], note=data["note"], version=data["version"])
        elif action == "resume":
            order = services.resume(order, by=by, version=data["version"])
        else:
            order = _complete(order, data, by)
    except ConflictError as exc:
        messages.error(request, str(exc))
        return redirect("servicedesk:worker_job", pk=order.pk)
    except ValidationError as exc:
        _add_service_errors(form, exc)
        return _render_job(request, order, bound={action: form})
    messages.success(request, STEP_DONE[action] % {"number": order.number})
    if action == "complete":
        return redirect("servicedesk:worker_jobs")
    return redirect("servicedesk:worker_job", pk=order.pk)


def _complete(order, data, by):
    note = data["note"].strip()
    if data["parts"].strip():
        # Free text until the materials module books parts against stock.
        note = f"{note}\n{_('Parts used')}: {data['parts'].strip()}"
    return with_photos(
        lambda: services.complete(
            order,
            by=by,
            note=note,
            labor_minutes=data["labor_minutes"],
            difficulty=data["difficulty"],
            version=data["version"],
        ),
        data["photos"],
        stage=PhotoStage.COMPLETION,
        by=by,
    )


# The services name fields in their own words; the forms call some of them otherwise.
_SERVICE_FIELDS = {"location": "scanned", "reason": "reason", "text": "note"}


def _add_service_errors(form, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        name = _SERVICE_FIELDS.get(field, field)
        form.add_error(name if name in form.fields else None, errors)


@login_required
def scan(request):
    """Scan a label (or type its code): the place, and my open jobs there with an arrive button."""
    _require_worker(request.user)
    text = request.GET.get("code", "").strip()[:300]
    location, found_jobs, error = None, [], ""
    if text:
        location = location_of_label(text)
        if location is None:
            error = _("No place has the label “%(code)s”.") % {"code": (label_code_of(text) or text)[:40]}
        else:
            person = _person_of(request.user)
            if person is not None:
                now = timezone.now()
                found_jobs = [
                    job for job in my_jobs(request.user, person, now) if job["order"].location_id == location.pk
                ]
    context = {
        "code": text,
        "label_code": label_code_of(text),
        "location": location,
        "jobs": found_jobs,
        "error": error,
        "nav": "scan",
    }
    return render(request, "servicedesk/worker_scan.html", context)


def month_figures(person, now: datetime.datetime) -> dict:
    """This month's completed orders of the person, their average rating, how many were on time
    and which share of them (the on-time rate, a whole percentage; None before the first)."""
    local = timezone.localtime(now)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    late = (
        Q(breached=True)
        | Q(completed_at__gt=F("completion_due"))
        | Q(arrived_at__gt=F("arrival_due"))
        | Q(dispatched_at__gt=F("response_due"))
    )
    figures = WorkOrder.objects.filter(assignee=person, completed_at__gte=start, completed_at__lte=now).aggregate(
        completed=Count("id"),
        rated=Count("rating"),
        rating=Avg("rating"),
        late=Count("id", filter=late),
        labour=Sum("labor_minutes"),
    )
    figures["on_time"] = figures["completed"] - figures["late"]
    figures["on_time_rate"] = round(100 * figures["on_time"] / figures["completed"]) if figures["completed"] else None
    figures["labour_hours"] = round((figures["labour"] or 0) / 60, 1)
    figures["month"] = start
    figures["open"] = WorkOrder.objects.filter(assignee=person, status__in=OPEN_STATUSES).count()
    return figures


@login_required
def me(request):
    """On duty or not, and this month's figures."""
    _require_worker(request.user)
    person = _person_of(request.user)
    figures = month_figures(person, timezone.now()) if person else None
    return render(request, "servicedesk/worker_me.html", {"person": person, "figures": figures, "nav": "me"})


@login_required
@require_POST
def duty(request):
    """Switch my own on-duty state (htmx swaps the switch; without JavaScript: back to "me")."""
    _require_worker(request.user)
    person = _person_of(request.user)
    if person is None:
        raise Http404
    on_duty = request.POST.get("on_duty") == "1"
    services.set_on_duty(person, on_duty, by=request.user)
    if request.htmx:
        return render(request, "servicedesk/worker_me.html#duty", {"person": person})
    messages.success(request, _("You are on duty.") if on_duty else _("You are off duty."))
    return redirect("servicedesk:worker_me")
