"""The import/export mechanism: reading files, cells, headers, limits and formula neutralisation.

Model-specific behaviour (every list's columns, scope, the pages) is tested in houqin/org/tests."""

import csv
import datetime
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from houqin.core.models import SecurityEvent, SecurityEventKind
from houqin.core.transfer import (
    ImportRefused,
    cell_text,
    import_file,
    neutralise,
    parse_bool,
    parse_date,
    read_table,
    template_response,
    unneutralise,
    write_csv,
    write_xlsx,
)
from houqin.org.models import Trade
from houqin.org.tests.factories import TradeFactory
from houqin.org.transfer import ORG_TRANSFERS, TRADE


def xlsx_bytes(rows) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, encoding="utf-8-sig", delimiter=",") -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode(encoding)


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


# --- cells -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x","y")', "@SUM(A1)", "+1", "-1", "\tx", "\rx", "'=x", "''+1"])
def test_neutralised_text_reads_back_as_it_was(text):
    written = neutralise(text)
    assert written.startswith("'")
    assert unneutralise(written) == text


@pytest.mark.parametrize("text", ["plain", "A-1", "1+1", "", "'quoted", "13800000000"])
def test_harmless_text_is_written_as_it_is(text):
    assert neutralise(text) == text
    assert unneutralise(text) == text


def test_cells_read_as_the_text_a_form_expects():
    assert cell_text(8001) == "8001"
    assert cell_text(8001.0) == "8001"
    assert cell_text(24.5) == "24.5"
    assert cell_text(Decimal("24.50")) == "24.50"
    assert cell_text(datetime.datetime(2024, 3, 5)) == "2024-03-05"
    assert cell_text(None) == ""
    assert cell_text("  A1 ") == "A1"
    assert cell_text("'-1") == "-1"


@pytest.mark.parametrize("value", ["是", "yes", "YES", "1", "true", "True", 1, True, "Y"])
def test_it_accepts_yes_in_either_language(value):
    assert parse_bool(value) is True


@pytest.mark.parametrize("value", ["否", "no", "0", "false", 0, False, "N"])
def test_it_accepts_no_in_either_language(value):
    assert parse_bool(value) is False


def test_it_does_not_guess_other_words_as_yes_or_no():
    assert parse_bool("maybe") is None


@pytest.mark.parametrize(
    "value",
    [
        "2024-03-05",
        "2024/3/5",
        "2024.03.05",
        "2024年3月5日",
        datetime.datetime(2024, 3, 5),
        datetime.date(2024, 3, 5),
        45356,
    ],
)
def test_it_reads_dates_as_excel_and_people_write_them(value):
    assert parse_date(value) == "2024-03-05"


def test_it_leaves_a_bad_date_for_the_form_to_refuse():
    assert parse_date("2024-02-30") == "2024-02-30"
    assert parse_date("soon") == "soon"


# --- reading -----------------------------------------------------------------------------------


def test_it_reads_the_first_sheet_of_a_workbook():
    table = read_table(xlsx_bytes([["Code", "Name"], ["ELEC", "电工"], [None, None], ["PLUMB", 12]]), "trades.xlsx")
    assert table.headers == ["Code", "Name"]
    assert table.rows == [(2, ["ELEC", "电工"]), (4, ["PLUMB", 12])]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030", "utf-16"])
def test_it_reads_csv_in_the_encodings_excel_saves(encoding):
    table = read_table(csv_bytes([["编码", "名称"], ["ELEC", "电工班"]], encoding=encoding), "trades.csv")
    assert table.headers == ["编码", "名称"]
    assert table.rows == [(2, ["ELEC", "电工班"])]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_it_finds_the_csv_separator(delimiter):
    table = read_table(csv_bytes([["code", "name"], ["ELEC", "a, b"]], delimiter=delimiter), "trades.csv")
    assert table.rows == [(2, ["ELEC", "a, b"])]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("trades.txt", b"code,name\n", "Only Excel workbooks"),
        ("trades.xls", b"\xd0\xcf\x11\xe0garbage", "cannot be read"),
        ("trades.xlsx", b"this is not a workbook at all", "not a readable Excel workbook"),
        ("trades.xlsx", b"PK\x03\x04" + b"\x00" * 200, "not a readable Excel workbook"),
        ("trades.csv", b"\x00\x01\x02\xff\xfe\x00garbage", "not a CSV text file"),
        ("trades.csv", b"", "empty"),
    ],
)
def test_it_refuses_unreadable_files_with_a_message(name, content, message):
    with translation.override("en"), pytest.raises(ImportRefused, match=message):
        read_table(content, name)


def test_it_refuses_a_zip_that_is_not_a_workbook():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with translation.override("en"), pytest.raises(ImportRefused, match="not a readable Excel workbook"):
        read_table(buffer.getvalue(), "trades.xlsx")


def test_it_refuses_a_workbook_that_would_unpack_too_large(settings):
    settings.HOUQIN_IMPORT_MAX_XLSX_UNPACKED_BYTES = 2 * 1024 * 1024
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<a/>" + b" " * (3 * 1024 * 1024))
    assert len(buffer.getvalue()) < 100_000  # a small upload …
    with translation.override("en"), pytest.raises(ImportRefused, match="too large once unpacked"):
        read_table(buffer.getvalue(), "bomb.xlsx")


def test_it_refuses_more_rows_than_allowed(settings):
    settings.HOUQIN_IMPORT_MAX_ROWS = 3
    rows = [["code", "name"]] + [[f"T{i}", f"t{i}"] for i in range(4)]
    with translation.override("en"), pytest.raises(ImportRefused, match="more than 3 rows"):
        read_table(csv_bytes(rows), "trades.csv")
    assert len(read_table(csv_bytes(rows[:4]), "trades.csv").rows) == 3


