"""The scores of the hand-made month (conftest.py) equal the values computed by hand."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from houqin.core.models import AuditAction, AuditEntry
from houqin.org.tests.factories import PersonFactory
from houqin.performance import scoring
from houqin.performance.models import ScoreWeights
from houqin.performance.months import month_period
from houqin.performance.services import weights_in_force
from houqin.servicedesk.models import Status

from .conftest import completed

D = Decimal
DEFAULTS = scoring.Weights.defaults()


def by_code(rows):
    return {row.code: row for row in rows}


@pytest.fixture
def ranking(world, cast):
    return scoring.ranking(cast.director, world.period, weights=DEFAULTS)


def test_worker_parts_and_scores_equal_the_hand_computed_ones(ranking):
    workers = by_code(ranking.workers)
    a1, a2, b1 = workers["A1"], workers["A2"], workers["B1"]
    assert (a1.completed, a1.points, a1.on_time, a1.reworked, a1.rated, a1.rating, a1.complaints) == (
        3, D("6"), 2, 1, 2, D("4"), 1,
    )  # fmt: skip
    assert a1.parts == {
        "workload": D("100.0"),
        "on_time": D("66.7"),
        "rework": D("66.7"),
        "satisfaction": D("75.0"),
        "complaints": D("80.0"),
    }
    assert a1.score == D("79.43")
    assert a2.best_points == D("6")
    assert a2.parts == {
        "workload": D("50.0"),
        "on_time": D("100.0"),
        "rework": D("100.0"),
        "satisfaction": D("75.0"),
        "complaints": D("100.0"),
    }
    assert a2.score == D("78.75")
    assert b1.parts["satisfaction"] == D("25.0")
    assert b1.score == D("81.25")


def test_a_part_that_cannot_be_measured_is_left_out_and_the_weights_renormalised(ranking):
    b2 = by_code(ranking.workers)["B2"]
    assert b2.rated == 0
    assert b2.parts["satisfaction"] is None
    assert b2.parts["on_time"] == D("0.0")
    # (30 × 100 + 25 × 0 + 15 × 100 + 5 × 100) / (30 + 25 + 15 + 5)
    assert b2.score == D("66.67")
    contributions = b2.contributions(DEFAULTS)
    assert contributions["satisfaction"] == {"share": None, "points": None}
    assert contributions["workload"]["share"] == D("40.0")


def test_workers_are_ranked_best_first_with_their_rank_in_the_team(ranking):
    assert [row.code for row in ranking.workers] == ["B1", "A1", "A2", "B2", "A3"]
    assert [row.rank for row in ranking.workers] == [1, 2, 3, 4, None]
    workers = by_code(ranking.workers)
    assert (workers["A1"].peer_rank, workers["A1"].peers) == (1, 2)
    assert (workers["A2"].peer_rank, workers["B2"].peer_rank) == (2, 2)


def test_a_member_who_completed_nothing_is_listed_without_a_score_not_zero(ranking):
    a3 = by_code(ranking.workers)["A3"]
    assert a3.completed == 0
    assert a3.score is None
    assert a3.rank is None
    assert set(a3.parts.values()) == {None}


def test_team_scores_equal_the_hand_computed_ones(ranking):
    teams = by_code(ranking.teams)
    a, b = teams["SDWX"], teams["BJ"]
    # The team counts X2 too (completed without a worker: no points).
    assert (a.completed, a.points, a.on_time, a.reworked, a.rated, a.complaints) == (6, D("9"), 5, 1, 4, 1)
    assert a.complaint_units == D("16.67")
    assert a.parts == {
        "workload": D("100.0"),
        "on_time": D("83.3"),
        "rework": D("83.3"),
        "satisfaction": D("75.0"),
        "complaints": D("0.0"),
    }
    assert a.score == D("82.07")
    assert b.score == D("68.75")
    assert [row.code for row in ranking.teams] == ["SDWX", "BJ"]


def test_changed_weights_change_the_score(world, cast):
    weights = scoring.Weights(D(0), D(50), D(0), D(50), D(0), D(20))
    a1 = by_code(scoring.ranking(cast.director, world.period, weights=weights).workers)["A1"]
    # (50 × 66.7 + 50 × 75.0) / 100
    assert a1.score == D("70.85")


def test_ties_are_broken_by_workload_points_then_employee_number(world, cast):
    weights = scoring.Weights(D(0), D(100), D(0), D(0), D(0), D(20))  # on time only: everybody on time ties
    team = world.team_b
    c2 = PersonFactory(employee_no="C2", company=cast.contractor, team=team)
    c1 = PersonFactory(employee_no="C1", company=cast.contractor, team=team)
    c0 = PersonFactory(employee_no="C0", company=cast.contractor, team=team)
    day = world.period.first.replace(day=12)
    completed("T1", world.clean, day, assignee=c2, team=team)
    completed("T2", world.clean, day, assignee=c2, team=team)  # C2: 2 points
    completed("T3", world.clean, day, assignee=c1, team=team)  # C1: 1 point
    completed("T4", world.repair, day, assignee=c0, team=team)  # C0: 2 points
    rows = scoring.ranking(cast.director, world.period, {"team": "BJ"}, weights=weights).workers
    tied = [row.code for row in rows if row.score == D("100.00")]
    assert tied == ["C0", "C2", "B1", "C1"]
    assert [row.rank for row in rows][:4] == [1, 2, 3, 4]


def test_the_contractor_manager_sees_only_their_company_with_the_same_scores(world, cast):
    # An order of the contractor's team done by a hospital worker reaches the manager's scope.
    completed("S1", world.clean, world.period.first.replace(day=13), assignee=world.a2, team=world.team_b)
    mine = scoring.ranking(cast.contractor_manager, world.period, weights=DEFAULTS)
    everyone = scoring.ranking(cast.director, world.period, weights=DEFAULTS)
    assert [row.code for row in mine.workers] == ["B1", "B2"]
    assert [row.code for row in mine.teams] == ["BJ"]
    assert {row.code: row.score for row in mine.workers} == {
        row.code: row.score for row in everyone.workers if row.code in ("B1", "B2")
    }


def test_filters_narrow_the_orders_and_an_invalid_month_names_the_field(world, cast):
    rows = scoring.ranking(cast.director, world.period, {"team": "SDWX"}, weights=DEFAULTS)
    assert [row.code for row in rows.teams] == ["SDWX"]
    assert [row.code for row in rows.workers] == ["A1", "A2", "A3"]
    with pytest.raises(ValidationError) as error:
        month_period("2026-13")
    assert "month" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        month_period("2999-01")
    assert "month" in error.value.message_dict


def test_the_worker_standing_matches_the_ranking(world, cast):
    standing = scoring.standing(world.a1, world.period, DEFAULTS)
    assert (standing.score, standing.peer_rank, standing.peers) == (D("79.43"), 1, 2)
    idle = scoring.standing(world.a3, world.period, DEFAULTS)
    assert idle.score is None and idle.peers == 2


def test_the_default_weights_are_created_once_on_first_use_and_audited(db, cast):
    assert not ScoreWeights.objects.exists()
    first = weights_in_force(by=cast.director)
    again = weights_in_force(by=cast.agent)
    assert first.pk == again.pk
    assert ScoreWeights.objects.count() == 1
    entry = AuditEntry.objects.get(object_id=str(first.pk), content_type__model="scoreweights")
    assert entry.action == AuditAction.CREATE
    assert entry.actor == cast.director
    assert entry.changes["workload"][0] is None
    assert Decimal(entry.changes["workload"][1]) == 30


def test_a_reopened_order_counts_for_the_month_it_was_completed_in(world, cast):
    order = completed("R1", world.repair, world.period.first.replace(day=14), assignee=world.b2, team=world.team_b)
    order.status, order.completed_at = Status.DISPATCHED, None
    order.save()
    b2 = by_code(scoring.ranking(cast.director, world.period, weights=DEFAULTS).workers)["B2"]
    assert b2.completed == 1
