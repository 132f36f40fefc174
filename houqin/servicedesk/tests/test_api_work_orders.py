"""Work orders through the REST API: recording requests, reading them, lists with filters, and
who sees what."""

import datetime
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from houqin.core.tests.apiclient import api_as
from houqin.org.models import LocationKind, Person
from houqin.org.tests.factories import LocationFactory, PersonFactory, TeamFactory
from houqin.servicedesk import services
from houqin.servicedesk.models import Status, WorkOrder, WorkOrderEvent
from houqin.servicedesk.tests.factories import ServiceCategoryFactory


def make_desk(cast) -> SimpleNamespace:
    """A small hospital: two buildings, a repair group with an electrical category, the hospital's
    MEP team (cast.worker in it) and a contractor's cleaning team with its own worker."""
    campus = LocationFactory(code="A", name="本部", kind=LocationKind.CAMPUS, site=cast.site)
    building = LocationFactory(code="A1", name="门诊楼", kind=LocationKind.BUILDING, site=cast.site, parent=campus)
    floor = LocationFactory(code="A1-3F", name="3F", kind=LocationKind.FLOOR, site=cast.site, parent=building)
    room = LocationFactory(
        code="A1-3F-312", name="312", kind=LocationKind.ROOM, site=cast.site, parent=floor, department=cast.dept
    )
    other_building = LocationFactory(
        code="B1", name="住院楼", kind=LocationKind.BUILDING, site=cast.site, parent=campus, department=cast.other_dept
    )
    mep = TeamFactory(code="MEP", name="机电班", company=cast.hospital)
    cleaning = TeamFactory(code="CLN", name="保洁一班", company=cast.contractor)
    worker = Person.objects.get(user=cast.worker)
    worker.team = mep
    worker.save()
    cleaner = PersonFactory(employee_no="C001", name="李保洁", company=cast.contractor, team=cleaning)
    repair = ServiceCategoryFactory(code="REPAIR", name="维修")
    electrical = ServiceCategoryFactory(
        code="ELEC", name="电气", parent=repair, default_team=mep, requires_location=True
    )
    cleaning_category = ServiceCategoryFactory(code="CLEAN", name="临时保洁", default_team=cleaning)
    complaint = ServiceCategoryFactory(code="COMPLAINT", name="投诉建议", is_complaint=True)
    return SimpleNamespace(
        cast=cast,
        campus=campus,
        building=building,
        floor=floor,
        room=room,
        other_building=other_building,
        mep=mep,
        cleaning=cleaning,
        worker=worker,
        cleaner=cleaner,
        repair=repair,
        electrical=electrical,
        cleaning_category=cleaning_category,
        complaint=complaint,
    )


def new_order(desk, *, category=None, location=None, accept=True, by=None, **kwargs) -> WorkOrder:
    return services.create_work_order(
        category=category or desk.electrical,
        location=location or desk.room,
        description=kwargs.pop("description", "病房灯不亮"),
        by=by or desk.cast.agent,
        accept=accept,
        **kwargs,
    )


@pytest.fixture
def desk(cast):
    return make_desk(cast)


ELECTRICAL_REQUEST = {
    "category": "ELEC",
    "location": "A1-3F-312",
    "description": "312病房灯不亮",
    "requester_name": "王护士",
    "requester_phone": "8123",
}


# ---------------------------------------------------------------------------------------------
# Recording requests
# ---------------------------------------------------------------------------------------------


def test_an_agent_records_a_request_by_codes(cast, client, desk):
    response = api_as(client, cast.agent).post("/work-orders", {**ELECTRICAL_REQUEST, "priority": "high"})
    assert response.status_code == 201, response.json()
    body = response.json()
    order = WorkOrder.objects.get(pk=body["id"])
    assert body["number"] == order.number and body["number"].startswith("WO")
    assert body["status"] == "new" and body["status_label"] == "new"
    assert body["priority"] == "high" and body["channel"] == "api"
    assert body["category"] == {"id": desk.electrical.pk, "code": "ELEC", "name": "电气"}
    assert body["location"]["code"] == "A1-3F-312" and body["location"]["path"] == desk.room.full_name
    # The department follows the location when none is given.
    assert body["department"]["code"] == "XNK"
    assert body["team"]["code"] == "MEP"
    assert body["requester_name"] == "王护士" and body["requester_phone"] == "8123"
    assert body["completion_due"].endswith("+08:00") and body["version"] == 1
    assert [event["kind"] for event in body["timeline"]] == ["created"]
    assert {"accept", "dispatch", "cancel", "transfer", "comment"} == {a["name"] for a in body["actions"]}
    assert body["clock"]["target"] == "response"


