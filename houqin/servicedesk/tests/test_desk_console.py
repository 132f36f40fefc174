"""The agent's console: a phone request recorded (and dispatched) in one POST, the caller lookup,
the screen-pop of incoming calls and the queue of requests waiting to be accepted."""

import pytest
from django.urls import reverse

from houqin.org.tests.factories import DirectoryEntryFactory
from houqin.servicedesk import telephony
from houqin.servicedesk.models import Channel, EventKind, IncomingCall, Status, WorkOrder
from houqin.servicedesk.tests.test_desk_support import (
    accepted_order,
    make_building,
    make_category,
    make_room,
    make_team,
    make_worker,
    new_order,
)

DESK = reverse("servicedesk:desk")


@pytest.fixture
def world(cast):
    team = make_team(cast, name="水电班")
    building = make_building(cast, "ZY", "住院楼")
    return {
        "team": team,
        "category": make_category(team, name="电气"),
        "worker": make_worker(cast, team, "王师傅"),
        "room": make_room(building, "ZY-512", "512病房"),
    }


def intake(world, **extra):
    data = {
        "requester_phone": "6101",
        "requester_name": "李护士",
        "location": world["room"].pk,
        "category": world["category"].pk,
        "priority": "",
        "description": "512病房灯不亮",
        "intent": "dispatch",
    }
    data.update(extra)
    return data


def test_the_desk_records_and_dispatches_in_one_post(cast, client_for, world):
    response = client_for(cast.agent).post(DESK, intake(world))

    order = WorkOrder.objects.get()
    assert response.status_code == 302 and f"recorded={order.pk}" in response["Location"]
    assert order.status == Status.DISPATCHED and order.channel == Channel.PHONE
    assert order.owner == cast.agent and order.accepted_at is not None
    assert order.assignee == world["worker"] and order.team == world["team"]
    assert order.requester_phone == "6101" and order.location == world["room"]
    # Created as accepted by the agent, then dispatched, in the one transaction.
    assert list(order.events.values_list("kind", flat=True)) == [
        EventKind.CREATED,
        EventKind.ACCEPTED,
        EventKind.DISPATCHED,
    ]
    page = client_for(cast.agent).get(response["Location"])
    assert order.number in page.content.decode()


def test_the_agent_may_choose_another_worker(cast, client_for, world):
    other = make_worker(cast, world["team"], "赵师傅")
    client_for(cast.agent).post(DESK, intake(world, other_assignee=other.pk))

    assert WorkOrder.objects.get().assignee == other


def test_accept_only_leaves_the_order_for_dispatch(cast, client_for, world):
    client_for(cast.agent).post(DESK, intake(world, intent="accept"))

    order = WorkOrder.objects.get()
    assert order.status == Status.ACCEPTED and order.assignee is None


def test_accept_only_still_dispatches_a_category_that_dispatches_itself(cast, client_for, world):
    world["category"].auto_dispatch = True
    world["category"].save()
    client_for(cast.agent).post(DESK, intake(world, intent="accept"))

    assert WorkOrder.objects.get().assignee == world["worker"]


def test_it_refuses_a_request_without_a_description_and_keeps_what_was_typed(cast, client_for, world):
    response = client_for(cast.agent).post(DESK, intake(world, description=""))

    assert response.status_code == 400
    assert WorkOrder.objects.count() == 0
    page = response.content.decode()
    assert "is-invalid" in page or "invalid-feedback" in page
    assert 'value="6101"' in page


def test_nothing_is_written_when_nobody_can_be_dispatched(cast, client_for, world):
    category = make_category(None, name="无班组")
    response = client_for(cast.agent).post(DESK, intake(world, category=category.pk))

    assert response.status_code == 400
    assert WorkOrder.objects.count() == 0


def test_a_workers_and_a_department_user_may_not_open_the_desk(cast, client_for):
    assert client_for(cast.worker).get(DESK).status_code == 403
    assert client_for(cast.department_user).get(DESK).status_code == 403


def test_the_desk_opens_with_the_phone_box_focused(cast, client_for, world):
    page = client_for(cast.agent).get(DESK).content.decode()
    phone_box = page[page.index('name="requester_phone"') - 20 : page.index('name="requester_phone"') + 400]

    assert "autofocus" in phone_box


def test_the_lookup_shows_who_calls_and_fills_their_location(cast, client_for, world):
    DirectoryEntryFactory(number="6101", label="心内科护士站", department=cast.dept, location=world["room"])
    accepted_order(cast, world["category"], location=world["room"], requester_phone="6101")

    response = client_for(cast.agent).get(
        reverse("servicedesk:desk_lookup"), {"requester_phone": "6101", "location": "", "category": ""}
    )

    page = response.content.decode()
    assert "心内科护士站" in page and cast.dept.name in page
    assert 'id="desk-f-location" ' in page and 'hx-swap-oob="true"' in page
    assert str(world["room"]) in page  # the picker shows the usual location
    assert WorkOrder.objects.get().number in page  # and the recent order


