"""Scope is the right to view work orders first, narrowed by the role's scope: a requester who
lost (or never had) servicedesk.view_workorder sees none of their orders, through the API or
the pages; and a comment, like every other action, is only for orders the user can see."""

import datetime
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from houqin.conftest import make_user
from houqin.core.tests.apiclient import api_as
from houqin.org.models import EmploymentType
from houqin.org.tests.factories import PersonFactory, TeamFactory
from houqin.servicedesk import services
from houqin.servicedesk.models import EventKind, HoldReason, Status, WorkOrder
from houqin.servicedesk.services import may_act
from houqin.servicedesk.tests.factories import ServiceCategoryFactory


def group_with(name: str, *codenames: str) -> Group:
    group = Group.objects.create(name=name)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="servicedesk", codename__in=codenames))
    return group


@pytest.fixture
def world(cast):
    electricians = TeamFactory(company=cast.hospital, name="电工班")
    plumbers = TeamFactory(company=cast.hospital, name="水工班")
    worker = cast.worker.person
    worker.team = electricians
    worker.save()
    plumber = PersonFactory(company=cast.hospital, team=plumbers, employment_type=EmploymentType.PERMANENT)
    # A ward clerk allowed to report requests, not to follow them.
    clerk = make_user("clerk", person_kwargs={"company": cast.hospital, "department": cast.dept})
    clerk.groups.add(group_with("reporters", "add_workorder"))
    category = ServiceCategoryFactory(name="综合维修")

    def order(**kwargs):
        return services.create_work_order(category=category, description="需要处理", by=cast.agent, **kwargs)

    plumbers_job = services.dispatch(order(department=cast.other_dept), by=cast.dispatcher, assignee=plumber)
    return SimpleNamespace(
        clerk=clerk,
        category=category,
        clerks_order=order(requester_user=clerk, department=cast.dept),
        of_the_ward=order(department=cast.dept),
        of_another_ward=order(department=cast.other_dept),
        plumbers_job=plumbers_job,
        cleaners_job=services.dispatch(
            order(department=cast.other_dept), by=cast.dispatcher, team=TeamFactory(company=cast.contractor)
        ),
    )


# --- for_user ---------------------------------------------------------------------------------


def test_a_requester_without_the_right_to_view_work_orders_sees_none_of_theirs(cast, world):
    assert not WorkOrder.objects.for_user(world.clerk).exists()


def test_a_worker_whose_role_lost_the_view_right_sees_no_team_orders(cast, world):
    worker_role = Group.objects.get(name="worker")
    worker_role.permissions.remove(Permission.objects.get(codename="view_workorder"))
    worker = type(cast.worker).objects.get(pk=cast.worker.pk)  # a fresh permission cache
    services.dispatch(world.of_the_ward, by=cast.dispatcher, assignee=worker.person)
    assert not WorkOrder.objects.for_user(worker).exists()


def test_department_users_keep_their_departments_and_their_own_orders(cast, world):
    own = services.create_work_order(
        category=world.category,
        description="我报的",
        by=cast.department_user,
        requester_user=cast.department_user,
        department=cast.other_dept,
    )
    visible = set(WorkOrder.objects.for_user(cast.department_user).values_list("pk", flat=True))
    assert visible == {world.clerks_order.pk, world.of_the_ward.pk, own.pk}


def test_the_api_and_the_pages_show_a_requester_without_the_view_right_nothing(cast, world, client, client_for):
    order = world.clerks_order
    api = api_as(client, world.clerk)
    assert api.get(f"/work-orders/{order.pk}").status_code == 403
    assert api.get("/work-orders").status_code == 403

    pages = client_for(world.clerk)
    assert pages.get(reverse("servicedesk:portal_request", args=[order.pk])).status_code == 404
    listing = pages.get(reverse("servicedesk:portal_requests"))
    assert listing.status_code == 200 and order.number not in listing.content.decode()
    comment = reverse("servicedesk:portal_action", args=[order.pk, "comment"])
    assert pages.post(comment, {"comment-text": "催一下"}).status_code == 404
    assert not order.events.filter(kind=EventKind.COMMENT).exists()


