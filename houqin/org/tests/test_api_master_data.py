import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from houqin.core.models import AuditAction, AuditEntry
from houqin.core.tests.apiclient import api_as
from houqin.org.models import CompanyKind, Department, EmploymentType, Location, LocationKind, Person, Site, Team
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


@pytest.fixture
def admin_api(cast, client):
    return api_as(client, cast.system_admin)


@pytest.fixture
def tree(cast):
    """本部院区 → 门诊楼 → 3F → 312 (room), plus 住院楼 beside 门诊楼."""
    campus = LocationFactory(code="A", name="本部院区", kind=LocationKind.CAMPUS, site=cast.site)
    clinic = LocationFactory(code="A1", name="门诊楼", kind=LocationKind.BUILDING, site=cast.site, parent=campus)
    floor = LocationFactory(code="A1-3F", name="3F", kind=LocationKind.FLOOR, site=cast.site, parent=clinic)
    room = LocationFactory(
        code="A1-3F-312", name="312", kind=LocationKind.ROOM, site=cast.site, parent=floor, department=cast.dept
    )
    ward = LocationFactory(code="A2", name="住院楼", kind=LocationKind.BUILDING, site=cast.site, parent=campus)
    return campus, clinic, floor, room, ward


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item.get("code") or item.get("employee_no") or item.get("number") for item in response.json()["items"]]


# --- reading ----------------------------------------------------------------------------------


def test_a_location_answers_its_path_and_related_objects(admin_api, tree):
    *_, room, _ward = tree
    body = admin_api.get("/locations/A1-3F-312").json()
    assert body["id"] == room.pk
    assert body["path"] == "本部院区 / 门诊楼 / 3F / 312"
    assert body["kind"] == "room"
    assert body["depth"] == 3
    assert body["parent"] == {"id": room.parent_id, "code": "A1-3F", "name": "3F"}
    assert body["site"] == {"id": room.site_id, "code": "MAIN", "name": "本部院区"}
    assert body["department"]["code"] == "XNK"
    assert body["label_url"].endswith(f"/q/{room.label_code}")
    assert body["created"].endswith("+08:00")
    assert set(body) >= {"id", "created", "last_updated", "code", "name", "kind", "parent", "path", "label_code"}


def test_an_id_works_where_a_code_does(admin_api, tree):
    *_, room, _ward = tree
    assert admin_api.get(f"/locations/{room.pk}").json()["code"] == "A1-3F-312"
    person = PersonFactory(employee_no="E-42")
    assert admin_api.get("/people/E-42").json()["id"] == person.pk
    assert admin_api.get(f"/people/{person.pk}").json()["employee_no"] == "E-42"


def test_a_code_made_of_digits_wins_over_an_id(admin_api, cast):
    numbered = SiteFactory(code="1", name="一院")
    assert admin_api.get("/sites/1").json()["id"] == numbered.pk


def test_location_filter_takes_the_whole_subtree(admin_api, tree):
    assert codes(admin_api.get("/locations", {"location": "A1"})) == ["A1", "A1-3F", "A1-3F-312"]
    directory_entry = DirectoryEntryFactory(number="8312", label="312护士站", location=tree[3])
    DirectoryEntryFactory(number="8200", label="住院楼值班", location=tree[4])
    assert codes(admin_api.get("/directory", {"location": "A1"})) == [directory_entry.number]


def test_repeated_parameters_mean_any_of_them(admin_api, tree):
    assert sorted(codes(admin_api.get("/locations", {"kind": ["floor", "room"]}))) == ["A1-3F", "A1-3F-312"]
    assert codes(admin_api.get("/locations", {"kind": "floor"})) == ["A1-3F"]


def test_q_finds_names_by_pinyin_initials(admin_api, cast):
    assert codes(admin_api.get("/departments", {"q": "xnk"})) == ["XNK"]
    assert codes(admin_api.get("/departments", {"q": "guke"})) == ["GK"]


def test_filters_take_codes_or_ids(admin_api, cast):
    other_site = SiteFactory(code="EAST")
    DepartmentFactory(code="E-ICU", site=other_site)
    assert codes(admin_api.get("/departments", {"site": "EAST"})) == ["E-ICU"]
    assert codes(admin_api.get("/departments", {"site": other_site.pk})) == ["E-ICU"]
    assert codes(admin_api.get("/people", {"company": "CLEAN"})) == [cast.contractor_manager.person.employee_no]


def test_people_are_filtered_by_trade_and_duty(admin_api, cast):
    electrician = TradeFactory(code="ELEC", name="电工")
    on_duty = PersonFactory(company=cast.hospital, on_duty=True)
    on_duty.trades.add(electrician)
    PersonFactory(company=cast.hospital, on_duty=False).trades.add(electrician)
    assert codes(admin_api.get("/people", {"trade": "ELEC", "on_duty": "true"})) == [on_duty.employee_no]


