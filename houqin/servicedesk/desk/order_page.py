"""The order page: the order, its deadlines and timeline, and a form for each action
the user may take now; each form posts to order_action, which calls the action's service."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from houqin.core.exceptions import ConflictError
from houqin.core.generic import bootstrap_form, reverse_or_none
from houqin.servicedesk import services
from houqin.servicedesk.catalog_views import PRIORITY_COLOURS
from houqin.servicedesk.desk.common import (
    ACTION_LABELS,
    CHANGE,
    TARGET_LABELS,
    VIEW,
    apply_errors,
    conflict_message,
    countdown,
    done_message,
    htmx_reload,
    order_or_404,
    requires,
)
from houqin.servicedesk.desk_forms import ACTION_FORMS
from houqin.servicedesk.dispatch import auto_dispatch_if_configured, suggest_assignees
from houqin.servicedesk.models import OPEN_STATUSES, EventKind, Status, WorkOrder
from houqin.servicedesk.workflow import ACTIONS

# The order of the action forms on the page: what moves the order on first.
ACTION_ORDER = (
    "accept",
    "dispatch",
    "start",
    "resume",
    "complete",
    "follow-up",
    "close",
    "hold",
    "transfer",
    "reopen",
    "cancel",
    "change",
    "comment",
)
# Actions that need nothing but a click.
ONE_CLICK = {"accept", "start"}
DANGER = {"cancel"}


def available_actions(user, order: WorkOrder) -> list[str]:
    """The actions the user may take on the order now (workflow.ACTIONS by status, may_act)."""
    names = [
        name
        for name, action in ACTIONS.items()
        if order.status in action.sources and services.may_act(user, order, name)
    ]
    if order.status in OPEN_STATUSES and user.has_perm(CHANGE):
        names.append("change")
    return sorted(names, key=ACTION_ORDER.index)


def _action_form(name: str, order: WorkOrder, user, data=None):
    form_class = ACTION_FORMS[name]
    kwargs = {"order": order, "user": user}
    if name == "dispatch":
        kwargs["suggestions"] = suggest_assignees(order.category, order.location)
    return bootstrap_form(form_class(data, **kwargs))


def _timeline(order: WorkOrder) -> list[dict]:
    rows = []
    status_labels = dict(Status.choices)
    for event in order.events.all():
        changes = []
        for key, pair in (event.changes or {}).items():
            before, after = (list(pair) + [None, None])[:2] if isinstance(pair, (list, tuple)) else (None, pair)
            field = next((f for f in WorkOrder._meta.fields if f.name == key), None)
            field_label = field.verbose_name if field is not None else FREE_KEY_LABELS.get(key, key.replace("_", " "))
            if key == "target":
                after = TARGET_LABELS.get(after, after)
            changes.append({"label": capfirst(field_label), "before": _text(before), "after": _text(after)})
        rows.append(
            {
                "event": event,
                "from": status_labels.get(event.from_status, ""),
                "to": status_labels.get(event.to_status, ""),
                "changes": changes,
                "icon": EVENT_ICONS.get(event.kind, "dot"),
            }
        )
    return rows


# Keys of an event's changes that are no field of the order.
FREE_KEY_LABELS = {"target": gettext_lazy("Target"), "parts": gettext_lazy("Parts used")}


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(item) for item in value)
    if isinstance(value, dict):
        if "item" in value:  # a part used: {"item": code, "quantity": "2"}
            return f"{value['item']} × {value.get('quantity', '')}".strip(" ×")
        return " ".join(f"{key} {_text(item)}" for key, item in value.items())
    return str(value)


EVENT_ICONS = {
    EventKind.CREATED: "plus-circle",
    EventKind.ACCEPTED: "check2-circle",
    EventKind.DISPATCHED: "person-check",
    EventKind.STARTED: "geo-alt",
    EventKind.HELD: "pause-circle",
    EventKind.RESUMED: "play-circle",
    EventKind.COMPLETED: "check-circle-fill",
    EventKind.FOLLOWED_UP: "telephone",
    EventKind.CLOSED: "award",
    EventKind.CANCELLED: "x-circle",
    EventKind.REOPENED: "arrow-counterclockwise",
    EventKind.TRANSFERRED: "arrow-left-right",
    EventKind.COMMENT: "chat-left-text",
    EventKind.CHANGED: "pencil",
    EventKind.MERGED: "union",
    EventKind.SLA_WARNING: "exclamation-triangle",
    EventKind.SLA_BREACH: "alarm",
    EventKind.CALL_FAILED: "telephone-x",
}


def _deadlines(order: WorkOrder, now) -> list[dict]:
    """Each service-level target: when it is due, when it was met, and whether in time."""
    rows = []
    for target, due, met in (
        ("response", order.response_due, order.dispatched_at),
        ("arrival", order.arrival_due, order.arrived_at),
        ("completion", order.completion_due, order.completed_at),
    ):
        if due is None:
            continue
        if met is not None:
            state, css = (_("met"), "hq-badge-green") if met <= due else (_("late"), "hq-badge-red")
        elif order.status in OPEN_STATUSES:
            state, css = (_("not yet"), "hq-badge-grey") if now < due else (_("past due"), "hq-badge-red")
        else:
            state, css = "", ""
        rows.append({"label": capfirst(TARGET_LABELS[target]), "due": due, "met": met, "state": state, "css": css})
    return rows


def render_order(request, order: WorkOrder, *, bound=None, alert: str = "", status: int = 200):
    """The order page; `bound` is an action form that failed (shown open, with its errors)."""
    user = request.user
    now = timezone.now()
    order.countdown = countdown(order, now)
    names = available_actions(user, order)
    forms = []
    for name in names:
        form = bound if bound is not None and bound.action == name else _action_form(name, order, user)
        forms.append(
            {
                "name": name,
                "label": ACTION_LABELS[name],
                "form": form,
                "one_click": name in ONE_CLICK,
                "danger": name in DANGER,
                "open": form is bound,
                "url": reverse("servicedesk:order_action", kwargs={"pk": order.pk, "action": name}),
            }
        )
    context = {
        "order": order,
        "title": order.number,
        "timeline": _timeline(order),
        "deadlines": _deadlines(order, now),
        "clock": order.countdown,
        "priority_colour": PRIORITY_COLOURS.get(order.priority, "grey"),
        "actions": forms,
        "alert": alert,
        "duplicates": list(order.duplicates.only("id", "number", "status")),
        "held_minutes": order.held_minutes_now(now),
        "breadcrumbs": [
            {"label": _("Home"), "url": reverse_or_none("core:home")},
            {"label": _("Work orders"), "url": reverse("servicedesk:order_list")},
            {"label": order.number, "url": None},
        ],
    }
    return render(request, "servicedesk/order_detail.html", context, status=status)


@requires(VIEW)
def order_detail(request, pk: int):
    order = order_or_404(request.user, pk)
    return render_order(request, order)


def perform_action(name: str, order: WorkOrder, form, user) -> WorkOrder:
    """Call the service of action `name` with the form's values."""
    data = form.cleaned_data
    version = data.get("version")
    if name == "accept":
        with transaction.atomic():
            order = services.accept(order, by=user, version=version)
            return auto_dispatch_if_configured(order, user)
    if name == "dispatch":
        assignee = form.chosen_assignee
        return services.dispatch(
            order, by=user, assignee=assignee, team=data.get("team"), version=version, note=data.get("note", "")
        )
    if name == "start":
        return services.start(order, by=user, version=version)
    if name == "hold":
        return services.hold(order, by=user, reason=data["reason"], note=data["note"], version=version)
    if name == "resume":
        return services.resume(order, by=user, note=data["note"], version=version)
    if name == "complete":
        return services.complete(
            order,
            by=user,
            note=data["note"],
            labor_minutes=data["labor_minutes"],
            difficulty=data.get("difficulty"),
            version=version,
        )
    if name == "follow-up":
        return services.follow_up(
            order, by=user, rating=data["rating"], method=data["method"], comment=data["comment"], version=version
        )
    if name == "close":
        return services.close(
            order,
            by=user,
            score=data.get("score"),
            remarks=data.get("remarks", ""),
            answer=data.get("answer", ""),
            version=version,
        )
    if name == "cancel":
        return services.cancel(
            order, by=user, reason=data["reason"], duplicate_of=data.get("duplicate_of"), version=version
        )
    if name == "reopen":
        return services.reopen(order, by=user, reason=data["reason"], assignee=data.get("assignee"), version=version)
    if name == "transfer":
        return services.transfer(order, by=user, team=data.get("team"), reason=data["reason"], version=version)
    if name == "comment":
        services.comment(order, by=user, text=data["text"])
        return order
    if name == "change":
        return services.change(
            order,
            by=user,
            priority=data["priority"],
            category=data["category"],
            location=data.get("location"),
            version=version,
        )
    raise Http404


