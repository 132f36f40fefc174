"""Importing master data: upsert by code, all-or-nothing, errors by row and column, scope."""

import csv
import datetime
import io

import openpyxl
import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.text import capfirst

from houqin.core.models import AuditEntry
from houqin.core.transfer import import_file
from houqin.org.models import (
    Certificate,
    DirectoryEntry,
    EmploymentType,
    Location,
    LocationKind,
    Person,
    Site,
    Trade,
)
from houqin.org.tests.factories import (
    CertificateFactory,
    LocationFactory,
    PersonFactory,
    TeamFactory,
    TradeFactory,
)
from houqin.org.transfer import CERTIFICATE, DIRECTORY_ENTRY, LOCATION, PERSON, SITE, TEAM, TRADE


def csv_file(rows, name="list.csv", encoding="utf-8-sig") -> SimpleUploadedFile:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode(encoding))


def xlsx_file(rows, name="list.xlsx") -> SimpleUploadedFile:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def run(transfer, rows, user, **kwargs):
    return import_file(transfer, csv_file(rows, **kwargs), user=user)


def errors_of(result):
    return [(e.row, e.column, e.message) for e in result.errors]


def required_in_chinese() -> str:
    """A form's "This field is required." in Chinese, from whichever catalogue translates it."""
    with translation.override("zh-hans"):
        message = str(forms.Field.default_error_messages["required"])
    assert message != "This field is required."
    return message


def test_it_creates_and_updates_by_code_with_an_audit_row_each(cast):
    TradeFactory(code="ELEC", name="电工")
    TradeFactory(code="PLUMB", name="水工")
    rows = [["code", "name", "description"], ["ELEC", "电工", "低压电工"], ["PLUMB", "水工", ""], ["HVAC", "暖通", ""]]

    result = run(TRADE, rows, cast.system_admin)

    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    assert Trade.objects.get(code="ELEC").description == "低压电工"
    entries = AuditEntry.objects.filter(content_type__model="trade").order_by("id")
    assert [(e.object_repr, e.action, e.note) for e in entries] == [
        ("电工", "update", "import"),
        ("暖通", "create", "import"),
    ]
    assert entries[0].changes == {"description": ["", "低压电工"]}
    assert entries[0].actor == cast.system_admin


def test_an_unchanged_row_is_not_saved_again(cast):
    trade = TradeFactory(code="ELEC", name="电工")
    stamp = trade.last_updated
    result = run(TRADE, [["code", "name"], ["ELEC", "电工"]], cast.system_admin)
    assert result.unchanged == 1
    trade.refresh_from_db()
    assert trade.last_updated == stamp


def chinese_headers(transfer, *names):
    with translation.override("zh-hans"):
        labels = {c.name: c.label for c in transfer.bound_columns}
    return [labels[name] for name in names]


def test_one_bad_row_keeps_the_whole_file_out_and_names_row_column_and_message(cast):
    header = chinese_headers(TRADE, "code", "name")
    rows = [header, ["ELEC", "电工"], ["PLUMB", ""], ["HVAC", "暖通"]]
    result = run(TRADE, rows, cast.system_admin)
    assert not result.ok
    assert (result.created, result.updated) == (0, 0)
    assert errors_of(result) == [(3, header[1], "This field is required.")]
    assert not Trade.objects.exists()
    assert not AuditEntry.objects.filter(content_type__model="trade").exists()


def test_errors_are_in_english_for_a_user_who_chose_english(cast, client_for):
    cast.system_admin.language = "en"
    cast.system_admin.save()
    response = client_for(cast.system_admin).post(
        reverse("org:trade_import"), {"file": csv_file([["code", "name"], ["ELEC", ""]])}
    )
    result = response.context["result"]
    assert errors_of(result) == [(2, "name", "This field is required.")]
    assert "This field is required." in response.content.decode()


def test_errors_are_in_chinese_by_default(cast, client_for):
    response = client_for(cast.system_admin).post(
        reverse("org:trade_import"), {"file": csv_file([["code", "name"], ["ELEC", ""]])}
    )
    assert required_in_chinese() in response.content.decode()


