"""The service level state after the deadlines move (a change of priority or category) and after
a reopen. sla_level used to keep whatever the old targets had reached: an order downgraded after
a breach was never watched again, one upgraded past its new deadline was never reported."""

import datetime
from types import SimpleNamespace

import pytest

from houqin.org.tests.factories import LocationFactory
from houqin.servicedesk import services, sla
from houqin.servicedesk.models import EventKind, FollowUpMethod, HoldReason, Priority, Status, WorkOrder
from houqin.servicedesk.tests.factories import ServiceCategoryFactory

T0 = datetime.datetime(2026, 3, 2, 1, 0, tzinfo=datetime.UTC)


def minutes(n: float) -> datetime.datetime:
    return T0 + datetime.timedelta(minutes=n)


@pytest.fixture
def clock(monkeypatch):
    state = SimpleNamespace(now=T0)
    monkeypatch.setattr(services, "_now", lambda: state.now)
    state.at = lambda n: setattr(state, "now", minutes(n))
    return state


@pytest.fixture
def repairs(db):
    return ServiceCategoryFactory(name="电气", hold_excluded=True)


def new_order(cast, category, priority) -> WorkOrder:
    return services.create_work_order(
        category=category, description="灯不亮", by=cast.agent, accept=True, priority=priority, at=T0
    )


def sla_events(order) -> list[str]:
    kinds = [EventKind.SLA_WARNING, EventKind.SLA_BREACH]
    return list(order.events.filter(kind__in=kinds).order_by("time", "id").values_list("kind", flat=True))


def state(order) -> tuple[int, bool]:
    order.refresh_from_db()
    return order.sla_level, order.breached


# --- a change of priority or category ----------------------------------------------------------


def test_a_downgrade_after_a_breach_is_watched_again_against_the_new_targets(cast, repairs, clock):
    order = new_order(cast, repairs, Priority.URGENT)
    assert sla.sweep(minutes(10)) == {"warned": 0, "breached": 1}  # urgent: respond within 5 minutes
    assert state(order) == (2, True)

    clock.at(10)
    order = services.change(order, by=cast.agent, priority=Priority.LOW)

    # Low: respond within 120 minutes, 10 are gone — watched again, but the reported breach stays.
    assert state(order) == (0, True)
    changed = order.events.get(kind=EventKind.CHANGED)
    assert "breached" not in changed.changes
    assert sla.sweep(minutes(95)) == {"warned": 0, "breached": 0}
    assert sla.sweep(minutes(96)) == {"warned": 1, "breached": 0}
    assert sla.sweep(minutes(100)) == {"warned": 0, "breached": 0}
    assert sla.sweep(minutes(120)) == {"warned": 0, "breached": 1}
    assert sla.sweep(minutes(130)) == {"warned": 0, "breached": 0}
    # The old targets' breach stays on the timeline.
    assert sla_events(order) == [EventKind.SLA_BREACH, EventKind.SLA_WARNING, EventKind.SLA_BREACH]


def test_an_upgrade_past_the_new_deadline_is_reported_at_once_and_once_only(cast, repairs, clock):
    order = new_order(cast, repairs, Priority.NORMAL)
    clock.at(20)  # normal: 30 minutes to respond, 67 % gone

    order = services.change(order, by=cast.agent, priority=Priority.URGENT)

    assert state(order) == (2, True)
    kinds = list(order.events.order_by("id").values_list("kind", flat=True))
    assert kinds[-2:] == [EventKind.CHANGED, EventKind.SLA_BREACH]
    breach = order.events.get(kind=EventKind.SLA_BREACH)
    assert breach.actor is None and breach.time == minutes(20) and breach.changes == {"target": [None, "response"]}
    assert sla.sweep(minutes(21)) == {"warned": 0, "breached": 0}


def test_an_upgrade_to_80_percent_warns_then_the_sweep_reports_the_breach(cast, repairs, clock):
    order = new_order(cast, repairs, Priority.NORMAL)
    clock.at(4.5)  # urgent: 5 minutes to respond, 90 % gone

    order = services.change(order, by=cast.agent, priority=Priority.URGENT)

    assert state(order) == (1, False)
    assert sla_events(order) == [EventKind.SLA_WARNING]
    assert sla.sweep(minutes(4.8)) == {"warned": 0, "breached": 0}
    assert sla.sweep(minutes(5)) == {"warned": 0, "breached": 1}
    assert sla_events(order) == [EventKind.SLA_WARNING, EventKind.SLA_BREACH]


def test_a_category_change_follows_the_new_categorys_targets(cast, repairs, clock):
    order = new_order(cast, repairs, Priority.NORMAL)
    assert sla.sweep(minutes(24)) == {"warned": 1, "breached": 0}
    patient_care = ServiceCategoryFactory(name="陪护")
    patient_care.sla_targets.create(
        priority=Priority.NORMAL, response_minutes=60, arrival_minutes=120, completion_minutes=600
    )

    clock.at(24)
    order = services.change(order, by=cast.agent, category=patient_care)

    assert state(order) == (0, False)
    assert sla.sweep(minutes(47)) == {"warned": 0, "breached": 0}
    assert sla.sweep(minutes(48)) == {"warned": 1, "breached": 0}


