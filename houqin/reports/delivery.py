"""Telling people a monthly report is there, through the notification machinery of
houqin/notifications: inbox notifications, and outbox messages that its task worker delivers with
retries (rules.deliver_after_commit).

| when | who | how |
|---|---|---|
| a finished month's report is ready (once per month) | every active director (role "director") who may read reports | inbox with the PDF's link; SMS when an enabled SMS gateway subscribes to "monthly report ready" |
| the same | the hospital's channels subscribed to "monthly report ready" | e-mail and WeCom with the download links, webhook with the report's JSON |
| a report someone asked for is ready, or failed | that person (unless told above) | inbox |
| the scheduler's report failed | the directors | inbox |

A report of a month still running is not delivered: the scheduler's report of the finished month
is, on the first of the next month."""

import urllib.parse

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from houqin.core.audit import AuditAction, record_change
from houqin.notifications import messages
from houqin.notifications.models import MONTHLY_REPORT, ChannelConfig, ChannelKind, Notification, OutboxMessage
from houqin.notifications.rules import deliver_after_commit, directors
from houqin.reports.models import MonthlyReport, ReportStatus

VIEW = "reports.view_monthlyreport"


def page_path() -> str:
    return reverse("reports:list")


def download_path(report: MonthlyReport, kind: str) -> str:
    return reverse("reports:download", args=[report.label, kind])


def absolute(path: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}{path}"


def recipients() -> list:
    """The directors who may read reports (the role grants it; an account may have lost it)."""
    return [user for user in directors() if user.has_perm(VIEW)]


def inbox_text(report: MonthlyReport) -> tuple[str, str]:
    """(title, body) of the inbox message about a report, in the active language."""
    if report.status == ReportStatus.READY:
        title = _("Monthly logistics report %(month)s is ready") % {"month": report.label}
        lines = [_("The PDF opens from here; the Excel workbook with every list is on the reports page.")]
        if not report.is_complete:
            lines.insert(0, _("It shows the month so far, not the whole month."))
        return title, "\n".join(lines)
    title = _("Monthly logistics report %(month)s could not be generated") % {"month": report.label}
    return title, Truncator(report.error).chars(300)


def _notification(report: MonthlyReport, user) -> Notification:
    with translation.override(messages.language_of(user)):
        title, body = inbox_text(report)
    link = download_path(report, "pdf") if report.is_ready else page_path()
    return Notification(user=user, title=title[:200], body=body[:1000], link=link, event=MONTHLY_REPORT)


def _links(report: MonthlyReport) -> list[tuple[str, str]]:
    return [
        (_("PDF"), absolute(download_path(report, "pdf"))),
        (_("Excel workbook"), absolute(download_path(report, "xlsx"))),
        (_("All reports"), absolute(page_path())),
    ]


def _generated(report: MonthlyReport) -> str:
    return timezone.localtime(report.generated_at).strftime("%Y-%m-%d %H:%M") if report.generated_at else ""


def webhook_payload(report: MonthlyReport) -> dict:
    """The JSON a webhook receives: codes and links, no personal data."""
    return {
        "event": MONTHLY_REPORT,
        "occurred_at": timezone.localtime(timezone.now()).isoformat(),
        "report": {
            "id": report.pk,
            "month": report.label,
            "status": report.status,
            "generated_at": timezone.localtime(report.generated_at).isoformat() if report.generated_at else None,
            "links": {
                "pdf": absolute(download_path(report, "pdf")),
                "xlsx": absolute(download_path(report, "xlsx")),
                "page": absolute(page_path()),
            },
        },
    }


