"""The month's ranking as an Excel workbook for bonus allocation (二次分配): a sheet of teams and a
sheet of workers, each with the month, the weights used and the time it was made above the table,
every figure, part and score as a number with its format, and two empty columns ("bonus share",
"amount") that the manager fills in. Text a spreadsheet would run as a formula is neutralised."""

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from houqin.core.transfer import neutralise, sheet_title
from houqin.performance.months import month_label, month_value
from houqin.performance.scoring import PART_LABELS, PARTS, Ranking, Score

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The table starts below the heading lines (title, month, weights, filters, generated, blank).
HEADER_ROW = 7
# Points: three lines of a wrapped heading ("Most points among peers" in a narrow column).
HEADER_HEIGHT = 45

INTEGER = "0"
POINTS = "0.00"
RATE = "0.0%"
PART = "0.0"
SCORE = "0.00"
AMOUNT = "#,##0.00"


def filename(period) -> str:
    return "{}-{}.xlsx".format(_("performance"), month_value(period))


def _text(value) -> str | None:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value in (None, ""):
        return None
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def _plain(value) -> str:
    """30.00 → "30", 12.50 → "12.5"."""
    return f"{value.normalize():f}"


def _number(value):
    return None if value is None else float(value)


def _columns(kind: str) -> list[tuple[str, str | None, int]]:
    """(header, number format or None for text, width) of each column."""
    first = (
        [
            (_("Rank"), INTEGER, 6),
            (_("Rank in team"), INTEGER, 8),
            (_("Employee number"), None, 14),
            (pgettext("person", "Name"), None, 12),
        ]
        if kind == "worker"
        else [(_("Rank"), INTEGER, 6), (_("Rank in company"), INTEGER, 8), (_("Team code"), None, 10)]
    )
    return [
        *first,
        (_("Team"), None, 18),
        (_("Company"), None, 22),
        (_("Completed orders"), INTEGER, 10),
        (_("Workload points"), POINTS, 11),
        (_("Most points among peers"), POINTS, 11),
        (_("Workload part"), PART, 9),
        (_("On-time rate"), RATE, 9),
        (_("On-time part"), PART, 9),
        (_("Rework rate"), RATE, 9),
        (_("Rework part"), PART, 9),
        (_("Ratings"), INTEGER, 8),
        (_("Average rating"), POINTS, 9),
        (_("Satisfaction part"), PART, 10),
        (_("Complaints"), INTEGER, 9),
        *([(_("Complaints per 100 completed"), POINTS, 11)] if kind == "team" else []),
        (_("Complaints part"), PART, 10),
        (_("Score"), SCORE, 8),
        (_("Bonus share"), RATE, 11),
        (_("Amount"), AMOUNT, 12),
    ]


def _values(row: Score) -> list:
    first = (
        [row.rank, row.peer_rank, _text(row.code), _text(row.name), _text(row.team)]
        if row.kind == "worker"
        else [row.rank, row.peer_rank, _text(row.code), _text(row.name)]
    )
    scored = row.completed > 0
    return [
        *first,
        _text(row.company),
        row.completed,
        _number(row.points),
        _number(row.best_points),
        _number(row.parts["workload"]),
        row.on_time_rate,
        _number(row.parts["on_time"]),
        row.rework_rate,
        _number(row.parts["rework"]),
        row.rated if scored else None,
        _number(row.rating),
        _number(row.parts["satisfaction"]),
        row.complaints if scored else None,
        *([_number(row.complaint_units)] if row.kind == "team" else []),
        _number(row.parts["complaints"]),
        _number(row.score),
        None,  # bonus share: the manager's
        None,  # amount: the manager's
    ]


def _cell(sheet, value, *, font=None, fill=None, alignment=None, number_format=None):
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if alignment is not None:
        cell.alignment = alignment
    if number_format is not None:
        cell.number_format = number_format
    return cell


def _heading(sheet, ranking: Ranking, title: str, filters: dict, user) -> None:
    from openpyxl.styles import Font

    bold = Font(bold=True)
    weights = ranking.weights
    weight_text = " · ".join(f"{PART_LABELS[part]} {_plain(weights.weight(part))}" for part in PARTS)
    penalty = _("points off per complaint %(points)s") % {"points": _plain(weights.complaint_penalty)}
    filter_text = ", ".join(f"{name}={value}" for name, value in sorted(filters.items())) or _("none")
    generated = timezone.localtime(ranking.computed_at).strftime("%Y-%m-%d %H:%M")
    sheet.append([_cell(sheet, _text(title), font=Font(bold=True, size=14))])
    lines = [
        (_("Month"), month_label(ranking.period)),
        (_("Weights"), f"{weight_text}; {penalty}"),
        (_("Filters"), filter_text),
        (_("Generated"), _("%(time)s by %(user)s") % {"time": generated, "user": user.get_username()}),
    ]
    for label, value in lines:
        sheet.append([_cell(sheet, _text(label), font=bold), _text(value)])
    sheet.append([])


def _sheet(workbook, title: str, kind: str, rows: list[Score], ranking: Ranking, filters: dict, user) -> None:
    """Write-only (a workbook of thousands of people is streamed, not built cell by cell)."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(title=sheet_title(title))
    columns = _columns(kind)
    for index, (_header, _format, width) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(columns))}{HEADER_ROW + len(rows)}"
    # Printed for the bonus round: landscape A4, every column on one page wide, the headings on
    # every page, and a header row tall enough for its wrapped headings.
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = "9"  # A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.row_dimensions[HEADER_ROW].height = HEADER_HEIGHT
    _heading(sheet, ranking, f"{title} · {month_label(ranking.period)}", filters, user)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="E8F1EC")
    wrap = Alignment(wrap_text=True, vertical="top")
    sheet.append([_cell(sheet, _text(header), font=bold, fill=fill, alignment=wrap) for header, _f, _w in columns])
    formats = [number_format for _header, number_format, _width in columns]
    for row in rows:
        sheet.append(
            [
                value if number_format is None else _cell(sheet, value, number_format=number_format)
                for value, number_format in zip(_values(row), formats, strict=True)
            ]
        )


def workbook(ranking: Ranking, *, filters: dict, user) -> tuple[bytes, int]:
    """The .xlsx bytes and the number of rows (teams + workers) written."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    _sheet(book, _("Workers"), "worker", ranking.workers, ranking, filters, user)
    _sheet(book, _("Teams"), "team", ranking.teams, ranking, filters, user)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), len(ranking.teams) + len(ranking.workers)
