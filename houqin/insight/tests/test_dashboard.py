"""The director's dashboard: the figures a director sees for today and the month, each linking to
the orders behind it; a contractor manager sees their company's only; roles without the KPI
right are refused; bad filters get a message, not a 500; the page needs few queries."""

import datetime
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from houqin.insight import dashboard_views
from houqin.insight.periods import Period
from houqin.insight.tests.live_sample import build_day

URL = "/insight/"


@pytest.fixture
def day(cast):
    return build_day(cast)


def card(html: str, key: str) -> dict:
    """The label, value and link of the figure card with id `key`, as the user sees them."""
    match = re.search(
        rf'<a class="hq-kpi[^"]*" href="(?P<url>[^"]*)" id="{key}">\s*'
        r'<span class="hq-kpi-label">(?P<label>[^<]*)</span>\s*<span class="hq-kpi-value">(?P<value>[^<]*)</span>',
        html,
    )
    assert match, f"no card {key}"
    return {"label": match["label"], "value": match["value"], "url": match["url"].replace("&amp;", "&")}


def query_of(url: str) -> dict:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def test_the_url_is_named():
    assert reverse("insight:dashboard") == URL


def test_the_director_sees_todays_figures(client_for, cast, day):
    response = client_for(cast.director).get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    # Five orders were created today, four are open now (two of them past a deadline), two
    # were completed today and rated 5 and 2.
    assert card(html, "today-volume")["value"] == "5"
    assert card(html, "today-open")["value"] == "4"
    assert card(html, "today-overdue")["value"] == "2"
    assert card(html, "today-completed")["value"] == "2"
    assert card(html, "today-satisfaction")["value"] == "3.50"


def test_every_card_opens_the_orders_behind_it(client_for, cast, day):
    html = client_for(cast.director).get(URL + "?team=DG").content.decode()

    today = timezone.localdate().isoformat()
    overdue = query_of(card(html, "today-overdue")["url"])
    assert urlsplit(card(html, "today-overdue")["url"]).path == "/insight/kpis/orders/"
    assert overdue == {"figure": "overdue", "start": today, "end": today, "team": "DG"}
    month = query_of(card(html, "month-volume")["url"])
    assert month["figure"] == "volume" and month["start"] == Period.this_month().first.isoformat()
    assert month["end"] == today and month["team"] == "DG"


def test_the_drill_down_page_counts_what_the_card_says(client_for, cast, day):
    client = client_for(cast.director)
    html = client.get(URL).content.decode()

    response = client.get(card(html, "today-overdue")["url"])

    assert response.status_code == 200
    page = response.content.decode()
    assert day.today[0].number in page and day.yesterday[1].number in page
    assert day.today[2].number not in page


