"""The requester portal under /servicedesk/portal/, for phones and the WeCom/WeChat browsers:
report a need, follow my requests, confirm and rate, reopen, withdraw, comment, complain.

Department users log in. Someone without an account may report from a QR label (/q/<code>) for
that label's place: they leave a phone number, are limited to a few reports an hour per address
and per phone number, and follow the request on a tracking page whose address is the key.

The limit counts in Django's cache. Without a CACHES setting that is a per-process memory cache,
so with several server processes each one counts on its own: a ceiling against floods, not an
exact quota. Configure a shared cache (e.g. Redis) where that matters."""

import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from houqin.accounts.middleware import client_ip
from houqin.core.exceptions import ConflictError
from houqin.org.models import Location
from houqin.servicedesk import services
from houqin.servicedesk.dispatch import auto_dispatch_after_intake
from houqin.servicedesk.models import (
    OPEN_STATUSES,
    Channel,
    EventKind,
    FollowUpMethod,
    PhotoStage,
    Status,
    WorkOrder,
    WorkOrderPhoto,
)
from houqin.servicedesk.photos import with_photos
from houqin.servicedesk.portal_forms import (
    CancelForm,
    CommentForm,
    RatingForm,
    ReopenForm,
    ReportForm,
    location_of_label,
    reportable_categories,
    resolve_location,
)
from houqin.servicedesk.workflow import can_start

ADD_PERMISSION = "servicedesk.add_workorder"
VIEW_PERMISSION = "servicedesk.view_workorder"
PAGE_SIZE = 20
# Reports without an account, per client address and per phone number, in a sliding hour.
PUBLIC_REPORTS_PER_HOUR = getattr(settings, "HOUQIN_PUBLIC_REPORTS_PER_HOUR", 5)
LIMIT_WINDOW_SECONDS = 3600
# What the tracking page tells: the order's stages, not the notes and names behind them.
PUBLIC_EVENT_KINDS = (
    EventKind.CREATED,
    EventKind.ACCEPTED,
    EventKind.DISPATCHED,
    EventKind.STARTED,
    EventKind.HELD,
    EventKind.RESUMED,
    EventKind.COMPLETED,
    EventKind.REOPENED,
    EventKind.FOLLOWED_UP,
    EventKind.CLOSED,
    EventKind.CANCELLED,
)
# What the requester's own timeline (portal) leaves out: the desk's internal escalations and
# corrections. See docs/servicedesk-rules.md, "What the requester sees".
REQUESTER_HIDDEN_KINDS = (EventKind.SLA_WARNING, EventKind.SLA_BREACH, EventKind.CHANGED)
# The events whose note the requester reads: the result, their rating's comment, why it was
# cancelled, what was still wrong, and comments (written for everyone who sees the order). The
# other notes are internal: the dispatcher's word to the worker, hold notes, transfer reasons,
# the inspector's assessment remarks.
REQUESTER_NOTE_KINDS = (
    EventKind.COMPLETED,
    EventKind.FOLLOWED_UP,
    EventKind.CANCELLED,
    EventKind.REOPENED,
    EventKind.COMMENT,
)
DONE_STATUSES = (Status.COMPLETED, Status.FOLLOWED_UP, Status.CLOSED, Status.CANCELLED)
MOBILE_AGENTS = ("Mobile", "Android", "iPhone", "iPad", "MicroMessenger", "wxwork")


class PublicReporter:
    """Who an order's timeline names when someone without an account reports at a label."""

    pk = None
    is_authenticated = False

    def __init__(self, name: str):
        self.username = name

    def get_full_name(self) -> str:
        return self.username


def _person_of(user):
    try:
        return user.person
    except Exception:
        return None


# ---------------------------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------------------------


def category_groups(queryset) -> list[dict]:
    """The catalog as the icon grid shows it: groups with their categories; categories without
    a group last, under "Other services"."""
    english = (get_language() or "").startswith("en")

    def label(category) -> str:
        return category.name_en if english and category.name_en else category.name

    groups: dict[int, dict] = {}
    categories = queryset.select_related("parent").order_by("parent__sort_order", "parent__code", "sort_order", "code")
    for category in categories:
        key = category.parent_id or 0
        if key not in groups:
            parent = category.parent
            groups[key] = {
                "label": label(parent) if parent else _("Other services"),
                "icon": parent.icon if parent else "",
                "tiles": [],
            }
        groups[key]["tiles"].append(
            {"pk": category.pk, "label": label(category), "icon": category.icon or (groups[key]["icon"] or "tools")}
        )
    ordered = [group for key, group in groups.items() if key]
    if 0 in groups:
        ordered.append(groups[0])
    return ordered


