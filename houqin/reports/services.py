"""Monthly reports: asking for one (the reports page, the API, `manage.py generate_report`, the
scheduler on the first of the month), generating its two files, and telling people it is there.

A report goes pending → ready, or failed with the error. Both files are built in memory and
written to storage before the report row points at them, in one transaction with its audit row;
a failure anywhere leaves the report failed (its earlier files, if any, untouched and not served)
and never ready with a missing or half-written file. Regenerating replaces the files: the old
ones are deleted once the new ones are committed."""

import contextlib
import datetime
import logging
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from houqin.core.audit import AuditAction, diff, record_change, snapshot
from houqin.insight.periods import Period
from houqin.reports.content import ReportContent, collect
from houqin.reports.models import MonthlyReport, ReportStatus, report_path
from houqin.reports.pdf import build_pdf
from houqin.reports.workbook import build_workbook

logger = logging.getLogger(__name__)

# A report still pending after this long lost its worker (stopped mid-way): it may be asked for again.
STALE_AFTER = datetime.timedelta(minutes=30)
MONTH_PATTERN = re.compile(r"^\s*(\d{4})-(\d{1,2})(?:-01)?\s*$")


# --- which month ---------------------------------------------------------------------------------


def month_start(value) -> datetime.date:
    """The first day of the month given as a date (any day of it) or as text "YYYY-MM" (or its
    first day, "YYYY-MM-01"). Raises ValidationError naming `month`."""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, datetime.date):
        return value.replace(day=1)
    match = MONTH_PATTERN.match(str(value or ""))
    if match:
        year, month = int(match.group(1)), int(match.group(2))
        if 2000 <= year <= 2999 and 1 <= month <= 12:
            return datetime.date(year, month, 1)
    raise ValidationError({"month": _("Enter a month as YYYY-MM.")})


def check_month(first: datetime.date, now: datetime.datetime | None = None) -> None:
    """Refuses a month that has not begun (this month is fine: its report shows it so far)."""
    this_month = timezone.localtime(now or timezone.now()).date().replace(day=1)
    if first > this_month:
        raise ValidationError(
            {
                "month": _("%(month)s has not begun yet: choose this month or an earlier one.")
                % {"month": f"{first:%Y-%m}"}
            }
        )


def last_month(now: datetime.datetime | None = None) -> datetime.date:
    """The first day of the month before the current one (local time)."""
    first = timezone.localtime(now or timezone.now()).date().replace(day=1)
    return (first - datetime.timedelta(days=1)).replace(day=1)


def is_in_flight(report: MonthlyReport | None, now: datetime.datetime | None = None) -> bool:
    """Pending and asked for recently: a worker is (or will be) generating it."""
    now = now or timezone.now()
    return report is not None and report.status == ReportStatus.PENDING and report.last_updated > now - STALE_AFTER


# --- the audit trail -----------------------------------------------------------------------------


def _snapshot(report: MonthlyReport) -> dict:
    # The files as their stored names (a FieldFile is not JSON).
    return {key: value.name if isinstance(value, FieldFile) else value for key, value in snapshot(report).items()}


def _locked(report_id: int) -> MonthlyReport:
    return MonthlyReport.objects.select_for_update().get(pk=report_id)


def _change(report_id: int, *, by, note: str, **fields) -> MonthlyReport:
    """Set fields on the report and write its audit row, in one transaction."""
    with transaction.atomic():
        report = _locked(report_id)
        before = _snapshot(report)
        for name, value in fields.items():
            setattr(report, name, value)
        report.save()
        record_change(report, AuditAction.UPDATE, by=by, changes=diff(before, _snapshot(report)), note=note)
    return report


def _pending(first: datetime.date, *, by) -> MonthlyReport:
    """The month's report, created or marked pending (unless it is pending already)."""
    with transaction.atomic():
        report = MonthlyReport.objects.select_for_update().filter(month=first).first()
        if report is None:
            try:
                # A savepoint: two first requests for the same month at once create one report.
                with transaction.atomic():
                    report = MonthlyReport.objects.create(month=first, status=ReportStatus.PENDING, requested_by=by)
            except IntegrityError:
                report = MonthlyReport.objects.select_for_update().get(month=first)
            else:
                record_change(
                    report, AuditAction.CREATE, by=by, changes=diff({}, _snapshot(report)), note="generation requested"
                )
                return report
        if report.status != ReportStatus.PENDING or report.requested_by_id != getattr(by, "pk", None):
            before = _snapshot(report)
            report.status = ReportStatus.PENDING
            report.error = ""
            report.requested_by = by if getattr(by, "pk", None) else None
            report.save()
            record_change(
                report, AuditAction.UPDATE, by=by, changes=diff(before, _snapshot(report)), note="generation requested"
            )
    return report


# --- asking for a report ---------------------------------------------------------------------------


