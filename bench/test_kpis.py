"""The KPIs of a month (issue 4: a month of figures on a million orders in under 300 ms on
PostgreSQL and 1 s on SQLite, within 2x of hand-written SQL), against the SQL of raw_kpis.py on
the same data in the same run. Each baseline also checks that both give the same answer.

The month is the last whole one before the history ends (conftest.HISTORY_ENDS): October 2026."""

import datetime

import pytest
import raw_kpis
from conftest import HISTORY_ENDS
from django.utils import timezone

from houqin.accounts.models import User
from houqin.insight import dashboard_views, kpis
from houqin.insight.periods import Period
from houqin.servicedesk.models import WorkOrder

pytestmark = pytest.mark.django_db

MONTH = Period.month_of(HISTORY_ENDS.replace(day=1) - datetime.timedelta(days=1))
# The moment the history ends: the backlog of a past month is taken at its end anyway.
NOW = timezone.make_aware(datetime.datetime.combine(HISTORY_ENDS, datetime.time(12)))


@pytest.fixture
def orders():
    """A function giving the director's orders: everything (for_user adds no condition for that
    role), read through the daily rollup. A fresh queryset per call, as per request: the rollup
    rows read are kept with the queryset, and a round must not reuse the last one's."""
    director = User.objects.get(username="director")

    def scoped():
        everything = kpis.scoped_orders(director)
        assert str(everything.query) == str(WorkOrder.objects.all().query)
        assert kpis.rollup_of(everything) is not None
        return everything

    return scoped


@pytest.fixture
def director_client(client):
    client.force_login(User.objects.get(username="director"), backend="django.contrib.auth.backends.ModelBackend")
    return client


# --- one figure at a time -------------------------------------------------------------------------


def test_kpi_summary(benchmark, orders):
    figures = benchmark(lambda: kpis.summary(orders(), MONTH, NOW))
    assert figures["volume"]["count"] > 0


def test_kpi_summary_baseline(benchmark, orders):
    figures = benchmark(raw_kpis.summary, MONTH, NOW)
    assert figures == kpis.summary(orders(), MONTH, NOW)


def test_kpi_summary_baseline_rollup(benchmark, orders):
    figures = benchmark(raw_kpis.summary_from_rollup, MONTH, NOW)
    assert figures == kpis.summary(orders(), MONTH, NOW)


def test_kpi_top_workers(benchmark, orders):
    assert benchmark(lambda: kpis.top_workers(orders(), MONTH, dashboard_views.TOP_WORKERS))


def test_kpi_top_workers_baseline(benchmark, orders):
    workers = benchmark(raw_kpis.top_workers, MONTH, dashboard_views.TOP_WORKERS)
    assert workers == kpis.top_workers(orders(), MONTH, dashboard_views.TOP_WORKERS)


def test_kpi_daily(benchmark, orders):
    series = benchmark(lambda: kpis.daily(orders(), MONTH))
    assert len(series) == MONTH.days


def test_kpi_daily_baseline(benchmark, orders):
    series = benchmark(raw_kpis.daily, MONTH)
    assert series == kpis.daily(orders(), MONTH)


def test_kpi_by_team(benchmark, orders):
    assert benchmark(lambda: kpis.by_team(orders(), MONTH, NOW))


def test_kpi_by_team_baseline(benchmark, orders):
    teams = benchmark(raw_kpis.by_team, MONTH, NOW)
    assert teams == kpis.by_team(orders(), MONTH, NOW)


def test_kpi_by_worker(benchmark, orders):
    assert benchmark(lambda: kpis.by_worker(orders(), MONTH))


def test_kpi_by_worker_baseline(benchmark, orders):
    workers = benchmark(raw_kpis.by_worker, MONTH)
    assert workers == kpis.by_worker(orders(), MONTH)


def test_kpi_repeat_locations(benchmark, orders):
    assert benchmark(lambda: kpis.repeat_locations(orders(), MONTH))


