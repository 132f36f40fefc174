"""The KPI pages: every figure of a period beside the previous period's ("insight:kpis"), and the
orders behind any figure ("insight:kpi_orders", with its file "insight:kpi_orders_export").

The figures come from houqin.insight.kpis over `kpis.scoped_orders(user, query)`, so the pages,
the API and the drill-down count the same orders: a contractor manager sees only their company's.
The pages take the API's query parameters (start, end, month and the KPI filters), plus `period`
(this_month, last_month, month, custom) from the page's own period choice."""

import dataclasses
from functools import wraps

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, F, FloatField, When
from django.http import HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from houqin.core.exports import ExportRows, export_or_queue, register_export_source
from houqin.core.generic import (
    EMPTY,
    PER_PAGE_DEFAULT,
    PER_PAGE_MAX,
    Column,
    Table,
    bootstrap_form,
    filter_form_for,
    render_page_or_fragment,
    wants_fragment,
)
from houqin.core.transfer import FORMATS
from houqin.core.widgets import PickerWidget
from houqin.insight import kpis
from houqin.insight.filters import KpiFilterSet
from houqin.insight.kpi_cards import FIGURE_TITLES, SECTIONS, build_card, number, volume_tables
from houqin.insight.kpi_query import (
    PERIOD_CHOICES,
    error_list,
    filter_labels,
    filter_query,
    kpis_url,
    period_params,
    read_query,
)
from houqin.insight.periods import Period
from houqin.org.models import Company, CompanyKind, Location, Person
from houqin.servicedesk.desk.order_list import ORDER_COLUMNS, ORDER_FILES, ORDERS, RANKS, category_filter_choices
from houqin.servicedesk.models import WorkOrder

VIEW_KPIS = "insight.view_kpis"
EXPORT = "core.export_data"
# The drill-down's export source (houqin/core/exports.py): a long list is written in the background.
EXPORT_SOURCE = "insight.kpi_orders"
FIGURES_TARGET = "kpi-figures"  # id of the element htmx refreshes when a filter changes
LIST_RELATED = ("category", "category__parent", "location", "department", "team", "assignee")


def kpi_access(*perms: str):
    """Login (the login page; for an htmx refresh after the session ended, the whole page goes
    there), then every permission (403 without one)."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                if request.htmx:
                    page = request.htmx.current_url_abs_path or request.get_full_path()
                    response = HttpResponse(status=401)
                    response["HX-Redirect"] = redirect_to_login(page)["Location"]
                    return response
                return redirect_to_login(request.get_full_path())
            if not request.user.has_perms((VIEW_KPIS, *perms)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


# ---------------------------------------------------------------------------------------------
# The period and the filters, as query parameters
# ---------------------------------------------------------------------------------------------


class PeriodForm(forms.Form):
    period = forms.ChoiceField(label=gettext_lazy("period"), choices=PERIOD_CHOICES, required=False)
    month = forms.CharField(
        label=gettext_lazy("month"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month", "data-kpi-period-part": "month", "placeholder": "YYYY-MM"}),
    )
    start = forms.CharField(
        label=gettext_lazy("from"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.CharField(
        label=gettext_lazy("to"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].widget.attrs["data-kpi-period"] = ""
        for name in ("start", "end"):
            self.fields[name].widget.attrs["data-kpi-period-part"] = "custom"
        for name, form_field in self.fields.items():
            form_field.widget.attrs.setdefault("aria-label", capfirst(form_field.label))
            form_field.widget.attrs["id"] = f"kpi-{name}"


def period_form(period: Period | None, choice: str, params, errors: dict) -> PeriodForm:
    """The period's fields showing the period in force (or what was typed, when it is invalid)."""
    if period is not None:
        initial = {
            "period": choice,
            "month": f"{period.first:%Y-%m}",
            "start": period.first.isoformat(),
            "end": period.last.isoformat(),
        }
    else:
        initial = {name: params.get(name, "") for name in ("period", "month", "start", "end")}
    form = bootstrap_form(PeriodForm(initial=initial), small=True)
    for name in errors:
        if name in form.fields:
            form.fields[name].widget.attrs["class"] += " is-invalid"
            form.fields[name].widget.attrs["aria-invalid"] = "true"
    return form


