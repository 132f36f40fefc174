"""What the API takes and answers for work orders and incoming calls. Related objects come as
compact `{"id", "code", "name"}` (houqin.core.api.Ref); time stamps in the site's zone."""

from decimal import Decimal
from typing import Annotated, Literal

from django.utils import timezone
from ninja import Field, Schema
from pydantic import BaseModel, ConfigDict

from houqin.core.api import CleanStr, LocalDateTime, Ref, RefValue
from houqin.servicedesk.filters import is_overdue
from houqin.servicedesk.models import Channel, FollowUpMethod, HoldReason, Priority

# ---------------------------------------------------------------------------------------------
# Answers
# ---------------------------------------------------------------------------------------------


class LocationRef(Ref):
    path: str = Field(description="names from the top down, e.g. “本部院区 / 门诊楼 / 3F / 312”")

    @staticmethod
    def resolve_path(obj) -> str:
        return obj.full_name


class OrderRef(Schema):
    id: int
    number: str


class WorkOrderItem(Schema):
    """An order in a list: enough for a board or a worker's job list."""

    id: int
    number: str
    status: str = Field(description="new, accepted, dispatched, in_progress, on_hold, completed, followed_up, …")
    status_label: str
    priority: str = Field(description="urgent, high, normal or low")
    priority_label: str
    category: Ref
    location: LocationRef | None
    department: Ref | None
    team: Ref | None
    assignee: Ref | None = Field(description="the worker; `code` is the employee number")
    channel: str = Field(description="phone, web, mobile, qr, api, patrol or pm")
    requester_name: str
    created: LocalDateTime
    last_updated: LocalDateTime
    response_due: LocalDateTime | None
    arrival_due: LocalDateTime | None
    completion_due: LocalDateTime | None
    sla_level: int = Field(description="0 on time, 1 warned (80 % of a target), 2 breached")
    breached: bool = Field(description="a deadline was missed at some point")
    overdue: bool = Field(description="open and past a deadline (or breached) right now")
    version: int = Field(description="send it back with an action to be told when someone else changed the order")

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_priority_label(obj) -> str:
        return str(obj.get_priority_display())

    @staticmethod
    def resolve_overdue(obj) -> bool:
        return is_overdue(obj, timezone.now())


class EventOut(Schema):
    id: int
    time: LocalDateTime
    kind: str
    kind_label: str
    actor_name: str
    from_status: str
    to_status: str
    changes: dict = Field(description="field → [before, after]")
    note: str

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(obj.get_kind_display())


class ClockOut(Schema):
    target: str = Field(description="the target being raced: response, arrival or completion")
    due: LocalDateTime
    share: float = Field(description="elapsed share of the target: 0.8 warns, 1 or more is late")
    level: int = Field(description="0 on time, 1 warning, 2 breach")


class ActionOut(Schema):
    name: str = Field(description="the last part of the action's path, e.g. `dispatch`, `follow-up`")
    label: str


class HoldOut(Schema):
    reason: str
    reason_label: str
    note: str
    since: LocalDateTime | None


class WorkOrderOut(WorkOrderItem):
    """An order with its whole story."""

    description: str
    requester_phone: str
    requester_account: str | None = Field(description="user name of the requester's login, if they reported it")
    owner: str | None = Field(description="the first-contact owner (the agent who accepted it)")
    duplicate_of: OrderRef | None
    accepted_at: LocalDateTime | None
    dispatched_at: LocalDateTime | None
    arrived_at: LocalDateTime | None
    completed_at: LocalDateTime | None
    followed_up_at: LocalDateTime | None
    closed_at: LocalDateTime | None
    cancelled_at: LocalDateTime | None
    hold: HoldOut | None = Field(description="why and since when it waits; null unless on hold")
    held_minutes: int = Field(description="minutes spent on hold so far")
    result_note: str
    labor_minutes: int | None
    difficulty: Decimal
    rework_count: int
    rating: int | None
    rating_comment: str
    follow_up_method: str
    score: int | None
    remarks: str
    answer: str = Field(description="the written answer to a complaint")
    cancel_reason: str
    clock: ClockOut | None = Field(description="the target the order is racing now; null when none is pending")
    actions: list[ActionOut] = Field(description="what the caller may do to the order now")
    timeline: list[EventOut]

    @staticmethod
    def resolve_requester_account(obj) -> str | None:
        return obj.requester_user.username if obj.requester_user_id else None

    @staticmethod
    def resolve_owner(obj) -> str | None:
        if not obj.owner_id:
            return None
        return obj.owner.get_full_name() or obj.owner.username

    @staticmethod
    def resolve_hold(obj):
        if obj.status != "on_hold":
            return None
        return {
            "reason": obj.hold_reason,
            "reason_label": str(obj.get_hold_reason_display()),
            "note": obj.hold_note,
            "since": obj.hold_started_at,
        }

    @staticmethod
    def resolve_timeline(obj):
        return list(obj.events.all())


class CallerMatchOut(Schema):
    source: str = Field(description="`directory` (a phone directory entry) or `person` (a person's mobile phone)")
    who: str
    department: Ref | None
    location: LocationRef | None
    person: Ref | None