def _limit_keys(ip: str | None, phone: str = "") -> list[str]:
    keys = [f"servicedesk:public-report:ip:{ip or 'unknown'}"]
    if phone:
        keys.append(f"servicedesk:public-report:phone:{phone}")
    return keys


def _over_limit(keys: list[str]) -> bool:
    return any(cache.get(key, 0) >= PUBLIC_REPORTS_PER_HOUR for key in keys)


def _count_report(keys: list[str]) -> None:
    for key in keys:
        if not cache.add(key, 1, timeout=LIMIT_WINDOW_SECONDS):
            try:
                cache.incr(key)
            except ValueError:  # expired between add() and incr()
                cache.set(key, 1, timeout=LIMIT_WINDOW_SECONDS)


def _limited(request, location):
    response = render(request, "servicedesk/portal_limited.html", {"location": location}, status=429)
    response["Retry-After"] = str(LIMIT_WINDOW_SECONDS)
    return response


def _channel(request, via_label: bool) -> str:
    if via_label:
        return Channel.QR
    agent = request.headers.get("User-Agent", "")
    return Channel.MOBILE if any(word in agent for word in MOBILE_AGENTS) else Channel.WEB


def report(request):
    """Report a need. With ?location= (a label code, or a code for logged-in users) the place
    is filled in; ?kind=complaint offers only complaints and suggestions; ?category= preselects."""
    user = request.user
    public = not (user.is_authenticated and user.has_perm(ADD_PERMISSION))
    location_text = request.GET.get("location", "").strip()[:300]
    if public:
        location = location_of_label(location_text)
        if location is None:
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            raise PermissionDenied(_("You may not report requests. Scan the QR label of the place instead."))
    else:
        location = resolve_location(location_text, Location.objects.all()) if location_text else None
    via_label = public or request.GET.get("from") == "qr"
    complaint = request.GET.get("kind") == "complaint"
    ip = client_ip(request)

    if request.method == "POST":
        if public and _over_limit(_limit_keys(ip)):
            return _limited(request, location)
        form = ReportForm(request.POST, request.FILES, public=public, location=location, complaint=complaint)
        if form.is_valid():
            keys = _limit_keys(ip, form.cleaned_data["phone"])
            if public and _over_limit(keys):
                return _limited(request, location)
            try:
                order = _create(request, form.cleaned_data, public=public, via_label=via_label)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                if public:
                    _count_report(keys)
                    messages.success(
                        request,
                        _("Thank you, your request %(number)s was received. Keep this page to follow it.")
                        % {"number": order.number},
                    )
                    return redirect("servicedesk:portal_track", token=order.public_token)
                messages.success(request, _("Your request %(number)s was received.") % {"number": order.number})
                if not user.has_perm(VIEW_PERMISSION):
                    # Without the right to view work orders the request's page would answer 404.
                    return redirect("servicedesk:portal_report")
                return redirect("servicedesk:portal_request", pk=order.pk)
    else:
        initial = _report_initial(request, location, public)
        form = ReportForm(initial=initial, public=public, location=location, complaint=complaint)

    switch = request.GET.copy()
    if complaint:
        switch.pop("kind", None)
    else:
        switch["kind"] = "complaint"
    context = {
        "form": form,
        "switch_url": f"{request.path}?{switch.urlencode()}" if switch else request.path,
        "public": public,
        "location": location,
        "complaint": complaint,
        "groups": category_groups(form.fields["category"].queryset),
        "selected_category": str(form["category"].value() or ""),
        "nav": "report",
    }
    return render(request, "servicedesk/portal_report.html", context)


def _report_initial(request, location, public: bool) -> dict:
    initial = {}
    category_code = request.GET.get("category", "").strip()[:40]
    if category_code:
        category = reportable_categories().filter(code=category_code).first()
        if category is not None:
            initial["category"] = category.pk
    about = request.GET.get("about", "").strip()[:20]
    if about:
        initial["description"] = _("About request %(number)s: ") % {"number": about}
    if public:
        initial["location"] = location.label_code
        return initial
    person = _person_of(request.user)
    if person is not None:
        initial["department"] = person.department_id
        initial["phone"] = person.phone
    return initial


