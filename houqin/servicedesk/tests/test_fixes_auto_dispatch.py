"""A category dispatched automatically: the desk's console and queue did it, the API, the
requester portal and the QR label page did not. Now every channel does, once."""

from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.urls import reverse

from houqin.core.tests.apiclient import api_as
from houqin.org.models import EmploymentType, LocationKind
from houqin.org.tests.factories import LocationFactory, PersonFactory, TeamFactory
from houqin.servicedesk.models import Channel, EventKind, Status, WorkOrder
from houqin.servicedesk.tests.factories import ServiceCategoryFactory


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def transport(cast):
    """Specimen transport, dispatched automatically to the porters' team, one porter on duty."""
    room = LocationFactory(code="B1-501", name="501", kind=LocationKind.ROOM, site=cast.site, department=cast.dept)
    porters = TeamFactory(code="YS", name="运送班", company=cast.hospital, site=cast.site)
    porter = PersonFactory(
        name="刘师傅", company=cast.hospital, team=porters, on_duty=True, employment_type=EmploymentType.PERMANENT
    )
    specimens = ServiceCategoryFactory(
        code="YS-BB", name="标本运送", default_team=porters, auto_dispatch=True, requires_location=True
    )
    repairs = ServiceCategoryFactory(code="WX-DQ", name="电气", default_team=porters, requires_location=True)
    return SimpleNamespace(room=room, porters=porters, porter=porter, specimens=specimens, repairs=repairs)


REQUEST = {"category": "YS-BB", "location": "B1-501", "description": "送血标本到检验科"}


def dispatch_events(order):
    return list(order.events.filter(kind=EventKind.DISPATCHED).values_list("actor_id", "actor_name", "from_status"))


# --- API ---------------------------------------------------------------------------------------


def test_a_request_through_the_api_goes_straight_to_the_suggested_worker(cast, client, transport):
    response = api_as(client, cast.department_user).post("/work-orders", REQUEST)

    assert response.status_code == 201, response.json()
    body = response.json()
    order = WorkOrder.objects.get(pk=body["id"])
    assert body["status"] == "dispatched" and order.status == Status.DISPATCHED
    assert order.assignee == transport.porter and order.team == transport.porters
    # The system dispatched it: nobody became the first-contact owner.
    assert order.owner is None and order.accepted_at is not None
    assert dispatch_events(order) == [(None, "system", Status.NEW)]


def test_a_phone_request_recorded_through_the_api_is_dispatched_by_the_agent_as_on_the_console(cast, client, transport):
    response = api_as(client, cast.agent).post("/work-orders", {**REQUEST, "channel": "phone"})

    order = WorkOrder.objects.get(pk=response.json()["id"])
    assert order.status == Status.DISPATCHED and order.assignee == transport.porter
    assert order.owner == cast.agent
    assert dispatch_events(order) == [(cast.agent.pk, "agent", Status.ACCEPTED)]


def test_an_idempotent_replay_dispatches_once(cast, client, transport):
    api = api_as(client, cast.department_user)

    first = api.post("/work-orders", REQUEST, HTTP_IDEMPOTENCY_KEY="lis-4711")
    again = api.post("/work-orders", REQUEST, HTTP_IDEMPOTENCY_KEY="lis-4711")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    order = WorkOrder.objects.get()
    assert len(dispatch_events(order)) == 1 and order.version == 2


def test_with_nobody_on_duty_the_request_waits_and_the_apis_accept_dispatches_it(cast, client, transport):
    transport.porter.on_duty = False
    transport.porter.save()
    created = api_as(client, cast.department_user).post("/work-orders", REQUEST).json()
    assert created["status"] == "new"

    transport.porter.on_duty = True
    transport.porter.save()
    response = api_as(client, cast.agent).post(f"/work-orders/{created['id']}/accept", {"version": created["version"]})

    assert response.status_code == 200, response.json()
    order = WorkOrder.objects.get()
    assert response.json()["status"] == "dispatched" and order.assignee == transport.porter
    assert order.owner == cast.agent
    assert list(order.events.values_list("kind", flat=True)) == [
        EventKind.CREATED,
        EventKind.ACCEPTED,
        EventKind.DISPATCHED,
    ]


def test_other_categories_still_wait_for_the_desk(cast, client, transport):
    body = api_as(client, cast.department_user).post("/work-orders", {**REQUEST, "category": "WX-DQ"}).json()
    assert body["status"] == "new" and body["assignee"] is None
    accepted = api_as(client, cast.agent).post(f"/work-orders/{body['id']}/accept", {"version": body["version"]})
    assert accepted.json()["status"] == "accepted"


# --- portal and QR label -----------------------------------------------------------------------


def test_a_request_from_the_portal_is_dispatched_automatically(cast, client_for, transport):
    client = client_for(cast.department_user)
    response = client.post(
        reverse("servicedesk:portal_report"),
        {"category": transport.specimens.pk, "description": "送血标本", "location": transport.room.pk},
    )

    order = WorkOrder.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("servicedesk:portal_request", args=[order.pk])
    assert order.status == Status.DISPATCHED and order.assignee == transport.porter
    assert order.requester_user == cast.department_user and order.channel == Channel.WEB


def test_a_request_from_a_qr_label_is_dispatched_automatically(client, transport):
    url = reverse("servicedesk:portal_report") + f"?location={transport.room.label_code}"
    response = client.post(
        url,
        {
            "category": transport.specimens.pk,
            "description": "有标本要送",
            "phone": "13912345678",
            "location": transport.room.label_code,
        },
    )

    order = WorkOrder.objects.get()
    assert response["Location"] == reverse("servicedesk:portal_track", args=[order.public_token])
    assert order.status == Status.DISPATCHED and order.assignee == transport.porter
    assert order.channel == Channel.QR and order.owner is None
    [(actor, _name, from_status)] = dispatch_events(order)
    assert (actor, from_status) == (None, Status.NEW)
