"""The service desk's demo (houqin/servicedesk/demo.py, manage.py seed_servicedesk, and the hook
that makes manage.py seed_demo load it too): the issue's catalog, a history that agrees with its
own timelines, the figures of a real desk, a live queue, and the same data for the same seed."""

import datetime
import hashlib
import io
from collections import Counter, defaultdict

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone, translation

from houqin.org.demo import load_demo as load_hospital
from houqin.org.models import LocationKind, Team
from houqin.servicedesk import demo as sd_demo
from houqin.servicedesk import services
from houqin.servicedesk.demo import delete_demo, load_demo, refresh_demo
from houqin.servicedesk.models import (
    OPEN_STATUSES,
    Channel,
    EventKind,
    FollowUpMethod,
    Priority,
    ServiceCategory,
    Status,
    WorkOrder,
    WorkOrderEvent,
)

HOSPITAL_DAY = datetime.date(2026, 3, 1)
# A Monday afternoon: the desk is busy.
NOW = timezone.make_aware(datetime.datetime(2026, 3, 2, 15, 30))
SCALE, DAYS = 0.3, 5  # ~1,200 orders: every kind of story, loaded in a few seconds

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    """One demo for the module's tests, rolled back afterwards."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_hospital(scale=0.1, today=HOSPITAL_DAY)
        counts = load_demo(scale=SCALE, days=DAYS, now=NOW)
        yield counts
        transaction.set_rollback(True)


def orders_with_events():
    events = defaultdict(list)
    for event in WorkOrderEvent.objects.order_by("time", "id"):
        events[event.order_id].append(event)
    orders = WorkOrder.objects.select_related("category", "location", "assignee").prefetch_related(
        "category__sla_targets"
    )
    return [(order, events[order.pk]) for order in orders]


def share(orders, test) -> float:
    return sum(1 for order in orders if test(order)) / len(orders)


# --- the catalog --------------------------------------------------------------------------------


def test_the_catalog_is_the_issues(loaded):
    categories = {c.code: c for c in ServiceCategory.objects.select_related("parent", "default_team")}
    groups = {c.parent.name for c in categories.values() if c.parent_id}
    assert groups == {"维修", "保洁", "运送", "膳食"}
    names = {c.name for c in categories.values() if not c.children.exists()}
    assert names >= {"电气", "给排水", "暖通空调", "电梯", "门窗木工", "医疗设备外围", "临时保洁", "终末消毒"}
    assert names >= {"病人", "标本", "药品", "物品", "订餐咨询", "送餐", "医用气体/氧气", "陪护", "加床"}
    assert names >= {"被服洗涤", "物品配送/快递", "投诉建议"}
    assert all(c.name_en and c.icon for c in categories.values())
    teams = set(Team.objects.values_list("code", flat=True))
    assert all(c.default_team.code in teams for c in categories.values() if c.code != "TS")
    assert categories["WX-DT"].default_team.code == "DTB" and categories["BJ-ZM"].default_team.code == "BJB"
    for code in ("WX-DT", "YQ"):
        assert categories[code].targets(Priority.URGENT) == (3, 10, 60)
    assert categories["WX-DQ"].targets(Priority.NORMAL) == (30, 120, 1440)
    complaint = categories["TS"]
    assert complaint.is_complaint and complaint.auto_close_hours is None and not complaint.requires_location
    assert all(
        c.auto_dispatch and c.followup_sample_percent == 20 for k, c in categories.items() if k.startswith("YS-")
    )
    assert all(c.followup_sample_percent == 20 for k, c in categories.items() if k.startswith("BJ-"))
    assert categories["WX-DQ"].followup_sample_percent == 100 and not categories["WX-DQ"].auto_dispatch
    assert all(c.hold_excluded for c in categories.values())
    assert {c.auto_close_hours for k, c in categories.items() if k != "TS"} == {72}


# --- the history ----------------------------------------------------------------------------------


def test_the_volume_and_mix_are_a_hospitals(loaded):
    orders = list(WorkOrder.objects.select_related("category__parent"))
    expected = sd_demo.ORDERS_PER_DAY * SCALE * DAYS
    assert 0.85 * expected <= len(orders) <= 1.15 * expected
    assert loaded["work orders"] == len(orders)

    def group(order):
        return order.category.parent.code if order.category.parent_id else order.category.code

    assert 0.29 <= share(orders, lambda o: group(o) == "WX") <= 0.41
    assert 0.24 <= share(orders, lambda o: group(o) == "YS") <= 0.36
    assert 0.15 <= share(orders, lambda o: group(o) == "BJ") <= 0.25
    assert 0.48 <= share(orders, lambda o: o.channel == Channel.PHONE) <= 0.62
    assert 0.18 <= share(orders, lambda o: o.channel in (Channel.WEB, Channel.MOBILE)) <= 0.32
    assert 0.10 <= share(orders, lambda o: o.channel == Channel.QR) <= 0.20
    hours = Counter(timezone.localtime(o.created).hour for o in orders)
    assert hours[9] + hours[10] > 4 * (hours[2] + hours[3]) and hours[15] > 3 * hours[3]
    assert all(NOW - datetime.timedelta(days=DAYS) <= o.created <= NOW for o in orders)


def test_every_order_agrees_with_its_timeline(loaded):
    checked = 0
    for order, events in orders_with_events():
        check_order(order, events)
        checked += 1
    assert checked == WorkOrder.objects.count()


def check_order(order: WorkOrder, events: list[WorkOrderEvent], now: datetime.datetime = NOW) -> None:
    where = f"{order.number} ({order.status})"
    first = events[0]
    assert (first.kind, first.to_status, first.time) == (EventKind.CREATED, Status.NEW, order.created), where
    times = [event.time for event in events]
    assert times == sorted(times) and times[-1] <= now, where
    status = Status.NEW
    for event in events[1:]:
        if event.to_status:
            assert event.from_status == status, f"{where}: {event.kind} from {event.from_status}, was {status}"
            status = event.to_status
        else:
            assert event.from_status == "", where
    assert status == order.status, where

    def at(kind, last=False):
        found = [event.time for event in events if event.kind == kind]
        return (found[-1] if last else found[0]) if found else None

    # Each stage's time is the time of its event.
    assert order.dispatched_at == at(EventKind.DISPATCHED), where
    assert order.arrived_at == at(EventKind.STARTED), where
    accepted = at(EventKind.ACCEPTED) or order.dispatched_at  # dispatched straight from "new"
    assert order.accepted_at == accepted, where
    done = (Status.COMPLETED, Status.FOLLOWED_UP, Status.CLOSED)
    assert order.completed_at == (at(EventKind.COMPLETED, last=True) if order.status in done else None), where
    assert order.closed_at == at(EventKind.CLOSED), where
    assert order.cancelled_at == at(EventKind.CANCELLED), where
    if order.follow_up_method == FollowUpMethod.AUTO:
        assert order.followed_up_at == order.closed_at and order.rating == 5 and at(EventKind.FOLLOWED_UP) is None
    else:
        assert order.followed_up_at == at(EventKind.FOLLOWED_UP), where
    assert order.rework_count == sum(event.kind == EventKind.REOPENED for event in events), where

    # The status says which stages were reached.
    reached = {
        "accepted_at": order.accepted_at,
        "dispatched_at": order.dispatched_at,
        "arrived_at": order.arrived_at,
        "completed_at": order.completed_at,
        "followed_up_at": order.followed_up_at,
        "closed_at": order.closed_at,
        "cancelled_at": order.cancelled_at,
    }
    needs = {
        Status.NEW: set(),
        Status.ACCEPTED: {"accepted_at"},
        Status.DISPATCHED: {"accepted_at", "dispatched_at"},
        Status.IN_PROGRESS: {"accepted_at", "dispatched_at", "arrived_at"},
        Status.ON_HOLD: {"accepted_at", "dispatched_at", "arrived_at"},
        Status.COMPLETED: {"accepted_at", "dispatched_at", "arrived_at", "completed_at"},
        Status.FOLLOWED_UP: {"accepted_at", "dispatched_at", "arrived_at", "completed_at", "followed_up_at"},
        Status.CLOSED: {"accepted_at", "dispatched_at", "arrived_at", "completed_at", "followed_up_at", "closed_at"},
    }
    if order.rework_count and order.status in (Status.DISPATCHED, Status.IN_PROGRESS):
        needs[order.status] = needs[order.status] | {"arrived_at"}  # the first visit
    if order.status == Status.CANCELLED:
        assert order.cancel_reason and order.completed_at is None and order.arrived_at is None, where
    else:
        filled = {name for name, value in reached.items() if value is not None}
        assert filled == needs[order.status], f"{where}: {sorted(filled)}"
        stamps = [value for value in reached.values() if value is not None]
        assert stamps == sorted(stamps) and stamps[0] >= order.created if stamps else True, where
    if order.status == Status.ON_HOLD:
        assert order.hold_reason and order.hold_started_at and order.status_before_hold == Status.IN_PROGRESS
    else:
        assert not order.hold_reason and order.hold_started_at is None, where
    if order.status in (Status.FOLLOWED_UP, Status.CLOSED):
        assert 1 <= order.rating <= 5 and order.follow_up_method, where
    if order.category.is_complaint and order.status == Status.CLOSED:
        assert order.answer, where
    if order.status in OPEN_STATUSES and order.status != Status.NEW:
        assert order.owner_id or order.category.auto_dispatch, where

    # Deadlines as create_work_order and resume set them; the sweep's flags as it would have raised them.
    response, arrival, completion = order.category.targets(order.priority)
    held = order.held_minutes if order.category.hold_excluded else 0
    for due, minutes in (
        (order.response_due, response),
        (order.arrival_due, arrival),
        (order.completion_due, completion),
    ):
        assert due - order.created == datetime.timedelta(minutes=minutes + held), where
    levels = [1 if e.kind == EventKind.SLA_WARNING else 2 for e in events if e.kind.startswith("sla_")]
    assert levels == sorted(set(levels)), where  # each level once, warning before breach
    assert order.sla_level == max(levels, default=0) and order.breached == (order.sla_level == 2), where
    assert order.number == f"WO{timezone.localtime(order.created):%y%m%d}-{order.pk:05d}"
    assert order.version >= 1 and order.last_updated >= order.created


def test_a_month_has_the_exceptions_of_a_real_desk(loaded):
    orders = list(WorkOrder.objects.select_related("category"))
    history = [o for o in orders if o.status not in OPEN_STATUSES]
    assert 0.005 <= share(history, lambda o: o.breached) <= 0.08
    assert 0.01 <= share(orders, lambda o: o.held_for_parts) <= 0.06
    assert 0.005 <= share(orders, lambda o: o.rework_count) <= 0.04
    assert 0.003 <= share(orders, lambda o: o.status == Status.CANCELLED) <= 0.025
    duplicates = [o for o in orders if o.duplicate_of_id]
    assert duplicates and all(o.status == Status.CANCELLED for o in duplicates)
    for duplicate in duplicates:
        original = duplicate.duplicate_of
        assert (original.category_id, original.location_id) == (duplicate.category_id, duplicate.location_id)
        merged = original.events.get(kind=EventKind.MERGED)
        assert duplicate.number in merged.note
        assert duplicate.events.get(kind=EventKind.CANCELLED).changes["duplicate_of"][1] == original.number
    completed = [o for o in orders if o.completed_at]
    rated = [o for o in completed if o.follow_up_method in (FollowUpMethod.REQUESTER, FollowUpMethod.PHONE)]
    assert 0.7 <= len(rated) / len(completed) <= 0.95
    ratings = Counter(o.rating for o in rated)
    assert ratings[5] > ratings[4] > ratings[3] > ratings[2] + ratings[1] > 0
    assert any(o.score is not None for o in orders) and any(o.follow_up_method == FollowUpMethod.AUTO for o in orders)
    response = sorted((o.dispatched_at - o.created).total_seconds() / 60 for o in orders if o.dispatched_at)
    arrival = sorted((o.arrived_at - o.created).total_seconds() / 60 for o in orders if o.arrived_at)
    assert 4 <= response[len(response) // 2] <= 12 and 12 <= arrival[len(arrival) // 2] <= 30


def test_orders_are_at_places_of_the_right_kind_and_worked_by_the_right_team(loaded):
    orders = WorkOrder.objects.select_related("category__default_team", "location", "assignee__team", "team")
    for order in orders:
        code = order.category.code
        if code == "WX-DT":
            assert order.location.name == "电梯厅"
        if code == "YS-BR":
            assert order.location.kind in (LocationKind.BED, LocationKind.ROOM)
        if order.category.requires_location:
            assert order.location is not None
        if order.location is not None and order.location.department_id:
            assert order.department_id == order.location.department_id
        if order.assignee is not None and not order.category.is_complaint:
            assert order.assignee.team == order.category.default_team == order.team
    electricians = orders.filter(category__code="WX-DQ", assignee__isnull=False)
    assert set(electricians.values_list("assignee__trades__code", flat=True)) == {"ELEC"}


def test_the_live_queue_has_work_in_every_open_status(loaded):
    recent = WorkOrder.objects.filter(created__gte=NOW - datetime.timedelta(hours=sd_demo.LIVE_HOURS))
    statuses = Counter(recent.values_list("status", flat=True))
    for status, count in sd_demo.LIVE_QUEUE.items():
        assert statuses[status] >= max(1, round(count * SCALE)), status
    new = recent.filter(status=Status.NEW)
    assert set(new.values_list("channel", flat=True)) <= {Channel.WEB, Channel.MOBILE, Channel.QR, Channel.API}
    working = recent.filter(status__in=[Status.DISPATCHED, Status.IN_PROGRESS, Status.ON_HOLD])
    assert not working.filter(assignee__on_duty=False).exists()
    assert WorkOrder.objects.filter(status__in=OPEN_STATUSES, sla_level__gte=1).exists()
    assert WorkOrder.objects.filter(status__in=OPEN_STATUSES, sla_level=0).exists()


def test_complaints_get_a_written_answer_and_no_auto_close(loaded):
    complaints = WorkOrder.objects.filter(category__is_complaint=True)
    assert complaints.exists()
    assert not complaints.filter(follow_up_method=FollowUpMethod.AUTO).exists()
    assert not complaints.filter(status=Status.CLOSED, answer="").exists()
    # Days to settle, but an hour or so of the leader's own time.
    labour = complaints.exclude(labor_minutes=None).values_list("labor_minutes", flat=True)
    assert labour and all(20 <= minutes <= 90 for minutes in labour)


# --- the same seed, the same data ---------------------------------------------------------------------


def fingerprint() -> str:
    """Everything the demo writes except ids and the numbers made of them."""
    digest = hashlib.sha256()
    fields = [f.name for f in WorkOrder._meta.concrete_fields if not f.is_relation and f.name not in ("id", "number")]
    related = ("category__code", "location__code", "department__code", "team__code", "assignee__employee_no")
    related += ("owner__username", "requester_user__username", "duplicate_of__created")
    for row in WorkOrder.objects.order_by("created", "category__code", "description").values_list(*fields, *related):
        digest.update(repr(row).encode())
    events = WorkOrderEvent.objects.exclude(kind=EventKind.MERGED).order_by("order__created", "time", "kind")
    for row in events.values_list("order__created", "time", "kind", "actor_name", "from_status", "to_status", "note"):
        digest.update(repr(row).encode())
    return digest.hexdigest()


def test_the_same_seed_gives_the_same_orders(loaded):
    delete_demo()
    assert not WorkOrder.objects.exists() and not ServiceCategory.objects.exists()
    load_demo(scale=0.1, days=2, now=NOW)
    before = fingerprint()
    delete_demo()
    load_demo(scale=0.1, days=2, now=NOW)
    assert fingerprint() == before
    delete_demo()
    load_demo(scale=0.1, days=2, now=NOW, seed=7)
    assert fingerprint() != before


# --- the commands ---------------------------------------------------------------------------------


def run(command: str, *args: str) -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command(command, *args, stdout=out)
    return out.getvalue()


def test_seed_demo_loads_the_service_desk_and_force_reloads_both(loaded):
    # Noon of the day the demo was loaded: its history already goes further.
    text = run("seed_demo", "--scale", "0.1", "--today", NOW.date().isoformat())
    assert "hospital is already loaded" in text and "service desk demo is already loaded and up to date" in text
    text = run("seed_demo", "--scale", "0.05", "--today", HOSPITAL_DAY.isoformat(), "--force")
    assert "Demo hospital loaded" in text and "Service desk demo loaded" in text
    assert ServiceCategory.objects.filter(code="WX").exists()
    expected = sd_demo.ORDERS_PER_DAY * 0.05 * sd_demo.DEFAULT_DAYS
    assert 0.85 * expected <= WorkOrder.objects.count() <= 1.15 * expected
    last = WorkOrder.objects.order_by("-created").first().created
    assert timezone.localtime(last).date() == HOSPITAL_DAY


def test_seed_servicedesk_reloads_only_with_force(loaded):
    assert "already loaded" in run("seed_servicedesk")
    before = WorkOrder.objects.count()
    text = run("seed_servicedesk", "--force", "--scale", "0.05", "--days", "1", "--today", HOSPITAL_DAY.isoformat())
    assert "work orders" in text
    assert 0 < WorkOrder.objects.count() < before


def test_seed_servicedesk_needs_the_hospital(loaded, monkeypatch):
    from houqin.servicedesk.management.commands import seed_servicedesk

    monkeypatch.setattr(seed_servicedesk, "hospital_loaded", lambda: False)
    with pytest.raises(CommandError, match="seed_demo"):
        run("seed_servicedesk")


def test_it_refuses_days_that_are_not_positive(loaded):
    with pytest.raises(CommandError):
        run("seed_servicedesk", "--days", "0")


# --- bringing a loaded demo up to now (make run) -----------------------------------------------------


@pytest.fixture
def small_demo(loaded):
    """A small demo of its own, ending NOW; rolled back after the test."""
    with transaction.atomic():
        delete_demo()
        load_demo(scale=0.2, days=3, now=NOW)
        yield
        transaction.set_rollback(True)


def live_queue_is_of(now: datetime.datetime, scale: float) -> None:
    """Work in every open status among the orders of the day before `now` (the live queue's own
    pool: at a small scale the last hours have too few), and none from after it."""
    recent = WorkOrder.objects.filter(created__gte=now - datetime.timedelta(days=1))
    statuses = Counter(recent.values_list("status", flat=True))
    for status, count in sd_demo.LIVE_QUEUE.items():
        assert statuses[status] >= max(1, round(count * scale)), status
    assert not recent.filter(created__gt=now).exists()


def test_a_refresh_replaces_the_stale_queue_with_one_of_now(small_demo):
    old_end = WorkOrder.objects.order_by("-created").first().created
    category = ServiceCategory.objects.get(code="WX-DQ")
    location = WorkOrder.objects.filter(category=category).first().location
    at = NOW - datetime.timedelta(hours=1, microseconds=-123456)  # as the services stamp it
    mine = services.create_work_order(category=category, description="灯不亮", by=None, location=location, at=at)
    later = NOW + datetime.timedelta(days=2, hours=3)

    counts = refresh_demo(scale=0.2, now=later)

    assert counts["orders replaced"] > 0 and counts["work orders"] > 0
    # The queue of the old NOW is gone; what is open now is of the new history (or a person's).
    still_open = WorkOrder.objects.filter(status__in=OPEN_STATUSES).exclude(pk=mine.pk)
    assert still_open.exists() and not still_open.filter(created__lte=old_end).exists()
    live_queue_is_of(later, 0.2)
    assert WorkOrder.objects.filter(pk=mine.pk, status=Status.NEW).exists()
    # The days in between are there, at a normal volume: nothing missing, nothing twice.
    for day in (1, 2):
        since = later - datetime.timedelta(days=day)
        count = WorkOrder.objects.filter(created__gt=since, created__lte=since + datetime.timedelta(days=1)).count()
        expected = sd_demo.ORDERS_PER_DAY * 0.2
        assert 0.6 * expected <= count <= 1.4 * expected, day
    for order, events in orders_with_events():
        if order.pk != mine.pk and order.created > old_end:
            check_order(order, events, now=later)


def test_a_refresh_writes_the_last_day_again_and_is_repeatable(small_demo):
    later = NOW + datetime.timedelta(hours=5)
    with transaction.atomic():
        refresh_demo(scale=0.2, now=later)
        first = fingerprint()
        transaction.set_rollback(True)
    refresh_demo(scale=0.2, now=later)
    assert fingerprint() == first
    live_queue_is_of(later, 0.2)
    last_day = WorkOrder.objects.filter(created__gt=later - datetime.timedelta(days=1)).count()
    assert 0.6 * sd_demo.ORDERS_PER_DAY * 0.2 <= last_day <= 1.4 * sd_demo.ORDERS_PER_DAY * 0.2
    # Run again at once (make run twice): nothing to do.
    assert refresh_demo(scale=0.2, now=later + datetime.timedelta(minutes=5)) is None
    assert fingerprint() == first


def test_a_refresh_after_a_long_absence_covers_the_last_month(small_demo):
    later = NOW + datetime.timedelta(days=75)
    refresh_demo(scale=0.05, now=later)
    days = {timezone.localtime(created).date() for created in WorkOrder.objects.values_list("created", flat=True)}
    month = {(later - datetime.timedelta(days=n)).date() for n in range(sd_demo.DEFAULT_DAYS)}
    assert month <= days
    live_queue_is_of(later, 0.05)


def test_seed_demo_brings_a_loaded_demo_up_to_now(small_demo):
    text = run("seed_demo", "--scale", "0.2", "--today", "2026-03-04")
    assert "Service desk demo brought up to now" in text and "orders replaced" in text
    live_queue_is_of(timezone.make_aware(datetime.datetime(2026, 3, 4, 12, 0)), 0.2)
    assert "up to date; nothing changed" in run("seed_demo", "--scale", "0.2", "--today", "2026-03-04")


def test_seed_servicedesk_loads_a_history_of_so_many_orders(loaded):
    with transaction.atomic():
        args = ("--force", "--scale", "0.1", "--orders", "3000", "--timeline-days", "1", "--today", "2026-03-01")
        assert "work orders" in run("seed_servicedesk", *args)
        assert 2500 <= WorkOrder.objects.count() <= 3500
        end = timezone.make_aware(datetime.datetime(2026, 3, 1, 12))
        first = WorkOrder.objects.order_by("created").first().created
        assert 36 <= (end - first).total_seconds() / 86400 <= 38  # 3,000 orders at 80 a day
        # Only the last day's orders have a timeline.
        with_timeline = WorkOrder.objects.filter(events__isnull=False).distinct()
        assert with_timeline.exists()
        assert not with_timeline.filter(created__lt=end - datetime.timedelta(days=1)).exists()
        transaction.set_rollback(True)


def test_it_refuses_a_number_of_orders_that_is_not_positive(loaded):
    with pytest.raises(CommandError):
        run("seed_servicedesk", "--orders", "0")