def test_the_month_is_compared_with_as_many_days_of_the_month_before(client_for, cast, day):
    response = client_for(cast.director).get(URL)

    period, previous = response.context["period"], response.context["previous"]
    today = timezone.localdate()
    assert (period.first, period.last) == (today.replace(day=1), today)
    assert previous.first == (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    assert previous.days == min(period.days, (period.first - previous.first).days)


def test_a_past_month_is_compared_with_the_whole_month_before(client_for, cast, day):
    response = client_for(cast.director).get(URL + "?month=2026-03")

    assert response.status_code == 200
    assert response.context["period"] == Period.month(2026, 3)
    assert response.context["previous"] == Period.month(2026, 2)
    assert card(response.content.decode(), "month-volume")["value"] == "0"


def test_the_filters_narrow_every_figure(client_for, cast, day):
    html = client_for(cast.director).get(URL + "?team=BJ").content.decode()

    assert card(html, "today-volume")["value"] == "2"
    assert card(html, "today-overdue")["value"] == "1"


def test_the_charts_get_their_data(client_for, cast, day):
    html = client_for(cast.director).get(URL).content.decode()

    data = json.loads(re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', html, re.S)[1])
    today = timezone.localdate().isoformat()
    trend = data["trend"]
    assert trend["dates"][-1] == today and trend["created"][-1] == 5
    assert "__DAY__" in trend["links"]["created"]
    groups = {row["name"]: row for row in data["categories"]}
    month = Period.this_month()
    in_month = [order for order in day.today + day.yesterday if month.start <= order.created < month.end]
    assert groups["维修"]["value"] == sum(1 for order in in_month if order.category.parent_id)
    assert query_of(groups["维修"]["url"])["category"] == "WX"
    assert [worker["name"] for worker in data["workers"]][:1] in (["王电工"], ["李保洁"])


def test_the_teams_table_shows_backlog_and_breaches(client_for, cast, day):
    response = client_for(cast.director).get(URL)

    teams = {team["name"]: team for team in response.context["teams"]}
    assert (teams["电工班"]["open"], teams["电工班"]["overdue"]) == (1, 1)
    assert (teams["保洁一组"]["open"], teams["保洁一组"]["overdue"]) == (2, 1)
    assert query_of(teams["保洁一组"]["overdue_url"])["team"] == "BJ"


def test_the_complaints_link_to_their_order_page(client_for, cast, day):
    html = client_for(cast.director).get(URL).content.decode()

    complaint = day.today[4]
    assert f'href="{reverse("servicedesk:order_detail", args=[complaint.pk])}"' in html


def test_a_contractor_manager_sees_only_their_companys_figures(client_for, cast, day):
    response = client_for(cast.contractor_manager).get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert card(html, "today-volume")["value"] == "2"
    assert card(html, "today-open")["value"] == "2"
    assert card(html, "today-overdue")["value"] == "1"
    assert [team["name"] for team in response.context["teams"]] == ["保洁一组"]
    assert day.today[4].number not in html  # the complaint is not theirs
    assert "电工班" not in html  # neither in the table nor in the team filter


@pytest.mark.parametrize("role", ["worker", "department_user", "agent", "system_admin", "outsider"])
def test_it_refuses_roles_without_the_kpi_right(client_for, cast, role):
    assert client_for(getattr(cast, role)).get(URL).status_code == 403


def test_it_sends_an_anonymous_visitor_to_the_login(client):
    response = client.get(URL)

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("month=2026-13", "month"),
        ("month=nonsense", "month"),
        ("channel=pigeon", "channel"),
        # Was a server error: the month before January of the year 1 does not exist.
        ("month=0001-01", "month"),
        ("month=2026-11%00", "month"),
        ("location=%00", "location"),
    ],
)
def test_it_names_a_bad_filter_instead_of_failing(client_for, cast, query, field):
    response = client_for(cast.director).get(f"{URL}?{query}")

    assert response.status_code == 400
    assert any(error.startswith(f"{field}:") for error in response.context["errors"])


def test_it_refuses_a_month_still_to_come(client_for, cast):
    future = (timezone.localdate().replace(day=28) + datetime.timedelta(days=7)).strftime("%Y-%m")

    response = client_for(cast.director).get(f"{URL}?month={future}")

    assert response.status_code == 400


def test_the_sidebar_offers_the_dashboard_to_the_director_only(client_for, cast, day):
    assert 'href="/insight/"' in client_for(cast.director).get("/").content.decode()
    assert 'href="/insight/"' not in client_for(cast.worker).get("/").content.decode()


def test_the_dashboard_needs_few_queries(client_for, cast, day, django_assert_max_num_queries):
    client = client_for(cast.director)
    with django_assert_max_num_queries(40):
        assert client.get(URL + "?site=MAIN&team=DG&category=WX").status_code == 200
    client = client_for(cast.contractor_manager)
    with django_assert_max_num_queries(40):
        assert client.get(URL).status_code == 200


def test_the_delta_says_whether_a_change_is_good_news():
    assert dashboard_views._delta("minutes", 30, 40, lower_is_better=True) == {
        "text": "-25%",
        "direction": "down",
        "good": True,
    }
    assert dashboard_views._delta("rate", 0.9, 0.95, lower_is_better=False)["good"] is False
    assert dashboard_views._delta("count", 5, 0, lower_is_better=False) is None
