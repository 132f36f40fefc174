"""Every workflow action through the API: it succeeds for the right person in the right status, and
is refused clearly otherwise (409 wrong status or stale version, 403 wrong role, 404 outside the
scope, 400 a bad body naming the fields)."""

import pytest

from houqin.core.tests.apiclient import api_as
from houqin.servicedesk import services
from houqin.servicedesk.models import EventKind, FollowUpMethod, HoldReason, Status, WorkOrder
from houqin.servicedesk.tests.test_api_work_orders import make_desk, new_order


@pytest.fixture
def desk(cast):
    return make_desk(cast)


def order_in(desk, status: str, **kwargs) -> WorkOrder:
    """An electrical order brought to status the ordinary way (the worker is cast.worker)."""
    cast = desk.cast
    if status == Status.NEW:
        return new_order(desk, accept=False, **kwargs)
    order = new_order(desk, **kwargs)
    if status == Status.ACCEPTED:
        return order
    order = services.dispatch(order, by=cast.agent, assignee=desk.worker)
    if status == Status.DISPATCHED:
        return order
    order = services.start(order, by=cast.worker)
    if status == Status.IN_PROGRESS:
        return order
    if status == Status.ON_HOLD:
        return services.hold(order, by=cast.worker, reason=HoldReason.PARTS)
    order = services.complete(order, by=cast.worker, note="更换灯管", labor_minutes=20)
    if status == Status.COMPLETED:
        return order
    order = services.follow_up(order, by=cast.agent, rating=5, method=FollowUpMethod.PHONE)
    if status == Status.FOLLOWED_UP:
        return order
    raise ValueError(status)


def post(client, user, order, action, body):
    return api_as(client, user).post(f"/work-orders/{order.number}/{action}", body)


# action, starting status, who, body (a callable of desk for references), resulting status
SUCCESSES = [
    ("accept", "new", "agent", {}, "accepted"),
    ("dispatch", "accepted", "dispatcher", lambda d: {"assignee": d.worker.employee_no}, "dispatched"),
    ("dispatch", "new", "agent", {"team": "MEP"}, "dispatched"),
    ("start", "dispatched", "worker", {}, "in_progress"),
    ("hold", "in_progress", "worker", {"reason": "contractor", "note": "等厂家"}, "on_hold"),
    ("resume", "on_hold", "worker", {"note": "配件到了"}, "in_progress"),
    ("complete", "in_progress", "worker", {"note": "更换灯管", "labor_minutes": 25, "difficulty": 1.5}, "completed"),
    ("follow-up", "completed", "agent", {"rating": 4, "method": "phone", "comment": "满意"}, "followed_up"),
    ("close", "followed_up", "inspector", {"score": 90, "remarks": "及时"}, "closed"),
    ("close", "completed", "inspector", {}, "closed"),
    ("cancel", "accepted", "agent", {"reason": "报修人撤回"}, "cancelled"),
    ("reopen", "completed", "agent", {"reason": "灯又灭了"}, "dispatched"),
    ("transfer", "accepted", "dispatcher", {"team": "CLN", "reason": "其实是保洁"}, "accepted"),
    ("comment", "dispatched", "agent", {"text": "请尽快处理"}, "dispatched"),
]


@pytest.mark.parametrize(("action", "start", "who", "body", "result"), SUCCESSES)
def test_each_action_moves_the_order(cast, client, desk, action, start, who, body, result):
    order = order_in(desk, start)
    body = body(desk) if callable(body) else body
    response = post(client, getattr(cast, who), order, action, {**body, "version": order.version})
    assert response.status_code == 200, response.json()
    answer = response.json()
    assert answer["status"] == result and answer["number"] == order.number
    assert answer["version"] == WorkOrder.objects.get(pk=order.pk).version
    assert answer["timeline"][-1]["actor_name"] == who


