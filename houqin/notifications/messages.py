"""What the messages say: inbox texts and SMS for people (in their language), the webhook's JSON,
the WeCom markdown and the e-mail for group channels (in the site's default language)."""

import datetime

from django.conf import settings
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from houqin.notifications.models import COMPLAINT, TEST, order_path
from houqin.servicedesk.models import EventKind, Priority

SMS_MAX_CHARS = 200


def language_of(user) -> str:
    return (getattr(user, "language", "") or settings.LANGUAGE_CODE) if user is not None else settings.LANGUAGE_CODE


def absolute_link(order) -> str | None:
    path = order_path(order.pk)
    return f"{settings.PUBLIC_BASE_URL}{path}" if path else None


def _local(moment: datetime.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _where(order) -> str:
    if order.location_id and order.location is not None:
        return order.location.full_name or order.location.name
    return ""


def _target_label(event) -> str:
    target = ((event.changes or {}).get("target") or [None, ""])[1]
    return {"response": _("response"), "arrival": _("arrival"), "completion": _("completion")}.get(target, _("service"))


def _due_of(order, event) -> str:
    target = ((event.changes or {}).get("target") or [None, ""])[1]
    due = {"response": order.response_due, "arrival": order.arrival_due, "completion": order.completion_due}.get(target)
    return _local(due)


def personal_text(message: str, order, event) -> tuple[str, str]:
    """(title, body) of a rule's message to one person, in the active language.

    message: "assigned", "team_assigned", "reopened", "completed", "merged" (a duplicate, to its
    requester), "sla_warning", "sla_breach", "complaint"."""
    params = {
        "number": order.number,
        "category": order.category.name,
        "where": _where(order),
        "description": Truncator(order.description).chars(200),
        "target": _target_label(event),
        "due": _due_of(order, event),
        "result": Truncator(order.result_note).chars(200),
    }
    urgent = order.priority in (Priority.URGENT, Priority.HIGH)
    lines = []
    if message in ("assigned", "team_assigned", "reopened"):
        title = {
            "assigned": _("Work order %(number)s assigned to you"),
            "team_assigned": _("Work order %(number)s for your team"),
            "reopened": _("Work order %(number)s reopened for rework"),
        }[message] % params
        if urgent:
            lines.append(_("Priority: %(priority)s") % {"priority": Priority(order.priority).label})
        lines.append(" · ".join(part for part in (params["category"], params["where"]) if part))
        lines.append(params["description"])
        if message == "reopened" and event.note:
            lines.append(_("Still wrong: %(reason)s") % {"reason": Truncator(event.note).chars(200)})
    elif message == "completed":
        title = _("Your request %(number)s is completed") % params
        lines.append(" · ".join(part for part in (params["category"], params["where"]) if part))
        if params["result"]:
            lines.append(params["result"])
        lines.append(_("Please rate the service, or reopen the request if the problem remains."))
    elif message == "merged":
        original = order.duplicate_of.number if order.duplicate_of_id and order.duplicate_of else ""
        title = _("Your request %(number)s was merged into %(original)s") % {**params, "original": original}
        lines.append(" · ".join(part for part in (params["category"], params["where"]) if part))
        lines.append(
            _(
                "The same problem was reported before: it is handled under %(original)s. Follow it on your request's page."
            )
            % {"original": original}
        )
    elif message == "sla_warning":
        title = _("Work order %(number)s is close to its %(target)s deadline") % params
        lines.append(_("Due %(due)s.") % params)
        lines.append(" · ".join(part for part in (params["category"], params["where"]) if part))
    elif message == "sla_breach":
        title = _("Work order %(number)s missed its %(target)s deadline") % params
        lines.append(_("It was due %(due)s.") % params)
        lines.append(" · ".join(part for part in (params["category"], params["where"]) if part))
    elif message == "complaint":
        title = _("New complaint %(number)s") % params
        lines.append(" · ".join(part for part in (params["category"], params["where"]) if part))
        lines.append(params["description"])
    else:
        raise ValueError(f"unknown message {message}")
    return title, "\n".join(line for line in lines if line)


def sms_text(title: str, body: str) -> str:
    return Truncator(f"{title}. {' '.join(body.split())}").chars(SMS_MAX_CHARS)


# ---------------------------------------------------------------------------------------------
# Group channels: one text per event, in the site's default language
# ---------------------------------------------------------------------------------------------


def event_label(event_key: str) -> str:
    if event_key == COMPLAINT:
        return _("new complaint")
    if event_key == TEST:
        return _("test message")
    try:
        return str(EventKind(event_key).label)
    except ValueError:
        return event_key


def group_title(order, event_key: str) -> str:
    if event_key == COMPLAINT:
        return _("New complaint %(number)s") % {"number": order.number}
    return _("Work order %(number)s: %(event)s") % {"number": order.number, "event": event_label(event_key)}


def group_lines(order, event) -> list[tuple[str, str]]:
    rows = [
        (_("Category"), order.category.name),
        (_("Location"), _where(order)),
        (_("Priority"), str(Priority(order.priority).label)),
        (_("Status"), order.get_status_display()),
    ]
    if order.assignee_id and order.assignee is not None:
        rows.append((_("Worker"), order.assignee.name))
    elif order.team_id and order.team is not None:
        rows.append((_("Team"), order.team.name))
    if event.note:
        rows.append((_("Note"), Truncator(" ".join(event.note.split())).chars(200)))
    return [(label, value) for label, value in rows if value]


def wecom_markdown(order, event, event_key: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        lines = [f"**{group_title(order, event_key)}**"]
        lines += [f"> {label}: {value}" for label, value in group_lines(order, event)]
        link = absolute_link(order)
        if link:
            lines.append(f"[{_('Open the work order')}]({link})")
        return "\n".join(lines)


def email_message(order, event, event_key: str) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        subject = group_title(order, event_key)
        lines = [f"{label}: {value}" for label, value in group_lines(order, event)]
        link = absolute_link(order)
        if link:
            lines += ["", link]
        return subject, "\n".join(lines)


def _iso(moment: datetime.datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat() if moment else None


def webhook_payload(order, event, event_key: str) -> dict:
    """The JSON a webhook receives: codes rather than translated labels, no personal data."""
    return {
        "event": event_key,
        "event_id": event.pk,
        "occurred_at": _iso(event.time),
        "order": {
            "id": order.pk,
            "number": order.number,
            "status": order.status,
            "priority": order.priority,
            "channel": order.channel,
            "category": {
                "code": order.category.code,
                "name": order.category.name,
                "is_complaint": order.category.is_complaint,
            },
            "location": {"code": order.location.code, "name": _where(order)} if order.location_id else None,
            "team": order.team.code if order.team_id and order.team is not None else None,
            "times": {
                "created": _iso(order.created),
                "accepted": _iso(order.accepted_at),
                "dispatched": _iso(order.dispatched_at),
                "arrived": _iso(order.arrived_at),
                "completed": _iso(order.completed_at),
                "closed": _iso(order.closed_at),
                "response_due": _iso(order.response_due),
                "arrival_due": _iso(order.arrival_due),
                "completion_due": _iso(order.completion_due),
            },
            "breached": order.breached,
            "link": absolute_link(order),
        },
    }


# ---------------------------------------------------------------------------------------------
# Test messages (the channel page's "send test message")
# ---------------------------------------------------------------------------------------------


def test_texts(channel_name: str, by) -> dict:
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Test message from the logistics service center")
        body = _("Channel “%(channel)s” works. Sent by %(user)s at %(time)s.") % {
            "channel": channel_name,
            "user": by.get_full_name() or by.username,
            "time": _local(timezone.now()),
        }
    return {"title": title, "body": body}
