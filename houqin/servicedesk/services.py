"""Every change to a work order: one function per action, one transaction, the row locked, the
move checked against workflow.ACTIONS, an event on the timeline. Pages, the API, imports and
background jobs all call these, so they behave the same by construction."""

import datetime
import decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from houqin.core.audit import record_change
from houqin.core.exceptions import ConflictError
from houqin.core.models import AuditAction
from houqin.org.models import Person
from houqin.servicedesk import sla
from houqin.servicedesk.models import (
    OPEN_STATUSES,
    Channel,
    EventKind,
    FollowUpMethod,
    HoldReason,
    Priority,
    Status,
    WorkOrder,
    WorkOrderEvent,
)
from houqin.servicedesk.workflow import ACTIONS

# Sent after the transaction commits, for notifications and modules above the service desk.
# Arguments: order, event (WorkOrderEvent), kind (EventKind value).
work_order_event = Signal()
# Sent (inside the transaction) after orders were written or deleted in bulk, past the ORM's
# save() and delete() (the demo's loader): modules that derive data from orders rebuild it.
orders_written_in_bulk = Signal()

VIEW = "servicedesk.view_workorder"
# What the requester of an order may do to it without any desk permission.
REQUESTER_ACTIONS = {"follow-up", "reopen", "cancel", "comment"}
# What the assigned worker may do to their own order.
ASSIGNEE_ACTIONS = {"start", "hold", "resume", "complete"}


def _person_of(user):
    try:
        return user.person
    except Exception:
        return None


def in_scope(user, order: WorkOrder) -> bool:
    """Whether order is one of WorkOrder.objects.for_user(user): without a query where the answer
    is plain (no right to view work orders, the right to see all, the order's own requester)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if not user.has_perm(VIEW):
        return False
    if user.is_superuser or user.has_perm("servicedesk.view_all_workorders"):
        return True
    if order.requester_user_id is not None and order.requester_user_id == user.pk:
        return True
    return WorkOrder.objects.for_user(user).filter(pk=order.pk).exists()


def may_act(user, order: WorkOrder, action: str) -> bool:
    """Whether user may perform action on order (the status is checked separately). A comment
    needs the order in the user's scope (in_scope), whoever they are: the services refuse it
    themselves rather than trusting every page to have answered 404 first."""
    if user is None or not user.is_authenticated:
        return False
    if action == "comment":
        return in_scope(user, order)
    spec = ACTIONS[action]
    # The requester's rights come with the right to see their orders (for_user).
    is_requester = order.requester_user_id == user.pk and user.has_perm(VIEW)
    # A requester may withdraw an order only before the desk has taken it.
    if is_requester and action in REQUESTER_ACTIONS and (action != "cancel" or order.status == Status.NEW):
        return True
    if action in ASSIGNEE_ACTIONS and user.has_perm("servicedesk.work_workorder"):
        person = _person_of(user)
        if person is not None and order.assignee_id == person.pk:
            return True
        # Team leaders and dispatchers may act for their workers.
        return user.has_perm("servicedesk.dispatch_workorder")
    return user.has_perm(spec.permission)


def _now() -> datetime.datetime:
    return timezone.now()


def compute_deadlines(order: WorkOrder) -> None:
    """Deadlines from creation, pushed back by the time on hold where the category says so."""
    response, arrival, completion = order.category.targets(order.priority)
    start = order.created or _now()
    shift = datetime.timedelta(minutes=order.held_minutes if order.category.hold_excluded else 0)
    order.response_due = start + datetime.timedelta(minutes=response) + shift
    order.arrival_due = start + datetime.timedelta(minutes=arrival) + shift
    order.completion_due = start + datetime.timedelta(minutes=completion) + shift


def _event(order, kind, by, *, from_status="", to_status="", changes=None, note="", at=None) -> WorkOrderEvent:
    event = WorkOrderEvent.objects.create(
        order=order,
        time=at or _now(),
        kind=kind,
        actor=by if getattr(by, "pk", None) else None,
        actor_name=(getattr(by, "get_full_name", lambda: "")() or getattr(by, "username", "")) if by else _("system"),
        from_status=from_status,
        to_status=to_status,
        changes=changes or {},
        note=note,
    )
    transaction.on_commit(lambda: work_order_event.send(sender=WorkOrder, order=order, event=event, kind=kind))
    return event


def _locked(order: WorkOrder, version: int | None) -> WorkOrder:
    """The order re-read under a row lock. Two agents acting at once: the second waits here, then
    sees the first one's change and is refused below instead of overwriting it."""
    current = WorkOrder.objects.select_for_update().select_related("category").get(pk=order.pk)
    if version is not None and current.version != version:
        raise ConflictError(_("This order was changed by someone else meanwhile. Reload it and try again."))
    return current