def test_a_parent_may_be_a_row_above(cast):
    rows = [
        ["code", "name", "kind", "parent", "site"],
        ["B", "住院部", "campus", "", "MAIN"],
        ["B1", "住院楼", "building", "B", ""],
        ["B1-2F", "2楼", "floor", "B1", ""],
    ]
    result = run(LOCATION, rows, cast.system_admin)
    assert result.ok, result.errors
    floor = Location.objects.get(code="B1-2F")
    assert floor.full_name == "住院部 / 住院楼 / 2楼"
    assert floor.site == cast.site  # the parent's site when none is given


def test_a_parent_below_its_child_is_an_error(cast):
    rows = [
        ["code", "name", "kind", "parent", "site"],
        ["B1", "住院楼", "building", "B", "MAIN"],
        ["B", "住院部", "campus", "", "MAIN"],
    ]
    with translation.override("en"):
        result = run(LOCATION, rows, cast.system_admin)
    assert errors_of(result) == [(2, "parent", "No location with code “B”.")]
    assert not Location.objects.exists()


def test_location_rules_of_the_model_apply(cast):
    LocationFactory(code="A1", name="门诊楼", kind=LocationKind.BUILDING, site=cast.site)
    rows = [["code", "name", "kind", "parent"], ["A1-B1", "床1", "bed", "A1"]]
    with translation.override("en"):
        result = run(LOCATION, rows, cast.system_admin)
    assert errors_of(result) == [(2, "kind", "A bed cannot be placed under a building.")]


def test_a_code_twice_in_one_file_is_an_error_on_the_later_row(cast):
    rows = [["code", "name"], ["ELEC", "电工"], ["PLUMB", "水工"], ["ELEC", "电工二"]]
    with translation.override("en"):
        result = run(TRADE, rows, cast.system_admin)
    assert errors_of(result) == [(4, "code", "“ELEC” already appears in row 2 of this file.")]
    assert not Trade.objects.exists()


def test_it_reads_csv_saved_by_chinese_excel_in_gb18030(cast, client_for):
    header = chinese_headers(TRADE, "code", "name", "is_active")
    upload = csv_file([header, ["ELEC", "电工", "是"], ["PLUMB", "水工", "否"]], encoding="gb18030")
    response = client_for(cast.system_admin).post(reverse("org:trade_import"), {"file": upload})
    result = response.context["result"]
    assert result.ok, result.errors
    assert dict(Trade.objects.values_list("code", "is_active")) == {"ELEC": True, "PLUMB": False}


def test_an_empty_cell_clears_the_field_and_a_missing_column_keeps_it(cast):
    site = Site.objects.create(code="EAST", name="东院", short_name="东", address="东大街1号", beds=500)
    result = run(SITE, [["code", "name", "short_name", "beds"], ["EAST", "东院", "", ""]], cast.system_admin)
    assert result.ok, result.errors
    site.refresh_from_db()
    assert site.short_name == ""
    assert site.beds == 0  # the field's default
    assert site.address == "东大街1号"  # no address column: left as it was


def test_an_empty_yes_no_cell_takes_the_default(cast):
    result = run(
        TRADE, [["code", "name", "active", "requires_certificate"], ["ELEC", "电工", "", ""]], cast.system_admin
    )
    assert result.ok, result.errors
    trade = Trade.objects.get()
    assert (trade.is_active, trade.requires_certificate) == (True, False)


def test_it_refuses_a_word_that_is_not_yes_or_no(cast):
    with translation.override("en"):
        result = run(TRADE, [["code", "name", "active"], ["ELEC", "电工", "maybe"]], cast.system_admin)
    assert errors_of(result) == [(2, "active", "Enter Yes or No (also yes/no, 1/0, true/false).")]


def test_choices_are_taken_by_value_or_label(cast):
    rows = [
        ["employee_no", "name", "company", "employment type", "gender"],
        ["E1", "张三", "HOSP", "permanent", "M"],
        ["E2", "李四", "HOSP", "Agency staff", "female"],
    ]
    result = run(PERSON, rows, cast.system_admin)
    assert result.ok, result.errors
    assert dict(Person.objects.filter(employee_no__in=["E1", "E2"]).values_list("employee_no", "employment_type")) == {
        "E1": EmploymentType.PERMANENT,
        "E2": EmploymentType.DISPATCHED,
    }


def test_an_unknown_choice_gets_the_forms_message(cast):
    with translation.override("en"):
        result = run(
            PERSON,
            [["employee_no", "name", "company", "employment_type"], ["E1", "张三", "HOSP", "boss"]],
            cast.system_admin,
        )
    assert errors_of(result) == [
        (2, "employment_type", "Select a valid choice. boss is not one of the available choices.")
    ]


