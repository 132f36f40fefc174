"""The monthly reports in the REST API, under /api/v1/reports: the list, the two files of a month,
and asking for a month's report to be generated (answered 202: the task worker makes it; poll
GET /reports/{month} until its status is ready or failed).

Reading needs `reports.view_monthlyreport`; asking needs `reports.add_monthlyreport` too. A month
is written YYYY-MM; a malformed or future month answers 400 naming `month`."""

from typing import Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router

from houqin.core.api import InvalidInput, errors_for, idempotency_key_header, idempotent, register_router
from houqin.core.api.lists import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET
from houqin.reports import schemas
from houqin.reports.downloads import CONTENT_TYPES, file_response
from houqin.reports.models import MonthlyReport
from houqin.reports.services import month_start, request_monthly_report

VIEW = "reports.view_monthlyreport"
ADD = "reports.add_monthlyreport"

router = Router(tags=["reports"])

LIMIT = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"page size, 1–{MAX_LIMIT}")
OFFSET = Query(0, ge=0, le=MAX_OFFSET, description="how many to skip")


def _require(request, *perms: str) -> None:
    if not all(request.user.has_perm(perm) for perm in perms):
        raise PermissionDenied(_("You do not have permission to do this."))


def _month(value: str):
    try:
        return month_start(value)
    except ValidationError as exc:
        raise InvalidInput(exc.message_dict) from None


def _report(value: str) -> MonthlyReport:
    report = MonthlyReport.objects.select_related("requested_by").filter(month=_month(value)).first()
    if report is None:
        raise Http404
    return report


def report_out(report: MonthlyReport) -> dict:
    def link(kind: str):
        return reverse("api:get_report_file", kwargs={"month": report.label, "kind": kind}) if report.is_ready else None

    return {
        "id": report.pk,
        "month": report.label,
        "status": report.status,
        "status_label": str(report.get_status_display()),
        "complete": report.is_complete,
        "generated_at": report.generated_at,
        "requested_by": report.requested_by.username if report.requested_by else None,
        "error": report.error,
        "delivered_at": report.delivered_at,
        "links": {"xlsx": link("xlsx"), "pdf": link("pdf")},
        "created": report.created,
        "last_updated": report.last_updated,
    }


@router.get(
    "",
    response={200: schemas.ReportPageOut, **errors_for(401, 403)},
    operation_id="list_reports",
    url_name="list_reports",
    summary="The monthly reports, newest month first",
)
def list_reports(request, limit: int = LIMIT, offset: int = OFFSET):
    """Every month with a report: its status, when it was generated and the links to its files."""
    _require(request, VIEW)
    reports = MonthlyReport.objects.select_related("requested_by").order_by("-month")
    return {"count": reports.count(), "items": [report_out(report) for report in reports[offset : offset + limit]]}


@router.post(
    "",
    response={202: schemas.ReportOut, **errors_for(400, 401, 403, 409)},
    operation_id="request_report",
    url_name="request_report",
    summary="Generate a month's report (again)",
)
def request_report(request, payload: schemas.ReportRequestIn, idempotency_key: str | None = idempotency_key_header()):
    """Hands the month's report to the task worker and answers 202 with the report, pending (or
    already ready when the worker was quick). A report being generated is not queued twice; a
    ready one is generated again and its files replaced. A finished month's report is also sent
    to the directors the first time it is ready."""
    _require(request, VIEW, ADD)

    def create():
        first = _month(payload.month)
        try:
            report, _queued = request_monthly_report(first, by=request.user)
        except ValidationError as exc:
            raise InvalidInput(exc.message_dict) from None
        report = MonthlyReport.objects.select_related("requested_by").get(pk=report.pk)
        return 202, report_out(report)

    return idempotent(request, idempotency_key, create)


@router.get(
    "/{month}",
    response={200: schemas.ReportOut, **errors_for(400, 401, 403, 404)},
    operation_id="get_report",
    url_name="get_report",
    summary="One month's report",
)
def get_report(request, month: str):
    """`month` is YYYY-MM. 404 when no report of that month was asked for."""
    _require(request, VIEW)
    return report_out(_report(month))


FILE_RESPONSES = {
    200: {
        "description": "the file, as an attachment named after the month",
        "content": {
            content_type: {"schema": {"type": "string", "format": "binary"}} for content_type in CONTENT_TYPES.values()
        },
    }
}


@router.get(
    "/{month}/{kind}",
    response={**errors_for(400, 401, 403, 404)},
    operation_id="get_report_file",
    url_name="get_report_file",
    summary="Download a month's report: xlsx or pdf",
    openapi_extra={"responses": FILE_RESPONSES},
)
def get_report_file(request, month: str, kind: Literal["xlsx", "pdf"]):
    """`kind` is xlsx (the Excel workbook) or pdf. 404 when the month has no ready report."""
    _require(request, VIEW)
    return file_response(_report(month), kind, user=request.user)


register_router("reports", router)