def test_a_phone_request_recorded_by_the_desk_starts_accepted(cast, client, desk):
    response = api_as(client, cast.agent).post("/work-orders", {**ELECTRICAL_REQUEST, "channel": "phone"})
    body = response.json()
    assert body["status"] == "accepted" and body["owner"] == "agent"
    assert [event["kind"] for event in body["timeline"]] == ["created", "accepted"]


def test_a_department_user_reports_for_themselves_and_their_department(cast, client, client_for, desk):
    nurse = Person.objects.get(user=cast.department_user)
    response = client_for(cast.department_user).post(
        "/api/v1/work-orders",
        {"category": "CLEAN", "description": "走廊有积水"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["department"]["code"] == "XNK"
    assert body["requester_account"] == "nurse" and body["requester_name"] == nurse.name
    assert body["channel"] == "web" and body["status"] == "new"
    order = WorkOrder.objects.get(pk=body["id"])
    assert order.requester_user == cast.department_user
    # The requester may withdraw it while the desk has not taken it, and comment; nothing else.
    assert {a["name"] for a in body["actions"]} == {"cancel", "comment"}


def test_it_names_every_unknown_code(cast, client, desk):
    response = api_as(client, cast.agent).post(
        "/work-orders", {"category": "NOPE", "location": "NOWHERE", "department": "XX", "description": "x"}
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"category", "location", "department"}


def test_it_names_the_missing_fields(cast, client, desk):
    response = api_as(client, cast.agent).post("/work-orders", {})
    assert response.status_code == 400
    assert {"category", "description"} <= set(response.json()["errors"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"description": "   "}, "description"),
        ({"location": None}, "location"),
        ({"category": "REPAIR"}, "category"),
        ({"priority": "asap"}, "priority"),
        ({"channel": "fax"}, "channel"),
        ({"requester_phone": "1" * 40}, "requester_phone"),
        ({"asset": "AS-001"}, "asset"),
        ({"photos": ["a.jpg"]}, "photos"),
        ({"call_id": "no-such-call"}, "call_id"),
    ],
)
def test_it_refuses_a_bad_request_naming_the_field(cast, client, desk, body, field):
    response = api_as(client, cast.agent).post("/work-orders", {**ELECTRICAL_REQUEST, **body})
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert not WorkOrder.objects.exists()


def test_an_empty_asset_and_no_photos_are_accepted(cast, client, desk):
    response = api_as(client, cast.agent).post("/work-orders", {**ELECTRICAL_REQUEST, "asset": None, "photos": []})
    assert response.status_code == 201


def test_creation_is_idempotent(cast, client, desk):
    api = api_as(client, cast.agent)
    first = api.post("/work-orders", ELECTRICAL_REQUEST, HTTP_IDEMPOTENCY_KEY="call-4711")
    again = api.post("/work-orders", ELECTRICAL_REQUEST, HTTP_IDEMPOTENCY_KEY="call-4711")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["number"] == first.json()["number"]
    assert WorkOrder.objects.count() == 1 and WorkOrderEvent.objects.count() == 1
    other = api.post("/work-orders", {**ELECTRICAL_REQUEST, "priority": "urgent"}, HTTP_IDEMPOTENCY_KEY="call-4711")
    assert other.status_code == 409


def test_it_refuses_creation_without_the_right(cast, client, desk):
    assert api_as(client, cast.worker).post("/work-orders", ELECTRICAL_REQUEST).status_code == 403
    assert api_as(client, cast.outsider).post("/work-orders", ELECTRICAL_REQUEST).status_code == 403
    assert client.post("/api/v1/work-orders", {}, content_type="application/json").status_code == 401


# ---------------------------------------------------------------------------------------------
# Reading one order
# ---------------------------------------------------------------------------------------------


