"""The service desk's pages for agents, dispatchers and inspectors: the order list and the order
page with its actions, the agent's console, the dispatch board and the call-back workbench.

Every change goes through services.py (the rules, the timeline, the optimistic locking) and every
order is read through WorkOrder.objects.for_user, so an order outside the user's scope answers 404
like a missing one. An action based on an order that changed meanwhile (ConflictError) shows the
order's current state with a clear message: the page itself with status 409, or for htmx a 409
that reloads the page, which then shows the message."""

import datetime
from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Case, Count, F, IntegerField, Max, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from houqin.core.exceptions import ConflictError
from houqin.core.generic import (
    EMPTY,
    PER_PAGE_CHOICES,
    Column,
    ObjectListView,
    Table,
    bootstrap_form,
    filter_form_for,
    render_page_or_fragment,
    reverse_or_none,
    wants_fragment,
)
from houqin.core.refs import resolve_ref
from houqin.core.specs import ModelSpec
from houqin.core.transfer import BoundColumn, TransferSpec
from houqin.core.transfer import Column as FileColumn
from houqin.core.widgets import PickerWidget
from houqin.org.models import Person, Team
from houqin.org.services import PHONE_PATTERN, find_callers, normalize_phone
from houqin.servicedesk import services, telephony
from houqin.servicedesk.catalog_views import PRIORITY_COLOURS
from houqin.servicedesk.desk_forms import ACTION_FORMS, CallBackForm, DeskIntakeForm, leaf_categories
from houqin.servicedesk.dispatch import (
    BuildingIndex,
    auto_dispatch_if_configured,
    rank_workers,
    suggest_assignees,
    team_workers,
)
from houqin.servicedesk.filters import WorkOrderFilterSet
from houqin.servicedesk.models import (
    OPEN_STATUSES,
    Channel,
    EventKind,
    FollowUpMethod,
    IncomingCall,
    Priority,
    ServiceCategory,
    Status,
    WorkOrder,
    WorkOrderEvent,
)
from houqin.servicedesk.sla import WARNING_SHARE, current_clock
from houqin.servicedesk.workflow import ACTIONS

VIEW = "servicedesk.view_workorder"
ADD = "servicedesk.add_workorder"
CHANGE = "servicedesk.change_workorder"
DISPATCH = "servicedesk.dispatch_workorder"
FOLLOW_UP = "servicedesk.follow_up_workorder"
DESK_PERMS = (ADD, CHANGE)

# The desk's queue of requests waiting to be accepted, and the call-back list, show this many.
QUEUE_LIMIT = 50
CALLBACK_LIMIT = 20
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


def _orders(user):
    return WorkOrder.objects.for_user(user)


def _order_or_404(user, pk, related=DETAIL_RELATED) -> WorkOrder:
    return get_object_or_404(_orders(user).select_related(*related), pk=pk)


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


def location_label(order: WorkOrder) -> str:
    return order.location.full_name if order.location_id and order.location else ""


# ---------------------------------------------------------------------------------------------
# Answers to actions: success, refusal, conflict
# ---------------------------------------------------------------------------------------------


