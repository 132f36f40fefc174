"""The daily rollup always agrees with a full recount of the orders.

Orders go through their whole lives by the services (created, dispatched, held, completed,
rated, reopened, merged, moved, recategorised) on a clock that crosses local midnight, while
categories change their weight and hold rule and a place moves to the other site. After every
step: what a reader gets from the rollup (rows, with the marked days recounted) equals the
rollup computed afresh from every order, and so do the KPIs; after a fold, the stored rows
themselves equal the recount."""

import contextlib
import datetime
import json
import threading
from decimal import Decimal
from types import SimpleNamespace
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from houqin.core.exceptions import ConflictError
from houqin.insight import kpis, rollup
from houqin.insight.models import DayFigures, DayRepeats, RollupMark
from houqin.insight.periods import Period
from houqin.org.models import LocationKind
from houqin.org.tests.factories import LocationFactory, PersonFactory, SiteFactory, TeamFactory
from houqin.servicedesk import services
from houqin.servicedesk.models import Channel, FollowUpMethod, HoldReason, WorkOrder
from houqin.servicedesk.tests.factories import ServiceCategoryFactory, backdate

ZONE = timezone.get_default_timezone()
START = timezone.make_aware(datetime.datetime(2026, 3, 1, 22, 30), ZONE)
# Every day an order of the tests can fall on (backdating reaches back at most 40 days).
HISTORY = Period(datetime.date(2025, 12, 15), datetime.date(2026, 12, 31))


def normalised(rows) -> list[tuple]:
    """Rollup rows comparable whatever order the database aggregated them in."""
    out = []
    for row in rows:
        values = dict(row)
        for name in rollup.LISTS:
            listed = values[name]  # text as stored, a list as read
            values[name] = tuple(sorted(json.loads(listed) if isinstance(listed, str) else listed))
        values["answer_minutes"] = round(values["answer_minutes"], 6)
        values["points"] = Decimal(values["points"]).quantize(Decimal("0.01"))
        out.append(tuple(sorted(values.items())))
    return sorted(out, key=repr)


def recount() -> list[tuple]:
    figures = rollup.compute(WorkOrder.objects.all(), HISTORY)
    return normalised(figures.values())


def stored() -> list[tuple]:
    return normalised(DayFigures.objects.values(*rollup.KEY, *rollup.CREATED, *rollup.COMPLETED))


def _per_place(rows) -> list[tuple]:
    totals: dict = {}
    for row in rows:
        key = (row["day"], row["category_id"], row["site_id"], row["team_id"], row["channel"], row["location_id"])
        totals[key] = totals.get(key, 0) + row["count"]
    return sorted(((*key, count) for key, count in totals.items()), key=repr)


def recount_repeats() -> list[tuple]:
    return _per_place(rollup.compute_repeats(WorkOrder.objects.all(), HISTORY))


def stored_repeats() -> list[tuple]:
    return _per_place(DayRepeats.objects.values(*rollup.KEY, "location_id", "count"))


def _totals(rows) -> dict:
    totals: dict = {}
    for row in rows:
        totals[row["location_id"]] = totals.get(row["location_id"], 0) + row["count"]
    return totals


def read_repeats() -> dict:
    """Repeat faults per place as a reader gets them (the stored rows summed, marked days recounted)."""
    return rollup.Selection().repeats(WorkOrder.objects.all(), HISTORY)


def read() -> list[tuple]:
    return normalised(rollup.Selection().figures(WorkOrder.objects.all(), HISTORY))


@pytest.fixture
def world(cast):
    other_site = SiteFactory(code="EAST", name="东院区")
    repair = ServiceCategoryFactory(code="REPAIR", weight=Decimal(2), hold_excluded=True)
    clean = ServiceCategoryFactory(code="CLEAN", weight=Decimal(1), hold_excluded=False)
    complaint = ServiceCategoryFactory(code="COMPLAINT", is_complaint=True)
    building = LocationFactory(code="B1", site=cast.site, kind=LocationKind.BUILDING)
    rooms = [LocationFactory(code=f"B1-10{n}", site=cast.site, parent=building, kind=LocationKind.ROOM) for n in (1, 2)]
    east = LocationFactory(code="E1", site=other_site, kind=LocationKind.BUILDING)
    teams = [TeamFactory(code="SD", company=cast.hospital), TeamFactory(code="BJ", company=cast.contractor)]
    workers = [
        PersonFactory(employee_no="W1", company=cast.hospital, team=teams[0]),
        PersonFactory(employee_no="W2", company=cast.contractor, team=teams[1]),
    ]
    root = type(cast.director).objects.create_superuser("root", "root@example.org", "x")
    return SimpleNamespace(
        cast=cast,
        sites=[cast.site, other_site],
        categories=[repair, clean, complaint],
        places=[*rooms, east, None],
        teams=teams,
        workers=workers,
        root=root,
    )


