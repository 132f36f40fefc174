"""The monthly report as an Excel workbook (openpyxl): a summary of every KPI with last month's and
the change, the days with two charts, the teams, the workers, the breaches, the complaints and the
repeat-fault places. Text that a spreadsheet would run as a formula is neutralised."""

import datetime
import io
import math
import unicodedata
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from houqin.core.transfer import neutralise, sheet_title
from houqin.reports.content import ReportContent

FORMATS = {
    "count": "#,##0",
    "minutes": "#,##0.0",
    "rate": "0.0%",
    "rating": "0.00",
    "points": "#,##0.0",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
    "text": "@",
}
# The change of a rate is in percentage points; a sign shows which way it went.
CHANGE_FORMATS = {
    "count": "+#,##0;-#,##0;0",
    "minutes": "+#,##0.0;-#,##0.0;0.0",
    "rate": "+0.0%;-0.0%;0.0%",
    "rating": "+0.00;-0.00;0.00",
    "points": "+#,##0.0;-#,##0.0;0.0",
}
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="E9EEF5")
TITLE_FONT = Font(bold=True, size=14)
WRAP = Alignment(wrap_text=True, vertical="top")
MAX_WIDTH = 60
NUMBER_WIDTH = 13


@dataclass(frozen=True)
class Col:
    label: str
    kind: str = "text"
    width: float | None = None  # None: fitted to the header and the first rows
    wrap: bool = False


def cell_value(value):
    """What goes into a cell: text cleaned of characters Excel refuses and neutralised when it
    would start a formula; times in the hospital's zone (Excel has no time zones)."""
    if isinstance(value, str):
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value)) or None
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    return value


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


def write_table(sheet, columns: list[Col], rows, *, first_row: int = 1) -> int:
    """A header row and the rows below it, with number formats and column widths; returns the
    number of the last row written. Figure columns stay narrow and their headers wrap; text
    columns fit their header and the first rows."""
    widths = [_display_width(column.label) + 2 for column in columns]
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=first_row, column=index, value=cell_value(column.label))
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    row_number = first_row
    for row_number, values in enumerate(rows, start=first_row + 1):
        for index, (column, value) in enumerate(zip(columns, values, strict=True), start=1):
            cell = sheet.cell(row=row_number, column=index, value=cell_value(value))
            if column.kind != "text":
                cell.number_format = FORMATS[column.kind]
            if column.wrap:
                cell.alignment = WRAP
            if row_number < first_row + 200 and isinstance(value, str):
                widths[index - 1] = max(widths[index - 1], _display_width(value) + 2)
    lines = 1
    for index, column in enumerate(columns, start=1):
        if column.width:
            width = column.width
        elif column.kind in ("datetime", "date"):
            width = 17 if column.kind == "datetime" else 11
        elif column.kind != "text":
            width = NUMBER_WIDTH
        else:
            width = min(widths[index - 1], MAX_WIDTH)
        letter = get_column_letter(index)
        width = max(width, sheet.column_dimensions[letter].width or 0)
        sheet.column_dimensions[letter].width = width
        lines = max(lines, math.ceil(_display_width(column.label) / max(width - 1, 1)))
    if lines > 1:
        sheet.row_dimensions[first_row].height = 15 * lines
    return row_number


def _title(sheet, content: ReportContent, text: str) -> None:
    sheet["A1"] = cell_value(text)
    sheet["A1"].font = TITLE_FONT
    sheet["A2"] = cell_value(
        _("%(hospital)s · %(period)s · generated %(time)s")
        % {
            "hospital": content.hospital,
            "period": content.period_label(),
            "time": timezone.localtime(content.generated_at).strftime("%Y-%m-%d %H:%M"),
        }
    )


def _summary(workbook, content: ReportContent) -> None:
    sheet = workbook.active
    sheet.title = sheet_title(_("Summary"))
    _title(sheet, content, _("Monthly logistics report"))
    columns = [
        Col(_("KPI"), width=42),
        Col(_("This month (%(month)s)") % {"month": content.covered.label()}, width=18),
        Col(_("Last month (%(month)s)") % {"month": content.previous.label()}, width=18),
        Col(_("Change from last month"), width=14),
    ]
    header_row = 4
    last = write_table(sheet, columns, [], first_row=header_row)
    for last, row in enumerate(content.kpi_rows, start=header_row + 1):
        sheet.cell(row=last, column=1, value=cell_value(row.label))
        for column, value in ((2, row.this), (3, row.last)):
            cell = sheet.cell(row=last, column=column, value=value)
            cell.number_format = FORMATS[row.kind]
        change = sheet.cell(row=last, column=4, value=row.change)
        change.number_format = CHANGE_FORMATS[row.kind]
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=2)

    volume = content.kpis["volume"]
    last = write_table(
        sheet,
        [Col(_("Channel")), Col(_("Orders"), "count")],
        [(row["label"], row["count"]) for row in volume["by_channel"]],
        first_row=last + 2,
    )
    write_table(
        sheet,
        [Col(_("Category")), Col(_("Orders"), "count"), Col(_("Group"))],
        [(row["label"], row["count"], row["group"]) for row in volume["by_category"]],
        first_row=last + 2,
    )


