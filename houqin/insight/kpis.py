"""The KPIs of docs/kpis.md (and shared workorders.md), defined once.

Every page, export, report and API call asks this module; nothing else computes a figure.

A figure is a measure over a *population* of orders: the orders created in the period (volume,
response, arrival, repeat faults, complaints), the orders completed in it (completion time,
on-time, follow-up, satisfaction, rework, first-time fix, workload), or the orders still open at
its end (backlog). `orders_behind(name, …)` returns that population, so every figure drills down
to the list of orders it counts. Aggregation happens in the database: one query per population
for a whole period, one per population for a day-by-day series.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import (
    Avg,
    Case,
    Count,
    DateField,
    DateTimeField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from houqin.insight.filters import KpiFilterSet
from houqin.insight.measures import MinutesBetween, Percentile
from houqin.insight.periods import Period
from houqin.servicedesk.models import OPEN_STATUSES, WorkOrder

# A fault that comes back at the same place within this many days is a repeat fault.
REPEAT_WINDOW = datetime.timedelta(days=30)
# A rating of at least this counts as satisfied.
SATISFIED_RATING = 4


@dataclass(frozen=True)
class Figure:
    name: str
    label: str
    population: str  # "created", "completed" or "backlog"
    help: str


FIGURES = {
    figure.name: figure
    for figure in (
        Figure("volume", _("orders"), "created", _("Orders created in the period.")),
        Figure("response_time", _("response time"), "created", _("Dispatched − created, in minutes.")),
        Figure("arrival_time", _("arrival time"), "created", _("Arrived − created, in minutes.")),
        Figure(
            "completion_time",
            _("completion time"),
            "completed",
            _("Completed − created, in minutes, less time on hold where the category excludes it."),
        ),
        Figure("on_time", _("on time"), "completed", _("Completed orders that met every target that applies.")),
        Figure("late", _("late"), "completed", _("Completed orders that missed a target.")),
        Figure("backlog", _("backlog"), "backlog", _("Orders still open at the end of the period.")),
        Figure("overdue", _("overdue backlog"), "backlog", _("Open orders past a deadline at the end of the period.")),
        Figure(
            "followed_up",
            _("followed up"),
            "completed",
            _("Completed orders the requester rated or was called back on."),
        ),
        Figure("not_followed_up", _("not followed up"), "completed", _("Completed orders without a follow-up yet.")),
        Figure("rated", _("rated"), "completed", _("Completed orders with a rating (1–5).")),
        Figure("dissatisfied", _("dissatisfied"), "completed", _("Completed orders rated below 4.")),
        Figure("reworked", _("reworked"), "completed", _("Completed orders that were reopened at least once.")),
        Figure(
            "first_time_fix",
            _("first-time fix"),
            "completed",
            _("Completed orders never reopened and never held for parts."),
        ),
        Figure(
            "repeat_faults",
            _("repeat faults"),
            "created",
            _("Orders of the same category at the same location within 30 days of a previous one."),
        ),
        Figure("complaints", _("complaints"), "created", _("Complaint and suggestion orders created in the period.")),
        Figure(
            "workload",
            _("workload"),
            "completed",
            _("Completed orders with a worker, weighted by category and difficulty."),
        ),
    )
}


# --- building blocks ------------------------------------------------------------------------------


def scoped_orders(user, params=None) -> QuerySet:
    """The orders the user may count (their scope), narrowed by the KPI filters in `params`
    (a QueryDict or dict). Raises ValidationError naming the parameter when a filter is invalid.

    When the user sees every order and the filters are ones the daily rollup keeps, the queryset
    carries the rollup's selection (`rollup_of`), and the figures of a period are summed from the
    rollup instead of the orders: the same answer, from far fewer rows."""
    from houqin.insight.rollup import Selection

    orders = WorkOrder.objects.for_user(user)
    if params:
        filterset = KpiFilterSet(params, queryset=orders)
        if not filterset.is_valid():
            raise ValidationError(
                {name: [str(message) for message in messages] for name, messages in filterset.errors.items()}
            )
        orders = filterset.qs
    if sees_every_order(user) and Selection.applies(params):
        orders.rollup = Selection(params)
    return orders


def every_order() -> QuerySet:
    """All the hospital's orders (the monthly report's), with the rollup's selection."""
    from houqin.insight.rollup import Selection

    orders = WorkOrder.objects.all()
    orders.rollup = Selection()
    return orders


