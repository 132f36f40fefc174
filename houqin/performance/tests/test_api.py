"""/api/v1/performance: workers, teams, me and the weights."""

import json

import pytest

from houqin.core.models import AuditAction, AuditEntry
from houqin.performance.models import ScoreWeights

BASE = "/api/v1/performance"


def put(client, url, data):
    return client.put(url, json.dumps(data), content_type="application/json")


def test_workers_answers_figures_parts_and_scores_best_first(client_for, cast, world):
    response = client_for(cast.director).get(f"{BASE}/workers", {"month": world.month})
    assert response.status_code == 200
    body = response.json()
    assert body["period"] == {
        "month": world.month,
        "start": world.period.first.isoformat(),
        "end": world.period.last.isoformat(),
        "running": False,
    }
    assert body["weights"]["workload"] == 30.0
    assert body["count"] == 5
    assert [item["worker"]["employee_no"] for item in body["items"]] == ["B1", "A1", "A2", "B2", "A3"]
    a1 = body["items"][1]
    assert a1["score"] == 79.43
    assert (a1["rank"], a1["team_rank"], a1["team_size"]) == (2, 1, 2)
    assert a1["parts"] == {"workload": 100.0, "on_time": 66.7, "rework": 66.7, "satisfaction": 75.0, "complaints": 80.0}
    assert (a1["completed"], a1["workload_points"], a1["on_time_rate"], a1["complaints"]) == (3, 6.0, 0.6667, 1)
    assert body["items"][3]["parts"]["satisfaction"] is None
    assert body["items"][4]["score"] is None


def test_workers_pages_with_limit_and_offset(client_for, cast, world):
    body = client_for(cast.director).get(f"{BASE}/workers", {"limit": 2, "offset": 1}).json()
    assert body["count"] == 5
    assert [item["worker"]["employee_no"] for item in body["items"]] == ["A1", "A2"]


def test_teams_answers_each_team_with_its_rank_in_the_company(client_for, cast, world):
    body = client_for(cast.director).get(f"{BASE}/teams").json()
    assert [item["team"]["code"] for item in body["items"]] == ["SDWX", "BJ"]
    sdwx = body["items"][0]
    assert (sdwx["score"], sdwx["company_rank"], sdwx["company_size"], sdwx["complaints_per_100"]) == (
        82.07, 1, 1, 16.67,
    )  # fmt: skip


def test_the_contractor_manager_gets_only_their_company(client_for, cast, world):
    client = client_for(cast.contractor_manager)
    workers = client.get(f"{BASE}/workers").json()
    assert [item["worker"]["employee_no"] for item in workers["items"]] == ["B1", "B2"]
    assert [item["team"]["code"] for item in client.get(f"{BASE}/teams").json()["items"]] == ["BJ"]


def test_filters_narrow_the_answer(client_for, cast, world):
    body = client_for(cast.director).get(f"{BASE}/workers", {"team": "SDWX"}).json()
    assert [item["worker"]["employee_no"] for item in body["items"]] == ["A1", "A2", "A3"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"month": "2026-13"}, "month"),
        ({"month": "2999-01"}, "month"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
    ],
)
def test_bad_parameters_answer_400_naming_them(client_for, cast, world, params, field):
    response = client_for(cast.director).get(f"{BASE}/workers", params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_it_refuses_callers_without_the_right(client, client_for, cast, world):
    assert client.get(f"{BASE}/workers").status_code == 401
    assert client.get(f"{BASE}/me").status_code == 401
    for user in (cast.worker, cast.agent, cast.department_user):
        assert client_for(user).get(f"{BASE}/workers").status_code == 403
        assert client_for(user).get(f"{BASE}/teams").status_code == 403


def test_me_answers_only_the_callers_own_months(client_for, cast, world):
    response = client_for(cast.worker).get(f"{BASE}/me")
    assert response.status_code == 200
    body = response.json()
    assert body["person"]["employee_no"] == "A1"
    assert len(body["months"]) == 2
    last = body["months"][1]
    assert last["period"]["month"] == world.month
    assert (last["score"], last["team_rank"], last["team_size"]) == (79.43, 1, 2)
    assert "王二" not in response.content.decode()


def test_me_is_not_found_without_a_person(client_for, cast, world):
    assert client_for(cast.outsider).get(f"{BASE}/me").status_code == 404


def test_the_weights_are_read_and_replaced_by_the_director(client_for, cast, db):
    client = client_for(cast.director)
    assert client.get(f"{BASE}/weights").json()["complaint_penalty"] == 20.0
    data = {"workload": 10, "on_time": 20, "rework": 30, "satisfaction": 40, "complaints": 0, "complaint_penalty": 5}
    response = put(client, f"{BASE}/weights", data)
    assert response.status_code == 200
    assert response.json()["rework"] == 30.0
    row = ScoreWeights.objects.get()
    assert row.satisfaction == 40
    assert AuditEntry.objects.filter(object_id=str(row.pk), action=AuditAction.UPDATE, actor=cast.director).exists()


def test_all_zero_or_out_of_range_weights_answer_400_naming_the_field(client_for, cast, db):
    client = client_for(cast.director)
    zero = {"workload": 0, "on_time": 0, "rework": 0, "satisfaction": 0, "complaints": 0, "complaint_penalty": 5}
    response = put(client, f"{BASE}/weights", zero)
    assert response.status_code == 400
    assert "workload" in response.json()["errors"]
    response = put(client, f"{BASE}/weights", {**zero, "on_time": 101})
    assert response.status_code == 400
    assert "on_time" in response.json()["errors"]
    response = put(client, f"{BASE}/weights", {"workload": 1})
    assert response.status_code == 400
    assert "on_time" in response.json()["errors"]
    assert ScoreWeights.objects.get().workload == 30


def test_only_the_director_may_replace_the_weights(client_for, cast, db):
    data = {"workload": 1, "on_time": 1, "rework": 1, "satisfaction": 1, "complaints": 1, "complaint_penalty": 1}
    assert client_for(cast.contractor_manager).get(f"{BASE}/weights").status_code == 200
    assert put(client_for(cast.contractor_manager), f"{BASE}/weights", data).status_code == 403
    assert client_for(cast.worker).get(f"{BASE}/weights").status_code == 403


def test_the_endpoints_are_in_the_openapi_schema_with_their_errors(client_for, cast, db):
    schema = client_for(cast.director).get("/api/v1/openapi.json").json()
    workers = schema["paths"]["/api/v1/performance/workers"]["get"]
    assert {"200", "400", "401", "403"} <= set(workers["responses"])
    assert {"month", "team", "contractor", "site", "limit", "offset"} <= {p["name"] for p in workers["parameters"]}
    assert "put" in schema["paths"]["/api/v1/performance/weights"]
    assert "/api/v1/performance/me" in schema["paths"]


def test_the_workers_endpoint_makes_a_fixed_number_of_queries(client_for, cast, world, django_assert_max_num_queries):
    client = client_for(cast.director)
    client.get(f"{BASE}/workers")
    # The teams' figures come from the daily rollup: its marks, its rows, the marked days
    # recounted (created, completed) and the teams' names.
    with django_assert_max_num_queries(17):
        assert client.get(f"{BASE}/workers").status_code == 200