def _apply_errors(form, exc: ValidationError) -> None:
    """A service's ValidationError on the form's fields (or on the form when no field matches)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _error_text(exc: ValidationError, labels: dict | None = None) -> str:
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


# ---------------------------------------------------------------------------------------------
# Order list
# ---------------------------------------------------------------------------------------------

# Not registered: the generic pages of other models must not offer add/edit/delete of orders.
# The form is never used by the list or the export; orders are created at the desk.
ORDERS = ModelSpec(
    WorkOrder,
    DeskIntakeForm,
    WorkOrderFilterSet,
    "order",
    "work-orders",
    select_related=LIST_RELATED,
    sortable=("number", "created", "priority", "status", "completion_due"),
)

# Sorting by priority or status follows their order of importance, not the alphabet.
RANKS = {
    "priority": Case(
        *(When(priority=value, then=Value(rank)) for rank, value in enumerate(Priority.values)),
        default=Value(99),
        output_field=IntegerField(),
    ),
    "status": Case(
        *(When(status=value, then=Value(rank)) for rank, value in enumerate(Status.values)),
        default=Value(99),
        output_field=IntegerField(),
    ),
}


def _short_description(order, user=None) -> str:
    return format_html('<span title="{}">{}</span>', order.description, Truncator(order.description).chars(28))


def _location_cell(order, user=None) -> str:
    if not order.location_id:
        return EMPTY
    return format_html('<span title="{}">{}</span>', order.location.full_name, order.location.name)


def _requester_cell(order, user=None) -> str:
    name = order.requester_name or ""
    dept = order.department.name if order.department_id else ""
    if not name and not dept:
        return EMPTY
    if name and dept:
        return format_html('{} <span class="text-secondary small">{}</span>', name, dept)
    return format_html("{}", name or dept)


def _handler_cell(order, user=None) -> str:
    if order.assignee_id:
        team = order.team.name if order.team_id else ""
        return format_html('{} <span class="text-secondary small">{}</span>', order.assignee.name, team)
    if order.team_id:
        return format_html('<span class="text-secondary">{}</span>', order.team.name)
    return EMPTY


def _countdown_cell(order, user=None) -> str:
    return countdown_html(order)


ORDER_COLUMNS = (
    Column("number", link=True, sort="number"),
    Column("status", render=status_badge, sort="status"),
    Column("priority", render=priority_badge, sort="priority"),
    Column("countdown", label=gettext_lazy("deadline"), render=_countdown_cell, sort="completion_due"),
    Column("category"),
    Column("location", render=_location_cell),
    Column("assignee", label=gettext_lazy("handled by"), render=_handler_cell),
    Column("requester_name", label=gettext_lazy("requester"), render=_requester_cell),
    Column("created", sort="created"),
    Column("description", render=_short_description),
)


def category_filter_choices() -> list:
    """The category filter as one drop-down grouped by catalog group (a group itself finds all
    of its categories): one query, where the generic drop-down would ask for each group's name."""
    label = _("%(filter)s: all") % {"filter": capfirst(_("category"))}
    groups: dict[int | None, dict] = {}
    categories = ServiceCategory.objects.filter(is_active=True).select_related("parent")
    for category in categories.order_by("sort_order", "code"):
        if category.parent_id is None:
            groups.setdefault(category.pk, {"name": category.name, "code": category.code, "items": []})
        else:
            group = groups.setdefault(
                category.parent_id, {"name": category.parent.name, "code": category.parent.code, "items": []}
            )
            group["items"].append((category.code, category.name))
    choices = [("", label)]
    for group in groups.values():
        if group["items"]:
            everything = _("%(group)s: all") % {"group": group["name"]}
            choices.append((group["name"], [(group["code"], everything), *group["items"]]))
        else:
            choices.append((group["code"], group["name"]))
    return choices