def _daily(workbook, content: ReportContent) -> None:
    sheet = workbook.create_sheet(sheet_title(_("Daily")))
    columns = [
        Col(_("Date"), "date"),
        Col(_("Orders created"), "count"),
        Col(_("Orders completed"), "count"),
        Col(_("Response time, median (min)"), "minutes"),
        Col(_("Response time, 90th percentile (min)"), "minutes"),
        Col(_("Completion time, median (min)"), "minutes"),
        Col(_("Completion time, 90th percentile (min)"), "minutes"),
        Col(_("On-time rate"), "rate"),
        Col(_("Average rating (1–5)"), "rating"),
        Col(_("Satisfied share (rating 4 or 5)"), "rate"),
    ]
    rows = [
        (
            datetime.date.fromisoformat(day["date"]),
            day["volume"],
            day["completed"],
            day["response_time"]["median"],
            day["response_time"]["p90"],
            day["completion_time"]["median"],
            day["completion_time"]["p90"],
            day["on_time_rate"],
            day["satisfaction"],
            day["satisfied_share"],
        )
        for day in content.daily
    ]
    last = write_table(sheet, columns, rows)
    sheet.freeze_panes = "B2"
    if last < 2:
        return
    dates = Reference(sheet, min_col=1, min_row=2, max_row=last)

    bars = BarChart()
    bars.type = "col"
    bars.title = _("Orders per day")
    bars.y_axis.title = _("orders")
    bars.add_data(Reference(sheet, min_col=2, max_col=3, min_row=1, max_row=last), titles_from_data=True)
    bars.set_categories(dates)
    _axes(bars, "#,##0")
    bars.width, bars.height = 24, 8
    # Below the table, so that the sheet prints one page wide.
    sheet.add_chart(bars, f"A{last + 3}")

    lines = LineChart()
    lines.title = _("On-time rate and satisfied share")
    lines.add_data(Reference(sheet, min_col=8, min_row=1, max_row=last), titles_from_data=True)
    lines.add_data(Reference(sheet, min_col=10, min_row=1, max_row=last), titles_from_data=True)
    lines.set_categories(dates)
    lines.y_axis.scaling.min = 0
    lines.y_axis.scaling.max = 1
    _axes(lines, "0%")
    lines.width, lines.height = 24, 8
    sheet.add_chart(lines, f"A{last + 20}")


def _axes(chart, number_format: str) -> None:
    # openpyxl marks axes as deleted by default; recent Excel then draws none.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.x_axis.number_format = "d"
    chart.y_axis.number_format = number_format
    chart.legend.position = "b"


def _teams(workbook, content: ReportContent) -> None:
    sheet = workbook.create_sheet(sheet_title(_("Teams")))
    columns = [
        Col(_("Code")),
        Col(_("Team")),
        Col(_("Orders completed"), "count"),
        Col(_("On-time rate"), "rate"),
        Col(_("Follow-up coverage"), "rate"),
        Col(_("Average rating (1–5)"), "rating"),
        Col(_("Satisfied share (rating 4 or 5)"), "rate"),
        Col(_("Rework rate"), "rate"),
        Col(_("First-time fix rate"), "rate"),
        Col(_("Completion time, median (min)"), "minutes"),
        Col(_("Completion time, 90th percentile (min)"), "minutes"),
        Col(_("Workload points"), "points"),
        Col(_("Open at the month's end"), "count"),
        Col(_("Of which past a deadline"), "count"),
    ]
    rows = [
        (
            team["team"]["code"],
            team["team"]["name"],
            team["completed"]["count"],
            team["on_time"]["rate"],
            team["follow_up"]["rate"],
            team["satisfaction"]["average"],
            team["satisfaction"]["satisfied_share"],
            team["rework"]["rate"],
            team["first_time_fix"]["rate"],
            team["completion_time"]["median"],
            team["completion_time"]["p90"],
            team["workload_points"],
            team["backlog"]["open"],
            team["backlog"]["overdue"],
        )
        for team in content.teams
    ]
    write_table(sheet, columns, rows)
    sheet.freeze_panes = "C2"


