"""What the performance API answers and takes: scores with the figures and parts behind them."""

import datetime
from decimal import Decimal
from typing import Annotated

from ninja import Field, Schema

from houqin.core.api import LocalDateTime
from houqin.insight.periods import Period
from houqin.performance.months import is_running, month_value
from houqin.performance.scoring import PARTS, Score, Weights


class PeriodOut(Schema):
    month: str = Field(description="YYYY-MM")
    start: datetime.date
    end: datetime.date = Field(description="the last day counted (today while the month runs)")
    running: bool = Field(description="the month is still running: its figures change until it ends")


class WeightsOut(Schema):
    workload: float
    on_time: float
    rework: float
    satisfaction: float
    complaints: float
    complaint_penalty: float = Field(description="points off the complaints part per complaint")
    last_updated: LocalDateTime | None = None


Weight = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]


class WeightsIn(Schema):
    """Every weight, 0–100 (they need not add up to 100; not all five may be 0)."""

    workload: Weight
    on_time: Weight
    rework: Weight
    satisfaction: Weight
    complaints: Weight
    complaint_penalty: Weight


class PartsOut(Schema):
    workload: float | None = Field(description="points ÷ the most points among the peers × 100")
    on_time: float | None = Field(description="on-time rate × 100")
    rework: float | None = Field(description="(1 − rework rate) × 100")
    satisfaction: float | None = Field(description="(average rating − 1) ÷ 4 × 100; null without ratings")
    complaints: float | None = Field(description="100 − penalty × complaints (a team's: per 100 completed), ≥ 0")


class FiguresOut(Schema):
    completed: int
    workload_points: float
    best_points: float | None = Field(description="the most points among the peers: the workload part's 100")
    on_time: int
    on_time_rate: float | None
    reworked: int
    rework_rate: float | None
    rated: int
    rating_average: float | None
    complaints: int
    parts: PartsOut
    score: float | None = Field(description="weighted average of the parts, 0–100; null: nothing completed")


class PersonRef(Schema):
    id: int
    employee_no: str
    name: str
    team: str
    company: str


class TeamRef(Schema):
    id: int
    code: str
    name: str
    company: str


class WorkerScoreOut(FiguresOut):
    rank: int | None = Field(description="place among all the workers of the answer; null without a score")
    team_rank: int | None = Field(description="place within the worker's team")
    team_size: int = Field(description="how many of the team have a score")
    worker: PersonRef


class TeamScoreOut(FiguresOut):
    rank: int | None
    company_rank: int | None = Field(description="place among the teams of the same company")
    company_size: int
    complaints_per_100: float | None = Field(description="complaints per 100 completed orders")
    team: TeamRef


class WorkersOut(Schema):
    period: PeriodOut
    weights: WeightsOut
    count: int
    items: list[WorkerScoreOut]


class TeamsOut(Schema):
    period: PeriodOut
    weights: WeightsOut
    count: int
    items: list[TeamScoreOut]


class MyMonthOut(FiguresOut):
    period: PeriodOut
    team_rank: int | None
    team_size: int


class MeOut(Schema):
    person: PersonRef
    months: list[MyMonthOut] = Field(description="this month so far, then last month")


# --- conversions ------------------------------------------------------------------------------------


def _float(value) -> float | None:
    return None if value is None else float(value)


def period_out(period: Period) -> dict:
    return {"month": month_value(period), "start": period.first, "end": period.last, "running": is_running(period)}


def weights_out(weights: Weights, last_updated=None) -> dict:
    return {**weights.as_dict(), "last_updated": last_updated}


def figures_out(score: Score) -> dict:
    return {
        "completed": score.completed,
        "workload_points": float(score.points),
        "best_points": _float(score.best_points),
        "on_time": score.on_time,
        "on_time_rate": None if score.on_time_rate is None else round(score.on_time_rate, 4),
        "reworked": score.reworked,
        "rework_rate": None if score.rework_rate is None else round(score.rework_rate, 4),
        "rated": score.rated,
        "rating_average": _float(score.rating),
        "complaints": score.complaints,
        "parts": {part: _float(score.parts[part]) for part in PARTS},
        "score": _float(score.score),
    }


def person_out(score: Score) -> dict:
    return {"id": score.id, "employee_no": score.code, "name": score.name, "team": score.team, "company": score.company}


def worker_out(score: Score) -> dict:
    return {
        **figures_out(score),
        "rank": score.rank,
        "team_rank": score.peer_rank,
        "team_size": score.peers,
        "worker": person_out(score),
    }


def team_out(score: Score) -> dict:
    return {
        **figures_out(score),
        "rank": score.rank,
        "company_rank": score.peer_rank,
        "company_size": score.peers,
        "complaints_per_100": _float(score.complaint_units),
        "team": {"id": score.id, "code": score.code, "name": score.name, "company": score.company},
    }
