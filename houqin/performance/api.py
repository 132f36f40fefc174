"""Performance (绩效) in the REST API, under /api/v1/performance: the month's scores of workers
and teams with the figures and parts behind them, the caller's own month, and the weights.

The scores come from houqin.performance.scoring over the caller's scope (a contractor manager:
only their company's people and teams), narrowed by `team`, `contractor` and `site`. Needs
`performance.view_performance`; /me needs only a login linked to a person; changing the weights
needs `performance.change_scoreweights`. Invalid input answers 400 naming the parameter or field."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router

from houqin.core.api import InvalidInput, errors_for, register_router
from houqin.core.api.lists import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET
from houqin.insight.periods import Period
from houqin.org.models import Person
from houqin.performance import schemas, scoring
from houqin.performance.forms import ScoreWeightsForm
from houqin.performance.months import last_complete_month, month_period
from houqin.performance.services import change_weights, weights_in_force

VIEW = "performance.view_performance"
VIEW_WEIGHTS = "performance.view_scoreweights"
CHANGE_WEIGHTS = "performance.change_scoreweights"

router = Router(tags=["performance"])

MONTH = Query(None, max_length=32, description="YYYY-MM; default: the last complete month; this month: so far")
TEAM = Query(None, max_length=200, description="team: id or code")
CONTRACTOR = Query(None, max_length=200, description="company: id or code; its teams' orders and its people's")
SITE = Query(None, max_length=200, description="site: id or code (where the orders were)")
LIMIT = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"page size, 1–{MAX_LIMIT}")
OFFSET = Query(0, ge=0, le=MAX_OFFSET, description="how many to skip")


def _require(request, *perms: str) -> None:
    if not all(request.user.has_perm(perm) for perm in perms):
        raise PermissionDenied(_("You do not have permission to do this."))


def _ranking(request, month, team, contractor, site) -> scoring.Ranking:
    _require(request, VIEW)
    try:
        period = month_period(month)
    except ValidationError as exc:
        raise InvalidInput(exc.message_dict) from None
    weights = scoring.Weights.of(weights_in_force(by=request.user))
    params = {"team": team, "contractor": contractor, "site": site}
    try:
        return scoring.ranking(request.user, period, params, weights=weights)
    except ValidationError as exc:
        raise InvalidInput(exc.message_dict) from None


def _header(result: scoring.Ranking) -> dict:
    return {"period": schemas.period_out(result.period), "weights": schemas.weights_out(result.weights)}


@router.get(
    "/workers",
    response={200: schemas.WorkersOut, **errors_for(400, 401, 403)},
    operation_id="list_worker_scores",
    url_name="performance_workers",
    summary="The month's score of every worker, best first",
)
def list_workers(
    request,
    month: str | None = MONTH,
    team: str | None = TEAM,
    contractor: str | None = CONTRACTOR,
    site: str | None = SITE,
    limit: int = LIMIT,
    offset: int = OFFSET,
):
    """Workers with completed orders in the month, ranked by score (ties: more workload points,
    then employee number), then the other members of the teams listed without a score. Each item
    carries the figures, the five parts (0–100) and the score, so that the score can be redone."""
    result = _ranking(request, month, team, contractor, site)
    items = [schemas.worker_out(row) for row in result.workers[offset : offset + limit]]
    return {**_header(result), "count": len(result.workers), "items": items}


@router.get(
    "/teams",
    response={200: schemas.TeamsOut, **errors_for(400, 401, 403)},
    operation_id="list_team_scores",
    url_name="performance_teams",
    summary="The month's score of every team, best first",
)
def list_teams(
    request,
    month: str | None = MONTH,
    team: str | None = TEAM,
    contractor: str | None = CONTRACTOR,
    site: str | None = SITE,
):
    """Teams that completed or held orders in the month, ranked by score; a team's workload is
    compared with the best team of the same company, its complaints counted per 100 completed."""
    result = _ranking(request, month, team, contractor, site)
    items = [schemas.team_out(row) for row in result.teams]
    return {**_header(result), "count": len(items), "items": items}


@router.get(
    "/me",
    response={200: schemas.MeOut, **errors_for(401, 404)},
    operation_id="get_my_performance",
    url_name="performance_me",
    summary="My own figures, score and rank in my team",
)
def get_mine(request):
    """The caller's own month so far and last month: figures, parts, score and rank within their
    team (counted over all the team's orders; nobody else's figures are answered). 404 when the
    account is not linked to a person."""
    try:
        person = request.user.person
    except Person.DoesNotExist:
        raise Http404 from None
    weights = scoring.Weights.of(weights_in_force(by=request.user))
    today = timezone.localdate()
    months = []
    for period in (Period.this_month(), last_complete_month(today)):
        standing = scoring.standing(person, period, weights)
        months.append(
            {
                **schemas.figures_out(standing),
                "period": schemas.period_out(period),
                "team_rank": standing.peer_rank,
                "team_size": standing.peers,
            }
        )
    person_ref = {
        "id": person.pk,
        "employee_no": person.employee_no,
        "name": person.name,
        "team": person.team.name if person.team_id else "",
        "company": person.company.name,
    }
    return {"person": person_ref, "months": months}


@router.get(
    "/weights",
    response={200: schemas.WeightsOut, **errors_for(401, 403)},
    operation_id="get_score_weights",
    url_name="performance_weights",
    summary="The score weights in force",
)
def get_weights(request):
    """The weights of the five parts and the points off per complaint."""
    _require(request, VIEW_WEIGHTS)
    row = weights_in_force(by=request.user)
    return schemas.weights_out(scoring.Weights.of(row), row.last_updated)


@router.put(
    "/weights",
    response={200: schemas.WeightsOut, **errors_for(400, 401, 403)},
    operation_id="set_score_weights",
    url_name="performance_weights_set",
    summary="Change the score weights",
)
def set_weights(request, payload: schemas.WeightsIn):
    """Replace every weight (0–100 each; they need not add up to 100, but not all five may be 0).
    Audited; every score is computed with the new weights from then on."""
    _require(request, VIEW_WEIGHTS, CHANGE_WEIGHTS)
    row = weights_in_force(by=request.user)
    form = ScoreWeightsForm(
        data={name: str(value) for name, value in payload.dict().items()}, instance=row, user=request.user
    )
    if not form.is_valid():
        raise InvalidInput({name: list(messages) for name, messages in form.errors.items()})
    row = change_weights(form, by=request.user)
    return schemas.weights_out(scoring.Weights.of(row), row.last_updated)


register_router("performance", router)
