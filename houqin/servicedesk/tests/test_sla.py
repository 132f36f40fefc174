"""Service levels: the deadlines an order gets, how hold time moves them, which target the clock
runs against, the sweep that warns at 80 % and escalates a breach once, and the auto-close
policy. Time never passes for real here: the services' clock is frozen and moved by hand, and
the sweep and auto-close are given their `now`."""

import datetime
from types import SimpleNamespace

import pytest

from houqin.servicedesk import services, sla
from houqin.servicedesk.models import (
    DEFAULT_SLA_MINUTES,
    EventKind,
    FollowUpMethod,
    HoldReason,
    Priority,
    SlaTarget,
    Status,
    WorkOrder,
)
from houqin.servicedesk.tests.factories import ServiceCategoryFactory

T0 = datetime.datetime(2026, 3, 2, 1, 0, tzinfo=datetime.UTC)  # 09:00 in Beijing


def minutes(n: float) -> datetime.datetime:
    return T0 + datetime.timedelta(minutes=n)


@pytest.fixture
def clock(monkeypatch):
    """The services' clock, frozen at T0; move it with clock.at(minutes after T0)."""
    state = SimpleNamespace(now=T0)
    monkeypatch.setattr(services, "_now", lambda: state.now)
    state.at = lambda n: setattr(state, "now", minutes(n))
    return state


@pytest.fixture
def repairs(db):
    return ServiceCategoryFactory(name="电气", hold_excluded=True)


@pytest.fixture
def worker(cast):
    return cast.worker.person


def new_order(cast, category, priority=None, at=0) -> WorkOrder:
    return services.create_work_order(
        category=category, description="灯不亮", by=cast.agent, accept=True, priority=priority, at=minutes(at)
    )


def due(order) -> tuple[datetime.datetime, datetime.datetime, datetime.datetime]:
    order.refresh_from_db()
    return order.response_due, order.arrival_due, order.completion_due


def targets_from(start, response, arrival, completion):
    return tuple(start + datetime.timedelta(minutes=m) for m in (response, arrival, completion))


def sla_events(order) -> list[str]:
    return list(
        order.events.filter(kind__in=[EventKind.SLA_WARNING, EventKind.SLA_BREACH]).values_list("kind", flat=True)
    )


# --- deadlines ------------------------------------------------------------------------------------


@pytest.mark.parametrize("priority", Priority.values)
def test_an_order_gets_the_hospital_defaults_for_its_priority(cast, repairs, priority):
    order = new_order(cast, repairs, priority)
    assert due(order) == targets_from(T0, *DEFAULT_SLA_MINUTES[Priority(priority)])


def test_a_category_target_replaces_the_default_for_its_priority_only(cast, repairs):
    SlaTarget.objects.create(
        category=repairs, priority=Priority.URGENT, response_minutes=3, arrival_minutes=10, completion_minutes=60
    )
    assert due(new_order(cast, repairs, Priority.URGENT)) == targets_from(T0, 3, 10, 60)
    assert due(new_order(cast, repairs, Priority.HIGH)) == targets_from(T0, 10, 30, 240)


def test_deadlines_follow_a_priority_change_counted_from_creation(cast, repairs, clock):
    order = new_order(cast, repairs, Priority.NORMAL)
    clock.at(20)
    order = services.change(order, by=cast.agent, priority=Priority.URGENT, version=order.version)
    assert due(order) == targets_from(T0, 5, 15, 120)
    assert order.events.filter(kind=EventKind.CHANGED).get().changes["priority"] == [
        str(Priority.NORMAL.label),
        str(Priority.URGENT.label),
    ]


def test_deadlines_follow_a_category_change(cast, repairs, clock):
    lifts = ServiceCategoryFactory(name="电梯")
    SlaTarget.objects.create(
        category=lifts, priority=Priority.NORMAL, response_minutes=5, arrival_minutes=15, completion_minutes=60
    )
    order = services.change(new_order(cast, repairs), by=cast.dispatcher, category=lifts)
    assert due(order) == targets_from(T0, 5, 15, 60)


def test_time_on_hold_pushes_the_deadlines_where_the_category_excludes_it(cast, repairs, worker, clock):
    order = new_order(cast, repairs)
    before = due(order)
    clock.at(5)
    order = services.hold(order, by=cast.dispatcher, reason=HoldReason.DEPARTMENT)
    clock.at(65)
    order = services.resume(order, by=cast.dispatcher)
    assert order.status == Status.ACCEPTED and order.held_minutes == 60
    assert due(order) == tuple(d + datetime.timedelta(minutes=60) for d in before)
    # A second hold adds up.
    clock.at(70)
    order = services.hold(order, by=cast.dispatcher, reason=HoldReason.PARTS)
    clock.at(100)
    order = services.resume(order, by=cast.dispatcher)
    assert order.held_minutes == 90
    assert due(order) == tuple(d + datetime.timedelta(minutes=90) for d in before)


