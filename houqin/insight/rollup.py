"""The daily rollup: the KPIs' sums per local day, category, site, team and channel.

A month of KPIs over the orders means grouping some 25,000 orders several times over; over the
rollup it means reading a few thousand rows. docs/kpis.md ("Daily rollup") explains it; in short:

- **Rows** (models.DayFigures, DayRepeats) are computed from the orders by `compute()` and by
  nothing else, with the expressions of houqin.insight.kpis, so a row holds exactly what a
  recount would give. Durations are kept as their values (not only sums), so medians and 90th
  percentiles stay exact.
- **Marks.** Whatever changes an order's figures (every save of an order that touches a field the
  KPIs read, its deletion, a category's weight, hold or complaint setting, a place or department
  moving to another site) writes a RollupMark for the (day, category) units it affects, in the
  same transaction. Writers never lock or rewrite rollup rows, so they never wait on each other.
- **Fold.** The scheduler's job `insight.fold_rollup` (every minute) recomputes the marked units
  and removes their marks, one folder at a time.
- **Read.** A reader takes the marks of its period first, then the rows, and recomputes the
  marked units from the orders on the spot: the answer equals a full recount at every moment,
  whether or not the folder has run. Only the current day is usually marked, so that costs one
  small query.

The rollup answers for the whole hospital's orders narrowed by site, team, category and channel
(`Selection`); any other filter or a narrower scope is counted from the orders directly.
"""

import datetime
import itertools
import json
import math
from collections import defaultdict
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Aggregate, Count, F, FloatField, IntegerField, Max, Min, Q, QuerySet, Sum, TextField
from django.db.models.functions import Cast, Coalesce
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone

from houqin.insight import kpis
from houqin.insight.measures import percentile_of_sorted
from houqin.insight.models import DayFigures, DayRepeats, RollupMark
from houqin.insight.periods import Period
from houqin.servicedesk.models import ServiceCategory, WorkOrder

# The order fields the KPIs read (kpis.py). A save that names none of them leaves the figures as
# they were (e.g. the SLA sweep's level, a new version number, the public token).
COUNTED_FIELDS = frozenset(
    {
        "created",
        "category",
        "location",
        "department",
        "team",
        "assignee",
        "channel",
        "duplicate_of",
        "dispatched_at",
        "arrived_at",
        "completed_at",
        "followed_up_at",
        "closed_at",
        "answer",
        "response_due",
        "arrival_due",
        "completion_due",
        "held_minutes",
        "held_for_parts",
        "difficulty",
        "rework_count",
        "rating",
    }
)
# What the repeat-fault rule reads: a change of these changes the later orders' figures too.
REPEAT_FIELDS = ("created", "category_id", "location_id", "duplicate_of_id")
# The category settings the figures read.
CATEGORY_FIELDS = ("weight", "hold_excluded", "is_complaint")
# The filters the rollup can answer (the others need the orders themselves).
ROLLUP_FILTERS = frozenset({"site", "team", "category", "channel"})
# Marks folded per run (the next run takes the rest).
FOLD_BATCH = 5000
# An arbitrary number naming the fold's PostgreSQL advisory lock.
FOLD_LOCK = 4_482_716


class ValueList(Aggregate):
    """The non-NULL values of an expression as a JSON array (text), every float written so it
    reads back as the same double: medians are taken in Python from these exactly as the
    database's percentile_cont would take them."""

    output_field = TextField()
    allow_distinct = False

    def __init__(self, expression, filter=None, **extra):
        super().__init__(expression, filter=filter, **extra)

    def _inner(self, compiler):
        inner, params = compiler.compile(self.get_source_expressions()[0])
        if self.filter is not None:
            condition, condition_params = compiler.compile(self.filter)
            inner = f"CASE WHEN {condition} THEN {inner} END"
            params = (*condition_params, *params)
        return inner, tuple(params)

    def as_sql(self, compiler, connection, **extra):
        inner, params = self._inner(compiler)
        # float8's text form is the shortest that reads back exactly (PostgreSQL 12 and later).
        return f"array_to_json(array_remove(array_agg({inner}), NULL))::text", params

    def as_sqlite(self, compiler, connection, **extra):
        inner, params = self._inner(compiler)
        # 17 significant digits read back as the same double; "!" lifts printf's limit of 16.
        text = f"printf('%%!.17g', {inner})"
        return f"('[' || group_concat(CASE WHEN {inner} IS NOT NULL THEN {text} END, ',') || ']')", (
            *params,
            *params,
        )


