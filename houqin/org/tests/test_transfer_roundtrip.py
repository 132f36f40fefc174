"""Exporting any master-data list and importing the same file changes nothing."""

import csv
import datetime
import io
from decimal import Decimal
from types import SimpleNamespace

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from houqin.core.models import AuditEntry
from houqin.org.models import (
    Certificate,
    Company,
    CompanyKind,
    Department,
    DepartmentKind,
    DirectoryEntry,
    EmploymentType,
    Gender,
    Location,
    LocationKind,
    Person,
    Site,
    Team,
    Trade,
)
from houqin.org.tests.factories import (
    CertificateFactory,
    CompanyFactory,
    DepartmentFactory,
    DirectoryEntryFactory,
    LocationFactory,
    PersonFactory,
    SiteFactory,
    TeamFactory,
    TradeFactory,
)
from houqin.org.transfer import ORG_TRANSFERS, TEAM


def make_org_data(cast) -> SimpleNamespace:
    """A record of every kind with every column filled, plus awkward values (formulas, quotes,
    inactive rows, empty optionals)."""
    east = SiteFactory(
        code="EAST", name="东院区", short_name="东院", address="东大街1号", phone="010-88886666", beds=800
    )
    SiteFactory(code="OLD", name="=旧院区", is_active=False)
    campus = LocationFactory(code="A", name="本部", kind=LocationKind.CAMPUS, site=cast.site)
    building = LocationFactory(
        code="A1",
        name="门诊楼",
        kind=LocationKind.BUILDING,
        site=cast.site,
        parent=campus,
        department=cast.dept,
        area_m2=Decimal("1200.50"),
    )
    floor = LocationFactory(code="A1-3F", name="3楼", kind=LocationKind.FLOOR, site=cast.site, parent=building)
    room = LocationFactory(
        code="A1-3F-312", name="+312室", kind=LocationKind.ROOM, site=cast.site, parent=floor, is_active=False
    )
    nursing = DepartmentFactory(
        code="HLB", name="护理部", kind=DepartmentKind.ADMINISTRATIVE, site=east, phone="8000", head="王主任"
    )
    DepartmentFactory(
        code="HLB-1", name="@护理一组", kind=DepartmentKind.NURSING, site=east, parent=nursing, cost_center=""
    )
    CompanyFactory(
        code="SUP",
        name="医疗设备供应商",
        kind=CompanyKind.SUPPLIER,
        credit_code="91110000MA01ABCD2X",
        services="设备, 配件",
        contact_name="李经理",
        contact_phone="+86 13800000000",
    )
    elec = TradeFactory(code="ELEC", name="电工", description="低压电工", requires_certificate=True)
    plumb = TradeFactory(code="PLUMB", name="水工")
    team = TeamFactory(code="ELEC-1", name="电工一班", company=cast.hospital, site=cast.site, phone="8120")
    team.trades.set([elec, plumb])
    leader = PersonFactory(
        employee_no="E1",
        name="张三",
        gender=Gender.MALE,
        phone="13900000001",
        company=cast.hospital,
        department=cast.dept,
        team=team,
        employment_type=EmploymentType.PERMANENT,
        job_title="班长",
        hired_on=datetime.date(2019, 7, 1),
        on_duty=True,
    )
    leader.trades.set([elec])
    team.leader = leader
    team.save()
    cleaner = PersonFactory(
        employee_no="0012", name="-李四", company=cast.contractor, gender=Gender.FEMALE, is_active=False
    )
    CertificateFactory(
        person=leader,
        name="低压电工作业证",
        number="T1101",
        issuer="应急管理局",
        issued_on=datetime.date(2022, 5, 1),
        expires_on=datetime.date(2028, 4, 30),
    )
    CertificateFactory(person=cleaner, name="健康证", number="")
    DirectoryEntryFactory(
        number="8001", label="心内科护士站", department=cast.dept, location=room, person=leader, note="24小时"
    )
    DirectoryEntryFactory(number="010-66668888", label="总值班", is_active=False)
    return SimpleNamespace(east=east, campus=campus, building=building, room=room, team=team, leader=leader, elec=elec)


