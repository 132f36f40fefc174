"""A small hand-made month for the performance tests: the last complete month (so that the pages'
default month is this one, whatever day the tests run), two teams of two companies, and the
scores of docs/performance.md computed by hand with the default weights (30/25/15/25/5, 20 points
off per complaint):

  team A (the hospital's, "SDWX"): a1 (the cast's worker), a2, a3 (completes nothing)
    a1: 3 completed, 6 points, 2 on time, 1 reworked, ratings 5 and 3 (4.00), 1 complaint
        parts 100.0 · 66.7 · 66.7 · 75.0 · 80.0 → score 79.43
    a2: 2 completed, 3 points, 2 on time, ratings 4 and 4 → parts 50.0 · 100 · 100 · 75.0 · 100 → 78.75
  team B (the contractor's, "BJ"): b1, b2
    b1: 1 completed, 1 point, on time, rating 2 → parts 100 · 100 · 100 · 25.0 · 100 → 81.25
    b2: 1 completed, 1 point, late, no rating → satisfaction left out: (3000 + 0 + 1500 + 500) / 75 → 66.67
  ranking: b1, a1, a2, b2; a3 without a score.
  teams: A 6 completed (X2 without a worker too), 9 points, 5 on time, 1 reworked, ratings 5 3 4 4
           (4.00), 1 complaint (16.67 per 100) → parts 100 · 83.3 · 83.3 · 75.0 · 0.0 → 82.07
         B 2 completed, 2 points, 1 on time, rating 2 → parts 100 · 50.0 · 100 · 25.0 · 100 → 68.75
"""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from houqin.org.tests.factories import PersonFactory, TeamFactory
from houqin.performance.months import last_complete_month
from houqin.servicedesk.models import Status, WorkOrder
from houqin.servicedesk.tests.factories import ServiceCategoryFactory, backdate

MIN = datetime.timedelta(minutes=1)


def local(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def make_order(number: str, category, created: datetime.datetime, **fields) -> WorkOrder:
    """An order with the given times (created is set after insert: it is auto_now_add)."""
    fields.setdefault("status", Status.NEW)
    order = WorkOrder.objects.create(number=number, category=category, description=number, **fields)
    backdate(order, created)
    order.refresh_from_db()
    return order


def completed(number, category, day, *, assignee, team, late=False, difficulty=1, **fields) -> WorkOrder:
    """A completed order created at 09:00 on `day` of the month and done two hours later; late
    means past its completion deadline."""
    created = local(day, 9)
    return make_order(
        number,
        category,
        created,
        status=Status.CLOSED if fields.get("rating") else Status.COMPLETED,
        assignee=assignee,
        team=team,
        difficulty=Decimal(difficulty),
        dispatched_at=created + 5 * MIN,
        arrived_at=created + 20 * MIN,
        completed_at=created + 120 * MIN,
        response_due=created + 30 * MIN,
        arrival_due=created + 60 * MIN,
        completion_due=created + (60 if late else 240) * MIN,
        **fields,
    )


@pytest.fixture
def world(cast):
    period = last_complete_month()

    def day(n: int) -> datetime.date:
        return period.first.replace(day=n)

    repair = ServiceCategoryFactory(code="REPAIR", weight=Decimal(2))
    clean = ServiceCategoryFactory(code="CLEAN", weight=Decimal(1))
    complaint = ServiceCategoryFactory(code="COMPLAINT", is_complaint=True)
    team_a = TeamFactory(code="SDWX", name="水电维修班", company=cast.hospital)
    team_b = TeamFactory(code="BJ", name="保洁班", company=cast.contractor)
    a1 = cast.worker.person
    a1.employee_no, a1.name, a1.team = "A1", "张一", team_a
    a1.save()
    a2 = PersonFactory(employee_no="A2", name="王二", company=cast.hospital, team=team_a)
    a3 = PersonFactory(employee_no="A3", name="李三", company=cast.hospital, team=team_a)
    b1 = PersonFactory(employee_no="B1", name="赵四", company=cast.contractor, team=team_b)
    b2 = PersonFactory(employee_no="B2", name="钱五", company=cast.contractor, team=team_b)

    completed("O1", repair, day(3), assignee=a1, team=team_a, difficulty="1.5", rating=5)
    completed("O2", repair, day(4), assignee=a1, team=team_a, late=True, rating=3, rework_count=1)
    completed("O3", clean, day(5), assignee=a1, team=team_a)
    completed("O4", clean, day(6), assignee=a2, team=team_a, rating=4)
    completed("O5", repair, day(7), assignee=a2, team=team_a, rating=4)
    completed("O6", clean, day(8), assignee=b1, team=team_b, rating=2)
    completed("O7", clean, day(9), assignee=b2, team=team_b, late=True)
    # A complaint about team A, handed to a1 and still open: counts against a1 and team A.
    make_order("C1", complaint, local(day(10), 10), status=Status.DISPATCHED, assignee=a1, team=team_a)
    # Not counted: completed the month before, and completed without a worker.
    before = period.first - datetime.timedelta(days=5)
    completed("X1", repair, before, assignee=a1, team=team_a, rating=1)
    completed("X2", repair, day(11), assignee=None, team=team_a)
    return SimpleNamespace(
        period=period,
        month=f"{period.first:%Y-%m}",
        team_a=team_a,
        team_b=team_b,
        a1=a1,
        a2=a2,
        a3=a3,
        b1=b1,
        b2=b2,
        repair=repair,
        clean=clean,
        complaint=complaint,
    )
