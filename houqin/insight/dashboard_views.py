"""The director's dashboard (/insight/, insight.view_kpis): today and the month at a glance, the
month's trends, category mix, repeat faults, teams, complaints and workload by worker.

Every figure comes from houqin.insight.kpis over the user's orders (scoped_orders: a contractor
manager sees only their company's), narrowed by the filter bar (site, team, category group; any
other KPI filter in the address is applied too), and links to the orders behind it on the
drill-down page insight:kpi_orders. Charts are drawn by static/insight/dashboard.js from the
data in a json_script block."""

import datetime

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from houqin.core.generic import reverse_or_none
from houqin.insight import kpis
from houqin.insight.filters import FILTER_NAMES
from houqin.insight.kpi_query import within_range
from houqin.insight.periods import Period
from houqin.org.models import Site, Team
from houqin.servicedesk.models import ServiceCategory

SEE = "insight.view_kpis"
# The filters on the bar; the others of KpiFilterSet still apply when given in the address.
BAR_FILTERS = ("site", "team", "category")
# The month drop-down goes back this far.
MONTHS_BACK = 12
TOP_WORKERS = 15
TOP_LOCATIONS = 10
COMPLAINTS_SHOWN = 10
# Placeholder the charts replace with a day (YYYY-MM-DD) to link a point to its orders.
DAY = "__DAY__"


# --- formatting -----------------------------------------------------------------------------------


def duration_text(minutes) -> str:
    if minutes is None:
        return "—"
    if minutes < 120:
        return _("%(minutes)s min") % {"minutes": f"{minutes:.0f}"}
    return _("%(hours)s h") % {"hours": f"{minutes / 60:.1f}"}


def rate_text(rate) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def rating_text(average) -> str:
    return "—" if average is None else f"{average:.2f}"


def count_text(count) -> str:
    return "—" if count is None else f"{count:,}"


FORMATS = {"count": count_text, "minutes": duration_text, "rate": rate_text, "rating": rating_text}


def _delta(kind: str, value, before, lower_is_better: bool) -> dict | None:
    """The change against the previous period: its text and whether it is good news."""
    if value is None or before is None:
        return None
    if kind == "rate":
        change = (value - before) * 100
        text = _("%(change)s pts") % {"change": f"{change:+.1f}"}
    elif kind == "rating":
        change = value - before
        text = f"{change:+.2f}"
    else:
        if not before:
            return None
        change = (value - before) / before * 100
        text = f"{change:+.0f}%"
    if abs(change) < 0.05:
        return {"text": text, "direction": "flat", "good": None}
    up = change > 0
    return {"text": text, "direction": "up" if up else "down", "good": up != lower_is_better}


# --- links to the orders behind a figure ------------------------------------------------------------


class Drill:
    """Builds the drill-down address of a figure: the page insight:kpi_orders (built by the KPI
    pages; the literal path stands in while that page is not installed) with the figure, the
    period and the dashboard's filters."""

    def __init__(self, filters: list[tuple[str, str]]):
        self.base = reverse_or_none("insight:kpi_orders") or "/insight/kpis/orders/"
        self.filters = filters

    def __call__(self, figure: str, period: Period | None = None, *, day: str | None = None, **extra) -> str:
        start = day or period.first.isoformat()
        end = day or period.last.isoformat()
        narrowed = [(name, value) for name, value in self.filters if name not in extra]
        query = [("figure", figure), ("start", start), ("end", end), *narrowed, *extra.items()]
        return f"{self.base}?{urlencode(query)}"


# --- the page ---------------------------------------------------------------------------------------


def _filters(request) -> list[tuple[str, str]]:
    return [(name, value) for name in FILTER_NAMES for value in request.GET.getlist(name) if value not in (None, "")]


def _periods(month: str | None, today: datetime.date) -> tuple[Period, Period]:
    """The month asked for (this month by default) and the period it is compared with. While a
    month runs, it is its first days up to today, against as many first days of the month before
    (Nov 1–25 against Oct 1–25), so that a half month is not set against a whole one."""
    period = Period.parse(None, None, month) if month else Period.month_of(today)
    # As on the KPI page: a month such as 0001-01 has no month before it to be compared with.
    within_range(period, {"month": month})
    if period.first > today:
        raise ValidationError({"month": _("Choose this month or an earlier one.")})
    period = period.up_to(today)
    return period, period.previous()


def _month_choices(today: datetime.date) -> list[dict]:
    choices = []
    first = today.replace(day=1)
    for _step in range(MONTHS_BACK + 1):
        choices.append({"value": f"{first:%Y-%m}", "label": f"{first:%Y-%m}"})
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return choices


def _filter_options(user, chosen: dict) -> list[dict]:
    sites = Site.objects.for_user(user).filter(is_active=True).only("code", "name")
    teams = Team.objects.for_user(user).filter(is_active=True).only("code", "name")
    groups = ServiceCategory.objects.filter(parent__isnull=True, is_active=True).only("code", "name")
    bars = [
        ("site", _("Site"), _("All sites"), [(site.code, site.name) for site in sites]),
        ("team", _("Team"), _("All teams"), [(team.code, team.name) for team in teams]),
        ("category", _("Category"), _("All categories"), [(group.code, group.name) for group in groups]),
    ]
    return [
        {
            "name": name,
            "label": label,
            "all": everything,
            "options": [{"value": code, "label": text, "selected": chosen.get(name) == code} for code, text in options],
        }
        for name, label, everything, options in bars
    ]