def _create(request, data: dict, *, public: bool, via_label: bool) -> WorkOrder:
    user = request.user
    if public:
        by = PublicReporter(data.get("name") or _("Reporter at a QR label"))
        name = data.get("name", "")
    else:
        by = user
        person = _person_of(user)
        name = person.name if person is not None else (user.get_full_name() or user.username)
        # Left empty, a department user's request still belongs to their department, not the room's.
        if data.get("department") is None and person is not None and person.department_id:
            data = {**data, "department": person.department}

    def create() -> WorkOrder:
        order = services.create_work_order(
            category=data["category"],
            description=data["description"],
            by=by,
            location=data.get("location"),
            department=data.get("department"),
            channel=_channel(request, via_label),
            requester_name=name[:50],
            requester_phone=data["phone"],
            requester_user=None if public else user,
        )
        if public:
            order.public_token = secrets.token_urlsafe(24)
            order.save(update_fields=["public_token"])
        # A category dispatched automatically goes to the suggested worker without waiting for
        # the desk; the photos and the dispatch stand or fall with the order.
        return auto_dispatch_after_intake(order, by)

    return with_photos(create, data["photos"], stage=PhotoStage.REPORT, by=None if public else user)


def _add_errors(form, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


# ---------------------------------------------------------------------------------------------
# My requests
# ---------------------------------------------------------------------------------------------

SHOW_CHOICES = {"mine": gettext_lazy("Mine"), "department": gettext_lazy("My department")}
STATE_CHOICES = {"all": gettext_lazy("All"), "open": gettext_lazy("Open"), "done": gettext_lazy("Done")}


def _login_required(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return None


def requests_list(request):
    """The requests I made, or my department's, newest first."""
    if denied := _login_required(request):
        return denied
    user = request.user
    person = _person_of(user)
    department_id = person.department_id if person is not None else None
    show = request.GET.get("show", "mine")
    if show not in SHOW_CHOICES or (show == "department" and department_id is None):
        show = "mine"
    state = request.GET.get("state", "all")
    if state not in STATE_CHOICES:
        state = "all"
    orders = WorkOrder.objects.for_user(user)
    orders = orders.filter(requester_user=user) if show == "mine" else orders.filter(department_id=department_id)
    if state == "open":
        orders = orders.filter(status__in=OPEN_STATUSES)
    elif state == "done":
        orders = orders.filter(status__in=DONE_STATUSES)
    orders = orders.select_related("category", "location", "duplicate_of").order_by("-created", "-id")
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "show": show,
        "state": state,
        "show_choices": SHOW_CHOICES if department_id is not None else {},
        "state_choices": STATE_CHOICES,
        "may_report": user.has_perm(ADD_PERMISSION),
        "nav": "requests",
    }
    return render(request, "servicedesk/portal_requests.html", context)


ACTION_FORMS = {"rate": RatingForm, "reopen": ReopenForm, "cancel": CancelForm, "comment": CommentForm}


def _available(user, order) -> set[str]:
    """What the user may do to the order from the portal."""
    found = set()
    mine = order.requester_user_id == user.pk
    # The requester's own rating; an agent's call-back is recorded on the desk with its method.
    if mine and can_start("follow-up", order.status) and services.may_act(user, order, "follow-up"):
        found.add("rate")
    if can_start("reopen", order.status) and services.may_act(user, order, "reopen"):
        found.add("reopen")
    if order.status == Status.NEW and services.may_act(user, order, "cancel"):
        found.add("cancel")
    if services.may_act(user, order, "comment"):
        found.add("comment")
    return found


def _orders(user):
    return WorkOrder.objects.for_user(user).select_related(
        "category", "location", "department", "assignee", "duplicate_of"
    )


def requester_timeline(order) -> list:
    """The order's events as its requester sees them: no internal events, and on each event
    `requester_note`, the part of its note meant for them ("" for internal notes; for a hold, the
    reason chosen from the list rather than the worker's note)."""
    events = list(order.events.exclude(kind__in=REQUESTER_HIDDEN_KINDS).order_by("time", "id"))
    for event in events:
        if event.kind in REQUESTER_NOTE_KINDS:
            event.requester_note = event.note
        elif event.kind == EventKind.HELD:
            event.requester_note = ((event.changes or {}).get("hold_reason") or [None, ""])[1] or ""
        else:
            event.requester_note = ""
    return events


def merged_into(order, user=None) -> dict | None:
    """What the page of a duplicate shows of the original it was merged into: its number, status
    and stages (kinds and times, as on the tracking page), never its requester's data; for a user
    who may see the original, also the link to its page."""
    original = order.duplicate_of if order.duplicate_of_id else None
    if original is None:
        return None
    events = original.events.filter(kind__in=PUBLIC_EVENT_KINDS).only("id", "time", "kind").order_by("time", "id")
    url = None
    if user is not None and services.in_scope(user, original):
        url = reverse("servicedesk:portal_request", args=[original.pk])
    return {"order": original, "events": list(events), "url": url}


def _render_detail(request, order, bound: dict | None = None):
    bound = bound or {}
    available = _available(request.user, order)
    action_forms = {}
    for action in ("rate", "reopen", "cancel", "comment"):
        if action not in available:
            continue
        if action in bound:
            action_forms[action] = bound[action]
        else:
            initial = {} if action == "comment" else {"version": order.version}
            action_forms[action] = ACTION_FORMS[action](initial=initial, prefix=action)
    context = {
        "order": order,
        "events": requester_timeline(order),
        "merged_into": merged_into(order, request.user),
        "photos": list(order.photos.all()),
        "forms": action_forms,
        "may_complain": request.user.has_perm(ADD_PERMISSION)
        and reportable_categories().filter(is_complaint=True).exists(),
        "nav": "requests",
    }
    return render(request, "servicedesk/portal_request.html", context)


def request_detail(request, pk):
    if denied := _login_required(request):
        return denied
    order = get_object_or_404(_orders(request.user), pk=pk)
    return _render_detail(request, order)


ACTION_DONE = {
    "rate": gettext_lazy("Thank you for your rating."),
    "reopen": gettext_lazy("The request is reopened; the team will come back."),
    "cancel": gettext_lazy("The request is withdrawn."),
    "comment": gettext_lazy("Your comment was added."),
}


@require_POST
def request_action(request, pk, action):
    """Rate, reopen, withdraw or comment on a request, through the services."""
    if denied := _login_required(request):
        return denied
    form_class = ACTION_FORMS.get(action)
    if form_class is None:
        raise Http404
    user = request.user
    order = get_object_or_404(_orders(user), pk=pk)
    form = form_class(request.POST, prefix=action)
    if not form.is_valid():
        return _render_detail(request, order, bound={action: form})
    data = form.cleaned_data
    try:
        if action == "rate":
            if order.requester_user_id != user.pk:
                raise PermissionDenied(_("Only the requester rates a request here."))
            services.follow_up(
                order,
                by=user,
                rating=data["rating"],
                method=FollowUpMethod.REQUESTER,
                comment=data["comment"],
                version=data["version"],
            )
        elif action == "reopen":
            services.reopen(order, by=user, reason=data["reason"], version=data["version"])
        elif action == "cancel":
            if order.status != Status.NEW:
                raise ConflictError(_("The request is already being handled; call the service desk to stop it."))
            services.cancel(order, by=user, reason=data["reason"], version=data["version"])
        else:
            services.comment(order, by=user, text=data["text"])
    except ConflictError as exc:
        messages.error(request, str(exc))
        return redirect("servicedesk:portal_request", pk=order.pk)
    except ValidationError as exc:
        _add_errors(form, exc)
        return _render_detail(request, order, bound={action: form})
    messages.success(request, ACTION_DONE[action])
    return redirect("servicedesk:portal_request", pk=order.pk)


# ---------------------------------------------------------------------------------------------
# Without an account: the tracking page
# ---------------------------------------------------------------------------------------------


def track(request, token):
    """An anonymous reporter's request: its stages only, nobody's name or notes; for a duplicate,
    the number, status and stages of the original it was merged into."""
    if len(token) > 64:
        raise Http404
    order = get_object_or_404(
        WorkOrder.objects.select_related("category", "location", "location__site", "duplicate_of"), public_token=token
    )
    events = order.events.filter(kind__in=PUBLIC_EVENT_KINDS).only("id", "time", "kind").order_by("time", "id")
    context = {"order": order, "events": events, "merged_into": merged_into(order)}
    response = render(request, "servicedesk/portal_track.html", context)
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# ---------------------------------------------------------------------------------------------
# Photos
# ---------------------------------------------------------------------------------------------


def photo(request, pk):
    """A work order's photo, for whoever may see the order; 404 for everyone else."""
    if denied := _login_required(request):
        return denied
    visible = WorkOrder.objects.for_user(request.user).values("pk")
    found = get_object_or_404(WorkOrderPhoto.objects.filter(order__in=visible), pk=pk)
    try:
        handle = found.image.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=found.content_type)
    extension = found.image.name.rsplit(".", 1)[-1]
    response["Content-Disposition"] = f'inline; filename="photo-{found.pk}.{extension}"'
    response["Cache-Control"] = "private, max-age=86400"
    return response