def _check(order: WorkOrder, action: str, by, *, by_system: bool = False) -> None:
    if order.status not in ACTIONS[action].sources:
        raise ConflictError(
            _("Cannot %(action)s an order that is %(status)s.")
            % {"action": str(ACTIONS[action].label).lower(), "status": order.get_status_display()}
        )
    if not by_system and not may_act(by, order, action):
        raise PermissionDenied(_("You may not %(action)s this order.") % {"action": str(ACTIONS[action].label).lower()})


def _save(order: WorkOrder, *fields: str) -> None:
    order.version += 1
    order.save(update_fields=[*fields, "version", "last_updated"])


def _move(order: WorkOrder, action: str, by, target: str, *, kind: str, note="", changes=None, fields=(), at=None):
    previous = order.status
    order.status = target
    _save(order, "status", *fields)
    return _event(order, kind, by, from_status=previous, to_status=target, changes=changes, note=note, at=at)


def _require(value, field: str, message: str):
    if value in (None, "") or (isinstance(value, str) and not value.strip()):
        raise ValidationError({field: message})
    return value


# ---------------------------------------------------------------------------------------------
# Intake
# ---------------------------------------------------------------------------------------------


def create_work_order(
    *,
    category,
    description: str,
    by,
    location=None,
    department=None,
    priority: str | None = None,
    channel: str = Channel.WEB,
    requester_name: str = "",
    requester_phone: str = "",
    requester_user=None,
    accept: bool = False,
    at: datetime.datetime | None = None,
) -> WorkOrder:
    """Record a request. Taken at the desk (accept=True) it starts accepted, owned by the agent."""
    _require((description or "").strip(), "description", _("Describe what is needed."))
    if category.requires_location and location is None:
        raise ValidationError({"location": _("This category needs a location.")})
    if not category.is_active or category.children.exists():
        raise ValidationError({"category": _("Choose a specific, active category.")})
    with transaction.atomic():
        now = at or _now()
        order = WorkOrder(
            number="",
            category=category,
            priority=priority or category.default_priority,
            channel=channel,
            description=description.strip(),
            location=location,
            department=department or (location.department if location is not None else None),
            requester_user=requester_user,
            requester_name=requester_name,
            requester_phone=requester_phone,
            team=category.default_team,
        )
        if accept:
            order.status = Status.ACCEPTED
            order.owner = by
            order.accepted_at = now
        order.save()
        if at is not None:
            WorkOrder.objects.filter(pk=order.pk).update(created=at)
            order.created = at
        order.number = f"WO{timezone.localtime(order.created):%y%m%d}-{order.pk:05d}"
        compute_deadlines(order)
        order.save(update_fields=["number", "response_due", "arrival_due", "completion_due"])
        _event(order, EventKind.CREATED, by, to_status=Status.NEW, note=order.description, at=now)
        if accept:
            _event(order, EventKind.ACCEPTED, by, from_status=Status.NEW, to_status=Status.ACCEPTED, at=now)
        return order


def accept(order: WorkOrder, *, by, version: int | None = None) -> WorkOrder:
    with transaction.atomic():
        order = _locked(order, version)
        _check(order, "accept", by)
        order.owner = by
        order.accepted_at = _now()
        _move(order, "accept", by, Status.ACCEPTED, kind=EventKind.ACCEPTED, fields=("owner", "accepted_at"))
        return order


def dispatch(
    order: WorkOrder, *, by, assignee=None, team=None, version: int | None = None, note: str = ""
) -> WorkOrder:
    """Assign to a worker (their team follows) or to a team whose leader assigns later."""
    return _dispatch(order, by=by, assignee=assignee, team=team, version=version, note=note)


def dispatch_by_system(order: WorkOrder, *, assignee, version: int | None = None, note: str = "") -> WorkOrder:
    """The category's automatic dispatch of an order nobody has taken yet (a requester's, from the
    portal, a QR label or the API): the system assigns the worker, the timeline names no one, and
    nobody becomes the first-contact owner. The status must allow a dispatch; who may dispatch is
    not asked — the category's configuration decided. Called by dispatch.auto_dispatch_after_intake."""
    return _dispatch(order, by=None, assignee=assignee, team=None, version=version, note=note, by_system=True)