def _today_cards(today: dict, period: Period, drill: Drill) -> list[dict]:
    satisfaction = today["satisfaction"]
    return [
        {
            "key": "today-volume",
            "label": _("Orders today"),
            "value": count_text(today["volume"]["count"]),
            "url": drill("volume", period),
        },
        {
            "key": "today-open",
            "label": _("Open now"),
            "value": count_text(today["backlog"]["open"]),
            "url": drill("backlog", period),
        },
        {
            "key": "today-overdue",
            "label": _("Overdue now"),
            "value": count_text(today["backlog"]["overdue"]),
            "url": drill("overdue", period),
            "alert": bool(today["backlog"]["overdue"]),
        },
        {
            "key": "today-completed",
            "label": _("Completed today"),
            "value": count_text(today["completed"]["count"]),
            "url": drill("completion_time", period),
        },
        {
            "key": "today-satisfaction",
            "label": _("Satisfaction today"),
            "value": rating_text(satisfaction["average"]),
            "detail": _("%(share)s satisfied of %(rated)s rated")
            % {"share": rate_text(satisfaction["satisfied_share"]), "rated": satisfaction["rated"]}
            if satisfaction["rated"]
            else _("no rating yet"),
            "url": drill("rated", period),
        },
    ]


# (key, label, kind, value from a summary, figure to drill into, lower is better)
MONTH_CARDS = (
    ("volume", _lazy("Orders"), "count", lambda s: s["volume"]["count"], "volume", False),
    (
        "response",
        _lazy("Response time (median)"),
        "minutes",
        lambda s: s["response_time"]["median"],
        "response_time",
        True,
    ),
    (
        "completion",
        _lazy("Completion time (median)"),
        "minutes",
        lambda s: s["completion_time"]["median"],
        "completion_time",
        True,
    ),
    # The on-time rate drills into the late orders: those are the ones to look at.
    ("on_time", _lazy("On-time rate"), "rate", lambda s: s["on_time"]["rate"], "late", False),
    ("satisfaction", _lazy("Satisfaction (1–5)"), "rating", lambda s: s["satisfaction"]["average"], "rated", False),
    (
        "first_time_fix",
        _lazy("First-time fix rate"),
        "rate",
        lambda s: s["first_time_fix"]["rate"],
        "first_time_fix",
        False,
    ),
    ("rework", _lazy("Rework rate"), "rate", lambda s: s["rework"]["rate"], "reworked", True),
    ("complaints", _lazy("Complaints"), "count", lambda s: s["complaints"]["count"], "complaints", True),
)


def _month_cards(now: dict, before: dict, period: Period, drill: Drill) -> list[dict]:
    cards = []
    for key, label, kind, value_of, figure, lower_is_better in MONTH_CARDS:
        value, previous = value_of(now), value_of(before)
        cards.append(
            {
                "key": f"month-{key}",
                "label": str(label),
                "value": FORMATS[kind](value),
                "previous": FORMATS[kind](previous),
                "delta": _delta(kind, value, previous, lower_is_better),
                "url": drill(figure, period),
            }
        )
    return cards


def _chart_labels() -> dict:
    return {
        "created": _("Orders created"),
        "completed": _("Orders completed"),
        "median": _("Median"),
        "p90": _("90th percentile"),
        "minutes": _("min"),
        "hours": _("h"),
        "on_time": _("On-time rate (%)"),
        "satisfaction": _("Satisfaction (1–5)"),
        "points": _("Workload points"),
        "orders": _("orders"),
        "no_data": _("No data for this period"),
    }


def _hours(minutes):
    return None if minutes is None else round(minutes / 60, 2)


def _trend(series: list[dict], drill: Drill) -> dict:
    return {
        "dates": [row["date"] for row in series],
        "created": [row["volume"] for row in series],
        "completed": [row["completed"] for row in series],
        "response_median": [row["response_time"]["median"] for row in series],
        "response_p90": [row["response_time"]["p90"] for row in series],
        "completion_median": [_hours(row["completion_time"]["median"]) for row in series],
        "completion_p90": [_hours(row["completion_time"]["p90"]) for row in series],
        "on_time": [None if row["on_time_rate"] is None else round(row["on_time_rate"] * 100, 1) for row in series],
        "satisfaction": [row["satisfaction"] for row in series],
        "links": {
            "created": drill("volume", day=DAY),
            "completed": drill("completion_time", day=DAY),
            "response": drill("response_time", day=DAY),
            "completion": drill("completion_time", day=DAY),
            "on_time": drill("late", day=DAY),
            "satisfaction": drill("rated", day=DAY),
        },
        "day": DAY,
    }


