"""The monthly report as a PDF (reportlab, A4): a title block, the KPIs against last month, two
charts (orders per day; on-time rate and satisfied share), the teams, the best workers, the places
with repeat faults, the breaches and the complaints. Long lists stop after LIST_ROWS rows and point
to the workbook, which has them all.

Chinese text uses reportlab's built-in CID font STSong-Light: no font file is shipped or embedded;
PDF readers use their own Song typeface for it."""

import io
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from houqin.reports.content import KpiRow, ReportContent

FONT = "STSong-Light"
LIST_ROWS = 50
TOP_WORKERS = 10
TOP_PLACES = 10
WIDTH = A4[0] - 30 * mm
BLUE = colors.HexColor("#1f5fa8")
GREEN = colors.HexColor("#2e8b57")
ORANGE = colors.HexColor("#d9822b")
GRID = colors.HexColor("#c8d0da")
HEADER_BACKGROUND = colors.HexColor("#e9eef5")

_registered = False


def _register_font() -> None:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=13)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=10),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.5, leading=9.5),
        "number": ParagraphStyle("number", parent=base, fontSize=7.5, leading=9.5, alignment=TA_RIGHT),
        "muted": ParagraphStyle("muted", parent=base, fontSize=8, leading=11, textColor=colors.HexColor("#5a6570")),
        "hospital": ParagraphStyle("hospital", parent=base, fontSize=13, leading=18, textColor=BLUE),
        "title": ParagraphStyle("title", parent=base, fontSize=24, leading=32, spaceBefore=6, spaceAfter=4),
        "month": ParagraphStyle("month", parent=base, fontSize=15, leading=20, spaceAfter=6),
        "h2": ParagraphStyle(
            "h2", parent=base, fontSize=13, leading=18, spaceBefore=10, spaceAfter=5, textColor=BLUE, keepWithNext=1
        ),
    }


def _text(value) -> str:
    return escape("" if value is None else str(value))


# --- values as the report writes them --------------------------------------------------------------


def number(value, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "count":
        return f"{int(value):,}"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "rating":
        return f"{value:.2f}"
    return f"{value:,.1f}"


def change(row: KpiRow) -> str:
    value = row.change
    if value is None:
        return "–"
    if row.kind == "rate":
        return _("%(value)s pp") % {"value": f"{value * 100:+.1f}"}
    if row.kind == "count":
        return f"{int(value):+,}"
    if row.kind == "rating":
        return f"{value:+.2f}"
    return f"{value:+,.1f}"


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%m-%d %H:%M") if moment else ""


# --- building blocks -------------------------------------------------------------------------------


def _table(header: list[str], rows: list[list], widths: list[float], styles, numeric: set[int] = frozenset()):
    """A table with a header row repeated on every page; cells are wrapped paragraphs."""
    data = [[Paragraph(_text(label), styles["cell"]) for label in header]]
    for row in rows:
        data.append(
            [
                Paragraph(_text(value), styles["number"] if index in numeric else styles["cell"])
                for index, value in enumerate(row)
            ]
        )
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), HEADER_BACKGROUND),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, BLUE),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, GRID),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def _more(total: int, shown: int, styles) -> list:
    if total <= shown:
        return []
    return [
        Paragraph(
            _text(_("… and %(count)s more — see the Excel workbook.") % {"count": f"{total - shown:,}"}),
            styles["muted"],
        )
    ]


def _none(styles) -> Paragraph:
    return Paragraph(_text(_("None this month.")), styles["muted"])


def _day_labels(content: ReportContent) -> list[str]:
    # Every day has a bar; only the 1st, 5th, 10th… are labelled, so the labels stay legible.
    return [str(day) if day == 1 or day % 5 == 0 else "" for day in range(1, len(content.daily) + 1)]


def _chart_title(drawing: Drawing, text: str) -> None:
    drawing.add(String(0, drawing.height - 10, text, fontName=FONT, fontSize=9, fillColor=colors.black))


def volume_chart(content: ReportContent) -> Drawing:
    """Orders created and completed per day, as bars."""
    drawing = Drawing(WIDTH, 62 * mm)
    _chart_title(drawing, _("Orders per day"))
    chart = VerticalBarChart()
    chart.x, chart.y = 28, 28
    chart.width, chart.height = WIDTH - 40, 62 * mm - 52
    chart.data = [[day["volume"] for day in content.daily], [day["completed"] for day in content.daily]]
    chart.bars[0].fillColor = BLUE
    chart.bars[1].fillColor = GREEN
    chart.bars.strokeWidth = 0
    chart.barSpacing = 0.5
    chart.groupSpacing = 2
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.gridStrokeColor = GRID
    chart.valueAxis.visibleGrid = True
    chart.categoryAxis.categoryNames = _day_labels(content)
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.tickDown = 0
    drawing.add(chart)
    drawing.add(_legend([(BLUE, _("Orders created")), (GREEN, _("Orders completed"))], drawing))
    return drawing


