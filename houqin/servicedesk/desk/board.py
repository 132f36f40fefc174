"""The dispatch board: per team, the orders nobody has yet and each worker's load, duty
and whereabouts; assign, reassign, transfer to another team, put people on or off duty."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from houqin.core.exceptions import ConflictError
from houqin.core.generic import reverse_or_none, wants_fragment
from houqin.org.models import Person, Team
from houqin.servicedesk import services
from houqin.servicedesk.desk.common import (
    DISPATCH,
    QUEUE_LIMIT,
    conflict_message,
    decorate,
    done_message,
    error_text,
    htmx_reload,
    order_or_404,
    posted_version,
    ref_or_none,
    requires,
    scoped_orders,
)
from houqin.servicedesk.dispatch import BuildingIndex, rank_workers, team_workers
from houqin.servicedesk.models import OPEN_STATUSES, Status

NO_TEAM = "none"


def _board_team(request, teams: list[Team]):
    """The team asked for (?team= id or code, "none" for orders without a team), else the team
    the user leads, else their own team, else the first one."""
    wanted = request.GET.get("team") or request.POST.get("board")
    if wanted == NO_TEAM:
        return NO_TEAM
    by_key = {str(team.pk): team for team in teams} | {team.code: team for team in teams}
    if wanted and wanted in by_key:
        return by_key[wanted]
    if wanted:
        raise Http404
    person = getattr(request.user, "person", None) if hasattr(request.user, "person") else None
    if person is not None:
        for team in teams:
            if team.leader_id == person.pk:
                return team
        for team in teams:
            if team.pk == person.team_id:
                return team
    return teams[0] if teams else NO_TEAM


def board_context(request) -> dict:
    user = request.user
    now = timezone.now()
    teams = list(Team.objects.for_user(user).filter(is_active=True).only("id", "code", "name", "leader_id"))
    team = _board_team(request, teams)
    team_key = NO_TEAM if team == NO_TEAM else str(team.pk)
    orders = scoped_orders(user).select_related("category", "category__parent", "location", "team")
    if team == NO_TEAM:
        waiting = orders.filter(team__isnull=True, status=Status.ACCEPTED)
        workers = []
        assigned = []
    else:
        waiting = orders.filter(team=team).filter(
            Q(status=Status.ACCEPTED) | Q(status=Status.DISPATCHED, assignee__isnull=True)
        )
        workers = list(team_workers(team.pk))
        assigned = list(
            orders.filter(assignee__in=[w.pk for w in workers], status__in=OPEN_STATUSES).order_by(
                "completion_due", "pk"
            )
        )
    waiting = decorate(waiting.order_by("created", "pk")[:QUEUE_LIMIT], now)
    decorate(assigned, now)
    index = BuildingIndex.for_paths(
        [o.location.tree_path for o in waiting if o.location_id]
        + [w.current_path for w in workers if w.current_path]
        + [o.location.tree_path for o in assigned if o.location_id]
    )
    for worker in workers:
        worker.building = index.building(worker.current_path)
        worker.orders = []
    by_worker = {w.pk: w for w in workers}
    for order in assigned:
        by_worker[order.assignee_id].orders.append(order)
    for order in [*waiting, *assigned]:
        building = index.building(order.location.tree_path) if order.location_id else None
        order.building = building
        order.ranked = rank_workers(workers, building, index) if workers else []
    other_teams = [t for t in teams if team == NO_TEAM or t.pk != team.pk]
    # Who holds work is listed with it; who is on duty and free is a compact line of names; the
    # idle members off duty are folded away (a cleaning team has a hundred and more).
    workers_busy = [w for w in workers if w.orders]
    workers_free = [w for w in workers if w.on_duty and not w.orders]
    workers_idle = [w for w in workers if not w.on_duty and not w.orders]
    return {
        "teams": teams,
        "team": team,
        "team_key": team_key,
        "no_team": NO_TEAM,
        "waiting": waiting,
        "workers": workers,
        "workers_busy": workers_busy,
        "workers_free": workers_free,
        "workers_idle": workers_idle,
        "other_teams": other_teams,
        "can_set_duty": user.has_perm("org.change_person"),
        "refreshed_at": timezone.localtime(now),
        "title": _("Dispatch board"),
        "breadcrumbs": [
            {"label": _("Home"), "url": reverse_or_none("core:home")},
            {"label": _("Dispatch board"), "url": None},
        ],
    }


@require_GET
@requires(DISPATCH)
def board(request):
    """Per team: the orders nobody has yet, each worker's load, duty and whereabouts; assign,
    reassign, transfer. Refreshes itself every 15 seconds."""
    context = board_context(request)
    if wants_fragment(request, "board"):
        return render(request, "servicedesk/board_page.html#board", context)
    return render(request, "servicedesk/board_page.html", context)


def _board_url(request) -> str:
    key = request.POST.get("board", "")
    return reverse("servicedesk:board") + (f"?{urlencode({'team': key})}" if key else "")


def _board_answer(request, message: str):
    """After a board action: the refreshed board (htmx) or the board page again."""
    if request.htmx:
        context = board_context(request)
        context["done"] = message
        return render(request, "servicedesk/board_page.html#board", context)
    messages.success(request, message)
    return HttpResponseRedirect(_board_url(request))


def _board_refusal(request, message: str, status: int):
    if request.htmx:
        return htmx_reload(request, message, status=status)
    messages.error(request, message)
    return HttpResponseRedirect(_board_url(request))


@require_POST
@requires(DISPATCH)
def board_assign(request, pk: int):
    """Assign (or reassign) an order to a worker."""
    user = request.user
    order = order_or_404(user, pk, related=("category", "team", "assignee"))
    assignee = ref_or_none(Person.objects.for_user(user).filter(is_active=True), request.POST.get("assignee"))
    version = posted_version(request)
    if assignee is None:
        return _board_refusal(request, _("Worker: choose who takes the order."), 422)
    if version is None:
        return _board_refusal(request, _("The form was incomplete; please try again."), 422)
    try:
        order = services.dispatch(order, by=user, assignee=assignee, version=version)
    except ConflictError as exc:
        return _board_refusal(request, conflict_message(exc), 409)
    except ValidationError as exc:
        return _board_refusal(request, error_text(exc, {"assignee": _("worker")}), 422)
    return _board_answer(request, done_message("dispatch", order))


@require_POST
@requires(DISPATCH)
def board_transfer(request, pk: int):
    """Transfer an order to another team, with the reason."""
    user = request.user
    order = order_or_404(user, pk, related=("category", "team", "assignee"))
    team = ref_or_none(Team.objects.for_user(user).filter(is_active=True), request.POST.get("team"))
    version = posted_version(request)
    if version is None:
        return _board_refusal(request, _("The form was incomplete; please try again."), 422)
    try:
        order = services.transfer(order, by=user, team=team, reason=request.POST.get("reason", ""), version=version)
    except ConflictError as exc:
        return _board_refusal(request, conflict_message(exc), 409)
    except ValidationError as exc:
        return _board_refusal(request, error_text(exc, {"team": _("team"), "reason": _("reason")}), 422)
    return _board_answer(
        request, _("%(number)s transferred to %(team)s.") % {"number": order.number, "team": order.team.name}
    )


@require_POST
@requires(DISPATCH)
def board_duty(request, pk: int):
    """Put a worker on or off duty (the suggestions take only people on duty)."""
    person = get_object_or_404(Person.objects.for_user(request.user), pk=pk)
    on_duty = request.POST.get("on_duty") == "1"
    person = services.set_on_duty(person, on_duty, by=request.user)
    text = _("%(name)s is on duty.") if person.on_duty else _("%(name)s is off duty.")
    return _board_answer(request, text % {"name": person.name})