def _category_mix(by_category: list[dict], group_codes: dict, period: Period, drill: Drill) -> list[dict]:
    """The month's orders per category group (the figure gives them per category)."""
    groups: dict[str, int] = {}
    for row in by_category:
        groups[row["group"]] = groups.get(row["group"], 0) + row["count"]
    return [
        {
            "name": name,
            "value": count,
            "url": drill("volume", period, category=group_codes[name]) if name in group_codes else "",
        }
        for name, count in sorted(groups.items(), key=lambda item: (-item[1], item[0]))
    ]


def _teams(rows: list[dict], period: Period, drill: Drill) -> list[dict]:
    teams = [
        {
            "name": row["team"]["name"],
            "open": row["backlog"]["open"],
            "overdue": row["backlog"]["overdue"],
            "completed": row["completed"]["count"],
            "on_time": rate_text(row["on_time"]["rate"]),
            "open_url": drill("backlog", period, team=row["team"]["code"]),
            "overdue_url": drill("overdue", period, team=row["team"]["code"]),
            "completed_url": drill("completion_time", period, team=row["team"]["code"]),
            "late_url": drill("late", period, team=row["team"]["code"]),
        }
        for row in rows
    ]
    return sorted(teams, key=lambda team: (-team["overdue"], -team["open"], team["name"]))


def _workers(rows: list[dict], period: Period, drill: Drill) -> list[dict]:
    return [
        {
            "name": row["worker"]["name"],
            "team": row["worker"]["team"] or "",
            "company": row["worker"]["company"] or "",
            "completed": row["completed"]["count"],
            "points": row["workload_points"],
            "on_time": rate_text(row["on_time"]["rate"]),
            "url": drill("workload", period, worker=row["worker"]["employee_no"]),
        }
        for row in rows
    ]


def _complaints(orders, period: Period, now) -> list:
    shown = list(
        kpis.orders_behind("complaints", orders, period, now)
        .select_related("category", "category__parent", "location", "department")
        .order_by("-created", "-pk")[:COMPLAINTS_SHOWN]
    )
    for order in shown:
        # Answered = closed with the written answer (kpis.ANSWERED); its time as the figure counts it.
        answered = order.closed_at is not None and bool(order.answer)
        order.answer_time = duration_text((order.closed_at - order.created).total_seconds() / 60) if answered else ""
    return shown


def _error_messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "message_dict"):
        return [f"{name}: {message}" for name, messages in exc.message_dict.items() for message in messages]
    return list(exc.messages)


@login_required
@permission_required(SEE, raise_exception=True)
def dashboard(request):
    today = timezone.localdate()
    now = timezone.now()
    filters = _filters(request)
    chosen = dict(filters)
    bar = _filter_options(request.user, chosen)
    context = {
        "title": _("Dashboard"),
        "breadcrumbs": [{"label": _("Insight"), "url": ""}, {"label": _("Dashboard"), "url": ""}],
        "filter_bar": bar,
        "months": _month_choices(today),
        "chosen_month": request.GET.get("month") or f"{today:%Y-%m}",
        "has_filters": bool(filters) or bool(request.GET.get("month")),
    }
    try:
        period, previous = _periods(request.GET.get("month"), today)
        orders = kpis.scoped_orders(request.user, request.GET)
    except ValidationError as exc:
        context["errors"] = _error_messages(exc)
        return render(request, "insight/dashboard.html", context, status=400)

    drill = Drill(filters)
    today_period = Period.day(today)
    today_figures = kpis.summary(orders, today_period, now)
    month = kpis.summary(orders, period, now)
    before = kpis.summary(orders, previous, now)
    group_codes = {option["label"]: option["value"] for option in bar[2]["options"]}
    workers = _workers(kpis.top_workers(orders, period, TOP_WORKERS), period, drill)
    repeats = [
        {**row, "url": drill("repeat_faults", period, location=row["location"]["code"])}
        for row in kpis.repeat_locations(orders, period, limit=TOP_LOCATIONS)
    ]
    complaints = month["complaints"]
    context.update(
        {
            "today": today,
            "period": period,
            "previous": previous,
            "running": period.last == today,
            "today_cards": _today_cards(today_figures, today_period, drill),
            "month_cards": _month_cards(month, before, period, drill),
            "repeats": repeats,
            "repeat_faults": {
                "count": month["repeat_faults"]["count"],
                "rate": rate_text(month["repeat_faults"]["rate"]),
                "url": drill("repeat_faults", period),
            },
            "teams": _teams(kpis.by_team(orders, period, now), period, drill),
            "complaint_figures": {
                "count": complaints["count"],
                "answered": complaints["answered"],
                "answer_avg": duration_text(complaints["answer_avg"]),
                "url": drill("complaints", period),
            },
            "complaints": _complaints(orders, period, now),
            "workers": workers,
            "workload_url": drill("workload", period),
            "chart_data": {
                "labels": _chart_labels(),
                "trend": _trend(kpis.daily(orders, period), drill),
                "categories": _category_mix(month["volume"]["by_category"], group_codes, period, drill),
                "workers": workers,
            },
        }
    )
    return render(request, "insight/dashboard.html", context)
