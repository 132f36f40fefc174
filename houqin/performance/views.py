"""The performance pages: the month's ranking of teams and workers, one worker's month, the
weights, the Excel file for bonus allocation (二次分配) and the worker's own figures on the phone."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import BooleanField, ExpressionWrapper
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _

from houqin.core.audit import history_for, record_security_event
from houqin.core.generic import bootstrap_form, reverse_or_none
from houqin.core.models import SecurityEventKind
from houqin.core.refs import resolve_ref
from houqin.insight import kpis
from houqin.insight.periods import Period
from houqin.org.models import Person
from houqin.performance import export, scoring
from houqin.performance.forms import PerformanceFilterForm, ScoreWeightsForm
from houqin.performance.months import is_running, last_complete_month, month_label, month_value
from houqin.performance.services import change_weights, weights_in_force

VIEW = "performance.view_performance"
VIEW_WEIGHTS = "performance.view_scoreweights"
CHANGE_WEIGHTS = "performance.change_scoreweights"
EXPORT = "core.export_data"
WORK = "servicedesk.work_workorder"
WORKERS_PER_PAGE = 50
ORDERS_PER_PAGE = 50


def _require(user, *perms: str) -> None:
    if not all(user.has_perm(perm) for perm in perms):
        raise PermissionDenied


def _weights(request) -> scoring.Weights:
    return scoring.Weights.of(weights_in_force(by=request.user))


def _filter_form(request) -> PerformanceFilterForm:
    data = request.GET.copy()
    if not data.get("month"):
        data["month"] = month_value(last_complete_month())
    return PerformanceFilterForm(data, user=request.user)


def _add_errors(form, exc: ValidationError) -> None:
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def _ranking(request, form, weights) -> scoring.Ranking | None:
    if not form.is_valid():
        return None
    try:
        return scoring.ranking(request.user, form.period(), form.filters(), weights=weights)
    except ValidationError as exc:
        _add_errors(form, exc)
        return None


def _query(form, **extra) -> str:
    """The month and filters of the page as a query string (for links to the worker page, the file)."""
    if not form.is_valid():
        return urlencode(extra)
    params = {"month": month_value(form.period()), **form.filters(), **extra}
    return urlencode(params)


def _breadcrumbs(*items):
    return [{"label": _("Home"), "url": reverse("core:home")}, *({"label": label, "url": url} for label, url in items)]


@login_required
def ranking(request):
    """The month's teams and workers: figures, parts (0–100) and score, best first."""
    _require(request.user, VIEW)
    weights = _weights(request)
    form = _filter_form(request)
    result = _ranking(request, form, weights)
    page = Paginator(result.workers if result else [], WORKERS_PER_PAGE).get_page(request.GET.get("page"))
    period = result.period if result else None
    context = {
        "title": _("Performance"),
        "breadcrumbs": _breadcrumbs((_("Performance"), None)),
        "form": form,
        "result": result,
        "period": period,
        "period_label": month_label(period) if period else "",
        "running": bool(period and is_running(period)),
        "weights": weights,
        "parts": _weight_rows(weights),
        "workers_page": page,
        "query": _query(form),
        "can_export": request.user.has_perm(EXPORT),
        "can_see_weights": request.user.has_perm(VIEW_WEIGHTS),
        # A contractor manager sees one company only: its name on every row says nothing.
        "show_company": bool(result) and len({row.company_id for row in (*result.teams, *result.workers)}) > 1,
    }
    return render(request, "performance/ranking.html", context, status=_status(form))


def _status(form) -> int:
    # A month or filter that is not valid is a bad request; the page names it on the form.
    return 400 if form.errors else 200


def _weight_rows(weights: scoring.Weights) -> list[dict]:
    return [
        {
            "name": part,
            "label": scoring.PART_LABELS[part],
            "rule": scoring.PART_RULES[part],
            "weight": weights.weight(part),
            "share": weights.share(part),
        }
        for part in scoring.PARTS
    ]