def test_references_are_by_code_never_by_id(cast):
    person = PersonFactory(employee_no="X1", company=cast.hospital)
    with translation.override("en"):
        result = run(
            DIRECTORY_ENTRY, [["number", "label", "person"], ["8001", "护士站", str(person.pk)]], cast.system_admin
        )
    assert errors_of(result) == [(2, "person", f"No person with code “{person.pk}”.")]
    result = run(DIRECTORY_ENTRY, [["number", "label", "person"], ["8001", "护士站", "X1"]], cast.system_admin)
    assert result.ok
    assert DirectoryEntry.objects.get().person == person


def test_people_with_trades_team_and_dates(cast):
    TradeFactory(code="ELEC")
    TradeFactory(code="PLUMB")
    team = TeamFactory(code="ELEC-1", company=cast.hospital)
    rows = [
        ["员工编码", "name", "company", "department", "team", "trades", "employment_type", "hired_on", "on_duty"],
        ["E1", "张三", "HOSP", "XNK", "ELEC-1", "ELEC，PLUMB", "permanent", datetime.date(2020, 5, 1), "是"],
    ]
    # "员工编码" is no header of ours: refused with its name, and the required column is missing.
    result = import_file(PERSON, xlsx_file(rows), user=cast.system_admin)
    employee_no = str(capfirst(Person._meta.get_field("employee_no").verbose_name))
    assert [(e.row, e.column) for e in result.errors] == [(1, "员工编码"), (1, employee_no)]
    rows[0][0] = "employee_no"
    result = import_file(PERSON, xlsx_file(rows), user=cast.system_admin)
    assert result.ok, result.errors
    person = Person.objects.get(employee_no="E1")
    assert person.team == team
    assert person.department == cast.dept
    assert set(person.trades.values_list("code", flat=True)) == {"ELEC", "PLUMB"}
    assert person.hired_on == datetime.date(2020, 5, 1)
    assert person.on_duty is True


def test_a_team_member_of_another_company_is_refused(cast):
    TeamFactory(code="LIFT-1", company=cast.other_contractor)
    with translation.override("en"):
        result = run(
            PERSON,
            [
                ["employee_no", "name", "company", "team", "employment_type"],
                ["E1", "张三", "HOSP", "LIFT-1", "permanent"],
            ],
            cast.system_admin,
        )
    assert errors_of(result) == [(2, "team", "The team belongs to another company.")]


def test_team_leader_by_employee_number_must_be_a_member(cast):
    team = TeamFactory(code="ELEC-1", company=cast.hospital)
    PersonFactory(employee_no="E1", company=cast.hospital, team=team)
    PersonFactory(employee_no="E2", company=cast.hospital, team=TeamFactory(code="ELEC-2", company=cast.hospital))
    TradeFactory(code="ELEC")
    ok = run(
        TEAM,
        [["code", "name", "company", "trades", "leader"], ["ELEC-1", "电工班", "HOSP", "ELEC", "E1"]],
        cast.system_admin,
    )
    assert ok.ok, ok.errors
    team.refresh_from_db()
    assert team.leader.employee_no == "E1"
    assert list(team.trades.values_list("code", flat=True)) == ["ELEC"]
    with translation.override("en"):
        bad = run(TEAM, [["code", "name", "company", "leader"], ["ELEC-1", "电工班", "HOSP", "E2"]], cast.system_admin)
    assert errors_of(bad) == [(2, "leader", "The leader must be a member of this team.")]


def test_certificates_are_found_by_holder_name_and_number(cast):
    holder = PersonFactory(employee_no="E1", company=cast.hospital)
    existing = CertificateFactory(person=holder, name="电工证", number="T1", issuer="")
    rows = [
        ["person", "person name", "certificate", "number", "issued by", "expires_on"],
        ["E1", "ignored on import", "电工证", "T1", "应急管理局", "2028-04-30"],
        ["E1", "", "电工证", "T2", "", ""],
        ["E1", "", "健康证", "", "", "2026/12/31"],
    ]
    result = run(CERTIFICATE, rows, cast.system_admin)
    assert (result.created, result.updated) == (2, 1), result.errors
    existing.refresh_from_db()
    assert existing.issuer == "应急管理局"
    assert existing.expires_on == datetime.date(2028, 4, 30)
    assert Certificate.objects.filter(person=holder).count() == 3
    # The same file again: nothing to do.
    assert run(CERTIFICATE, rows, cast.system_admin).unchanged == 3