class JoinedArrays(Aggregate):
    """The rows' JSON arrays (text) joined into the inside of one array: "1.5,2,7.25" (NULL
    when all are empty)."""

    output_field = TextField()
    allow_distinct = False

    def as_sql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.get_source_expressions()[0])
        inside = f"NULLIF(substr({column}, 2, length({column}) - 2), '')"
        return f"string_agg({inside}, ',')", params * 3

    def as_sqlite(self, compiler, connection, **extra):
        column, params = compiler.compile(self.get_source_expressions()[0])
        inside = f"NULLIF(substr({column}, 2, length({column}) - 2), '')"
        return f"group_concat({inside}, ',')", params * 3


def _as_float(expression):
    return Cast(expression, FloatField())


def site_of_order():
    """The order's site as the site filter reads it: its place's, else its department's."""
    return Coalesce(F("location__site"), F("department__site"), output_field=IntegerField())


CREATED = {
    "volume": lambda: Count("pk"),
    "response_minutes": lambda: ValueList(_as_float(kpis.response_minutes()), filter=Q(dispatched_at__isnull=False)),
    "arrival_minutes": lambda: ValueList(_as_float(kpis.arrival_minutes()), filter=Q(arrived_at__isnull=False)),
    "complaints": lambda: Count("pk", filter=kpis.COMPLAINT),
    "answered": lambda: Count("pk", filter=kpis.ANSWERED),
    "answer_minutes": lambda: Sum(_as_float(kpis.answer_minutes()), filter=kpis.ANSWERED),
    "repeat_base": lambda: Count("pk", filter=Q(location__isnull=False, duplicate_of__isnull=True)),
    "repeats": lambda: Count("pk", filter=kpis.repeat_q()),
}
COMPLETED = {
    "completed": lambda: Count("pk"),
    "completion_minutes": lambda: ValueList(_as_float(kpis.completion_minutes())),
    "on_time": lambda: Count("pk", filter=kpis.ON_TIME),
    "followed_up": lambda: Count("pk", filter=kpis.FOLLOWED_UP),
    "rated": lambda: Count("pk", filter=kpis.RATED),
    "rating_sum": lambda: Sum("rating", filter=kpis.RATED),
    "satisfied": lambda: Count("pk", filter=kpis.SATISFIED),
    "reworked": lambda: Count("pk", filter=kpis.REWORKED),
    "first_time_fix": lambda: Count("pk", filter=kpis.FIRST_TIME_FIX),
    "points": lambda: Sum(kpis.points(), filter=Q(assignee__isnull=False)),
}
LISTS = ("response_minutes", "arrival_minutes", "completion_minutes")
KEY = ("day", "category_id", "site_id", "team_id", "channel")


def empty_row(key: tuple) -> dict:
    row = dict(zip(KEY, key, strict=True))
    row.update({name: "[]" if name in LISTS else 0 for name in (*CREATED, *COMPLETED)})
    row["points"] = Decimal(0)
    row["answer_minutes"] = 0.0
    return row


# --- computing rows from the orders ---------------------------------------------------------------


def _within(field: str, period: Period, units: dict | None) -> Q:
    """Orders whose `field` falls in the period, or only in its (day, categories) units."""
    if units is None:
        return kpis._in(field, period)
    condition = Q(pk__in=[])
    for day, categories in sorted(units.items()):
        condition |= kpis._in(field, Period.day(day)) & Q(category_id__in=sorted(categories))
    return condition


def _units_q(units: dict) -> Q:
    """Rollup rows of the units {day: set of category ids}."""
    condition = Q(pk__in=[])
    for day, categories in units.items():
        condition |= Q(day=day, category_id__in=sorted(categories))
    return condition


def _grouped(orders: QuerySet, field: str, period: Period, units: dict | None, *extra: str) -> QuerySet:
    """The orders whose `field` falls in the period (or its units), grouped by KEY (and `extra`)."""
    return (
        orders.filter(_within(field, period, units))
        .annotate(day=kpis._local_day(field, orders, period), site_id=site_of_order())
        .order_by()
        .values(*KEY, *extra)
    )