# action, a status the action cannot start from
WRONG_STATUS = [
    ("accept", "dispatched", "agent", {}),
    ("dispatch", "in_progress", "dispatcher", {"team": "MEP"}),
    ("start", "accepted", "worker", {}),
    ("hold", "completed", "worker", {"reason": "parts"}),
    ("resume", "in_progress", "worker", {}),
    ("complete", "dispatched", "worker", {"note": "done", "labor_minutes": 5}),
    ("follow-up", "in_progress", "agent", {"rating": 5, "method": "phone"}),
    ("close", "dispatched", "inspector", {"score": 80}),
    ("cancel", "completed", "agent", {"reason": "x"}),
    ("reopen", "in_progress", "agent", {"reason": "x"}),
    ("transfer", "in_progress", "dispatcher", {"team": "CLN", "reason": "x"}),
]


@pytest.mark.parametrize(("action", "start", "who", "body"), WRONG_STATUS)
def test_an_action_in_the_wrong_status_is_a_conflict(cast, client, desk, action, start, who, body):
    order = order_in(desk, start)
    response = post(client, getattr(cast, who), order, action, body)
    assert response.status_code == 409, response.json()
    assert response.json()["detail"].startswith("Cannot ")
    assert WorkOrder.objects.get(pk=order.pk).status == start


# action, status, someone who may see the order but not do this
WRONG_ROLE = [
    ("accept", "new", "worker", {}),
    ("dispatch", "accepted", "worker", {"team": "CLN"}),
    ("start", "dispatched", "agent", {}),
    ("hold", "in_progress", "agent", {"reason": "parts"}),
    ("resume", "on_hold", "agent", {}),
    ("complete", "in_progress", "agent", {"note": "done", "labor_minutes": 5}),
    ("follow-up", "completed", "worker", {"rating": 5, "method": "phone"}),
    ("close", "followed_up", "agent", {"score": 80}),
    ("cancel", "accepted", "worker", {"reason": "x"}),
    ("cancel", "accepted", "department_user", {"reason": "x"}),
    ("reopen", "completed", "worker", {"reason": "x"}),
    ("transfer", "accepted", "worker", {"team": "CLN", "reason": "x"}),
    ("comment", "accepted", "outsider", {"text": "x"}),
]


@pytest.mark.parametrize(("action", "start", "who", "body"), WRONG_ROLE)
def test_an_action_by_the_wrong_role_is_forbidden(cast, client, desk, action, start, who, body):
    order = order_in(desk, start)
    response = post(client, getattr(cast, who), order, action, body)
    assert response.status_code == 403, response.json()
    assert WorkOrder.objects.get(pk=order.pk).status == start


ACTIONS_AND_STATUSES = [
    ("accept", "new", {}),
    ("dispatch", "accepted", {"team": "MEP"}),
    ("start", "dispatched", {}),
    ("hold", "in_progress", {"reason": "parts"}),
    ("resume", "on_hold", {}),
    ("complete", "in_progress", {"note": "done", "labor_minutes": 5}),
    ("follow-up", "completed", {"rating": 5, "method": "phone"}),
    ("close", "followed_up", {}),
    ("cancel", "accepted", {"reason": "x"}),
    ("reopen", "completed", {"reason": "x"}),
    ("transfer", "accepted", {"team": "CLN", "reason": "x"}),
    ("comment", "accepted", {"text": "x"}),
]


@pytest.mark.parametrize(("action", "start", "body"), ACTIONS_AND_STATUSES)
def test_an_order_outside_the_scope_is_not_found(cast, client, desk, action, start, body):
    """The hospital's MEP order is invisible to the cleaning contractor's manager, whatever they try."""
    order = order_in(desk, start)
    response = post(client, cast.contractor_manager, order, action, body)
    assert response.status_code == 404
    assert api_as(client, cast.agent).post(f"/work-orders/WO000000-00000/{action}", body).status_code == 404


@pytest.mark.parametrize(("action", "start", "body"), ACTIONS_AND_STATUSES)
def test_a_stale_version_is_a_conflict(cast, client, desk, action, start, body):
    order = order_in(desk, start)
    seen = order.version
    services.comment(order, by=cast.agent, text="x")  # a comment does not change the version…
    WorkOrder.objects.filter(pk=order.pk).update(version=seen + 1)  # …but someone else's change does
    user = {"start": cast.worker, "hold": cast.worker, "resume": cast.worker, "complete": cast.worker}.get(
        action, cast.director if action == "close" else cast.dispatcher if action == "transfer" else cast.agent
    )
    response = post(client, user, order, action, {**body, "version": seen})
    assert response.status_code == 409, response.json()
    assert "changed by someone else" in response.json()["detail"]


