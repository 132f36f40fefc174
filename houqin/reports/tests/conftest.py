"""A small hospital month for the report tests: November 2026 (Asia/Shanghai) with a few orders of
October for the comparison, built with the factories and fixed times (created is auto_now_add, so
it is set after insert)."""

import datetime
from types import SimpleNamespace
from unittest import mock

import pytest
from django.utils import timezone

from houqin.insight.periods import Period
from houqin.org.models import LocationKind
from houqin.org.tests.factories import LocationFactory, PersonFactory, TeamFactory
from houqin.servicedesk.models import Status, WorkOrder
from houqin.servicedesk.tests.factories import ServiceCategoryFactory, backdate

NOVEMBER = Period.month(2026, 11)
MIN = datetime.timedelta(minutes=1)


def local(month: int, day: int, hour: int = 9, minute: int = 0, year: int = 2026) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(year, month, day, hour, minute), timezone.get_default_timezone())


# The report is read in December, when November is over.
LATER = local(12, 3, 10)


def at(moment: datetime.datetime):
    """The clock stopped at `moment` (django.utils.timezone.now, which every service asks)."""
    return mock.patch.object(timezone, "now", return_value=moment)


def make_order(number: str, category, created: datetime.datetime, **fields) -> WorkOrder:
    fields.setdefault("status", Status.NEW)
    fields.setdefault("description", number)
    order = WorkOrder.objects.create(number=number, category=category, **fields)
    backdate(order, created)
    order.refresh_from_db()
    return order


def done(created, *, response=10, arrival=20, completion=60, dues=(30, 120, 1440)) -> dict:
    """Times of a worked order, minutes after creation; deadlines likewise."""
    values = {
        "response_due": created + dues[0] * MIN,
        "arrival_due": created + dues[1] * MIN,
        "completion_due": created + dues[2] * MIN,
    }
    steps = {"dispatched_at": response, "arrived_at": arrival, "completed_at": completion}
    values.update({name: created + minutes * MIN for name, minutes in steps.items() if minutes is not None})
    return values


@pytest.fixture
def month(cast):
    repair = ServiceCategoryFactory(code="WX", name="综合维修")
    complaint = ServiceCategoryFactory(code="TS", name="投诉", is_complaint=True)
    building = LocationFactory(code="A1", name="门诊楼", site=cast.site, kind=LocationKind.BUILDING)
    room = LocationFactory(code="A1-101", name="101", site=cast.site, parent=building, kind=LocationKind.ROOM)
    team = TeamFactory(code="DG", name="电工班", company=cast.hospital)
    sparky = PersonFactory(employee_no="H001", name="王电工", company=cast.hospital, team=team)
    worked = {"location": room, "team": team, "assignee": sparky}

    on_time = make_order(
        "WO261103-00001", repair, local(11, 3), status=Status.FOLLOWED_UP, rating=5,
        followed_up_at=local(11, 3, 12), **worked, **done(local(11, 3)),
    )  # fmt: skip
    late = make_order(  # completed two days after its 24-hour deadline: a breach
        "WO261110-00002", repair, local(11, 10), status=Status.COMPLETED, **worked,
        **done(local(11, 10), completion=3 * 1440),
    )  # fmt: skip
    still_open = make_order(  # dispatched, never arrived: open and past its deadlines at the month's end
        "WO261129-00003", repair, local(11, 29), status=Status.DISPATCHED, **worked,
        **done(local(11, 29), arrival=None, completion=None),
    )  # fmt: skip
    answered = make_order(  # a complaint whose text a spreadsheet would take for formulas
        "WO261115-00004", complaint, local(11, 15), status=Status.CLOSED,
        description='=HYPERLINK("http://example.com","点我")', answer="@已整改，+86 回访",
        closed_at=local(11, 16), **done(local(11, 15), completion=120),
    )  # fmt: skip
    october = make_order(
        "WO261020-00005", repair, local(10, 20), status=Status.COMPLETED, **worked, **done(local(10, 20))
    )
    return SimpleNamespace(
        repair=repair, complaint=complaint, room=room, team=team, worker=sparky, on_time=on_time, late=late,
        still_open=still_open, answered=answered, october=october,
    )  # fmt: skip


@pytest.fixture
def english(settings):
    """Reports are written in the site's language; English here, so that tests read known labels."""
    settings.LANGUAGE_CODE = "en"
    return settings
