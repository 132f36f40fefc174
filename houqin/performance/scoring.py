"""The monthly score (绩效) of workers and teams, as docs/performance.md explains it.

Every figure comes from houqin.insight.kpis (by_worker, by_team, complaints_by_team); this module
only turns the figures into five parts, each 0–100, and weighs them with the ScoreWeights in force:

  workload      points ÷ the most points among the peers × 100. A worker's peers are the members
                of their team (without a team: the team-less people of their company); a team's
                peers are the teams of its company. Peers always lie inside one company, so a
                contractor manager and the director see the same score for the same person.
  on-time       on-time orders ÷ completed orders × 100
  rework        (1 − reworked orders ÷ completed orders) × 100
  satisfaction  (average rating − 1) ÷ 4 × 100; without a rating the part is left out
  complaints    100 − points off per complaint × complaints, at least 0; for a team, complaints
                per 100 completed orders (a team of a hundred collects more than one worker)

Parts are rounded to one decimal; the score is their weighted average (the weights are normalised
by their sum over the parts present), rounded to two decimals, so that anyone can redo it from
the figures on the page. Nothing completed in the month: no score at all, not 0."""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from houqin.insight import kpis
from houqin.insight.periods import Period
from houqin.org.models import Person, Team
from houqin.performance.models import ScoreWeights
from houqin.servicedesk.models import WorkOrder

PARTS = ("workload", "on_time", "rework", "satisfaction", "complaints")
PART_LABELS = {
    "workload": _("workload points"),
    "on_time": _("on-time rate"),
    "rework": _("rework"),
    "satisfaction": _("satisfaction"),
    "complaints": _("complaints"),
}
PART_RULES = {
    "workload": _("points ÷ the most points among the peers × 100"),
    "on_time": _("on-time orders ÷ completed orders × 100"),
    "rework": _("(1 − reworked orders ÷ completed orders) × 100"),
    "satisfaction": _("(average rating − 1) ÷ 4 × 100; left out without ratings"),
    "complaints": _("100 − points off per complaint × complaints (a team's: per 100 completed orders), at least 0"),
}
# The filters of the pages, the export and the API (the KPI filters that make sense for people).
FILTERS = ("team", "contractor", "site")

HUNDRED = Decimal(100)
PART_STEP = Decimal("0.1")
SCORE_STEP = Decimal("0.01")


def _round(value: Decimal, step: Decimal) -> Decimal:
    return value.quantize(step, rounding=ROUND_HALF_UP)


def _percent(fraction: Decimal) -> Decimal:
    return _round(fraction * HUNDRED, PART_STEP)


@dataclass(frozen=True)
class Weights:
    """The weights of a ScoreWeights row, as plain values (what a ranking was computed with)."""

    workload: Decimal
    on_time: Decimal
    rework: Decimal
    satisfaction: Decimal
    complaints: Decimal
    complaint_penalty: Decimal

    @classmethod
    def of(cls, row: ScoreWeights) -> "Weights":
        return cls(**{name: Decimal(getattr(row, name)) for name in (*PARTS, "complaint_penalty")})

    @classmethod
    def defaults(cls) -> "Weights":
        return cls.of(ScoreWeights())

    def weight(self, part: str) -> Decimal:
        return getattr(self, part)

    @property
    def total(self) -> Decimal:
        return sum((self.weight(part) for part in PARTS), Decimal(0))

    def share(self, part: str) -> Decimal | None:
        """The part's weight as a percentage of all weights (what it counts when every part is present)."""
        return _round(self.weight(part) / self.total * HUNDRED, PART_STEP) if self.total else None

    def as_dict(self) -> dict:
        return {name: float(getattr(self, name)) for name in (*PARTS, "complaint_penalty")}


