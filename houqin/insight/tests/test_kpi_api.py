"""The KPI API (/api/v1/kpis…): shapes, rights, scope, errors naming the parameter, the drill-down
counting exactly the figure's orders, and query counts that do not grow with the orders."""

import pytest

from houqin.core.tests.apiclient import BASE, Api, api_as
from houqin.insight import kpis
from houqin.insight.tests.kpi_sample import MARCH, build_march
from houqin.servicedesk.models import WorkOrder
from houqin.servicedesk.tests.factories import backdate

ENDPOINTS = ("/kpis", "/kpis/series?kpi=volume", "/kpis/workers", "/kpis/teams", "/kpis/orders?figure=volume")


@pytest.fixture
def march(cast):
    return build_march(cast)


def get(api: Api, path: str, **params):
    return api.get(path, {"month": "2026-03", **params})


# ---------------------------------------------------------------------------------------------
# Rights
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ENDPOINTS)
def test_it_asks_anonymous_callers_to_authenticate(client, db, path):
    response = client.get(BASE + path)
    assert response.status_code == 401
    assert response.json()["detail"]


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("role", ["worker", "department_user", "agent", "system_admin"])
def test_it_refuses_users_without_the_right_to_see_kpis(cast, client, path, role):
    response = api_as(client, getattr(cast, role)).get(path)
    assert response.status_code == 403
    assert set(response.json()) == {"detail", "errors"}


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("role", ["director", "dispatcher", "contractor_manager", "inspector", "auditor"])
def test_the_figure_roles_may_call_every_endpoint(cast, client, path, role):
    assert api_as(client, getattr(cast, role)).get(path).status_code == 200


# ---------------------------------------------------------------------------------------------
# Shapes
# ---------------------------------------------------------------------------------------------

FIGURE_KEYS = {
    "volume",
    "response_time",
    "arrival_time",
    "repeat_faults",
    "complaints",
    "completed",
    "completion_time",
    "on_time",
    "follow_up",
    "satisfaction",
    "rework",
    "first_time_fix",
    "workload_points",
    "backlog",
}


def test_the_kpis_answer_the_period_its_figures_and_the_previous_period(cast, client, march):
    body = get(api_as(client, cast.director), "/kpis").json()
    assert set(body) == {"period", "kpis", "previous_period", "previous"}
    assert body["period"] == {"start": "2026-03-01", "end": "2026-03-31", "days": 31}
    assert body["previous_period"] == {"start": "2026-02-01", "end": "2026-02-28", "days": 28}
    assert set(body["kpis"]) == FIGURE_KEYS == set(body["previous"])
    figures = body["kpis"]
    assert figures["volume"]["count"] == len(march.everything)
    assert {row["key"] for row in figures["volume"]["by_channel"]} == {"phone"}
    assert set(figures["response_time"]) == {"count", "avg", "median", "p90"}
    assert set(figures["satisfaction"]) == {"rated", "average", "satisfied", "satisfied_share"}
    assert set(figures["backlog"]) == {"open", "overdue"}
    assert body["previous"]["volume"]["count"] == 0
    assert body["previous"]["response_time"]["avg"] is None


def test_the_kpis_equal_the_kpi_module_for_the_same_orders(cast, client, march):
    body = get(api_as(client, cast.director), "/kpis").json()
    expected = kpis.summary(WorkOrder.objects.all(), MARCH)
    assert body["kpis"]["on_time"] == expected["on_time"]
    assert body["kpis"]["completion_time"] == expected["completion_time"]
    assert body["kpis"]["backlog"] == expected["backlog"]


def test_start_and_end_are_whole_local_days_both_included(cast, client, march):
    api = api_as(client, cast.director)
    body = api.get("/kpis", {"start": "2026-03-02", "end": "2026-03-04"}).json()
    assert body["period"] == {"start": "2026-03-02", "end": "2026-03-04", "days": 3}
    assert body["previous_period"] == {"start": "2026-02-27", "end": "2026-03-01", "days": 3}
    assert body["kpis"]["volume"]["count"] == 3


def test_without_a_period_it_answers_this_month_so_far(cast, client, db):
    body = api_as(client, cast.director).get("/kpis").json()
    assert body["period"]["start"].endswith("-01")
    assert body["period"]["days"] >= 1


