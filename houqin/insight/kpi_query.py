"""The KPI pages' query string: the period (the API's start, end, month, plus the page's own
`period` choice), the KPI filters, and the links between the KPI page and its drill-down, which
carry both so that a number and the list behind it always count the same orders."""

import datetime

from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from houqin.core.refs import resolve_ref
from houqin.insight import kpis
from houqin.insight.filters import FILTER_NAMES, KpiFilterSet
from houqin.insight.periods import Period
from houqin.org.models import Location
from houqin.servicedesk.models import Channel

PERIOD_CHOICES = (
    ("this_month", gettext_lazy("This month")),
    ("last_month", gettext_lazy("Last month")),
    ("month", gettext_lazy("A month")),
    ("custom", gettext_lazy("From … to …")),
)


# Periods outside these years are refused (a typo such as "26-03" would be the year 26, and the
# calendar's ends cannot be compared with a previous period).
EARLIEST = datetime.date(1970, 1, 1)
LATEST = datetime.date(2999, 12, 31)


def within_range(period: Period, params) -> Period:
    """The period, if it lies between EARLIEST and LATEST; else a ValidationError naming the
    parameter that put it there."""
    if period.first >= EARLIEST and period.last <= LATEST:
        return period
    if params.get("month") and params.get("period") in (None, "", "month"):
        name = "month"
    elif not params.get("end"):
        # Without an end the period is the start's day alone: the start put it there.
        name = "start"
    elif not params.get("start"):
        name = "end"
    else:
        name = "end" if period.last > LATEST else "start"
    message = _("Choose a period between %(first)s and %(last)s.") % {"first": EARLIEST.year, "last": LATEST.year}
    raise ValidationError({name: message})


def period_from(params) -> tuple[Period, str]:
    """The period the query asks for and which of the page's choices it is. `period` decides
    when given; without it, as the API: `month`, else `start`/`end`, else this month so far.
    Raises ValidationError naming the parameter."""
    choice = params.get("period") or ""
    start, end, month = params.get("start") or None, params.get("end") or None, params.get("month") or None
    if choice == "this_month":
        return Period.this_month(), choice
    if choice == "last_month":
        return Period.month_of(Period.this_month().first - datetime.timedelta(days=1)), choice
    if choice == "month":
        if not month:
            raise ValidationError({"month": _("Choose a month.")})
        return Period.parse(None, None, month), choice
    if choice == "custom":
        if not start and not end:
            raise ValidationError({"start": _("Enter a date as YYYY-MM-DD.")})
        return Period.parse(start, end), choice
    if choice:
        raise ValidationError({"period": _("Choose this month, last month, a month, or dates.")})
    period = Period.parse(start, end, month)
    return period, "month" if month else "custom" if (start or end) else "this_month"


def period_params(period: Period) -> dict:
    """The period as the API's query parameters: `month` for a whole month, else `start`/`end`."""
    if period.is_month:
        return {"month": f"{period.first:%Y-%m}"}
    return {"start": period.first.isoformat(), "end": period.last.isoformat()}


def filter_query(params) -> QueryDict:
    """Only the KPI filters of a query string, without empty values."""
    query = QueryDict(mutable=True)
    for name in FILTER_NAMES:
        values = [value for value in params.getlist(name) if value not in (None, "")]
        if values:
            query.setlist(name, values)
    return query


def drill_url(figure: str, period: Period, filters: QueryDict, **override) -> str:
    """The drill-down page of a figure for the period and filters (override: other filter values)."""
    query = filters.copy()
    query["figure"] = figure
    for name, value in {**period_params(period), **override}.items():
        query[name] = value
    return f"{reverse('insight:kpi_orders')}?{query.urlencode()}"


def kpis_url(period: Period, filters: QueryDict, choice: str = "") -> str:
    """The KPI page for the period and filters; this or last month stays a choice (a bookmark of
    "this month" shows the current month tomorrow too)."""
    query = filters.copy()
    if choice in ("this_month", "last_month"):
        query["period"] = choice
    else:
        query.update(period_params(period))
    return f"{reverse('insight:kpis')}?{query.urlencode()}"


def read_query(params, user) -> tuple:
    """(period, choice, orders, errors by parameter)."""
    errors: dict[str, list[str]] = {}
    period, choice, orders = None, params.get("period", ""), None
    try:
        period, choice = period_from(params)
        within_range(period, params)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        orders = kpis.scoped_orders(user, params)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    return period, choice, orders, errors


PARAMETER_LABELS = {
    "period": gettext_lazy("period"),
    "month": gettext_lazy("month"),
    "start": gettext_lazy("from"),
    "end": gettext_lazy("to"),
    "figure": gettext_lazy("figure"),
}


def error_list(errors: dict) -> list[tuple[str, str, str]]:
    """(parameter, its label, messages) for each invalid parameter, as the pages show them."""
    labels = {name: filt.label for name, filt in KpiFilterSet.base_filters.items()}
    labels.update(PARAMETER_LABELS)
    return [(name, capfirst(str(labels.get(name, name))), " ".join(messages)) for name, messages in errors.items()]


def filter_labels(filters: QueryDict, user) -> list[tuple[str, str]]:
    """The filters in force as (label, value), naming what a code or id points to within the
    user's scope (one query per filter): what lies outside it is shown as typed, never named."""
    chips = []
    for name in filters:
        definition = KpiFilterSet.base_filters[name]
        values = filters.getlist(name)
        if name == "channel":
            names = dict(Channel.choices)
            shown = [str(names.get(value, value)) for value in values]
        else:
            manager = getattr(definition, "ref_model", Location)._default_manager
            visible = manager.for_user(user) if hasattr(manager, "for_user") else manager.all()
            shown = [str(resolve_ref(visible, value) or value) for value in values]
        chips.append((capfirst(str(definition.label)), ", ".join(shown)))
    return chips