def sees_every_order(user) -> bool:
    """Whether WorkOrder.objects.for_user(user) is every order."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.has_perm("servicedesk.view_workorder")
        and (user.is_superuser or user.has_perm("servicedesk.view_all_workorders"))
    )


def rollup_of(orders: QuerySet):
    """The rollup selection that stands for exactly these orders, or None. Only the queryset
    scoped_orders / every_order returned carries one: a queryset derived from it (filtered
    further) has none, so it is counted from the orders."""
    return getattr(orders, "rollup", None)


def _in(field: str, period: Period) -> Q:
    return Q(**{f"{field}__gte": period.start, f"{field}__lt": period.end})


def cutoff(period: Period, now: datetime.datetime | None = None) -> datetime.datetime:
    """The moment a period's backlog is taken: its end, or now while it is still running."""
    return min(period.end, now or timezone.now())


def backlog_q(moment: datetime.datetime) -> Q:
    """Orders created before `moment` and neither completed nor cancelled by then. (A reopened
    order has no completion time until it is completed again, so it counts as open.)"""
    # Written as three branches, each with its own "created before": SQLite then reads the three
    # small index ranges (open statuses, completed or cancelled since) instead of every order
    # created before the moment, which is nearly all of them.
    return (
        Q(created__lt=moment, status__in=OPEN_STATUSES)
        | Q(created__lt=moment, completed_at__gte=moment)
        | Q(created__lt=moment, cancelled_at__gte=moment)
    )


def past_deadline_q(moment: datetime.datetime) -> Q:
    """Among orders open at `moment`: a deadline had passed by then without its step done."""
    return (
        Q(completion_due__lt=moment)
        | (Q(response_due__lt=moment) & (Q(dispatched_at__isnull=True) | Q(dispatched_at__gte=moment)))
        | (Q(arrival_due__lt=moment) & (Q(arrived_at__isnull=True) | Q(arrived_at__gte=moment)))
    )


# A target applies when the order has its deadline and reached that step; where hold time does
# not count, the deadlines were already pushed back by it when the order resumed.
LATE = (
    Q(response_due__isnull=False, dispatched_at__isnull=False, dispatched_at__gt=F("response_due"))
    | Q(arrival_due__isnull=False, arrived_at__isnull=False, arrived_at__gt=F("arrival_due"))
    | Q(completion_due__isnull=False, completed_at__gt=F("completion_due"))
)
ON_TIME = ~LATE
FOLLOWED_UP = Q(followed_up_at__isnull=False)
RATED = Q(rating__isnull=False)
SATISFIED = Q(rating__gte=SATISFIED_RATING)
REWORKED = Q(rework_count__gt=0)
FIRST_TIME_FIX = Q(rework_count=0, held_for_parts=False)
COMPLAINT = Q(category__is_complaint=True)
ANSWERED = COMPLAINT & Q(closed_at__isnull=False) & ~Q(answer="")


def response_minutes():
    return MinutesBetween("created", "dispatched_at")


def arrival_minutes():
    return MinutesBetween("created", "arrived_at")


def completion_minutes():
    held = Case(When(category__hold_excluded=True, then=F("held_minutes")), default=Value(0))
    return ExpressionWrapper(MinutesBetween("created", "completed_at") - held, output_field=FloatField())


def answer_minutes():
    """A complaint is answered when it is closed with its written answer."""
    return MinutesBetween("created", "closed_at")


def points():
    """Workload points of one order: the category's weight × the difficulty at completion."""
    return ExpressionWrapper(
        F("category__weight") * F("difficulty"), output_field=DecimalField(max_digits=12, decimal_places=2)
    )