class IncomingCallOut(Schema):
    id: int
    call_id: str
    caller: str = Field(description="the number as the telephone system reported it")
    phone: str = Field(description="the caller's number, normalised (no separators, no +86)")
    callee: str
    received_at: LocalDateTime
    who: str = Field(description="the recognised caller: a directory label or a person's name; empty if unknown")
    person: Ref | None
    department: Ref | None
    location: LocationRef | None = Field(description="the directory's location for the number")
    taken_by: str | None = Field(description="user name of the agent who took the call")
    taken_at: LocalDateTime | None
    order: OrderRef | None = Field(description="the order recorded during the call")

    @staticmethod
    def resolve_phone(obj) -> str:
        return obj.caller_number

    @staticmethod
    def resolve_who(obj) -> str:
        return obj.caller_name

    @staticmethod
    def resolve_taken_by(obj) -> str | None:
        return obj.agent.username if obj.agent_id else None


class ReportedCallOut(IncomingCallOut):
    matches: list[CallerMatchOut] = Field(description="everyone the number belongs to; the first one is recorded")


class WaitingCallOut(IncomingCallOut):
    recent_orders: list[WorkOrderItem] = Field(description="the caller's latest orders, newest first (at most 5)")
    usual_location: LocationRef | None = Field(
        description="the location the caller most often asks for, else the directory's"
    )


class WaitingCallsOut(Schema):
    now: LocalDateTime = Field(description="the server's time: send it as `since` next time to get only newer calls")
    items: list[WaitingCallOut]


# ---------------------------------------------------------------------------------------------
# Bodies
# ---------------------------------------------------------------------------------------------


class Body(BaseModel):
    # Clients may send back what they read: unknown fields are ignored.
    model_config = ConfigDict(extra="ignore")


Version = Annotated[int, Field(ge=1, le=2**31 - 1)]
Text = Annotated[CleanStr, Field(max_length=2000)]
ShortText = Annotated[CleanStr, Field(max_length=200)]


class WorkOrderIn(Body):
    category: RefValue = Field(description="id or code of a specific (not group) category")
    location: RefValue | None = Field(None, description="id or code; required unless the category says otherwise")
    description: Text
    priority: Literal[tuple(Priority.values)] | None = Field(None, description="default: the category's")  # type: ignore[valid-type]
    requester_name: Annotated[CleanStr, Field(max_length=50)] = ""
    requester_phone: Annotated[CleanStr, Field(max_length=32)] = ""
    department: RefValue | None = Field(
        None, description="id or code; default: a department user's own department, else the location's"
    )
    channel: Literal[tuple(Channel.values)] | None = Field(  # type: ignore[valid-type]
        None, description="default: `api` with a token, `web` in the browser"
    )
    asset: RefValue | None = Field(None, description="reserved for the assets module: only null is accepted")
    photos: list[CleanStr] = Field(
        default_factory=list, description="reserved: photos are not uploaded here yet, only [] is accepted"
    )
    call_id: Annotated[CleanStr, Field(max_length=100)] | None = Field(
        None, description="the incoming call this request came in on (from /telephony/incoming)"
    )


class VersionIn(Body):
    version: Version | None = Field(
        None, description="the order's `version` the caller saw; if it has changed since, the answer is 409"
    )


class DispatchIn(VersionIn):
    assignee: RefValue | None = Field(None, description="the worker: id or employee number")
    team: RefValue | None = Field(None, description="the team (id or code), when its leader assigns later")
    note: Text = ""


class StartIn(VersionIn):
    location: RefValue | None = Field(
        None, description="the location whose QR code the worker scanned on arrival (id, code or label code)"
    )


class HoldIn(VersionIn):
    reason: Literal[tuple(HoldReason.values)] = Field(  # type: ignore[valid-type]
        description="parts, contractor, department or other"
    )
    note: ShortText = Field("", description="required with reason `other`")


class ResumeIn(VersionIn):
    note: Text = ""


class PartIn(Body):
    item: RefValue = Field(description="item id or code")
    quantity: Annotated[Decimal, Field(gt=0, max_digits=10, decimal_places=3)]


class CompleteIn(VersionIn):
    note: Text = Field(description="what was done")
    labor_minutes: Annotated[int, Field(ge=0, le=10000)]
    difficulty: Annotated[Decimal, Field(max_digits=4, decimal_places=2)] | None = Field(
        None, description="workload factor, 0.1–5 (default 1)"
    )
    parts: list[PartIn] = Field(
        default_factory=list, max_length=100, description="parts used; kept on the timeline until stock is managed"
    )


class FollowUpIn(VersionIn):
    rating: Annotated[int, Field(ge=1, le=5)]
    comment: Annotated[CleanStr, Field(max_length=500)] = ""
    method: Literal[FollowUpMethod.REQUESTER.value, FollowUpMethod.PHONE.value] = Field(
        description="`requester` (the requester rated it) or `phone` (an agent called back)"
    )


class CloseIn(VersionIn):
    score: Annotated[int, Field(ge=0, le=100)] | None = None
    remarks: Annotated[CleanStr, Field(max_length=500)] = ""
    answer: Text = Field("", description="the written answer, required to close a complaint")


class CancelIn(VersionIn):
    reason: ShortText
    duplicate_of: RefValue | None = Field(None, description="the original order (id or number) this one duplicates")


class ReopenIn(VersionIn):
    reason: Text = Field(description="what is still wrong")
    assignee: RefValue | None = Field(None, description="another worker (id or employee number); default: the same")


class TransferIn(VersionIn):
    team: RefValue
    reason: ShortText


class CommentIn(VersionIn):
    text: Text


class IncomingCallIn(Body):
    caller: Annotated[CleanStr, Field(min_length=1, max_length=64)] = Field(description="the calling number")
    callee: Annotated[CleanStr, Field(max_length=64)] = Field("", description="the number dialled")
    call_id: Annotated[CleanStr, Field(min_length=1, max_length=100)] = Field(
        description="the telephone system's id of the call; a repeated report of one call records nothing new"
    )