def request_monthly_report(month, *, by, now: datetime.datetime | None = None) -> tuple[MonthlyReport, bool]:
    """Mark the month's report as being generated and hand the work to the task worker; returns
    (report, queued). queued is False when the report was asked for within STALE_AFTER and is
    still being generated: it is not queued twice. Raises ValidationError naming `month`."""
    from houqin.reports.tasks import generate_monthly_report_task

    first = month_start(month)
    check_month(first, now)
    existing = MonthlyReport.objects.filter(month=first).first()
    if is_in_flight(existing, now):
        return existing, False
    # The report and its task are stored together (the database task backend): no report is
    # left pending without a task to generate it.
    with transaction.atomic():
        report = _pending(first, by=by)
        generate_monthly_report_task.enqueue(first.isoformat(), getattr(by, "pk", None))
    report.refresh_from_db()
    return report, True


# --- generating it -------------------------------------------------------------------------------


def generate_monthly_report(month, by=None, *, now: datetime.datetime | None = None) -> MonthlyReport:
    """Compute the month's report over all the hospital's orders and store its workbook and PDF.

    Returns the report, ready or failed (with the error); raises ValidationError naming `month`
    only for a month that is not one or has not begun. Runs in the task worker (and in
    `manage.py generate_report`); a month takes a few seconds for ~25,000 orders."""
    first = month_start(month)
    check_month(first, now)
    report = _pending(first, by=by)
    try:
        # Stored once for everyone: written in the site's language, not the requester's.
        with translation.override(settings.LANGUAGE_CODE), _savepoint():
            content = collect(Period.month_of(first), now)
            workbook = build_workbook(content)
            pdf = build_pdf(content)
    except Exception as exc:
        logger.exception("the monthly report of %s could not be generated", f"{first:%Y-%m}")
        return _fail(report, exc, by)
    return _store(report, content, workbook, pdf, by)


def _savepoint():
    """Within a caller's transaction (seed_demo's), a savepoint, so that a failed query does not
    spoil it for _fail; otherwise nothing: the queries run outside any transaction, since on
    SQLite a transaction takes the write lock for the seconds the figures take."""
    if transaction.get_connection().in_atomic_block:
        return transaction.atomic()
    return contextlib.nullcontext()


def _store(report: MonthlyReport, content: ReportContent, workbook: bytes, pdf: bytes, by) -> MonthlyReport:
    storage = report.workbook.storage
    stem = f"houqin-report-{report.label}"
    written: list[str] = []
    try:
        written.append(storage.save(report_path(report, f"{stem}.xlsx"), ContentFile(workbook)))
        written.append(storage.save(report_path(report, f"{stem}.pdf"), ContentFile(pdf)))
        with transaction.atomic():
            stored = _locked(report.pk)
            before = _snapshot(stored)
            replaced = [name for name in (stored.workbook.name, stored.pdf.name) if name and name not in written]
            stored.workbook.name, stored.pdf.name = written
            stored.status = ReportStatus.READY
            stored.error = ""
            stored.generated_at = content.generated_at
            stored.save()
            record_change(stored, AuditAction.UPDATE, by=by, changes=diff(before, _snapshot(stored)), note="generated")
            transaction.on_commit(lambda: _delete(storage, replaced))
    except Exception as exc:
        logger.exception("the monthly report of %s could not be stored", report.label)
        _delete(storage, written)
        return _fail(report, exc, by)
    return stored


def _delete(storage, names: list[str]) -> None:
    for name in names:
        try:
            storage.delete(name)
        except Exception:
            logger.warning("could not delete the report file %s", name, exc_info=True)


def _fail(report: MonthlyReport, exc: Exception, by) -> MonthlyReport:
    message = f"{type(exc).__name__}: {exc}"[:2000]
    return _change(report.pk, by=by, note="generation failed", status=ReportStatus.FAILED, error=message)


# --- the scheduler's job -------------------------------------------------------------------------------


def generate_last_month(now: datetime.datetime | None = None) -> MonthlyReport | None:
    """The monthly job (on the first of the month): generate last month's report and deliver it.

    Idempotent: a report of last month that is ready and was generated after the month ended is
    left as it is, and one being generated is left to its worker; None then, else the report."""
    from houqin.reports.delivery import deliver_monthly_report

    now = now or timezone.now()
    month = last_month(now)
    existing = MonthlyReport.objects.filter(month=month).first()
    if existing is not None and existing.is_ready and existing.is_complete:
        # Normally delivered already; a no-op then.
        deliver_monthly_report(existing, now=now)
        return None
    if is_in_flight(existing, now):
        return None
    report = generate_monthly_report(month, by=None, now=now)
    deliver_monthly_report(report, failure_to_directors=True, now=now)
    return report


__all__ = [
    "check_month",
    "generate_last_month",
    "generate_monthly_report",
    "is_in_flight",
    "last_month",
    "month_start",
    "request_monthly_report",
]