def test_a_certificate_key_twice_in_one_file_is_an_error(cast):
    PersonFactory(employee_no="E1", company=cast.hospital)
    rows = [["person", "certificate", "number"], ["E1", "电工证", "T1"], ["E1", "电工证", "T1"]]
    with translation.override("en"):
        result = run(CERTIFICATE, rows, cast.system_admin)
    assert errors_of(result) == [(3, "person", "“E1 / 电工证 / T1” already appears in row 2 of this file.")]


def test_certificate_dates_are_checked_by_the_model(cast):
    PersonFactory(employee_no="E1", company=cast.hospital)
    rows = [
        ["person", "certificate", "number", "issued_on", "expires_on"],
        ["E1", "电工证", "T1", "2024-01-01", "2023-01-01"],
    ]
    with translation.override("en"):
        result = run(CERTIFICATE, rows, cast.system_admin)
    assert errors_of(result) == [(2, "", "The expiry date must not be before the issue date.")]


# --- scope -------------------------------------------------------------------------------------

PEOPLE_HEADER = ["employee_no", "name", "company", "employment_type"]


def test_a_contractor_manager_imports_people_of_its_own_company(cast):
    result = run(PERSON, [PEOPLE_HEADER, ["C1", "王五", "CLEAN", "outsourced"]], cast.contractor_manager)
    assert result.ok, result.errors
    assert Person.objects.get(employee_no="C1").company == cast.contractor


def test_a_contractor_manager_cannot_import_people_into_another_company(cast):
    with translation.override("en"):
        result = run(PERSON, [PEOPLE_HEADER, ["C1", "王五", "LIFT", "outsourced"]], cast.contractor_manager)
    assert errors_of(result) == [(2, "company", "No company with code “LIFT”.")]
    assert not Person.objects.filter(employee_no="C1").exists()


def test_a_contractor_manager_cannot_change_another_companys_person_nor_learn_whose_it_is(cast):
    other = PersonFactory(employee_no="L1", name="赵六", company=cast.other_contractor)
    with translation.override("en"):
        result = run(PERSON, [PEOPLE_HEADER, ["L1", "王五", "CLEAN", "outsourced"]], cast.contractor_manager)
    assert errors_of(result) == [
        (2, "employee_no", "You have no permission for code “L1”: it cannot be created or changed by you.")
    ]
    other.refresh_from_db()
    assert (other.name, other.company) == ("赵六", cast.other_contractor)
    message = result.errors[0].message
    assert "赵六" not in message and "LIFT" not in message


def test_a_contractor_manager_cannot_add_certificates_to_another_companys_people(cast):
    PersonFactory(employee_no="L1", company=cast.other_contractor)
    with translation.override("en"):
        result = run(CERTIFICATE, [["person", "certificate", "number"], ["L1", "电梯证", "X"]], cast.contractor_manager)
    assert errors_of(result) == [(2, "person", "No person with code “L1”.")]
    assert not Certificate.objects.exists()


def test_team_references_stay_in_the_users_scope(cast):
    TeamFactory(code="LIFT-1", company=cast.other_contractor)
    with translation.override("en"):
        result = run(
            PERSON, [[*PEOPLE_HEADER, "team"], ["C1", "王五", "CLEAN", "outsourced", "LIFT-1"]], cast.contractor_manager
        )
    assert errors_of(result) == [(2, "team", "No team with code “LIFT-1”.")]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_user_may_reimport_its_own_scoped_export(cast, client_for, fmt):
    PersonFactory(employee_no="C9", company=cast.contractor)
    PersonFactory(employee_no="L9", company=cast.other_contractor)
    client = client_for(cast.contractor_manager)
    exported = client.get(reverse("org:person_export"), {"format": fmt}).content
    response = client.post(reverse("org:person_import"), {"file": SimpleUploadedFile(f"people.{fmt}", exported)})
    result = response.context["result"]
    assert result.ok, result.errors
    assert result.unchanged == Person.objects.filter(company=cast.contractor).count() == 2
