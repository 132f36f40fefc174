"""The call-back workbench: the sampled completed orders, one at a time — the requester's
number, the order's story, the rating given, or the call that did not get through."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Max, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from houqin.core.exceptions import ConflictError
from houqin.core.generic import bootstrap_form, reverse_or_none
from houqin.servicedesk import services
from houqin.servicedesk.desk.common import (
    FOLLOW_UP,
    LIST_RELATED,
    apply_errors,
    id_from_query,
    order_or_404,
    requires,
    scoped_orders,
)
from houqin.servicedesk.desk_forms import CallBackForm
from houqin.servicedesk.models import EventKind, FollowUpMethod, Status, WorkOrder, WorkOrderEvent

# The workbench lists this many orders to call.
CALLBACK_LIMIT = 20


def callback_queue(user):
    """Completed orders not yet followed up, oldest first, with the category's sample share:
    an order is in the sample when its id modulo 100 is below the share, so the list is the
    same on every screen and every reload. Orders whose requester could not be reached come
    after the others, in the order of their last try, with `failed_calls` counted."""
    failed = WorkOrderEvent.objects.filter(order=OuterRef("pk"), kind=EventKind.CALL_FAILED).order_by()
    return (
        scoped_orders(user)
        .filter(status=Status.COMPLETED)
        .alias(sample_slot=F("pk") % 100)
        .filter(sample_slot__lt=F("category__followup_sample_percent"))
        .annotate(
            failed_calls=Coalesce(Subquery(failed.values("order").annotate(n=Count("pk")).values("n")[:1]), Value(0)),
            last_try=Subquery(failed.values("order").annotate(t=Max("time")).values("t")[:1]),
        )
        .select_related(*LIST_RELATED)
        .order_by(F("last_try").asc(nulls_first=True), "completed_at", "pk")
    )


def _callback_list(user) -> tuple[list[WorkOrder], int]:
    """The first orders to call, and how many there are in all."""
    waiting = callback_queue(user)
    queue = list(waiting[:CALLBACK_LIMIT])
    return queue, len(queue) if len(queue) < CALLBACK_LIMIT else waiting.count()


def _callback_context(request, order, form, queue, total) -> dict:
    if order is not None:
        order.events_list = list(order.events.all())
    return {
        "order": order,
        "form": form,
        "queue": queue,
        "total": total,
        "title": _("Call-backs"),
        "breadcrumbs": [
            {"label": _("Home"), "url": reverse_or_none("core:home")},
            {"label": _("Call-backs"), "url": None},
        ],
    }


@require_GET
@requires(FOLLOW_UP)
def callbacks(request):
    """One completed order at a time: the requester's number, the order's story, the rating."""
    queue, total = _callback_list(request.user)
    order = None
    wanted = id_from_query(request.GET.get("order", ""))
    if wanted is not None:
        order = next((o for o in queue if o.pk == wanted), None)
        if order is None:
            order = callback_queue(request.user).filter(pk=wanted).first()
    if order is None and queue:
        order = queue[0]
    form = bootstrap_form(CallBackForm(initial={"version": order.version} if order else None))
    return render(request, "servicedesk/callback_workbench.html", _callback_context(request, order, form, queue, total))


@require_POST
@requires(FOLLOW_UP)
def callback_record(request, pk: int):
    """Record the call: the rating given (`intent=rated`), or that nobody answered (`intent=failed`)."""
    user = request.user
    # Not only the sampled list: an order rated meanwhile by its requester answers with a conflict.
    order = order_or_404(user, pk)
    order.failed_calls = order.events.filter(kind=EventKind.CALL_FAILED).count()
    form = CallBackForm(request.POST)
    intent = request.POST.get("intent")
    next_url = reverse("servicedesk:callbacks")
    if form.is_valid():
        data = form.cleaned_data
        try:
            if intent == "failed":
                services.record_failed_call(order, by=user, note=data["comment"])
                messages.info(
                    request,
                    _("%(number)s: not reached; it waits at the end of the list for another try.")
                    % {"number": order.number},
                )
                return HttpResponseRedirect(next_url)
            if data.get("rating") in (None, ""):
                form.add_error("rating", _("Choose the rating the requester gave (1–5)."))
            else:
                services.follow_up(
                    order,
                    by=user,
                    rating=data["rating"],
                    method=FollowUpMethod.PHONE,
                    comment=data["comment"],
                    version=data["version"],
                )
                messages.success(request, _("%(number)s followed up.") % {"number": order.number})
                return HttpResponseRedirect(next_url)
        except ConflictError as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(next_url)
        except ValidationError as exc:
            apply_errors(form, exc)
    queue, total = _callback_list(user)
    context = _callback_context(request, order, bootstrap_form(form), queue, total)
    return render(request, "servicedesk/callback_workbench.html", context, status=400)
