"""What the desk's pages share: the permission check, the user's orders, the countdown and
badges computed on the server, and the answers to an action (done, refused, conflict).

Every order is read through WorkOrder.objects.for_user, so an order outside the user's scope
answers 404 like a missing one. An action based on an order that changed meanwhile
(ConflictError) shows the order's current state with a clear message: the page itself with
status 409, or for htmx a 409 that reloads the page, which then shows the message."""

import datetime
from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from houqin.core.exceptions import ConflictError
from houqin.core.generic import EMPTY
from houqin.core.refs import resolve_ref
from houqin.servicedesk.catalog_views import PRIORITY_COLOURS
from houqin.servicedesk.models import OPEN_STATUSES, Status, WorkOrder
from houqin.servicedesk.sla import WARNING_SHARE, current_clock
from houqin.servicedesk.workflow import ACTIONS

VIEW = "servicedesk.view_workorder"
ADD = "servicedesk.add_workorder"
CHANGE = "servicedesk.change_workorder"
DISPATCH = "servicedesk.dispatch_workorder"
FOLLOW_UP = "servicedesk.follow_up_workorder"
DESK_PERMS = (ADD, CHANGE)

# The desk's queue of requests waiting to be accepted (console and board) shows this many.
QUEUE_LIMIT = 50
LIST_RELATED = ("category", "category__parent", "location", "department", "team", "assignee")
DETAIL_RELATED = (*LIST_RELATED, "owner", "requester_user", "duplicate_of")


def requires(*perms: str):
    """Login, then every permission in perms (403 without one)."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                if request.htmx:
                    # A poll after the session ended: the whole page goes to the login, not the fragment.
                    page = request.htmx.current_url_abs_path or request.get_full_path()
                    response = HttpResponse(status=401)
                    response["HX-Redirect"] = redirect_to_login(page)["Location"]
                    return response
                return redirect_to_login(request.get_full_path())
            if not all(request.user.has_perm(perm) for perm in perms):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def scoped_orders(user):
    """The orders the user may see; everything else answers 404."""
    return WorkOrder.objects.for_user(user)


def order_or_404(user, pk, related=DETAIL_RELATED) -> WorkOrder:
    return get_object_or_404(scoped_orders(user).select_related(*related), pk=pk)


# ---------------------------------------------------------------------------------------------
# Badges and countdowns, computed on the server
# ---------------------------------------------------------------------------------------------

TARGET_LABELS = {
    "response": gettext_lazy("response"),
    "arrival": gettext_lazy("arrival"),
    "completion": gettext_lazy("completion"),
}


def duration_text(minutes: int) -> str:
    minutes = max(0, int(minutes))
    if minutes < 60:
        return _("%(minutes)s min") % {"minutes": minutes}
    if minutes < 24 * 60:
        return _("%(hours)s h %(minutes)s min") % {"hours": minutes // 60, "minutes": minutes % 60}
    days, rest = divmod(minutes, 24 * 60)
    return _("%(days)s d %(hours)s h") % {"days": days, "hours": rest // 60}


@dataclass(frozen=True)
class Countdown:
    text: str
    css: str  # an hq-badge-* class: green on time, orange from 80 % of the target, red past it
    title: str
    level: int  # 0 on time, 1 warning, 2 past the deadline, -1 paused


def countdown(order: WorkOrder, now: datetime.datetime) -> Countdown | None:
    """The time left to the deadline the order is racing against now (None once it is done)."""
    if order.status not in OPEN_STATUSES:
        return None
    clock = current_clock(order, now)
    if clock is None:
        return Countdown(_("paused"), "hq-badge-grey", _("On hold: the clock is stopped."), -1)
    due = timezone.localtime(clock.due).strftime("%m-%d %H:%M")
    title = _("%(target)s due %(due)s") % {"target": capfirst(TARGET_LABELS[clock.target]), "due": due}
    left = (clock.due - now).total_seconds() / 60
    if clock.share >= 1:
        return Countdown(_("%(time)s late") % {"time": duration_text(-left)}, "hq-badge-red", title, 2)
    css = "hq-badge-orange" if clock.share >= WARNING_SHARE else "hq-badge-green"
    level = 1 if clock.share >= WARNING_SHARE else 0
    return Countdown(_("%(time)s left") % {"time": duration_text(left)}, css, title, level)


def countdown_html(order: WorkOrder, now: datetime.datetime | None = None) -> str:
    clock = countdown(order, now or timezone.now())
    if clock is None:
        return EMPTY
    return format_html('<span class="{}" title="{}">{}</span>', clock.css, clock.title, clock.text)


def status_badge(order: WorkOrder, user=None) -> str:
    extra = " border" if order.status_colour == "light" else ""
    return format_html(
        '<span class="badge text-bg-{}{}">{}</span>', order.status_colour, extra, order.get_status_display()
    )


def priority_badge(order: WorkOrder, user=None) -> str:
    return format_html(
        '<span class="hq-badge-{}">{}</span>',
        PRIORITY_COLOURS.get(order.priority, "grey"),
        order.get_priority_display(),
    )


def decorate(orders, now: datetime.datetime | None = None) -> list[WorkOrder]:
    """Give each order its countdown and priority colour (for templates)."""
    now = now or timezone.now()
    orders = list(orders)
    for order in orders:
        order.countdown = countdown(order, now)
        order.priority_colour = PRIORITY_COLOURS.get(order.priority, "grey")
    return orders


# ---------------------------------------------------------------------------------------------
# Answers to actions: success, refusal, conflict
# ---------------------------------------------------------------------------------------------


def apply_errors(form, exc: ValidationError) -> None:
    """A service's ValidationError on the form's fields (or on the form when no field matches)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def error_text(exc: ValidationError, labels: dict | None = None) -> str:
    labels = labels or {}
    if not hasattr(exc, "error_dict"):
        return " ".join(exc.messages)
    parts = []
    for field, errors in exc.message_dict.items():
        label = labels.get(field, field.replace("_", " "))
        parts.append(f"{capfirst(label)}: {' '.join(errors)}")
    return " ".join(parts)