def test_a_stage_reached_late_under_the_new_targets_counts_as_missed(cast, repairs, clock):
    order = new_order(cast, repairs, Priority.NORMAL)
    clock.at(20)
    order = services.dispatch(order, by=cast.dispatcher, assignee=cast.worker.person)  # on time for normal
    clock.at(21)

    order = services.change(order, by=cast.agent, priority=Priority.HIGH)

    # High: respond within 10 minutes (missed: dispatched after 20), arrive within 30 (70 % gone).
    assert state(order) == (0, True)
    assert sla_events(order) == []
    changed = order.events.get(kind=EventKind.CHANGED)
    assert changed.changes["breached"] == [False, True]
    assert sla.sweep(minutes(24)) == {"warned": 1, "breached": 0}


def test_on_hold_where_hold_time_does_not_count_the_clock_is_read_when_the_hold_began(cast, repairs, clock):
    order = new_order(cast, repairs, Priority.NORMAL)
    clock.at(5)
    order = services.dispatch(order, by=cast.dispatcher, assignee=cast.worker.person)
    order = services.start(order, by=cast.worker)
    clock.at(20)
    order = services.hold(order, by=cast.worker, reason=HoldReason.PARTS)
    clock.at(110)

    order = services.change(order, by=cast.agent, priority=Priority.URGENT)

    # Urgent: complete within 120 minutes; 20 were worked before the hold, the 90 on hold do not count.
    assert state(order) == (0, False)
    assert sla_events(order) == []


def test_nothing_changed_leaves_the_service_level_state_alone(cast, repairs, clock):
    order = new_order(cast, repairs, Priority.URGENT)
    sla.sweep(minutes(10))
    clock.at(10)
    services.change(order, by=cast.agent, priority=Priority.URGENT)
    assert state(order) == (2, True)


# --- reopen (rework) ---------------------------------------------------------------------------


def completed(cast, order, clock, *, at: float) -> WorkOrder:
    order = services.dispatch(order, by=cast.dispatcher, assignee=cast.worker.person)
    order = services.start(order, by=cast.worker)
    clock.at(at)
    return services.complete(order, by=cast.worker, note="换灯管", labor_minutes=15)


def test_a_job_done_on_time_and_reopened_after_its_deadline_is_reported_late_once(cast, repairs, clock):
    order = completed(cast, new_order(cast, repairs, Priority.NORMAL), clock, at=60)
    assert state(order) == (0, False)
    clock.at(1500)  # the completion deadline (1440 minutes from creation) is gone

    order = services.reopen(order, by=cast.agent, reason="还是不亮")

    # Reopening keeps the state; the deadlines stay measured from creation.
    assert state(order) == (0, False) and order.completion_due == minutes(1440)
    assert sla.sweep(minutes(1501)) == {"warned": 0, "breached": 1}
    assert sla.sweep(minutes(1600)) == {"warned": 0, "breached": 0}
    assert state(order) == (2, True)


def test_a_breached_order_reopened_keeps_its_breach_and_is_not_reported_again(cast, repairs, clock):
    order = new_order(cast, repairs, Priority.URGENT)
    clock.at(1)
    order = services.dispatch(order, by=cast.dispatcher, assignee=cast.worker.person)
    order = services.start(order, by=cast.worker)
    assert sla.sweep(minutes(130)) == {"warned": 0, "breached": 1}
    clock.at(140)
    order = services.complete(order, by=cast.worker, note="换灯管", labor_minutes=15)
    order = services.follow_up(order, by=cast.agent, rating=2, method=FollowUpMethod.PHONE)
    clock.at(200)

    order = services.reopen(order, by=cast.agent, reason="还是不亮")

    assert order.status == Status.DISPATCHED and state(order) == (2, True)
    assert sla.sweep(minutes(300)) == {"warned": 0, "breached": 0}
    assert sla_events(order) == [EventKind.SLA_BREACH]


def test_a_new_location_keeps_the_targets_and_the_level(cast, repairs, clock):
    order = new_order(cast, repairs, Priority.NORMAL)
    assert sla.sweep(minutes(24)) == {"warned": 1, "breached": 0}  # response at 80 %
    clock.at(25)
    order = services.dispatch(order, by=cast.dispatcher, assignee=cast.worker.person)

    # Now racing against arrival (21 % gone): a corrected place is no reason to warn again.
    order = services.change(order, by=cast.agent, location=LocationFactory(site=cast.site))

    assert state(order) == (1, False)
    assert sla.sweep(minutes(96)) == {"warned": 0, "breached": 0}