def test_the_detail_tells_the_whole_story(cast, client, desk):
    order = new_order(desk)
    services.dispatch(order, by=cast.agent, assignee=desk.worker)
    api = api_as(client, cast.agent)
    by_number = api.get(f"/work-orders/{order.number}")
    assert by_number.status_code == 200
    body = by_number.json()
    assert api.get(f"/work-orders/{order.pk}").json()["number"] == order.number
    assert body["status"] == "dispatched" and body["assignee"]["code"] == desk.worker.employee_no
    assert [e["kind"] for e in body["timeline"]] == ["created", "accepted", "dispatched"]
    dispatched = body["timeline"][-1]
    assert dispatched["from_status"] == "accepted" and dispatched["to_status"] == "dispatched"
    assert dispatched["actor_name"] == "agent" and dispatched["kind_label"] == "dispatched"
    assert dispatched["changes"]["assignee"][1] == str(desk.worker)
    assert body["clock"]["target"] == "arrival" and 0 <= body["clock"]["share"] < 1
    assert body["dispatched_at"] and body["owner"] == "agent" and body["hold"] is None
    assert body["overdue"] is False and body["sla_level"] == 0
    # The agent may not do the worker's job.
    assert {a["name"] for a in body["actions"]} == {"dispatch", "cancel", "transfer", "comment"}


def test_the_assigned_worker_is_offered_the_workers_actions(cast, client, desk):
    order = new_order(desk)
    services.dispatch(order, by=cast.agent, assignee=desk.worker)
    body = api_as(client, cast.worker).get(f"/work-orders/{order.number}").json()
    assert {a["name"] for a in body["actions"]} == {"start", "hold", "comment"}


def test_an_order_outside_the_scope_is_not_found(cast, client, desk):
    order = new_order(desk)
    assert api_as(client, cast.contractor_manager).get(f"/work-orders/{order.number}").status_code == 404
    assert api_as(client, cast.agent).get("/work-orders/WO000000-99999").status_code == 404
    assert api_as(client, cast.outsider).get(f"/work-orders/{order.number}").status_code == 403


def test_an_overdue_order_says_so(cast, client, desk):
    order = new_order(desk, priority="urgent")
    WorkOrder.objects.filter(pk=order.pk).update(response_due=timezone.now() - datetime.timedelta(minutes=1))
    body = api_as(client, cast.agent).get(f"/work-orders/{order.pk}").json()
    assert body["overdue"] is True


# ---------------------------------------------------------------------------------------------
# Lists and filters
# ---------------------------------------------------------------------------------------------


def numbers(response) -> set[str]:
    assert response.status_code == 200, response.json()
    return {item["number"] for item in response.json()["items"]}


def test_the_list_filters_by_several_statuses(cast, client, desk):
    fresh = new_order(desk, accept=False)
    accepted = new_order(desk)
    dispatched = services.dispatch(new_order(desk), by=cast.agent, assignee=desk.worker)
    api = api_as(client, cast.agent)
    assert numbers(api.get("/work-orders", {"status": ["new", "dispatched"]})) == {fresh.number, dispatched.number}
    assert numbers(api.get("/work-orders", {"status": "accepted"})) == {accepted.number}
    response = api.get("/work-orders", {"status": "lost"})
    assert response.status_code == 400 and "status" in response.json()["errors"]


def test_the_list_filters_a_location_subtree(cast, client, desk):
    in_room = new_order(desk)
    ward = LocationFactory(code="B1-5F", kind=LocationKind.FLOOR, site=cast.site, parent=desk.other_building)
    elsewhere = new_order(desk, location=ward)
    api = api_as(client, cast.agent)
    assert numbers(api.get("/work-orders", {"location": "A1"})) == {in_room.number}
    assert numbers(api.get("/work-orders", {"location": desk.campus.pk})) == {in_room.number, elsewhere.number}
    assert numbers(api.get("/work-orders", {"location": "NOWHERE"})) == set()