def test_a_report_by_someone_who_may_not_follow_it_ends_on_the_form_not_on_a_404(cast, world, client_for):
    response = client_for(world.clerk).post(
        reverse("servicedesk:portal_report"), {"category": world.category.pk, "description": "水龙头漏水"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("servicedesk:portal_report")
    assert WorkOrder.objects.filter(requester_user=world.clerk, description="水龙头漏水").exists()


# --- comments check the scope themselves -------------------------------------------------------


@pytest.mark.parametrize(
    "who, order, allowed",
    [
        ("worker", "plumbers_job", False),  # another team's job
        ("worker", "of_another_ward", False),
        ("contractor_manager", "plumbers_job", False),  # not their company's
        ("contractor_manager", "cleaners_job", True),
        ("department_user", "of_another_ward", False),
        ("department_user", "of_the_ward", True),
        ("clerk", "clerks_order", False),  # their own, but no right to view orders
        ("agent", "of_another_ward", True),
        ("outsider", "of_the_ward", False),
    ],
)
def test_a_comment_needs_the_order_in_the_users_scope(cast, world, who, order, allowed):
    user = world.clerk if who == "clerk" else getattr(cast, who)
    order = getattr(world, order)
    assert may_act(user, order, "comment") is allowed
    if allowed:
        services.comment(order, by=user, text="请尽快处理")
        assert order.events.filter(kind=EventKind.COMMENT).count() == 1
    else:
        with pytest.raises(PermissionDenied):
            services.comment(order, by=user, text="请尽快处理")
        assert not order.events.filter(kind=EventKind.COMMENT).exists()


def test_a_requester_without_the_view_right_may_not_act_as_requester_either(cast, world):
    for action in ("cancel", "follow-up", "reopen", "comment"):
        assert not may_act(world.clerk, world.clerks_order, action), action


# --- cancelling an order on hold ends the hold --------------------------------------------------

T0 = datetime.datetime(2026, 3, 2, 1, 0, tzinfo=datetime.UTC)


@pytest.fixture
def held(cast, world, monkeypatch):
    """An order of the worker, on hold for parts since minute 20."""
    now = SimpleNamespace(value=T0)
    monkeypatch.setattr(services, "_now", lambda: now.value)
    order = services.create_work_order(category=world.category, description="灯不亮", by=cast.agent, accept=True, at=T0)
    order = services.dispatch(order, by=cast.dispatcher, assignee=cast.worker.person)
    order = services.start(order, by=cast.worker)
    now.value = T0 + datetime.timedelta(minutes=20)
    order = services.hold(order, by=cast.worker, reason=HoldReason.PARTS, note="等灯管到货")
    now.value = T0 + datetime.timedelta(minutes=50)
    return order


def test_cancelling_an_order_on_hold_ends_the_hold(cast, held):
    order = services.cancel(held, by=cast.agent, reason="科室已自行更换")

    order.refresh_from_db()
    assert order.status == Status.CANCELLED
    assert order.held_minutes == 30
    assert (order.hold_started_at, order.hold_reason, order.hold_note, order.status_before_hold) == (None, "", "", "")
    assert order.held_for_parts  # the history of why it waited stays
    cancelled = order.events.get(kind=EventKind.CANCELLED)
    assert cancelled.from_status == Status.ON_HOLD and cancelled.changes["held_minutes"] == [0, 30]


def test_a_refused_cancel_leaves_the_hold_as_it_was(cast, held):
    before = WorkOrder.objects.filter(pk=held.pk).values().get()
    with pytest.raises(ValidationError):  # an order cannot duplicate itself
        services.cancel(held, by=cast.agent, reason="重复", duplicate_of=held)
    assert WorkOrder.objects.filter(pk=held.pk).values().get() == before
