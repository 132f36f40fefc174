"""The whole road of one order, and the refusals a desk agent or a worker would meet."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from houqin.core.exceptions import ConflictError
from houqin.org.models import Person
from houqin.org.tests.factories import TeamFactory
from houqin.servicedesk import services
from houqin.servicedesk.models import EventKind, FollowUpMethod, HoldReason, Status
from houqin.servicedesk.tests.factories import ServiceCategoryFactory


@pytest.fixture
def order(cast):
    category = ServiceCategoryFactory(name="电气")
    return services.create_work_order(
        category=category, description="病房灯不亮", by=cast.agent, accept=True, channel="phone"
    )


def worker_person(cast):
    person = Person.objects.get(user=cast.worker)
    person.team = TeamFactory(company=person.company)
    person.save()
    return person


def test_an_order_goes_from_call_to_assessment(cast, order):
    assert order.status == Status.ACCEPTED and order.owner == cast.agent
    assert order.number.startswith("WO") and order.completion_due - order.created == datetime.timedelta(minutes=1440)
    person = worker_person(cast)
    order = services.dispatch(order, by=cast.agent, assignee=person)
    order = services.start(order, by=cast.worker)
    order = services.hold(order, by=cast.worker, reason=HoldReason.PARTS)
    order = services.resume(order, by=cast.worker)
    assert order.status == Status.IN_PROGRESS and order.held_for_parts
    order = services.complete(order, by=cast.worker, note="更换灯管", labor_minutes=20)
    order = services.follow_up(order, by=cast.agent, rating=5, method=FollowUpMethod.PHONE)
    order = services.close(order, by=cast.inspector, score=95)
    assert order.status == Status.CLOSED
    kinds = list(order.events.values_list("kind", flat=True))
    assert kinds == [
        EventKind.CREATED,
        EventKind.ACCEPTED,
        EventKind.DISPATCHED,
        EventKind.STARTED,
        EventKind.HELD,
        EventKind.RESUMED,
        EventKind.COMPLETED,
        EventKind.FOLLOWED_UP,
        EventKind.CLOSED,
    ]


def test_it_refuses_a_change_based_on_an_old_version(cast, order):
    person = worker_person(cast)
    seen = order.version
    services.dispatch(order, by=cast.agent, assignee=person, version=seen)
    with pytest.raises(ConflictError):
        services.dispatch(order, by=cast.dispatcher, assignee=person, version=seen)


def test_it_refuses_to_complete_an_order_nobody_started(cast, order):
    with pytest.raises(ConflictError):
        services.complete(order, by=cast.dispatcher, note="done", labor_minutes=5)


def test_a_complaint_needs_an_answer_to_close(cast):
    category = ServiceCategoryFactory(name="投诉", is_complaint=True)
    order = services.create_work_order(category=category, description="态度差", by=cast.agent, accept=True)
    order = services.dispatch(order, by=cast.agent, assignee=worker_person(cast))
    order = services.start(order, by=cast.worker)
    order = services.complete(order, by=cast.worker, note="已处理", labor_minutes=10)
    with pytest.raises(ValidationError) as refused:
        services.close(order, by=cast.inspector)
    assert "answer" in refused.value.message_dict