def test_the_list_filters_overdue_orders(cast, client, desk):
    late = new_order(desk)
    WorkOrder.objects.filter(pk=late.pk).update(response_due=timezone.now() - datetime.timedelta(minutes=1))
    breached = new_order(desk)
    WorkOrder.objects.filter(pk=breached.pk).update(breached=True, sla_level=2)
    on_time = new_order(desk)
    api = api_as(client, cast.agent)
    assert numbers(api.get("/work-orders", {"overdue": "true"})) == {late.number, breached.number}
    assert numbers(api.get("/work-orders", {"overdue": "false"})) == {on_time.number}
    items = {item["number"]: item for item in api.get("/work-orders").json()["items"]}
    assert items[late.number]["overdue"] and not items[on_time.number]["overdue"]


def test_the_list_searches_number_description_requester_and_phone(cast, client, desk):
    lamp = new_order(desk, requester_name="王护士", requester_phone="139-0000-1111")
    water = new_order(desk, description="水龙头漏水", requester_name="赵医生")
    api = api_as(client, cast.agent)
    assert numbers(api.get("/work-orders", {"q": "漏水"})) == {water.number}
    assert numbers(api.get("/work-orders", {"q": "王护士"})) == {lamp.number}
    assert numbers(api.get("/work-orders", {"q": "+86 13900001111"})) == {lamp.number}
    assert numbers(api.get("/work-orders", {"q": water.number})) == {water.number}


def test_the_list_filters_by_category_group_team_assignee_and_channel(cast, client, desk):
    lamp = services.dispatch(new_order(desk, channel="phone"), by=cast.agent, assignee=desk.worker)
    spill = new_order(desk, category=desk.cleaning_category, location=desk.room)
    api = api_as(client, cast.agent)
    assert numbers(api.get("/work-orders", {"category": "REPAIR"})) == {lamp.number}
    assert numbers(api.get("/work-orders", {"category": "CLEAN"})) == {spill.number}
    assert numbers(api.get("/work-orders", {"team": "CLN"})) == {spill.number}
    assert numbers(api.get("/work-orders", {"assignee": desk.worker.employee_no})) == {lamp.number}
    assert numbers(api.get("/work-orders", {"channel": ["phone", "qr"]})) == {lamp.number}
    assert numbers(api.get("/work-orders", {"department": "XNK", "site": "MAIN"})) == {lamp.number, spill.number}
    assert numbers(api.get("/work-orders", {"department": "GK"})) == set()


def test_the_list_filters_by_creation_time_in_the_sites_zone(cast, client, desk):
    zone = timezone.get_default_timezone()
    early = new_order(desk, at=datetime.datetime(2026, 3, 1, 0, 30, tzinfo=zone))
    late = new_order(desk, at=datetime.datetime(2026, 3, 1, 23, 30, tzinfo=zone))
    api = api_as(client, cast.agent)
    assert numbers(api.get("/work-orders", {"created_after": "2026-03-01", "created_before": "2026-03-01"})) == {
        early.number,
        late.number,
    }
    assert numbers(api.get("/work-orders", {"created_after": "2026-03-01T12:00"})) == {late.number}
    assert numbers(api.get("/work-orders", {"created_before": "2026-03-01T00:30:00+08:00"})) == set()
    response = api.get("/work-orders", {"created_after": "yesterday"})
    assert response.status_code == 400 and "created_after" in response.json()["errors"]


def test_the_list_sorts_by_priority_and_refuses_unknown_keys(cast, client, desk):
    low = new_order(desk, priority="low")
    urgent = new_order(desk, priority="urgent")
    normal = new_order(desk, priority="normal")
    api = api_as(client, cast.agent)
    listed = [item["number"] for item in api.get("/work-orders", {"sort": "priority"}).json()["items"]]
    assert listed == [urgent.number, normal.number, low.number]
    listed = [item["number"] for item in api.get("/work-orders", {"sort": "-completion_due"}).json()["items"]]
    assert listed == [low.number, normal.number, urgent.number]
    response = api.get("/work-orders", {"sort": "description"})
    assert response.status_code == 400 and "sort" in response.json()["errors"]


def test_list_items_are_compact(cast, client, desk):
    new_order(desk)
    item = api_as(client, cast.agent).get("/work-orders").json()["items"][0]
    assert "timeline" not in item and "actions" not in item
    assert {"id", "number", "status", "status_label", "priority", "category", "location", "version"} <= set(item)