def test_the_lookup_does_not_overwrite_a_location_already_chosen(cast, client_for, world):
    DirectoryEntryFactory(number="6101", label="心内科护士站", location=world["room"])

    page = (
        client_for(cast.agent)
        .get(reverse("servicedesk:desk_lookup"), {"requester_phone": "6101", "location": "999"})
        .content.decode()
    )

    assert 'id="desk-f-location"' not in page


def test_the_suggestion_follows_the_category(cast, client_for, world):
    response = client_for(cast.agent).get(
        reverse("servicedesk:desk_assist"),
        {"category": world["category"].pk, "location": world["room"].pk},
        headers={"HX-Request": "true", "HX-Trigger": "desk-f-category"},
    )

    page = response.content.decode()
    assert "王师傅" in page and 'id="desk-f-priority"' in page


def test_the_category_picker_finds_categories_by_pinyin(cast, client_for, world):
    items = client_for(cast.agent).get(reverse("servicedesk:category_pick"), {"q": "dq"}).json()["items"]

    assert [item["id"] for item in items] == [world["category"].pk]


def test_an_incoming_call_pops_up_and_fills_the_form_when_taken(cast, client_for, world):
    DirectoryEntryFactory(number="6101", label="心内科护士站", department=cast.dept, location=world["room"])
    call, _matches, _created = telephony.record_call(caller="6101", callee="8000", call_id="c-1")
    client = client_for(cast.agent)

    assert "6101" in client.get(reverse("servicedesk:desk_calls")).content.decode()
    response = client.post(reverse("servicedesk:desk_take_call", args=[call.pk]), headers={"HX-Request": "true"})

    page = response.content.decode()
    assert response.status_code == 200
    assert f'name="call" value="{call.pk}"' in page and 'value="6101"' in page and str(world["room"]) in page
    call.refresh_from_db()
    assert call.agent == cast.agent
    assert "6101" not in client.get(reverse("servicedesk:desk_calls")).content.decode()

    client.post(DESK, intake(world, call=call.pk))
    call.refresh_from_db()
    assert call.order == WorkOrder.objects.get()


def test_a_call_another_agent_took_answers_a_conflict(cast, client_for, world):
    call, _matches, _created = telephony.record_call(caller="6101", callee="8000", call_id="c-2")
    telephony.take_call(call, by=cast.dispatcher)

    response = client_for(cast.agent).post(
        reverse("servicedesk:desk_take_call", args=[call.pk]), headers={"HX-Request": "true"}
    )

    assert response.status_code == 409 and response["HX-Refresh"] == "true"
    assert IncomingCall.objects.get().agent == cast.dispatcher


def test_the_queue_lists_waiting_requests_oldest_first_and_accepts_in_one_click(cast, client_for, world):
    first = new_order(cast, world["category"], description="先报的")
    second = new_order(cast, world["category"], description="后报的")
    client = client_for(cast.agent)

    page = client.get(reverse("servicedesk:desk_queue")).content.decode()
    assert page.index(first.number) < page.index(second.number)

    response = client.post(
        reverse("servicedesk:desk_queue_accept", args=[first.pk]),
        {"version": first.version},
        headers={"HX-Request": "true"},
    )
    first.refresh_from_db()
    assert response.status_code == 200 and first.status == Status.ACCEPTED and first.owner == cast.agent
    assert first.number not in response.content.decode().split("</div>", 2)[-1]


def test_accepting_a_request_changed_meanwhile_is_a_conflict_and_changes_nothing(cast, client_for, world):
    order = new_order(cast, world["category"])
    seen = order.version
    client_for(cast.dispatcher).post(
        reverse("servicedesk:desk_queue_accept", args=[order.pk]), {"version": seen}, headers={"HX-Request": "true"}
    )
    order.refresh_from_db()
    events = order.events.count()

    response = client_for(cast.agent).post(
        reverse("servicedesk:desk_queue_accept", args=[order.pk]), {"version": seen}, headers={"HX-Request": "true"}
    )

    order.refresh_from_db()
    assert response.status_code == 409 and response["HX-Refresh"] == "true"
    assert order.owner == cast.dispatcher and order.events.count() == events


def test_a_poll_after_the_session_ended_sends_the_whole_page_to_the_login(client):
    response = client.get(
        reverse("servicedesk:desk_calls"),
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/servicedesk/desk/"},
    )

    assert response.status_code == 401 and response["HX-Redirect"].startswith(reverse("accounts:login"))
    assert "next=/servicedesk/desk/" in response["HX-Redirect"]


def test_a_mangled_link_opens_the_empty_console(cast, client_for, world):
    client = client_for(cast.agent)

    for mangled in ("abc", "²", "99999999999999999999999"):
        response = client.get(DESK, {"call": mangled, "recorded": mangled})
        assert response.status_code == 200 and response.context["recorded"] is None
