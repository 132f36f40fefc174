"""The Excel file for bonus allocation (二次分配), read back with openpyxl."""

import io

import openpyxl
from django.urls import reverse

from houqin.core.models import SecurityEvent, SecurityEventKind
from houqin.core.testing import convert_with_libreoffice, needs_libreoffice
from houqin.org.tests.factories import in_english
from houqin.performance.export import HEADER_ROW

EXPORT = reverse("performance:export")


def _download(client, **params):
    response = client.get(EXPORT, params)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    return openpyxl.load_workbook(io.BytesIO(response.content))


def _table(sheet) -> tuple[list, list[list]]:
    headers = [cell.value for cell in sheet[HEADER_ROW]]
    rows = [list(row) for row in sheet.iter_rows(min_row=HEADER_ROW + 1)]
    return headers, rows


def test_the_file_has_a_sheet_of_workers_and_one_of_teams_with_numbers(client_for, cast, world):
    book = _download(client_for(in_english(cast.director)))
    assert book.sheetnames == ["Workers", "Teams"]
    workers = book["Workers"]
    assert world.month in str(workers["B2"].value)
    assert "30" in workers["B3"].value and "20" in workers["B3"].value  # the weights used
    assert workers["A5"].value == "Generated"
    headers, rows = _table(workers)
    assert headers[:4] == ["Rank", "Rank in team", "Employee number", "Name"]
    assert headers[-3:] == ["Score", "Bonus share", "Amount"]
    assert [row[2].value for row in rows] == ["B1", "A1", "A2", "B2", "A3"]
    a1 = dict(zip(headers, rows[1], strict=True))
    assert a1["Rank"].value == 2
    assert a1["Score"].value == 79.43
    assert a1["Score"].number_format == "0.00"
    assert abs(a1["On-time rate"].value - 2 / 3) < 1e-9
    assert a1["On-time rate"].number_format == "0.0%"
    assert a1["Workload part"].value == 100.0
    assert a1["Complaints"].value == 1
    assert a1["Bonus share"].value is None and a1["Amount"].value is None
    a3 = dict(zip(headers, rows[4], strict=True))
    assert a3["Rank"].value is None and a3["Score"].value is None and a3["Completed orders"].value == 0
    teams_headers, team_rows = _table(book["Teams"])
    assert [row[2].value for row in team_rows] == ["SDWX", "BJ"]
    sdwx = dict(zip(teams_headers, team_rows[0], strict=True))
    assert sdwx["Score"].value == 82.07
    assert sdwx["Complaints per 100 completed"].value == 16.67


def test_text_that_a_spreadsheet_would_run_is_neutralised(client_for, cast, world):
    world.b1.name = '=HYPERLINK("http://evil","x")'
    world.b1.save()
    book = _download(client_for(cast.director))
    _headers, rows = _table(book.worksheets[0])
    cell = rows[0][3]
    assert cell.data_type == "s"
    assert cell.value == '\'=HYPERLINK("http://evil","x")'


def test_the_export_is_a_security_event_with_month_and_filters(client_for, cast, world):
    _download(client_for(cast.director), month=world.month, team="BJ")
    event = SecurityEvent.objects.get(kind=SecurityEventKind.EXPORT)
    assert event.user == cast.director
    assert event.detail == {
        "list": "performance",
        "format": "xlsx",
        "rows": 3,  # team BJ, B1, B2
        "month": world.month,
        "filters": {"team": "BJ"},
    }


def test_the_contractor_manager_exports_only_their_company(client_for, cast, world):
    book = _download(client_for(cast.contractor_manager))
    _headers, rows = _table(book.worksheets[0])
    assert [row[2].value for row in rows] == ["B1", "B2"]


def test_the_export_needs_the_export_right_and_valid_filters(client_for, cast, world):
    assert client_for(cast.worker).get(EXPORT).status_code == 403
    assert client_for(cast.agent).get(EXPORT).status_code == 403
    response = client_for(in_english(cast.director)).get(EXPORT, {"month": "soon"})
    assert response.status_code == 400
    assert "month" in response.content.decode().lower()
    assert not SecurityEvent.objects.filter(kind=SecurityEventKind.EXPORT).exists()


@needs_libreoffice
def test_libreoffice_opens_the_workbook(client_for, cast, world, tmp_path):
    # A real spreadsheet program opens the file the team leaders share the bonus with.
    response = client_for(in_english(cast.director)).get(EXPORT)
    assert response.status_code == 200
    assert convert_with_libreoffice(response.content, tmp_path, "performance.xlsx").startswith(b"%PDF")


def test_the_file_prints_landscape_one_page_wide_with_its_headings_on_every_page(client_for, cast, world):
    book = _download(client_for(in_english(cast.director)))
    for sheet in book.worksheets:
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"
        assert sheet.row_dimensions[HEADER_ROW].height >= 30