def test_the_filters_narrow_every_figure(cast, client, march):
    api = api_as(client, cast.director)
    assert get(api, "/kpis", team="BJ").json()["kpis"]["volume"]["count"] == len(march.cleaning)
    assert get(api, "/kpis", worker="L001").json()["kpis"]["volume"]["count"] == len(march.lifts)
    assert get(api, "/kpis", location="A1").json()["kpis"]["volume"]["count"] == len(march.everything) - 1
    assert get(api, "/kpis", category="TS").json()["kpis"]["complaints"]["count"] == 1
    assert get(api, "/kpis", channel="web").json()["kpis"]["volume"]["count"] == 0
    both = api.get("/kpis", {"month": "2026-03", "channel": ["web", "phone"]}).json()
    assert both["kpis"]["volume"]["count"] == len(march.everything)


def test_the_series_gives_one_value_a_day(cast, client, march):
    api = api_as(client, cast.director)
    body = get(api, "/kpis/series", kpi="volume").json()
    assert body["kpi"] == "volume" and body["interval"] == "day"
    assert len(body["items"]) == 31
    assert body["items"][1] == {"date": "2026-03-02", "value": 1}
    assert sum(item["value"] for item in body["items"]) == len(march.everything)
    times = get(api, "/kpis/series", kpi="response_time").json()["items"]
    assert times[1]["value"] == {"count": 1, "avg": 10.0, "median": 10.0, "p90": 10.0}
    assert times[0]["value"]["count"] == 0
    rates = get(api, "/kpis/series", kpi="on_time_rate").json()["items"]
    assert rates[0]["value"] is None
    assert rates[1]["value"] == 1.0


def test_workers_and_teams_are_pages_with_the_period(cast, client, march):
    api = api_as(client, cast.director)
    workers = get(api, "/kpis/workers").json()
    assert set(workers) == {"count", "period", "items"}
    assert workers["count"] == 3
    assert {item["worker"]["employee_no"] for item in workers["items"]} == {"H001", "C001", "L001"}
    assert set(workers["items"][0]) >= {"worker", "completed", "on_time", "satisfaction", "workload_points"}
    page = get(api, "/kpis/workers", limit=1, offset=1).json()
    assert page["count"] == 3 and len(page["items"]) == 1
    assert page["items"][0] == workers["items"][1]
    teams = get(api, "/kpis/teams").json()
    assert [item["team"]["code"] for item in teams["items"]] == ["BJ", "DG", "DT"]
    cleaners = teams["items"][0]
    assert cleaners["completed"]["count"] == 3
    assert cleaners["backlog"] == {"open": 1, "overdue": 1}


def test_the_drill_down_lists_the_orders_with_the_work_order_fields(cast, client, march):
    body = get(api_as(client, cast.director), "/kpis/orders", figure="late").json()
    assert set(body) == {"count", "figure", "period", "items"}
    assert body["figure"]["name"] == "late" and body["figure"]["population"] == "completed"
    assert body["count"] == 1
    (item,) = body["items"]
    assert item["number"] == march.cleaning[1].number
    assert {"id", "number", "status", "category", "location", "assignee", "created", "overdue"} <= set(item)


# Figure → how to read its count from the /kpis answer.
COUNTS = {
    "volume": lambda k: k["volume"]["count"],
    "response_time": lambda k: k["response_time"]["count"],
    "arrival_time": lambda k: k["arrival_time"]["count"],
    "completion_time": lambda k: k["completed"]["count"],
    "on_time": lambda k: k["on_time"]["count"],
    "late": lambda k: k["completed"]["count"] - k["on_time"]["count"],
    "backlog": lambda k: k["backlog"]["open"],
    "overdue": lambda k: k["backlog"]["overdue"],
    "followed_up": lambda k: k["follow_up"]["count"],
    "not_followed_up": lambda k: k["completed"]["count"] - k["follow_up"]["count"],
    "rated": lambda k: k["satisfaction"]["rated"],
    "dissatisfied": lambda k: k["satisfaction"]["rated"] - k["satisfaction"]["satisfied"],
    "reworked": lambda k: k["rework"]["count"],
    "first_time_fix": lambda k: k["first_time_fix"]["count"],
    "repeat_faults": lambda k: k["repeat_faults"]["count"],
    "complaints": lambda k: k["complaints"]["count"],
}