def test_time_on_hold_counts_where_the_category_says_so(cast, clock):
    cleaning = ServiceCategoryFactory(name="终末消毒", hold_excluded=False)
    order = new_order(cast, cleaning)
    before = due(order)
    clock.at(5)
    order = services.hold(order, by=cast.dispatcher, reason=HoldReason.DEPARTMENT)
    clock.at(65)
    order = services.resume(order, by=cast.dispatcher)
    assert order.held_minutes == 60
    assert due(order) == before


# --- the clock ------------------------------------------------------------------------------------


def test_the_clock_runs_against_response_then_arrival_then_completion(cast, repairs, worker, clock):
    order = new_order(cast, repairs)  # normal: 30 / 120 / 1440 minutes
    assert sla.current_clock(order, minutes(15)) == sla.Clock("response", minutes(30), 0.5)
    clock.at(10)
    order = services.dispatch(order, by=cast.dispatcher, assignee=worker)
    assert sla.current_clock(order, minutes(60)) == sla.Clock("arrival", minutes(120), 0.5)
    clock.at(20)
    order = services.start(order, by=cast.worker)
    assert sla.current_clock(order, minutes(720)) == sla.Clock("completion", minutes(1440), 0.5)
    clock.at(30)
    order = services.complete(order, by=cast.worker, note="更换灯管", labor_minutes=15)
    assert sla.current_clock(order, minutes(2000)) is None


def test_the_clock_stops_while_on_hold_only_where_hold_time_does_not_count(cast, repairs, clock):
    cleaning = ServiceCategoryFactory(name="终末消毒", hold_excluded=False)
    excluded, counted = new_order(cast, repairs), new_order(cast, cleaning)
    clock.at(5)
    excluded = services.hold(excluded, by=cast.dispatcher, reason=HoldReason.PARTS)
    counted = services.hold(counted, by=cast.dispatcher, reason=HoldReason.PARTS)
    assert sla.current_clock(excluded, minutes(60)) is None
    assert sla.current_clock(counted, minutes(60)) == sla.Clock("response", minutes(30), 2.0)


def test_the_clock_counts_working_time_after_a_hold(cast, repairs, clock):
    order = new_order(cast, repairs)  # response within 30 working minutes
    clock.at(5)
    order = services.hold(order, by=cast.dispatcher, reason=HoldReason.DEPARTMENT)
    clock.at(65)
    order = services.resume(order, by=cast.dispatcher)
    # 20 minutes worked of 30 (an hour waited for the department does not count).
    assert sla.current_clock(order, minutes(80)) == sla.Clock("response", minutes(90), pytest.approx(20 / 30))


def test_a_cancelled_order_has_no_clock(cast, repairs):
    order = services.cancel(new_order(cast, repairs), by=cast.agent, reason="重复报修")
    assert sla.current_clock(order, minutes(600)) is None


# --- the sweep ------------------------------------------------------------------------------------


def test_the_sweep_warns_at_80_percent_and_escalates_a_breach_once_each(cast, repairs):
    order = new_order(cast, repairs)  # response due in 30 minutes
    assert sla.sweep(minutes(23)) == {"warned": 0, "breached": 0}
    assert sla.sweep(minutes(24)) == {"warned": 1, "breached": 0}
    assert sla.sweep(minutes(24)) == {"warned": 0, "breached": 0}
    assert sla.sweep(minutes(29)) == {"warned": 0, "breached": 0}
    order.refresh_from_db()
    assert (order.sla_level, order.breached) == (sla.LEVEL_WARNING, False)
    assert sla.sweep(minutes(30)) == {"warned": 0, "breached": 1}
    assert sla.sweep(minutes(30)) == {"warned": 0, "breached": 0}
    assert sla.sweep(minutes(600)) == {"warned": 0, "breached": 0}
    order.refresh_from_db()
    assert (order.sla_level, order.breached) == (sla.LEVEL_BREACH, True)
    assert sla_events(order) == [EventKind.SLA_WARNING, EventKind.SLA_BREACH]
    warning = order.events.get(kind=EventKind.SLA_WARNING)
    assert (warning.time, warning.actor, warning.changes) == (minutes(24), None, {"target": [None, "response"]})
    # The escalation is not somebody's change: an agent's version still holds.
    assert order.version == 1


def test_an_order_found_late_is_escalated_as_a_breach_once(cast, repairs):
    order = new_order(cast, repairs)
    assert sla.sweep(minutes(45)) == {"warned": 0, "breached": 1}
    assert sla.sweep(minutes(46)) == {"warned": 0, "breached": 0}
    assert sla_events(order) == [EventKind.SLA_BREACH]


def test_the_sweep_follows_the_target_the_order_races_against(cast, repairs, worker, clock):
    order = new_order(cast, repairs)
    clock.at(10)
    services.dispatch(order, by=cast.dispatcher, assignee=worker)
    # Response met; arrival (120 minutes) is 80 % gone at 96.
    assert sla.sweep(minutes(95)) == {"warned": 0, "breached": 0}
    assert sla.sweep(minutes(96)) == {"warned": 1, "breached": 0}
    assert order.events.get(kind=EventKind.SLA_WARNING).changes == {"target": [None, "arrival"]}