def compute(orders: QuerySet, period: Period, units: dict | None = None) -> dict[tuple, dict]:
    """The DayFigures values of `orders` for the period (at most MAX_DAYS), or only for its units
    {day: set of category ids}, by key. Two grouped queries."""
    if units is not None and not units:
        return {}
    rows: dict[tuple, dict] = {}
    empty = empty_row((None,) * len(KEY))
    for field, aggregates in (("created", CREATED), ("completed_at", COMPLETED)):
        for found in _grouped(orders, field, period, units).annotate(**{n: make() for n, make in aggregates.items()}):
            key = tuple(found[name] for name in KEY)
            if key not in rows:
                rows[key] = empty_row(key)
            row = rows[key]
            for name in aggregates:
                value = found[name]
                if name == "points":
                    value = Decimal(value or 0)
                elif name == "answer_minutes":
                    value = float(value or 0)
                row[name] = value or empty[name]
    return rows


def compute_repeats(orders: QuerySet, period: Period, units: dict | None = None) -> list[dict]:
    """The DayRepeats values of `orders` for the period (or only its units). One query."""
    if units is not None and not units:
        return []
    repeats = _grouped(orders.filter(kpis.repeat_q()), "created", period, units, "location_id")
    return list(repeats.annotate(count=Count("pk")))


def _months(first: datetime.date, last: datetime.date):
    """Periods of at most a month covering first..last."""
    day = first
    while day <= last:
        end = min(Period.month_of(day).last, last)
        yield Period(day, end)
        day = end + datetime.timedelta(days=1)


def _replace(period: Period, units: dict | None) -> int:
    """Recompute and store the rows of the period (or of its units). Returns rows written."""
    orders = WorkOrder.objects.all()
    figures, repeats = compute(orders, period, units), compute_repeats(orders, period, units)
    if units is None:
        stale = Q(day__gte=period.first, day__lte=period.last)
    else:
        stale = _units_q(units)
    DayFigures.objects.filter(stale).delete()
    DayRepeats.objects.filter(stale).delete()
    DayFigures.objects.bulk_create([DayFigures(**row) for row in figures.values()], batch_size=2000)
    DayRepeats.objects.bulk_create([DayRepeats(**row) for row in repeats], batch_size=2000)
    return len(figures)


def _lock() -> None:
    """One folder (or rebuild) at a time: on PostgreSQL a transaction-scoped advisory lock; SQLite
    writes one transaction at a time anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FOLD_LOCK])


def _order_days(categories=None) -> tuple[datetime.date, datetime.date] | None:
    orders = WorkOrder.objects.all()
    if categories is not None:
        orders = orders.filter(category_id__in=categories)
    bounds = orders.aggregate(first=Min("created"), last_created=Max("created"), last_completed=Max("completed_at"))
    if bounds["first"] is None:
        return None
    last = max(moment for moment in (bounds["last_created"], bounds["last_completed"]) if moment is not None)
    return timezone.localdate(bounds["first"]), timezone.localdate(last)


def rebuild() -> int:
    """Recompute every row from the orders (after a bulk load); the marks written before are
    settled by it. Returns the rows written."""
    with transaction.atomic():
        _lock()
        settled = list(RollupMark.objects.values_list("pk", flat=True))
        DayFigures.objects.all().delete()
        DayRepeats.objects.all().delete()
        written = 0
        span = _order_days()
        if span is not None:
            for period in _months(*span):
                written += _replace(period, None)
        RollupMark.objects.filter(pk__in=settled).delete()
        return written


def fold(batch: int = FOLD_BATCH) -> int:
    """Recompute the units marked so far (up to `batch` marks) and remove their marks. Returns the
    marks settled."""
    with transaction.atomic():
        _lock()
        marks = list(RollupMark.objects.order_by("pk").values_list("pk", "day", "category_id")[:batch])
        if not marks:
            return 0
        whole = {category for _pk, day, category in marks if day is None}
        by_day: dict[datetime.date, set] = defaultdict(set)
        for _pk, day, category in marks:
            if day is not None and category not in whole:
                by_day[day].add(category)
        if whole:
            span = _order_days(whole)
            DayFigures.objects.filter(category_id__in=whole).delete()
            DayRepeats.objects.filter(category_id__in=whole).delete()
            if span is not None:
                for period in _months(*span):
                    _replace(period, dict.fromkeys(period.dates(), whole))
        for period in _months(min(by_day), max(by_day)) if by_day else ():
            units = {day: categories for day, categories in by_day.items() if period.first <= day <= period.last}
            if units:
                _replace(period, units)
        RollupMark.objects.filter(pk__in=[pk for pk, _day, _category in marks]).delete()
        return len(marks)


# --- marking what changed -------------------------------------------------------------------------


def _day(moment) -> datetime.date | None:
    return None if moment is None else timezone.localdate(moment)


def _units_of(state: dict) -> set[tuple]:
    """The (day, category) units an order's figures fall in: its creation day's and its
    completion day's."""
    return {
        (_day(state[field]), state["category_id"])
        for field in ("created", "completed_at")
        if state.get(field) is not None and state.get("category_id") is not None
    }