def test_a_team_lists_its_trades(admin_api, cast):
    team = TeamFactory(code="ELEC-1", company=cast.hospital)
    team.trades.add(TradeFactory(code="ELEC", name="电工"), TradeFactory(code="PLMB", name="水工"))
    body = admin_api.get("/teams/ELEC-1").json()
    assert sorted(trade["code"] for trade in body["trades"]) == ["ELEC", "PLMB"]
    assert body["company"]["code"] == "HOSP"


# --- scope and permissions --------------------------------------------------------------------


def test_a_contractor_manager_sees_only_its_own_people(cast, client):
    stranger = PersonFactory(company=cast.other_contractor)
    mine = PersonFactory(company=cast.contractor)
    api = api_as(client, cast.contractor_manager)
    assert set(codes(api.get("/people"))) == {mine.employee_no, cast.contractor_manager.person.employee_no}
    response = api.get(f"/people/{stranger.employee_no}")
    assert response.status_code == 404
    assert api.get(f"/people/{stranger.pk}").status_code == 404
    assert api.patch(f"/people/{stranger.employee_no}", {"name": "改"}).status_code == 404
    assert api.get("/people/NO-SUCH-PERSON").json() == response.json()


def test_a_contractor_manager_cannot_hire_for_another_company(cast, client):
    api = api_as(client, cast.contractor_manager)
    response = api.post(
        "/people", {"employee_no": "X1", "name": "李四", "company": "LIFT", "employment_type": "outsourced"}
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["company"]
    response = api.post(
        "/people", {"employee_no": "X1", "name": "李四", "company": "CLEAN", "employment_type": "outsourced"}
    )
    assert response.status_code == 201


def test_certificates_of_other_companies_are_not_found(cast, client):
    foreign = CertificateFactory(person=PersonFactory(company=cast.other_contractor))
    own = CertificateFactory(person=PersonFactory(company=cast.contractor))
    api = api_as(client, cast.contractor_manager)
    assert [item["id"] for item in api.get("/certificates").json()["items"]] == [own.pk]
    assert api.get(f"/certificates/{foreign.pk}").status_code == 404


def test_writing_needs_the_permission(cast, client):
    agent = api_as(client, cast.agent)
    assert agent.post("/sites", {"code": "EAST", "name": "东院"}).status_code == 403
    assert agent.patch("/sites/MAIN", {"name": "改名"}).status_code == 403
    assert agent.delete("/sites/MAIN").status_code == 403
    assert agent.post("/directory", {"number": "8001", "label": "总机"}).status_code == 201
    assert agent.delete("/directory/8001").status_code == 403


# --- writing ----------------------------------------------------------------------------------


def test_creating_takes_codes_for_related_objects_and_is_audited(admin_api, cast, tree):
    response = admin_api.post(
        "/locations",
        {"code": "A1-3F-313", "name": "313", "kind": "room", "parent": "A1-3F", "site": "MAIN", "department": "GK"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["path"] == "本部院区 / 门诊楼 / 3F / 313"
    assert body["department"]["code"] == "GK"
    assert body["is_active"] is True
    entry = AuditEntry.objects.get(object_id=str(body["id"]), action=AuditAction.CREATE)
    assert entry.actor == cast.system_admin


def test_a_child_location_takes_its_parents_site(admin_api, tree):
    response = admin_api.post("/locations", {"code": "A1-4F", "name": "4F", "kind": "floor", "parent": "A1"})
    assert response.status_code == 201, response.content
    assert response.json()["site"]["code"] == "MAIN"


def test_the_tree_rules_of_the_edit_page_apply(admin_api, tree):
    response = admin_api.post("/locations", {"code": "BED-1", "name": "1床", "kind": "bed", "parent": "A1"})
    assert response.status_code == 400
    assert "kind" in response.json()["errors"]


def test_patch_changes_only_the_given_fields(admin_api, cast):
    person = PersonFactory(company=cast.contractor, phone="13800000000", on_duty=True)
    person.trades.add(TradeFactory(code="CLN", name="保洁"))
    response = admin_api.patch(f"/people/{person.employee_no}", {"phone": "13911112222"})
    assert response.status_code == 200, response.content
    person.refresh_from_db()
    assert person.phone == "13911112222"
    assert person.on_duty is True
    assert list(person.trades.values_list("code", flat=True)) == ["CLN"]
    entry = AuditEntry.objects.get(object_id=str(person.pk), action=AuditAction.UPDATE)
    assert entry.changes == {"phone": ["13800000000", "13911112222"]}


def test_put_replaces_the_whole_object(admin_api, cast):
    Site.objects.filter(pk=cast.site.pk).update(address="解放路1号", beds=1500)
    response = admin_api.put("/sites/MAIN", {"code": "MAIN", "name": "本部"})
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["address"], body["beds"], body["is_active"]) == ("本部", "", 0, True)


def test_many_to_many_takes_codes(admin_api, cast):
    TradeFactory(code="ELEC", name="电工")
    TradeFactory(code="PLMB", name="水工")
    response = admin_api.post(
        "/teams", {"code": "MEP", "name": "机电班", "company": "HOSP", "trades": ["ELEC", "PLMB"]}
    )
    assert response.status_code == 201, response.content
    assert set(Team.objects.get(code="MEP").trades.values_list("code", flat=True)) == {"ELEC", "PLMB"}
    response = admin_api.patch("/teams/MEP", {"trades": ["NOPE"]})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["trades"]


def test_a_duplicate_code_is_refused_by_field(admin_api, cast):
    response = admin_api.post("/companies", {"code": "HOSP", "name": "又一个", "kind": "supplier"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["code"]


def test_deleting_is_audited(admin_api, cast):
    company = CompanyFactory(code="OLD", kind=CompanyKind.SUPPLIER)
    response = admin_api.delete("/companies/OLD")
    assert response.status_code == 204
    assert AuditEntry.objects.filter(object_id=str(company.pk), action=AuditAction.DELETE).exists()


def test_deleting_a_site_in_use_is_a_conflict(admin_api, cast):
    response = admin_api.delete("/sites/MAIN")
    assert response.status_code == 409
    assert response.json()["detail"]
    assert Site.objects.filter(code="MAIN").exists()
    assert not AuditEntry.objects.filter(action=AuditAction.DELETE).exists()


def test_hiring_through_the_api_is_the_same_as_in_the_ui(admin_api, cast):
    response = admin_api.post(
        "/people",
        {
            "employee_no": "H-0001",
            "name": "王五",
            "phone": "139 0000 1111",
            "company": "CLEAN",
            "department": "XNK",
            "employment_type": EmploymentType.OUTSOURCED,
            "hired_on": "2025-03-01",
        },
    )
    assert response.status_code == 201, response.content
    person = Person.objects.get(employee_no="H-0001")
    assert person.company == cast.contractor
    assert person.is_active and not person.on_duty
    assert response.json()["hired_on"] == "2025-03-01"


# --- no N+1 -----------------------------------------------------------------------------------


def _make_rows(kind: str, n: int, cast):
    for i in range(n):
        if kind == "sites":
            SiteFactory()
        elif kind == "locations":
            parent = LocationFactory(site=cast.site)
            LocationFactory(kind=LocationKind.FLOOR, site=cast.site, parent=parent, department=cast.dept)
        elif kind == "departments":
            DepartmentFactory(site=cast.site, parent=Department.objects.first())
        elif kind == "companies":
            CompanyFactory()
        elif kind == "trades":
            TradeFactory()
        elif kind == "teams":
            team = TeamFactory(company=cast.contractor, site=cast.site, leader=cast.contractor_manager.person)
            team.trades.add(TradeFactory(), TradeFactory())
        elif kind == "people":
            person = PersonFactory(
                company=cast.contractor, department=cast.dept, team=TeamFactory(company=cast.contractor)
            )
            person.trades.add(TradeFactory())
        elif kind == "certificates":
            CertificateFactory(person=PersonFactory(company=cast.contractor))
        elif kind == "directory":
            location = LocationFactory(site=cast.site)
            DirectoryEntryFactory(department=cast.dept, location=location, person=PersonFactory(company=cast.hospital))
        else:  # pragma: no cover
            raise AssertionError(kind)
        del i


@pytest.mark.parametrize(
    "path", ["sites", "locations", "departments", "companies", "trades", "teams", "people", "certificates", "directory"]
)
def test_list_queries_do_not_grow_with_rows(cast, client, path, django_assert_max_num_queries):
    api = api_as(client, cast.system_admin)
    api.get(f"/{path}")  # warm up: content types and the like

    def count_for(n: int) -> int:
        _make_rows(path, n, cast)
        with CaptureQueriesContext(connection) as queries:
            response = api.get(f"/{path}", {"limit": 1000})
        assert response.status_code == 200
        assert response.json()["count"] >= n
        return len(queries)

    few = count_for(3)
    many = count_for(30)
    assert few == many
    with django_assert_max_num_queries(8):
        api.get(f"/{path}", {"limit": 1000})


def test_a_scoped_list_keeps_its_query_count(cast, client, django_assert_max_num_queries):
    for _ in range(30):
        PersonFactory(company=cast.contractor).trades.add(TradeFactory())
    api = api_as(client, cast.contractor_manager)
    api.get("/sites")  # the token's first use writes last_used
    with django_assert_max_num_queries(8):
        assert api.get("/people").json()["count"] == 31


def test_locations_in_a_tree_keep_their_order(admin_api, tree):
    assert codes(admin_api.get("/locations")) == list(
        Location.objects.order_by("tree_path").values_list("code", flat=True)
    )