@login_required
def worker(request, ref: str):
    """One worker's month: the parts behind the score, the daily count and the orders counted."""
    _require(request.user, VIEW)
    person = resolve_ref(Person.objects.for_user(request.user).select_related("team", "company"), ref)
    if person is None:
        raise Http404
    weights = _weights(request)
    form = _filter_form(request)
    standing = daily = orders_page = None
    period = None
    if form.is_valid():
        period = form.period()
        try:
            orders = kpis.scoped_orders(request.user, form.filters())
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            standing = scoring.standing(person, period, weights, orders)
            own = orders.filter(assignee=person)
            daily = _daily_chart(kpis.daily(own, period))
            counted = (
                kpis.orders_behind("workload", own, period)
                .select_related("category", "location")
                .annotate(points=kpis.points(), late=ExpressionWrapper(kpis.LATE, output_field=BooleanField()))
                .order_by("-completed_at", "-pk")
            )
            orders_page = Paginator(counted, ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    query = _query(form)
    context = {
        "title": str(person),
        "breadcrumbs": _breadcrumbs(
            (_("Performance"), reverse("performance:ranking") + (f"?{query}" if query else "")), (person.name, None)
        ),
        "person": person,
        "form": form,
        "period": period,
        "period_label": month_label(period) if period else "",
        "running": bool(period and is_running(period)),
        "weights": weights,
        "standing": standing,
        "parts": _part_rows(standing, weights) if standing else [],
        "daily": daily,
        "orders_page": orders_page,
        "query": query,
        "can_open_orders": request.user.has_perm("servicedesk.view_workorder"),
        "drill_down_url": _drill_down_url(request.user, person, period, form.filters() if period else {}),
    }
    return render(request, "performance/worker.html", context, status=_status(form))


def _drill_down_url(user, person, period, filters: dict) -> str | None:
    """The KPI pages' list of the orders behind the workload figure, narrowed to the worker (with
    its Excel export there), for those who may open the KPI pages."""
    url = reverse_or_none("insight:kpi_orders")
    if url is None or period is None or not user.has_perm("insight.view_kpis"):
        return None
    params = {
        "figure": "workload",
        "worker": person.employee_no,
        "start": period.first.isoformat(),
        "end": period.last.isoformat(),
        **filters,
    }
    return f"{url}?{urlencode(params)}"


def _part_rows(standing: scoring.Score, weights: scoring.Weights) -> list[dict]:
    """The table that makes the score traceable: figure, part, weight share, contribution."""
    contributions = standing.contributions(weights)
    return [
        {
            "name": part,
            "label": scoring.PART_LABELS[part],
            "rule": scoring.PART_RULES[part],
            "value": standing.parts[part],
            "weight": weights.weight(part),
            "share": contributions[part]["share"],
            "points": contributions[part]["points"],
        }
        for part in scoring.PARTS
    ]


# Drawing of the daily bars (an SVG drawn here: no script, nothing the CSP forbids).
CHART_HEIGHT = 60
BAR_WIDTH = 10
BAR_STEP = 12


def _daily_chart(days: list[dict]) -> dict:
    most = max((day["completed"] for day in days), default=0)
    bars = []
    for index, day in enumerate(days):
        height = round(day["completed"] / most * (CHART_HEIGHT - 4), 1) if most else 0
        bars.append(
            {
                "date": day["date"],
                "completed": day["completed"],
                "on_time_rate": day["on_time_rate"],
                "x": index * BAR_STEP + 1,
                "y": CHART_HEIGHT - height,
                "height": height,
            }
        )
    return {
        "bars": bars,
        "width": len(days) * BAR_STEP,
        "height": CHART_HEIGHT,
        "bar_width": BAR_WIDTH,
        "most": most,
        "total": sum(day["completed"] for day in days),
        "first": days[0]["date"] if days else "",
        "last": days[-1]["date"] if days else "",
    }


@login_required
def weights(request):
    """The weights in force; the director changes them here (audited)."""
    _require(request.user, VIEW_WEIGHTS)
    row = weights_in_force(by=request.user)
    # Read before a bound form writes the values typed onto the row (refused ones too).
    current = scoring.Weights.of(row)
    can_change = request.user.has_perm(CHANGE_WEIGHTS)
    form = None
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        form = ScoreWeightsForm(request.POST, instance=row, user=request.user)
        if form.is_valid():
            change_weights(form, by=request.user)
            messages.success(request, _("The weights were saved; every score is computed with them from now on."))
            return redirect("performance:weights")
    elif can_change:
        form = ScoreWeightsForm(instance=row, user=request.user)
    if form is not None:
        bootstrap_form(form)
    context = {
        "title": _("Score weights"),
        "breadcrumbs": _breadcrumbs((_("Performance"), reverse("performance:ranking")), (_("Score weights"), None)),
        "row": row,
        "weights": current,
        "parts": _weight_rows(current),
        "form": form,
        "can_change": can_change,
        "history": _history(request, row),
    }
    return render(request, "performance/weights.html", context, status=_status(form) if form is not None else 200)


def _history(request, row) -> list | None:
    if not request.user.has_perm("core.view_auditentry"):
        return None
    labels = {field.name: str(field.verbose_name) for field in row._meta.fields}
    return [
        {
            "entry": entry,
            "colour": {"create": "green", "update": "blue"}.get(entry.action, "grey"),
            "changes": [
                {"label": labels.get(name, name), "before": pair[0] or "", "after": pair[1] or ""}
                for name, pair in sorted((entry.changes or {}).items())
                if isinstance(pair, list) and len(pair) == 2
            ],
        }
        for entry in history_for(row)[:20]
    ]


@login_required
def export_xlsx(request):
    """The month's ranking as an Excel workbook for bonus allocation, filtered like the page."""
    _require(request.user, VIEW, EXPORT)
    weights = _weights(request)
    form = _filter_form(request)
    result = _ranking(request, form, weights)
    if result is None:
        problems = "; ".join(
            f"{form.fields[name].label if name in form.fields else name}: {' '.join(errors)}"
            for name, errors in form.errors.items()
        )
        return HttpResponseBadRequest(
            _("Correct the filters first: %(errors)s") % {"errors": problems}, content_type="text/plain; charset=utf-8"
        )
    filters = form.filters()
    content, rows = export.workbook(result, filters=filters, user=request.user)
    record_security_event(
        SecurityEventKind.EXPORT,
        user=request.user,
        detail={
            "list": "performance",
            "format": "xlsx",
            "rows": rows,
            "month": month_value(result.period),
            "filters": filters,
        },
    )
    response = HttpResponse(content, content_type=export.CONTENT_TYPE)
    filename = export.filename(result.period)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response


def _person_of(user):
    try:
        return user.person
    except Person.DoesNotExist:
        return None


@login_required
def mine(request):
    """My own figures on the phone: this month so far and last month, my score and my rank in my
    team. Any person may open it; it never shows anyone else's figures."""
    person = _person_of(request.user)
    months = []
    if person is not None:
        weights = _weights(request)
        today = timezone.localdate()
        for period in (Period.this_month(), last_complete_month(today)):
            standing = scoring.standing(person, period, weights)
            months.append({"period": period, "label": month_label(period, today), "standing": standing})
    context = {
        "person": person,
        "months": months,
        "nav": "performance",
        "is_worker": request.user.has_perm(WORK),
    }
    return render(request, "performance/mine.html", context)
