"""The agent's console: a phone request in under 30 seconds, by keyboard — the caller
looked up by number, the screen-pop of ringing calls, the suggested workers, accept and dispatch
in one go — and the queue of requests from the portal, QR codes and the API to accept."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from houqin.core.exceptions import ConflictError
from houqin.core.generic import bootstrap_form, reverse_or_none
from houqin.org.models import Person
from houqin.org.services import PHONE_PATTERN, find_callers, normalize_phone
from houqin.servicedesk import services, telephony
from houqin.servicedesk.desk.common import (
    DESK_PERMS,
    LIST_RELATED,
    QUEUE_LIMIT,
    apply_errors,
    conflict_message,
    countdown,
    decorate,
    done_message,
    htmx_reload,
    id_from_query,
    order_or_404,
    posted_version,
    ref_or_none,
    requires,
    scoped_orders,
)
from houqin.servicedesk.desk_forms import DeskIntakeForm, leaf_categories
from houqin.servicedesk.dispatch import auto_dispatch_if_configured, suggest_assignees
from houqin.servicedesk.models import Channel, IncomingCall, Status, WorkOrder


@require_GET
@requires("servicedesk.view_servicecategory")
def category_pick(request):
    """Categories that take orders matching ?q= (code, name, pinyin initials), best first."""
    q = request.GET.get("q", "").strip()[:50]
    if not q:
        return JsonResponse({"items": []})
    found = (
        leaf_categories()
        .ranked_search(q)
        .select_related("default_team")
        .order_by("match_rank", "sort_order", "code")[:15]
    )
    items = [
        {
            "id": category.pk,
            "label": str(category),
            "detail": " · ".join(
                part
                for part in (
                    category.get_default_priority_display(),
                    category.default_team.name if category.default_team_id else "",
                )
                if part
            ),
        }
        for category in found
    ]
    return JsonResponse({"items": items})


def _probe_call(number: str, person=None, location=None) -> IncomingCall:
    """An unsaved call from `number`: the telephony helpers find the caller's orders and usual
    location the same way for a typed number as for a ringing phone."""
    return IncomingCall(caller=number, caller_number=number, person=person, location=location)


@dataclass
class Caller:
    number: str
    matches: list
    recent: list
    usual_location: object
    who: str = ""
    department: object = None
    person: object = None


def look_up_caller(number: str, user) -> Caller | None:
    """Who is calling from `number` (the phone directory, else people's mobiles), their latest
    orders and usual location; None when the number cannot be one."""
    number = normalize_phone(number)
    if not PHONE_PATTERN.match(number) or len(number) < 3:
        return None
    matches = find_callers(number, user)
    first = matches[0] if matches else None
    probe = _probe_call(number, first["person"] if first else None, first["location"] if first else None)
    orders = decorate(
        telephony.callers_orders(probe, user).select_related(*LIST_RELATED)[: telephony.USUAL_LOCATION_SAMPLE]
    )
    return Caller(
        number=number,
        matches=matches,
        recent=orders[: telephony.RECENT_ORDERS],
        usual_location=telephony.usual_location(probe, orders),
        who=(first["person"].name if first and first["person"] else (first["who"] if first else "")),
        department=first["department"] if first else None,
        person=first["person"] if first else None,
    )


def _suggestion_context(category, location, chosen=None) -> dict:
    suggestions = suggest_assignees(category, location) if category is not None else []
    return {
        "suggestions": suggestions,
        "suggest_category": category,
        "suggest_location": location,
        "chosen_assignee": chosen.pk if chosen is not None else (suggestions[0].pk if suggestions else None),
    }


def _desk_context(request, form, **extra) -> dict:
    user = request.user
    bootstrap_form(form)
    data = form.data if form.is_bound else form.initial
    category = form.cleaned_data.get("category") if form.is_bound and hasattr(form, "cleaned_data") else None
    location = form.cleaned_data.get("location") if form.is_bound and hasattr(form, "cleaned_data") else None
    if category is None:
        category = ref_or_none(leaf_categories(), data.get("category"))
    if location is None:
        location = ref_or_none(form.fields["location"].queryset, data.get("location"))
    chosen = ref_or_none(Person.objects.filter(is_active=True), data.get("assignee"))
    context = {
        "form": form,
        "title": _("Service desk"),
        **_suggestion_context(category, location, chosen),
        "calls": list(telephony.waiting_calls()),
        "queue": _queue(user),
        "breadcrumbs": [
            {"label": _("Home"), "url": reverse_or_none("core:home")},
            {"label": _("Service desk"), "url": None},
        ],
    }
    context.update(extra)
    return context


def _queue(user) -> list[WorkOrder]:
    """Requests from the portal, QR codes and the API waiting for the desk, oldest first."""
    waiting = scoped_orders(user).filter(status=Status.NEW).select_related(*LIST_RELATED).order_by("created", "pk")
    return decorate(waiting[:QUEUE_LIMIT])


def record_phone_request(form: DeskIntakeForm, *, by, dispatch_now: bool) -> WorkOrder:
    """The console's request: created accepted (owned by the agent), and with dispatch_now given
    in the same transaction to the chosen worker, else the first suggested one, else the
    category's team. Without dispatch_now, the category's automatic dispatch applies."""
    data = form.cleaned_data
    category, location = data["category"], data.get("location")
    call = IncomingCall.objects.filter(pk=data["call"]).first() if data.get("call") else None
    with transaction.atomic():
        order = services.create_work_order(
            category=category,
            description=data["description"],
            by=by,
            location=location,
            department=data.get("department"),
            priority=data.get("priority") or None,
            channel=Channel.PHONE,
            requester_name=data.get("requester_name", "").strip(),
            requester_phone=data.get("requester_phone", "").strip(),
            accept=True,
        )
        if dispatch_now:
            assignee = form.chosen_assignee
            if assignee is None:
                suggestions = suggest_assignees(category, location, limit=1)
                assignee = suggestions[0] if suggestions else None
            if assignee is None and category.default_team_id is None:
                raise ValidationError(
                    {
                        "assignee": _(
                            "Nobody is on duty for this category: choose a worker, or accept without dispatching."
                        )
                    }
                )
            order = services.dispatch(
                order,
                by=by,
                assignee=assignee,
                team=None if assignee is not None else category.default_team,
                version=order.version,
            )
        else:
            order = auto_dispatch_if_configured(order, by)
        if call is not None:
            telephony.link_order(call, order, by=by)
    return order


@requires(*DESK_PERMS)
def desk(request):
    """The agent's console: a phone request in under 30 seconds, by keyboard."""
    user = request.user
    if request.method == "POST":
        form = DeskIntakeForm(request.POST, user=user)
        if form.is_valid():
            try:
                order = record_phone_request(form, by=user, dispatch_now=request.POST.get("intent") == "dispatch")
            except ValidationError as exc:
                apply_errors(form, exc)
            except (ConflictError, PermissionDenied) as exc:
                form.add_error(None, str(exc) or _("You may not do this."))
            else:
                if order.status == Status.DISPATCHED:
                    messages.success(request, done_message("dispatch", order))
                else:
                    messages.success(request, _("%(number)s recorded and accepted.") % {"number": order.number})
                return HttpResponseRedirect(f"{reverse('servicedesk:desk')}?{urlencode({'recorded': order.pk})}")
        caller = look_up_caller(form.data.get("requester_phone", ""), user)
        return render(request, "servicedesk/desk_console.html", _desk_context(request, form, caller=caller), status=400)
    initial, caller = {}, None
    call_id, recorded_id = id_from_query(request.GET.get("call", "")), id_from_query(request.GET.get("recorded", ""))
    call = IncomingCall.objects.filter(pk=call_id).first() if call_id is not None else None
    if call is not None:
        initial, caller = _initial_from_call(call, user)
    form = DeskIntakeForm(initial=initial, user=user)
    recorded = None
    if recorded_id is not None:
        recorded = scoped_orders(user).select_related(*LIST_RELATED).filter(pk=recorded_id).first()
        if recorded is not None:
            recorded.countdown = countdown(recorded, timezone.now())
    return render(
        request, "servicedesk/desk_console.html", _desk_context(request, form, recorded=recorded, caller=caller)
    )


def _initial_from_call(call: IncomingCall, user) -> tuple[dict, Caller | None]:
    """The form's values for a call (its number, who, their usual location), and the caller."""
    caller = look_up_caller(call.caller_number or call.caller, user)
    location = caller.usual_location if caller else call.location
    name = call.person.name if call.person_id else call.caller_name
    initial = {
        "requester_phone": call.caller,
        "requester_name": name[:50],
        "location": location.pk if location else None,
        "department": call.department_id,
        "call": call.pk,
    }
    return initial, caller


@require_GET
@requires(*DESK_PERMS)
def desk_lookup(request):
    """The caller card for the number typed in the phone box; fills the name, the location and
    the department when the agent has not typed them yet (htmx out-of-band swaps)."""
    user = request.user
    caller = look_up_caller(request.GET.get("requester_phone", ""), user)
    fills = {}
    if caller is not None:
        if not request.GET.get("requester_name") and caller.who:
            fills["requester_name"] = caller.who[:50]
        if not request.GET.get("location") and caller.usual_location is not None:
            fills["location"] = caller.usual_location.pk
        if not request.GET.get("department") and caller.department is not None:
            fills["department"] = caller.department.pk
    form = bootstrap_form(DeskIntakeForm(initial=fills, user=user))
    context = {"caller": caller, "form": form, "fills": fills}
    if "location" in fills:
        category = ref_or_none(leaf_categories(), request.GET.get("category"))
        context.update(_suggestion_context(category, caller.usual_location))
    return render(request, "servicedesk/desk_console.html#lookup", context)


@require_GET
@requires(*DESK_PERMS)
def desk_assist(request):
    """The suggested workers for the chosen category and location; when the category has just
    changed, also its default priority (out-of-band)."""
    user = request.user
    form = DeskIntakeForm(user=user)
    category = ref_or_none(leaf_categories(), request.GET.get("category"))
    location = ref_or_none(form.fields["location"].queryset, request.GET.get("location"))
    context = _suggestion_context(category, location)
    if request.headers.get("HX-Trigger") == "desk-f-category" and category is not None:
        form = DeskIntakeForm(initial={"priority": category.default_priority}, user=user)
        context["priority_field"] = bootstrap_form(form)["priority"]
    return render(request, "servicedesk/desk_console.html#assist", context)


@require_GET
@requires(*DESK_PERMS)
def desk_calls(request):
    """The screen-pop: calls of the last minutes no agent has taken yet (polled every 3 s)."""
    return render(
        request,
        "servicedesk/desk_console.html#calls",
        {"calls": list(telephony.waiting_calls()), "now": timezone.now()},
    )


@require_POST
@requires(*DESK_PERMS)
def desk_take_call(request, pk: int):
    """The agent takes a call: the form is filled from it (caller, name, usual location)."""
    user = request.user
    call = get_object_or_404(IncomingCall, pk=pk)
    try:
        call = telephony.take_call(call, by=user)
    except ConflictError as exc:
        return htmx_reload(request, str(exc), status=409, level=messages.WARNING)
    initial, caller = _initial_from_call(call, user)
    form = DeskIntakeForm(initial=initial, user=user)
    context = _desk_context(request, form, caller=caller)
    context["taken_call"] = call
    return render(request, "servicedesk/desk_console.html#taken", context)


@require_GET
@requires(*DESK_PERMS)
def desk_queue(request):
    return render(request, "servicedesk/desk_console.html#queue", {"queue": _queue(request.user)})


@require_POST
@requires(*DESK_PERMS)
def desk_queue_accept(request, pk: int):
    """One click: the agent accepts a waiting request (and the category's auto-dispatch applies)."""
    user = request.user
    order = order_or_404(user, pk, related=("category",))
    version = posted_version(request)
    if version is None:
        return htmx_reload(request, _("The form was incomplete; please try again."), status=422)
    try:
        with transaction.atomic():
            order = services.accept(order, by=user, version=version)
            order = auto_dispatch_if_configured(order, user)
    except ConflictError as exc:
        if request.htmx:
            return htmx_reload(request, conflict_message(exc), status=409)
        messages.error(request, conflict_message(exc))
        return HttpResponseRedirect(reverse("servicedesk:desk"))
    done = done_message("accept", order)
    if not request.htmx:
        messages.success(request, done)
        return HttpResponseRedirect(reverse("servicedesk:desk"))
    return render(
        request, "servicedesk/desk_console.html#queue", {"queue": _queue(user), "done": done, "done_order": order}
    )