# The filters on the bar, in this order (the period comes first).
FILTER_FIELDS = ("site", "department", "location", "category", "team", "worker", "contractor", "channel")


def filter_bar(request) -> tuple:
    """(form, bound fields on the bar) for the KPI filters, with the desk's widgets: pickers for
    locations and people, the catalog grouped for categories, contractors for contractor."""
    user = request.user
    filterset = KpiFilterSet(request.GET, queryset=WorkOrder.objects.none())
    contractors = Company.objects.for_user(user).filter(kind=CompanyKind.CONTRACTOR).order_by("code")
    widgets = {
        "category": forms.Select(choices=category_filter_choices()),
        "location": PickerWidget("org:location_pick"),
        "worker": PickerWidget("org:person_pick"),
        "contractor": forms.Select(
            choices=[("", _("%(filter)s: all") % {"filter": capfirst(_("contractor"))})]
            + [(company.code, company.name) for company in contractors]
        ),
    }
    form, visible, _hidden = filter_form_for(filterset, user=user, widgets=widgets, fields=FILTER_FIELDS)
    # The pickers show the chosen place's or person's name, looked up in the user's scope only: a
    # contractor manager typing another company's employee number must not learn the name.
    form.fields["location"].widget.choices_queryset = Location.objects.for_user(user)
    form.fields["worker"].widget.choices_queryset = Person.objects.for_user(user)
    return form, [form[name] for name in visible]


# ---------------------------------------------------------------------------------------------
# The KPI page
# ---------------------------------------------------------------------------------------------


@kpi_access()
def kpis_page(request):
    """Every figure of the period (this month so far by default) with the previous period's and
    the change, each number linking to the orders behind it; the figures refresh (htmx) when a
    filter changes."""
    user = request.user
    period, choice, orders, errors = read_query(request.GET, user)
    filters = filter_query(request.GET)
    form, fields = filter_bar(request)
    context = {
        "title": _("KPIs"),
        "breadcrumbs": [
            {"label": _("Home"), "url": reverse("core:home")},
            {"label": _("KPIs"), "url": None},
        ],
        "period_form": period_form(period, choice, request.GET, errors),
        "filter_fields": fields,
        "filter_form": form,
        "filters_in_use": bool(filters),
        "errors": error_list(errors),
        "period": period,
        "results_target": FIGURES_TARGET,
    }
    if period is not None and wants_fragment(request, FIGURES_TARGET):
        context["oob_fields"] = _period_boxes_to_refresh(period, choice)
    if not errors:
        comparison = kpis.compare(orders, period)
        previous = period.previous()
        now = timezone.now()
        context.update(
            {
                "previous_period": previous,
                "running": period.end > now,
                "sections": [
                    {"title": title, "cards": [build_card(key, comparison, period, filters) for key in keys]}
                    for title, keys in SECTIONS
                ],
                "backlog_cards": [build_card(key, comparison, period, filters) for key in ("backlog", "overdue")],
                "volume": volume_tables(comparison, period, filters),
                "api_url": f"{reverse('api:kpis')}?{_api_query(period, filters)}",
            }
        )
    response = render_page_or_fragment(
        request, "insight/kpis.html", context, fragment="insight/kpis.html#figures", target=FIGURES_TARGET
    )
    if period is not None and wants_fragment(request, FIGURES_TARGET):
        # The address bar gets the query without the form's empty fields.
        response["HX-Push-Url"] = kpis_url(period, filters, choice)
    if errors and not wants_fragment(request, FIGURES_TARGET):
        # A page asked for with invalid values is a bad request; the htmx refresh stays 200, or
        # htmx would not swap the message naming the value in.
        response.status_code = 400
    return response


def _period_boxes_to_refresh(period: Period, choice: str) -> list:
    """The period's boxes a refresh rewrites (htmx out-of-band): those the choice derives, never
    the one the user is typing in (month for "month", the dates for "custom")."""
    names = {"month": ("start", "end"), "custom": ("month",)}.get(choice, ("month", "start", "end"))
    form = period_form(period, choice, {}, {})
    for name in names:
        form.fields[name].widget.attrs["hx-swap-oob"] = "true"
    return [form[name] for name in names]