@dataclass
class Score:
    """One worker's or one team's month: the KPI figures, the five parts and the score."""

    kind: str  # "worker" or "team"
    id: int
    code: str  # employee number or team code
    name: str
    company: str = ""
    company_id: int | None = None
    team: str = ""
    team_id: int | None = None
    team_code: str = ""
    completed: int = 0
    points: Decimal = Decimal(0)
    on_time: int = 0
    reworked: int = 0
    rated: int = 0
    rating: Decimal | None = None  # average rating, as kpis rounds it (2 decimals)
    satisfied_share: float | None = None
    complaints: int = 0
    best_points: Decimal | None = None  # the most points among the peers: the workload part's 100
    parts: dict = field(default_factory=lambda: dict.fromkeys(PARTS))
    score: Decimal | None = None
    rank: int | None = None  # among all the rows of the list
    peer_rank: int | None = None  # within the team (workers) or the company (teams)
    peers: int = 0  # how many of the peers have a score

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.completed if self.completed else None

    @property
    def rework_rate(self) -> float | None:
        return self.reworked / self.completed if self.completed else None

    @property
    def complaint_units(self) -> Decimal | None:
        """What the complaints part multiplies by the penalty: a worker's complaints; a team's
        complaints per 100 completed orders (two decimals)."""
        if self.kind == "worker":
            return Decimal(self.complaints)
        if not self.completed:
            return None
        return _round(Decimal(self.complaints) * HUNDRED / Decimal(self.completed), SCORE_STEP)

    @property
    def peer_key(self) -> tuple:
        if self.kind == "team":
            return ("company", self.company_id)
        return ("team", self.team_id) if self.team_id else ("company", self.company_id)

    def sort_key(self) -> tuple:
        """Best first: score, then workload points, then employee number (or team code)."""
        return (-(self.score or 0), -self.points, self.code)

    def contributions(self, weights: Weights) -> dict:
        """Per part: its normalised weight (%) and what it adds to the score (weight share × part)."""
        present = sum((weights.weight(p) for p in PARTS if self.parts[p] is not None), Decimal(0))
        result = {}
        for part in PARTS:
            value = self.parts[part]
            if value is None or not present:
                result[part] = {"share": None, "points": None}
                continue
            share = weights.weight(part) / present
            result[part] = {"share": _round(share * HUNDRED, PART_STEP), "points": _round(share * value, SCORE_STEP)}
        return result


# --- the arithmetic --------------------------------------------------------------------------------


def parts_of(score: Score, weights: Weights) -> dict:
    """The five parts (0–100, one decimal) of a row with completed orders; all None without."""
    if not score.completed:
        return dict.fromkeys(PARTS)
    completed = Decimal(score.completed)
    parts = {
        "workload": _percent(score.points / score.best_points) if score.best_points else None,
        "on_time": _percent(Decimal(score.on_time) / completed),
        "rework": _percent(1 - Decimal(score.reworked) / completed),
        "satisfaction": _percent((score.rating - 1) / 4) if score.rating is not None and score.rated else None,
        "complaints": _round(max(Decimal(0), HUNDRED - weights.complaint_penalty * score.complaint_units), PART_STEP),
    }
    return parts


def weighted_score(parts: dict, weights: Weights) -> Decimal | None:
    """The weighted average of the parts present, weights normalised by their sum; None when no
    part with a weight above zero is present."""
    present = [(weights.weight(part), value) for part, value in parts.items() if value is not None]
    total = sum((weight for weight, _value in present), Decimal(0))
    if not total:
        return None
    return _round(sum((weight * value for weight, value in present), Decimal(0)) / total, SCORE_STEP)


def score_all(scores: list[Score], weights: Weights) -> list[Score]:
    """Set best_points, parts, score and the ranks of every row; returns them best first, the
    rows without a score last (by team, then code)."""
    best: dict[tuple, Decimal] = {}
    for row in scores:
        if row.completed:
            best[row.peer_key] = max(best.get(row.peer_key, Decimal(0)), row.points)
    for row in scores:
        row.best_points = best.get(row.peer_key) if row.completed else None
        row.parts = parts_of(row, weights)
        row.score = weighted_score(row.parts, weights)
    scored = sorted((row for row in scores if row.score is not None), key=Score.sort_key)
    unscored = sorted((row for row in scores if row.score is None), key=lambda row: (row.team_code, row.code))
    by_peers: dict[tuple, list[Score]] = {}
    for position, row in enumerate(scored, start=1):
        row.rank = position
        by_peers.setdefault(row.peer_key, []).append(row)
    for group in by_peers.values():
        for position, row in enumerate(group, start=1):
            row.peer_rank, row.peers = position, len(group)
    for row in unscored:
        row.rank = row.peer_rank = None
        row.peers = len(by_peers.get(row.peer_key, ()))
    return scored + unscored


def _decimal(value) -> Decimal:
    return Decimal(str(value or 0))


def _figures(row: dict) -> dict:
    """The Score fields of a kpis.by_worker / by_team row."""
    satisfaction = row["satisfaction"]
    return {
        "completed": row["completed"]["count"],
        "points": _decimal(row["workload_points"]),
        "on_time": row["on_time"]["count"],
        "reworked": row["rework"]["count"],
        "rated": satisfaction["rated"],
        "rating": _decimal(satisfaction["average"]) if satisfaction["average"] is not None else None,
        "satisfied_share": satisfaction["satisfied_share"],
    }