def _workers(workbook, content: ReportContent) -> None:
    sheet = workbook.create_sheet(sheet_title(_("Workers")))
    columns = [
        Col(_("Employee number")),
        Col(_("Worker")),
        Col(_("Team")),
        Col(_("Company")),
        Col(_("Orders completed"), "count"),
        Col(_("Workload points"), "points"),
        Col(_("On-time rate"), "rate"),
        Col(_("Rework rate"), "rate"),
        Col(_("Follow-up coverage"), "rate"),
        Col(_("Average rating (1–5)"), "rating"),
        Col(_("Satisfied share (rating 4 or 5)"), "rate"),
        Col(_("Complaints"), "count"),
    ]
    rows = [
        (
            worker["worker"]["employee_no"],
            worker["worker"]["name"],
            worker["worker"]["team"] or "",
            worker["worker"]["company"] or "",
            worker["completed"]["count"],
            worker["workload_points"],
            worker["on_time"]["rate"],
            worker["rework"]["rate"],
            worker["follow_up"]["rate"],
            worker["satisfaction"]["average"],
            worker["satisfaction"]["satisfied_share"],
            worker["complaints"],
        )
        for worker in content.workers
    ]
    write_table(sheet, columns, rows)
    sheet.freeze_panes = "C2"


def _breaches(workbook, content: ReportContent) -> None:
    sheet = workbook.create_sheet(sheet_title(_("Breaches")))
    columns = [
        Col(_("Order number")),
        Col(_("Category")),
        Col(_("Location"), width=36),
        Col(_("Team")),
        Col(_("Worker")),
        Col(_("Created"), "datetime"),
        Col(_("Completed"), "datetime"),
        Col(_("Deadline missed")),
        Col(_("State")),
    ]
    late, still_open = _("completed late"), _("open past a deadline at the month's end")
    rows = (
        (
            breach.number,
            breach.category,
            breach.location,
            breach.team,
            breach.worker,
            breach.created,
            breach.completed if not breach.open_at_end else None,
            ", ".join(breach.missed),
            still_open if breach.open_at_end else late,
        )
        for breach in content.breaches
    )
    write_table(sheet, columns, rows)
    sheet.freeze_panes = "B2"
    _filter(sheet, len(columns), len(content.breaches))


def _filter(sheet, columns: int, rows: int) -> None:
    if rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(columns)}{rows + 1}"


def _complaints(workbook, content: ReportContent) -> None:
    sheet = workbook.create_sheet(sheet_title(_("Complaints")))
    columns = [
        Col(_("Order number")),
        Col(_("Created"), "datetime"),
        Col(_("Category")),
        Col(_("Location"), width=30),
        Col(_("Team")),
        Col(_("Status")),
        Col(_("Description"), width=50, wrap=True),
        Col(_("Answer"), width=50, wrap=True),
        Col(_("Answered"), "datetime"),
        Col(_("Time to answer (min)"), "minutes"),
    ]
    rows = (
        (
            complaint.number,
            complaint.created,
            complaint.category,
            complaint.location,
            complaint.team,
            complaint.status,
            complaint.description,
            complaint.answer,
            complaint.answered,
            complaint.answer_minutes,
        )
        for complaint in content.complaints
    )
    write_table(sheet, columns, rows)
    sheet.freeze_panes = "B2"
    _filter(sheet, len(columns), len(content.complaints))


def _repeat_places(workbook, content: ReportContent) -> None:
    sheet = workbook.create_sheet(sheet_title(_("Repeat faults")))
    columns = [Col(_("Location code")), Col(_("Location"), width=40), Col(_("Repeat faults"), "count")]
    rows = [(row["location"]["code"], row["location"]["name"], row["count"]) for row in content.repeat_places]
    write_table(sheet, columns, rows)
    sheet.freeze_panes = "A2"


def _print_setup(sheet) -> None:
    # Printed (or converted to PDF) landscape, every column on one page wide, the header on each page.
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    if sheet.freeze_panes and sheet[sheet.freeze_panes].row == 2:
        sheet.print_title_rows = "1:1"


def build_workbook(content: ReportContent) -> bytes:
    """The .xlsx file of the report."""
    workbook = Workbook()
    _summary(workbook, content)
    _daily(workbook, content)
    _teams(workbook, content)
    _workers(workbook, content)
    _breaches(workbook, content)
    _complaints(workbook, content)
    _repeat_places(workbook, content)
    for sheet in workbook.worksheets:
        _print_setup(sheet)
    workbook.properties.title = f"{_('Monthly logistics report')} {content.period.label()}"
    workbook.properties.creator = content.hospital[:200]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