@pytest.fixture
def machine(world):
    """The state machine's steps, to call one by one (its clock stopped at START)."""
    steps = RollupMachine(world)
    yield steps
    steps.teardown()


class RollupMachine(RuleBasedStateMachine):
    def __init__(self, world):
        super().__init__()
        self.world = world
        self.clock = START
        self.orders: list[int] = []
        self.patch = mock.patch.object(timezone, "now", side_effect=lambda: self.clock)
        self.patch.start()

    def teardown(self):
        self.patch.stop()

    def _order(self, index) -> WorkOrder:
        return WorkOrder.objects.get(pk=self.orders[index % len(self.orders)])

    def _try(self, action, *args, **kwargs):
        # Refused in the order's status (or as a change to nothing): nothing was written.
        with contextlib.suppress(ConflictError, ValidationError):
            action(*args, **kwargs)

    @initialize()
    def first_order(self):
        self.create(0, 0, Channel.PHONE)

    @rule(category=st.integers(0, 2), place=st.integers(0, 3), channel=st.sampled_from([Channel.PHONE, Channel.WEB]))
    def create(self, category, place, channel):
        location = self.world.places[place]
        order = services.create_work_order(
            category=self.world.categories[category],
            description="灯不亮",
            by=self.world.root,
            location=location,
            department=None if location else self.world.cast.dept,
            channel=channel,
        )
        self.orders.append(order.pk)

    @rule(minutes=st.sampled_from([7, 45, 95, 240, 600, 1440, 2 * 1440 + 13]))
    def wait(self, minutes):
        self.clock += datetime.timedelta(minutes=minutes)

    @rule(index=st.integers(0, 50), worker=st.integers(0, 1))
    def dispatch(self, index, worker):
        self._try(services.dispatch, self._order(index), by=self.world.root, assignee=self.world.workers[worker])

    @rule(index=st.integers(0, 50))
    def start(self, index):
        self._try(services.start, self._order(index), by=self.world.root)

    @rule(index=st.integers(0, 50))
    def hold(self, index):
        self._try(services.hold, self._order(index), by=self.world.root, reason=HoldReason.PARTS)

    @rule(index=st.integers(0, 50))
    def resume(self, index):
        self._try(services.resume, self._order(index), by=self.world.root)

    @rule(index=st.integers(0, 50), difficulty=st.sampled_from(["1", "1.5"]))
    def complete(self, index, difficulty):
        self._try(
            services.complete,
            self._order(index),
            by=self.world.root,
            note="修好",
            labor_minutes=30,
            difficulty=difficulty,
        )

    @rule(index=st.integers(0, 50), rating=st.integers(1, 5))
    def rate(self, index, rating):
        self._try(
            services.follow_up, self._order(index), by=self.world.root, rating=rating, method=FollowUpMethod.PHONE
        )

    @rule(index=st.integers(0, 50))
    def close(self, index):
        self._try(services.close, self._order(index), by=self.world.root, answer="已处理并答复")

    @rule(index=st.integers(0, 50))
    def reopen(self, index):
        self._try(services.reopen, self._order(index), by=self.world.root, reason="又坏了")

    @rule(index=st.integers(0, 50), original=st.integers(0, 50))
    def merge(self, index, original):
        order, first = self._order(index), self._order(original)
        if order.pk != first.pk and first.duplicate_of_id is None:
            self._try(services.cancel, order, by=self.world.root, reason="重复", duplicate_of=first)

    @rule(index=st.integers(0, 50), category=st.integers(0, 2), place=st.integers(0, 2))
    def change(self, index, category, place):
        self._try(
            services.change,
            self._order(index),
            by=self.world.root,
            category=self.world.categories[category],
            location=self.world.places[place],
        )

    @rule(index=st.integers(0, 50), team=st.integers(0, 1))
    def transfer(self, index, team):
        self._try(services.transfer, self._order(index), by=self.world.root, team=self.world.teams[team], reason="转")

    @rule(index=st.integers(0, 50), days=st.integers(1, 40))
    def backdate(self, index, days):
        order = self._order(index)
        # An order reported earlier than it was taken in hand (once: the history stays in HISTORY).
        if order.dispatched_at is None and order.created >= START:
            backdate(order, order.created - datetime.timedelta(days=days))

    @rule(category=st.integers(0, 2), weight=st.sampled_from(["1", "2.5"]), hold_excluded=st.booleans())
    def reweigh(self, category, weight, hold_excluded):
        chosen = self.world.categories[category]
        chosen.refresh_from_db()
        chosen.weight, chosen.hold_excluded = Decimal(weight), hold_excluded
        chosen.save()

    @rule(site=st.integers(0, 1))
    def move_east_building(self, site):
        east = self.world.places[2]
        east.refresh_from_db()
        east.site = self.world.sites[site]
        east.save()

    @rule()
    def fold(self):
        rollup.fold()
        assert not RollupMark.objects.exists()
        assert stored() == recount()
        assert stored_repeats() == recount_repeats()

    @invariant()
    def the_rollup_reads_as_a_recount(self):
        assert read() == recount()
        assert read_repeats() == _totals(rollup.compute_repeats(WorkOrder.objects.all(), HISTORY))