@require_POST
@requires(VIEW)
def order_action(request, pk: int, action: str):
    """One action on one order from its page (or a board): the form → the service → the page."""
    if action not in ACTION_FORMS:
        raise Http404
    user = request.user
    order = order_or_404(user, pk)
    if action != "change" and not services.may_act(user, order, action):
        raise PermissionDenied
    if action == "change" and not user.has_perm(CHANGE):
        raise PermissionDenied
    form = _action_form(action, order, user, data=request.POST)
    if not form.is_valid():
        if request.htmx:
            return htmx_reload(request, _form_error_text(form), status=422)
        return render_order(request, order, bound=form, status=400)
    try:
        order = perform_action(action, order, form, user)
    except ConflictError as exc:
        if request.htmx:
            return htmx_reload(request, conflict_message(exc), status=409)
        return render_order(request, order_or_404(user, pk), alert=conflict_message(exc), status=409)
    except ValidationError as exc:
        apply_errors(form, exc)
        if request.htmx:
            return htmx_reload(request, _form_error_text(form), status=422)
        return render_order(request, order_or_404(user, pk), bound=bootstrap_form(form), status=400)
    messages.success(request, done_message(action, order))
    url = reverse("servicedesk:order_detail", kwargs={"pk": order.pk})
    if request.htmx:
        response = HttpResponse(status=200)
        response["HX-Refresh"] = "true"
        return response
    return HttpResponseRedirect(url)


def _form_error_text(form) -> str:
    parts = []
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        parts.append(f"{capfirst(label)}: {' '.join(errors)}" if label else " ".join(errors))
    return " ".join(parts)