PERSON_FIELDS = ("pk", "employee_no", "name", "team_id", "team__name", "team__code", "company_id", "company__name")


def _worker(person: dict, row: dict | None) -> Score:
    score = Score(
        kind="worker",
        id=person["pk"],
        code=person["employee_no"],
        name=person["name"],
        company=person["company__name"] or "",
        company_id=person["company_id"],
        team=person["team__name"] or "",
        team_id=person["team_id"],
        team_code=person["team__code"] or "",
    )
    if row is not None:
        for name, value in _figures(row).items():
            setattr(score, name, value)
        score.complaints = row["complaints"]
    return score


# --- the lists ---------------------------------------------------------------------------------------


@dataclass
class Ranking:
    period: Period
    weights: Weights
    teams: list[Score]
    workers: list[Score]
    computed_at: datetime.datetime = field(default_factory=timezone.now)


def team_scores(orders: QuerySet, period: Period, weights: Weights, teams: QuerySet) -> list[Score]:
    """The teams of `teams` (already scoped) that worked or held orders in the period, scored."""
    rows = kpis.by_team(orders, period)
    complaints = kpis.complaints_by_team(orders, period)
    info = {
        team["pk"]: team
        for team in teams.filter(pk__in=[row["team"]["id"] for row in rows]).values(
            "pk", "code", "name", "company_id", "company__name"
        )
    }
    scores = []
    for row in rows:
        team = info.get(row["team"]["id"])
        if team is None:
            continue  # another company's team (a contractor manager's scope reaches it through an assignee)
        score = Score(
            kind="team",
            id=team["pk"],
            code=team["code"],
            name=team["name"],
            company=team["company__name"] or "",
            company_id=team["company_id"],
            team=team["name"],
            team_id=team["pk"],
            team_code=team["code"],
            complaints=complaints.get(team["pk"], 0),
            **_figures(row),
        )
        scores.append(score)
    return score_all(scores, weights)


def worker_scores(
    orders: QuerySet, period: Period, weights: Weights, people: QuerySet, *, idle_teams=()
) -> list[Score]:
    """The people of `people` (already scoped) with completed orders in the period, scored; plus,
    without a score, the active members of `idle_teams` who completed nothing."""
    rows = {row["worker"]["id"]: row for row in kpis.by_worker(orders, period)}
    wanted = Q(pk__in=list(rows))
    if idle_teams:
        wanted |= Q(team__in=list(idle_teams), is_active=True)
    found = people.filter(wanted).values(*PERSON_FIELDS)
    return score_all([_worker(person, rows.get(person["pk"])) for person in found], weights)


def ranking(user, period: Period, params=None, *, weights: Weights) -> Ranking:
    """Teams and workers of the user's scope, narrowed by the filters in params (team, contractor,
    site), scored and ranked. Raises ValidationError naming a filter that is invalid.
    A fixed number of queries, whatever the number of people."""
    params = {name: params.get(name) for name in FILTERS if params and params.get(name)}
    orders = kpis.scoped_orders(user, params)
    teams = team_scores(orders, period, weights, Team.objects.for_user(user))
    workers = worker_scores(
        orders, period, weights, Person.objects.for_user(user), idle_teams=[team.id for team in teams]
    )
    return Ranking(period=period, weights=weights, teams=teams, workers=workers)


def peers_of(person: Person) -> Q:
    """The orders of the person's peers: their team's members' (without a team: their company's
    team-less people's)."""
    if person.team_id:
        return Q(assignee__team_id=person.team_id)
    return Q(assignee__team__isnull=True, assignee__company_id=person.company_id)


def standing(person: Person, period: Period, weights: Weights, orders: QuerySet | None = None) -> Score:
    """The person's month among their peers: figures, parts, score and rank in the team.

    `orders` is the viewer's scope (narrowed by filters); None counts every order of the peers,
    which is how a worker's own page ranks them: the worker sees only their own row."""
    orders = (WorkOrder.objects.all() if orders is None else orders).filter(peers_of(person))
    rows = kpis.by_worker(orders, period)
    people = Person.objects.filter(pk__in=[row["worker"]["id"] for row in rows] + [person.pk]).values(*PERSON_FIELDS)
    by_id = {row["worker"]["id"]: row for row in rows}
    scores = score_all([_worker(found, by_id.get(found["pk"])) for found in people], weights)
    return next(score for score in scores if score.id == person.pk)
