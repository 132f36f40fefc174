"""Who is told what, when a work-order event is committed (servicedesk.services.work_order_event):

| event | who | how |
|---|---|---|
| dispatched, reopened | the assigned worker (the team leader when only a team was given) | inbox, SMS |
| completed | the requester | inbox if they have an account, SMS to the order's requester phone |
| cancelled as a duplicate (merged) | the duplicate's requester | inbox if they have an account, SMS to its requester phone |
| sla_warning | the leader of the order's team | inbox, SMS |
| sla_breach | every logistics director (role "director") | inbox, SMS |
| created in a complaint category | every logistics director | inbox, SMS |

SMS goes out when an enabled SMS gateway subscribes to the event ("complaint" for complaints,
"merged" for the requester of a merged duplicate). Webhooks, WeCom robots and e-mail channels get
every event they subscribe to. Nobody is told of what they did themselves. Inbox texts and SMS are
in the recipient's language; a requester's notification opens their request in the portal."""

import logging
import urllib.parse
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from houqin.notifications import messages
from houqin.notifications.models import (
    COMPLAINT,
    ChannelConfig,
    ChannelKind,
    Notification,
    OutboxMessage,
    order_path,
)
from houqin.servicedesk.models import EventKind, WorkOrder

logger = logging.getLogger(__name__)

DIRECTOR_ROLE = "director"


@dataclass(frozen=True)
class Tell:
    """One person to tell: their account (inbox, language) and/or phone (SMS)."""

    message: str  # a key of messages.personal_text
    event_key: str  # the event an SMS gateway must subscribe to
    user: object | None
    phone: str
    to_requester: bool = False  # the inbox link opens the request in the portal, not the desk's page


def _person_tell(person, message: str, event_key: str) -> Tell | None:
    if person is None:
        return None
    user = person.user if person.user_id and person.user.is_active else None
    return Tell(message, event_key, user, person.phone or "")


def _requester_tell(order: WorkOrder, message: str, event_key: str) -> Tell | None:
    """The order's requester: their account if active (inbox), and the order's phone (SMS)."""
    requester = order.requester_user if order.requester_user_id and order.requester_user.is_active else None
    if requester is None and not order.requester_phone:
        return None
    return Tell(message, event_key, requester, order.requester_phone, to_requester=True)


def _link(order: WorkOrder, tell: Tell) -> str:
    if tell.to_requester:
        try:
            return reverse("servicedesk:portal_request", args=[order.pk])
        except NoReverseMatch:
            pass
    return order_path(order.pk)


def _user_phone(user) -> str:
    try:
        return user.person.phone or ""
    except Exception:
        return ""


def directors() -> list:
    User = get_user_model()
    return list(User.objects.filter(groups__name=DIRECTOR_ROLE, is_active=True).select_related("person").distinct())


def event_keys(order: WorkOrder, kind: str) -> list[str]:
    """The subscription keys an event matches: its kind, and "complaint" for a new complaint."""
    keys = [kind]
    if kind == EventKind.CREATED and order.category.is_complaint:
        keys.append(COMPLAINT)
    return keys


def tells_for(order: WorkOrder, kind: str) -> list[Tell]:
    """The people the rules name for this event."""
    tells: list[Tell | None] = []
    if kind in (EventKind.DISPATCHED, EventKind.REOPENED):
        message = "reopened" if kind == EventKind.REOPENED else "assigned"
        if order.assignee_id:
            tells.append(_person_tell(order.assignee, message, kind))
        elif order.team_id and order.team.leader_id:
            tells.append(_person_tell(order.team.leader, "team_assigned" if message == "assigned" else message, kind))
    elif kind == EventKind.COMPLETED:
        tells.append(_requester_tell(order, "completed", kind))
    elif kind == EventKind.CANCELLED and order.duplicate_of_id:
        # Merged into the original: the duplicate's requester learns where their request went.
        tells.append(_requester_tell(order, "merged", EventKind.MERGED))
    elif kind == EventKind.SLA_WARNING:
        if order.team_id and order.team.leader_id:
            tells.append(_person_tell(order.team.leader, "sla_warning", kind))
    elif kind == EventKind.SLA_BREACH:
        tells += [Tell("sla_breach", kind, user, _user_phone(user)) for user in directors()]
    elif kind == EventKind.CREATED and order.category.is_complaint:
        tells += [Tell("complaint", COMPLAINT, user, _user_phone(user)) for user in directors()]
    return [tell for tell in tells if tell is not None]


