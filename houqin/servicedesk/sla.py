"""Service levels: which target an open order is racing against, and the sweep that warns at
80 % of it and escalates a breach, once per order and level."""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from houqin.servicedesk.models import EventKind, Status, WorkOrder

WARNING_SHARE = 0.8
LEVEL_OK, LEVEL_WARNING, LEVEL_BREACH = 0, 1, 2


@dataclass(frozen=True)
class Clock:
    target: str  # "response", "arrival" or "completion"
    due: datetime.datetime
    share: float  # elapsed share of the target: ≥ 0.8 warns, ≥ 1 is a breach

    @property
    def level(self) -> int:
        if self.share >= 1:
            return LEVEL_BREACH
        if self.share >= WARNING_SHARE:
            return LEVEL_WARNING
        return LEVEL_OK


def current_clock(order: WorkOrder, now: datetime.datetime | None = None) -> Clock | None:
    """The first target the order has not met yet, or None when nothing is pending (closed,
    completed, or paused on hold where hold time does not count)."""
    now = now or timezone.now()
    if order.status in (Status.COMPLETED, Status.FOLLOWED_UP, Status.CLOSED, Status.CANCELLED):
        return None
    if order.status == Status.ON_HOLD and order.category.hold_excluded:
        return None
    return _running_clock(order, now)


def _running_clock(order: WorkOrder, now: datetime.datetime) -> Clock | None:
    # Where hold time does not count, the deadlines were pushed back by it: leave it out of both
    # sides, so that 80 % means 80 % of the working minutes the target allows.
    excluded = datetime.timedelta(minutes=order.held_minutes if order.category.hold_excluded else 0)
    pending = []
    if order.dispatched_at is None:
        pending.append(("response", order.response_due))
    if order.arrived_at is None:
        pending.append(("arrival", order.arrival_due))
    pending.append(("completion", order.completion_due))
    for target, due in pending:
        if due is None:
            continue
        total = (due - order.created - excluded).total_seconds()
        elapsed = (now - order.created - excluded).total_seconds()
        return Clock(target, due, elapsed / total if total > 0 else 1.0)
    return None


def missed_a_met_target(order: WorkOrder) -> bool:
    """Whether a stage the order already reached (dispatch, arrival, completion) came after its deadline."""
    reached = (
        (order.dispatched_at, order.response_due),
        (order.arrived_at, order.arrival_due),
        (order.completed_at, order.completion_due),
    )
    return any(at is not None and due is not None and at > due for at, due in reached)


def reassess(order: WorkOrder, now: datetime.datetime) -> Clock | None:
    """Set sla_level and breached to what the order's deadlines imply at `now`; for an order
    whose deadlines were just recomputed (services.change: another priority or category).

    - Less pressing than before (e.g. urgent → normal): the level goes back down, so the sweep
      warns and escalates again for the new targets, once per level. `breached` stays set once
      it was set: a breach that was reported cannot be undone by lowering the priority afterwards
      (the on-time KPI compares the times with the deadlines in force, not this flag). The SLA
      events already on the timeline stay: they are the history of the old targets.
    - More pressing (already at 80 % or past a new target): the level rises here, and the
      returned clock tells the caller to record the escalation (record_escalation) in the same
      transaction, as the sweep would have — a breach that arrives with a change, rather than
      with time, must still reach the team leader or the director.
    - On hold where hold time does not count, the clock stands still: it is read at the moment
      the hold began.

    The caller saves sla_level and breached."""
    if order.status in (Status.COMPLETED, Status.FOLLOWED_UP, Status.CLOSED, Status.CANCELLED):
        return None
    if order.status == Status.ON_HOLD and order.category.hold_excluded:
        clock = _running_clock(order, order.hold_started_at or now)
    else:
        clock = _running_clock(order, now)
    level = clock.level if clock is not None else LEVEL_OK
    previous = order.sla_level
    order.sla_level = level
    order.breached = order.breached or level == LEVEL_BREACH or missed_a_met_target(order)
    return clock if level > previous else None


def record_escalation(order: WorkOrder, clock: Clock, now: datetime.datetime) -> None:
    """The timeline event of an escalation to clock.level: a warning (→ team leader) or a breach
    (→ logistics director, through the notifications). The order is locked by the caller."""
    from houqin.servicedesk.services import _event

    kind = EventKind.SLA_BREACH if clock.level == LEVEL_BREACH else EventKind.SLA_WARNING
    target_label = {"response": _("response"), "arrival": _("arrival"), "completion": _("completion")}[clock.target]
    _event(
        order,
        kind,
        None,
        note=_("%(target)s due %(due)s")
        % {"target": target_label, "due": timezone.localtime(clock.due).strftime("%Y-%m-%d %H:%M")},
        changes={"target": [None, clock.target]},
        at=now,
    )


def sweep(now: datetime.datetime | None = None) -> dict[str, int]:
    """Flag orders reaching 80 % of a target (warning → team leader) or past it (breach →
    logistics director). Each order escalates once per level; returns the counts.

    A level is never lowered here: only services.change (new deadlines, see reassess) sets it back.
    A reopened order (rework) keeps its level and its `breached` flag, and its deadlines stay
    measured from creation (docs/workorders.md): the sweep goes on from the level it had, so a
    rework that runs past a deadline not escalated yet is escalated once, and one escalated
    already is not reported again for the same level."""
    now = now or timezone.now()
    counts = {"warned": 0, "breached": 0}
    candidates = (
        WorkOrder.objects.filter(
            status__in=[Status.NEW, Status.ACCEPTED, Status.DISPATCHED, Status.IN_PROGRESS, Status.ON_HOLD]
        )
        .filter(sla_level__lt=LEVEL_BREACH)
        .select_related("category")
        .only(
            "id",
            "status",
            "created",
            "dispatched_at",
            "arrived_at",
            "response_due",
            "arrival_due",
            "completion_due",
            "held_minutes",
            "hold_started_at",
            "sla_level",
            "category__hold_excluded",
        )
    )
    for order in candidates.iterator(chunk_size=500):
        clock = current_clock(order, now)
        if clock is None or clock.level <= order.sla_level:
            continue
        with transaction.atomic():
            # Row lock: a second sweeper running at the same moment escalates nothing twice.
            locked = WorkOrder.objects.select_for_update().get(pk=order.pk)
            if clock.level <= locked.sla_level:
                continue
            locked.sla_level = clock.level
            locked.breached = locked.breached or clock.level == LEVEL_BREACH
            locked.save(update_fields=["sla_level", "breached"])
            record_escalation(locked, clock, now)
            counts["breached" if clock.level == LEVEL_BREACH else "warned"] += 1
    return counts
