"""The telephone system's hook: an incoming call is recorded once, its caller recognised, shown on
the agents' consoles until taken, and linked to the order recorded during the call."""

import datetime

import pytest
from django.utils import timezone

from houqin.core.tests.apiclient import api_as
from houqin.org.tests.factories import DirectoryEntryFactory, PersonFactory, UserFactory
from houqin.servicedesk.models import IncomingCall, WorkOrder
from houqin.servicedesk.tests.test_api_work_orders import make_desk, new_order


@pytest.fixture
def desk(cast):
    desk = make_desk(cast)
    desk.station = DirectoryEntryFactory(number="8123", label="心内科护士站", department=cast.dept, location=desk.room)
    return desk


def ring(client, user, caller, call_id="c-1", callee="6000"):
    return api_as(client, user).post("/telephony/incoming", {"caller": caller, "callee": callee, "call_id": call_id})


def test_an_extension_is_recognised_by_the_directory(cast, client, desk):
    response = ring(client, cast.agent, "8123")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["who"] == "心内科护士站" and body["phone"] == "8123" and body["callee"] == "6000"
    assert body["department"] == {"id": cast.dept.pk, "code": "XNK", "name": "心内科"}
    assert body["location"]["code"] == "A1-3F-312" and body["location"]["path"] == desk.room.full_name
    assert [match["source"] for match in body["matches"]] == ["directory"]
    call = IncomingCall.objects.get(call_id="c-1")
    assert call.directory_entry == desk.station and call.agent is None and call.received_at


def test_a_mobile_phone_in_international_format_is_recognised(cast, client, desk):
    person = PersonFactory(name="赵医生", phone="18655501111", company=cast.hospital, department=cast.other_dept)
    body = ring(client, cast.agent, "+86 186 5550 1111").json()
    assert body["phone"] == "18655501111" and body["who"] == "赵医生"
    assert body["person"] == {"id": person.pk, "code": person.employee_no, "name": "赵医生"}
    assert body["department"]["code"] == "GK" and body["location"] is None
    assert body["matches"][0]["source"] == "person"


def test_the_telephone_systems_user_needs_no_right_to_see_people(cast, client, desk):
    """The match is made for the agents' consoles, whoever reports the call."""
    PersonFactory(name="赵医生", phone="18655501111", company=cast.hospital)
    switchboard = UserFactory(username="pbx")
    from django.contrib.auth.models import Permission

    switchboard.user_permissions.add(Permission.objects.get(codename="add_workorder"))
    assert ring(client, switchboard, "18655501111").json()["who"] == "赵医生"


def test_an_unknown_or_withheld_number_is_recorded_without_a_match(cast, client, desk):
    body = ring(client, cast.agent, "021-5555 0000").json()
    assert body["who"] == "" and body["matches"] == [] and body["person"] is None
    assert ring(client, cast.agent, "anonymous", call_id="c-2").status_code == 201


def test_a_call_reported_twice_is_recorded_once(cast, client, desk):
    first = ring(client, cast.agent, "8123", call_id="pbx-42")
    again = ring(client, cast.agent, "8123", call_id="pbx-42")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert IncomingCall.objects.count() == 1
    assert ring(client, cast.agent, "8999", call_id="pbx-42").status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"callee": "6000", "call_id": "x"}, "caller"),
        ({"caller": "8123"}, "call_id"),
        ({"caller": "", "call_id": "x"}, "caller"),
        ({"caller": "8123", "call_id": "x" * 101}, "call_id"),
    ],
)
def test_a_bad_report_names_the_field(cast, client, desk, body, field):
    response = api_as(client, cast.agent).post("/telephony/incoming", body)
    assert response.status_code == 400 and field in response.json()["errors"]


def test_reporting_a_call_needs_the_right_to_record_orders(cast, client, desk):
    assert ring(client, cast.worker, "8123").status_code == 403
    assert ring(client, cast.inspector, "8123").status_code == 403


# ---------------------------------------------------------------------------------------------
# The agent's console
# ---------------------------------------------------------------------------------------------