# ---------------------------------------------------------------------------------------------
# Who sees what
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def spread(cast, desk):
    """One order for the worker, one for the MEP team, one for the cleaning contractor, one of
    another department, and one nobody has taken yet."""
    mine = services.dispatch(new_order(desk), by=cast.agent, assignee=desk.worker)
    team = new_order(desk)  # the category's default team is MEP
    contractor = new_order(desk, category=desk.cleaning_category)
    other_department = new_order(desk, category=desk.complaint, location=desk.other_building)
    return SimpleNamespace(mine=mine, team=team, contractor=contractor, other_department=other_department)


def test_a_worker_sees_their_own_and_their_teams_orders(cast, client, spread):
    assert numbers(api_as(client, cast.worker).get("/work-orders")) == {spread.mine.number, spread.team.number}


def test_a_contractor_manager_sees_their_companys_orders(cast, client, spread):
    assert numbers(api_as(client, cast.contractor_manager).get("/work-orders")) == {spread.contractor.number}


def test_a_department_user_sees_their_departments_orders(cast, client, spread):
    visible = numbers(api_as(client, cast.department_user).get("/work-orders"))
    assert visible == {spread.mine.number, spread.team.number, spread.contractor.number}
    response = api_as(client, cast.department_user).get(f"/work-orders/{spread.other_department.number}")
    assert response.status_code == 404


def test_the_desk_sees_every_order(cast, client, spread):
    assert len(numbers(api_as(client, cast.agent).get("/work-orders"))) == 4
    assert len(numbers(api_as(client, cast.inspector).get("/work-orders"))) == 4


# ---------------------------------------------------------------------------------------------
# Query counts
# ---------------------------------------------------------------------------------------------


def _count_queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = call()
    assert response.status_code == 200
    return len(captured)


def test_the_list_costs_the_same_for_3_or_30_orders(cast, client, desk, django_assert_max_num_queries):
    api = api_as(client, cast.worker)
    api.get("/work-orders")  # the token's user and permissions, looked up once
    for _ in range(3):
        services.dispatch(new_order(desk), by=cast.agent, assignee=desk.worker)
    few = _count_queries(lambda: api.get("/work-orders"))
    for _ in range(27):
        services.dispatch(new_order(desk), by=cast.agent, assignee=desk.worker)
    with django_assert_max_num_queries(few):
        response = api.get("/work-orders")
    assert response.json()["count"] == 30


def test_the_detail_costs_the_same_for_3_or_30_events(cast, client, desk, django_assert_max_num_queries):
    order = services.dispatch(new_order(desk), by=cast.agent, assignee=desk.worker)
    api = api_as(client, cast.worker)
    few = _count_queries(lambda: api.get(f"/work-orders/{order.number}"))
    for n in range(27):
        services.comment(order, by=cast.agent, text=f"催办 {n}")
    with django_assert_max_num_queries(few):
        response = api.get(f"/work-orders/{order.number}")
    assert len(response.json()["timeline"]) == 30


# ---------------------------------------------------------------------------------------------
# The schema
# ---------------------------------------------------------------------------------------------


ACTION_PATHS = ("accept", "dispatch", "start", "hold", "resume", "complete", "follow-up", "close", "cancel")


def test_the_schema_lists_every_service_desk_path(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    assert set(paths["/api/v1/work-orders"]) == {"get", "post"}
    assert set(paths["/api/v1/work-orders/{ref}"]) == {"get"}
    for action in (*ACTION_PATHS, "reopen", "transfer", "comment"):
        operation = paths[f"/api/v1/work-orders/{{ref}}/{action}"]["post"]
        assert {"200", "400", "403", "404", "409"} <= set(operation["responses"]), action
    assert set(paths["/api/v1/telephony/incoming"]) == {"get", "post"}
    assert "post" in paths["/api/v1/telephony/incoming/{call_id}/take"]
    parameters = {p["name"] for p in paths["/api/v1/work-orders"]["get"]["parameters"]}
    assert {"status", "category", "priority", "department", "team", "assignee", "channel", "location", "site"} <= (
        parameters
    )
    assert {"created_after", "created_before", "overdue", "q", "sort", "limit", "offset"} <= parameters
    status = next(p for p in paths["/api/v1/work-orders"]["get"]["parameters"] if p["name"] == "status")
    assert status["schema"]["type"] == "array" and Status.ON_HOLD in status["schema"]["items"]["enum"]
