"""The KPIs in the REST API, under /api/v1/kpis: every figure of a period with the previous
period's for comparison, a day-by-day series, the figures per worker and per team, and the
orders behind any figure (drill-down).

Every answer comes from houqin.insight.kpis over `kpis.scoped_orders(user, query)`: the caller's
scope (a contractor manager counts only their company's orders) narrowed by the KPI filters.
Needs `insight.view_kpis`; an invalid period, filter or figure answers 400 naming the parameter."""

from typing import Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Query, Router

from houqin.core.api import InvalidInput, errors_for, filter_parameters, paginate, register_router
from houqin.core.api.lists import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET
from houqin.insight import kpis, schemas
from houqin.insight.filters import KpiFilterSet
from houqin.insight.kpi_query import within_range
from houqin.insight.periods import MAX_DAYS, Period

VIEW_KPIS = "insight.view_kpis"
ORDER_RELATED = ("category", "location", "department", "team", "assignee")

# /series?kpi=: the day-by-day values kpis.daily() gives, by the name of its key.
SERIES_KPIS = (
    "volume",
    "response_time",
    "completed",
    "completion_time",
    "on_time_rate",
    "satisfaction",
    "satisfied_share",
)

router = Router(tags=["KPIs"])

ERRORS = errors_for(400, 401, 403)

_FILTER_DOCS = {
    "site": "site: id or code (the location's site; for orders without a location, the department's)",
    "department": "the requester's department: id or code",
    "location": "within location: id or code of a location; counts that location and everything under it",
    "category": "category: id or code; a group (e.g. 维修) includes its sub-categories",
    "team": "team: id or code",
    "worker": "worker (the order's assignee): id or employee number",
    "contractor": "contractor: id or code of a company; orders of its teams or assigned to its people",
}


def _filter_parameters() -> list[dict]:
    # The schema is documentation: written in English, whatever language is active at start-up.
    with translation.override("en"):
        parameters = filter_parameters(KpiFilterSet)
    for parameter in parameters:
        if parameter["name"] in _FILTER_DOCS:
            parameter["description"] = _FILTER_DOCS[parameter["name"]]
    return parameters


def _period_query(description: str):
    return Query(None, max_length=32, description=description)


START = "first day, YYYY-MM-DD (local); default: the end's month's first day, or this month's"
END = "last day, YYYY-MM-DD, inclusive; default: the start's day, or today"
MONTH = f"a whole month, YYYY-MM (instead of start and end). Without any: this month so far. At most {MAX_DAYS} days."


def _require_kpis(request) -> None:
    if not request.user.has_perm(VIEW_KPIS):
        raise PermissionDenied(_("You do not have permission to do this."))


def _scope(request, start, end, month) -> tuple:
    """(orders in the caller's scope narrowed by the filters, period); every invalid parameter
    is reported at once."""
    _require_kpis(request)
    errors: dict[str, list[str]] = {}
    period = orders = None
    try:
        period = within_range(Period.parse(start, end, month), request.GET)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        orders = kpis.scoped_orders(request.user, request.GET)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise InvalidInput(errors)
    return orders, period


def _page(rows: list, limit: int, offset: int) -> dict:
    return {"count": len(rows), "items": rows[offset : offset + limit]}


LIMIT = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"page size, 1–{MAX_LIMIT}")
OFFSET = Query(0, ge=0, le=MAX_OFFSET, description="how many to skip")


@router.get(
    "",
    response={200: schemas.KpiComparisonOut, **ERRORS},
    operation_id="get_kpis",
    url_name="kpis",
    summary="Every KPI of a period, with the previous period's",
    openapi_extra={"parameters": _filter_parameters()},
)
def get_kpis(
    request,
    start: str | None = _period_query(START),
    end: str | None = _period_query(END),
    month: str | None = _period_query(MONTH),
):
    """The figures of docs/kpis.md for the period (local days, both ends included) over the orders
    the caller may see, narrowed by the filters; `previous` holds the same figures for the
    previous calendar month (for a whole month) or as many days just before."""
    orders, period = _scope(request, start, end, month)
    return kpis.compare(orders, period)