class _DaysBefore(Func):
    """A time so many days earlier. On SQLite with its own date functions, where Django's date
    arithmetic calls a Python function per row (here: per order, in the repeat-fault probe); whole
    days off a UTC time leave its time of day, fraction included, as it was."""

    output_field = DateTimeField()

    def __init__(self, expression, days: int):
        super().__init__(expression)
        self.days = int(days)

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"({sql} - %s)", (*params, datetime.timedelta(days=self.days))

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.get_source_expressions()[0])
        shifted = f"strftime('%%Y-%%m-%%d %%H:%%M:%%S', substr({sql}, 1, 19), '-{self.days} days')"
        return f"({shifted} || substr({sql}, 20))", (*params, *params)


def repeat_q() -> Q:
    """An earlier order (not a merged duplicate) of the same category at the same place within
    the window before this one."""
    earlier = WorkOrder.objects.filter(
        location=OuterRef("location"),
        category=OuterRef("category"),
        created__lt=OuterRef("created"),
        created__gte=_DaysBefore(OuterRef("created"), REPEAT_WINDOW.days),
        duplicate_of__isnull=True,
    )
    return Q(location__isnull=False, duplicate_of__isnull=True) & Q(Exists(earlier))


def created_in(orders: QuerySet, period: Period) -> QuerySet:
    return orders.filter(_in("created", period))


def completed_in(orders: QuerySet, period: Period) -> QuerySet:
    return orders.filter(_in("completed_at", period))


def open_at_end(orders: QuerySet, period: Period, now=None) -> QuerySet:
    return orders.filter(backlog_q(cutoff(period, now)))


def orders_behind(name: str, orders: QuerySet, period: Period, now=None) -> QuerySet:
    """The orders a figure counts (drill-down). Raises KeyError for an unknown figure."""
    figure = FIGURES[name]
    if figure.population == "backlog":
        population = open_at_end(orders, period, now)
        if name == "overdue":
            population = population.filter(past_deadline_q(cutoff(period, now)))
        return population
    if figure.population == "created":
        population = created_in(orders, period)
        narrow = {
            "volume": Q(),
            "response_time": Q(dispatched_at__isnull=False),
            "arrival_time": Q(arrived_at__isnull=False),
            "repeat_faults": repeat_q(),
            "complaints": COMPLAINT,
        }[name]
        return population.filter(narrow)
    narrow = {
        "completion_time": Q(),
        "on_time": ON_TIME,
        "late": LATE,
        "followed_up": FOLLOWED_UP,
        "not_followed_up": ~FOLLOWED_UP,
        "rated": RATED,
        "dissatisfied": RATED & ~SATISFIED,
        "reworked": REWORKED,
        "first_time_fix": FIRST_TIME_FIX,
        "workload": Q(assignee__isnull=False),
    }[name]
    return completed_in(orders, period).filter(narrow)


# --- the figures of a period ------------------------------------------------------------------------


def _duration(prefix: str, minutes, condition: Q | None = None) -> dict:
    return {
        f"{prefix}_count": Count("pk", filter=condition) if condition is not None else Count(minutes),
        f"{prefix}_avg": Avg(minutes, filter=condition),
        f"{prefix}_median": Percentile(minutes, 0.5, filter=condition),
        f"{prefix}_p90": Percentile(minutes, 0.9, filter=condition),
    }


def _times(row: dict, prefix: str) -> dict:
    return {
        "count": row[f"{prefix}_count"] or 0,
        "avg": _round(row[f"{prefix}_avg"]),
        "median": _round(row[f"{prefix}_median"]),
        "p90": _round(row[f"{prefix}_p90"]),
    }


def _round(value, digits: int = 1):
    return None if value is None else round(float(value), digits)


def _rate(part: int, whole: int) -> float | None:
    return None if not whole else round(part / whole, 4)


def created_aggregates() -> dict:
    return {
        "volume": Count("pk"),
        **_duration("response", response_minutes(), Q(dispatched_at__isnull=False)),
        **_duration("arrival", arrival_minutes(), Q(arrived_at__isnull=False)),
        "complaints": Count("pk", filter=COMPLAINT),
        "answered": Count("pk", filter=ANSWERED),
        "answer_avg": Avg(answer_minutes(), filter=ANSWERED),
    }


