"""Every KPI checked against figures computed by hand on a small hospital month (November 2026,
Asia/Shanghai): holds, rework, cancelled orders and duplicates, a complaint, and orders on both
sides of local midnight at the month's edges."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from houqin.insight import kpis
from houqin.insight.measures import percentile
from houqin.insight.periods import Period
from houqin.org.models import LocationKind
from houqin.org.tests.factories import LocationFactory, PersonFactory, TeamFactory
from houqin.servicedesk.models import Channel, HoldReason, Status, WorkOrder
from houqin.servicedesk.tests.factories import ServiceCategoryFactory, backdate

NOVEMBER = Period.month(2026, 11)
MIN = datetime.timedelta(minutes=1)


def local(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(2026, month, day, hour, minute), timezone.get_default_timezone())


def make_order(number: str, category, created: datetime.datetime, **fields) -> WorkOrder:
    """An order with the given times (created is set after insert: it is auto_now_add)."""
    fields.setdefault("status", Status.NEW)
    order = WorkOrder.objects.create(number=number, category=category, description=number, **fields)
    backdate(order, created)
    order.refresh_from_db()
    return order


@pytest.fixture
def month(cast):
    """The hand-made month. Times are minutes after creation unless said otherwise."""
    repair = ServiceCategoryFactory(code="REPAIR", weight=Decimal(2), hold_excluded=True)
    clean = ServiceCategoryFactory(code="CLEAN", weight=Decimal(1), hold_excluded=False)
    complaint = ServiceCategoryFactory(code="COMPLAINT", is_complaint=True)
    building = LocationFactory(code="B1", site=cast.site, kind=LocationKind.BUILDING)
    room1 = LocationFactory(code="B1-101", site=cast.site, parent=building, kind=LocationKind.ROOM)
    room2 = LocationFactory(code="B1-102", site=cast.site, parent=building, kind=LocationKind.ROOM)
    own_team = TeamFactory(code="SD", company=cast.hospital)
    outsourced_team = TeamFactory(code="BJ", company=cast.contractor)
    w1 = PersonFactory(employee_no="W1", company=cast.hospital, team=own_team)
    w2 = PersonFactory(employee_no="W2", company=cast.contractor, team=outsourced_team)

    def times(created, *, response=None, arrival=None, completion=None, dues=(30, 120, 240)):
        out = {}
        if response is not None:
            out["dispatched_at"] = created + response * MIN
        if arrival is not None:
            out["arrived_at"] = created + arrival * MIN
        if completion is not None:
            out["completed_at"] = created + completion * MIN
        out["response_due"], out["arrival_due"], out["completion_due"] = (created + due * MIN for due in dues)
        return out

    c1 = local(3, 8)
    o1 = make_order(  # on time; 30 min on hold (not for parts) excluded; rated 5
        "O1", repair, c1, channel=Channel.PHONE, location=room1, team=own_team, assignee=w1,
        status=Status.CLOSED, held_minutes=30, hold_reason=HoldReason.DEPARTMENT, difficulty=Decimal("1.5"),
        rating=5, followed_up_at=c1 + 200 * MIN, closed_at=c1 + 300 * MIN,
        **times(c1, response=10, arrival=30, completion=120),
    )  # fmt: skip
    c2 = local(10, 9)
    o2 = make_order(  # repeat of O1 (same place and category within 30 days); late response; reworked; rated 3
        "O2", repair, c2, location=room1, team=own_team, assignee=w1, status=Status.FOLLOWED_UP,
        rework_count=1, rating=3, followed_up_at=c2 + 300 * MIN,
        **times(c2, response=40, arrival=60, completion=200),
    )  # fmt: skip
    c3 = local(30, 23, 30)
    o3 = make_order(  # 23:30 local on the 30th (15:30 UTC): November; open and past due at the month's end
        "O3", clean, c3, location=room2, team=outsourced_team, assignee=w2, status=Status.DISPATCHED,
        **times(c3, response=5, dues=(10, 15, 20)),
    )  # fmt: skip
    c4 = local(1, 0, 10, month=12)
    make_order(  # 00:10 local on 1 December — still 30 November in UTC, but not November here
        "O4", clean, c4, location=room2, team=outsourced_team, **times(c4)
    )
    c5 = local(31, 23, 50, month=10)
    o5 = make_order(  # created in October, completed 00:20 on 1 November; held for parts (counted: CLEAN)
        "O5", clean, c5, location=room2, team=outsourced_team, assignee=w2, status=Status.COMPLETED,
        held_minutes=20, held_for_parts=True, **times(c5, response=2, arrival=5, completion=30, dues=(5, 10, 20)),
    )  # fmt: skip
    c6 = local(5, 14)
    o6 = make_order(  # withdrawn the same day
        "O6", clean, c6, location=room2, status=Status.CANCELLED, cancelled_at=c6 + 10 * MIN, **times(c6)
    )
    c7 = local(7, 10)
    o7 = make_order(  # complaint, answered when closed a day later; followed up without a rating
        "O7", complaint, c7, status=Status.CLOSED, answer="已整改", followed_up_at=c7 + 600 * MIN,
        closed_at=c7 + 1440 * MIN, **times(c7, completion=120, dues=(30, 120, 1440)),
    )  # fmt: skip
    c8 = local(20, 10)
    o8 = make_order(  # repeat of O6; in progress at the month's end, not yet due
        "O8", clean, c8, location=room2, team=own_team, assignee=w1, status=Status.IN_PROGRESS,
        **times(c8, response=15, arrival=45, dues=(30, 120, 30 * 1440)),
    )  # fmt: skip
    c9 = local(20, 10, 5)
    o9 = make_order(  # a duplicate of O8, merged: neither a fault of its own nor an earlier fault
        "O9", clean, c9, location=room2, status=Status.CANCELLED, cancelled_at=c9 + 3 * MIN, duplicate_of=o8,
        **times(c9),
    )  # fmt: skip
    return SimpleNamespace(
        o1=o1, o2=o2, o3=o3, o5=o5, o6=o6, o7=o7, o8=o8, o9=o9, building=building, room1=room1,
        own_team=own_team, outsourced_team=outsourced_team, w1=w1, w2=w2, repair=repair, clean=clean,
    )  # fmt: skip


def numbers(queryset) -> set[str]:
    return set(queryset.values_list("number", flat=True))


# The figures are read in mid-December, when November is over.
LATER = timezone.make_aware(datetime.datetime(2026, 12, 15, 12), timezone.get_default_timezone())


@pytest.fixture
def figures(month):
    return kpis.summary(WorkOrder.objects.all(), NOVEMBER, now=LATER)


def test_volume_counts_orders_created_in_local_november(figures):
    # O1 O2 O3 O6 O7 O8 O9; not O4 (1 Dec local) nor O5 (31 Oct local).
    assert figures["volume"]["count"] == 7
    assert {row["key"]: row["count"] for row in figures["volume"]["by_channel"]} == {"phone": 1, "web": 6}
    assert {row["key"]: row["count"] for row in figures["volume"]["by_category"]} == {
        "CLEAN": 4,
        "REPAIR": 2,
        "COMPLAINT": 1,
    }


def test_response_and_arrival_times_with_median_and_p90(figures):
    # Responses 10, 40, 5, 15 → sorted 5 10 15 40; arrivals 30, 60, 45.
    assert figures["response_time"] == {"count": 4, "avg": 17.5, "median": 12.5, "p90": 32.5}
    assert figures["arrival_time"] == {"count": 3, "avg": 45.0, "median": 45.0, "p90": 57.0}


def test_completion_time_leaves_out_hold_only_where_the_category_says(figures):
    # O1 120 − 30 on hold = 90; O2 200; O5 30 (its hold counts); O7 120.
    assert figures["completed"]["count"] == 4
    assert figures["completion_time"] == {"count": 4, "avg": 110.0, "median": 105.0, "p90": 176.0}


def test_on_time_counts_every_target_that_applies(figures):
    # O2 missed its response target, O5 its completion target; O7 was never dispatched.
    assert figures["on_time"] == {"count": 2, "rate": 0.5}


def test_follow_up_satisfaction_rework_and_first_time_fix(figures):
    assert figures["follow_up"] == {"count": 3, "rate": 0.75}
    assert figures["satisfaction"] == {"rated": 2, "average": 4.0, "satisfied": 1, "satisfied_share": 0.5}
    assert figures["rework"] == {"count": 1, "rate": 0.25}
    # O1 and O7: O2 was reopened, O5 waited for parts.
    assert figures["first_time_fix"] == {"count": 2, "rate": 0.5}


def test_workload_points_weigh_category_and_difficulty(figures):
    # O1 2 × 1.5 + O2 2 × 1 + O5 1 × 1; O7 has no worker.
    assert figures["workload_points"] == 6.0


def test_repeat_faults_skip_merged_duplicates(figures):
    # With a place and not a duplicate: O1 O2 O3 O6 O8; repeats O2 (after O1), O6 (after O5 in
    # October), O8 (after O6), O3 (after O8 — O9 in between was a merged duplicate).
    assert figures["repeat_faults"] == {"count": 4, "orders": 5, "rate": 0.8}


def test_complaints_and_their_answer_time(figures):
    assert figures["complaints"] == {"count": 1, "answered": 1, "answer_avg": 1440.0}


def test_backlog_is_taken_at_local_midnight_after_the_last_day(figures):
    # Open at 1 Dec 00:00 local: O3 (past its deadline) and O8. O4 came ten minutes later.
    assert figures["backlog"] == {"open": 2, "overdue": 1}


def test_backlog_of_a_running_period_is_taken_now(month):
    now = local(20, 12)
    figures = kpis.summary(WorkOrder.objects.all(), NOVEMBER, now=now)
    # At noon on the 20th only O8 is open (O3 comes on the 30th); it is not due yet.
    assert figures["backlog"] == {"open": 1, "overdue": 0}


def test_every_figure_drills_down_to_the_orders_it_counts(month, figures):
    orders = WorkOrder.objects.all()

    def behind(name):
        return numbers(kpis.orders_behind(name, orders, NOVEMBER, now=LATER))

    assert behind("volume") == {"O1", "O2", "O3", "O6", "O7", "O8", "O9"}
    assert behind("response_time") == {"O1", "O2", "O3", "O8"}
    assert behind("completion_time") == {"O1", "O2", "O5", "O7"}
    assert behind("on_time") == {"O1", "O7"}
    assert behind("late") == {"O2", "O5"}
    assert behind("backlog") == {"O3", "O8"}
    assert behind("overdue") == {"O3"}
    assert behind("not_followed_up") == {"O5"}
    assert behind("dissatisfied") == {"O2"}
    assert behind("reworked") == {"O2"}
    assert behind("first_time_fix") == {"O1", "O7"}
    assert behind("repeat_faults") == {"O2", "O3", "O6", "O8"}
    assert behind("complaints") == {"O7"}
    assert behind("workload") == {"O1", "O2", "O5"}
    for name, count in [
        ("volume", figures["volume"]["count"]),
        ("on_time", figures["on_time"]["count"]),
        ("followed_up", figures["follow_up"]["count"]),
        ("rated", figures["satisfaction"]["rated"]),
        ("reworked", figures["rework"]["count"]),
        ("first_time_fix", figures["first_time_fix"]["count"]),
        ("repeat_faults", figures["repeat_faults"]["count"]),
        ("backlog", figures["backlog"]["open"]),
        ("overdue", figures["backlog"]["overdue"]),
    ]:
        assert kpis.orders_behind(name, orders, NOVEMBER, now=LATER).count() == count, name


def test_a_running_month_is_cut_at_today_and_compared_with_as_many_days():
    day = datetime.date
    assert NOVEMBER.up_to(day(2026, 11, 20)) == Period(day(2026, 11, 1), day(2026, 11, 20))
    assert NOVEMBER.up_to(day(2026, 11, 20)).previous() == Period(day(2026, 10, 1), day(2026, 10, 20))
    # Over, or not begun: the whole month.
    assert NOVEMBER.up_to(day(2026, 11, 30)) == NOVEMBER == NOVEMBER.up_to(day(2026, 12, 5))
    assert NOVEMBER.up_to(day(2026, 10, 5)) == NOVEMBER


def test_the_previous_period_is_october(month):
    result = kpis.compare(WorkOrder.objects.all(), NOVEMBER, now=LATER)
    assert result["previous_period"] == {"start": "2026-10-01", "end": "2026-10-31", "days": 31}
    assert result["previous"]["volume"]["count"] == 1  # O5
    assert result["previous"]["completed"]["count"] == 0
    assert result["kpis"]["volume"]["count"] == 7


def test_filters_narrow_every_figure(month):
    by_team = kpis.summary(kpis.scoped_orders(None, None).none(), NOVEMBER)
    assert by_team["volume"]["count"] == 0
    orders = WorkOrder.objects.all()
    team = kpis.summary(orders.filter(team=month.own_team), NOVEMBER)
    assert team["volume"]["count"] == 3  # O1 O2 O8
    assert team["workload_points"] == 5.0
    worker_orders = kpis.KpiFilterSet({"worker": "W2"}, queryset=orders).qs
    assert kpis.summary(worker_orders, NOVEMBER)["completed"]["count"] == 1  # O5


def test_location_filter_takes_the_whole_subtree_and_category_groups(month, cast):
    room = kpis.scoped_orders(cast.director, {"location": "B1-101"})
    assert numbers(room) == {"O1", "O2"}
    building = kpis.scoped_orders(cast.director, {"location": "B1"})
    assert numbers(building) == {"O1", "O2", "O3", "O4", "O5", "O6", "O8", "O9"}
    assert numbers(kpis.scoped_orders(cast.director, {"channel": ["phone"]})) == {"O1"}


def test_a_contractor_manager_counts_only_their_company(month, cast):
    orders = kpis.scoped_orders(cast.contractor_manager, {})
    assert numbers(orders) == {"O3", "O4", "O5"}
    figures = kpis.summary(orders, NOVEMBER, now=LATER)
    assert figures["volume"]["count"] == 1  # O3
    assert figures["completed"]["count"] == 1  # O5
    assert figures["backlog"]["open"] == 1


def test_someone_without_access_counts_nothing(month, cast):
    assert kpis.scoped_orders(cast.outsider, {}).count() == 0


def test_an_unknown_filter_value_is_refused_naming_the_parameter(month, cast):
    with pytest.raises(ValidationError) as caught:
        kpis.scoped_orders(cast.director, {"channel": "pigeon"})
    assert "channel" in caught.value.message_dict


def test_daily_series_puts_orders_on_their_local_day(month):
    series = {row["date"]: row for row in kpis.daily(WorkOrder.objects.all(), NOVEMBER)}
    assert len(series) == 30
    assert series["2026-11-30"]["volume"] == 1  # O3 at 23:30 local
    assert series["2026-11-01"]["volume"] == 0
    assert series["2026-11-01"]["completed"] == 1  # O5 at 00:20 local
    assert series["2026-11-01"]["on_time_rate"] == 0.0
    assert series["2026-11-03"]["completion_time"]["median"] == 90.0
    assert series["2026-11-10"]["satisfaction"] == 3.0
    assert series["2026-11-15"]["completion_time"]["median"] is None
    assert sum(row["volume"] for row in series.values()) == 7


def test_the_dashboards_top_workers_are_the_first_of_the_per_worker_figures(month):
    orders = WorkOrder.objects.all()
    everyone = kpis.by_worker(orders, NOVEMBER)
    for limit in (1, 2, 5):
        top = kpis.top_workers(orders, NOVEMBER, limit)
        assert top == [
            {key: row[key] for key in ("worker", "completed", "on_time", "workload_points")} for row in everyone[:limit]
        ]
    assert [row["worker"]["employee_no"] for row in kpis.top_workers(orders, NOVEMBER, 1)] == ["W1"]


def test_per_worker_and_per_team(month):
    orders = WorkOrder.objects.all()
    workers = {row["worker"]["employee_no"]: row for row in kpis.by_worker(orders, NOVEMBER)}
    assert list(workers) == ["W1", "W2"]  # most points first
    assert workers["W1"]["workload_points"] == 5.0
    assert workers["W1"]["on_time"] == {"count": 1, "rate": 0.5}
    assert workers["W2"]["first_time_fix"] == {"count": 0, "rate": 0.0}
    teams = {row["team"]["code"]: row for row in kpis.by_team(orders, NOVEMBER, now=LATER)}
    assert teams["SD"]["completed"]["count"] == 2
    assert teams["SD"]["backlog"] == {"open": 1, "overdue": 0}
    assert teams["BJ"]["backlog"] == {"open": 1, "overdue": 1}


def test_repeat_locations_rank_places(month):
    rows = kpis.repeat_locations(WorkOrder.objects.all(), NOVEMBER)
    assert [(row["location"]["code"], row["count"]) for row in rows] == [("B1-102", 3), ("B1-101", 1)]


def test_summary_is_six_queries(month, django_assert_num_queries):
    with django_assert_num_queries(6):
        kpis.summary(WorkOrder.objects.all(), NOVEMBER, now=LATER)


def test_an_empty_period_has_no_averages(db):
    figures = kpis.summary(WorkOrder.objects.all(), NOVEMBER)
    assert figures["volume"]["count"] == 0
    assert figures["response_time"] == {"count": 0, "avg": None, "median": None, "p90": None}
    assert figures["on_time"] == {"count": 0, "rate": None}


@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=50), st.floats(0, 1))
def test_percentile_interpolates_like_percentile_cont(values, fraction):
    result = percentile(values, fraction)
    ordered = sorted(values)
    assert ordered[0] <= result <= ordered[-1]
    if fraction == 0:
        assert result == ordered[0]
    if fraction == 1:
        assert result == ordered[-1]


def test_the_database_percentile_matches_the_reference(month):
    from django.db.models import Q

    from houqin.insight.measures import Percentile

    values = [10.0, 40.0, 5.0, 15.0]
    got = WorkOrder.objects.filter(Q(dispatched_at__isnull=False), created__gte=NOVEMBER.start).aggregate(
        p=Percentile(kpis.response_minutes(), 0.9)
    )["p"]
    assert got == pytest.approx(percentile(values, 0.9), abs=0.01)


def test_periods_parse_and_refuse_bad_input():
    assert Period.parse(None, None, "2026-02") == Period(datetime.date(2026, 2, 1), datetime.date(2026, 2, 28))
    assert Period.parse("2026-11-03", None) == Period.day(datetime.date(2026, 11, 3))
    assert Period.month(2026, 3).previous() == Period.month(2026, 2)
    assert Period.parse("2026-11-10", "2026-11-16").previous() == Period.parse("2026-11-03", "2026-11-09")
    # A month so far is compared with as many first days of the month before, cut at its end.
    assert Period.parse("2026-11-01", "2026-11-25").previous() == Period.parse("2026-10-01", "2026-10-25")
    assert Period.parse("2026-03-01", "2026-03-30").previous() == Period.parse("2026-02-01", "2026-02-28")
    for args, field in [(("2026-13-01", None), "start"), (("2026-11-05", "2026-11-01"), "end"), ((None, "x"), "end")]:
        with pytest.raises(ValidationError) as caught:
            Period.parse(*args)
        assert field in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        Period.parse(None, None, "November")
    assert "month" in caught.value.message_dict
    with pytest.raises(ValidationError):
        Period.parse("2020-01-01", "2026-01-01")


def test_the_in_memory_rule_agrees_with_the_database_rule(month):
    # missed_targets() (report lists) repeats LATE and past_deadline_q() in Python: both must agree.
    orders = WorkOrder.objects.all()
    late = numbers(kpis.orders_behind("late", orders, NOVEMBER, now=LATER))
    completed = kpis.orders_behind("completion_time", orders, NOVEMBER, now=LATER)
    assert {order.number for order in completed if kpis.missed_targets(order)} == late
    moment = kpis.cutoff(NOVEMBER, LATER)
    overdue = numbers(kpis.orders_behind("overdue", orders, NOVEMBER, now=LATER))
    backlog = kpis.orders_behind("backlog", orders, NOVEMBER, now=LATER)
    assert {order.number for order in backlog if kpis.missed_targets(order, moment)} == overdue
