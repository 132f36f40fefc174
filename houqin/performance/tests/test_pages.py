"""The performance pages: the ranking, a worker's month, the weights, the worker's own page."""

from decimal import Decimal

import pytest
from django.urls import reverse

from houqin.core.models import AuditAction, AuditEntry
from houqin.org.tests.factories import PersonFactory, in_english
from houqin.performance.models import ScoreWeights
from houqin.performance.months import last_complete_month

from .conftest import completed

RANKING = "/performance/"


def test_the_url_names_are_the_documented_ones():
    assert reverse("performance:ranking") == "/performance/"
    assert reverse("performance:mine") == "/performance/me/"
    assert reverse("performance:weights") == "/performance/weights/"
    assert reverse("performance:export") == "/performance/export.xlsx"
    assert reverse("performance:worker", args=["A1"]) == "/performance/workers/A1/"


def test_the_ranking_shows_teams_and_workers_with_parts_and_scores(client_for, cast, world):
    response = client_for(in_english(cast.director)).get(RANKING)
    assert response.status_code == 200
    page = response.content.decode()
    # The default month is the last complete one.
    assert f'<option value="{world.month}" selected>' in page
    for text in ("79.43", "78.75", "81.25", "66.67", "82.07", "68.75", "66.7", "李三"):
        assert text in page
    assert page.index("赵四") < page.index("张一") < page.index("王二") < page.index("钱五") < page.index("李三")
    assert reverse("performance:worker", args=["B1"]) + f"?month={world.month}" in page
    assert reverse("performance:export") in page


def test_the_ranking_refuses_people_without_the_performance_right(client_for, cast, world):
    for user in (cast.worker, cast.agent, cast.department_user):
        assert client_for(user).get(RANKING).status_code == 403
    assert client_for(cast.outsider).get(RANKING).status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in(client, world):
    response = client.get(RANKING)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_an_invalid_month_is_named_and_nothing_is_shown(client_for, cast, world):
    response = client_for(in_english(cast.director)).get(RANKING, {"month": "2026-13"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a month as YYYY-MM." in page
    assert "79.43" not in page


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"month": "2026-11\x00"}, "month"),
        ({"month": "9" * 500}, "month"),
        ({"team": "NOPE"}, "team"),
        ({"contractor": "NOPE"}, "contractor"),
        ({"site": "\x00"}, "site"),
    ],
)
def test_it_refuses_invalid_filters_with_400_naming_the_field(client_for, cast, world, params, field):
    client = client_for(in_english(cast.director))
    for url in (RANKING, reverse("performance:worker", args=["A1"])):
        response = client.get(url, params)
        assert response.status_code == 400, url
        assert field in response.context["form"].errors
        assert "79.43" not in response.content.decode()


def test_this_month_so_far_can_be_chosen(client_for, cast, world):
    from django.utils import timezone

    today = timezone.localdate()
    response = client_for(in_english(cast.director)).get(RANKING, {"month": f"{today:%Y-%m}"})
    assert response.status_code == 200
    assert "still running" in response.content.decode()


def test_the_contractor_manager_sees_only_their_company(client_for, cast, world):
    page = client_for(in_english(cast.contractor_manager)).get(RANKING).content.decode()
    assert "赵四" in page and "钱五" in page
    assert "张一" not in page and "王二" not in page and "水电维修班" not in page


def test_a_person_of_another_company_is_not_found_for_the_contractor_manager(client_for, cast, world):
    client = client_for(cast.contractor_manager)
    assert client.get(reverse("performance:worker", args=["A1"])).status_code == 404
    assert client.get(reverse("performance:worker", args=[world.a1.pk])).status_code == 404
    assert client.get(reverse("performance:worker", args=["B1"])).status_code == 200
    assert client.get(reverse("performance:worker", args=["NOBODY"])).status_code == 404


def test_the_worker_page_shows_the_parts_behind_the_score_and_the_orders(client_for, cast, world):
    response = client_for(in_english(cast.director)).get(reverse("performance:worker", args=["A1"]))
    assert response.status_code == 200
    page = response.content.decode()
    for text in ("79.43", "Rank 1 of 2", "6.00 / 6.00", "2 / 3", "1 / 3", "66.7", "80.0"):
        assert text in page
    # Contributions: 30 % of 100, 25 % of 66.7 …
    assert "30.00" in page and "16.68" in page
    for number in ("O1", "O2", "O3"):
        assert f">{number}</a>" in page
    for number in ("X1", "X2", "C1"):  # last month's, without a worker, a complaint still open
        assert f">{number}</a>" not in page


def test_the_worker_page_links_to_the_kpi_drill_down_of_the_workload(client_for, cast, world):
    page = client_for(cast.director).get(reverse("performance:worker", args=["A1"]), {"team": "SDWX"})
    url = reverse("insight:kpi_orders")
    start, end = world.period.first.isoformat(), world.period.last.isoformat()
    assert f"{url}?figure=workload&amp;worker=A1&amp;start={start}&amp;end={end}&amp;team=SDWX" in page.content.decode()


def test_the_worker_page_of_someone_who_completed_nothing_says_so(client_for, cast, world):
    page = client_for(in_english(cast.director)).get(reverse("performance:worker", args=["A3"])).content.decode()
    assert "no score" in page