def _api_query(period: Period, filters: QueryDict) -> str:
    query = filters.copy()
    query.update(period_params(period))
    return query.urlencode()


# ---------------------------------------------------------------------------------------------
# The orders behind a figure
# ---------------------------------------------------------------------------------------------


def _minutes_cell(order, user=None) -> str:
    value = order.figure_value
    if value is None:
        return EMPTY
    return format_html("{}", f"{round(value):,}")


def _plain_cell(order, user=None) -> str:
    value = order.figure_value
    if value is None:
        return EMPTY
    shown = number(value, 2)
    return format_html("{}", shown.rstrip("0").rstrip(".") if "." in shown else shown)


def _answer_minutes():
    # Only an answered complaint has a time to answer (kpis.ANSWERED: closed with the written answer).
    return Case(When(kpis.ANSWERED, then=kpis.answer_minutes()), output_field=FloatField())


# Figure → (the per-order value its drill-down shows, column label, cell).
FIGURE_VALUES = {
    "response_time": (kpis.response_minutes, gettext_lazy("response time (min)"), _minutes_cell),
    "arrival_time": (kpis.arrival_minutes, gettext_lazy("arrival time (min)"), _minutes_cell),
    "completion_time": (kpis.completion_minutes, gettext_lazy("completion time (min)"), _minutes_cell),
    "complaints": (_answer_minutes, gettext_lazy("answered after (min)"), _minutes_cell),
    "workload": (kpis.points, gettext_lazy("points"), _plain_cell),
    "rated": (lambda: F("rating"), gettext_lazy("rating"), _plain_cell),
    "dissatisfied": (lambda: F("rating"), gettext_lazy("rating"), _plain_cell),
}
SORT_KEYS = (*ORDERS.sortable, "figure_value")


def _sorted(queryset, sort: str):
    key = sort.lstrip("-")
    descending = sort.startswith("-")
    if key in RANKS:
        queryset = queryset.alias(sort_rank=RANKS[key])
        key = "sort_rank"
    expression = F(key).desc(nulls_last=True) if descending else F(key).asc(nulls_last=True)
    return queryset.order_by(expression, "-pk" if descending else "pk")


def orders_behind(request) -> tuple:
    """(figure name, period, the orders behind it, errors by parameter) for the query."""
    return _orders_behind(request.GET, request.user)


def _orders_behind(query, user) -> tuple:
    name = query.get("figure", "")
    period, _choice, orders, errors = read_query(query, user)
    if name not in kpis.FIGURES:
        errors["figure"] = [_("Choose one of the figures: %(names)s.") % {"names": ", ".join(kpis.FIGURES)}]
    if errors:
        return name, period, None, errors
    queryset = kpis.orders_behind(name, orders, period).select_related(*LIST_RELATED)
    if name in FIGURE_VALUES:
        queryset = queryset.annotate(figure_value=FIGURE_VALUES[name][0]())
    return name, period, queryset, errors


def _requested_sort(request, name: str) -> str:
    return _sort_of(request.GET, name)


def _sort_of(query, name: str) -> str:
    sort = query.get("sort", "").strip()
    key = sort[1:] if sort.startswith("-") else sort
    if key == "figure_value" and name not in FIGURE_VALUES:
        return ""
    return sort if key in SORT_KEYS and not sort.startswith("--") else ""


def _per_page(request) -> int:
    try:
        value = int(request.GET.get("per_page", PER_PAGE_DEFAULT))
    except (TypeError, ValueError):
        return PER_PAGE_DEFAULT
    return max(1, min(PER_PAGE_MAX, value))


