"""Delivering the outbox: each due message is claimed, sent through its channel's seam
(channels.py) outside any transaction, and its attempt logged.

Several deliveries may run at once (one enqueued after each event, one by the scheduler every
minute, several workers): a message is claimed by moving its next attempt LEASE into the future
with a conditional UPDATE, which only one of them wins, so nothing is sent twice. A worker that
dies while sending leaves the message to be tried again when the lease ends."""

import datetime
import logging
import time

from django.utils import timezone

from houqin.notifications import channels
from houqin.notifications.models import TEST, ChannelKind, DeliveryLog, OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

LEASE = datetime.timedelta(minutes=2)
BATCH = 200
DUE_STATUSES = (OutboxStatus.PENDING, OutboxStatus.FAILED)


def backoff(attempts: int) -> datetime.timedelta:
    """The wait after the n-th failed attempt: 1, 2, 4, 8… minutes."""
    return datetime.timedelta(minutes=2 ** max(attempts - 1, 0))


def due_messages(now: datetime.datetime, limit: int = BATCH) -> list[int]:
    return list(
        OutboxMessage.objects.filter(status__in=DUE_STATUSES, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def claim(message_id: int, now: datetime.datetime) -> OutboxMessage | None:
    claimed = OutboxMessage.objects.filter(pk=message_id, status__in=DUE_STATUSES, next_attempt_at__lte=now).update(
        next_attempt_at=now + LEASE
    )
    if not claimed:
        return None  # another delivery has it, or it is no longer due
    return OutboxMessage.objects.select_related("channel").get(pk=message_id)


def send(message: OutboxMessage) -> channels.Delivery:
    """Hand one message to its channel's seam."""
    channel = message.channel
    if channel is None:
        raise channels.PermanentError("the channel was deleted")
    if not channel.enabled and message.event != TEST:
        raise channels.PermanentError("the channel is disabled")
    payload = message.payload or {}
    if message.kind == ChannelKind.WEBHOOK:
        return channels.send_webhook(channel.url, payload, channel.secret, delivery_id=str(message.pk))
    if message.kind == ChannelKind.WECOM:
        return channels.send_wecom(channel.endpoint, payload.get("text", ""))
    if message.kind == ChannelKind.EMAIL:
        addresses = [a.strip() for a in message.recipient.split(",") if a.strip()] or channel.addresses
        return channels.send_email(addresses, payload.get("subject", ""), payload.get("body", ""))
    if message.kind == ChannelKind.SMS:
        return channels.send_sms(
            channel.url, channel.secret, message.recipient, payload.get("text", ""), form=channel.body_format == "form"
        )
    raise channels.PermanentError(f"unknown channel kind {message.kind}")


def deliver_one(message_id: int, now: datetime.datetime | None = None) -> str | None:
    """Claim and send one message; returns its new status, or None when it was not ours to send.
    `now` fixes the clock (tests, simulations); by default the real time is used throughout."""
    message = claim(message_id, now or timezone.now())
    if message is None:
        return None
    attempt = message.attempts + 1
    started = time.monotonic()
    delivery, error = None, None
    try:
        delivery = send(message)
    except channels.DeliveryError as exc:
        error = exc
    except Exception as exc:
        # A bug in a seam or in the payload: logged, and retried like a network failure.
        logger.exception("outbox message %s: unexpected error", message.pk)
        error = channels.RetryableError(f"{type(exc).__name__}: {exc}")
    finished = now or timezone.now()
    log = DeliveryLog(
        message=message,
        attempt=attempt,
        time=finished,
        duration_ms=int((time.monotonic() - started) * 1000),
    )
    fields = {"attempts": attempt}
    if error is None:
        log.ok = True
        log.status_code = delivery.status_code
        log.response = delivery.response[:500]
        fields.update(status=OutboxStatus.SENT, sent_at=finished, last_error="", next_attempt_at=finished)
    else:
        log.status_code = error.status_code
        log.response = (error.response or "")[:500]
        log.error = str(error)[:500]
        gave_up = isinstance(error, channels.PermanentError) or attempt >= OutboxMessage.MAX_ATTEMPTS
        fields.update(
            status=OutboxStatus.DEAD if gave_up else OutboxStatus.FAILED,
            last_error=str(error)[:500],
            next_attempt_at=finished if gave_up else finished + backoff(attempt),
        )
        if gave_up:
            logger.warning("outbox message %s given up after %s attempt(s): %s", message.pk, attempt, error)
    log.save()
    OutboxMessage.objects.filter(pk=message.pk).update(**fields)
    return fields["status"]


def deliver_due(now: datetime.datetime | None = None, *, limit: int = BATCH) -> dict[str, int]:
    """Send every message whose time has come (at most `limit`); returns counts by new status."""
    counts = {status.value: 0 for status in OutboxStatus}
    for message_id in due_messages(now or timezone.now(), limit):
        status = deliver_one(message_id, now)
        if status is not None:
            counts[status] += 1
    return counts


__all__ = ["backoff", "deliver_due", "deliver_one", "send"]