def test_the_worker_sees_only_their_own_figures_on_the_phone(client_for, cast, world):
    response = client_for(in_english(cast.worker)).get(reverse("performance:mine"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "79.43" in page
    assert "rank 1 of 2 in my team" in page
    for other in ("王二", "李三", "78.75", "赵四", "81.25"):
        assert other not in page
    # The worker's bottom bar, with its new entry.
    assert reverse("servicedesk:worker_jobs") in page
    assert 'aria-current="page"><i class="bi bi-trophy"' in page


def test_a_user_without_a_person_is_told_on_the_phone_page(client_for, cast, world):
    response = client_for(in_english(cast.outsider)).get(reverse("performance:mine"))
    assert response.status_code == 200
    assert "not linked to a person" in response.content.decode()


def test_the_worker_pages_link_to_my_performance(client_for, cast, world):
    page = client_for(cast.worker).get(reverse("servicedesk:worker_jobs")).content.decode()
    assert reverse("performance:mine") in page


def test_the_weights_page_creates_the_default_row_on_first_use(client_for, cast, db):
    response = client_for(in_english(cast.inspector)).get(reverse("performance:weights"))
    assert response.status_code == 200
    row = ScoreWeights.objects.get()
    assert AuditEntry.objects.filter(object_id=str(row.pk), action=AuditAction.CREATE).exists()
    assert b'name="workload"' not in response.content  # seeing is not changing


def test_the_director_changes_the_weights_and_the_change_is_audited(client_for, cast, db):
    client = client_for(in_english(cast.director))
    data = {
        "workload": "40",
        "on_time": "20",
        "rework": "10",
        "satisfaction": "20",
        "complaints": "10",
        "complaint_penalty": "25",
    }
    response = client.post(reverse("performance:weights"), data)
    assert response.status_code == 302
    row = ScoreWeights.objects.get()
    assert (row.workload, row.complaint_penalty) == (Decimal(40), Decimal(25))
    entry = AuditEntry.objects.filter(object_id=str(row.pk), action=AuditAction.UPDATE).get()
    assert entry.actor == cast.director
    assert [Decimal(value) for value in entry.changes["workload"]] == [30, 40]


def test_all_zero_weights_are_refused_naming_the_field(client_for, cast, db):
    client = client_for(in_english(cast.director))
    zero = dict.fromkeys(("workload", "on_time", "rework", "satisfaction", "complaints"), "0")
    response = client.post(reverse("performance:weights"), {**zero, "complaint_penalty": "20"})
    assert response.status_code == 400
    form = response.context["form"]
    assert "workload" in form.errors
    assert "At least one weight must be above 0" in response.content.decode()
    # The rules table still shows the weights in force, not the refused ones.
    assert response.context["weights"].on_time == Decimal(25)
    assert ScoreWeights.objects.get().workload == Decimal(30)


@pytest.mark.parametrize("value", ["-1", "101", "abc", "1e10", "NaN", "\x00", ""])
def test_a_weight_out_of_range_is_refused(client_for, cast, db, value):
    client = client_for(in_english(cast.director))
    data = {"workload": value, "on_time": "25", "rework": "15", "satisfaction": "25", "complaints": "5"}
    response = client.post(reverse("performance:weights"), {**data, "complaint_penalty": "20"})
    assert response.status_code == 400
    assert "workload" in response.context["form"].errors
    assert ScoreWeights.objects.get().workload == Decimal(30)


def test_only_the_director_may_change_the_weights(client_for, cast, db):
    data = {"workload": "1", "on_time": "1", "rework": "1", "satisfaction": "1", "complaints": "1"}
    for user in (cast.contractor_manager, cast.dispatcher, cast.inspector):
        response = client_for(user).post(reverse("performance:weights"), {**data, "complaint_penalty": "1"})
        assert response.status_code == 403
    assert client_for(cast.worker).get(reverse("performance:weights")).status_code == 403


def _more_workers(world, cast, count: int) -> None:
    day = world.period.first.replace(day=15)
    for index in range(count):
        person = PersonFactory(company=cast.contractor, team=world.team_b)
        completed(f"M{index}", world.clean, day, assignee=person, team=world.team_b, rating=5)


def test_the_ranking_page_makes_a_fixed_number_of_queries(client_for, cast, world, django_assert_max_num_queries):
    client = client_for(cast.director)
    client.get(RANKING)  # the weights row exists from here on
    # The teams' figures come from the daily rollup: its marks, its rows, the marked days
    # recounted (created, completed) and the teams' names.
    with django_assert_max_num_queries(21):
        assert client.get(RANKING).status_code == 200
    _more_workers(world, cast, 30)
    with django_assert_max_num_queries(21):
        assert client.get(RANKING).status_code == 200


def test_the_worker_page_makes_a_fixed_number_of_queries(client_for, cast, world, django_assert_max_num_queries):
    client = client_for(cast.director)
    client.get(reverse("performance:worker", args=["A1"]))
    for index in range(20):
        completed(f"N{index}", world.clean, world.period.first.replace(day=16), assignee=world.a1, team=world.team_a)
    with django_assert_max_num_queries(18):
        assert client.get(reverse("performance:worker", args=["A1"])).status_code == 200


def test_the_phone_page_makes_a_fixed_number_of_queries(client_for, cast, world, django_assert_max_num_queries):
    client = client_for(cast.worker)
    client.get(reverse("performance:mine"))
    _more_workers(world, cast, 10)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("performance:mine")).status_code == 200


def test_the_default_month_is_the_last_complete_one(world):
    assert last_complete_month() == world.period