class OrderListView(ObjectListView):
    """All orders the user may see, filtered (WorkOrderFilterSet, as the API), sorted and paged;
    the table refreshes itself every 30 seconds."""

    spec = ORDERS
    columns = ORDER_COLUMNS
    default_sort = "-created"
    fragment = "servicedesk/order_list.html#results"
    filter_fields = (
        "status",
        "priority",
        "category",
        "team",
        "assignee",
        "channel",
        "location",
        "department",
        "overdue",
        "created_after",
        "created_before",
    )
    title = gettext_lazy("Work orders")

    @property
    def presets(self):
        return [
            (_("Waiting to be accepted"), "status=new"),
            (_("Not dispatched"), "status=accepted"),
            (_("Being worked"), "status=dispatched&status=in_progress&status=on_hold"),
            (_("Overdue"), "overdue=true"),
            (_("Completed, not followed up"), "status=completed"),
        ]

    def get_template_names(self):
        return ["servicedesk/order_list.html"]

    def get_filter_widgets(self):
        from django import forms

        return {
            "category": forms.Select(choices=category_filter_choices()),
            "location": PickerWidget("org:location_pick"),
            "assignee": PickerWidget("org:person_pick"),
            "created_after": forms.DateInput(attrs={"type": "date"}),
            "created_before": forms.DateInput(attrs={"type": "date"}),
        }

    def order(self, qs, sort: str):
        key = sort.lstrip("-")
        if key in RANKS:
            rank = RANKS[key]
            return qs.alias(sort_rank=rank).order_by(
                F("sort_rank").desc() if sort.startswith("-") else F("sort_rank").asc(), "-created", "-pk"
            )
        if key == "created":
            return qs.order_by("-created", "-pk") if sort.startswith("-") else qs.order_by("created", "pk")
        return super().order(qs, sort)

    def get(self, request, *args, **kwargs):
        # ObjectListView.get, with a table without edit links (orders change through their actions).
        user = request.user
        filterset = self.spec.filterset_class(request.GET, queryset=self.get_queryset(), request=request)
        filters_valid = filterset.is_valid()
        qs = filterset.qs if filters_valid else filterset.queryset.none()
        requested_sort = self.requested_sort()
        qs = self.order(qs, requested_sort or self.default_sort)
        per_page = self.per_page()
        paginator = Paginator(qs, per_page)
        page = paginator.get_page(request.GET.get("page"))
        form, visible, hidden = filter_form_for(
            filterset, user=user, widgets=self.get_filter_widgets(), fields=self.filter_fields
        )
        active_filters = any(v for name, values in filterset.data.lists() if name in filterset.filters for v in values)
        table = Table(self.spec, self.columns, page.object_list, user=user, sort=requested_sort, row_actions=False)
        current_query = request.GET.urlencode()
        context = {
            **self.base_context(),
            "title": self.title,
            "verbose_name_plural": capfirst(WorkOrder._meta.verbose_name_plural),
            "filterset": filterset,
            "filter_form": form,
            "filter_fields": [form[name] for name in visible],
            "filter_hidden": hidden,
            "filters_valid": filters_valid,
            "filter_errors": [(form.fields[n].label or n, errs) for n, errs in form.errors.items()]
            if not filters_valid
            else [],
            "has_search": True,
            "search_value": request.GET.get("q", ""),
            "active_filters": active_filters,
            "table": table,
            "page_obj": page,
            "paginator": paginator,
            "page_range": list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)),
            "sort": requested_sort,
            "per_page": per_page,
            "per_page_choices": PER_PAGE_CHOICES,
            "per_page_explicit": "per_page" in request.GET,
            "results_target": "hq-results",
            "filter_form_id": "hq-filter",
            "presets": [
                {"label": label, "query": query, "active": current_query == query} for label, query in self.presets
            ],
            "add_url": reverse("servicedesk:desk") if user.has_perms(DESK_PERMS) else None,
            "transfer": self.transfer_links(),
            "page_actions": [],
            "refreshed_at": timezone.localtime(),
        }
        context["breadcrumbs"] = [
            {"label": _("Home"), "url": reverse_or_none("core:home")},
            {"label": self.title, "url": None},
        ]
        return render_page_or_fragment(request, self.get_template_names(), context, fragment=self.fragment)


order_list = OrderListView.as_view()


# The list's file: the columns a supervisor reads in Excel (codes and names, local times).
class LocalTimeColumn(BoundColumn):
    def export_value(self, obj):
        value = getattr(obj, self.name)
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


class OrderTransferSpec(TransferSpec):
    @property
    def bound_columns(self) -> list[BoundColumn]:
        bound = []
        for column in self.columns:
            field = None if column.export_only else WorkOrder._meta.get_field(column.field)
            kind = (
                LocalTimeColumn if field is not None and field.get_internal_type() == "DateTimeField" else BoundColumn
            )
            bound.append(kind(column, WorkOrder, False))
        return bound


