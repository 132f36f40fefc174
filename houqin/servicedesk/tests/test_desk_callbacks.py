"""The call-back workbench: which completed orders are called, the rating with no default, and
the call that did not get through."""

import pytest
from django.urls import reverse

from houqin.servicedesk.desk.callbacks import callback_queue
from houqin.servicedesk.models import EventKind, FollowUpMethod, Status
from houqin.servicedesk.tests.test_desk_support import completed_order, make_category, make_team, make_worker

CALLBACKS = reverse("servicedesk:callbacks")


@pytest.fixture
def world(cast):
    team = make_team(cast)
    return {"team": team, "category": make_category(team), "worker": make_worker(cast, team, "王师傅")}


def record(order):
    return reverse("servicedesk:callback_record", args=[order.pk])


def test_the_list_holds_completed_orders_oldest_first(cast, client_for, world):
    first = completed_order(cast, world["category"], world["worker"], requester_phone="13900000001")
    second = completed_order(cast, world["category"], world["worker"], requester_phone="13900000002")

    assert list(callback_queue(cast.agent)) == [first, second]
    page = client_for(cast.agent).get(CALLBACKS).content.decode()
    assert 'id="callback-phone"' in page and "13900000001" in page


def test_the_sample_share_picks_the_same_orders_every_time(cast, world):
    sampled_category = make_category(world["team"], name="保洁")
    orders = [completed_order(cast, sampled_category, world["worker"], description=f"第{n}单") for n in range(8)]
    # A share that cuts through these orders: the fifth one's slot is not below it.
    sampled_category.followup_sample_percent = orders[4].pk % 100
    sampled_category.save()

    sampled = list(callback_queue(cast.agent))

    assert sampled == [order for order in orders if order.pk % 100 < sampled_category.followup_sample_percent]
    assert orders[4] not in sampled
    assert list(callback_queue(cast.inspector)) == sampled == list(callback_queue(cast.agent))


def test_a_category_sampled_at_zero_is_never_called(cast, world):
    none = make_category(world["team"], name="送餐", followup_sample_percent=0)
    completed_order(cast, none, world["worker"])

    assert list(callback_queue(cast.agent)) == []


def test_the_rating_has_no_default(cast, client_for, world):
    completed_order(cast, world["category"], world["worker"])

    page = client_for(cast.agent).get(CALLBACKS).content.decode()
    rating_inputs = [chunk for chunk in page.split("<input") if 'name="rating"' in chunk]

    assert len(rating_inputs) == 5 and not any(" checked" in chunk.split(">")[0] for chunk in rating_inputs)


def test_saving_without_a_rating_is_refused(cast, client_for, world):
    order = completed_order(cast, world["category"], world["worker"])

    response = client_for(cast.agent).post(
        record(order), {"version": order.version, "intent": "rated", "comment": "挺好"}
    )

    order.refresh_from_db()
    assert response.status_code == 400 and 'id="rating-error"' in response.content.decode()
    assert order.status == Status.COMPLETED and order.rating is None


def test_the_rating_given_on_the_phone_follows_the_order_up(cast, client_for, world):
    order = completed_order(cast, world["category"], world["worker"])

    response = client_for(cast.agent).post(
        record(order), {"version": order.version, "intent": "rated", "rating": "4", "comment": "及时"}
    )

    order.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == CALLBACKS
    assert order.status == Status.FOLLOWED_UP and order.rating == 4
    assert order.follow_up_method == FollowUpMethod.PHONE and order.rating_comment == "及时"


def test_a_call_that_did_not_get_through_moves_the_order_to_the_end(cast, client_for, world):
    first = completed_order(cast, world["category"], world["worker"])
    second = completed_order(cast, world["category"], world["worker"])
    client = client_for(cast.agent)

    client.post(record(first), {"version": first.version, "intent": "failed", "comment": "无人接听"})

    first.refresh_from_db()
    assert first.status == Status.COMPLETED
    assert first.events.get(kind=EventKind.CALL_FAILED).note == "无人接听"
    queue = list(callback_queue(cast.agent))
    assert queue == [second, first] and queue[1].failed_calls == 1
    page = client.get(CALLBACKS, {"order": first.pk}).content.decode()
    assert 'id="callback-retries"' in page


def test_an_order_rated_meanwhile_by_its_requester_is_not_rated_twice(cast, client_for, world):
    from houqin.servicedesk import services

    order = completed_order(cast, world["category"], world["worker"])
    seen = order.version
    services.follow_up(order, by=cast.agent, rating=5, method=FollowUpMethod.REQUESTER)

    response = client_for(cast.inspector).post(record(order), {"version": seen, "intent": "rated", "rating": "2"})

    order.refresh_from_db()
    assert response.status_code == 302 and order.rating == 5


def test_a_department_user_may_not_call_back(cast, client_for):
    assert client_for(cast.department_user).get(CALLBACKS).status_code == 403


def test_a_mangled_order_link_shows_the_first_order_to_call(cast, client_for, world):
    first = completed_order(cast, world["category"], world["worker"], requester_phone="13900000001")
    client = client_for(cast.agent)

    for mangled in ("abc", "²", "12a", "99999999999999999999999"):
        response = client.get(CALLBACKS, {"order": mangled})
        assert response.status_code == 200 and response.context["order"] == first