def _later_repeats(state: dict) -> set[tuple]:
    """The units of the orders whose repeat fault this order's existence decides: the same
    category at the same place, created within the window after it."""
    if state.get("location_id") is None or state.get("created") is None or state.get("category_id") is None:
        return set()
    later = WorkOrder.objects.filter(
        location_id=state["location_id"],
        category_id=state["category_id"],
        created__gt=state["created"],
        created__lte=state["created"] + kpis.REPEAT_WINDOW,
    ).values_list("created", flat=True)
    return {(_day(created), state["category_id"]) for created in later}


def mark(units) -> None:
    RollupMark.objects.bulk_create(
        [RollupMark(day=day, category_id=category) for day, category in sorted(units, key=str)]
    )


STATE_FIELDS = ("created", "completed_at", *REPEAT_FIELDS[1:])


def _state(order: WorkOrder) -> dict:
    return {
        "created": order.created,
        "completed_at": order.completed_at,
        "category_id": order.category_id,
        "location_id": order.location_id,
        "duplicate_of_id": order.duplicate_of_id,
    }


def _counted(update_fields) -> bool:
    return update_fields is None or bool(COUNTED_FIELDS.intersection(update_fields))


def _before_order_save(sender, instance: WorkOrder, update_fields=None, raw=False, **kwargs):
    instance._rollup_before = None
    if instance.pk is None or not _counted(update_fields):
        return
    instance._rollup_before = WorkOrder.objects.filter(pk=instance.pk).values(*STATE_FIELDS).first()


def _after_order_save(sender, instance: WorkOrder, created=False, update_fields=None, raw=False, **kwargs):
    if not created and not _counted(update_fields):
        return
    after = _state(instance)
    before = getattr(instance, "_rollup_before", None)
    units = _units_of(after)
    if before:
        units |= _units_of(before)
    if created or before is None or any(before[field] != after[field] for field in REPEAT_FIELDS):
        units |= _later_repeats(after)
        if before:
            units |= _later_repeats(before)
    mark(units)


def _after_order_delete(sender, instance: WorkOrder, **kwargs):
    state = _state(instance)
    mark(_units_of(state) | _later_repeats(state))


def _before_category_save(sender, instance: ServiceCategory, raw=False, **kwargs):
    instance._rollup_settings = (
        ServiceCategory.objects.filter(pk=instance.pk).values(*CATEGORY_FIELDS).first() if instance.pk else None
    )


def _after_category_save(sender, instance: ServiceCategory, created=False, **kwargs):
    before = getattr(instance, "_rollup_settings", None)
    if before and any(before[field] != getattr(instance, field) for field in CATEGORY_FIELDS):
        RollupMark.objects.create(day=None, category_id=instance.pk)


def mark_orders(orders: QuerySet) -> None:
    """Mark the units of these orders (a place or department moved to another site)."""
    units = set()
    for created, completed_at, category_id in orders.values_list("created", "completed_at", "category_id").iterator():
        units |= _units_of({"created": created, "completed_at": completed_at, "category_id": category_id})
    mark(units)


def _before_site_holder_save(sender, instance, raw=False, **kwargs):
    instance._rollup_site = (
        sender.objects.filter(pk=instance.pk).values_list("site_id", flat=True).first() if instance.pk else None
    )


def _after_location_save(sender, instance, created=False, **kwargs):
    if not created and getattr(instance, "_rollup_site", None) != instance.site_id:
        mark_orders(WorkOrder.objects.filter(location=instance))