def _load(order_id: int) -> WorkOrder | None:
    return (
        WorkOrder.objects.select_related(
            "category", "location", "team__leader__user", "assignee__user", "requester_user", "duplicate_of"
        )
        .filter(pk=order_id)
        .first()
    )


def notify(order_id: int, event, kind: str) -> dict[str, int]:
    """Write the inbox notifications and outbox messages for one committed event and have the
    outbox delivered after commit. Returns how many of each were written."""
    order = _load(order_id)
    if order is None:
        return {"notifications": 0, "outbox": 0}
    actor_id = getattr(event, "actor_id", None)
    channels = list(ChannelConfig.objects.filter(enabled=True).order_by("pk"))
    sms_gateways = [c for c in channels if c.kind == ChannelKind.SMS]
    inbox: list[Notification] = []
    outbox: list[OutboxMessage] = []
    texted: set[str] = set()
    for tell in tells_for(order, kind):
        if tell.user is not None and actor_id is not None and tell.user.pk == actor_id:
            continue  # nobody is told of what they did themselves
        with translation.override(messages.language_of(tell.user)):
            title, body = messages.personal_text(tell.message, order, event)
        if tell.user is not None:
            inbox.append(
                Notification(
                    user=tell.user,
                    title=title[:200],
                    body=body[:1000],
                    link=_link(order, tell),
                    order=order,
                    event=tell.event_key,
                )
            )
        gateway = next((g for g in sms_gateways if g.wants(tell.event_key)), None)
        if gateway is not None and tell.phone and tell.phone not in texted:
            texted.add(tell.phone)
            outbox.append(
                OutboxMessage(
                    channel=gateway,
                    channel_name=gateway.name,
                    kind=ChannelKind.SMS,
                    event=tell.event_key,
                    order=order,
                    recipient_user=tell.user,
                    recipient=tell.phone,
                    payload={"text": messages.sms_text(title, body)},
                )
            )
    for key in event_keys(order, kind):
        for channel in channels:
            if channel.kind == ChannelKind.SMS or not channel.wants(key):
                continue
            outbox.append(group_message(channel, order, event, key))
    with transaction.atomic():
        Notification.objects.bulk_create(inbox)
        OutboxMessage.objects.bulk_create(outbox)
        if outbox:
            deliver_after_commit()
    return {"notifications": len(inbox), "outbox": len(outbox)}


def group_message(channel: ChannelConfig, order: WorkOrder, event, key: str) -> OutboxMessage:
    message = OutboxMessage(
        channel=channel, channel_name=channel.name, kind=channel.kind, event=key, order=order, recipient=""
    )
    if channel.kind == ChannelKind.WEBHOOK:
        message.recipient = urllib.parse.urlsplit(channel.url).netloc[:300]
        message.payload = messages.webhook_payload(order, event, key)
    elif channel.kind == ChannelKind.WECOM:
        message.recipient = channel.name[:300]
        message.payload = {"text": messages.wecom_markdown(order, event, key)}
    elif channel.kind == ChannelKind.EMAIL:
        subject, body = messages.email_message(order, event, key)
        message.recipient = ", ".join(channel.addresses)[:300]
        message.payload = {"subject": subject, "body": body}
    return message


def deliver_after_commit() -> None:
    transaction.on_commit(enqueue_delivery)


def enqueue_delivery() -> None:
    """Ask the task worker to deliver the outbox now (the scheduler also does every minute)."""
    from houqin.notifications.tasks import deliver_outbox

    try:
        deliver_outbox.enqueue()
    except Exception:
        # Not lost: the scheduler's run of deliver_outbox within a minute picks the messages up.
        logger.exception("could not enqueue the outbox delivery")


def on_work_order_event(sender, order, event, kind, **kwargs) -> None:
    """Receiver of servicedesk's work_order_event (sent after the order's change committed)."""
    try:
        notify(order.pk, event, kind)
    except Exception:
        # The order's change is committed; a notification problem must not turn it into an error page.
        logger.exception("notifications for work order %s (%s) failed", getattr(order, "pk", None), kind)
