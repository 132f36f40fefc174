"""Who the desk suggests for an order, and the category's automatic dispatch."""

from houqin.org.tests.factories import TradeFactory
from houqin.servicedesk import services
from houqin.servicedesk.dispatch import auto_dispatch_if_configured, suggest_assignees
from houqin.servicedesk.models import Priority, Status
from houqin.servicedesk.tests.test_desk_support import (
    accepted_order,
    in_progress_order,
    make_building,
    make_category,
    make_room,
    make_team,
    make_worker,
)


def test_it_suggests_only_active_people_on_duty_of_the_team(cast):
    team = make_team(cast)
    category = make_category(team)
    on_duty = make_worker(cast, team, "王师傅")
    make_worker(cast, team, "休息中", on_duty=False)
    make_worker(cast, team, "离职了", is_active=False)
    make_worker(cast, make_team(cast), "别的班")

    assert suggest_assignees(category, None) == [on_duty]


def test_it_also_suggests_people_with_a_trade_of_the_team(cast):
    electrician = TradeFactory(name="电工")
    team = make_team(cast)
    team.trades.add(electrician)
    outsider = make_worker(cast, make_team(cast), "外班电工")
    outsider.trades.add(electrician)

    assert suggest_assignees(make_category(team), None) == [outsider]


def test_the_least_loaded_worker_comes_first_urgent_jobs_weighing_more(cast):
    team = make_team(cast)
    category = make_category(team)
    busy_urgent = make_worker(cast, team, "甲")
    two_normal = make_worker(cast, team, "乙")
    idle = make_worker(cast, team, "丙")
    services.dispatch(accepted_order(cast, category, priority=Priority.URGENT), by=cast.agent, assignee=busy_urgent)
    for _ in range(2):
        services.dispatch(accepted_order(cast, category), by=cast.agent, assignee=two_normal)

    suggested = suggest_assignees(category, None)

    # Urgent counts 4, normal 1: two normal jobs weigh less than one urgent job.
    assert suggested == [idle, two_normal, busy_urgent]
    assert [p.open_orders for p in suggested] == [0, 2, 1]


def test_at_equal_load_someone_working_in_the_same_building_comes_first(cast):
    team = make_team(cast)
    category = make_category(team)
    ward = make_building(cast, "B1", "住院楼")
    clinic = make_building(cast, "B2", "门诊楼")
    away = make_worker(cast, team, "阿远")
    nearby = make_worker(cast, team, "阿近")
    in_progress_order(cast, category, away, location=make_room(clinic, "B2-301"))
    in_progress_order(cast, category, nearby, location=make_room(ward, "B1-301"))

    suggested = suggest_assignees(category, make_room(ward, "B1-512"))

    assert suggested == [nearby, away]
    assert suggested[0].same_building and not suggested[1].same_building


def test_at_equal_load_and_place_names_decide(cast):
    team = make_team(cast)
    category = make_category(team)
    b = make_worker(cast, team, "B师傅")
    a = make_worker(cast, team, "A师傅")

    assert suggest_assignees(category, None) == [a, b]


def test_the_suggestion_costs_two_queries_whatever_the_team_size(cast, django_assert_max_num_queries):
    team = make_team(cast)
    category = make_category(team)
    ward = make_building(cast, "B1", "住院楼")
    room = make_room(ward, "B1-301")
    for n in range(12):
        worker = make_worker(cast, team, f"工{n:02d}")
        in_progress_order(cast, category, worker, location=room)

    with django_assert_max_num_queries(2):
        suggested = suggest_assignees(category, room, limit=5)
        [(p.name, p.load, p.same_building, p.team.name) for p in suggested]
    assert len(suggested) == 5


def test_a_category_without_a_team_suggests_nobody(cast):
    assert suggest_assignees(make_category(None), None) == []


def test_auto_dispatch_sends_an_accepted_order_to_the_first_suggestion(cast):
    team = make_team(cast)
    worker = make_worker(cast, team, "王师傅")
    order = accepted_order(cast, make_category(team, auto_dispatch=True))

    order = auto_dispatch_if_configured(order, cast.agent)

    assert order.status == Status.DISPATCHED and order.assignee == worker


def test_auto_dispatch_does_nothing_unless_the_category_asks_for_it(cast):
    team = make_team(cast)
    make_worker(cast, team, "王师傅")
    order = accepted_order(cast, make_category(team))

    assert auto_dispatch_if_configured(order, cast.agent).status == Status.ACCEPTED


def test_auto_dispatch_leaves_the_order_when_nobody_is_on_duty(cast):
    team = make_team(cast)
    make_worker(cast, team, "休息", on_duty=False)
    order = accepted_order(cast, make_category(team, auto_dispatch=True))

    assert auto_dispatch_if_configured(order, cast.agent).status == Status.ACCEPTED