@kpi_access()
def kpi_orders(request):
    """The orders a figure counts, for the same period and filters as the KPI page, newest
    first, paged; each opens the order's page. Offers the list as Excel or CSV."""
    user = request.user
    name, period, queryset, errors = orders_behind(request)
    filters = filter_query(request.GET)
    figure = kpis.FIGURES.get(name)
    kpis_link = kpis_url(period, filters) if period is not None else reverse("insight:kpis")
    title = str(FIGURE_TITLES.get(name, _("Orders behind a figure")))
    context = {
        "title": title,
        "breadcrumbs": [
            {"label": _("Home"), "url": reverse("core:home")},
            {"label": _("KPIs"), "url": kpis_link},
            {"label": title, "url": None},
        ],
        "figure": figure,
        "period": period,
        "kpis_url": kpis_link,
        "errors": error_list(errors),
        "filter_chips": filter_labels(filters, user),
    }
    if errors:
        return render(request, "insight/kpi_orders.html", context, status=400)
    sort = _requested_sort(request, name)
    queryset = _sorted(queryset, sort) if sort else queryset.order_by("-created", "-pk")
    per_page = _per_page(request)
    paginator = Paginator(queryset, per_page)
    page = paginator.get_page(request.GET.get("page"))
    columns = list(ORDER_COLUMNS)
    if name in FIGURE_VALUES:
        _expression, label, cell = FIGURE_VALUES[name]
        columns.insert(4, Column("figure_value", label=label, render=cell, sort="figure_value", css="num"))
    table = Table(ORDERS, columns, page.object_list, user=user, sort=sort, sortable=SORT_KEYS, row_actions=False)
    query = request.GET.copy()
    query.pop("page", None)
    export_query = request.GET.copy()
    for key in ("page", "per_page", "format"):
        export_query.pop(key, None)
    exports = []
    if user.has_perms((EXPORT, *ORDER_FILES.export_permissions())):
        for fmt, label in (("xlsx", _("Excel (.xlsx)")), ("csv", _("CSV (.csv)"))):
            export_query["format"] = fmt
            exports.append(
                {"label": label, "url": f"{reverse('insight:kpi_orders_export')}?{export_query.urlencode()}"}
            )
    context.update(
        {
            "table": table,
            "page_obj": page,
            "paginator": paginator,
            "query": query.urlencode(),
            "list_url": reverse("insight:kpi_orders"),
            "exports": exports,
        }
    )
    return render(request, "insight/kpi_orders.html", context)


@kpi_access(EXPORT, *ORDER_FILES.export_permissions())
def kpi_orders_export(request):
    """The orders behind a figure as ?format=xlsx|csv, exactly the rows of the drill-down (cells a
    spreadsheet would run as a formula are neutralised by the core export). A long list (a whole
    month's orders) is written in the background and downloaded from its job's page."""
    fmt = request.GET.get("format", "xlsx").lower()
    if fmt not in FORMATS:
        return HttpResponseBadRequest(_("Unknown format: choose xlsx or csv."))
    params = {key: request.GET.getlist(key) for key in request.GET if key != "format"}
    try:
        rows = orders_to_export(request.user, params)
    except ValidationError as exc:
        message = "; ".join(f"{label}: {messages}" for _name, label, messages in error_list(exc.message_dict))
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
    return export_or_queue(request, EXPORT_SOURCE, params, fmt, rows)


def orders_to_export(user, params: dict) -> ExportRows:
    """The export source of the drill-down: the orders behind the figure of `params` (lists per
    name, as request.GET) in the user's scope, sorted as the page. ValidationError for bad params."""
    query = QueryDict(mutable=True)
    for key, values in params.items():
        query.setlist(key, values)
    name, period, queryset, errors = _orders_behind(query, user)
    if errors:
        raise ValidationError(errors)
    sort = _sort_of(query, name)
    queryset = _sorted(queryset, sort) if sort else queryset.order_by("-created", "-pk")
    transfer = dataclasses.replace(ORDER_FILES, file_stem=f"kpi-{name.replace('_', '-')}")
    filters = {key: values[0] if len(values) == 1 else values for key, values in params.items()}
    title = f"{capfirst(str(kpis.FIGURES[name].label))} · {period.label()}"
    list_url = f"{reverse('insight:kpi_orders')}?{query.urlencode()}"
    return ExportRows(transfer=transfer, queryset=queryset, filters=filters, title=title, list_url=list_url)


register_export_source(EXPORT_SOURCE, orders_to_export)