def htmx_reload(request, message: str, *, status: int, level=messages.ERROR) -> HttpResponse:
    """For htmx: the page reloads (showing `message`) with the state the server has now."""
    messages.add_message(request, level, message)
    response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    response["HX-Refresh"] = "true"
    return response


def conflict_message(exc: ConflictError) -> str:
    return _("%(reason)s The page shows the order as it is now.") % {"reason": str(exc)}


# The name of each action in messages and on its button.
ACTION_LABELS = {**{name: action.label for name, action in ACTIONS.items()}, "change": gettext_lazy("Change")}


def done_message(name: str, order: WorkOrder) -> str:
    if name == "comment":
        return _("Your comment was added to %(number)s.") % {"number": order.number}
    if name == "dispatch" or (name == "accept" and order.status == Status.DISPATCHED):
        who = order.assignee.name if order.assignee_id else (order.team.name if order.team_id else "")
        return _("%(number)s dispatched to %(who)s.") % {"number": order.number, "who": who}
    return _("%(number)s: %(action)s done.") % {"number": order.number, "action": ACTION_LABELS[name]}


# ---------------------------------------------------------------------------------------------
# What a form posted
# ---------------------------------------------------------------------------------------------


def ref_or_none(queryset, value):
    """The object `value` (id or code) names in queryset; None when nothing was chosen."""
    return resolve_ref(queryset, value) if value not in (None, "") else None


def id_from_query(value: str) -> int | None:
    """An object id from the query string (?call=, ?order=); None for anything else, a mangled
    link included ("12a", "²"), which would make the database lookup fail."""
    return int(value) if value.isascii() and value.isdigit() else None


def posted_version(request) -> int | None:
    """The order's version the form was built on (None when missing or mangled)."""
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None