ORDER_FILES = OrderTransferSpec(
    ORDERS,
    (
        FileColumn("number"),
        FileColumn("created"),
        FileColumn("status"),
        FileColumn("priority"),
        FileColumn("channel"),
        FileColumn("category"),
        FileColumn("category_name", label=gettext_lazy("category name"), export_only=True, source="category.name"),
        FileColumn("description"),
        FileColumn("location"),
        FileColumn("location_name", label=gettext_lazy("location name"), export_only=True, source="location.full_name"),
        FileColumn("department", label=gettext_lazy("department code")),
        FileColumn("department_name", label=gettext_lazy("department"), export_only=True, source="department.name"),
        FileColumn("requester_name"),
        FileColumn("requester_phone"),
        FileColumn("team", label=gettext_lazy("team code")),
        FileColumn("team_name", label=gettext_lazy("team"), export_only=True, source="team.name"),
        FileColumn("assignee", label=gettext_lazy("assignee number")),
        FileColumn("assignee_name", label=gettext_lazy("assignee"), export_only=True, source="assignee.name"),
        FileColumn("response_due"),
        FileColumn("dispatched_at"),
        FileColumn("arrival_due"),
        FileColumn("arrived_at"),
        FileColumn("completion_due"),
        FileColumn("completed_at"),
        FileColumn("breached"),
        FileColumn("rating"),
        FileColumn("score"),
    ),
    file_stem="work-orders",
)


# ---------------------------------------------------------------------------------------------
# Order page and its actions
# ---------------------------------------------------------------------------------------------

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
ACTION_LABELS = {**{name: action.label for name, action in ACTIONS.items()}, "change": gettext_lazy("Change")}
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
            # Free keys such as "parts" or "target" are no field of the order.
            field = next((f for f in WorkOrder._meta.fields if f.name == key), None)
            field_label = field.verbose_name if field is not None else key.replace("_", " ")
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


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(item) for item in value)
    if isinstance(value, dict):
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
    order = _order_or_404(request.user, pk)
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


def _done_message(name: str, order: WorkOrder) -> str:
    if name == "comment":
        return _("Your comment was added to %(number)s.") % {"number": order.number}
    if name == "dispatch" or (name == "accept" and order.status == Status.DISPATCHED):
        who = order.assignee.name if order.assignee_id else (order.team.name if order.team_id else "")
        return _("%(number)s dispatched to %(who)s.") % {"number": order.number, "who": who}
    return _("%(number)s: %(action)s done.") % {"number": order.number, "action": ACTION_LABELS[name]}


@require_POST
@requires(VIEW)
def order_action(request, pk: int, action: str):
    """One action on one order from its page (or a board): the form → the service → the page."""
    if action not in ACTION_FORMS:
        raise Http404
    user = request.user
    order = _order_or_404(user, pk)
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
        return render_order(request, _order_or_404(user, pk), alert=conflict_message(exc), status=409)
    except ValidationError as exc:
        _apply_errors(form, exc)
        if request.htmx:
            return htmx_reload(request, _form_error_text(form), status=422)
        return render_order(request, _order_or_404(user, pk), bound=bootstrap_form(form), status=400)
    messages.success(request, _done_message(action, order))
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


# ---------------------------------------------------------------------------------------------
# The agent's console
# ---------------------------------------------------------------------------------------------


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


def _ref(queryset, value):
    return resolve_ref(queryset, value) if value not in (None, "") else None


def _desk_context(request, form, **extra) -> dict:
    user = request.user
    bootstrap_form(form)
    data = form.data if form.is_bound else form.initial
    category = form.cleaned_data.get("category") if form.is_bound and hasattr(form, "cleaned_data") else None
    location = form.cleaned_data.get("location") if form.is_bound and hasattr(form, "cleaned_data") else None
    if category is None:
        category = _ref(leaf_categories(), data.get("category"))
    if location is None:
        location = _ref(form.fields["location"].queryset, data.get("location"))
    chosen = _ref(Person.objects.filter(is_active=True), data.get("assignee"))
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
    waiting = _orders(user).filter(status=Status.NEW).select_related(*LIST_RELATED).order_by("created", "pk")
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
                _apply_errors(form, exc)
            except (ConflictError, PermissionDenied) as exc:
                form.add_error(None, str(exc) or _("You may not do this."))
            else:
                if order.status == Status.DISPATCHED:
                    messages.success(request, _done_message("dispatch", order))
                else:
                    messages.success(request, _("%(number)s recorded and accepted.") % {"number": order.number})
                return HttpResponseRedirect(f"{reverse('servicedesk:desk')}?{urlencode({'recorded': order.pk})}")
        caller = look_up_caller(form.data.get("requester_phone", ""), user)
        return render(request, "servicedesk/desk_console.html", _desk_context(request, form, caller=caller), status=400)
    initial, caller = {}, None
    call_id, recorded_id = request.GET.get("call", ""), request.GET.get("recorded", "")
    call = IncomingCall.objects.filter(pk=call_id).first() if call_id.isdigit() else None
    if call is not None:
        initial, caller = _initial_from_call(call, user)
    form = DeskIntakeForm(initial=initial, user=user)
    recorded = None
    if recorded_id.isdigit():
        recorded = _orders(user).select_related(*LIST_RELATED).filter(pk=recorded_id).first()
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
        category = _ref(leaf_categories(), request.GET.get("category"))
        context.update(_suggestion_context(category, caller.usual_location))
    return render(request, "servicedesk/desk_console.html#lookup", context)