def rates_chart(content: ReportContent) -> Drawing:
    """On-time rate and satisfied share per day, in percent, as lines (a day without completed or
    rated orders has no point)."""
    drawing = Drawing(WIDTH, 62 * mm)
    _chart_title(drawing, _("On-time rate and satisfied share (%)"))
    chart = HorizontalLineChart()
    chart.x, chart.y = 28, 28
    chart.width, chart.height = WIDTH - 40, 62 * mm - 52

    def percent(value):
        return None if value is None else round(value * 100, 1)

    chart.data = [
        [percent(day["on_time_rate"]) for day in content.daily],
        [percent(day["satisfied_share"]) for day in content.daily],
    ]
    chart.lines[0].strokeColor = BLUE
    chart.lines[1].strokeColor = ORANGE
    chart.lines.strokeWidth = 1.4
    # reportlab joins a series' points into one polyline, which needs two of them: a series with
    # fewer (a month with one day of completed orders, or none) shows its point as a dot only.
    chart.joinedLines = 0
    for index, series in enumerate(chart.data):
        chart.lines[index].lineStyle = "joinedLine" if sum(value is not None for value in series) >= 2 else None
        chart.lines[index].symbol = makeMarker("FilledCircle", size=2.5)
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = 100
    chart.valueAxis.valueStep = 20
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = GRID
    chart.categoryAxis.categoryNames = _day_labels(content)
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.tickDown = 0
    drawing.add(chart)
    drawing.add(_legend([(BLUE, _("On-time rate")), (ORANGE, _("Satisfied share (rating 4 or 5)"))], drawing))
    return drawing


def _legend(items, drawing: Drawing) -> Legend:
    legend = Legend()
    legend.alignment = "right"
    legend.fontName = FONT
    legend.fontSize = 8
    legend.columnMaximum = 1
    legend.deltax = 110
    legend.dx = legend.dy = 7
    legend.x = drawing.width - 250
    legend.y = drawing.height - 2
    legend.colorNamePairs = items
    return legend


# --- the sections ----------------------------------------------------------------------------------


def _title_block(content: ReportContent, styles) -> list:
    generated = timezone.localtime(content.generated_at).strftime("%Y-%m-%d %H:%M")
    flow = [
        Paragraph(_text(content.hospital), styles["hospital"]),
        Paragraph(_text(_("Monthly logistics report")), styles["title"]),
        Paragraph(_text(content.period_label()), styles["month"]),
        Paragraph(
            _text(
                _("Generated %(time)s. All the hospital's work orders; compared with %(previous)s.")
                % {"time": generated, "previous": content.previous.label()}
            ),
            styles["muted"],
        ),
    ]
    if not content.complete:
        flow.append(
            Paragraph(
                _text(_("The month is not over: the figures are those of the month so far.")),
                styles["muted"],
            )
        )
    return flow


def _kpi_section(content: ReportContent, styles) -> list:
    header = [
        _("KPI"),
        _("This month (%(month)s)") % {"month": content.covered.label()},
        _("Last month (%(month)s)") % {"month": content.previous.label()},
        _("Change from last month"),
    ]
    rows = [
        [row.label, number(row.this, row.kind), number(row.last, row.kind), change(row)] for row in content.kpi_rows
    ]
    return [
        Paragraph(_text(_("Key figures")), styles["h2"]),
        _table(header, rows, [WIDTH * 0.49, WIDTH * 0.17, WIDTH * 0.17, WIDTH * 0.17], styles, numeric={1, 2, 3}),
    ]


def _charts_section(content: ReportContent, styles) -> list:
    return [
        KeepTogether(
            [
                Paragraph(_text(_("Day by day")), styles["h2"]),
                volume_chart(content),
                Spacer(1, 4 * mm),
                rates_chart(content),
            ]
        )
    ]


def _teams_section(content: ReportContent, styles) -> list:
    header = [
        _("Team"),
        _("Orders completed"),
        _("On-time rate"),
        _("Average rating (1–5)"),
        _("Rework rate"),
        _("Workload points"),
        _("Open at the month's end"),
        _("Of which past a deadline"),
    ]
    rows = [
        [
            team["team"]["name"],
            number(team["completed"]["count"], "count"),
            number(team["on_time"]["rate"], "rate"),
            number(team["satisfaction"]["average"], "rating"),
            number(team["rework"]["rate"], "rate"),
            number(team["workload_points"], "points"),
            number(team["backlog"]["open"], "count"),
            number(team["backlog"]["overdue"], "count"),
        ]
        for team in content.teams
    ]
    widths = [WIDTH * 0.23] + [WIDTH * 0.11] * 7
    flow = [Paragraph(_text(_("Teams")), styles["h2"])]
    flow.append(_table(header, rows, widths, styles, numeric=set(range(1, 8))) if rows else _none(styles))
    return flow