def test_every_figure_the_drill_down_knows_is_checked_here():
    assert set(COUNTS) | {"workload"} == set(kpis.FIGURES)


@pytest.mark.parametrize("role", ["director", "contractor_manager"])
def test_each_drill_down_counts_as_many_orders_as_its_figure(cast, client, march, role):
    api = api_as(client, getattr(cast, role))
    figures = get(api, "/kpis").json()["kpis"]
    for name, count in COUNTS.items():
        listed = get(api, "/kpis/orders", figure=name, limit=1000).json()
        assert listed["count"] == count(figures), name
        assert len(listed["items"]) == listed["count"], name
    workload = get(api, "/kpis/orders", figure="workload").json()
    theirs = march.everything if role == "director" else march.cleaning
    assert workload["count"] == sum(1 for order in theirs if order.completed_at and order.assignee_id)


def test_the_drill_down_of_the_previous_period_counts_its_figures(cast, client, march):
    api = api_as(client, cast.director)
    body = api.get("/kpis", {"start": "2026-03-05", "end": "2026-03-31"}).json()
    previous = body["previous_period"]
    listed = api.get("/kpis/orders", {"figure": "volume", "start": previous["start"], "end": previous["end"]}).json()
    assert listed["count"] == body["previous"]["volume"]["count"] == 3


# ---------------------------------------------------------------------------------------------
# Scope: a contractor manager counts only their company's orders
# ---------------------------------------------------------------------------------------------


def test_a_contractor_managers_figures_are_those_of_their_companys_orders_only(cast, client, march):
    own = get(api_as(client, cast.contractor_manager), "/kpis").json()
    company = get(api_as(client, cast.director), "/kpis", contractor=cast.contractor.code).json()
    assert own == company
    assert own["kpis"]["volume"]["count"] == len(march.cleaning)
    assert own["kpis"]["backlog"] == {"open": 1, "overdue": 1}
    assert own["kpis"]["complaints"]["count"] == 0
    everyone = get(api_as(client, cast.director), "/kpis").json()
    assert everyone["kpis"]["volume"]["count"] > own["kpis"]["volume"]["count"]


def test_a_contractor_manager_sees_only_their_companys_workers_and_teams(cast, client, march):
    api = api_as(client, cast.contractor_manager)
    assert [item["worker"]["employee_no"] for item in get(api, "/kpis/workers").json()["items"]] == ["C001"]
    assert [item["team"]["code"] for item in get(api, "/kpis/teams").json()["items"]] == ["BJ"]


def test_a_contractor_managers_drill_down_shows_none_of_another_companys_orders(cast, client, march):
    api = api_as(client, cast.contractor_manager)
    listed = get(api, "/kpis/orders", figure="volume", limit=1000).json()
    assert {item["number"] for item in listed["items"]} == {order.number for order in march.cleaning}
    other = get(api, "/kpis/orders", figure="volume", contractor=cast.other_contractor.code).json()
    assert other["count"] == 0 and other["items"] == []
    by_worker = get(api, "/kpis/orders", figure="backlog", worker=march.fitter.employee_no).json()
    assert by_worker["count"] == 0
    assert get(api, "/kpis", contractor=cast.other_contractor.code).json()["kpis"]["volume"]["count"] == 0


