"""The monthly job (first of the month: last month's report, once) and the delivery to the
directors through the inbox and the hospital's channels; the demo's report."""

import datetime

import pytest
from django.urls import reverse

from houqin.core.scheduler import Scheduler, registered_jobs
from houqin.notifications.models import MONTHLY_REPORT, ChannelConfig, ChannelKind, Notification, OutboxMessage
from houqin.org.demo import demo_seeded
from houqin.reports import demo, services
from houqin.reports.delivery import deliver_monthly_report
from houqin.reports.models import MonthlyReport, ReportStatus
from houqin.reports.tests.conftest import at, local

FIRST_OF_DECEMBER = local(12, 1, 0, 2)


def monthly_job():
    return [job for job in registered_jobs() if job.name == "reports.monthly_report"]


def test_the_monthly_job_is_registered_as_monthly():
    (job,) = monthly_job()
    assert job.every == "monthly"


def test_the_scheduler_makes_last_months_report_once_per_month(month, english, cast):
    scheduler = Scheduler(jobs=monthly_job())
    with at(FIRST_OF_DECEMBER):
        assert scheduler.run_due() == ["reports.monthly_report"]
    report = MonthlyReport.objects.get()
    assert report.month == datetime.date(2026, 11, 1)
    assert report.status == ReportStatus.READY and report.is_complete
    assert report.requested_by is None
    first_files = (report.workbook.name, report.pdf.name)
    with at(FIRST_OF_DECEMBER + datetime.timedelta(hours=5)):
        assert Scheduler(jobs=monthly_job()).run_due() == []  # another scheduler, the same month
        assert services.generate_last_month() is None  # even when the job is run again by hand
    report.refresh_from_db()
    assert (report.workbook.name, report.pdf.name) == first_files
    assert Notification.objects.filter(user=cast.director, event=MONTHLY_REPORT).count() == 1
    with at(local(1, 1, 0, 2, year=2027)):
        assert scheduler.run_due() == ["reports.monthly_report"]
    assert list(MonthlyReport.objects.values_list("month", flat=True)) == [
        datetime.date(2026, 12, 1),
        datetime.date(2026, 11, 1),
    ]


def test_the_monthly_job_regenerates_a_report_made_before_the_month_ended(month, english):
    early = services.generate_monthly_report("2026-11", now=local(11, 20))
    assert not early.is_complete
    with at(FIRST_OF_DECEMBER):
        report = services.generate_last_month()
    assert report.pk == early.pk and report.is_complete and report.delivered_at == FIRST_OF_DECEMBER


def test_the_directors_get_the_report_in_their_inbox_and_through_the_channels(month, english, cast):
    sms = ChannelConfig.objects.create(
        kind=ChannelKind.SMS, name="短信网关", url="https://sms.example.com/send", events=[MONTHLY_REPORT]
    )
    mail = ChannelConfig.objects.create(
        kind=ChannelKind.EMAIL, name="院办邮箱", url="yuanban@example.com", events=[MONTHLY_REPORT]
    )
    ChannelConfig.objects.create(  # subscribed to other events only
        kind=ChannelKind.EMAIL, name="总务科", url="zongwu@example.com", events=["sla_breach"]
    )
    with at(FIRST_OF_DECEMBER):
        report = services.generate_last_month()
    note = Notification.objects.get(user=cast.director)
    assert note.title == "Monthly logistics report 2026-11 is ready"
    assert note.link == reverse("reports:download", args=["2026-11", "pdf"])
    assert not Notification.objects.exclude(user=cast.director).exists()  # inspectors read reports, not told
    messages = {message.channel_id: message for message in OutboxMessage.objects.all()}
    assert set(messages) == {sms.pk, mail.pk}
    assert messages[sms.pk].recipient == cast.director.person.phone
    assert messages[sms.pk].recipient_user == cast.director
    assert "/reports/" in messages[sms.pk].payload["text"]
    assert messages[mail.pk].payload["subject"] == "Monthly logistics report 2026-11"
    assert "http://127.0.0.1:8000/reports/2026-11/xlsx/" in messages[mail.pk].payload["body"]
    assert report.delivered_at == FIRST_OF_DECEMBER
    # Delivered once: asking again, or regenerating, tells the directors nothing new.
    assert deliver_monthly_report(report) == {"notifications": 0, "outbox": 0}
    assert Notification.objects.count() == 1


def test_a_report_asked_for_is_announced_to_whoever_asked(month, english, cast):
    report = services.generate_monthly_report("2026-11", by=cast.inspector, now=local(11, 20))
    counts = deliver_monthly_report(report, requester=cast.inspector)
    # The month so far: not delivered to the directors, only to the inspector who asked.
    assert counts == {"notifications": 1, "outbox": 0}
    assert Notification.objects.get().user == cast.inspector


def test_a_failed_scheduled_report_is_announced_to_the_directors(month, english, cast, monkeypatch):
    def broken(content):
        raise RuntimeError("the printer is on fire")

    monkeypatch.setattr(services, "build_workbook", broken)
    with at(FIRST_OF_DECEMBER):
        report = services.generate_last_month()
    assert report.status == ReportStatus.FAILED
    note = Notification.objects.get(user=cast.director)
    assert note.title == "Monthly logistics report 2026-11 could not be generated"
    assert "the printer is on fire" in note.body
    assert note.link == reverse("reports:list")
    assert report.delivered_at is None


def test_the_demo_has_last_months_report_after_seeding(month, english, cast):
    receivers = [key[0] for key, *_rest in demo_seeded.receivers]
    # The service desk's orders are loaded before the report is made from them.
    assert receivers.index("servicedesk.demo") < receivers.index("reports.demo")
    with at(local(12, 5)):
        demo.on_demo_seeded(sender=None)
        report = MonthlyReport.objects.get()
        assert report.month == datetime.date(2026, 11, 1) and report.status == ReportStatus.READY
        assert Notification.objects.filter(user=cast.director).count() == 1
        updated = report.last_updated
        demo.on_demo_seeded(sender=None)  # `make run` again: nothing to do
    report.refresh_from_db()
    assert report.last_updated == updated


@pytest.mark.parametrize("value", ["2026-11", "2026-11-01", datetime.date(2026, 11, 17)])
def test_a_month_is_its_first_day(value):
    assert services.month_start(value) == datetime.date(2026, 11, 1)
