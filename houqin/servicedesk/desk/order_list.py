"""The order list: every order the user may see, filtered as the API filters,
sorted by importance, paged, refreshing itself; and its Excel/CSV file."""

from django.core.paginator import Paginator
from django.db.models import Case, F, IntegerField, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from houqin.core.generic import (
    EMPTY,
    PER_PAGE_CHOICES,
    Column,
    ObjectListView,
    Table,
    filter_form_for,
    render_page_or_fragment,
    reverse_or_none,
)
from houqin.core.specs import ModelSpec
from houqin.core.transfer import BoundColumn, TransferSpec
from houqin.core.transfer import Column as FileColumn
from houqin.core.widgets import PickerWidget
from houqin.servicedesk.desk.common import DESK_PERMS, LIST_RELATED, countdown_html, priority_badge, status_badge
from houqin.servicedesk.desk_forms import DeskIntakeForm
from houqin.servicedesk.filters import WorkOrderFilterSet
from houqin.servicedesk.models import Priority, ServiceCategory, Status, WorkOrder

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


def _category_cell(order, user=None) -> str:
    """The category with the start of the description beneath: one column where two made the
    list wider than a 1366-pixel laptop."""
    return format_html(
        '{}<div class="small text-body-secondary hq-cell-note" title="{}">{}</div>',
        order.category,
        order.description,
        Truncator(order.description).chars(24),
    )


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
    Column("category", render=_category_cell),
    Column("location", render=_location_cell),
    Column("assignee", label=gettext_lazy("handled by"), render=_handler_cell),
    Column("requester_name", label=gettext_lazy("requester"), render=_requester_cell),
    Column("created", sort="created"),
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