BAD_BODIES = [
    ("accept", "new", "agent", {"version": "seven"}, {"version"}),
    ("dispatch", "accepted", "agent", {}, {"assignee"}),
    ("dispatch", "accepted", "agent", {"assignee": "E-NOBODY", "team": "NOTEAM"}, {"assignee", "team"}),
    ("start", "dispatched", "worker", {"location": "NOWHERE"}, {"location"}),
    ("start", "dispatched", "worker", {"location": "B1"}, {"location"}),
    ("hold", "in_progress", "worker", {}, {"reason"}),
    ("hold", "in_progress", "worker", {"reason": "lunch"}, {"reason"}),
    ("hold", "in_progress", "worker", {"reason": "other"}, {"note"}),
    ("resume", "on_hold", "worker", {"version": 0}, {"version"}),
    ("complete", "in_progress", "worker", {"note": "done"}, {"labor_minutes"}),
    ("complete", "in_progress", "worker", {"note": " ", "labor_minutes": 5}, {"note"}),
    ("complete", "in_progress", "worker", {"note": "done", "labor_minutes": 5, "difficulty": 9}, {"difficulty"}),
    ("complete", "in_progress", "worker", {"note": "d", "labor_minutes": 5, "parts": [{"item": "X"}]}, {"parts"}),
    ("follow-up", "completed", "agent", {"rating": 6, "method": "phone"}, {"rating"}),
    ("follow-up", "completed", "agent", {"rating": 3, "method": "auto"}, {"method"}),
    ("close", "followed_up", "inspector", {"score": 101}, {"score"}),
    ("cancel", "accepted", "agent", {}, {"reason"}),
    ("cancel", "accepted", "agent", {"reason": "重复", "duplicate_of": "WO000000-00000"}, {"duplicate_of"}),
    ("reopen", "completed", "agent", {}, {"reason"}),
    ("reopen", "completed", "agent", {"reason": "x", "assignee": "E-NOBODY"}, {"assignee"}),
    ("transfer", "accepted", "dispatcher", {"reason": "x"}, {"team"}),
    ("transfer", "accepted", "dispatcher", {"team": "MEP", "reason": "x"}, {"team"}),
    ("transfer", "accepted", "dispatcher", {"team": "CLN", "reason": "  "}, {"reason"}),
    ("comment", "accepted", "agent", {"text": ""}, {"text"}),
]


@pytest.mark.parametrize(("action", "start", "who", "body", "fields"), BAD_BODIES)
def test_a_bad_body_is_refused_naming_the_fields(cast, client, desk, action, start, who, body, fields):
    order = order_in(desk, start)
    response = post(client, getattr(cast, who), order, action, body)
    assert response.status_code == 400, response.json()
    assert set(response.json()["errors"]) == fields
    assert WorkOrder.objects.get(pk=order.pk).version == order.version


# ---------------------------------------------------------------------------------------------
# What the actions record
# ---------------------------------------------------------------------------------------------


def test_dispatch_by_employee_number_gives_the_job_to_the_workers_team(cast, client, desk):
    order = order_in(desk, "accepted", category=desk.cleaning_category)
    response = post(client, cast.dispatcher, order, "dispatch", {"assignee": desk.worker.employee_no})
    body = response.json()
    assert body["assignee"]["code"] == desk.worker.employee_no and body["team"]["code"] == "MEP"
    assert body["timeline"][-1]["changes"]["team"] == ["保洁一班", "机电班"]


def test_start_accepts_the_scanned_label_of_the_orders_location(cast, client, desk):
    order = order_in(desk, "dispatched")
    response = post(client, cast.worker, order, "start", {"location": desk.room.label_code})
    assert response.status_code == 200
    assert "QR" in response.json()["timeline"][-1]["note"]