def _after_department_save(sender, instance, created=False, **kwargs):
    if not created and getattr(instance, "_rollup_site", None) != instance.site_id:
        mark_orders(WorkOrder.objects.filter(department=instance, location__isnull=True))


def _after_bulk_write(sender, **kwargs):
    rebuild()


def connect() -> None:
    from houqin.org.models import Department, Location
    from houqin.servicedesk.services import orders_written_in_bulk

    uid = "houqin-insight-rollup"
    pre_save.connect(_before_order_save, sender=WorkOrder, dispatch_uid=f"{uid}-order-pre")
    post_save.connect(_after_order_save, sender=WorkOrder, dispatch_uid=f"{uid}-order-post")
    post_delete.connect(_after_order_delete, sender=WorkOrder, dispatch_uid=f"{uid}-order-delete")
    pre_save.connect(_before_category_save, sender=ServiceCategory, dispatch_uid=f"{uid}-category-pre")
    post_save.connect(_after_category_save, sender=ServiceCategory, dispatch_uid=f"{uid}-category-post")
    for model, after in ((Location, _after_location_save), (Department, _after_department_save)):
        pre_save.connect(_before_site_holder_save, sender=model, dispatch_uid=f"{uid}-{model.__name__}-pre")
        post_save.connect(after, sender=model, dispatch_uid=f"{uid}-{model.__name__}-post")
    orders_written_in_bulk.connect(_after_bulk_write, dispatch_uid=f"{uid}-bulk")


# --- reading ---------------------------------------------------------------------------------------


class Selection:
    """The rollup rows that stand for one set of orders: every order, narrowed by the filters the
    rollup keeps (site, team, category, channel). Attached by kpis.scoped_orders to the queryset
    it returns (`kpis.rollup_of`), read once per period and kept for the request."""

    def __init__(self, params=None):
        self.params = params or {}
        self._cache: dict = {}

    @staticmethod
    def applies(params) -> bool:
        if not params:
            return True
        from houqin.insight.filters import FILTER_NAMES

        used = {name for name in FILTER_NAMES if any(value not in (None, "") for value in _getlist(params, name))}
        return used <= ROLLUP_FILTERS

    def _stored(self, model, period: Period) -> QuerySet:
        from houqin.insight.filters import RollupFilterSet

        rows = model.objects.filter(day__gte=period.first, day__lte=period.last)
        return RollupFilterSet(self.params, queryset=rows).qs if self.params else rows

    def _marked(self, period: Period) -> dict:
        """{day: categories} of the period's marks (read before the rows: a fold that ends
        between the two reads then leaves rows that are recomputed anyway)."""
        key = ("marked", period)
        if key in self._cache:
            return self._cache[key]
        units: dict[datetime.date, set] = {}
        whole = set()
        for day, category in RollupMark.objects.filter(
            Q(day__gte=period.first, day__lte=period.last) | Q(day__isnull=True)
        ).values_list("day", "category_id"):
            if day is None:
                whole.add(category)
            else:
                units.setdefault(day, set()).add(category)
        if whole:
            for day in period.dates():
                units[day] = units.get(day, set()) | whole
        self._cache[key] = units
        return units

    def _unmarked(self, model, period: Period) -> QuerySet:
        """The stored rows of the period outside the marked units."""
        rows = self._stored(model, period)
        marked = self._marked(period)
        return rows.exclude(_units_q(marked)) if marked else rows

    def _fresh(self, orders: QuerySet, period: Period) -> list[dict]:
        """The rows of the marked units, recomputed from `orders`."""
        key = ("fresh", period)
        if key not in self._cache:
            self._cache[key] = list(compute(orders, period, self._marked(period)).values())
        return self._cache[key]

    def figures(self, orders: QuerySet, period: Period, by: tuple = KEY, lists: tuple = LISTS) -> list[dict]:
        """The period's sums grouped by the columns `by` (any of KEY), the duration values of
        `lists` as Python lists (the others empty): the stored rows summed in the database, the
        marked units recomputed from `orders` and added. Kept for the request per question."""
        key = ("figures", period, by, lists)
        if key in self._cache:
            return self._cache[key]
        sums = {name: Sum(name) for name in (*CREATED, *COMPLETED) if name not in LISTS}
        joined = {name: JoinedArrays(name) for name in lists}
        names = (*by, *sums, *joined)
        grouped: dict[tuple, dict] = {}
        for values in (
            self._unmarked(DayFigures, period).order_by().values(*by).annotate(**sums, **joined).values_list(*names)
        ):
            grouped[values[: len(by)]] = dict(zip(names, values, strict=True))
        for row in self._fresh(orders, period):
            group = tuple(row[name] for name in by)
            into = grouped.get(group)
            if into is None:
                grouped[group] = {
                    **{name: row[name] for name in (*by, *sums)},
                    **{name: row[name][1:-1] for name in joined},
                }
                continue
            for name in sums:
                into[name] = (into[name] or 0) + row[name]
            for name in joined:
                into[name] = ",".join(part for part in (into[name], row[name][1:-1]) if part)
        rows = list(grouped.values())
        for row in rows:
            for name in sums:
                if row[name] is None:
                    row[name] = 0
        # Every group's values in one parse.
        for name in LISTS:
            if name in joined:
                arrays = ",".join("[" + (row[name] or "") + "]" for row in rows)
                parsed = json.loads(f"[{arrays}]")
                for row, values in zip(rows, parsed, strict=True):
                    row[name] = values
            else:
                for row in rows:
                    row[name] = []
        self._cache[key] = rows
        return rows

    def repeats(self, orders: QuerySet, period: Period) -> dict[int, int]:
        """Repeat faults created in the period per place (location id → count): the stored rows
        summed in the database, the marked units recomputed from `orders`."""
        key = ("repeats", period)
        if key not in self._cache:
            marked = self._marked(period)
            counts = dict(
                self._unmarked(DayRepeats, period)
                .order_by()
                .values("location_id")
                .annotate(total=Sum("count"))
                .values_list("location_id", "total")
            )
            for row in compute_repeats(orders, period, marked):
                counts[row["location_id"]] = counts.get(row["location_id"], 0) + row["count"]
            self._cache[key] = counts
        return self._cache[key]


