"""The service desk in the REST API: work orders (list, create, detail and one endpoint per
workflow action) and the telephone system's incoming-call hook with the agents' screen-pop.

Every change goes through houqin.servicedesk.services, so the API keeps exactly the rules, the
timeline and the optimistic locking of the pages: a ValidationError answers 400 by field, an
illegal or concurrent move (ConflictError) 409, a missing right 403, an order outside the
caller's scope 404 (like a missing one)."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Case, F, IntegerField, Value, When
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja import Query, Router

from houqin.accounts.roles import Scope, scope_of
from houqin.core.api import (
    InvalidInput,
    errors_for,
    filter_parameters,
    idempotency_key_header,
    idempotent,
    json_response,
    page_schema,
    paginate,
    register_router,
)
from houqin.core.api.lists import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, sort_parameter
from houqin.core.exceptions import ConflictError
from houqin.core.refs import resolve_ref
from houqin.org.models import Department, Location, Person, Team
from houqin.servicedesk import (
    catalog_api,  # noqa: F401  (the service catalog's endpoints)
    schemas,
    services,
    telephony,
)
from houqin.servicedesk.dispatch import auto_dispatch_after_intake, auto_dispatch_if_configured
from houqin.servicedesk.filters import DateOrDateTimeField, WorkOrderFilterSet
from houqin.servicedesk.models import Channel, IncomingCall, Priority, ServiceCategory, Status, WorkOrder
from houqin.servicedesk.sla import current_clock
from houqin.servicedesk.workflow import ACTIONS

VIEW = "servicedesk.view_workorder"
ADD = "servicedesk.add_workorder"
# The agents' console: people who record requests for everyone (desk agents, dispatchers).
CONSOLE = (ADD, "servicedesk.view_all_workorders")

LIST_RELATED = ("category", "location", "department", "team", "assignee")
DETAIL_RELATED = (*LIST_RELATED, "owner", "requester_user", "duplicate_of")

SORT_KEYS = ("created", "priority", "completion_due", "status")
_PRIORITY_RANK = Case(
    *(When(priority=value, then=Value(rank)) for rank, value in enumerate(Priority.values)),
    default=Value(len(Priority.values)),
    output_field=IntegerField(),
)
_STATUS_RANK = Case(
    *(When(status=value, then=Value(rank)) for rank, value in enumerate(Status.values)),
    default=Value(len(Status.values)),
    output_field=IntegerField(),
)

work_orders = Router(tags=["work orders"])
calls = Router(tags=["telephony"])

ERRORS = errors_for(400, 401, 403, 404, 409, 413)


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _require(request, *perms: str) -> None:
    if not all(request.user.has_perm(perm) for perm in perms):
        raise PermissionDenied(_("You do not have permission to do this."))


def _invalid_choice() -> str:
    return str(forms.ModelChoiceField.default_error_messages["invalid_choice"])


def _resolve(queryset, value, field: str, errors: dict | None = None):
    """The object value (id or code) names in queryset; None for None. Unknown: a 400 naming
    field (or, given errors, the message is added there for the caller to raise)."""
    if value is None:
        return None
    obj = resolve_ref(queryset, value)
    if obj is None:
        if errors is None:
            raise InvalidInput({field: [_invalid_choice()]})
        errors[field] = [_invalid_choice()]
    return obj


def _orders(request, related=DETAIL_RELATED):
    return WorkOrder.objects.for_user(request.user).select_related(*related)


def _order_in_scope(request, ref: str) -> WorkOrder:
    order = resolve_ref(_orders(request, related=("category",)), ref)
    if order is None:
        raise Http404
    return order


def _detail(request, pk: int, *, scoped: bool = True) -> dict:
    """The order as WorkOrderOut, JSON-ready, with the actions the caller may take now."""
    queryset = _orders(request) if scoped else WorkOrder.objects.select_related(*DETAIL_RELATED)
    order = queryset.prefetch_related("events").filter(pk=pk).first()
    if order is None:
        raise Http404
    user = request.user
    order.actions = [
        {"name": action.name, "label": str(action.label)}
        for action in ACTIONS.values()
        if order.status in action.sources and services.may_act(user, order, action.name)
    ]
    clock = current_clock(order)
    order.clock = (
        {"target": clock.target, "due": clock.due, "share": round(clock.share, 4), "level": clock.level}
        if clock
        else None
    )
    return schemas.WorkOrderOut.from_orm(order).model_dump(mode="json")


def _answer(request, order: WorkOrder):
    # The caller just acted on the order: answer it even if the action moved it out of their scope
    # (a worker transferring a job to another team).
    return json_response(_detail(request, order.pk, scoped=False), 200)


def _sorted(request, queryset):
    sort = request.GET.get("sort", "")
    if not sort:
        return queryset.order_by("-created", "-pk")
    key = sort.removeprefix("-")
    if key not in SORT_KEYS or sort.startswith("--"):
        allowed = ", ".join(SORT_KEYS)
        raise InvalidInput(
            {"sort": [_("Sort by one of: %(keys)s (with a leading minus to reverse).") % {"keys": allowed}]}
        )
    descending = sort.startswith("-")
    if key == "priority":
        queryset, key = queryset.alias(priority_rank=_PRIORITY_RANK), "priority_rank"
    elif key == "status":
        queryset, key = queryset.alias(status_rank=_STATUS_RANK), "status_rank"
    # Empty values (an order without a deadline) come last either way.
    expression = F(key).desc(nulls_last=True) if descending else F(key).asc(nulls_last=True)
    return queryset.order_by(expression, "pk")


_PARAMETER_DOCS = {
    "category": "category: id or code; a group (e.g. 维修) includes its sub-categories",
    "assignee": "assignee: id or employee number",
    "site": "site: id or code (the location's site; for orders without a location, the department's)",
    "location": "within location: id or code of a location; matches that location and everything under it",
    "created_after": "created on or after: a date (YYYY-MM-DD, that day in the site's zone) or a date-time "
    "(ISO 8601; without an offset, in the site's zone)",
    "created_before": "created before: a date (that whole day included) or a date-time (exclusive)",
    "overdue": "true: open orders past a deadline not met yet, or flagged as breached; false: the others",
    "q": "free text: every word must match the number, description, requester name or requester phone",
}


def _list_parameters() -> list[dict]:
    # The schema is documentation: written in English, whatever language is active at start-up.
    with translation.override("en"):
        parameters = filter_parameters(WorkOrderFilterSet)
    for parameter in parameters:
        if parameter["name"] in _PARAMETER_DOCS:
            parameter["description"] = _PARAMETER_DOCS[parameter["name"]]
    sort = sort_parameter(SORT_KEYS)
    sort["description"] = (
        "created (oldest first), priority (most urgent first), completion_due (soonest first), "
        "status (lifecycle order); a leading minus reverses. Default: newest first."
    )
    return [*parameters, sort]


# ---------------------------------------------------------------------------------------------
# Work orders
# ---------------------------------------------------------------------------------------------


@work_orders.get(
    "",
    response={200: page_schema(schemas.WorkOrderItem), **errors_for(400, 401, 403)},
    operation_id="list_work_orders",
    url_name="work_order_list",
    summary="List work orders",
    openapi_extra={"parameters": _list_parameters()},
)
def list_orders(
    request,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"page size, 1–{MAX_LIMIT}"),
    offset: int = Query(0, ge=0, le=MAX_OFFSET, description="how many to skip"),
):
    """The orders the caller may see (a worker: their own and their team's; a contractor manager:
    their company's; a department user: their department's), narrowed by the filters below."""
    _require(request, VIEW)
    filterset = WorkOrderFilterSet(request.GET, queryset=_orders(request, LIST_RELATED), request=request)
    if not filterset.is_valid():
        raise InvalidInput({name: list(messages) for name, messages in filterset.errors.items()})
    return paginate(_sorted(request, filterset.qs), limit, offset)


def _create(request, payload: schemas.WorkOrderIn) -> WorkOrder:
    user = request.user
    errors: dict[str, list[str]] = {}
    category = _resolve(ServiceCategory.objects.all(), payload.category, "category", errors)
    location = _resolve(Location.objects.for_user(user).filter(is_active=True), payload.location, "location", errors)
    department = _resolve(
        Department.objects.for_user(user).filter(is_active=True), payload.department, "department", errors
    )
    if payload.asset is not None:
        errors["asset"] = [_("Assets cannot be linked yet: leave this field out or null.")]
    if payload.photos:
        errors["photos"] = [_("Photos cannot be uploaded through this endpoint yet: send an empty list.")]
    call = None
    if payload.call_id is not None:
        visible = all(user.has_perm(perm) for perm in CONSOLE)
        call = IncomingCall.objects.filter(call_id=payload.call_id.strip()).first() if visible else None
        if call is None:
            errors["call_id"] = [_("No incoming call has this id.")]
    if errors:
        raise InvalidInput(errors)

    requester_user = None
    requester_name, requester_phone = payload.requester_name.strip(), payload.requester_phone.strip()
    person = _person_of(user)
    if scope_of(user) == Scope.DEPARTMENT:
        # A department's own staff reports for themselves and their department.
        requester_user = user
        department = department or (person.department if person is not None else None)
        requester_name = requester_name or (person.name if person is not None else user.get_full_name())
        requester_phone = requester_phone or (person.phone if person is not None else "")
    if call is not None:
        requester_phone = requester_phone or call.caller
        requester_name = requester_name or call.caller_name[:50]
        department = department or call.department
    channel = payload.channel or (Channel.API if _bearer(request) else Channel.WEB)
    with transaction.atomic():
        order = services.create_work_order(
            category=category,
            description=payload.description,
            by=user,
            location=location,
            department=department,
            priority=payload.priority,
            channel=channel,
            requester_name=requester_name,
            requester_phone=requester_phone,
            requester_user=requester_user,
            # A request the desk takes on the phone starts accepted, owned by the agent.
            accept=channel == Channel.PHONE and user.has_perm("servicedesk.change_workorder"),
        )
        # The category's automatic dispatch, in the creation's transaction (and so under its
        # Idempotency-Key: a replay answers the stored order and dispatches nothing).
        order = auto_dispatch_after_intake(order, user)
        if call is not None:
            telephony.link_order(call, order, by=user)
    return order


def _person_of(user):
    try:
        return user.person
    except Person.DoesNotExist:
        return None


def _bearer(request) -> bool:
    return request.headers.get("Authorization", "").lower().startswith("bearer ")


@work_orders.post(
    "",
    response={201: schemas.WorkOrderOut, **errors_for(400, 401, 403, 409, 413)},
    operation_id="create_work_order",
    url_name="work_order_create",
    summary="Record a request",
)
def create_order(request, payload: schemas.WorkOrderIn, idempotency_key: str | None = idempotency_key_header()):
    """Category, location and department by id or code. A department user reports for themselves
    (the department defaults to theirs); a phone request recorded by the desk starts `accepted`.
    In a category dispatched automatically the order comes back `dispatched` to the suggested
    worker when one is on duty. Repeat safely with an `Idempotency-Key`."""
    _require(request, ADD)

    def create():
        order = _create(request, payload)
        return 201, _detail(request, order.pk, scoped=False)

    return idempotent(request, idempotency_key, create)


@work_orders.get(
    "/{ref}",
    response={200: schemas.WorkOrderOut, **errors_for(401, 403, 404)},
    operation_id="get_work_order",
    url_name="work_order_detail",
    summary="Get a work order with its timeline",
)
def get_order(request, ref: str):
    """`ref` is the id or the number (WO260301-00042). Includes the timeline, deadlines, the SLA
    clock and the actions the caller may take now."""
    _require(request, VIEW)
    order = _order_in_scope(request, ref)
    return json_response(_detail(request, order.pk), 200)


def _action(name: str, body: type, summary: str, description: str):
    """Register POST /work-orders/{ref}/<name> with body; the decorated function does the move."""
    action = ACTIONS[name]

    def decorate(perform):
        def endpoint(request, ref: str, payload: body):  # type: ignore[valid-type]
            _require(request, VIEW)
            order = _order_in_scope(request, ref)
            order = perform(request, order, payload)
            return _answer(request, order)

        endpoint.__name__ = f"{name.replace('-', '_')}_order"
        endpoint.__doc__ = (
            f"{description}\n\nAllowed from: {', '.join(sorted(action.sources))}. "
            "Answers the updated order. 409 when the order's status does not allow it or `version` is stale."
        )
        work_orders.post(
            f"/{{ref}}/{name}",
            response={200: schemas.WorkOrderOut, **ERRORS},
            operation_id=f"{name.replace('-', '_')}_work_order",
            url_name=f"work_order_{name.replace('-', '_')}",
            summary=summary,
        )(endpoint)
        return perform

    return decorate


@_action(
    "accept",
    schemas.VersionIn,
    "Accept an order",
    "The desk takes a new request; the caller becomes its owner. In a category dispatched automatically "
    "it goes on, as on the desk, to the suggested worker (the answer is then `dispatched`).",
)
def accept(request, order, payload):
    with transaction.atomic():
        order = services.accept(order, by=request.user, version=payload.version)
        return auto_dispatch_if_configured(order, request.user)


@_action(
    "dispatch",
    schemas.DispatchIn,
    "Dispatch an order",
    "Assign a worker (`assignee`: id or employee number; their team follows) or a team (`team`).",
)
def dispatch(request, order, payload):
    errors: dict = {}
    assignee = _resolve(Person.objects.for_user(request.user), payload.assignee, "assignee", errors)
    team = _resolve(Team.objects.for_user(request.user), payload.team, "team", errors)
    if errors:
        raise InvalidInput(errors)
    return services.dispatch(
        order, by=request.user, assignee=assignee, team=team, version=payload.version, note=payload.note
    )


@_action(
    "start",
    schemas.StartIn,
    "Start (arrive at) an order",
    "The worker arrived; `location` (the scanned QR code's location) proves it.",
)
def start(request, order, payload):
    scanned = None
    if payload.location is not None:
        scanned = resolve_ref(Location.objects.all(), payload.location)
        if scanned is None and isinstance(payload.location, str):
            scanned = Location.objects.filter(label_code=payload.location.strip()).first()
        if scanned is None:
            raise InvalidInput({"location": [_invalid_choice()]})
    return services.start(order, by=request.user, version=payload.version, scanned_location=scanned)


@_action("hold", schemas.HoldIn, "Put an order on hold", "Waiting for parts, a contractor or the department.")
def hold(request, order, payload):
    return services.hold(order, by=request.user, reason=payload.reason, note=payload.note, version=payload.version)


@_action("resume", schemas.ResumeIn, "Resume an order", "Back to the status it was in before the hold.")
def resume(request, order, payload):
    return services.resume(order, by=request.user, version=payload.version, note=payload.note)


@_action(
    "complete",
    schemas.CompleteIn,
    "Complete an order",
    "The result note, labour minutes, an optional difficulty factor and the parts used.",
)
def complete(request, order, payload):
    parts = [{"item": str(part.item), "quantity": str(part.quantity.normalize())} for part in payload.parts]
    return services.complete(
        order,
        by=request.user,
        note=payload.note,
        labor_minutes=payload.labor_minutes,
        difficulty=payload.difficulty,
        version=payload.version,
        parts=parts,
    )


@_action(
    "follow-up",
    schemas.FollowUpIn,
    "Record the follow-up",
    "The requester's rating (1–5) or an agent's call-back; one rating per order.",
)
def follow_up(request, order, payload):
    return services.follow_up(
        order,
        by=request.user,
        rating=payload.rating,
        method=payload.method,
        comment=payload.comment,
        version=payload.version,
    )


@_action(
    "close",
    schemas.CloseIn,
    "Assess and close an order",
    "Score (0–100) and remarks; a complaint needs a written `answer`. Closed orders are final.",
)
def close(request, order, payload):
    return services.close(
        order,
        by=request.user,
        score=payload.score,
        remarks=payload.remarks,
        answer=payload.answer,
        version=payload.version,
    )


@_action(
    "cancel",
    schemas.CancelIn,
    "Cancel an order",
    "Withdraw it with a reason, or merge it into the original it duplicates (`duplicate_of`: id or number).",
)
def cancel(request, order, payload):
    original = None
    if payload.duplicate_of is not None:
        original = _resolve(_orders(request, related=("category",)), payload.duplicate_of, "duplicate_of")
    return services.cancel(
        order, by=request.user, reason=payload.reason, duplicate_of=original, version=payload.version
    )


@_action(
    "reopen",
    schemas.ReopenIn,
    "Reopen an order for rework",
    "Not fixed: back to dispatched, to the same worker unless `assignee` names another.",
)
def reopen(request, order, payload):
    assignee = _resolve(Person.objects.for_user(request.user), payload.assignee, "assignee")
    return services.reopen(order, by=request.user, reason=payload.reason, assignee=assignee, version=payload.version)


@_action(
    "transfer",
    schemas.TransferIn,
    "Transfer an order to another team",
    "The owner stays; the assignee is cleared and the new team's leader assigns.",
)
def transfer(request, order, payload):
    team = _resolve(Team.objects.for_user(request.user), payload.team, "team")
    return services.transfer(order, by=request.user, team=team, reason=payload.reason, version=payload.version)


@_action("comment", schemas.CommentIn, "Comment on an order", "A note on the timeline; the status does not change.")
def comment(request, order, payload):
    if payload.version is not None and payload.version != order.version:
        raise ConflictError(_("This order was changed by someone else meanwhile. Reload it and try again."))
    services.comment(order, by=request.user, text=payload.text)
    return order


# ---------------------------------------------------------------------------------------------
# Telephony
# ---------------------------------------------------------------------------------------------


def _call_out(call: IncomingCall, schema=schemas.IncomingCallOut, **extra) -> dict:
    for name, value in extra.items():
        setattr(call, name, value)
    return schema.from_orm(call).model_dump(mode="json")


def _matches(matches: list[dict]) -> list[dict]:
    return [{key: value for key, value in match.items() if key != "entry"} for match in matches]


@calls.post(
    "/incoming",
    response={200: schemas.ReportedCallOut, 201: schemas.ReportedCallOut, **errors_for(400, 401, 403, 409, 413)},
    operation_id="report_incoming_call",
    url_name="incoming_call_report",
    summary="Report an incoming call (telephone system)",
)
def report_call(request, payload: schemas.IncomingCallIn):
    """The telephone system reports a ringing call; the agents' consoles show who is calling. The
    caller is recognised by the phone directory (extensions, wards' numbers) first, else by a
    person's mobile phone; "+86 139-0000-0000" and "13900000000" are the same number. 201 for a
    new call, 200 (and nothing new recorded) when the same `call_id` is reported again; 409 when
    that call id was reported with another caller. Needs the right to record work orders."""
    _require(request, ADD)
    call, matches, created = telephony.record_call(
        caller=payload.caller, callee=payload.callee, call_id=payload.call_id
    )
    body = _call_out(call, schemas.ReportedCallOut, matches=_matches(matches))
    return json_response(body, 201 if created else 200)


def _since(raw: str | None):
    if raw in (None, ""):
        return None
    try:
        return DateOrDateTimeField().clean(raw)[0]
    except forms.ValidationError as exc:
        raise InvalidInput({"since": exc.messages}) from None


@calls.get(
    "/incoming",
    response={200: schemas.WaitingCallsOut, **errors_for(400, 401, 403)},
    operation_id="list_incoming_calls",
    url_name="incoming_call_list",
    summary="Calls waiting for an agent (console polling)",
)
def waiting_calls(
    request,
    since: str | None = Query(
        None,
        max_length=64,
        description="only calls received after this moment (ISO 8601; without an offset, in the site's zone) — "
        "send the previous answer's `now`",
    ),
):
    """The calls of the last 10 minutes no agent has taken yet, newest first (at most 20), each with
    the recognised caller, their latest orders and their usual location. For the desk (needs the
    rights to record orders and to see every order)."""
    _require(request, *CONSOLE)
    now = timezone.now()
    items = []
    for call in telephony.waiting_calls(_since(since), now=now):
        orders = list(
            telephony.callers_orders(call, request.user).select_related(*LIST_RELATED)[
                : telephony.USUAL_LOCATION_SAMPLE
            ]
        )
        items.append(
            _call_out(
                call,
                schemas.WaitingCallOut,
                recent_orders=orders[: telephony.RECENT_ORDERS],
                usual_location=telephony.usual_location(call, orders),
            )
        )
    return json_response({"now": timezone.localtime(now).isoformat(), "items": items}, 200)


@calls.post(
    "/incoming/{call_id}/take",
    response={200: schemas.IncomingCallOut, **errors_for(400, 401, 403, 404, 409)},
    operation_id="take_incoming_call",
    url_name="incoming_call_take",
    summary="Take a call",
)
def take_call(request, call_id: str):
    """The agent answers the call: it leaves the other consoles. 409 if another agent took it."""
    _require(request, *CONSOLE)
    call = IncomingCall.objects.filter(call_id=call_id).first()
    if call is None:
        raise Http404
    call = telephony.take_call(call, by=request.user)
    return json_response(_call_out(call), 200)


register_router("work-orders", work_orders)
register_router("telephony", calls)