@require_GET
@requires(*DESK_PERMS)
def desk_assist(request):
    """The suggested workers for the chosen category and location; when the category has just
    changed, also its default priority (out-of-band)."""
    user = request.user
    form = DeskIntakeForm(user=user)
    category = _ref(leaf_categories(), request.GET.get("category"))
    location = _ref(form.fields["location"].queryset, request.GET.get("location"))
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
    order = _order_or_404(user, pk, related=("category",))
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = None
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
    done = _done_message("accept", order)
    if not request.htmx:
        messages.success(request, done)
        return HttpResponseRedirect(reverse("servicedesk:desk"))
    return render(
        request, "servicedesk/desk_console.html#queue", {"queue": _queue(user), "done": done, "done_order": order}
    )


# ---------------------------------------------------------------------------------------------
# Dispatch board
# ---------------------------------------------------------------------------------------------

NO_TEAM = "none"


def _board_team(request, teams: list[Team]):
    """The team asked for (?team= id or code, "none" for orders without a team), else the team
    the user leads, else their own team, else the first one."""
    wanted = request.GET.get("team") or request.POST.get("board")
    if wanted == NO_TEAM:
        return NO_TEAM
    by_key = {str(team.pk): team for team in teams} | {team.code: team for team in teams}
    if wanted and wanted in by_key:
        return by_key[wanted]
    if wanted:
        raise Http404
    person = getattr(request.user, "person", None) if hasattr(request.user, "person") else None
    if person is not None:
        for team in teams:
            if team.leader_id == person.pk:
                return team
        for team in teams:
            if team.pk == person.team_id:
                return team
    return teams[0] if teams else NO_TEAM


def board_context(request) -> dict:
    user = request.user
    now = timezone.now()
    teams = list(Team.objects.for_user(user).filter(is_active=True).only("id", "code", "name", "leader_id"))
    team = _board_team(request, teams)
    team_key = NO_TEAM if team == NO_TEAM else str(team.pk)
    orders = _orders(user).select_related("category", "category__parent", "location", "team")
    if team == NO_TEAM:
        waiting = orders.filter(team__isnull=True, status=Status.ACCEPTED)
        workers = []
        assigned = []
    else:
        waiting = orders.filter(team=team).filter(
            Q(status=Status.ACCEPTED) | Q(status=Status.DISPATCHED, assignee__isnull=True)
        )
        workers = list(team_workers(team.pk))
        assigned = list(
            orders.filter(assignee__in=[w.pk for w in workers], status__in=OPEN_STATUSES).order_by(
                "completion_due", "pk"
            )
        )
    waiting = decorate(waiting.order_by("created", "pk")[:QUEUE_LIMIT], now)
    decorate(assigned, now)
    index = BuildingIndex.for_paths(
        [o.location.tree_path for o in waiting if o.location_id]
        + [w.current_path for w in workers if w.current_path]
        + [o.location.tree_path for o in assigned if o.location_id]
    )
    for worker in workers:
        worker.building = index.building(worker.current_path)
        worker.orders = []
    by_worker = {w.pk: w for w in workers}
    for order in assigned:
        by_worker[order.assignee_id].orders.append(order)
    for order in [*waiting, *assigned]:
        building = index.building(order.location.tree_path) if order.location_id else None
        order.building = building
        order.ranked = rank_workers(workers, building, index) if workers else []
    other_teams = [t for t in teams if team == NO_TEAM or t.pk != team.pk]
    return {
        "teams": teams,
        "team": team,
        "team_key": team_key,
        "no_team": NO_TEAM,
        "waiting": waiting,
        "workers": workers,
        "other_teams": other_teams,
        "can_set_duty": user.has_perm("org.change_person"),
        "refreshed_at": timezone.localtime(now),
        "title": _("Dispatch board"),
        "breadcrumbs": [
            {"label": _("Home"), "url": reverse_or_none("core:home")},
            {"label": _("Dispatch board"), "url": None},
        ],
    }