def _workers_section(content: ReportContent, styles) -> list:
    header = [
        _("Worker"),
        _("Team"),
        _("Orders completed"),
        _("Workload points"),
        _("On-time rate"),
        _("Average rating (1–5)"),
        _("Complaints"),
    ]
    rows = [
        [
            worker["worker"]["name"],
            worker["worker"]["team"] or "",
            number(worker["completed"]["count"], "count"),
            number(worker["workload_points"], "points"),
            number(worker["on_time"]["rate"], "rate"),
            number(worker["satisfaction"]["average"], "rating"),
            number(worker["complaints"], "count"),
        ]
        for worker in content.workers[:TOP_WORKERS]
    ]
    widths = [WIDTH * 0.18, WIDTH * 0.22] + [WIDTH * 0.12] * 5
    flow = [
        Paragraph(_text(_("Most workload points: the first %(count)s workers") % {"count": TOP_WORKERS}), styles["h2"])
    ]
    flow.append(_table(header, rows, widths, styles, numeric=set(range(2, 7))) if rows else _none(styles))
    return flow


def _repeat_section(content: ReportContent, styles) -> list:
    rows = [
        [row["location"]["code"], row["location"]["name"], number(row["count"], "count")]
        for row in content.repeat_places[:TOP_PLACES]
    ]
    flow = [Paragraph(_text(_("Places with the most repeat faults")), styles["h2"])]
    if rows:
        header = [_("Location code"), _("Location"), _("Repeat faults")]
        flow.append(_table(header, rows, [WIDTH * 0.2, WIDTH * 0.64, WIDTH * 0.16], styles, numeric={2}))
    else:
        flow.append(_none(styles))
    return flow


def _breaches_section(content: ReportContent, styles) -> list:
    late, still_open = _("completed late"), _("open at the month's end")
    header = [
        _("Order number"),
        _("Category"),
        _("Location"),
        _("Team / worker"),
        _("Created"),
        _("Deadline missed"),
        _("State"),
    ]
    rows = [
        [
            breach.number,
            breach.category,
            Truncator(breach.location).chars(40),
            " / ".join(part for part in (breach.team, breach.worker) if part),
            _local(breach.created),
            ", ".join(breach.missed),
            still_open if breach.open_at_end else late,
        ]
        for breach in content.breaches[:LIST_ROWS]
    ]
    widths = [WIDTH * w for w in (0.15, 0.12, 0.22, 0.15, 0.1, 0.13, 0.13)]
    total = len(content.breaches)
    flow = [Paragraph(_text(_("Breaches (%(count)s)") % {"count": f"{total:,}"}), styles["h2"])]
    if rows:
        flow.append(_table(header, rows, widths, styles))
        flow += _more(total, len(rows), styles)
    else:
        flow.append(_none(styles))
    return flow


def _complaints_section(content: ReportContent, styles) -> list:
    header = [_("Order number"), _("Created"), _("Description"), _("Answer"), _("Time to answer (min)")]
    rows = [
        [
            complaint.number,
            _local(complaint.created),
            Truncator(complaint.description).chars(160),
            Truncator(complaint.answer).chars(160) if complaint.answer else _("not answered yet"),
            number(complaint.answer_minutes, "minutes"),
        ]
        for complaint in content.complaints[:LIST_ROWS]
    ]
    total = len(content.complaints)
    flow = [Paragraph(_text(_("Complaints (%(count)s)") % {"count": f"{total:,}"}), styles["h2"])]
    if rows:
        widths = [WIDTH * w for w in (0.15, 0.1, 0.33, 0.31, 0.11)]
        flow.append(_table(header, rows, widths, styles, numeric={4}))
        flow += _more(total, len(rows), styles)
    else:
        flow.append(_none(styles))
    return flow


def build_pdf(content: ReportContent) -> bytes:
    """The .pdf file of the report."""
    _register_font()
    styles = _styles()
    buffer = io.BytesIO()
    title = f"{_('Monthly logistics report')} {content.period.label()}"
    # STSong-Light has no middle dot (·): the footer's parts are set apart with spaces.
    footer = f"{content.hospital}    {title}"

    def decorate(canvas, doc):
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(colors.HexColor("#5a6570"))
        canvas.drawString(15 * mm, 9 * mm, footer)
        canvas.drawRightString(A4[0] - 15 * mm, 9 * mm, _("Page %(page)s") % {"page": doc.page})
        canvas.restoreState()

    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=16 * mm,
        title=title,
        author=content.hospital,
        subject=content.period_label(),
        creator="houqin",
    )
    story = [
        *_title_block(content, styles),
        *_kpi_section(content, styles),
        *_charts_section(content, styles),
        *_teams_section(content, styles),
        *_workers_section(content, styles),
        *_repeat_section(content, styles),
        *_breaches_section(content, styles),
        *_complaints_section(content, styles),
    ]
    document.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()