def test_kpi_repeat_locations_baseline(benchmark, orders):
    places = benchmark(raw_kpis.repeat_locations, MONTH)
    assert places == kpis.repeat_locations(orders(), MONTH)


# --- what the pages and the API ask for ---------------------------------------------------------------


def test_kpi_api_month(benchmark, director_client):
    """GET /api/v1/kpis?month=: the month's figures and the previous month's."""
    response = benchmark(director_client.get, "/api/v1/kpis", {"month": f"{MONTH.first:%Y-%m}"})
    assert response.status_code == 200, response.content


def test_kpi_api_month_baseline(benchmark, director_client):
    def figures():
        return raw_kpis.summary(MONTH, timezone.now()), raw_kpis.summary(MONTH.previous(), timezone.now())

    month, previous = benchmark(figures)
    _same_answer(director_client, month, previous)


def test_kpi_api_month_baseline_rollup(benchmark, director_client):
    def figures():
        return (
            raw_kpis.summary_from_rollup(MONTH, timezone.now()),
            raw_kpis.summary_from_rollup(MONTH.previous(), timezone.now()),
        )

    month, previous = benchmark(figures)
    _same_answer(director_client, month, previous)


def _same_answer(director_client, month, previous):
    answer = director_client.get("/api/v1/kpis", {"month": f"{MONTH.first:%Y-%m}"}).json()
    assert answer["kpis"]["volume"]["count"] == month["volume"]["count"]
    assert answer["kpis"]["response_time"] == month["response_time"]
    assert answer["kpis"]["completion_time"] == month["completion_time"]
    assert answer["previous"]["repeat_faults"] == previous["repeat_faults"]
    assert answer["previous"]["backlog"] == previous["backlog"]


def dashboard_figures(month: Period, previous: Period) -> dict:
    """Every figure the director's dashboard shows, by hand: today's, the month's and the month
    before's, per worker, per team, day by day, the repeat places and the latest complaints."""
    now = timezone.now()
    return {
        "today": raw_kpis.summary(Period.day(timezone.localdate()), now),
        "month": raw_kpis.summary(month, now),
        "previous": raw_kpis.summary(previous, now),
        "workers": raw_kpis.top_workers(month, dashboard_views.TOP_WORKERS),
        "repeats": raw_kpis.repeat_locations(month, dashboard_views.TOP_LOCATIONS),
        "teams": raw_kpis.by_team(month, now),
        "daily": raw_kpis.daily(month),
        "complaints": raw_kpis.latest_complaints(month, dashboard_views.COMPLAINTS_SHOWN),
    }


def test_dashboard(benchmark, director_client):
    """GET /insight/?month= as the director: the whole page, rendered."""
    response = benchmark(director_client.get, "/insight/", {"month": f"{MONTH.first:%Y-%m}"})
    assert response.status_code == 200


def test_dashboard_baseline(benchmark, director_client):
    month, previous = dashboard_views._periods(f"{MONTH.first:%Y-%m}", timezone.localdate())
    figures = benchmark(dashboard_figures, month, previous)
    page = director_client.get("/insight/", {"month": f"{MONTH.first:%Y-%m}"})
    cards = {card["key"]: card["value"] for card in page.context["month_cards"]}
    assert cards["month-volume"] == dashboard_views.count_text(figures["month"]["volume"]["count"])
    assert page.context["repeat_faults"]["count"] == figures["month"]["repeat_faults"]["count"]
    assert [(row["location"]["code"], row["count"]) for row in page.context["repeats"]] == [
        (row["location"]["code"], row["count"]) for row in figures["repeats"]
    ]
    teams = {(team["team"]["name"], team["completed"]["count"], team["backlog"]["open"]) for team in figures["teams"]}
    assert {(team["name"], team["completed"], team["open"]) for team in page.context["teams"]} == teams
    assert page.context["chart_data"]["trend"]["created"] == [day["volume"] for day in figures["daily"]]
    assert [order.number for order in page.context["complaints"]] == [row[1] for row in figures["complaints"]]
