"""What the KPI API answers. Every figure has its own type, so the OpenAPI schema says what each
number means; the values themselves come from houqin.insight.kpis (docs/kpis.md explains them).

Durations are minutes; rates are fractions between 0 and 1 (null when nothing was counted)."""

import datetime

from ninja import Field, Schema

from houqin.servicedesk.schemas import WorkOrderItem

# ---------------------------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------------------------


class PeriodOut(Schema):
    start: datetime.date = Field(description="first day (local, Asia/Shanghai by default)")
    end: datetime.date = Field(description="last day, inclusive")
    days: int


class TimesOut(Schema):
    """A duration over the orders that reached the step, in minutes."""

    count: int = Field(description="orders measured")
    avg: float | None = Field(description="average, minutes")
    median: float | None = Field(description="median, minutes")
    p90: float | None = Field(description="90th percentile, minutes")


class CountOut(Schema):
    count: int


class RateOut(Schema):
    count: int = Field(description="orders that meet the figure")
    rate: float | None = Field(description="count / orders completed in the period (0–1)")


class ChannelVolumeOut(Schema):
    key: str = Field(description="phone, web, mobile, qr, api, patrol or pm")
    label: str
    count: int


class CategoryVolumeOut(Schema):
    key: str = Field(description="the category's code")
    label: str
    label_en: str
    group: str = Field(description="the category's group (its parent), or the category itself")
    count: int


class VolumeOut(Schema):
    count: int = Field(description="orders created in the period")
    by_channel: list[ChannelVolumeOut] = Field(description="most first")
    by_category: list[CategoryVolumeOut] = Field(description="most first")


class RepeatFaultsOut(Schema):
    count: int = Field(
        description="orders created in the period of a category and location that had another order in the 30 days "
        "before"
    )
    orders: int = Field(description="orders created in the period with a location (the base of the rate)")
    rate: float | None


class ComplaintsOut(Schema):
    count: int = Field(description="complaint and suggestion orders created in the period")
    answered: int = Field(description="of them, closed with a written answer")
    answer_avg: float | None = Field(description="average minutes from creation to the closing answer")


class SatisfactionOut(Schema):
    rated: int = Field(description="completed orders with a rating")
    average: float | None = Field(description="average rating, 1–5")
    satisfied: int = Field(description="ratings of 4 or 5")
    satisfied_share: float | None = Field(description="satisfied / rated")


class BacklogOut(Schema):
    open: int = Field(description="orders open at the end of the period (or now, while it runs)")
    overdue: int = Field(description="of them, past a deadline at that moment")


class CompletedFiguresOut(Schema):
    """The figures of the orders completed in the period (also per worker and per team)."""

    completed: CountOut
    completion_time: TimesOut = Field(description="completed − created, less hold time where the category excludes it")
    on_time: RateOut = Field(description="completed orders that met every target that applies")
    follow_up: RateOut = Field(description="completed orders followed up (rated or called back)")
    satisfaction: SatisfactionOut
    rework: RateOut = Field(description="completed orders reopened at least once")
    first_time_fix: RateOut = Field(description="completed orders never reopened and never held for parts")
    workload_points: float = Field(description="Σ category weight × difficulty over completed orders with a worker")


class KpisOut(Schema):
    """Every KPI of one period: over the orders created in it, completed in it, open at its end."""

    volume: VolumeOut
    response_time: TimesOut = Field(description="dispatched − created, over orders created in the period")
    arrival_time: TimesOut = Field(description="arrived − created, over orders created in the period")
    repeat_faults: RepeatFaultsOut
    complaints: ComplaintsOut
    completed: CountOut = Field(description="orders completed in the period")
    completion_time: TimesOut = Field(description="completed − created, less hold time where the category excludes it")
    on_time: RateOut = Field(description="completed orders that met every target that applies")
    follow_up: RateOut = Field(description="completed orders followed up (rated or called back)")
    satisfaction: SatisfactionOut
    rework: RateOut = Field(description="completed orders reopened at least once")
    first_time_fix: RateOut = Field(description="completed orders never reopened and never held for parts")
    workload_points: float = Field(description="Σ category weight × difficulty over completed orders with a worker")
    backlog: BacklogOut


class KpiComparisonOut(Schema):
    period: PeriodOut
    kpis: KpisOut
    previous_period: PeriodOut = Field(
        description="the previous calendar month for a whole month, else as many days just before"
    )
    previous: KpisOut


# ---------------------------------------------------------------------------------------------
# Series
# ---------------------------------------------------------------------------------------------


class SeriesPointOut(Schema):
    date: datetime.date
    value: TimesOut | int | float | None = Field(
        description="a count (volume, completed), a duration object (response_time, completion_time) or a "
        "fraction / average rating (on_time_rate, satisfaction, satisfied_share; null on a day without any)"
    )


class SeriesOut(Schema):
    kpi: str
    interval: str
    period: PeriodOut
    items: list[SeriesPointOut] = Field(description="one per day of the period, days without orders included")


# ---------------------------------------------------------------------------------------------
# Workers and teams
# ---------------------------------------------------------------------------------------------


class WorkerOut(Schema):
    id: int
    name: str
    employee_no: str
    team: str | None
    company: str | None


class _WorkerHead(Schema):
    worker: WorkerOut


class WorkerKpisOut(CompletedFiguresOut, _WorkerHead):
    complaints: int = Field(description="complaint orders created in the period and assigned to the worker")


class TeamOut(Schema):
    id: int
    code: str
    name: str


class _TeamHead(Schema):
    team: TeamOut


class TeamKpisOut(CompletedFiguresOut, _TeamHead):
    backlog: BacklogOut = Field(description="the team's orders open at the period's end (or now, while it runs)")


class WorkerKpisPage(Schema):
    count: int
    period: PeriodOut
    items: list[WorkerKpisOut] = Field(description="most workload points first")


class TeamKpisPage(Schema):
    count: int
    period: PeriodOut
    items: list[TeamKpisOut] = Field(description="by team code")


# ---------------------------------------------------------------------------------------------
# Drill-down
# ---------------------------------------------------------------------------------------------


class FigureOut(Schema):
    name: str
    label: str
    population: str = Field(
        description="created (in the period), completed (in the period) or backlog (open at its end)"
    )
    help: str


class KpiOrdersPage(Schema):
    count: int = Field(description="equals the figure's count for the same period and filters")
    figure: FigureOut
    period: PeriodOut
    items: list[WorkOrderItem] = Field(description="newest first")