@require_GET
@requires(DISPATCH)
def board(request):
    """Per team: the orders nobody has yet, each worker's load, duty and whereabouts; assign,
    reassign, transfer. Refreshes itself every 15 seconds."""
    context = board_context(request)
    if wants_fragment(request, "board"):
        return render(request, "servicedesk/board_page.html#board", context)
    return render(request, "servicedesk/board_page.html", context)


def _board_url(request) -> str:
    key = request.POST.get("board", "")
    return reverse("servicedesk:board") + (f"?{urlencode({'team': key})}" if key else "")


def _board_answer(request, message: str):
    """After a board action: the refreshed board (htmx) or the board page again."""
    if request.htmx:
        context = board_context(request)
        context["done"] = message
        return render(request, "servicedesk/board_page.html#board", context)
    messages.success(request, message)
    return HttpResponseRedirect(_board_url(request))


def _board_refusal(request, message: str, status: int):
    if request.htmx:
        return htmx_reload(request, message, status=status)
    messages.error(request, message)
    return HttpResponseRedirect(_board_url(request))


def _version(request) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


@require_POST
@requires(DISPATCH)
def board_assign(request, pk: int):
    """Assign (or reassign) an order to a worker."""
    user = request.user
    order = _order_or_404(user, pk, related=("category", "team", "assignee"))
    assignee = _ref(Person.objects.for_user(user).filter(is_active=True), request.POST.get("assignee"))
    version = _version(request)
    if assignee is None:
        return _board_refusal(request, _("Worker: choose who takes the order."), 422)
    if version is None:
        return _board_refusal(request, _("The form was incomplete; please try again."), 422)
    try:
        order = services.dispatch(order, by=user, assignee=assignee, version=version)
    except ConflictError as exc:
        return _board_refusal(request, conflict_message(exc), 409)
    except ValidationError as exc:
        return _board_refusal(request, _error_text(exc, {"assignee": _("worker")}), 422)
    return _board_answer(request, _done_message("dispatch", order))


@require_POST
@requires(DISPATCH)
def board_transfer(request, pk: int):
    """Transfer an order to another team, with the reason."""
    user = request.user
    order = _order_or_404(user, pk, related=("category", "team", "assignee"))
    team = _ref(Team.objects.for_user(user).filter(is_active=True), request.POST.get("team"))
    version = _version(request)
    if version is None:
        return _board_refusal(request, _("The form was incomplete; please try again."), 422)
    try:
        order = services.transfer(order, by=user, team=team, reason=request.POST.get("reason", ""), version=version)
    except ConflictError as exc:
        return _board_refusal(request, conflict_message(exc), 409)
    except ValidationError as exc:
        return _board_refusal(request, _error_text(exc, {"team": _("team"), "reason": _("reason")}), 422)
    return _board_answer(
        request, _("%(number)s transferred to %(team)s.") % {"number": order.number, "team": order.team.name}
    )


@require_POST
@requires(DISPATCH)
def board_duty(request, pk: int):
    """Put a worker on or off duty (the suggestions take only people on duty)."""
    person = get_object_or_404(Person.objects.for_user(request.user), pk=pk)
    on_duty = request.POST.get("on_duty") == "1"
    person = services.set_on_duty(person, on_duty, by=request.user)
    text = _("%(name)s is on duty.") if person.on_duty else _("%(name)s is off duty.")
    return _board_answer(request, text % {"name": person.name})


# ---------------------------------------------------------------------------------------------
# Call-back workbench
# ---------------------------------------------------------------------------------------------