def test_the_console_shows_waiting_calls_with_the_callers_orders_and_usual_location(cast, client, desk):
    # The station's orders: two from room 312, one from the floor.
    for location in (desk.room, desk.floor, desk.room):
        new_order(desk, location=location, requester_phone="8123")
    new_order(desk, requester_phone="8999")
    ring(client, cast.agent, "8123")
    response = api_as(client, cast.agent).get("/telephony/incoming")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["now"].endswith("+08:00")
    (call,) = body["items"]
    assert call["who"] == "心内科护士站" and call["call_id"] == "c-1"
    assert len(call["recent_orders"]) == 3
    assert call["usual_location"]["code"] == "A1-3F-312"


def test_the_usual_location_of_a_first_time_caller_is_the_directorys(cast, client, desk):
    desk.station.location = desk.floor
    desk.station.save()
    ring(client, cast.agent, "8123")
    (call,) = api_as(client, cast.agent).get("/telephony/incoming").json()["items"]
    assert call["recent_orders"] == [] and call["usual_location"]["code"] == "A1-3F"


def test_the_console_shows_at_most_the_last_five_orders(cast, client, desk):
    for n in range(7):
        new_order(desk, requester_phone="+86 186-5550-1111", description=f"第{n}次")
    ring(client, cast.agent, "18655501111")
    (call,) = api_as(client, cast.agent).get("/telephony/incoming").json()["items"]
    assert [order["number"] for order in call["recent_orders"]] == list(
        WorkOrder.objects.order_by("-created", "-id").values_list("number", flat=True)[:5]
    )


def test_taken_old_and_earlier_calls_leave_the_console(cast, client, desk):
    ring(client, cast.agent, "8123", call_id="old")
    IncomingCall.objects.filter(call_id="old").update(received_at=timezone.now() - datetime.timedelta(minutes=30))
    ring(client, cast.agent, "8123", call_id="taken")
    ring(client, cast.agent, "8124", call_id="waiting")
    api = api_as(client, cast.agent)
    assert api.post("/telephony/incoming/taken/take").status_code == 200
    listed = api.get("/telephony/incoming").json()
    assert [call["call_id"] for call in listed["items"]] == ["waiting"]
    assert api.get("/telephony/incoming", {"since": listed["now"]}).json()["items"] == []


def test_a_call_taken_by_one_agent_cannot_be_taken_by_another(cast, client, desk):
    ring(client, cast.agent, "8123")
    assert api_as(client, cast.agent).post("/telephony/incoming/c-1/take").json()["taken_by"] == "agent"
    assert api_as(client, cast.agent).post("/telephony/incoming/c-1/take").status_code == 200
    assert api_as(client, cast.dispatcher).post("/telephony/incoming/c-1/take").status_code == 409
    assert api_as(client, cast.agent).post("/telephony/incoming/nope/take").status_code == 404


def test_the_console_is_for_the_desk(cast, client, desk):
    assert api_as(client, cast.department_user).get("/telephony/incoming").status_code == 403
    assert api_as(client, cast.worker).get("/telephony/incoming").status_code == 403
    response = api_as(client, cast.agent).get("/telephony/incoming", {"since": "soon"})
    assert response.status_code == 400 and "since" in response.json()["errors"]


def test_an_order_recorded_during_the_call_is_linked_to_it(cast, client, desk):
    ring(client, cast.agent, "8123", call_id="pbx-7")
    response = api_as(client, cast.agent).post(
        "/work-orders",
        {"category": "ELEC", "location": "A1-3F-312", "description": "灯不亮", "channel": "phone", "call_id": "pbx-7"},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["requester_phone"] == "8123" and body["requester_name"] == "心内科护士站"
    assert body["department"]["code"] == "XNK" and body["status"] == "accepted"
    call = IncomingCall.objects.get(call_id="pbx-7")
    assert call.order_id == body["id"] and call.agent == cast.agent
    assert api_as(client, cast.agent).get("/telephony/incoming").json()["items"] == []
