"""What a monthly report says, gathered once for both files (workbook.py and pdf.py).

Every figure comes from houqin.insight.kpis over all the hospital's orders: the month compared with
the previous one, day by day, per team and per worker, the places with repeat faults, and the
orders behind two figures listed one by one (the breaches: completed late, or still open past a
deadline at the month's end; and the complaints with their answers)."""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Case, F, FloatField, When
from django.utils import timezone
from django.utils.translation import gettext as _

from houqin.insight import kpis
from houqin.insight.periods import Period
from houqin.org.models import Company, CompanyKind
from houqin.servicedesk.models import WorkOrder

# The places with the most repeat faults: as many as the workbook lists.
REPEAT_PLACES = 50
ORDER_RELATED = ("category", "location", "team", "assignee")


@dataclass(frozen=True)
class KpiRow:
    """One line of the KPI table: this month, last month and the change between them."""

    label: str
    kind: str  # "count", "minutes", "rate", "rating" or "points": how the value is written
    this: float | int | None
    last: float | int | None

    @property
    def change(self):
        if self.this is None or self.last is None:
            return None
        return round(self.this - self.last, 4)


@dataclass(frozen=True)
class Breach:
    number: str
    category: str
    location: str
    team: str
    worker: str
    created: datetime.datetime
    completed: datetime.datetime | None
    missed: list[str]  # target labels
    open_at_end: bool


@dataclass(frozen=True)
class Complaint:
    number: str
    created: datetime.datetime
    category: str
    location: str
    team: str
    status: str
    description: str
    answer: str
    answered: datetime.datetime | None
    answer_minutes: float | None


@dataclass
class ReportContent:
    period: Period
    previous: Period
    generated_at: datetime.datetime
    hospital: str
    comparison: dict
    daily: list[dict]
    teams: list[dict]
    workers: list[dict]
    repeat_places: list[dict]
    breaches: list[Breach] = field(default_factory=list)
    complaints: list[Complaint] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """False for a month still running: the report shows it so far."""
        return self.generated_at >= self.period.end

    @property
    def kpis(self) -> dict:
        return self.comparison["kpis"]

    @property
    def kpi_rows(self) -> list[KpiRow]:
        return kpi_rows(self.comparison["kpis"], self.comparison["previous"])

    @property
    def covered_until(self) -> datetime.date:
        """The last day the report counts (today for a month still running)."""
        if self.complete:
            return self.period.last
        return timezone.localtime(self.generated_at).date()

    @property
    def covered(self) -> Period:
        """The days the report counts: the month, or its days so far."""
        return Period(self.period.first, self.covered_until)

    def period_label(self) -> str:
        """ "2026-10", or the days covered for a month still running."""
        if self.complete:
            return self.period.label()
        return _("%(first)s to %(last)s (month so far)") % {
            "first": self.period.first.isoformat(),
            "last": self.covered_until.isoformat(),
        }


def hospital_name() -> str:
    """The hospital's own company (org), else the site's name from the settings."""
    name = Company.objects.filter(kind=CompanyKind.HOSPITAL).order_by("pk").values_list("name", flat=True).first()
    return name or str(settings.HOUQIN_SITE_NAME)


def kpi_rows(now: dict, before: dict) -> list[KpiRow]:
    """The KPIs of kpis.summary() as table lines, in the order of docs/reports.md."""

    def row(label, kind, *path):
        return KpiRow(label, kind, _dig(now, path), _dig(before, path))

    return [
        row(_("Orders created"), "count", "volume", "count"),
        row(_("Orders completed"), "count", "completed", "count"),
        row(_("Response time, average (min)"), "minutes", "response_time", "avg"),
        row(_("Response time, median (min)"), "minutes", "response_time", "median"),
        row(_("Response time, 90th percentile (min)"), "minutes", "response_time", "p90"),
        row(_("Arrival time, average (min)"), "minutes", "arrival_time", "avg"),
        row(_("Arrival time, median (min)"), "minutes", "arrival_time", "median"),
        row(_("Arrival time, 90th percentile (min)"), "minutes", "arrival_time", "p90"),
        row(_("Completion time, average (min)"), "minutes", "completion_time", "avg"),
        row(_("Completion time, median (min)"), "minutes", "completion_time", "median"),
        row(_("Completion time, 90th percentile (min)"), "minutes", "completion_time", "p90"),
        row(_("On-time rate"), "rate", "on_time", "rate"),
        row(_("Open orders at the month's end (backlog)"), "count", "backlog", "open"),
        row(_("Of which past a deadline"), "count", "backlog", "overdue"),
        row(_("Follow-up coverage"), "rate", "follow_up", "rate"),
        row(_("Orders rated"), "count", "satisfaction", "rated"),
        row(_("Average rating (1–5)"), "rating", "satisfaction", "average"),
        row(_("Satisfied share (rating 4 or 5)"), "rate", "satisfaction", "satisfied_share"),
        row(_("Rework rate"), "rate", "rework", "rate"),
        row(_("First-time fix rate"), "rate", "first_time_fix", "rate"),
        row(_("Repeat faults"), "count", "repeat_faults", "count"),
        row(_("Repeat fault rate"), "rate", "repeat_faults", "rate"),
        row(_("Complaints"), "count", "complaints", "count"),
        row(_("Complaints answered"), "count", "complaints", "answered"),
        row(_("Time to answer a complaint, average (min)"), "minutes", "complaints", "answer_avg"),
        row(_("Workload points"), "points", "workload_points"),
    ]