def callback_queue(user):
    """Completed orders not yet followed up, oldest first, with the category's sample share:
    an order is in the sample when its id modulo 100 is below the share, so the list is the
    same on every screen and every reload. Orders whose requester could not be reached come
    after the others, in the order of their last try, with `failed_calls` counted."""
    failed = WorkOrderEvent.objects.filter(order=OuterRef("pk"), kind=EventKind.CALL_FAILED).order_by()
    return (
        _orders(user)
        .filter(status=Status.COMPLETED)
        .alias(sample_slot=F("pk") % 100)
        .filter(sample_slot__lt=F("category__followup_sample_percent"))
        .annotate(
            failed_calls=Coalesce(Subquery(failed.values("order").annotate(n=Count("pk")).values("n")[:1]), Value(0)),
            last_try=Subquery(failed.values("order").annotate(t=Max("time")).values("t")[:1]),
        )
        .select_related(*LIST_RELATED)
        .order_by(F("last_try").asc(nulls_first=True), "completed_at", "pk")
    )


def _callback_list(user) -> tuple[list[WorkOrder], int]:
    """The first orders to call, and how many there are in all."""
    waiting = callback_queue(user)
    queue = list(waiting[:CALLBACK_LIMIT])
    return queue, len(queue) if len(queue) < CALLBACK_LIMIT else waiting.count()


def _callback_context(request, order, form, queue, total) -> dict:
    if order is not None:
        order.events_list = list(order.events.all())
    return {
        "order": order,
        "form": form,
        "queue": queue,
        "total": total,
        "title": _("Call-backs"),
        "breadcrumbs": [
            {"label": _("Home"), "url": reverse_or_none("core:home")},
            {"label": _("Call-backs"), "url": None},
        ],
    }


@require_GET
@requires(FOLLOW_UP)
def callbacks(request):
    """One completed order at a time: the requester's number, the order's story, the rating."""
    queue, total = _callback_list(request.user)
    order = None
    wanted = request.GET.get("order")
    if wanted:
        order = next((o for o in queue if str(o.pk) == wanted), None)
        if order is None:
            order = callback_queue(request.user).filter(pk=wanted).first()
    if order is None and queue:
        order = queue[0]
    form = bootstrap_form(CallBackForm(initial={"version": order.version} if order else None))
    return render(request, "servicedesk/callback_workbench.html", _callback_context(request, order, form, queue, total))


@require_POST
@requires(FOLLOW_UP)
def callback_record(request, pk: int):
    """Record the call: the rating given (`intent=rated`), or that nobody answered (`intent=failed`)."""
    user = request.user
    # Not only the sampled list: an order rated meanwhile by its requester answers with a conflict.
    order = _order_or_404(user, pk)
    order.failed_calls = order.events.filter(kind=EventKind.CALL_FAILED).count()
    form = CallBackForm(request.POST)
    intent = request.POST.get("intent")
    next_url = reverse("servicedesk:callbacks")
    if form.is_valid():
        data = form.cleaned_data
        try:
            if intent == "failed":
                services.record_failed_call(order, by=user, note=data["comment"])
                messages.info(
                    request,
                    _("%(number)s: not reached; it waits at the end of the list for another try.")
                    % {"number": order.number},
                )
                return HttpResponseRedirect(next_url)
            if data.get("rating") in (None, ""):
                form.add_error("rating", _("Choose the rating the requester gave (1–5)."))
            else:
                services.follow_up(
                    order,
                    by=user,
                    rating=data["rating"],
                    method=FollowUpMethod.PHONE,
                    comment=data["comment"],
                    version=data["version"],
                )
                messages.success(request, _("%(number)s followed up.") % {"number": order.number})
                return HttpResponseRedirect(next_url)
        except ConflictError as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(next_url)
        except ValidationError as exc:
            _apply_errors(form, exc)
    queue, total = _callback_list(user)
    context = _callback_context(request, order, bootstrap_form(form), queue, total)
    return render(request, "servicedesk/callback_workbench.html", context, status=400)


__all__ = [
    "ORDER_FILES",
    "board",
    "callback_queue",
    "countdown",
    "desk",
    "order_detail",
    "order_list",
    "record_phone_request",
]
