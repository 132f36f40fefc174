"""The order list and the order page with its actions: scope, query counts, conflicts, refusals."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from houqin.servicedesk import services, sla
from houqin.servicedesk.models import EventKind, Status, WorkOrder
from houqin.servicedesk.tests.test_desk_support import (
    accepted_order,
    completed_order,
    make_building,
    make_category,
    make_room,
    make_team,
    make_worker,
    new_order,
)

LIST = reverse("servicedesk:order_list")


@pytest.fixture
def world(cast):
    team = make_team(cast, name="水电班")
    return {
        "team": team,
        "category": make_category(team, name="电气"),
        "worker": make_worker(cast, team, "王师傅"),
        "room": make_room(make_building(cast, "ZY", "住院楼"), "ZY-512", "512病房"),
    }


def action_url(order, action):
    return reverse("servicedesk:order_action", kwargs={"pk": order.pk, "action": action})


def _list_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_list_costs_the_same_queries_for_3_and_30_orders(cast, client_for, world):
    client = client_for(cast.agent)
    for n in range(3):
        order = accepted_order(cast, world["category"], location=world["room"], description=f"单{n}")
        services.dispatch(order, by=cast.agent, assignee=world["worker"])
    few = _list_queries(client, LIST + "?per_page=50")
    for n in range(27):
        accepted_order(cast, world["category"], location=world["room"], description=f"多{n}")
    many = _list_queries(client, LIST + "?per_page=50")

    assert few == many


def test_the_list_pins_its_queries(cast, client_for, world, django_assert_max_num_queries):
    for n in range(10):
        accepted_order(cast, world["category"], location=world["room"], description=f"单{n}")
    client = client_for(cast.agent)
    with django_assert_max_num_queries(14):
        client.get(LIST, {"status": ["accepted"], "location": world["room"].code, "sort": "priority"})


def test_the_list_filters_and_shows_countdowns(cast, client_for, world):
    waiting = new_order(cast, world["category"], description="新报")
    taken = accepted_order(cast, world["category"], description="接了")

    page = client_for(cast.agent).get(LIST, {"status": "new"}).content.decode()

    assert waiting.number in page and taken.number not in page
    assert "hq-badge-green" in page  # on time: green countdown
    assert "every 30s" in page


def test_the_list_refreshes_only_its_table_for_htmx(cast, client_for, world):
    accepted_order(cast, world["category"])
    response = client_for(cast.agent).get(LIST, headers={"HX-Request": "true", "HX-Target": "hq-results"})

    page = response.content.decode()
    assert "<html" not in page and "hq-table" in page


def test_a_department_user_sees_only_their_departments_orders(cast, client_for, world):
    mine = new_order(cast, world["category"], department=cast.dept)
    other = accepted_order(cast, world["category"], department=cast.other_dept)
    client = client_for(cast.department_user)

    page = client.get(LIST).content.decode()

    assert mine.number in page and other.number not in page
    assert client.get(reverse("servicedesk:order_detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("servicedesk:order_detail", args=[mine.pk])).status_code == 200


def test_an_order_outside_the_scope_cannot_be_acted_on(cast, client_for, world):
    other = accepted_order(cast, world["category"], department=cast.other_dept)
    response = client_for(cast.department_user).post(
        action_url(other, "comment"), {"comment-version": other.version, "comment-text": "催一下"}
    )
    assert response.status_code == 404


def test_the_order_page_shows_the_timeline_and_the_actions_that_apply(cast, client_for, world):
    order = accepted_order(cast, world["category"], location=world["room"])
    page = client_for(cast.agent).get(reverse("servicedesk:order_detail", args=[order.pk])).content.decode()

    assert order.number in page and "512病房" in page
    assert 'id="action-dispatch"' in page and 'id="action-transfer"' in page
    assert 'id="action-complete"' not in page  # nobody is working on it yet
    assert "王师傅" in page  # suggested in the dispatch form


def test_dispatching_from_the_order_page(cast, client_for, world):
    order = accepted_order(cast, world["category"])
    response = client_for(cast.agent).post(
        action_url(order, "dispatch"), {"dispatch-version": order.version, "dispatch-assignee": world["worker"].pk}
    )

    order.refresh_from_db()
    assert response.status_code == 302
    assert order.status == Status.DISPATCHED and order.assignee == world["worker"]


def test_a_stale_version_shows_the_conflict_and_changes_nothing(cast, client_for, world):
    order = accepted_order(cast, world["category"])
    seen = order.version
    services.dispatch(order, by=cast.dispatcher, assignee=world["worker"], version=seen)
    order.refresh_from_db()
    before = (order.status, order.version, order.events.count())
    cast.agent.language = "en"
    cast.agent.save()

    response = client_for(cast.agent).post(
        action_url(order, "transfer"),
        {"transfer-version": seen, "transfer-team": make_team(cast).pk, "transfer-reason": "不归我们"},
    )

    order.refresh_from_db()
    page = response.content.decode()
    assert response.status_code == 409
    assert 'id="order-conflict"' in page and "changed by someone else meanwhile" in page
    assert (order.status, order.version, order.events.count()) == before
    assert 'id="order-status"' in page  # the current state is shown


def test_a_stale_version_through_htmx_answers_409_and_reloads(cast, client_for, world):
    order = accepted_order(cast, world["category"])
    seen = order.version
    services.dispatch(order, by=cast.dispatcher, assignee=world["worker"], version=seen)

    response = client_for(cast.agent).post(
        action_url(order, "dispatch"),
        {"dispatch-version": seen, "dispatch-assignee": world["worker"].pk},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 409 and response["HX-Refresh"] == "true"


def test_bad_input_comes_back_on_the_field(cast, client_for, world):
    order = accepted_order(cast, world["category"])
    response = client_for(cast.agent).post(
        action_url(order, "transfer"), {"transfer-version": order.version, "transfer-team": make_team(cast).pk}
    )

    order.refresh_from_db()
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="action-transfer"' in page and " open" in page and "invalid-feedback" in page
    assert order.events.filter(kind=EventKind.TRANSFERRED).count() == 0


def test_a_worker_may_not_dispatch(cast, client_for, world):
    from houqin.org.models import Person

    person = Person.objects.get(user=cast.worker)
    person.team = world["team"]
    person.save()
    order = services.dispatch(accepted_order(cast, world["category"]), by=cast.agent, assignee=world["worker"])

    response = client_for(cast.worker).post(
        action_url(order, "dispatch"), {"dispatch-version": order.version, "dispatch-assignee": person.pk}
    )

    assert response.status_code == 403


def test_closing_a_complaint_asks_for_the_answer(cast, client_for, world):
    complaint = make_category(world["team"], name="投诉", is_complaint=True)
    order = completed_order(cast, complaint, world["worker"])

    response = client_for(cast.inspector).post(
        action_url(order, "close"), {"close-version": order.version, "close-score": "90"}
    )

    order.refresh_from_db()
    assert response.status_code == 400 and order.status == Status.COMPLETED
    assert "A complaint needs a written answer" in response.content.decode() or "answer" in response.content.decode()


def test_merging_a_duplicate_by_number(cast, client_for, world):
    original = accepted_order(cast, world["category"], description="原单")
    duplicate = accepted_order(cast, world["category"], description="重复")

    client_for(cast.agent).post(
        action_url(duplicate, "cancel"),
        {"cancel-version": duplicate.version, "cancel-reason": "重复报修", "cancel-duplicate_of": original.number},
    )

    duplicate.refresh_from_db()
    assert duplicate.status == Status.CANCELLED and duplicate.duplicate_of == original


def test_the_export_gives_the_filtered_rows(cast, client_for, world):
    accepted_order(cast, world["category"], description="导出我")
    new_order(cast, world["category"], description="不导出")

    response = client_for(cast.dispatcher).get(
        reverse("servicedesk:order_export"), {"format": "csv", "status": "accepted"}
    )

    text = response.content.decode("utf-8-sig")
    assert response.status_code == 200 and "导出我" in text and "不导出" not in text
    assert WorkOrder.objects.count() == 2


def test_the_timeline_names_the_deadline_and_the_parts_used_in_the_pages_language(cast, client_for, world):
    # Keys of an event that are no field of the order were shown as they are stored, in English.
    order = accepted_order(cast, world["category"])
    sla.sweep(now=order.response_due + datetime.timedelta(minutes=1))
    order = services.dispatch(WorkOrder.objects.get(pk=order.pk), by=cast.agent, assignee=world["worker"])
    order = services.start(order, by=cast.dispatcher)
    parts = [{"item": "LED-18W", "quantity": "2"}]
    services.complete(order, by=cast.dispatcher, note="换了灯管", labor_minutes=20, parts=parts)

    page = client_for(cast.agent).get(reverse("servicedesk:order_detail", args=[order.pk])).content.decode()

    assert "时限:" in page and "Target" not in page
    assert "所用配件:" in page and "LED-18W × 2" in page and "quantity" not in page