def _getlist(params, name):
    if hasattr(params, "getlist"):
        return params.getlist(name)
    value = params.get(name)
    return value if isinstance(value, list | tuple) else [value]


# --- sums of rows ----------------------------------------------------------------------------------


def _times(prefix: str, lists) -> dict:
    values = sorted(itertools.chain.from_iterable(lists))
    return {
        f"{prefix}_count": len(values),
        f"{prefix}_avg": math.fsum(values) / len(values) if values else None,
        f"{prefix}_median": percentile_of_sorted(values, 0.5),
        f"{prefix}_p90": percentile_of_sorted(values, 0.9),
    }


def created_row(rows: list[dict]) -> dict:
    """The values kpis.created_aggregates() gives, summed from rollup rows."""
    answered = sum(row["answered"] for row in rows)
    return {
        "volume": sum(row["volume"] for row in rows),
        **_times("response", (row["response_minutes"] for row in rows)),
        **_times("arrival", (row["arrival_minutes"] for row in rows)),
        "complaints": sum(row["complaints"] for row in rows),
        "answered": answered,
        "answer_avg": math.fsum(row["answer_minutes"] for row in rows) / answered if answered else None,
        "repeat_base": sum(row["repeat_base"] for row in rows),
        "repeats": sum(row["repeats"] for row in rows),
    }


def completed_row(rows: list[dict]) -> dict:
    """The values kpis.completed_aggregates() gives, summed from rollup rows."""
    rated = sum(row["rated"] for row in rows)
    return {
        "completed": sum(row["completed"] for row in rows),
        **_times("completion", (row["completion_minutes"] for row in rows)),
        "on_time": sum(row["on_time"] for row in rows),
        "followed_up": sum(row["followed_up"] for row in rows),
        "rated": rated,
        "rating_avg": sum(row["rating_sum"] for row in rows) / rated if rated else None,
        "satisfied": sum(row["satisfied"] for row in rows),
        "reworked": sum(row["reworked"] for row in rows),
        "first_time_fix": sum(row["first_time_fix"] for row in rows),
        "points": sum((Decimal(row["points"]) for row in rows), Decimal(0)),
    }


__all__ = [
    "Selection",
    "compute",
    "completed_row",
    "connect",
    "created_row",
    "fold",
    "mark",
    "mark_orders",
    "rebuild",
]