def _dig(figures: dict, path: tuple):
    value = figures
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def target_labels() -> dict[str, str]:
    return {"response": _("response"), "arrival": _("arrival"), "completion": _("completion")}


def _name(obj) -> str:
    if obj is None:
        return ""
    return obj.name or ""


def _place(order: WorkOrder) -> str:
    if order.location is None:
        return ""
    return order.location.full_name or order.location.name


def breaches(orders, period: Period, now: datetime.datetime) -> list[Breach]:
    """The month's breaches: orders completed in it that missed a target (kpis "late"), then the
    orders still open past a deadline at its end (kpis "overdue"), each by creation time."""
    labels = target_labels()
    moment = kpis.cutoff(period, now)
    rows = []
    for name, at in (("late", None), ("overdue", moment)):
        queryset = (
            kpis.orders_behind(name, orders, period, now).select_related(*ORDER_RELATED).order_by("created", "pk")
        )
        for order in queryset.iterator(chunk_size=2000):
            rows.append(
                Breach(
                    number=order.number,
                    category=_name(order.category),
                    location=_place(order),
                    team=_name(order.team),
                    worker=_name(order.assignee),
                    created=order.created,
                    completed=order.completed_at,
                    missed=[labels[target] for target in kpis.missed_targets(order, at)],
                    open_at_end=at is not None,
                )
            )
    return rows


def complaints(orders, period: Period, now: datetime.datetime) -> list[Complaint]:
    """The complaints created in the month (kpis "complaints") with their answers; the answer
    time counts only for an answered complaint, as the KPI does."""
    queryset = (
        kpis.orders_behind("complaints", orders, period, now)
        .select_related(*ORDER_RELATED)
        .annotate(
            answer_minutes=Case(When(kpis.ANSWERED, then=kpis.answer_minutes()), output_field=FloatField()),
            answered_at=Case(When(kpis.ANSWERED, then=F("closed_at"))),
        )
        .order_by("created", "pk")
    )
    return [
        Complaint(
            number=order.number,
            created=order.created,
            category=_name(order.category),
            location=_place(order),
            team=_name(order.team),
            status=order.get_status_display(),
            description=order.description,
            answer=order.answer if order.answered_at else "",
            answered=order.answered_at,
            answer_minutes=None if order.answer_minutes is None else round(order.answer_minutes, 1),
        )
        for order in queryset.iterator(chunk_size=2000)
    ]


def compared_with(period: Period, now: datetime.datetime) -> Period:
    """The period a month is compared with: the month before; while the month runs, as many
    first days of the month before as have passed (1–20 November against 1–20 October), as the
    dashboard does, so that a part of a month is not set against a whole one."""
    return period.up_to(timezone.localtime(now).date()).previous()


def collect(period: Period, now: datetime.datetime | None = None) -> ReportContent:
    """Everything the month's report shows, over all the hospital's orders (the report is the
    hospital's, not one person's view). `now` defaults to the present; for a month still running,
    the backlog is taken at `now`."""
    now = now or timezone.now()
    orders = kpis.every_order()
    previous = compared_with(period, now)
    comparison = kpis.compare(orders, period, now, previous)
    return ReportContent(
        period=period,
        previous=previous,
        generated_at=now,
        hospital=hospital_name(),
        comparison=comparison,
        daily=kpis.daily(orders, period),
        teams=kpis.by_team(orders, period, now),
        workers=kpis.by_worker(orders, period),
        repeat_places=kpis.repeat_locations(orders, period, limit=REPEAT_PLACES),
        breaches=breaches(orders, period, now),
        complaints=complaints(orders, period, now),
    )
