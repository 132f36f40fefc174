"""The import, export and template pages: permissions, scope, files refused with a message."""

import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from houqin.core.models import SecurityEvent, SecurityEventKind
from houqin.org.models import Person, Trade
from houqin.org.tests.factories import PersonFactory, TeamFactory, TradeFactory
from houqin.org.tests.test_transfer_import import required_in_chinese
from houqin.org.transfer import ORG_TRANSFERS


def csv_rows(response) -> list[list[str]]:
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


# --- import page -------------------------------------------------------------------------------


def test_the_import_page_explains_the_file(cast, client_for):
    response = client_for(cast.system_admin).get(reverse("org:location_import"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert reverse("org:location_template") + "?format=xlsx" in page
    assert reverse("org:location_template") + "?format=csv" in page
    assert "A1-3F-312" in page  # the example of the code column


def test_the_import_page_needs_add_and_change_permissions(cast, client_for):
    assert client_for(cast.director).get(reverse("org:location_import")).status_code == 403
    assert client_for(cast.director).post(reverse("org:location_import"), {}).status_code == 403
    # An agent may add and change directory entries, nothing else.
    assert client_for(cast.agent).get(reverse("org:directoryentry_import")).status_code == 200
    assert client_for(cast.agent).get(reverse("org:person_import")).status_code == 403


def test_the_import_page_sends_anonymous_visitors_to_the_login(client):
    response = client.get(reverse("org:location_import"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_successful_import_shows_the_counts(cast, client_for):
    TradeFactory(code="ELEC", name="电工")
    upload = SimpleUploadedFile("trades.csv", "code,name\nELEC,电工\nPLUMB,水工\n".encode())
    response = client_for(cast.system_admin).post(reverse("org:trade_import"), {"file": upload})
    assert response.status_code == 200
    assert response.context["result"].created == 1
    assert response.context["result"].unchanged == 1
    assert 'class="alert alert-success"' in response.content.decode()


def test_the_errors_table_lists_row_column_and_message(cast, client_for):
    upload = SimpleUploadedFile("trades.csv", b"code,name\nELEC,\n")
    response = client_for(cast.system_admin).post(reverse("org:trade_import"), {"file": upload})
    page = response.content.decode()
    assert 'id="import-errors"' in page
    assert f'<td class="num">2</td><td>name</td><td>{required_in_chinese()}</td>' in page
    assert not Trade.objects.exists()


def test_htmx_gets_only_the_result(cast, client_for):
    upload = SimpleUploadedFile("trades.csv", b"code,name\nELEC,\n")
    response = client_for(cast.system_admin).post(
        reverse("org:trade_import"), {"file": upload}, headers={"HX-Request": "true"}
    )
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="import-result"')
    assert "<html" not in page


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("trades.pdf", b"%PDF-1.4 garbage"),
        ("trades.xlsx", b"\x00\x01garbage bytes that are no workbook\xff" * 10),
        ("trades.xlsx", b"PK\x03\x04" + b"\xff" * 500),
        ("trades.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500),
        ("trades.csv", b"\x00\x00\x00\x00binary"),
    ],
)
def test_a_file_that_cannot_be_read_gets_a_message_not_a_500(cast, client_for, name, content):
    response = client_for(cast.system_admin).post(
        reverse("org:trade_import"), {"file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 200
    result = response.context["result"]
    assert not result.ok
    assert result.errors[0].row is None
    assert result.errors[0].message in response.content.decode()


def test_no_file_chosen_is_a_form_error(cast, client_for):
    response = client_for(cast.system_admin).post(reverse("org:trade_import"), {})
    assert response.status_code == 200
    assert response.context["form"].errors["file"]


def test_an_oversized_upload_is_refused(cast, client_for, settings):
    settings.HOUQIN_MAX_UPLOAD_BYTES = 1000
    content = b"code,name\n" + b"T1,x\n" * 400
    response = client_for(cast.system_admin).post(
        reverse("org:trade_import"), {"file": SimpleUploadedFile("t.csv", content)}
    )
    assert response.status_code == 413
    assert "MB" in response.context["result"].errors[0].message
    assert not Trade.objects.exists()


def test_an_oversized_body_is_refused_unread(cast, client_for, settings):
    settings.HOUQIN_MAX_UPLOAD_BYTES = 10
    content = b"code,name\n" + b"T1,x\n" * 20_000
    response = client_for(cast.system_admin).post(
        reverse("org:trade_import"), {"file": SimpleUploadedFile("t.csv", content)}
    )
    assert response.status_code == 413
    assert not Trade.objects.exists()


def test_the_import_checks_the_csrf_token(cast, client):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(cast.system_admin, backend="django.contrib.auth.backends.ModelBackend")
    upload = SimpleUploadedFile("trades.csv", b"code,name\nELEC,x\n")
    assert csrf_client.post(reverse("org:trade_import"), {"file": upload}).status_code == 403
    assert not Trade.objects.exists()


# --- export ------------------------------------------------------------------------------------


def test_export_needs_the_export_permission(cast, client_for):
    assert client_for(cast.director).get(reverse("org:location_export")).status_code == 200
    assert client_for(cast.worker).get(reverse("org:location_export")).status_code == 403
    # The agent reads every list but may not take them away.
    assert client_for(cast.agent).get(reverse("org:location_export")).status_code == 403


def test_export_names_the_file_after_the_list_and_day(cast, client_for):
    response = client_for(cast.director).get(reverse("org:person_export"), {"format": "xlsx"})
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="people-2')
    assert disposition.endswith('.xlsx"')
    response = client_for(cast.director).get(reverse("org:person_export"), {"format": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].endswith('.csv"')


def test_export_refuses_an_unknown_format(cast, client_for):
    assert client_for(cast.director).get(reverse("org:person_export"), {"format": "pdf"}).status_code == 400


def test_a_contractor_manager_exports_only_its_own_companys_people(cast, client_for):
    PersonFactory(employee_no="C1", company=cast.contractor)
    PersonFactory(employee_no="L1", company=cast.other_contractor)
    rows = csv_rows(client_for(cast.contractor_manager).get(reverse("org:person_export"), {"format": "csv"}))
    numbers = {row[0] for row in rows[1:]}
    assert numbers == set(Person.objects.filter(company=cast.contractor).values_list("employee_no", flat=True))
    assert "C1" in numbers and "L1" not in numbers


def test_export_applies_the_list_filters_and_records_them(cast, client_for):
    PersonFactory(employee_no="C1", company=cast.contractor, on_duty=True)
    PersonFactory(employee_no="C2", company=cast.contractor, on_duty=False)
    response = client_for(cast.director).get(
        reverse("org:person_export"), {"format": "csv", "company": "CLEAN", "on_duty": "true"}
    )
    rows = csv_rows(response)
    assert [row[0] for row in rows[1:]] == ["C1"]
    event = SecurityEvent.objects.get(kind=SecurityEventKind.EXPORT)
    assert event.user == cast.director
    assert event.detail == {
        "model": "org.person",
        "format": "csv",
        "rows": 1,
        "filters": {"company": "CLEAN", "on_duty": "true"},
    }


def test_export_xlsx_holds_the_rows_under_a_bold_frozen_header(cast, client_for):
    TradeFactory(code="ELEC", name="电工")
    response = client_for(cast.director).get(reverse("org:trade_export"), {"format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.bold
    assert [c.value for c in sheet[2]][:2] == ["ELEC", "电工"]


def test_export_neutralises_formulas_in_names(cast, client_for):
    team = TeamFactory(code="T1", company=cast.hospital)
    for number, name in (
        ("F1", '=HYPERLINK("http://evil.example","x")'),
        ("F2", "@SUM(A1)"),
        ("F3", "+1"),
        ("F4", "-1"),
    ):
        PersonFactory(employee_no=number, name=name, company=cast.hospital, team=team)
    rows = csv_rows(client_for(cast.director).get(reverse("org:person_export"), {"format": "csv", "team": "T1"}))
    assert [row[1] for row in rows[1:]] == ['\'=HYPERLINK("http://evil.example","x")', "'@SUM(A1)", "'+1", "'-1"]
    response = client_for(cast.director).get(reverse("org:person_export"), {"format": "xlsx", "team": "T1"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [sheet.cell(row=r, column=2).value for r in range(2, 6)] == [row[1] for row in rows[1:]]
    assert all(sheet.cell(row=r, column=2).data_type == "s" for r in range(2, 6))


def test_export_queries_do_not_grow_with_the_list(cast, client_for, django_assert_max_num_queries):
    team = TeamFactory(code="T1", company=cast.hospital)
    trades = [TradeFactory(), TradeFactory()]
    for _ in range(40):
        PersonFactory(company=cast.hospital, team=team, department=cast.dept).trades.set(trades)
    client = client_for(cast.director)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("org:person_export"), {"format": "xlsx"})
    assert response.status_code == 200


# --- templates ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("transfer", ORG_TRANSFERS, ids=lambda t: t.spec.slug)
def test_templates_download_and_import_back_as_empty(cast, client_for, transfer, fmt):
    client = client_for(cast.system_admin)
    response = client.get(reverse(transfer.spec.url_name("template")), {"format": fmt})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(f'attachment; filename="{transfer.spec.api_path}-')
    response = client.post(
        reverse(transfer.spec.url_name("import")), {"file": SimpleUploadedFile(f"template.{fmt}", response.content)}
    )
    result = response.context["result"]
    assert result.ok, result.errors
    assert result.total == 0


def test_the_template_needs_the_view_permission(cast, client_for):
    assert client_for(cast.worker).get(reverse("org:location_template")).status_code == 200
    assert client_for(cast.worker).get(reverse("org:person_template")).status_code == 403
