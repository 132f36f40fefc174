"""Random walks through the work-order lifecycle: every action of workflow.ACTIONS, tried by the
people who would plausibly try it (and some who should not), legal or not.

The machine keeps its own model of what each action should do — who may do it, from which
status, which arguments are refused — independent of services.may_act, and after every step
checks the order's row and timeline against it. A refused action must leave the row exactly as
it was and add nothing to the timeline."""

import datetime
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from houqin.conftest import make_user
from houqin.core.exceptions import ConflictError
from houqin.org.models import EmploymentType
from houqin.org.tests.factories import LocationFactory, TeamFactory
from houqin.servicedesk import services
from houqin.servicedesk.models import OPEN_STATUSES, FollowUpMethod, HoldReason, Priority, Status, WorkOrder
from houqin.servicedesk.tests.factories import ServiceCategoryFactory
from houqin.servicedesk.workflow import ACTIONS

pytestmark = pytest.mark.django_db(transaction=False)

S = Status
FINAL = {S.CLOSED, S.CANCELLED}
DONE = {S.COMPLETED, S.FOLLOWED_UP, S.CLOSED}
WORK_ACTIONS = {"start", "hold", "resume", "complete"}

# What each role may do by its permissions alone (the model of houqin/accounts/roles.py).
ROLE_ACTIONS = {
    "agent": {"accept", "dispatch", "follow-up", "cancel", "reopen", "transfer", "comment"},
    "dispatcher": {"accept", "dispatch", "start", "hold", "resume", "complete", "cancel", "transfer", "comment"},
    "inspector": {"follow-up", "close", "reopen", "comment"},
    "worker": {"comment"},
    "other_worker": {"comment"},
    "requester": {"follow-up", "reopen", "comment"},
    "outsider": set(),
}
ACTORS = st.sampled_from(list(ROLE_ACTIONS))
# Mostly the version the actor just read, sometimes none, sometimes one somebody else changed since.
VERSIONS = st.sampled_from(["current", "current", "none", "stale"])
REFUSALS = (ConflictError, PermissionDenied, ValidationError)

# Legal roads from a new order to each status, so that every walk may start deep in the lifecycle.
ROADS = {
    S.NEW: [],
    S.ACCEPTED: ["accept"],
    S.DISPATCHED: ["accept", "dispatch"],
    S.IN_PROGRESS: ["dispatch", "start"],
    S.ON_HOLD: ["dispatch", "start", "hold"],
    S.COMPLETED: ["dispatch", "start", "complete"],
    S.FOLLOWED_UP: ["dispatch", "start", "complete", "follow-up"],
    S.CLOSED: ["dispatch", "start", "complete", "follow-up", "close"],
    S.CANCELLED: ["accept", "cancel"],
}