def test_the_sweep_leaves_orders_alone_while_held_where_hold_time_does_not_count(cast, repairs, clock):
    cleaning = ServiceCategoryFactory(name="终末消毒", hold_excluded=False)
    excluded, counted = new_order(cast, repairs), new_order(cast, cleaning)
    clock.at(5)
    services.hold(excluded, by=cast.dispatcher, reason=HoldReason.PARTS)
    services.hold(counted, by=cast.dispatcher, reason=HoldReason.PARTS)
    assert sla.sweep(minutes(180)) == {"warned": 0, "breached": 1}
    assert sla_events(excluded) == [] and sla_events(counted) == [EventKind.SLA_BREACH]
    # Back at work after three hours: 5 of its 30 minutes are used, nothing to report.
    clock.at(185)
    services.resume(excluded, by=cast.dispatcher)
    assert sla.sweep(minutes(185)) == {"warned": 0, "breached": 0}
    # 80 % of the working time: 24 minutes worked.
    assert sla.sweep(minutes(203)) == {"warned": 0, "breached": 0}
    assert sla.sweep(minutes(204)) == {"warned": 1, "breached": 0}
    assert sla.sweep(minutes(210)) == {"warned": 0, "breached": 1}


def test_the_sweep_ignores_finished_orders(cast, repairs, worker, clock):
    done = new_order(cast, repairs)
    services.dispatch(done, by=cast.dispatcher, assignee=worker)
    services.start(done, by=cast.worker)
    services.complete(done, by=cast.worker, note="更换灯管", labor_minutes=15)
    services.cancel(new_order(cast, repairs), by=cast.agent, reason="重复报修")
    assert sla.sweep(minutes(5000)) == {"warned": 0, "breached": 0}


# --- auto-close -----------------------------------------------------------------------------------


def completed_order(cast, category, worker, clock, at=60):
    order = new_order(cast, category)
    clock.at(at)
    order = services.dispatch(order, by=cast.dispatcher, assignee=worker)
    order = services.start(order, by=cast.worker)
    return services.complete(order, by=cast.worker, note="更换灯管", labor_minutes=15)


def test_a_completed_order_nobody_rated_closes_as_satisfied_after_the_categorys_time(cast, repairs, worker, clock):
    order = completed_order(cast, repairs, worker, clock)  # completed at T0 + 60 min, 72 hours to rate
    completed_at = order.completed_at
    assert services.auto_close(order, now=completed_at + datetime.timedelta(hours=71, minutes=59)) is None
    order.refresh_from_db()
    assert order.status == Status.COMPLETED
    closing_time = completed_at + datetime.timedelta(hours=72)
    order = services.auto_close(order, now=closing_time)
    order.refresh_from_db()
    assert order.status == Status.CLOSED
    assert (order.rating, order.follow_up_method) == (5, FollowUpMethod.AUTO)
    assert order.followed_up_at == order.closed_at == closing_time
    event = order.events.get(kind=EventKind.CLOSED)
    assert (event.from_status, event.to_status, event.actor, event.time) == (
        Status.COMPLETED,
        Status.CLOSED,
        None,
        closing_time,
    )
    # Once closed, the policy has nothing more to do.
    assert services.auto_close(order, now=closing_time + datetime.timedelta(days=30)) is None


def test_auto_close_follows_the_categorys_hours(cast, worker, clock):
    transport = ServiceCategoryFactory(name="标本运送", auto_close_hours=24)
    never = ServiceCategoryFactory(name="大修", auto_close_hours=None)
    quick = completed_order(cast, transport, worker, clock)
    kept = completed_order(cast, never, worker, clock)
    a_day_later = quick.completed_at + datetime.timedelta(hours=24)
    assert services.auto_close(quick, now=a_day_later) is not None
    assert services.auto_close(kept, now=a_day_later + datetime.timedelta(days=365)) is None
    kept.refresh_from_db()
    assert kept.status == Status.COMPLETED


def test_auto_close_never_closes_a_complaint(cast, worker, clock):
    complaints = ServiceCategoryFactory(name="投诉", is_complaint=True)
    order = completed_order(cast, complaints, worker, clock)
    assert services.auto_close(order, now=order.completed_at + datetime.timedelta(days=30)) is None
    order.refresh_from_db()
    assert (order.status, order.rating, order.closed_at) == (Status.COMPLETED, None, None)


def test_auto_close_leaves_rated_orders_to_the_inspector(cast, repairs, worker, clock):
    order = completed_order(cast, repairs, worker, clock)
    order = services.follow_up(order, by=cast.agent, rating=3, method=FollowUpMethod.PHONE)
    assert services.auto_close(order, now=order.completed_at + datetime.timedelta(days=30)) is None
    order.refresh_from_db()
    assert (order.status, order.rating) == (Status.FOLLOWED_UP, 3)
