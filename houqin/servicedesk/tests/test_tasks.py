"""The service desk's periodic jobs: the SLA sweep and the auto-close of unrated orders."""

import datetime

import pytest
from django.utils import timezone

from houqin.org.models import Person
from houqin.servicedesk import services, tasks
from houqin.servicedesk.models import EventKind, FollowUpMethod, Status
from houqin.servicedesk.tests.factories import ServiceCategoryFactory

pytestmark = pytest.mark.django_db


def completed_order(cast, category, *, hours_ago: float):
    order = services.create_work_order(category=category, description="门锁坏了", by=cast.agent, accept=True)
    order = services.dispatch(order, by=cast.agent, assignee=Person.objects.get(user=cast.worker))
    order = services.start(order, by=cast.worker)
    order = services.complete(order, by=cast.worker, note="换锁芯", labor_minutes=15)
    order.completed_at = timezone.now() - datetime.timedelta(hours=hours_ago)
    order.save(update_fields=["completed_at"])
    return order


def test_unrated_orders_close_after_their_categorys_time(cast):
    three_days = ServiceCategoryFactory(name="门窗", auto_close_hours=72)
    one_day = ServiceCategoryFactory(name="保洁", auto_close_hours=24)
    never = ServiceCategoryFactory(name="医疗设备", auto_close_hours=None)
    complaint = ServiceCategoryFactory(name="投诉", is_complaint=True, auto_close_hours=24)
    due = [completed_order(cast, three_days, hours_ago=73), completed_order(cast, one_day, hours_ago=25)]
    waiting = [
        completed_order(cast, three_days, hours_ago=30),
        completed_order(cast, never, hours_ago=500),
        completed_order(cast, complaint, hours_ago=500),
    ]
    assert tasks.auto_close_orders.call() == 2
    for order in due:
        order.refresh_from_db()
        assert order.status == Status.CLOSED and order.follow_up_method == FollowUpMethod.AUTO and order.rating == 5
    for order in waiting:
        order.refresh_from_db()
        assert order.status == Status.COMPLETED
    assert tasks.auto_close_orders.call() == 0  # nothing is closed twice


def test_the_sla_sweep_task_runs_the_sweep(cast):
    category = ServiceCategoryFactory(name="电气")
    order = services.create_work_order(
        category=category,
        description="跳闸",
        by=cast.agent,
        accept=True,
        at=timezone.now() - datetime.timedelta(days=2),
    )
    assert tasks.sla_sweep.call() == {"warned": 0, "breached": 1}
    assert tasks.sla_sweep.call() == {"warned": 0, "breached": 0}
    assert order.events.filter(kind=EventKind.SLA_BREACH).count() == 1