def _dispatch(order, *, by, assignee, team, version, note, by_system=False) -> WorkOrder:
    if assignee is None and team is None:
        raise ValidationError({"assignee": _("Choose a worker or a team.")})
    if assignee is not None and not assignee.is_active:
        raise ValidationError({"assignee": _("This person is no longer active.")})
    with transaction.atomic():
        order = _locked(order, version)
        _check(order, "dispatch", by, by_system=by_system)
        changes = {}
        new_team = team or (assignee.team if assignee is not None and assignee.team_id else order.team)
        if assignee != order.assignee:
            changes["assignee"] = [str(order.assignee) if order.assignee else None, str(assignee) if assignee else None]
        if new_team != order.team:
            changes["team"] = [str(order.team) if order.team else None, str(new_team) if new_team else None]
        now = _now()
        if order.status == Status.NEW:
            order.accepted_at = now
            order.owner = order.owner or by
        order.assignee = assignee
        order.team = new_team
        if order.dispatched_at is None:
            order.dispatched_at = now
        _move(
            order,
            "dispatch",
            by,
            Status.DISPATCHED,
            kind=EventKind.DISPATCHED,
            note=note,
            changes=changes,
            fields=("assignee", "team", "dispatched_at", "accepted_at", "owner"),
        )
        return order


def start(order: WorkOrder, *, by, version: int | None = None, scanned_location=None) -> WorkOrder:
    """The worker accepted the job and arrived; a scanned location QR proves the arrival: the
    label of the order's place, or of a place containing it (the ward's label for a bed in it),
    which the timeline then names."""
    with transaction.atomic():
        order = _locked(order, version)
        _check(order, "start", by)
        note = ""
        if scanned_location is not None:
            if order.location_id and scanned_location.pk != order.location_id:
                if not order.location.tree_path.startswith(scanned_location.tree_path or "\0"):
                    raise ValidationError({"location": _("The scanned code is not this order's location.")})
                note = _(
                    "Arrival confirmed by scanning the QR code of %(place)s, which contains this order's location."
                ) % {"place": scanned_location.full_name or scanned_location.name}
            else:
                note = _("Arrival confirmed by scanning the location's QR code.")
        if order.arrived_at is None:
            order.arrived_at = _now()
        _move(order, "start", by, Status.IN_PROGRESS, kind=EventKind.STARTED, note=note, fields=("arrived_at",))
        return order


def hold(order: WorkOrder, *, by, reason: str, note: str = "", version: int | None = None) -> WorkOrder:
    if reason not in HoldReason.values:
        raise ValidationError({"reason": _("Choose why the order waits.")})
    if reason == HoldReason.OTHER and not note.strip():
        raise ValidationError({"note": _("Say what the order waits for.")})
    with transaction.atomic():
        order = _locked(order, version)
        _check(order, "hold", by)
        order.status_before_hold = order.status
        order.hold_reason = reason
        order.hold_note = note.strip()[:200]
        order.hold_started_at = _now()
        order.held_for_parts = order.held_for_parts or reason == HoldReason.PARTS
        _move(
            order,
            "hold",
            by,
            Status.ON_HOLD,
            kind=EventKind.HELD,
            note=note,
            changes={"hold_reason": [None, str(HoldReason(reason).label)]},
            fields=("status_before_hold", "hold_reason", "hold_note", "hold_started_at", "held_for_parts"),
        )
        return order