# ---------------------------------------------------------------------------------------------
# Invalid input: 400 naming the parameter, in the caller's language
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/kpis", {"start": "2026-02-30"}, "start"),
        ("/kpis", {"start": "yesterday"}, "start"),
        ("/kpis", {"end": "2026-13-01"}, "end"),
        ("/kpis", {"start": "2026-03-10", "end": "2026-03-01"}, "end"),
        ("/kpis", {"start": "2024-01-01", "end": "2026-03-01"}, "end"),
        ("/kpis", {"month": "March"}, "month"),
        ("/kpis", {"month": "2026-13"}, "month"),
        ("/kpis", {"channel": "fax"}, "channel"),
        ("/kpis", {"start": "x" * 40}, "start"),
        ("/kpis/series", {}, "kpi"),
        ("/kpis/series", {"kpi": "late"}, "kpi"),
        ("/kpis/series", {"kpi": "volume", "interval": "hour"}, "interval"),
        ("/kpis/series", {"kpi": "volume", "month": "26-3"}, "month"),
        ("/kpis", {"month": "0001-01"}, "month"),
        ("/kpis", {"start": "0001-01-01", "end": "0001-01-02"}, "start"),
        # Only the start was sent (the end defaults to it): the start is the one named.
        ("/kpis", {"start": "9999-12-31"}, "start"),
        ("/kpis", {"end": "1900-01-01"}, "end"),
        ("/kpis/workers", {"limit": "0"}, "limit"),
        ("/kpis/teams", {"offset": "-1"}, "offset"),
        ("/kpis/teams", {"channel": "pigeon"}, "channel"),
        ("/kpis/orders", {}, "figure"),
        ("/kpis/orders", {"figure": "happiness"}, "figure"),
        ("/kpis/orders", {"figure": "volume", "end": "2026-02-30"}, "end"),
        ("/kpis/orders", {"figure": "volume", "team": "\x00"}, "team"),
    ],
)
def test_invalid_input_answers_400_naming_the_parameter(cast, client, db, path, params, parameter):
    response = api_as(client, cast.director).get(path, params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert parameter in body["errors"], body
    assert all(isinstance(message, str) and message for message in body["errors"][parameter])


def test_every_invalid_parameter_is_named_at_once(cast, client, db):
    response = api_as(client, cast.director).get("/kpis", {"month": "nope", "channel": "fax"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"month", "channel"}


def test_the_messages_are_in_the_callers_language(cast, client, db):
    response = api_as(client, cast.director, language="zh-hans").get("/kpis/orders", {"figure": "happiness"})
    assert response.status_code == 400
    assert response["Content-Language"] == "zh-hans"
    assert response.json()["detail"] != "Invalid input."


def test_an_unknown_code_counts_nothing_rather_than_failing(cast, client, march):
    body = get(api_as(client, cast.director), "/kpis", team="NOSUCHTEAM", location="NOWHERE").json()
    assert body["kpis"]["volume"]["count"] == 0


# ---------------------------------------------------------------------------------------------
# The schema and the cost
# ---------------------------------------------------------------------------------------------


def test_the_schema_documents_the_figures_the_parameters_and_the_errors(client, db):
    schema = client.get(BASE + "/openapi.json").json()
    operation = schema["paths"]["/api/v1/kpis"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {"start", "end", "month", "site", "department", "location", "category", "team", "worker"} <= names
    assert {"contractor", "channel"} <= names
    assert {"200", "400", "401", "403"} <= set(operation["responses"])
    kpis_out = schema["components"]["schemas"]["KpisOut"]["properties"]
    assert set(kpis_out) == FIGURE_KEYS
    assert "TimesOut" in str(kpis_out["response_time"])
    drill = schema["paths"]["/api/v1/kpis/orders"]["get"]
    figure = next(parameter for parameter in drill["parameters"] if parameter["name"] == "figure")
    assert set(figure["schema"]["enum"]) == set(kpis.FIGURES)
    assert {"limit", "offset"} <= {parameter["name"] for parameter in drill["parameters"]}


def _count_queries(api, path, params) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert api.get(path, params).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    ("path", "params", "most"),
    [
        # Six queries a period (two periods), and the caller's token, rights and scope.
        ("/kpis", {"month": "2026-03", "team": "BJ"}, 17),
        ("/kpis/series", {"month": "2026-03", "kpi": "completion_time"}, 7),
        ("/kpis/workers", {"month": "2026-03"}, 7),
        ("/kpis/teams", {"month": "2026-03"}, 7),
        ("/kpis/orders", {"month": "2026-03", "figure": "completion_time"}, 7),
    ],
)
def test_the_endpoints_cost_a_fixed_number_of_queries(
    cast, client, march, django_assert_max_num_queries, path, params, most
):
    api = api_as(client, cast.contractor_manager)
    api.get("/kpis")  # the token's user and permissions, looked up once
    few = _count_queries(api, path, params)
    assert few <= most
    # Three times the orders: not one query more.
    for _ in range(2):
        build_more(march)
    with django_assert_max_num_queries(few):
        response = api.get(path, params)
    assert response.status_code == 200


def build_more(march):
    for order in march.everything:
        copy = WorkOrder.objects.get(pk=order.pk)
        copy.pk = None
        copy.number = f"{order.number[:-5]}{WorkOrder.objects.count() + 1:05d}"
        copy.save()
        backdate(copy, order.created)