def group_message(channel: ChannelConfig, report: MonthlyReport) -> OutboxMessage:
    """The message of one webhook, WeCom robot or e-mail channel, in the site's language."""
    message = OutboxMessage(channel=channel, channel_name=channel.name, kind=channel.kind, event=MONTHLY_REPORT)
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Monthly logistics report %(month)s") % {"month": report.label}
        generated = _("Generated %(time)s.") % {"time": _generated(report)}
        if channel.kind == ChannelKind.WEBHOOK:
            message.recipient = urllib.parse.urlsplit(channel.url).netloc[:300]
            message.payload = webhook_payload(report)
        elif channel.kind == ChannelKind.WECOM:
            message.recipient = channel.name[:300]
            lines = [f"**{title}**", f"> {generated}"] + [f"[{label}]({url})" for label, url in _links(report)]
            message.payload = {"text": "\n".join(lines)}
        elif channel.kind == ChannelKind.EMAIL:
            message.recipient = ", ".join(channel.addresses)[:300]
            lines = [generated, ""] + [f"{label}: {url}" for label, url in _links(report)]
            lines += ["", _("Downloading needs a login with the right to read reports.")]
            message.payload = {"subject": title, "body": "\n".join(lines)}
    return message


def _sms(gateway: ChannelConfig, report: MonthlyReport, user, phone: str) -> OutboxMessage:
    with translation.override(messages.language_of(user)):
        title, _body = inbox_text(report)
    return OutboxMessage(
        channel=gateway,
        channel_name=gateway.name,
        kind=ChannelKind.SMS,
        event=MONTHLY_REPORT,
        recipient_user=user,
        recipient=phone,
        payload={"text": messages.sms_text(title, absolute(page_path()))},
    )


def _phone(user) -> str:
    try:
        return user.person.phone or ""
    except Exception:
        return ""


def deliver_monthly_report(
    report: MonthlyReport, *, requester=None, failure_to_directors: bool = False, now=None
) -> dict[str, int]:
    """Tell people the report is there (see the table above); returns how many inbox and outbox
    messages were written. The directors are told once per month: delivered_at is claimed with a
    conditional UPDATE, in the same transaction as the messages. failure_to_directors: a failed
    report is announced in the directors' inboxes (the scheduler's run, which nobody watches)."""
    now = now or timezone.now()
    report.refresh_from_db()
    inbox: list[Notification] = []
    outbox: list[OutboxMessage] = []
    told: set[int] = set()
    with transaction.atomic():
        if report.is_ready and report.is_complete:
            claimed = MonthlyReport.objects.filter(
                pk=report.pk, status=ReportStatus.READY, delivered_at__isnull=True
            ).update(delivered_at=now)
            if claimed:
                report.delivered_at = now
                people = recipients()
                channels = [
                    c for c in ChannelConfig.objects.filter(enabled=True).order_by("pk") if c.wants(MONTHLY_REPORT)
                ]
                gateway = next((c for c in channels if c.kind == ChannelKind.SMS), None)
                texted: set[str] = set()
                for user in people:
                    inbox.append(_notification(report, user))
                    told.add(user.pk)
                    phone = _phone(user)
                    if gateway is not None and phone and phone not in texted:
                        texted.add(phone)
                        outbox.append(_sms(gateway, report, user, phone))
                outbox += [group_message(channel, report) for channel in channels if channel.kind != ChannelKind.SMS]
                record_change(
                    report,
                    AuditAction.UPDATE,
                    by=None,
                    changes={"delivered_at": [None, now.isoformat()]},
                    note=f"delivered to {len(people)} director(s) and {len(outbox)} channel message(s)",
                )
        elif report.status == ReportStatus.FAILED and failure_to_directors:
            for user in recipients():
                inbox.append(_notification(report, user))
                told.add(user.pk)
        if requester is not None and getattr(requester, "is_active", False) and requester.pk not in told:
            inbox.append(_notification(report, requester))
        Notification.objects.bulk_create(inbox)
        OutboxMessage.objects.bulk_create(outbox)
        if outbox:
            deliver_after_commit()
    return {"notifications": len(inbox), "outbox": len(outbox)}


__all__ = ["deliver_monthly_report", "group_message", "inbox_text", "recipients", "webhook_payload"]
