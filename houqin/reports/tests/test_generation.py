"""Generating a month's report: the workbook read back, the PDF, a real spreadsheet program opening
the workbook, and what a failure leaves behind."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from openpyxl import load_workbook

from houqin.core.models import AuditEntry
from houqin.core.testing import convert_with_libreoffice, needs_libreoffice
from houqin.insight import kpis
from houqin.reports import services
from houqin.reports.models import MonthlyReport, ReportStatus
from houqin.reports.tests.conftest import LATER, NOVEMBER, done, local, make_order
from houqin.servicedesk.models import Status, WorkOrder
from houqin.servicedesk.tests.factories import ServiceCategoryFactory

SHEETS = ["Summary", "Daily", "Teams", "Workers", "Breaches", "Complaints", "Repeat faults"]


def generate(month="2026-11", **kwargs):
    return services.generate_monthly_report(month, now=LATER, **kwargs)


def workbook_of(report: MonthlyReport):
    with report.workbook.open("rb") as handle:
        return load_workbook(io.BytesIO(handle.read()))


def rows_of(sheet) -> list[tuple]:
    return list(sheet.iter_rows(values_only=True))


def summary_row(sheet, label: str) -> tuple:
    return next(row for row in rows_of(sheet) if row[0] == label)


@pytest.fixture
def report(month, english):
    return generate(by=None)


def test_it_stores_a_ready_report_with_both_files(report):
    assert report.status == ReportStatus.READY
    assert report.error == ""
    assert report.generated_at == LATER
    assert report.is_complete
    assert report.workbook.name.startswith("reports/2026-11/") and report.workbook.name.endswith(".xlsx")
    assert report.pdf.name.endswith(".pdf")
    assert default_storage.exists(report.workbook.name) and default_storage.exists(report.pdf.name)
    notes = list(AuditEntry.objects.filter(object_id=str(report.pk)).values_list("note", flat=True))
    assert notes == ["generated", "generation requested"]


def test_the_workbook_has_every_sheet_and_the_kpis_of_the_month(report, month):
    book = workbook_of(report)
    assert book.sheetnames == SHEETS
    figures = kpis.summary(WorkOrder.objects.all(), NOVEMBER, now=LATER)
    summary = book["Summary"]
    label, this_month, last_month, change = summary_row(summary, "Orders created")[:4]
    assert this_month == figures["volume"]["count"] == 4
    assert last_month == 1  # the October order
    assert change == 3
    assert summary_row(summary, "On-time rate")[1] == pytest.approx(figures["on_time"]["rate"])
    assert summary["B5"].number_format == "#,##0"
    assert summary.freeze_panes == "B5"
    on_time_row = next(cells for cells in summary.iter_rows() if cells[0].value == "On-time rate")
    assert on_time_row[1].number_format == "0.0%"


def test_the_daily_sheet_has_a_row_per_day_and_two_charts(report):
    daily = workbook_of(report)["Daily"]
    rows = rows_of(daily)
    assert len(rows) == 1 + 30
    assert rows[3][1] == 1  # 3 November: one order created
    assert daily.freeze_panes == "B2"
    assert len(daily._charts) == 2


def test_the_breaches_are_the_late_orders_and_the_overdue_backlog(report, month):
    rows = rows_of(workbook_of(report)["Breaches"])
    assert rows[0][0] == "Order number"
    by_number = {row[0]: row for row in rows[1:]}
    assert set(by_number) == {month.late.number, month.still_open.number}
    assert by_number[month.late.number][7] == "completion"
    assert by_number[month.late.number][8] == "completed late"
    assert by_number[month.still_open.number][7] == "arrival, completion"
    assert by_number[month.still_open.number][5].date() == local(11, 29).date()


def test_it_neutralises_text_a_spreadsheet_would_run_as_a_formula(report, month):
    rows = rows_of(workbook_of(report)["Complaints"])
    complaint = next(row for row in rows if row[0] == month.answered.number)
    assert complaint[6] == "'" + month.answered.description
    assert complaint[7] == "'@已整改，+86 回访"
    assert complaint[9] == 1440.0  # answered when closed a day later


def test_the_teams_workers_and_repeat_faults_come_from_the_kpis(report, month):
    book = workbook_of(report)
    teams = rows_of(book["Teams"])
    assert teams[1][:3] == ("DG", "电工班", 2)
    workers = rows_of(book["Workers"])
    assert workers[1][:2] == ("H001", "王电工")
    repeats = rows_of(book["Repeat faults"])
    # 3, 10 and 29 November: each within 30 days of a repair in the same room (the first after 20 October's).
    assert repeats[1] == ("A1-101", month.room.full_name, 3)


def test_the_pdf_is_a_pdf(report):
    with report.pdf.open("rb") as handle:
        content = handle.read()
    assert content.startswith(b"%PDF")
    assert b"STSong-Light" in content


@needs_libreoffice
def test_libreoffice_opens_the_workbook(report, tmp_path):
    with report.workbook.open("rb") as handle:
        content = handle.read()
    assert convert_with_libreoffice(content, tmp_path, "report.xlsx").startswith(b"%PDF")


def test_regenerating_replaces_the_files(report, django_capture_on_commit_callbacks):
    old = [report.workbook.name, report.pdf.name]
    with django_capture_on_commit_callbacks(execute=True):
        again = generate(by=None)
    assert again.pk == report.pk and again.status == ReportStatus.READY
    assert [again.workbook.name, again.pdf.name] != old
    assert not any(default_storage.exists(name) for name in old)
    assert default_storage.exists(again.workbook.name)


def test_it_fails_with_the_error_and_no_file_when_a_builder_breaks(month, english, monkeypatch):
    def broken(content):
        raise RuntimeError("no paper left")

    monkeypatch.setattr(services, "build_pdf", broken)
    report = generate(by=None)
    assert report.status == ReportStatus.FAILED
    assert "no paper left" in report.error
    assert not report.workbook and not report.pdf
    assert report.generated_at is None
    assert AuditEntry.objects.filter(object_id=str(report.pk), note="generation failed").exists()


def test_a_failed_store_leaves_no_file_behind_and_the_old_report_unserved(report, monkeypatch):
    saved = []
    real_save = default_storage.save

    def save(name, content, *args, **kwargs):
        if name.endswith(".pdf"):
            raise OSError("disk full")
        stored = real_save(name, content, *args, **kwargs)
        saved.append(stored)
        return stored

    monkeypatch.setattr(default_storage, "save", save)
    old = [report.workbook.name, report.pdf.name]
    again = generate(by=None)
    assert again.status == ReportStatus.FAILED and "disk full" in again.error
    assert not again.is_ready
    assert saved and not default_storage.exists(saved[0])  # the new workbook was removed again
    assert [again.workbook.name, again.pdf.name] == old  # the earlier files are kept, not served


def test_it_refuses_a_month_that_is_not_one_or_has_not_begun(db):
    for value in ("2026-13", "November", "", "26-11"):
        with pytest.raises(ValidationError) as refused:
            services.generate_monthly_report(value, now=LATER)
        assert "month" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.generate_monthly_report("2027-01", now=LATER)
    assert refused.value.message_dict["month"] == ["2027-01 has not begun yet: choose this month or an earlier one."]
    assert not MonthlyReport.objects.exists()


def test_a_report_of_the_running_month_says_so(month, english):
    report = services.generate_monthly_report("2026-11", now=local(11, 20))
    assert report.status == ReportStatus.READY and not report.is_complete
    summary = workbook_of(report)["Summary"]
    assert "2026-11-01 to 2026-11-20 (month so far)" in summary["A2"].value


def test_a_report_of_the_running_month_compares_with_as_many_first_days_of_the_month_before(cast, english):
    """1–20 November against 1–20 October, not against the whole of October."""
    category = ServiceCategoryFactory()
    for day in (3, 19, 25):  # October: two orders in its first 20 days, one after
        make_order(f"WO2610{day:02d}-00001", category, local(10, day))
    make_order("WO261105-00001", category, local(11, 5))
    report = services.generate_monthly_report("2026-11", now=local(11, 20))
    summary = workbook_of(report)["Summary"]
    header = summary_row(summary, "KPI")
    assert header[1:3] == ("This month (2026-11-01 – 2026-11-20)", "Last month (2026-10-01 – 2026-10-20)")
    assert summary_row(summary, "Orders created")[1:3] == (1, 2)


def test_a_month_without_orders_still_has_a_report(db, english):
    report = services.generate_monthly_report("2026-02", now=LATER)
    assert report.status == ReportStatus.READY, report.error
    summary = workbook_of(report)["Summary"]
    assert summary_row(summary, "Orders created")[1:4] == (0, 0, 0)
    assert summary_row(summary, "On-time rate")[1:4] == (None, None, None)


def test_a_month_with_a_single_day_of_work_draws_its_charts(cast, english):
    make_order("WO260203-00001", ServiceCategoryFactory(), local(2, 3), status=Status.COMPLETED, **done(local(2, 3)))
    report = services.generate_monthly_report("2026-02", now=LATER)
    assert report.status == ReportStatus.READY, report.error