def completed_aggregates() -> dict:
    return {
        "completed": Count("pk"),
        **_duration("completion", completion_minutes(), Q(pk__isnull=False)),
        "on_time": Count("pk", filter=ON_TIME),
        "followed_up": Count("pk", filter=FOLLOWED_UP),
        "rated": Count("pk", filter=RATED),
        "rating_avg": Avg("rating", filter=RATED),
        "satisfied": Count("pk", filter=SATISFIED),
        "reworked": Count("pk", filter=REWORKED),
        "first_time_fix": Count("pk", filter=FIRST_TIME_FIX),
        "points": Coalesce(
            Sum(points(), filter=Q(assignee__isnull=False)), Value(Decimal(0)), output_field=DecimalField()
        ),
    }


def _created_figures(row: dict, repeats: int, with_location: int) -> dict:
    return {
        "volume": {"count": row["volume"]},
        "response_time": _times(row, "response"),
        "arrival_time": _times(row, "arrival"),
        "repeat_faults": {"count": repeats, "orders": with_location, "rate": _rate(repeats, with_location)},
        "complaints": {
            "count": row["complaints"],
            "answered": row["answered"],
            "answer_avg": _round(row["answer_avg"]),
        },
    }


def _completed_figures(row: dict) -> dict:
    completed = row["completed"] or 0
    return {
        "completed": {"count": completed},
        "completion_time": _times(row, "completion"),
        "on_time": {"count": row["on_time"], "rate": _rate(row["on_time"], completed)},
        "follow_up": {"count": row["followed_up"], "rate": _rate(row["followed_up"], completed)},
        "satisfaction": {
            "rated": row["rated"],
            "average": _round(row["rating_avg"], 2),
            "satisfied": row["satisfied"],
            "satisfied_share": _rate(row["satisfied"], row["rated"]),
        },
        "rework": {"count": row["reworked"], "rate": _rate(row["reworked"], completed)},
        "first_time_fix": {"count": row["first_time_fix"], "rate": _rate(row["first_time_fix"], completed)},
        "workload_points": round(float(row["points"] or 0), 2),
    }


def summary(orders: QuerySet, period: Period, now=None) -> dict:
    """Every KPI of the period over `orders` (already scoped and filtered), keyed by figure name.
    Six queries; over the rollup, three or four."""
    selection = rollup_of(orders)
    if selection is not None:
        return _summary_from_rollup(orders, selection, period, now)
    created = created_in(orders, period)
    created_row = created.aggregate(**created_aggregates())
    repeat_row = created.filter(location__isnull=False, duplicate_of__isnull=True).aggregate(
        orders=Count("pk"), repeats=Count("pk", filter=repeat_q())
    )
    completed_row = completed_in(orders, period).aggregate(**completed_aggregates())
    figures = {
        **_created_figures(created_row, repeat_row["repeats"], repeat_row["orders"]),
        **_completed_figures(completed_row),
        "backlog": _backlog(orders, period, now),
    }
    figures["volume"]["by_channel"] = volume_by(created, "channel")
    figures["volume"]["by_category"] = volume_by(created, "category")
    return figures


def _backlog(orders: QuerySet, period: Period, now=None) -> dict:
    moment = cutoff(period, now)
    row = orders.filter(backlog_q(moment)).aggregate(
        open=Count("pk"), overdue=Count("pk", filter=past_deadline_q(moment))
    )
    return {"open": row["open"], "overdue": row["overdue"]}


def _summary_from_rollup(orders: QuerySet, selection, period: Period, now=None) -> dict:
    from houqin.insight import rollup

    rows = selection.figures(orders, period, by=("category_id", "channel"))
    made = rollup.created_row(rows)
    figures = {
        **_created_figures(made, made["repeats"], made["repeat_base"]),
        **_completed_figures(rollup.completed_row(rows)),
        "backlog": _backlog(orders, period, now),
    }
    figures["volume"]["by_channel"] = _channels(_counts(rows, "channel"))
    figures["volume"]["by_category"] = _categories(_counts(rows, "category_id"))
    return figures


def _counts(rows: list[dict], key: str) -> dict:
    counts: dict = {}
    for row in rows:
        if row["volume"]:
            counts[row[key]] = counts.get(row[key], 0) + row["volume"]
    return counts


