"""The monthly reports page under /reports/: the months with their state and downloads, and
"generate now" (which hands the work to the task worker; the table refreshes itself with htmx
until no report is being generated)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from houqin.core.generic import bootstrap_form, render_page_or_fragment
from houqin.reports.downloads import file_response
from houqin.reports.forms import GenerateReportForm
from houqin.reports.models import MonthlyReport, ReportStatus
from houqin.reports.services import is_in_flight, month_start, request_monthly_report

VIEW = "reports.view_monthlyreport"
ADD = "reports.add_monthlyreport"
TABLE = "report-table"
# How often the page asks whether a report being generated is ready.
POLL_SECONDS = 3


def _page(request, form=None, *, status: int = 200):
    can_add = request.user.has_perm(ADD)
    if form is None and can_add:
        form = GenerateReportForm()
    reports = list(MonthlyReport.objects.select_related("requested_by"))
    context = {
        "title": _("Monthly reports"),
        "breadcrumbs": [{"label": _("Monthly reports"), "url": reverse("reports:list")}],
        "reports": reports,
        "form": bootstrap_form(form) if form is not None else None,
        "can_add": can_add,
        # A report pending for long lost its worker: the page stops asking (it may be generated again).
        "polling": any(is_in_flight(report) for report in reports),
        "poll_seconds": POLL_SECONDS,
        "table_id": TABLE,
    }
    response = render_page_or_fragment(
        request, "reports/report_list.html", context, fragment="reports/report_list.html#report-table", target=TABLE
    )
    response.status_code = status
    return response


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def report_list(request):
    return _page(request)


@login_required
@permission_required([VIEW, ADD], raise_exception=True)
@require_POST
def generate(request):
    form = GenerateReportForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        report, queued = request_monthly_report(form.cleaned_data["month"], by=request.user)
    except ValidationError as exc:
        for message in exc.message_dict.get("month", exc.messages):
            form.add_error("month", message)
        return _page(request, form, status=400)
    params = {"month": report.label}
    if report.status == ReportStatus.READY:
        messages.success(request, _("The report of %(month)s is ready.") % params)
    elif report.status == ReportStatus.FAILED:
        messages.error(request, _("The report of %(month)s could not be generated.") % params)
    elif queued:
        messages.success(
            request, _("The report of %(month)s is being generated; this page shows it when it is ready.") % params
        )
    else:
        messages.info(request, _("The report of %(month)s is already being generated.") % params)
    return redirect("reports:list")


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def download(request, month: str, kind: str):
    """The workbook or PDF of a ready report; 404 for a month without one."""
    try:
        first = month_start(month)
    except ValidationError:
        raise Http404 from None
    report = MonthlyReport.objects.filter(month=first).first()
    if report is None:
        raise Http404
    return file_response(report, kind, user=request.user)
