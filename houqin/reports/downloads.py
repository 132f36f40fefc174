"""A stored report file as a download, for the page and the API alike: only through a view that
checked the reader's permission (the files are not under a public MEDIA_URL), with a Chinese file
name the browser keeps (RFC 6266/5987 `filename*`, plus a plain ASCII `filename` for old clients),
and an EXPORT security event for the auditor."""

import urllib.parse

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

from houqin.core.audit import record_security_event
from houqin.core.models import SecurityEventKind
from houqin.reports.models import MonthlyReport

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def filename(report: MonthlyReport, kind: str) -> str:
    """The download name in the reader's language, e.g. 后勤月报-2026-10.xlsx in Chinese."""
    return f"{_('Logistics report').replace(' ', '-')}-{report.label}.{kind}"


def content_disposition(name: str, fallback: str) -> str:
    quoted = urllib.parse.quote(name, safe="")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quoted}"


def file_response(report: MonthlyReport, kind: str, *, user) -> FileResponse:
    """The report's workbook ("xlsx") or PDF ("pdf"); 404 unless the report is ready with it."""
    if kind not in CONTENT_TYPES or not report.is_ready:
        raise Http404
    field = report.workbook if kind == "xlsx" else report.pdf
    try:
        handle = field.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    record_security_event(
        SecurityEventKind.EXPORT, user=user, detail={"list": "monthly_report", "month": report.label, "format": kind}
    )
    response = FileResponse(handle, content_type=CONTENT_TYPES[kind])
    response["Content-Disposition"] = content_disposition(
        filename(report, kind), f"houqin-report-{report.label}.{kind}"
    )
    response["Cache-Control"] = "private, no-store"
    return response