def _channels(counts: dict) -> list[dict]:
    from houqin.servicedesk.models import Channel

    labels = dict(Channel.choices)
    return [
        {"key": channel, "label": str(labels.get(channel, channel)), "count": count}
        for channel, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def _categories(counts: dict) -> list[dict]:
    from houqin.servicedesk.models import ServiceCategory

    names = {
        row["pk"]: row
        for row in ServiceCategory.objects.filter(pk__in=list(counts)).values(
            "pk", "code", "name", "name_en", "parent__name"
        )
    }
    rows = sorted(counts.items(), key=lambda item: (-item[1], names[item[0]]["code"]))
    return [
        {
            "key": names[pk]["code"],
            "label": names[pk]["name"],
            "label_en": names[pk]["name_en"],
            "group": names[pk]["parent__name"] or names[pk]["name"],
            "count": count,
        }
        for pk, count in rows
    ]


def compare(orders: QuerySet, period: Period, now=None, previous: Period | None = None) -> dict:
    """The API's answer: the period, its KPIs, and the previous period's (period.previous()
    unless given) for comparison."""
    previous = previous or period.previous()
    return {
        "period": period.as_dict(),
        "kpis": summary(orders, period, now),
        "previous_period": previous.as_dict(),
        "previous": summary(orders, previous, now),
    }


def volume_by(created: QuerySet, dimension: str) -> list[dict]:
    """Orders per channel or per category, most first."""
    if dimension == "channel":
        rows = created.values("channel").annotate(count=Count("pk")).order_by("-count", "channel")
        from houqin.servicedesk.models import Channel

        labels = dict(Channel.choices)
        return [
            {"key": row["channel"], "label": str(labels.get(row["channel"], row["channel"])), "count": row["count"]}
            for row in rows
        ]
    rows = (
        created.values("category__code", "category__name", "category__name_en", "category__parent__name")
        .annotate(count=Count("pk"))
        .order_by("-count", "category__code")
    )
    return [
        {
            "key": row["category__code"],
            "label": row["category__name"],
            "label_en": row["category__name_en"],
            "group": row["category__parent__name"] or row["category__name"],
            "count": row["count"],
        }
        for row in rows
    ]


# --- series and breakdowns (dashboards, performance) -----------------------------------------------


class _ShiftedDate(Func):
    """The local date of a time on SQLite, which keeps times as UTC text: the zone's offset added
    natively, where TruncDate calls a Python function per row. Whole seconds only (SQLite rounds
    a fraction to milliseconds, which could carry a time a hair before midnight into the next
    day); the offset is whole minutes, so the date is the same."""

    output_field = DateField()

    def __init__(self, field: str, minutes: int):
        super().__init__(F(field))
        self.minutes = int(minutes)

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"date(substr({sql}, 1, 19), '{self.minutes:+d} minutes')", params


def _local_day(field: str, orders: QuerySet, period: Period):
    zone = timezone.get_default_timezone()
    if connections[orders.db].vendor == "sqlite":
        # Where the zone keeps one offset all through the period (no daylight saving change).
        offsets = {Period.day(day).start.utcoffset() for day in period.dates()} | {period.end.utcoffset()}
        if len(offsets) == 1:
            return _ShiftedDate(field, offsets.pop().total_seconds() // 60)
    return TruncDate(field, tzinfo=zone)


def daily(orders: QuerySet, period: Period) -> list[dict]:
    """Day by day: volume, response and completion median/p90, on-time rate and satisfaction.
    Two grouped queries; days without orders are present with zeros / None."""
    selection = rollup_of(orders)
    if selection is not None:
        return _daily_from_rollup(orders, selection, period)
    created = (
        created_in(orders, period)
        .annotate(day=_local_day("created", orders, period))
        .values("day")
        .annotate(**created_aggregates())
        .order_by("day")
    )
    completed = (
        completed_in(orders, period)
        .annotate(day=_local_day("completed_at", orders, period))
        .values("day")
        .annotate(**{key: value for key, value in completed_aggregates().items() if key != "points"})
        .order_by("day")
    )
    by_created = {row["day"]: row for row in created}
    by_completed = {row["day"]: row for row in completed}
    series = []
    for day in period.dates():
        made = by_created.get(day)
        done = by_completed.get(day)
        completed_count = done["completed"] if done else 0
        series.append(
            {
                "date": day.isoformat(),
                "volume": made["volume"] if made else 0,
                "response_time": _times(made, "response") if made else _empty_times(),
                "completed": completed_count,
                "completion_time": _times(done, "completion") if done else _empty_times(),
                "on_time_rate": _rate(done["on_time"], completed_count) if done else None,
                "satisfaction": _round(done["rating_avg"], 2) if done else None,
                "satisfied_share": _rate(done["satisfied"], done["rated"]) if done else None,
            }
        )
    return series


def _daily_from_rollup(orders: QuerySet, selection, period: Period) -> list[dict]:
    from houqin.insight import rollup

    by_day: dict = {}
    for row in selection.figures(orders, period, by=("day",), lists=("response_minutes", "completion_minutes")):
        by_day.setdefault(row["day"], []).append(row)
    series = []
    for day in period.dates():
        rows = by_day.get(day, [])
        made, done = rollup.created_row(rows), rollup.completed_row(rows)
        series.append(
            {
                "date": day.isoformat(),
                "volume": made["volume"],
                "response_time": _times(made, "response"),
                "completed": done["completed"],
                "completion_time": _times(done, "completion"),
                "on_time_rate": _rate(done["on_time"], done["completed"]),
                "satisfaction": _round(done["rating_avg"], 2),
                "satisfied_share": _rate(done["satisfied"], done["rated"]),
            }
        )
    return series


def _empty_times() -> dict:
    return {"count": 0, "avg": None, "median": None, "p90": None}


def by_worker(orders: QuerySet, period: Period) -> list[dict]:
    """Per worker, over the orders completed in the period: completed, workload points, on-time,
    rework, follow-up and satisfaction counts; complaints are counted on the orders created in
    the period. Most points first."""
    rows = (
        completed_in(orders, period)
        .filter(assignee__isnull=False)
        .values(
            "assignee", "assignee__name", "assignee__employee_no", "assignee__team__name", "assignee__company__name"
        )
        .annotate(**completed_aggregates())
        .order_by("-points", "assignee__employee_no")
    )
    complaints = dict(
        created_in(orders, period)
        .filter(COMPLAINT, assignee__isnull=False)
        .values("assignee")
        .annotate(count=Count("pk"))
        .values_list("assignee", "count")
    )
    return [
        {
            "worker": {
                "id": row["assignee"],
                "name": row["assignee__name"],
                "employee_no": row["assignee__employee_no"],
                "team": row["assignee__team__name"],
                "company": row["assignee__company__name"],
            },
            **_completed_figures(row),
            "complaints": complaints.get(row["assignee"], 0),
        }
        for row in rows
    ]


def top_workers(orders: QuerySet, period: Period, limit: int) -> list[dict]:
    """The `limit` workers with the most workload points in the period, with by_worker's
    figures of the same name (completed, workload points, on-time) and in its order: the
    dashboard's list, without the figures it does not show."""
    from houqin.org.models import Person

    rows = list(
        completed_in(orders, period)
        .filter(assignee__isnull=False)
        .values("assignee")
        .annotate(
            completed=Count("pk"),
            on_time=Count("pk", filter=ON_TIME),
            points=Coalesce(Sum(points()), Value(Decimal(0)), output_field=DecimalField()),
        )
        .order_by("-points", "assignee__employee_no")[:limit]
    )
    people = Person.objects.filter(pk__in=[row["assignee"] for row in rows]).values(
        "pk", "name", "employee_no", "team__name", "company__name"
    )
    names = {person["pk"]: person for person in people}
    return [
        {
            "worker": {
                "id": row["assignee"],
                "name": names[row["assignee"]]["name"],
                "employee_no": names[row["assignee"]]["employee_no"],
                "team": names[row["assignee"]]["team__name"],
                "company": names[row["assignee"]]["company__name"],
            },
            "completed": {"count": row["completed"]},
            "on_time": {"count": row["on_time"], "rate": _rate(row["on_time"], row["completed"])},
            "workload_points": round(float(row["points"]), 2),
        }
        for row in rows
    ]


def by_team(orders: QuerySet, period: Period, now=None) -> list[dict]:
    """Per team: completed-order figures of the period and the backlog/overdue at its end."""
    # The orders without a team are grouped too and left out here, and on SQLite the backlog is
    # picked by id first: asked for "team is not null" or to group the backlog directly, SQLite
    # reads the whole table in team order instead of the few small index ranges. (PostgreSQL
    # plans the direct query well, and the detour would cost it parallel workers.)
    selection = rollup_of(orders)
    if selection is not None:
        rows = _teams_from_rollup(orders, selection, period)
    else:
        rows = (
            completed_in(orders, period).values("team", "team__code", "team__name").annotate(**completed_aggregates())
        )
    moment = cutoff(period, now)
    open_then = orders.filter(backlog_q(moment))
    if connections[orders.db].vendor == "sqlite":
        open_then = WorkOrder.objects.filter(pk__in=open_then.values("pk"))
    backlog = {
        row["team"]: row
        for row in open_then.values("team", "team__code", "team__name").annotate(
            open=Count("pk"), overdue=Count("pk", filter=past_deadline_q(moment))
        )
        if row["team"] is not None
    }
    teams = {row["team"]: row for row in rows if row["team"] is not None}
    result = []
    for team_id in sorted(set(teams) | set(backlog), key=lambda pk: (teams.get(pk) or backlog.get(pk))["team__code"]):
        row = teams.get(team_id)
        open_row = backlog.get(team_id, {"open": 0, "overdue": 0})
        names = row or backlog[team_id]
        figures = _completed_figures(row) if row else _completed_figures(_zero_completed())
        result.append(
            {
                "team": {"id": team_id, "code": names["team__code"], "name": names["team__name"]},
                **figures,
                "backlog": {"open": open_row["open"], "overdue": open_row["overdue"]},
            }
        )
    return result


def _teams_from_rollup(orders: QuerySet, selection, period: Period) -> list[dict]:
    """by_team's completed-order rows (team, team__code, team__name and completed_aggregates)."""
    from houqin.insight import rollup
    from houqin.org.models import Team

    by_team: dict = {}
    for row in selection.figures(orders, period, by=("team_id",), lists=("completion_minutes",)):
        if row["team_id"] is not None and row["completed"]:
            by_team.setdefault(row["team_id"], []).append(row)
    names = {team["pk"]: team for team in Team.objects.filter(pk__in=list(by_team)).values("pk", "code", "name")}
    return [
        {"team": pk, "team__code": names[pk]["code"], "team__name": names[pk]["name"], **rollup.completed_row(rows)}
        for pk, rows in by_team.items()
    ]


def _zero_completed() -> dict:
    row = dict.fromkeys(completed_aggregates(), 0)
    for prefix in ("completion",):
        row.update({f"{prefix}_avg": None, f"{prefix}_median": None, f"{prefix}_p90": None})
    row["rating_avg"] = None
    return row


def repeat_locations(orders: QuerySet, period: Period, limit: int = 10) -> list[dict]:
    """The places with the most repeat faults created in the period."""
    selection = rollup_of(orders)
    if selection is not None:
        return _repeat_locations_from_rollup(orders, selection, period, limit)
    rows = (
        created_in(orders, period)
        .filter(repeat_q())
        .values("location", "location__code", "location__full_name")
        .annotate(count=Count("pk"))
        .order_by("-count", "location__code")[:limit]
    )
    return [
        {
            "location": {"id": row["location"], "code": row["location__code"], "name": row["location__full_name"]},
            "count": row["count"],
        }
        for row in rows
    ]


def _repeat_locations_from_rollup(orders: QuerySet, selection, period: Period, limit: int) -> list[dict]:
    from houqin.org.models import Location

    counts = selection.repeats(orders, period)
    if not counts:
        return []
    # Ties are ordered by the place's code: fetch the places that can still make the list.
    least = sorted(counts.values(), reverse=True)[: max(limit, 1)][-1]
    places = {
        place["pk"]: place
        for place in Location.objects.filter(pk__in=[pk for pk, count in counts.items() if count >= least]).values(
            "pk", "code", "full_name"
        )
    }
    ranked = sorted(places, key=lambda pk: (-counts[pk], places[pk]["code"]))[:limit]
    return [
        {
            "location": {"id": pk, "code": places[pk]["code"], "name": places[pk]["full_name"]},
            "count": counts[pk],
        }
        for pk in ranked
    ]


# --- the live picture (big screen) ---------------------------------------------------------------


def by_status(orders: QuerySet) -> dict[str, int]:
    """How many of these orders are in each status now (status → count, statuses without orders
    left out). One query; pass e.g. created_in(orders, Period.today()) for today's orders."""
    return dict(orders.order_by().values("status").annotate(count=Count("pk")).values_list("status", "count"))


def overdue_minutes(order: WorkOrder, moment: datetime.datetime) -> int:
    """How long an open order has been past a deadline at `moment`, in whole minutes: since the
    first deadline whose step was not done by then (the same rule as past_deadline_q); 0 when
    none has passed."""
    missed = []
    if (
        order.response_due
        and order.response_due < moment
        and (not order.dispatched_at or order.dispatched_at >= moment)
    ):
        missed.append(order.response_due)
    if order.arrival_due and order.arrival_due < moment and (not order.arrived_at or order.arrived_at >= moment):
        missed.append(order.arrival_due)
    if order.completion_due and order.completion_due < moment:
        missed.append(order.completion_due)
    return int((moment - min(missed)).total_seconds() // 60) if missed else 0


def backlog_by_place(orders: QuerySet, places, now=None) -> list[dict]:
    """Open and overdue orders now within each of `places` (locations, e.g. the buildings of a
    site: a place counts the orders of its whole subtree), in the order given, plus one last row
    with place None for the open orders under none of them (or without a location). One query:
    the backlog grouped by location, summed up the tree here."""
    moment = cutoff(Period.today(), now)
    rows = (
        orders.filter(backlog_q(moment))
        .order_by()
        .values("location__tree_path")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=past_deadline_q(moment)))
    )
    places = list(places)
    totals = {place.pk: {"place": place, "open": 0, "overdue": 0} for place in places}
    elsewhere = {"place": None, "open": 0, "overdue": 0}
    # The deepest place first, so that a place inside another counts only once, in the inner one.
    by_depth = sorted(places, key=lambda place: len(place.tree_path), reverse=True)
    for row in rows:
        path = row["location__tree_path"] or ""
        target = next((totals[p.pk] for p in by_depth if path and path.startswith(p.tree_path)), elsewhere)
        target["open"] += row["open"]
        target["overdue"] += row["overdue"]
    return [totals[place.pk] for place in places] + [elsewhere]


def complaints_by_team(orders: QuerySet, period: Period) -> dict[int, int]:
    """Complaint orders created in the period, per team they were handed to (team id → count): a
    team's complaints, as by_worker's `complaints` are a worker's."""
    return dict(
        created_in(orders, period)
        .filter(COMPLAINT, team__isnull=False)
        .order_by()
        .values("team")
        .annotate(count=Count("pk"))
        .values_list("team", "count")
    )


# --- one order (the monthly report's lists) ---------------------------------------------------------

TARGETS = (
    ("response", "response_due", "dispatched_at"),
    ("arrival", "arrival_due", "arrived_at"),
    ("completion", "completion_due", "completed_at"),
)


def missed_targets(order: WorkOrder, moment: datetime.datetime | None = None) -> list[str]:
    """The targets ("response", "arrival", "completion") an order missed: its step done after the
    deadline (the rule of LATE), or, given `moment`, not done by then with the deadline passed
    (the rule of past_deadline_q, for an order open at `moment`)."""
    missed = []
    for target, due_field, done_field in TARGETS:
        due, done = getattr(order, due_field), getattr(order, done_field)
        if due is None:
            continue
        if done is not None and (moment is None or done < moment):
            if done > due:
                missed.append(target)
        elif moment is not None and due < moment:
            missed.append(target)
    return missed
