"""A small hospital day for the dashboard and big screen tests, relative to now: two sites, three
buildings, the hospital's electricians and the cleaning contractor's (cast.contractor) cleaners,
orders created today and yesterday, some open, some past a deadline.

Today (all created a few minutes ago):
  1 electricians, 门诊楼 (MAIN), open, past its response deadline       → overdue
  2 electricians, 门诊楼 (MAIN), completed, rated 5
  3 cleaners,     住院楼 (MAIN), open, deadlines ahead
  4 cleaners,     东院楼 (EAST), completed, rated 2
  5 complaint, no team, no place, open, deadlines ahead
Yesterday:
  6 electricians, 门诊楼 (MAIN), completed
  7 cleaners,     住院楼 (MAIN), open, past its completion deadline    → overdue
"""

import datetime
from types import SimpleNamespace

from django.utils import timezone

from houqin.insight.periods import Period
from houqin.org.models import LocationKind
from houqin.org.tests.factories import LocationFactory, PersonFactory, SiteFactory, TeamFactory
from houqin.servicedesk.models import Channel, Status, WorkOrder
from houqin.servicedesk.tests.factories import ServiceCategoryFactory, backdate

MIN = datetime.timedelta(minutes=1)


def build_day(cast) -> SimpleNamespace:
    now = timezone.now()
    today = Period.today()
    # A few minutes ago, but never before today's midnight.
    recently = max(today.start, now - 5 * MIN)
    yesterday = today.start - datetime.timedelta(hours=12)
    east = SiteFactory(code="EAST", name="东院区", short_name="东院")
    group = ServiceCategoryFactory(code="WX", name="维修")
    electric = ServiceCategoryFactory(code="WX-DQ", name="电气", parent=group)
    complaint = ServiceCategoryFactory(code="TS", name="投诉建议", is_complaint=True)
    clinic = LocationFactory(code="MZ", name="门诊楼", site=cast.site, kind=LocationKind.BUILDING)
    ward = LocationFactory(code="ZY", name="住院楼", site=cast.site, kind=LocationKind.BUILDING)
    east_wing = LocationFactory(code="DY", name="东院楼", site=east, kind=LocationKind.BUILDING)

    def room(building, code):
        floor = LocationFactory(
            code=f"{code}-F", name="1F", site=building.site, parent=building, kind=LocationKind.FLOOR
        )
        return LocationFactory(code=code, name=code, site=building.site, parent=floor, kind=LocationKind.ROOM)

    clinic_room, ward_room, east_room = room(clinic, "MZ-101"), room(ward, "ZY-201"), room(east_wing, "DY-301")
    electricians = TeamFactory(code="DG", name="电工班", company=cast.hospital, site=cast.site)
    cleaners = TeamFactory(code="BJ", name="保洁一组", company=cast.contractor, site=cast.site)
    sparky = PersonFactory(employee_no="H001", name="王电工", company=cast.hospital, team=electricians, on_duty=True)
    PersonFactory(employee_no="H002", name="张电工", company=cast.hospital, team=electricians, on_duty=False)
    cleaner = PersonFactory(employee_no="C001", name="李保洁", company=cast.contractor, team=cleaners, on_duty=True)
    numbers = iter(range(1, 100))

    def order(created, worker, location, *, done=False, overdue=None, rating=None, category=electric, team=None):
        """An order created at `created`; done: completed a minute later. overdue names the
        deadline already passed ("response" or "completion"); the others lie ahead."""
        ahead = now + 60 * MIN
        dues = {"response_due": ahead, "arrival_due": ahead, "completion_due": ahead}
        if overdue:
            dues[f"{overdue}_due"] = now - 20 * MIN
        if done:
            dues = {"response_due": created + 30 * MIN, "arrival_due": created + 60 * MIN, "completion_due": ahead}
        made = WorkOrder.objects.create(
            number=f"WO{next(numbers):05d}",
            category=category,
            status=(Status.FOLLOWED_UP if rating else Status.COMPLETED) if done else Status.ACCEPTED,
            channel=Channel.PHONE,
            description="灯不亮",
            location=location,
            team=team or (worker.team if worker else None),
            assignee=worker if done else None,
            dispatched_at=created + MIN if done else None,
            arrived_at=created + MIN if done else None,
            completed_at=created + MIN if done else None,
            followed_up_at=created + MIN if rating else None,
            rating=rating,
            **dues,
        )
        backdate(made, created)
        made.refresh_from_db()
        return made

    today_orders = [
        order(recently, sparky, clinic_room, overdue="response"),
        order(recently, sparky, clinic_room, done=True, rating=5),
        order(recently, None, ward_room, team=cleaners),
        order(recently, cleaner, east_room, done=True, rating=2),
        order(recently, None, None, category=complaint),
    ]
    yesterday_orders = [
        order(yesterday, sparky, clinic_room, done=True),
        order(yesterday, None, ward_room, team=cleaners, overdue="completion"),
    ]
    return SimpleNamespace(
        east=east,
        clinic=clinic,
        ward=ward,
        east_wing=east_wing,
        clinic_room=clinic_room,
        ward_room=ward_room,
        east_room=east_room,
        electricians=electricians,
        cleaners=cleaners,
        sparky=sparky,
        cleaner=cleaner,
        today=today_orders,
        yesterday=yesterday_orders,
        group=group,
        complaint=complaint,
    )