class WorkOrderMachine(RuleBasedStateMachine):
    def __init__(self, world):
        super().__init__()
        self.world = world
        self.order = None

    # -- set-up ---------------------------------------------------------------------------

    @initialize(start=st.sampled_from(list(ROADS)), complaint=st.booleans(), at_desk=st.booleans())
    def create(self, start, complaint, at_desk):
        w = self.world
        category = w.complaint if complaint else w.repair
        at_desk = at_desk and start != S.NEW
        self.order = services.create_work_order(
            category=category,
            description="病房灯不亮",
            by=w.users["agent"],
            location=w.room,
            requester_user=w.users["requester"],
            accept=at_desk,
        )
        # An older order of the same fault, for duplicates to merge into.
        self.original = services.create_work_order(
            category=w.repair, description="灯不亮", by=w.users["agent"], location=w.room
        )
        m = self.model = SimpleNamespace(
            status=S.ACCEPTED if at_desk else S.NEW,
            version=1,
            events=2 if at_desk else 1,
            priority=category.default_priority,
            team=w.team_a.pk,
            assignee=None,
            complaint=complaint,
            answered=False,
            accepted=at_desk,
            dispatched=False,
            started=False,
            rated=False,
            before_hold="",
        )
        road = [a for a in ROADS[start] if not (a == "accept" and m.status == S.ACCEPTED)]
        for action in road:
            self.play(action)
            assert self.succeeded, f"the road to {start} failed at {action}"
        assert m.status == start

    def play(self, action: str) -> None:
        """The usual move, by the usual person, with good arguments."""
        {
            "accept": lambda: self.accept("agent", "current"),
            "dispatch": lambda: self.dispatch("dispatcher", "current", "worker"),
            "start": lambda: self.start("worker", "current", "right"),
            "hold": lambda: self.hold("worker", "current", HoldReason.PARTS, ""),
            "complete": lambda: self.complete("worker", "current", 30, "更换灯管"),
            "follow-up": lambda: self.follow_up("requester", "current", 5, FollowUpMethod.REQUESTER),
            "close": lambda: self.close("inspector", "current", 95, "已答复"),
            "cancel": lambda: self.cancel("agent", "current", "重复报修", "none"),
        }[action]()

    # -- the oracle -------------------------------------------------------------------------

    def permitted(self, actor: str, action: str) -> bool:
        m = self.model
        if actor == "requester" and action == "cancel":
            return m.status == S.NEW
        if actor in ("worker", "other_worker") and action in WORK_ACTIONS:
            return m.assignee == self.world.people[actor].pk
        if actor in ("worker", "other_worker") and action == "comment":
            # Only on an order in their scope: assigned to them or to their team.
            person = self.world.people[actor]
            return m.assignee == person.pk or m.team == person.team_id
        return action in ROLE_ACTIONS[actor]

    def expected_refusal(self, action, actor, *, bad_input=False, stale=False, bad_in_lock=False):
        """The exception the services must raise, in the order they check: the input, the version,
        the status, the permission, then what can only be judged on the locked row."""
        if bad_input:
            return ValidationError
        if stale:
            return ConflictError
        if self.model.status not in ACTIONS[action].sources:
            return ConflictError
        if not self.permitted(actor, action):
            return PermissionDenied
        if bad_in_lock:
            return ValidationError
        return None

    def version(self, mode: str):
        return {"current": self.model.version, "none": None, "stale": self.model.version - 1}[mode]

    def snapshot(self) -> dict:
        return WorkOrder.objects.filter(pk=self.order.pk).values().get()

    def attempt(self, action: str, actor: str, call, refusal) -> bool:
        """Run call; True if it succeeded. A refusal must be the expected one and change nothing."""
        self.succeeded = False
        status = self.model.status
        if status in FINAL and action != "comment":
            assert refusal is not None, f"{action} must be refused on a {status} order"
        before, events = self.snapshot(), self.order.events.count()
        try:
            call()
        except REFUSALS as refused:
            assert refusal is not None, f"{action} by {actor} on a {status} order was refused: {refused!r}"
            assert isinstance(refused, refusal), f"{action} by {actor} on {status}: {refused!r}, not {refusal}"
            assert self.snapshot() == before, f"the refused {action} changed the order"
            assert self.order.events.count() == events, f"the refused {action} wrote an event"
            return False
        assert refusal is None, f"{action} by {actor} on a {status} order should raise {refusal.__name__}"
        self.model.events += 1
        self.succeeded = True
        return True

    def moved(self, status: str) -> None:
        self.model.status = status
        self.model.version += 1

    # -- the rules: one per action of workflow.ACTIONS -----------------------------------------

    @rule(actor=ACTORS, version=VERSIONS)
    def accept(self, actor, version):
        refusal = self.expected_refusal("accept", actor, stale=version == "stale")

        def call():
            services.accept(self.order, by=self.world.users[actor], version=self.version(version))

        if self.attempt("accept", actor, call, refusal):
            self.moved(S.ACCEPTED)
            self.model.accepted = True

    @rule(actor=ACTORS, version=VERSIONS, to=st.sampled_from(["worker", "other_worker", "team_b", "nobody"]))
    def dispatch(self, actor, version, to):
        w, m = self.world, self.model
        assignee = w.people.get(to)
        team = w.team_b if to == "team_b" else None
        refusal = self.expected_refusal("dispatch", actor, bad_input=to == "nobody", stale=version == "stale")

        def call():
            services.dispatch(
                self.order, by=w.users[actor], assignee=assignee, team=team, version=self.version(version)
            )

        if self.attempt("dispatch", actor, call, refusal):
            self.moved(S.DISPATCHED)
            m.accepted = m.dispatched = True
            m.assignee = assignee.pk if assignee else None
            m.team = team.pk if team else assignee.team_id

    @rule(actor=ACTORS, version=VERSIONS, scan=st.sampled_from([None, "right", "wrong"]))
    def start(self, actor, version, scan):
        w = self.world
        scanned = {None: None, "right": w.room, "wrong": w.other_room}[scan]
        refusal = self.expected_refusal("start", actor, stale=version == "stale", bad_in_lock=scan == "wrong")

        def call():
            services.start(self.order, by=w.users[actor], version=self.version(version), scanned_location=scanned)

        if self.attempt("start", actor, call, refusal):
            self.moved(S.IN_PROGRESS)
            self.model.started = True

    @rule(
        actor=ACTORS,
        version=VERSIONS,
        reason=st.sampled_from([*HoldReason.values, "bogus"]),
        note=st.sampled_from(["", "等配件到货"]),
    )
    def hold(self, actor, version, reason, note):
        bad = reason not in HoldReason.values or (reason == HoldReason.OTHER and not note)
        refusal = self.expected_refusal("hold", actor, bad_input=bad, stale=version == "stale")

        def call():
            services.hold(
                self.order, by=self.world.users[actor], reason=reason, note=note, version=self.version(version)
            )

        if self.attempt("hold", actor, call, refusal):
            self.model.before_hold = self.model.status
            self.moved(S.ON_HOLD)

    @rule(actor=ACTORS, version=VERSIONS)
    def resume(self, actor, version):
        refusal = self.expected_refusal("resume", actor, stale=version == "stale")

        def call():
            services.resume(self.order, by=self.world.users[actor], version=self.version(version))

        if self.attempt("resume", actor, call, refusal):
            self.moved(self.model.before_hold)
            self.model.before_hold = ""

    @rule(actor=ACTORS, version=VERSIONS, minutes=st.sampled_from([0, 30, -1]), note=st.sampled_from(["更换灯管", " "]))
    def complete(self, actor, version, minutes, note):
        refusal = self.expected_refusal(
            "complete", actor, bad_input=minutes < 0 or not note.strip(), stale=version == "stale"
        )

        def call():
            services.complete(
                self.order, by=self.world.users[actor], note=note, labor_minutes=minutes, version=self.version(version)
            )

        if self.attempt("complete", actor, call, refusal):
            self.moved(S.COMPLETED)

    @rule(
        actor=ACTORS,
        version=VERSIONS,
        rating=st.sampled_from([0, 1, 4, 5, 6]),
        method=st.sampled_from(FollowUpMethod.values),
    )
    def follow_up(self, actor, version, rating, method):
        bad = not 1 <= rating <= 5 or method == FollowUpMethod.AUTO
        refusal = self.expected_refusal("follow-up", actor, bad_input=bad, stale=version == "stale")

        def call():
            services.follow_up(
                self.order, by=self.world.users[actor], rating=rating, method=method, version=self.version(version)
            )

        if self.attempt("follow-up", actor, call, refusal):
            self.moved(S.FOLLOWED_UP)
            self.model.rated = True

    @rule(
        actor=ACTORS, version=VERSIONS, score=st.sampled_from([None, 90, 101]), answer=st.sampled_from(["", "已答复"])
    )
    def close(self, actor, version, score, answer):
        m = self.model
        unanswered = m.complaint and not (answer or m.answered)
        refusal = self.expected_refusal(
            "close", actor, bad_input=score == 101, stale=version == "stale", bad_in_lock=unanswered
        )

        def call():
            services.close(
                self.order, by=self.world.users[actor], score=score, answer=answer, version=self.version(version)
            )

        if self.attempt("close", actor, call, refusal):
            self.moved(S.CLOSED)
            m.answered = m.answered or bool(answer)

    @rule(late=st.booleans())
    def auto_close(self, late):
        """The policy job: a completed order nobody rated closes as satisfied, never a complaint."""
        m = self.model
        completed_at = WorkOrder.objects.get(pk=self.order.pk).completed_at or datetime.datetime.now(datetime.UTC)
        now = completed_at + datetime.timedelta(hours=73 if late else 1)
        closes = m.status == S.COMPLETED and late and not m.complaint
        before, events = self.snapshot(), self.order.events.count()
        closed = services.auto_close(self.order, now=now)
        assert (closed is not None) == closes
        if closes:
            self.moved(S.CLOSED)
            m.rated = True
            m.events += 1
            order = WorkOrder.objects.get(pk=self.order.pk)
            assert (order.rating, order.follow_up_method, order.closed_at) == (5, FollowUpMethod.AUTO, now)
        else:
            assert self.snapshot() == before and self.order.events.count() == events

    @rule(actor=ACTORS, version=VERSIONS, reason=st.sampled_from(["重复报修", " "]), duplicate=st.sampled_from(["none", "original", "itself"]))  # fmt: skip
    def cancel(self, actor, version, reason, duplicate):
        refusal = self.expected_refusal(
            "cancel", actor, bad_input=not reason.strip(), stale=version == "stale", bad_in_lock=duplicate == "itself"
        )
        duplicate_of = {"none": None, "original": self.original, "itself": self.order}[duplicate]

        def call():
            services.cancel(
                self.order,
                by=self.world.users[actor],
                reason=reason,
                duplicate_of=duplicate_of,
                version=self.version(version),
            )

        if self.attempt("cancel", actor, call, refusal):
            self.moved(S.CANCELLED)

    @rule(actor=ACTORS, version=VERSIONS, reason=st.sampled_from(["还是不亮", ""]), to=st.sampled_from([None, "other_worker"]))  # fmt: skip
    def reopen(self, actor, version, reason, to):
        m = self.model
        assignee = self.world.people.get(to)
        refusal = self.expected_refusal("reopen", actor, bad_input=not reason, stale=version == "stale")

        def call():
            services.reopen(
                self.order, by=self.world.users[actor], reason=reason, assignee=assignee, version=self.version(version)
            )

        if self.attempt("reopen", actor, call, refusal):
            self.moved(S.DISPATCHED)
            m.rated = False
            m.assignee = assignee.pk if assignee else m.assignee

    @rule(
        actor=ACTORS, version=VERSIONS, team=st.sampled_from(["a", "b"]), reason=st.sampled_from(["不是电工的活", ""])
    )
    def transfer(self, actor, version, team, reason):
        w, m = self.world, self.model
        team = w.team_a if team == "a" else w.team_b
        refusal = self.expected_refusal(
            "transfer", actor, bad_input=not reason, stale=version == "stale", bad_in_lock=team.pk == m.team
        )

        def call():
            services.transfer(self.order, by=w.users[actor], team=team, reason=reason, version=self.version(version))

        if self.attempt("transfer", actor, call, refusal):
            # Whoever was working on it is off the order: the new team has to dispatch it again.
            self.moved(S.ACCEPTED if m.status == S.DISPATCHED else m.status)
            if m.before_hold in (S.DISPATCHED, S.IN_PROGRESS):
                m.before_hold = S.ACCEPTED
            m.team, m.assignee = team.pk, None

    @rule(actor=ACTORS, text=st.sampled_from(["请尽快处理", "  "]))
    def comment(self, actor, text):
        refusal = self.expected_refusal("comment", actor, bad_input=not text.strip())

        def call():
            services.comment(self.order, by=self.world.users[actor], text=text)

        self.attempt("comment", actor, call, refusal)  # a comment is not a change: the version stays

    @rule(actor=ACTORS, version=VERSIONS, priority=st.sampled_from([*Priority.values, "bogus"]))
    def change(self, actor, version, priority):
        m = self.model
        if version == "stale" or m.status not in OPEN_STATUSES:
            refusal = ConflictError
        elif actor not in ("agent", "dispatcher"):
            refusal = PermissionDenied
        elif priority == "bogus":
            refusal = ValidationError
        else:
            refusal = None
        before = self.snapshot()

        def call():
            services.change(self.order, by=self.world.users[actor], priority=priority, version=self.version(version))

        if refusal is None and priority == m.priority:
            call()  # nothing to change: no event, no new version
            assert self.snapshot() == before
        elif self.attempt("change", actor, call, refusal):
            m.priority = priority
            m.version += 1

    # -- what must hold after every step --------------------------------------------------------

    @invariant()
    def the_row_matches_the_model(self):
        if self.order is None:
            return
        m = self.model
        order = WorkOrder.objects.get(pk=self.order.pk)
        assert order.status in Status.values
        assert order.status == m.status
        assert order.version == m.version, "the version must grow by one per change"
        assert (order.assignee_id, order.team_id, order.priority) == (m.assignee, m.team, m.priority)
        assert (order.accepted_at is not None) == m.accepted
        assert (order.dispatched_at is not None) == m.dispatched
        assert (order.arrived_at is not None) == m.started
        assert (order.completed_at is not None) == (order.status in DONE)
        assert (order.closed_at is not None) == (order.status == S.CLOSED)
        assert (order.cancelled_at is not None) == (order.status == S.CANCELLED)
        assert bool(order.cancel_reason) == (order.status == S.CANCELLED)
        if order.status == S.ON_HOLD:
            assert order.hold_started_at is not None and order.hold_reason
            assert order.status_before_hold == m.before_hold
        else:
            # Resumed or cancelled, the hold is over (a cancel ends it too).
            assert order.hold_started_at is None and not order.status_before_hold and not order.hold_reason
        # A rating comes with a follow-up (or the auto-close policy) and leaves with a reopen.
        assert (order.rating is not None) == m.rated == (order.followed_up_at is not None)
        if order.status == S.FOLLOWED_UP:
            assert m.rated
        if m.rated:
            assert order.status in (S.FOLLOWED_UP, S.CLOSED)
        assert None not in (order.response_due, order.arrival_due, order.completion_due)

    @invariant()
    def the_timeline_chains(self):
        if self.order is None:
            return
        events = list(self.order.events.order_by("id").values_list("kind", "from_status", "to_status"))
        assert len(events) == self.model.events, "one event per successful action, none for a refusal"
        moves = [(frm, to) for _kind, frm, to in events if to]
        assert moves[0] == ("", S.NEW)
        for (_, previous), (frm, _) in zip(moves, moves[1:], strict=False):
            assert frm == previous, f"the timeline jumps: {moves}"
        assert moves[-1][1] == self.model.status