def stored_rows(transfer) -> list[tuple]:
    model = transfer.model
    fields = [f.attname for f in model._meta.concrete_fields]
    return list(model.objects.order_by("pk").values_list(*fields))


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("transfer", ORG_TRANSFERS, ids=lambda t: t.spec.slug)
def test_exporting_then_importing_a_list_changes_nothing(cast, client_for, transfer, fmt):
    make_org_data(cast)
    client = client_for(cast.system_admin)
    before = stored_rows(transfer)
    audit_before = AuditEntry.objects.count()

    response = client.get(reverse(transfer.spec.url_name("export")), {"format": fmt})
    assert response.status_code == 200
    exported = response.content

    response = client.post(
        reverse(transfer.spec.url_name("import")), {"file": SimpleUploadedFile(f"list.{fmt}", exported)}
    )
    assert response.status_code == 200
    result = response.context["result"]
    assert result.ok, result.errors
    assert (result.created, result.updated) == (0, 0)
    assert result.unchanged == transfer.model.objects.count() > 0
    assert stored_rows(transfer) == before
    assert AuditEntry.objects.count() == audit_before


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_exported_lists_recreate_the_records_in_dependency_order(cast, client_for, fmt):
    """Export every list, remove the records, import the files: the same records come back."""
    make_org_data(cast)
    client = client_for(cast.system_admin)
    files = {
        t.spec.slug: client.get(reverse(t.spec.url_name("export")), {"format": fmt}).content for t in ORG_TRANSFERS
    }
    expected = {t.spec.slug: business_rows(t, cast.system_admin) for t in ORG_TRANSFERS}

    # Everything but the cast itself (its logins' people, companies, site and departments).
    DirectoryEntry.objects.all().delete()
    Certificate.objects.all().delete()
    Team.objects.update(leader=None)
    Person.objects.filter(user__isnull=True).delete()
    Team.objects.all().delete()
    for location in Location.objects.order_by("-depth"):
        location.delete()
    Trade.objects.all().delete()
    Department.objects.filter(parent__isnull=False).delete()
    Department.objects.exclude(pk__in=[cast.dept.pk, cast.other_dept.pk]).delete()
    Company.objects.exclude(people__isnull=False).delete()
    Site.objects.exclude(pk=cast.site.pk).delete()

    # A person names a team and a team's leader is a person: teams first without leaders.
    leader_index = [c.name for c in TEAM.bound_columns].index("leader")
    files["team-without-leaders"] = without_column(files["team"], fmt, leader_index)
    order = [
        "site",
        "department",
        "location",
        "company",
        "trade",
        "team-without-leaders",
        "person",
        "team",
        "certificate",
        "directoryentry",
    ]
    for name in order:
        transfer = TEAM if name.startswith("team") else next(t for t in ORG_TRANSFERS if t.spec.slug == name)
        response = client.post(
            reverse(transfer.spec.url_name("import")), {"file": SimpleUploadedFile(f"{name}.{fmt}", files[name])}
        )
        result = response.context["result"]
        assert result.ok, (name, result.errors)

    for transfer in ORG_TRANSFERS:
        assert business_rows(transfer, cast.system_admin) == expected[transfer.spec.slug], transfer.spec.slug


def business_rows(transfer, user) -> list[tuple]:
    return sorted(
        tuple(str(c.export_value(obj)) for c in transfer.bound_columns) for obj in transfer.spec.queryset_for(user)
    )


def without_column(content: bytes, fmt: str, index: int) -> bytes:
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
        buffer = io.StringIO(newline="")
        csv.writer(buffer).writerows(row[:index] + row[index + 1 :] for row in rows)
        return buffer.getvalue().encode("utf-8-sig")
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    workbook.worksheets[0].delete_cols(index + 1)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
