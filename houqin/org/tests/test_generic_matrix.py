"""The generic matrix for master data: every page, file and API endpoint of every org model, for
every role of the cast (houqin/core/testing.py), plus the hard expectations it must agree with."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from houqin.accounts.models import User
from houqin.core.specs import all_specs
from houqin.core.testing import ModelCase, ModelMatrix, form_post
from houqin.core.tests.apiclient import api_as
from houqin.org import specs
from houqin.org.models import Location, LocationKind
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
    UserFactory,
)

# --- one row of each model, with its related records filled in ----------------------------------


def make_site(cast, n):
    return SiteFactory(name=f"院区{n}", short_name=f"院{n}", address=f"人民路{n}号", phone="010-12345678", beds=n)


def make_location(cast, n):
    building = LocationFactory(site=cast.site, kind=LocationKind.BUILDING, name=f"楼{n}")
    department = DepartmentFactory(site=cast.site)
    return LocationFactory(site=cast.site, parent=building, kind=LocationKind.FLOOR, department=department)


def make_department(cast, n):
    return DepartmentFactory(site=SiteFactory(), parent=DepartmentFactory(site=cast.site), phone="8001", head="王")


def make_company(cast, n):
    return CompanyFactory(credit_code="91110000MA01ABCD2X", contact_name="李经理", contact_phone="13800000000")


def make_trade(cast, n):
    return TradeFactory(description="低压电工", requires_certificate=n % 2 == 0)


def make_team(cast, n, company=None):
    team = TeamFactory(company=company or cast.contractor, site=SiteFactory(), phone="8120")
    team.trades.add(TradeFactory(), TradeFactory())
    team.leader = PersonFactory(company=team.company, team=team)
    team.save()
    return team


def make_person(cast, n, company=None, department=None):
    company = company or cast.contractor
    person = PersonFactory(
        company=company,
        department=department or cast.dept,
        team=TeamFactory(company=company),
        user=UserFactory(),
        hired_on=datetime.date(2024, 3, 1),
    )
    person.trades.add(TradeFactory(), TradeFactory())
    return person


def make_certificate(cast, n, company=None):
    holder = PersonFactory(company=company or cast.contractor, department=cast.dept)
    return CertificateFactory(
        person=holder,
        issued_on=datetime.date(2022, 5, 1),
        expires_on=datetime.date(2028, 4, 30) + datetime.timedelta(n),
    )


def make_directory_entry(cast, n):
    return DirectoryEntryFactory(
        department=DepartmentFactory(site=cast.site),
        location=LocationFactory(site=cast.site),
        person=PersonFactory(company=cast.hospital),
        note="全天",
    )


# --- a new row's values, as a user types them ---------------------------------------------------


def site_values(cast):
    return {
        "code": "WEST",
        "name": "西院区",
        "short_name": "西院",
        "address": "西大街2号",
        "phone": "010-66668888",
        "beds": 300,
    }


def location_values(cast):
    # A floor under a building, without a site: it takes the building's (the tree rule of the forms).
    LocationFactory(code="NEW-B", site=cast.site, kind=LocationKind.BUILDING)
    return {
        "code": "NEW-B-1F",
        "name": "1楼",
        "kind": "floor",
        "parent": "NEW-B",
        "department": "XNK",
        "area_m2": "120.50",
    }


def department_values(cast):
    return {
        "code": "NEW-D",
        "name": "心内二科",
        "kind": "nursing",
        "cost_center": "CC9001",
        "site": "MAIN",
        "parent": "XNK",
        "phone": "8123",
        "head": "李主任",
    }


def company_values(cast):
    return {
        "code": "NEWCO",
        "name": "新配送公司",
        "kind": "supplier",
        "credit_code": "91110000MA01ABCD2X",
        "services": "配送",
        "contact_name": "王经理",
        "contact_phone": "13800001111",
        "is_active": False,
    }


def trade_values(cast):
    return {"code": "WELD", "name": "焊工", "description": "电焊", "requires_certificate": True}


def team_values(cast):
    TradeFactory(code="ELEC")
    TradeFactory(code="PLMB")
    return {
        "code": "NEW-T",
        "name": "机电班",
        "company": "CLEAN",
        "site": "MAIN",
        "trades": ["ELEC", "PLMB"],
        "phone": "8120",
    }


def person_values(cast):
    TeamFactory(code="CLEAN-1", company=cast.contractor)
    TradeFactory(code="CLN")
    return {
        "employee_no": "NEW-0001",
        "name": "钱多多",
        "gender": "F",
        "phone": "13900001111",
        "company": "CLEAN",
        "department": "XNK",
        "team": "CLEAN-1",
        "trades": ["CLN"],
        "employment_type": "outsourced",
        "job_title": "保洁员",
        "hired_on": datetime.date(2024, 3, 1),
        "on_duty": True,
    }


def certificate_values(cast):
    return {
        "person": cast.contractor_manager.person.employee_no,  # a holder every certificate keeper may see
        "name": "低压电工作业证",
        "number": "T-NEW-1",
        "issuer": "应急管理局",
        "issued_on": datetime.date(2022, 5, 1),
        "expires_on": datetime.date(2028, 4, 30),
    }


def directory_entry_values(cast):
    LocationFactory(code="DIR-LOC", site=cast.site)
    return {
        "number": "8999",
        "label": "心内科护士站",
        "department": "XNK",
        "location": "DIR-LOC",
        "person": cast.agent.person.employee_no,
        "note": "全天",
    }


CASES = (
    ModelCase(
        specs.SITE,
        make_site,
        site_values,
        update={"name": "总院区", "beds": 1600},
        protect=lambda site: LocationFactory(site=site, kind=LocationKind.CAMPUS),
    ),
    ModelCase(
        specs.LOCATION,
        make_location,
        location_values,
        update={"name": "三楼", "area_m2": Decimal("88.00")},
        protect=lambda floor: LocationFactory(site=floor.site, parent=floor, kind=LocationKind.ROOM),
    ),
    ModelCase(
        specs.DEPARTMENT,
        make_department,
        department_values,
        update={"head": "赵主任", "cost_center": "CC7777"},
        protect=lambda department: PersonFactory(department=department),
    ),
    ModelCase(
        specs.COMPANY,
        make_company,
        company_values,
        update={"contact_name": "周经理"},
        protect=lambda company: PersonFactory(company=company),
        scope=lambda cast: (cast.contractor, cast.other_contractor),
        company_of=lambda company: company,
    ),
    ModelCase(specs.TRADE, make_trade, trade_values, update={"name": "高压电工", "requires_certificate": False}),
    ModelCase(
        specs.TEAM,
        make_team,
        team_values,
        update={"name": "夜班组", "phone": "8555"},
        scope=lambda cast: (make_team(cast, 0), make_team(cast, 0, company=cast.other_contractor)),
        company_of=lambda team: team.company,
    ),
    ModelCase(
        specs.PERSON,
        make_person,
        person_values,
        update={"phone": "13911112222", "on_duty": True},
        scope=lambda cast: (make_person(cast, 0), make_person(cast, 0, company=cast.other_contractor)),
        company_of=lambda person: person.company,
    ),
    ModelCase(
        specs.CERTIFICATE,
        make_certificate,
        certificate_values,
        update={"issuer": "市应急管理局", "expires_on": datetime.date(2030, 1, 31)},
        scope=lambda cast: (make_certificate(cast, 0), make_certificate(cast, 0, company=cast.other_contractor)),
        company_of=lambda certificate: certificate.person.company,
        has_code=False,  # found by id alone; the import finds it by holder, name and number
    ),
    ModelCase(
        specs.DIRECTORY_ENTRY,
        make_directory_entry,
        directory_entry_values,
        update={"label": "总值班室", "note": ""},
    ),
)


class TestMasterData(ModelMatrix):
    cases = CASES


def test_every_master_data_model_has_a_case():
    assert {case.spec.slug for case in CASES} == {spec.slug for spec in all_specs() if spec.app_label == "org"}


# --- hard expectations: what the derived matrix must never drift away from ------------------------


@pytest.mark.parametrize("case", CASES, ids=str)
def test_it_refuses_everything_to_an_outsider(case, cast, client, client_for):
    obj = case.make(cast, 0)
    pages = client_for(cast.outsider)
    reads = [case.url(action) for action in ("list", "export", "template")] + [case.url("detail", obj)]
    writes = [case.url("add"), case.url("import"), case.url("edit", obj), case.url("delete", obj)]
    assert {pages.get(url).status_code for url in reads + writes} == {403}
    assert {pages.post(url).status_code for url in writes} == {403}
    api = api_as(client, cast.outsider)
    answers = [api.get(case.api()), api.get(case.api(obj)), api.post(case.api(), {}), api.patch(case.api(obj), {})]
    assert {response.status_code for response in [*answers, api.delete(case.api(obj))]} == {403}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_auditor_reads_every_list_and_changes_nothing(case, cast, client, client_for):
    obj = case.make(cast, 0)
    pages = client_for(cast.auditor)
    assert [pages.get(url).status_code for url in (case.url("list"), case.url("detail", obj))] == [200, 200]
    assert pages.get(case.url("export"), {"format": "csv"}).status_code == 200
    for url in (case.url("add"), case.url("import"), case.url("edit", obj), case.url("delete", obj)):
        assert (pages.get(url).status_code, pages.post(url).status_code) == (403, 403)
    api = api_as(client, cast.auditor)
    assert api.get(case.api(obj)).status_code == 200
    writes = (api.post(case.api(), {}), api.patch(case.api(obj), {}), api.delete(case.api(obj)))
    assert [response.status_code for response in writes] == [403, 403, 403]


def test_a_worker_sees_locations_but_cannot_add_one(cast, client, client_for):
    pages, store = client_for(cast.worker), {"code": "W-1", "name": "库房", "kind": "building", "site": "MAIN"}
    assert pages.get(reverse("org:location_list")).status_code == 200
    assert pages.get(reverse("org:location_add")).status_code == 403
    assert pages.post(reverse("org:location_add"), form_post(specs.LOCATION, store)).status_code == 403
    assert api_as(client, cast.worker).post("/locations", store).status_code == 403
    assert not Location.objects.filter(code="W-1").exists()
    assert pages.get(reverse("org:person_list")).status_code == 403  # workers see no staff lists


@pytest.mark.parametrize(
    ("role", "slug", "actions"),
    [
        ("system_admin", "person", "view add change delete"),
        ("contractor_manager", "person", "view add change"),
        ("contractor_manager", "company", "view"),
        ("dispatcher", "person", "view change"),
        ("agent", "directoryentry", "view add change"),
        ("agent", "site", "view"),
        ("department_user", "location", "view"),
        ("department_user", "person", ""),
        ("security_admin", "person", "view"),
        ("security_admin", "site", ""),
    ],
)
def test_the_roles_grant_what_the_role_matrix_promises(cast, role, slug, actions):
    user = getattr(cast, role)
    granted = {action for action in ("view", "add", "change", "delete") if user.has_perm(f"org.{action}_{slug}")}
    assert granted == set(actions.split())


def test_the_system_admin_keeps_all_master_data_and_the_auditor_only_reads_it(cast):
    for case in CASES:
        assert cast.system_admin.has_perms([case.spec.perm(a) for a in ("view", "add", "change", "delete")])
        may = [cast.auditor.has_perm(case.spec.perm(a)) for a in ("view", "add", "change", "delete")]
        assert may == [True, False, False, False], case


def test_a_department_user_sees_only_its_departments_people(cast, client, client_for):
    # Department users read no staff lists by default; a security admin may grant it.
    nurse = User.objects.get(pk=cast.department_user.pk)
    nurse.user_permissions.add(Permission.objects.get(codename="view_person", content_type__app_label="org"))
    colleague = make_person(cast, 0, department=cast.dept)
    stranger = make_person(cast, 1, department=cast.other_dept)
    pages, api = client_for(nurse), api_as(client, nurse)
    listed = [row.obj for row in pages.get(reverse("org:person_list")).context["table"].rows]
    assert colleague in listed and stranger not in listed
    assert {person.department for person in listed} == {cast.dept}
    assert {item["department"]["code"] for item in api.get("/people").json()["items"]} == {"XNK"}
    assert pages.get(reverse("org:person_detail", args=[stranger.pk])).status_code == 404
    assert api.get(f"/people/{stranger.employee_no}").status_code == 404
    assert api.get(f"/people/{colleague.employee_no}").status_code == 200