@pytest.mark.slow
@pytest.mark.django_db
def test_the_rollup_agrees_with_a_recount_after_every_change(world):
    run_state_machine_as_test(
        lambda: RollupMachine(world),
        settings=settings(
            max_examples=12,
            stateful_step_count=30,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    rollup.fold()
    assert stored() == recount()


def _kpis(orders, period, now):
    return {
        "summary": kpis.summary(orders, period, now),
        "daily": kpis.daily(orders, period),
        "teams": kpis.by_team(orders, period, now),
        "repeats": kpis.repeat_locations(orders, period),
    }


@pytest.mark.django_db
def test_the_kpis_from_the_rollup_equal_the_kpis_from_the_orders(world, machine):
    machine.first_order()
    steps = [
        ("create", (1, 1, Channel.WEB)),
        ("create", (0, 0, Channel.PHONE)),
        ("create", (2, 3, Channel.WEB)),
        ("wait", (45,)),
        ("dispatch", (0, 0)),
        ("dispatch", (1, 1)),
        ("start", (0,)),
        ("hold", (0,)),
        ("wait", (240,)),
        ("resume", (0,)),
        ("complete", (0, "1.5")),
        ("complete", (1, "1")),
        ("create", (0, 0, Channel.WEB)),
        ("wait", (1440,)),
        ("rate", (0, 5)),
        ("rate", (1, 2)),
        ("close", (3,)),
        ("reopen", (1,)),
        ("merge", (4, 2)),
    ]
    for name, args in steps:
        getattr(machine, name)(*args)
    period = Period(datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))
    now = machine.clock
    everything = WorkOrder.objects.all()
    for params in ({}, {"team": "SD"}, {"category": "REPAIR"}, {"channel": ["web"]}, {"site": "EAST"}):
        fast = kpis.scoped_orders(world.root, params)
        assert kpis.rollup_of(fast) is not None
        slow = kpis.scoped_orders(world.root, params).filter(pk__in=everything.values("pk"))
        assert kpis.rollup_of(slow) is None
        assert _kpis(fast, period, now) == _kpis(slow, period, now)
    rollup.fold()
    fast = kpis.scoped_orders(world.root)
    assert _kpis(fast, period, now) == _kpis(WorkOrder.objects.all(), period, now)
    assert kpis.summary(fast, period, now)["volume"]["count"] == 5


@pytest.mark.django_db
def test_moving_an_order_changes_the_repeat_faults_of_the_later_orders_at_both_places(machine):
    """Order 1 at room A, order 2 at room B a day later, same category: no repeat. Moving order 1
    to room B makes order 2 a repeat fault (the later order's day is marked); moving it back
    undoes that."""
    machine.create(0, 0, Channel.PHONE)
    machine.wait(1440)
    machine.create(0, 1, Channel.PHONE)
    rollup.fold()
    assert sum(row["repeats"] for row in DayFigures.objects.values("repeats")) == 0
    for place, repeats in ((1, 1), (0, 0)):
        machine.change(0, 0, place)
        assert read() == recount()
        rollup.fold()
        assert stored() == recount()
        assert sum(row["repeats"] for row in DayFigures.objects.values("repeats")) == repeats


@pytest.mark.django_db
def test_only_a_whole_hospital_view_narrowed_by_rollup_filters_reads_the_rollup(world):
    cast = world.cast
    assert kpis.rollup_of(kpis.scoped_orders(cast.director)) is not None
    assert kpis.rollup_of(kpis.scoped_orders(cast.director, {"team": "SD", "channel": ["web"]})) is not None
    # A filter the rollup does not keep, or a narrower scope: counted from the orders.
    assert kpis.rollup_of(kpis.scoped_orders(cast.director, {"department": "XNK"})) is None
    assert kpis.rollup_of(kpis.scoped_orders(cast.director, {"worker": "W1"})) is None
    assert kpis.rollup_of(kpis.scoped_orders(cast.contractor_manager)) is None
    # Derived querysets are other sets of orders.
    assert kpis.rollup_of(kpis.scoped_orders(cast.director).filter(team__code="SD")) is None


@pytest.mark.django_db
def test_saves_that_touch_no_counted_field_mark_nothing(machine):
    machine.first_order()
    rollup.fold()
    order = WorkOrder.objects.get(pk=machine.orders[0])
    order.sla_level = 2
    order.save(update_fields=["sla_level"])
    assert not RollupMark.objects.exists()
    order.rating = 4
    order.save(update_fields=["rating"])
    assert RollupMark.objects.count() == 1


@pytest.mark.django_db
def test_a_bulk_load_rebuilds_the_rollup(machine):
    machine.first_order()
    machine.create(1, 1, Channel.WEB)
    # Written past the ORM, then announced as the demo loader does.
    WorkOrder.objects.filter(pk=machine.orders[0]).update(channel=Channel.WEB)
    services.orders_written_in_bulk.send(sender=WorkOrder)
    assert not RollupMark.objects.exists()
    assert stored() == recount()


def test_the_fold_is_a_periodic_job_of_the_scheduler():
    from houqin.core.scheduler import registered_jobs

    jobs = {job.name: job for job in registered_jobs()}
    assert jobs["insight.fold_rollup"].every == datetime.timedelta(minutes=1)


def test_value_lists_keep_every_double_exactly(db):
    """A duration such as a third of a minute comes back from the rollup's list as the very double
    the database's own percentile would have used."""
    from django.db.models import FloatField, Value

    from houqin.org.models import Site

    SiteFactory(code="ONE")
    for value in (1 / 3, 0.1, 12345.678901234567, 2.0, 1e-7, -0.5):
        listed = Site.objects.filter(code="ONE").aggregate(
            listed=rollup.ValueList(Value(value, output_field=FloatField()))
        )
        assert json.loads(listed["listed"]) == [value]
    assert Site.objects.filter(code="NONE").aggregate(listed=rollup.ValueList(Value(1.0)))["listed"] is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="writers and folds at once need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_orders_changed_while_folds_run_leave_the_rollup_equal_to_a_recount(world):
    """Eight threads on their own connections: six work orders through their lives (created,
    dispatched, started, completed, rated) while two fold over and over. Writers only add marks and the
    folds take turns, so nothing waits long, nothing deadlocks, and the end agrees."""
    category, place, worker, root = world.categories[0], world.places[0], world.workers[0], world.root
    errors = []
    barrier = threading.Barrier(8)

    def work(index):
        try:
            barrier.wait(timeout=10)
            for step in range(4):
                order = services.create_work_order(
                    category=category, description=f"{index}-{step}", by=root, location=place
                )
                order = services.dispatch(order, by=root, assignee=worker)
                order = services.start(order, by=root)
                order = services.complete(order, by=root, note="修好", labor_minutes=10)
                services.follow_up(order, by=root, rating=1 + (index + step) % 5, method=FollowUpMethod.PHONE)
        except Exception as error:  # noqa: BLE001  (reported below)
            errors.append(error)
        finally:
            connection.close()

    def fold():
        try:
            barrier.wait(timeout=10)
            for _round in range(6):
                rollup.fold()
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    threads += [threading.Thread(target=fold) for _i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hangs"
    assert errors == []
    assert read() == recount()
    rollup.fold()
    assert stored() == recount()
    assert sum(row["completed"] for row in DayFigures.objects.values("completed")) == 24