# --- importing (file level) --------------------------------------------------------------------


def test_it_refuses_an_oversized_file_before_reading_it(cast, settings):
    settings.HOUQIN_MAX_UPLOAD_BYTES = 100

    class Unreadable(io.BytesIO):
        def read(self, *args):
            raise AssertionError("read an oversized file")

    big = Unreadable(b"x" * 200)
    big.size = 200
    big.name = "trades.csv"
    with translation.override("en"):
        result = import_file(TRADE, big, user=cast.system_admin)
    assert not result.ok
    assert "larger than" in result.errors[0].message
    assert result.errors[0].row is None


def test_headers_may_be_chinese_english_or_field_names(cast):
    content = csv_bytes([["code", "Name", "有效"], ["ELEC", "电工", "是"]])
    result = import_file(TRADE, upload("trades.csv", content), user=cast.system_admin)
    assert result.ok, result.errors
    assert result.created == 1
    assert Trade.objects.get(code="ELEC").name == "电工"


def test_it_names_an_unknown_column(cast):
    content = csv_bytes([["code", "name", "colour"], ["ELEC", "电工", "red"]])
    with translation.override("en"):
        result = import_file(TRADE, upload("trades.csv", content), user=cast.system_admin)
    assert [(e.row, e.column) for e in result.errors] == [(1, "colour")]
    assert "Unknown column “colour”" in result.errors[0].message
    assert not Trade.objects.exists()


def test_it_names_a_missing_required_column(cast):
    content = csv_bytes([["code"], ["ELEC"]])
    with translation.override("en"):
        result = import_file(TRADE, upload("trades.csv", content), user=cast.system_admin)
    assert [(e.row, e.column) for e in result.errors] == [(1, "Name")]
    assert "required column" in result.errors[0].message


def test_it_refuses_a_column_given_twice(cast):
    content = csv_bytes([["code", "name", "Name"], ["ELEC", "a", "b"]])
    with translation.override("en"):
        result = import_file(TRADE, upload("trades.csv", content), user=cast.system_admin)
    assert [(e.row, e.column) for e in result.errors] == [(1, "Name")]


def test_it_refuses_a_value_under_no_header(cast):
    content = csv_bytes([["code", "name", ""], ["ELEC", "a", "stray"]])
    with translation.override("en"):
        result = import_file(TRADE, upload("trades.csv", content), user=cast.system_admin)
    assert result.errors[0].row == 2
    assert "Column C" in result.errors[0].message


def test_every_import_leaves_a_security_event(cast):
    import_file(TRADE, upload("工种.csv", csv_bytes([["code", "name"], ["ELEC", "电工"]])), user=cast.system_admin)
    import_file(TRADE, upload("bad.csv", csv_bytes([["code", "name"], ["", "电工"]])), user=cast.system_admin)
    events = list(SecurityEvent.objects.filter(kind=SecurityEventKind.IMPORT).order_by("id"))
    assert [e.detail["ok"] for e in events] == [True, False]
    assert events[0].detail == {
        "model": "org.trade",
        "file": "工种.csv",
        "ok": True,
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "errors": 0,
    }
    assert events[0].user == cast.system_admin


# --- writing -----------------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example","click")', "@SUM(1+1)", "+1", "-1"]


def test_export_neutralises_formulas_in_xlsx(cast):
    for i, name in enumerate(FORMULAS):
        TradeFactory(code=f"T{i}", name=name)
    content, count = write_xlsx(TRADE, Trade.objects.order_by("code"))
    assert count == len(FORMULAS)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    names = [sheet.cell(row=r, column=2) for r in range(2, 2 + len(FORMULAS))]
    assert [c.value for c in names] == ["'" + f for f in FORMULAS]
    assert all(c.data_type == "s" for c in names)


def test_export_neutralises_formulas_in_csv(cast):
    for i, name in enumerate(FORMULAS):
        TradeFactory(code=f"T{i}", name=name)
    content, _count = write_csv(TRADE, Trade.objects.order_by("code"))
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == ["'" + f for f in FORMULAS]


def test_neutralised_cells_import_back_unchanged(cast):
    for i, name in enumerate(FORMULAS):
        TradeFactory(code=f"T{i}", name=name)
    for writer, name in ((write_xlsx, "t.xlsx"), (write_csv, "t.csv")):
        content, _count = writer(TRADE, Trade.objects.order_by("code"))
        result = import_file(TRADE, upload(name, content), user=cast.system_admin)
        assert result.ok, result.errors
        assert result.unchanged == len(FORMULAS)
    assert sorted(Trade.objects.values_list("name", flat=True)) == sorted(FORMULAS)


def test_export_has_a_bold_frozen_header_and_column_widths(cast):
    content, _count = write_xlsx(TRADE, [])
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.bold
    assert sheet.column_dimensions["B"].width >= 12


@pytest.mark.parametrize("transfer", ORG_TRANSFERS, ids=lambda t: t.spec.slug)
def test_every_template_explains_its_columns(transfer):
    with translation.override("en"):
        response = template_response(transfer, fmt="xlsx")
        labels = [c.label for c in transfer.bound_columns]
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    data, instructions = workbook.worksheets
    assert instructions.title == "Instructions"
    headers = [cell.value for cell in data[1]]
    assert headers == labels
    assert data.max_row == 1
    described = [row[0] for row in instructions.iter_rows(values_only=True) if row and row[0] in headers]
    assert set(described) == set(headers)