@router.get(
    "/series",
    response={200: schemas.SeriesOut, **ERRORS},
    operation_id="get_kpi_series",
    url_name="kpi_series",
    summary="One KPI day by day",
    openapi_extra={"parameters": _filter_parameters()},
)
def get_series(
    request,
    kpi: Literal[SERIES_KPIS] = Query(..., description="the figure: " + ", ".join(SERIES_KPIS)),  # type: ignore[valid-type]
    interval: Literal["day"] = Query("day", description="day (local days); weeks and months are planned"),
    start: str | None = _period_query(START),
    end: str | None = _period_query(END),
    month: str | None = _period_query(MONTH),
):
    """One value per day of the period: counts for volume and completed, a duration object
    (count, avg, median, p90 in minutes) for response_time and completion_time, a fraction for
    on_time_rate and satisfied_share, the average rating for satisfaction (null on a day without
    any). Volume and response time count the orders created that day; the others the orders
    completed that day."""
    orders, period = _scope(request, start, end, month)
    items = [{"date": row["date"], "value": row[kpi]} for row in kpis.daily(orders, period)]
    return {"kpi": kpi, "interval": interval, "period": period.as_dict(), "items": items}


@router.get(
    "/workers",
    response={200: schemas.WorkerKpisPage, **ERRORS},
    operation_id="list_worker_kpis",
    url_name="kpi_workers",
    summary="The figures of each worker",
    openapi_extra={"parameters": _filter_parameters()},
)
def list_workers(
    request,
    start: str | None = _period_query(START),
    end: str | None = _period_query(END),
    month: str | None = _period_query(MONTH),
    limit: int = LIMIT,
    offset: int = OFFSET,
):
    """Per worker, over the orders completed in the period and assigned to them (complaints: the
    orders created in the period); most workload points first."""
    orders, period = _scope(request, start, end, month)
    return {**_page(kpis.by_worker(orders, period), limit, offset), "period": period.as_dict()}


@router.get(
    "/teams",
    response={200: schemas.TeamKpisPage, **ERRORS},
    operation_id="list_team_kpis",
    url_name="kpi_teams",
    summary="The figures of each team",
    openapi_extra={"parameters": _filter_parameters()},
)
def list_teams(
    request,
    start: str | None = _period_query(START),
    end: str | None = _period_query(END),
    month: str | None = _period_query(MONTH),
    limit: int = LIMIT,
    offset: int = OFFSET,
):
    """Per team: the figures of the orders completed in the period, and its backlog (open and
    overdue) at the period's end, or now while the period runs."""
    orders, period = _scope(request, start, end, month)
    return {**_page(kpis.by_team(orders, period), limit, offset), "period": period.as_dict()}


def figure_out(name: str) -> dict:
    figure = kpis.FIGURES[name]
    return {"name": name, "label": str(figure.label), "population": figure.population, "help": str(figure.help)}


@router.get(
    "/orders",
    response={200: schemas.KpiOrdersPage, **ERRORS},
    operation_id="list_kpi_orders",
    url_name="kpi_orders",
    summary="The orders behind a figure (drill-down)",
    openapi_extra={"parameters": _filter_parameters()},
)
def list_orders(
    request,
    figure: Literal[tuple(kpis.FIGURES)] = Query(..., description="the figure whose orders to list"),  # type: ignore[valid-type]
    start: str | None = _period_query(START),
    end: str | None = _period_query(END),
    month: str | None = _period_query(MONTH),
    limit: int = LIMIT,
    offset: int = OFFSET,
):
    """Exactly the orders a figure counts for the period and filters, newest first: `count` is the
    figure's count (for an average, the orders it averages over)."""
    orders, period = _scope(request, start, end, month)
    behind = kpis.orders_behind(figure, orders, period).select_related(*ORDER_RELATED).order_by("-created", "-pk")
    return {**paginate(behind, limit, offset), "figure": figure_out(figure), "period": period.as_dict()}


register_router("kpis", router)