def test_complete_keeps_the_parts_on_the_timeline(cast, client, desk):
    order = order_in(desk, "in_progress")
    parts = [{"item": "LAMP-T8", "quantity": 2}, {"item": 17, "quantity": "0.5"}]
    body = post(
        client, cast.worker, order, "complete", {"note": "更换灯管", "labor_minutes": 25, "parts": parts}
    ).json()
    assert body["labor_minutes"] == 25 and body["result_note"] == "更换灯管"
    event = body["timeline"][-1]
    assert event["kind"] == EventKind.COMPLETED
    assert event["changes"]["parts"] == [
        None,
        [{"item": "LAMP-T8", "quantity": "2"}, {"item": "17", "quantity": "0.5"}],
    ]


def test_a_complaint_closes_only_with_an_answer(cast, client, desk):
    order = order_in(desk, "completed", category=desk.complaint)
    response = post(client, cast.director, order, "close", {"score": 60})
    assert response.status_code == 400 and set(response.json()["errors"]) == {"answer"}
    response = post(client, cast.director, order, "close", {"score": 60, "answer": "已向患者致歉并整改"})
    assert response.status_code == 200 and response.json()["answer"] == "已向患者致歉并整改"


def test_a_duplicate_is_merged_into_the_original_by_number(cast, client, desk):
    original = order_in(desk, "dispatched")
    duplicate = order_in(desk, "accepted")
    response = post(client, cast.agent, duplicate, "cancel", {"reason": "重复报修", "duplicate_of": original.number})
    assert response.status_code == 200
    assert response.json()["duplicate_of"] == {"id": original.pk, "number": original.number}
    merged = api_as(client, cast.agent).get(f"/work-orders/{original.pk}").json()["timeline"][-1]
    assert merged["kind"] == EventKind.MERGED
    response = post(client, cast.agent, original, "cancel", {"reason": "x", "duplicate_of": original.pk})
    assert response.status_code == 400 and set(response.json()["errors"]) == {"duplicate_of"}


def test_the_requester_withdraws_a_new_request(cast, client, desk):
    order = order_in(desk, "new", requester_user=cast.department_user)
    response = post(client, cast.department_user, order, "cancel", {"reason": "已自行解决"})
    assert response.status_code == 200 and response.json()["status"] == "cancelled"


def test_the_requester_rates_and_reopens(cast, client, desk):
    order = order_in(desk, "completed", requester_user=cast.department_user)
    response = post(client, cast.department_user, order, "reopen", {"reason": "灯还是不亮"})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "dispatched" and body["rework_count"] == 1
    assert body["assignee"]["code"] == desk.worker.employee_no


def test_a_transfer_answers_the_order_even_when_it_leaves_the_callers_view(cast, client, desk):
    order = order_in(desk, "accepted")
    response = post(client, cast.dispatcher, order, "transfer", {"team": "CLN", "reason": "保洁的活"})
    assert response.status_code == 200 and response.json()["team"]["code"] == "CLN"
    assert response.json()["timeline"][-1]["kind"] == EventKind.TRANSFERRED


def test_two_dispatches_of_one_version_one_wins(cast, client, desk):
    order = order_in(desk, "accepted")
    first = post(client, cast.agent, order, "dispatch", {"team": "MEP", "version": order.version})
    second = post(client, cast.dispatcher, order, "dispatch", {"team": "CLN", "version": order.version})
    assert (first.status_code, second.status_code) == (200, 409)
    assert WorkOrder.objects.get(pk=order.pk).team == desk.mep


def test_a_hold_shows_its_reason_in_the_detail(cast, client, desk):
    order = order_in(desk, "in_progress")
    body = post(client, cast.worker, order, "hold", {"reason": "parts", "note": "等灯管"}).json()
    assert body["hold"]["reason"] == "parts" and body["hold"]["note"] == "等灯管" and body["hold"]["since"]
    assert body["clock"] is None  # the category stops the clock on hold
    assert {a["name"] for a in body["actions"]} == {"resume", "comment"}