def resume(order: WorkOrder, *, by, version: int | None = None, note: str = "") -> WorkOrder:
    with transaction.atomic():
        order = _locked(order, version)
        _check(order, "resume", by)
        now = _now()
        held = int((now - order.hold_started_at).total_seconds() // 60) if order.hold_started_at else 0
        order.held_minutes += held
        target = order.status_before_hold or Status.DISPATCHED
        order.hold_started_at = None
        order.status_before_hold = ""
        order.hold_reason = ""
        compute_deadlines(order)
        _move(
            order,
            "resume",
            by,
            target,
            kind=EventKind.RESUMED,
            note=note,
            changes={"held_minutes": [order.held_minutes - held, order.held_minutes]},
            fields=(
                "held_minutes",
                "hold_started_at",
                "status_before_hold",
                "hold_reason",
                "response_due",
                "arrival_due",
                "completion_due",
            ),
        )
        return order


def complete(
    order: WorkOrder,
    *,
    by,
    note: str,
    labor_minutes: int,
    difficulty: decimal.Decimal | float | None = None,
    version: int | None = None,
    parts: list[dict] | None = None,
) -> WorkOrder:
    """parts ([{"item", "quantity"}]) are kept in the event's changes until the materials module books them."""
    _require((note or "").strip(), "note", _("Say what was done."))
    if labor_minutes is None or labor_minutes < 0 or labor_minutes > 10000:
        raise ValidationError({"labor_minutes": _("Enter the labour time in minutes (0–10000).")})
    difficulty = decimal.Decimal(str(difficulty if difficulty is not None else 1))
    if not decimal.Decimal("0.1") <= difficulty <= decimal.Decimal("5"):
        raise ValidationError({"difficulty": _("The difficulty factor must be between 0.1 and 5.")})
    with transaction.atomic():
        order = _locked(order, version)
        _check(order, "complete", by)
        order.completed_at = _now()
        order.result_note = note.strip()
        order.labor_minutes = labor_minutes
        order.difficulty = difficulty
        changes = {"labor_minutes": [None, labor_minutes], "difficulty": [None, str(difficulty)]}
        if parts:
            changes["parts"] = [None, parts]
        _move(
            order,
            "complete",
            by,
            Status.COMPLETED,
            kind=EventKind.COMPLETED,
            note=note,
            changes=changes,
            fields=("completed_at", "result_note", "labor_minutes", "difficulty"),
        )
        return order


def follow_up(
    order: WorkOrder, *, by, rating: int, method: str, comment: str = "", version: int | None = None
) -> WorkOrder:
    """The requester's rating, or an agent's call-back. One rating per order."""
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise ValidationError({"rating": _("Give a rating from 1 to 5.")})
    if method not in (FollowUpMethod.REQUESTER, FollowUpMethod.PHONE):
        raise ValidationError({"method": _("Say how the follow-up was made.")})
    with transaction.atomic():
        order = _locked(order, version)
        _check(order, "follow-up", by)
        order.rating = rating
        order.rating_comment = comment.strip()[:500]
        order.follow_up_method = method
        order.followed_up_at = _now()
        _move(
            order,
            "follow-up",
            by,
            Status.FOLLOWED_UP,
            kind=EventKind.FOLLOWED_UP,
            note=comment,
            changes={"rating": [None, rating]},
            fields=("rating", "rating_comment", "follow_up_method", "followed_up_at"),
        )
        return order


def close(order: WorkOrder, *, by, score: int | None = None, remarks: str = "", answer: str = "", version=None):
    """Assessment. Closed orders are final. A complaint cannot close without a written answer."""
    if score is not None and (isinstance(score, bool) or not 0 <= score <= 100):
        raise ValidationError({"score": _("The score must be between 0 and 100.")})
    with transaction.atomic():
        order = _locked(order, version)
        _check(order, "close", by)
        if order.category.is_complaint and not (answer or order.answer).strip():
            raise ValidationError({"answer": _("A complaint needs a written answer before it can close.")})
        order.score = score
        order.remarks = remarks.strip()[:500]
        if answer.strip():
            order.answer = answer.strip()
        order.closed_at = _now()
        _move(
            order,
            "close",
            by,
            Status.CLOSED,
            kind=EventKind.CLOSED,
            note=remarks,
            changes={"score": [None, score]},
            fields=("score", "remarks", "answer", "closed_at"),
        )
        return order


def auto_close(order: WorkOrder, *, now: datetime.datetime | None = None) -> WorkOrder | None:
    """Close a completed order nobody rated within the category's time: it counts as satisfied."""
    with transaction.atomic():
        order = WorkOrder.objects.select_for_update().select_related("category").get(pk=order.pk)
        hours = order.category.auto_close_hours
        now = now or _now()
        if order.status != Status.COMPLETED or hours is None or order.category.is_complaint:
            return None
        if order.completed_at is None or now - order.completed_at < datetime.timedelta(hours=hours):
            return None
        order.rating = 5
        order.follow_up_method = FollowUpMethod.AUTO
        order.followed_up_at = now
        order.closed_at = now
        _move(
            order,
            "close",
            None,
            Status.CLOSED,
            kind=EventKind.CLOSED,
            note=_("No rating within %(hours)s hours: counted as satisfied.") % {"hours": hours},
            fields=("rating", "follow_up_method", "followed_up_at", "closed_at"),
            at=now,
        )
        return order


def cancel(order: WorkOrder, *, by, reason: str, duplicate_of: WorkOrder | None = None, version=None) -> WorkOrder:
    """Withdraw an order, or merge it into the original it duplicates."""
    _require((reason or "").strip(), "reason", _("Give a reason."))
    with transaction.atomic():
        order = _locked(order, version)
        _check(order, "cancel", by)
        if duplicate_of is not None:
            if duplicate_of.pk == order.pk or duplicate_of.duplicate_of_id == order.pk:
                raise ValidationError({"duplicate_of": _("An order cannot duplicate itself.")})
            if duplicate_of.status == Status.CANCELLED:
                raise ValidationError({"duplicate_of": _("The original order is cancelled.")})
        now = _now()
        order.cancel_reason = reason.strip()[:200]
        order.cancelled_at = now
        order.duplicate_of = duplicate_of
        changes = {"duplicate_of": [None, duplicate_of.number]} if duplicate_of else {}
        if order.status == Status.ON_HOLD:
            # The hold ends with the order: its minutes count as on hold, and nothing is left
            # waiting for a resume that will never come.
            held = int((now - order.hold_started_at).total_seconds() // 60) if order.hold_started_at else 0
            changes["held_minutes"] = [order.held_minutes, order.held_minutes + held]
            order.held_minutes += held
            order.hold_started_at = None
            order.hold_reason = ""
            order.hold_note = ""
            order.status_before_hold = ""
        event = _move(
            order,
            "cancel",
            by,
            Status.CANCELLED,
            kind=EventKind.CANCELLED,
            note=reason,
            changes=changes,
            fields=(
                "cancel_reason",
                "cancelled_at",
                "duplicate_of",
                "held_minutes",
                "hold_started_at",
                "hold_reason",
                "hold_note",
                "status_before_hold",
            ),
        )
        if duplicate_of is not None:
            _event(
                duplicate_of,
                EventKind.MERGED,
                by,
                note=_("%(number)s merged into this order.") % {"number": order.number},
            )
        del event
        return order


def reopen(order: WorkOrder, *, by, reason: str, assignee=None, version=None) -> WorkOrder:
    """Not fixed: back to dispatched (same worker unless another is named); counts as rework.

    Service levels: the deadlines stay measured from creation (docs/workorders.md), so the
    rework races against the original completion deadline, usually gone already. The order keeps
    its `breached` flag and its sla_level: the sweep goes on from there, escalating a level not
    reached before (a job finished on time, reopened after its deadline, is reported as a breach
    once), never one reported already (a breached order is not reported to the director again
    for each rework; the reopen itself tells the worker). See docs/servicedesk-rules.md."""
    _require((reason or "").strip(), "reason", _("Say what is still wrong."))
    with transaction.atomic():
        order = _locked(order, version)
        _check(order, "reopen", by)
        previous_worker = order.assignee
        order.rework_count += 1
        order.assignee = assignee or previous_worker
        order.completed_at = None
        order.followed_up_at = None
        order.rating = None
        order.follow_up_method = ""
        _move(
            order,
            "reopen",
            by,
            Status.DISPATCHED,
            kind=EventKind.REOPENED,
            note=reason,
            changes={"rework_count": [order.rework_count - 1, order.rework_count]},
            fields=("rework_count", "assignee", "completed_at", "followed_up_at", "rating", "follow_up_method"),
        )
        return order


def transfer(order: WorkOrder, *, by, team, reason: str, version=None) -> WorkOrder:
    """Move to another team; the first-contact owner stays, the assignee is cleared."""
    _require((reason or "").strip(), "reason", _("Give a reason for the transfer."))
    if team is None:
        raise ValidationError({"team": _("Choose the team.")})
    with transaction.atomic():
        order = _locked(order, version)
        _check(order, "transfer", by)
        if team.pk == order.team_id:
            raise ValidationError({"team": _("The order is already with this team.")})
        changes = {"team": [str(order.team) if order.team else None, str(team)]}
        if order.assignee_id:
            changes["assignee"] = [str(order.assignee), None]
        order.team = team
        order.assignee = None
        previous = order.status
        if order.status == Status.DISPATCHED:
            order.status = Status.ACCEPTED
        # Held while dispatched or in progress: nobody of the new team has it yet, so it resumes
        # waiting for their dispatch rather than "in progress" with no one on it.
        if order.status == Status.ON_HOLD and order.status_before_hold in (Status.DISPATCHED, Status.IN_PROGRESS):
            order.status_before_hold = Status.ACCEPTED
        _save(order, "team", "assignee", "status", "status_before_hold")
        _event(
            order, EventKind.TRANSFERRED, by, from_status=previous, to_status=order.status, changes=changes, note=reason
        )
        return order


def comment(order: WorkOrder, *, by, text: str) -> WorkOrderEvent:
    _require((text or "").strip(), "text", _("Write the comment."))
    with transaction.atomic():
        order = WorkOrder.objects.select_for_update().get(pk=order.pk)
        if not may_act(by, order, "comment"):
            raise PermissionDenied(_("You may not comment on this order."))
        return _event(order, EventKind.COMMENT, by, note=text.strip()[:2000])


def change(order: WorkOrder, *, by, priority=None, category=None, location=None, version=None) -> WorkOrder:
    """Correct priority, category or location of an open order; deadlines follow, and so does the
    service level state (sla.reassess): back down when the new targets leave more time, up — with
    the escalation recorded now — when they are already at 80 % or past."""
    with transaction.atomic():
        order = _locked(order, version)
        if order.status not in OPEN_STATUSES:
            raise ConflictError(_("Only open orders can be changed."))
        if not by.has_perm("servicedesk.change_workorder"):
            raise PermissionDenied(_("You may not change this order."))
        changes, fields = {}, []
        if priority is not None and priority != order.priority:
            if priority not in Priority.values:
                raise ValidationError({"priority": _("Choose a valid priority.")})
            changes["priority"] = [order.get_priority_display(), Priority(priority).label]
            order.priority = priority
            fields.append("priority")
        if category is not None and category.pk != order.category_id:
            changes["category"] = [str(order.category), str(category)]
            order.category = category
            fields.append("category")
        if location is not None and location.pk != order.location_id:
            changes["location"] = [str(order.location) if order.location else None, str(location)]
            order.location = location
            fields.append("location")
        if not fields:
            return order
        compute_deadlines(order)
        now = _now()
        was_breached, escalation = order.breached, None
        if "priority" in fields or "category" in fields:
            # New targets: the service level state follows them (see sla.reassess). A new place
            # keeps the targets, and the sweep's once-per-level record with them.
            escalation = sla.reassess(order, now)
            fields += ["sla_level", "breached"]
        _save(order, *fields, "response_due", "arrival_due", "completion_due")
        changes = {k: [str(a), str(b)] for k, (a, b) in changes.items()}
        if order.breached != was_breached:
            changes["breached"] = [was_breached, order.breached]
        _event(order, EventKind.CHANGED, by, changes=changes, at=now)
        if escalation is not None:
            sla.record_escalation(order, escalation, now)
        return order


def record_failed_call(order: WorkOrder, *, by, note: str = "") -> WorkOrderEvent:
    """A call-back that did not reach the requester: a CALL_FAILED event on the timeline; the order
    stays completed and waits in the call-back list for the next try."""
    with transaction.atomic():
        order = WorkOrder.objects.select_for_update().get(pk=order.pk)
        if order.status != Status.COMPLETED:
            raise ConflictError(_("Only completed orders wait for a call-back."))
        if not by.has_perm("servicedesk.follow_up_workorder"):
            raise PermissionDenied(_("You may not record call-backs."))
        return _event(order, EventKind.CALL_FAILED, by, note=(note or "").strip()[:2000])


# ---------------------------------------------------------------------------------------------
# Workers
# ---------------------------------------------------------------------------------------------


def set_on_duty(person: Person, on_duty: bool, *, by) -> Person:
    """Put a worker on or off duty (dispatch suggests only people on duty). Workers switch
    themselves; whoever may change people (dispatchers) switches anyone they see. One audit row."""
    is_self = person.user_id is not None and person.user_id == getattr(by, "pk", None)
    if not is_self and not (by is not None and by.has_perm("org.change_person")):
        raise PermissionDenied(_("You may not change who is on duty."))
    with transaction.atomic():
        # Row lock: the worker's own switch and a dispatcher's at the same moment apply one after the other.
        current = Person.objects.select_for_update().get(pk=person.pk)
        if current.on_duty != bool(on_duty):
            current.on_duty = bool(on_duty)
            current.save(update_fields=["on_duty"])
            record_change(
                current, AuditAction.UPDATE, by=by, changes={"on_duty": [not current.on_duty, current.on_duty]}
            )
    person.on_duty = current.on_duty
    return current
