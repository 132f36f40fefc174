"""Background jobs of the service desk, enqueued by the scheduler (registered in apps.py):
the SLA sweep every minute and the auto-close of unrated completed orders every ten minutes."""

import datetime
import logging

from django.utils import timezone
from django_tasks import task

from houqin.servicedesk import services, sla
from houqin.servicedesk.models import ServiceCategory, Status, WorkOrder

logger = logging.getLogger(__name__)


@task()
def sla_sweep() -> dict[str, int]:
    """Warn at 80 % of a target and escalate breaches (servicedesk.sla.sweep)."""
    return sla.sweep()


def orders_to_auto_close(now: datetime.datetime):
    """Completed orders nobody rated within their category's auto-close time (complaints never)."""
    hours_in_use = (
        ServiceCategory.objects.filter(auto_close_hours__isnull=False, is_complaint=False)
        .values_list("auto_close_hours", flat=True)
        .distinct()
    )
    for hours in sorted(set(hours_in_use)):
        yield from WorkOrder.objects.filter(
            status=Status.COMPLETED,
            category__auto_close_hours=hours,
            category__is_complaint=False,
            completed_at__lt=now - datetime.timedelta(hours=hours),
        ).only("pk")


@task()
def auto_close_orders() -> int:
    """Close completed orders past their category's time without a rating; returns how many."""
    now = timezone.now()
    closed = 0
    for order in list(orders_to_auto_close(now)):
        try:
            if services.auto_close(order, now=now) is not None:
                closed += 1
        except Exception:
            # One broken order must not keep the others open.
            logger.exception("auto-close of work order %s failed", order.pk)
    return closed


__all__ = ["auto_close_orders", "orders_to_auto_close", "sla_sweep"]
