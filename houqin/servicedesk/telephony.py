"""The telephone system's screen-pop: an incoming call is recorded once per call id with the caller
recognised (phone directory first, else a person's mobile phone), shown on the agents' consoles
until one of them takes it, and linked to the order recorded during the call."""

import datetime
from collections import Counter

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from houqin.core.exceptions import ConflictError
from houqin.org.services import PHONE_PATTERN, find_callers, normalize_phone
from houqin.servicedesk.filters import without_separators
from houqin.servicedesk.models import IncomingCall, WorkOrder

# The console shows calls of this long ago at most: older ones are over, taken or not.
RECENT_CALLS = datetime.timedelta(minutes=10)
MAX_RECENT_CALLS = 20
RECENT_ORDERS = 5
# The usual location is the most frequent one among this many of the caller's latest orders.
USUAL_LOCATION_SAMPLE = 20


def caller_matches(caller: str) -> tuple[str, list[dict]]:
    """(normalised number, matches) for what the telephone system reported as the caller.
    A withheld or malformed number matches nobody."""
    number = normalize_phone(caller)
    if not PHONE_PATTERN.match(number):
        return number, []
    return number, find_callers(number)


def record_call(*, caller: str, callee: str, call_id: str, at: datetime.datetime | None = None):
    """Record an incoming call and recognise its caller; returns (call, matches, created).

    Idempotent on call_id: the telephone system may report a call twice (a retry after a
    timeout); the second report answers the first record. The same call id with another caller
    is a ConflictError."""
    call_id = (call_id or "").strip()
    caller = (caller or "").strip()
    if not call_id:
        raise ValidationError({"call_id": _("This field is required.")})
    if not caller:
        raise ValidationError({"caller": _("This field is required.")})
    number, matches = caller_matches(caller)
    existing = IncomingCall.objects.filter(call_id=call_id).first()
    if existing is None:
        first = matches[0] if matches else None
        try:
            with transaction.atomic():
                call = IncomingCall.objects.create(
                    call_id=call_id,
                    caller=caller,
                    caller_number=number,
                    callee=(callee or "").strip(),
                    received_at=at or timezone.now(),
                    caller_name=first["who"][:100] if first else "",
                    directory_entry=first["entry"] if first else None,
                    person=first["person"] if first else None,
                    department=first["department"] if first else None,
                    location=first["location"] if first else None,
                )
            return call, matches, True
        except IntegrityError:
            # Reported twice at the same moment: the other report recorded it.
            existing = IncomingCall.objects.filter(call_id=call_id).first()
            if existing is None:
                raise
    if normalize_phone(existing.caller) != number:
        raise ConflictError(_("This call id was already reported with another caller."))
    return existing, matches, False


def take_call(call: IncomingCall, *, by) -> IncomingCall:
    """An agent answers the call: it leaves the other agents' consoles. Taking it again is harmless;
    a call another agent took is a ConflictError."""
    with transaction.atomic():
        call = IncomingCall.objects.select_for_update().get(pk=call.pk)
        if call.agent_id is not None and call.agent_id != by.pk:
            raise ConflictError(_("Another agent has taken this call."))
        if call.agent_id is None:
            call.agent = by
            call.taken_at = timezone.now()
            call.save(update_fields=["agent", "taken_at"])
        return call


def link_order(call: IncomingCall, order: WorkOrder, *, by) -> IncomingCall:
    """The order recorded during the call: the call is taken by its author and points at the
    (first) order made from it."""
    with transaction.atomic():
        call = IncomingCall.objects.select_for_update().get(pk=call.pk)
        fields = []
        if call.agent_id is None:
            call.agent, call.taken_at = by, timezone.now()
            fields += ["agent", "taken_at"]
        if call.order_id is None:
            call.order = order
            fields.append("order")
        if fields:
            call.save(update_fields=fields)
        return call


def waiting_calls(since: datetime.datetime | None = None, now: datetime.datetime | None = None):
    """The calls of the last minutes nobody has taken yet, newest first (after `since`, if given)."""
    now = now or timezone.now()
    calls = IncomingCall.objects.filter(agent__isnull=True, received_at__gte=now - RECENT_CALLS)
    if since is not None:
        calls = calls.filter(received_at__gt=since)
    return calls.select_related("person", "department", "location", "directory_entry").order_by("-received_at", "-id")[
        :MAX_RECENT_CALLS
    ]


def callers_orders(call: IncomingCall, user):
    """The orders of this caller the user may see, newest first: requested from this number
    (however it was written: "8123", "+86 139-0000-1111"…), or by the recognised person's account."""
    number = call.caller_number
    if not PHONE_PATTERN.match(number):
        return WorkOrder.objects.none()
    cond = Q(bare_phone__in=[number, f"+86{number}", f"0086{number}"])
    if call.person_id and call.person.user_id:
        cond |= Q(requester_user_id=call.person.user_id)
    orders = WorkOrder.objects.for_user(user).alias(bare_phone=without_separators("requester_phone"))
    return orders.filter(cond).order_by("-created", "-id")


def usual_location(call: IncomingCall, orders: list[WorkOrder]):
    """The location the caller most often asks for (among their latest orders), else the one the
    phone directory gives for the number."""
    counts = Counter(order.location_id for order in orders if order.location_id)
    if counts:
        best = max(counts.items(), key=lambda item: item[1])[0]
        return next(order.location for order in orders if order.location_id == best)
    return call.location
