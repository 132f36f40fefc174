"""A small March 2026 of three companies' orders for the KPI API and page tests: the hospital's
electricians, the cleaning contractor (cast.contractor, "CLEAN") and the lift contractor
("LIFT"). Times are set directly (created is auto_now_add, so it is updated after insert); the
values of the figures are checked in test_kpis.py, these tests check shapes, scope and that every
figure drills down to as many orders as it counts."""

import datetime
from types import SimpleNamespace

from django.utils import timezone

from houqin.insight.periods import Period
from houqin.org.models import LocationKind
from houqin.org.tests.factories import LocationFactory, PersonFactory, TeamFactory
from houqin.servicedesk.models import Channel, Status, WorkOrder
from houqin.servicedesk.tests.factories import ServiceCategoryFactory, backdate

MARCH = Period.month(2026, 3)
MIN = datetime.timedelta(minutes=1)


def local(day: int, hour: int = 9, month: int = 3) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(2026, month, day, hour), timezone.get_default_timezone())


def build_march(cast) -> SimpleNamespace:
    repair = ServiceCategoryFactory(code="WX", name="综合维修")
    complaint = ServiceCategoryFactory(code="TS", name="投诉", is_complaint=True)
    building = LocationFactory(code="A1", name="门诊楼", site=cast.site, kind=LocationKind.BUILDING)
    room = LocationFactory(code="A1-101", name="101", site=cast.site, parent=building, kind=LocationKind.ROOM)
    other_room = LocationFactory(code="A1-102", name="102", site=cast.site, parent=building, kind=LocationKind.ROOM)
    electricians = TeamFactory(code="DG", name="电工班", company=cast.hospital)
    cleaners = TeamFactory(code="BJ", name="保洁一组", company=cast.contractor)
    fitters = TeamFactory(code="DT", name="电梯维保组", company=cast.other_contractor)
    sparky = PersonFactory(employee_no="H001", name="王电工", company=cast.hospital, team=electricians)
    cleaner = PersonFactory(employee_no="C001", name="李保洁", company=cast.contractor, team=cleaners)
    fitter = PersonFactory(employee_no="L001", name="赵电梯", company=cast.other_contractor, team=fitters)
    count = iter(range(1, 100))

    def order(worker, day, *, response=10, arrival=20, completion=60, rating=None, category=repair, **fields):
        """An order of the worker's team created on that March day at 09:00; a step given as None
        was not reached. Deadlines: 30 / 120 / 1440 minutes."""
        created = local(day)
        times = {
            "dispatched_at": response,
            "arrived_at": arrival,
            "completed_at": completion,
            "followed_up_at": completion + 60 if rating is not None and completion is not None else None,
        }
        values = {name: created + minutes * MIN for name, minutes in times.items() if minutes is not None}
        if completion is not None:
            status = Status.FOLLOWED_UP if rating is not None else Status.COMPLETED
        else:
            status = Status.IN_PROGRESS if arrival is not None else Status.DISPATCHED if response else Status.NEW
        fields.setdefault("location", room)
        fields.setdefault("description", f"{worker.name if worker else '投诉'}的工单")
        made = WorkOrder.objects.create(
            number=f"WO2603{day:02d}-{next(count):05d}",
            category=category,
            status=status,
            channel=Channel.PHONE,
            team=worker.team if worker else None,
            assignee=worker if response is not None else None,
            rating=rating,
            response_due=created + 30 * MIN,
            arrival_due=created + 120 * MIN,
            completion_due=created + 1440 * MIN,
            **values,
            **fields,
        )
        backdate(made, created)
        made.refresh_from_db()
        return made

    cleaning = [
        order(cleaner, 2, rating=5),  # on time, satisfied
        order(cleaner, 3, completion=3000, rating=2, location=other_room),  # late, dissatisfied
        order(cleaner, 4, completion=30),  # a repeat of the 2nd's fault (same place and category), not followed up
        order(cleaner, 30, arrival=None, completion=None),  # open at the month's end, past its arrival deadline
    ]
    hospital = [
        order(sparky, 5, rating=4, location=other_room),
        order(sparky, 6, rating=3, rework_count=1),  # reworked
        order(None, 7, response=None, arrival=None, completion=None, category=complaint, location=None),
    ]
    lifts = [
        order(fitter, 8, completion=90, rating=3, description='=HYPERLINK("http://x")'),
        order(fitter, 31, arrival=None, completion=None),
    ]
    return SimpleNamespace(
        cleaning=cleaning,
        hospital=hospital,
        lifts=lifts,
        everything=cleaning + hospital + lifts,
        electricians=electricians,
        cleaners=cleaners,
        fitters=fitters,
        cleaner=cleaner,
        fitter=fitter,
        building=building,
        room=room,
        repair=repair,
    )