@pytest.fixture
def world(cast):
    team_a = TeamFactory(company=cast.hospital, name="电工班")
    team_b = TeamFactory(company=cast.hospital, name="水工班")
    worker = cast.worker.person
    worker.team = team_a
    worker.save()
    other_worker = make_user(
        "worker2",
        "worker",
        person_kwargs={"company": cast.hospital, "employment_type": EmploymentType.PERMANENT, "team": team_b},
    )
    room = LocationFactory(name="3病区301", department=cast.dept)
    return SimpleNamespace(
        users={
            "agent": cast.agent,
            "dispatcher": cast.dispatcher,
            "inspector": cast.inspector,
            "worker": cast.worker,
            "other_worker": other_worker,
            "requester": cast.department_user,
            "outsider": cast.outsider,
        },
        people={"worker": worker, "other_worker": other_worker.person},
        team_a=team_a,
        team_b=team_b,
        room=room,
        other_room=LocationFactory(name="3病区302", site=room.site),
        repair=ServiceCategoryFactory(name="电气", default_team=team_a, requires_location=True),
        complaint=ServiceCategoryFactory(name="投诉", default_team=team_a, is_complaint=True),
    )


def test_every_walk_through_the_lifecycle_keeps_the_order_consistent(world):
    run_state_machine_as_test(
        lambda: WorkOrderMachine(world),
        settings=settings(
            max_examples=30,
            stateful_step_count=25,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )


def reach(world, status: str) -> WorkOrderMachine:
    """A machine whose order has just taken the usual road to status."""
    machine = WorkOrderMachine(world)
    machine.create(start=status, complaint=False, at_desk=True)
    return machine


@pytest.mark.parametrize("status", sorted(FINAL))
def test_closed_and_cancelled_orders_refuse_everything_but_a_comment(world, status):
    machine = reach(world, status)
    # Each action by someone who could do it, with good arguments: only the status refuses.
    machine.accept("agent", "current")
    machine.dispatch("dispatcher", "current", "worker")
    machine.start("dispatcher", "current", "right")
    machine.hold("dispatcher", "current", HoldReason.PARTS, "")
    machine.resume("dispatcher", "current")
    machine.complete("dispatcher", "current", 30, "更换灯管")
    machine.follow_up("agent", "current", 5, FollowUpMethod.PHONE)
    machine.close("inspector", "current", 90, "已答复")
    machine.auto_close(late=True)
    machine.cancel("agent", "current", "重复报修", "none")
    machine.reopen("inspector", "current", "还是不亮", None)
    machine.transfer("dispatcher", "current", "b", "不是电工的活")
    machine.change("agent", "current", Priority.URGENT)
    machine.the_row_matches_the_model()
    machine.comment("requester", "还是不亮")
    assert machine.succeeded
    machine.the_timeline_chains()
    assert machine.model.status == status


def test_an_order_transferred_while_on_hold_waits_for_the_new_team_to_dispatch_it(world):
    machine = reach(world, S.ON_HOLD)
    machine.transfer("dispatcher", "current", "b", "需要水工处理")
    assert machine.succeeded
    machine.resume("dispatcher", "current")
    order = WorkOrder.objects.get(pk=machine.order.pk)
    assert (order.status, order.team, order.assignee) == (S.ACCEPTED, world.team_b, None)
    machine.the_row_matches_the_model()
    machine.the_timeline_chains()
