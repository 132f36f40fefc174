"""Who sees which work orders (WorkOrder.objects.for_user) and who may act on them (may_act).

Orders outside a user's scope answer 404 everywhere, so for_user is the one gate every list,
detail, export and API call goes through."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from houqin.org.models import EmploymentType
from houqin.org.tests.factories import PersonFactory, TeamFactory, UserFactory
from houqin.servicedesk import services
from houqin.servicedesk.models import Status, WorkOrder
from houqin.servicedesk.services import may_act
from houqin.servicedesk.tests.factories import ServiceCategoryFactory
from houqin.servicedesk.workflow import ACTIONS


@pytest.fixture
def orders(cast):
    """One order per way of belonging to somebody, all of another department unless said."""
    electricians = TeamFactory(company=cast.hospital, name="电工班")
    plumbers = TeamFactory(company=cast.hospital, name="水工班")
    cleaners = TeamFactory(company=cast.contractor, name="保洁一组")
    lift_fitters = TeamFactory(company=cast.other_contractor, name="电梯维保组")
    worker = cast.worker.person
    worker.team = electricians
    worker.save()
    plumber = PersonFactory(company=cast.hospital, team=plumbers, employment_type=EmploymentType.PERMANENT)
    cleaner = PersonFactory(company=cast.contractor)  # not in any team yet
    category = ServiceCategoryFactory(name="综合维修")

    def order(*, assignee=None, team=None, department=cast.other_dept, requester=None):
        created = services.create_work_order(
            category=category, description="需要处理", by=cast.agent, department=department, requester_user=requester
        )
        if assignee or team:
            created = services.dispatch(created, by=cast.dispatcher, assignee=assignee, team=team)
        return created

    return SimpleNamespace(
        worker=worker,
        plumber=plumber,
        assigned_to_worker=order(assignee=worker),
        for_workers_team=order(team=electricians),
        reported_by_worker=order(requester=cast.worker),
        assigned_to_plumber=order(assignee=plumber),
        for_cleaners=order(team=cleaners),
        assigned_to_cleaner=order(assignee=cleaner),
        for_lift_fitters=order(team=lift_fitters),
        of_the_ward=order(department=cast.dept),
        reported_by_nurse=order(requester=cast.department_user),
        new=order(),
    )


def visible(user, orders) -> set[str]:
    names = {getattr(orders, name).pk: name for name in vars(orders) if name not in ("worker", "plumber")}
    return {names[pk] for pk in WorkOrder.objects.for_user(user).values_list("pk", flat=True)}


ALL = {
    "assigned_to_worker",
    "for_workers_team",
    "reported_by_worker",
    "assigned_to_plumber",
    "for_cleaners",
    "assigned_to_cleaner",
    "for_lift_fitters",
    "of_the_ward",
    "reported_by_nurse",
    "new",
}


@pytest.mark.parametrize("role", ["agent", "dispatcher", "director", "inspector", "auditor"])
def test_the_desk_dispatch_management_and_control_roles_see_every_order(cast, orders, role):
    assert visible(getattr(cast, role), orders) == ALL


def test_a_worker_sees_the_orders_of_their_own_and_their_teams_and_those_they_reported(cast, orders):
    assert visible(cast.worker, orders) == {"assigned_to_worker", "for_workers_team", "reported_by_worker"}


def test_a_worker_without_a_team_sees_only_their_own_orders(cast, orders):
    orders.worker.team = None
    orders.worker.save()
    assert visible(cast.worker, orders) == {"assigned_to_worker", "reported_by_worker"}


def test_a_contractor_manager_sees_only_the_orders_of_its_companys_teams_and_people(cast, orders):
    assert visible(cast.contractor_manager, orders) == {"for_cleaners", "assigned_to_cleaner"}


def test_a_department_user_sees_the_departments_orders_and_their_own_requests(cast, orders):
    assert visible(cast.department_user, orders) == {"of_the_ward", "reported_by_nurse"}


@pytest.mark.parametrize("role", ["outsider", "system_admin", "security_admin"])
def test_users_without_work_order_rights_see_none(cast, orders, role):
    assert visible(getattr(cast, role), orders) == set()


def test_anonymous_and_deactivated_users_see_none(cast, orders):
    assert visible(AnonymousUser(), orders) == set()
    cast.agent.is_active = False
    assert visible(cast.agent, orders) == set()


def test_a_superuser_sees_every_order(orders):
    assert visible(UserFactory(username="root", is_superuser=True), orders) == ALL


# --- may_act ----------------------------------------------------------------------------------


REQUESTER_MAY = {"follow-up", "reopen", "comment"}
WORK = {"start", "hold", "resume", "complete"}


def test_a_requester_may_rate_reopen_and_comment_on_their_own_orders(cast, orders):
    own, others = orders.reported_by_nurse, orders.of_the_ward
    for action in ACTIONS:
        assert may_act(cast.department_user, own, action) == (action in REQUESTER_MAY | {"cancel"}), action
        assert may_act(cast.department_user, others, action) == (action == "comment"), action


def test_a_requester_may_cancel_their_own_order_only_while_it_is_new(cast, orders):
    order = orders.reported_by_nurse
    assert order.status == Status.NEW and may_act(cast.department_user, order, "cancel")
    order = services.accept(order, by=cast.agent)
    assert not may_act(cast.department_user, order, "cancel")
    with pytest.raises(PermissionDenied):
        services.cancel(order, by=cast.department_user, reason="不需要了")
    order.refresh_from_db()
    assert order.status == Status.ACCEPTED

    withdrawn = services.create_work_order(
        category=order.category, description="不需要了", by=cast.department_user, requester_user=cast.department_user
    )
    withdrawn = services.cancel(withdrawn, by=cast.department_user, reason="已自行解决")
    assert withdrawn.status == Status.CANCELLED


def test_a_worker_may_work_only_their_own_assigned_orders(cast, orders):
    own, others = orders.assigned_to_worker, orders.assigned_to_plumber
    for action in ACTIONS:
        assert may_act(cast.worker, own, action) == (action in WORK | {"comment"}), action
        # Another worker's order, of another team, is out of their scope: not even a comment.
        assert not may_act(cast.worker, others, action), action
    # Nor does the team's order make it theirs until the leader names them (they may comment on it).
    assert not may_act(cast.worker, orders.for_workers_team, "start")
    assert may_act(cast.worker, orders.for_workers_team, "comment")


def test_a_worker_is_refused_another_workers_order_and_nothing_changes(cast, orders):
    order = orders.assigned_to_plumber
    with pytest.raises(PermissionDenied):
        services.start(order, by=cast.worker)
    order.refresh_from_db()
    assert (order.status, order.version, order.arrived_at) == (Status.DISPATCHED, 2, None)
    order = services.start(order, by=cast.dispatcher)  # the team leader acting for the plumber
    assert order.status == Status.IN_PROGRESS


def test_a_dispatcher_may_act_for_any_worker(cast, orders):
    for order in (orders.assigned_to_worker, orders.assigned_to_plumber, orders.for_workers_team):
        assert all(may_act(cast.dispatcher, order, action) for action in WORK)


def test_the_desk_may_not_work_orders_itself(cast, orders):
    order = orders.assigned_to_worker
    assert not any(may_act(cast.agent, order, action) for action in WORK)
    assert not any(may_act(cast.inspector, order, action) for action in WORK)


def test_an_outsider_and_an_anonymous_visitor_may_do_nothing(cast, orders):
    for action in ACTIONS:
        assert not may_act(cast.outsider, orders.new, action)
        assert not may_act(AnonymousUser(), orders.new, action)
