"""The reports part of the demo: last month's report, ready to download from the first visit (and
in the demo director's inbox), made from the service desk's demo orders."""

import logging

from django.db import transaction
from django.utils.translation import gettext as _

from houqin.insight.periods import Period
from houqin.reports import services
from houqin.reports.delivery import deliver_monthly_report
from houqin.reports.models import MonthlyReport
from houqin.servicedesk.models import WorkOrder

logger = logging.getLogger(__name__)

# Up to this many orders in the month, the report is made at once (a few seconds); a larger demo
# (--scale) hands it to the task worker, so that `make run` does not wait for it.
GENERATE_AT_ONCE = 60_000


def on_demo_seeded(sender, *, stdout=None, **kwargs) -> None:
    """`manage.py seed_demo` loaded the demo (or found it): make last month's report unless it is
    there already. Runs after the service desk's receiver, which loads the orders. Never fails the
    seeding: a problem is logged and the report can be made from the reports page."""
    month = services.last_month()
    report = MonthlyReport.objects.filter(month=month).first()
    if report is not None and (report.is_ready or services.is_in_flight(report)):
        return
    period = Period.month_of(month)
    label = f"{month:%Y-%m}"
    try:
        # A savepoint: seed_demo's transaction goes on whatever happens here.
        with transaction.atomic():
            if WorkOrder.objects.filter(created__gte=period.start, created__lt=period.end).count() > GENERATE_AT_ONCE:
                services.request_monthly_report(month, by=None)
                message = _("Monthly report %(month)s handed to the task worker.") % {"month": label}
            else:
                report = services.generate_monthly_report(month, by=None)
                deliver_monthly_report(report)
                message = _("Monthly report %(month)s: %(status)s.") % {
                    "month": label,
                    "status": report.get_status_display(),
                }
    except Exception:
        logger.exception("the demo's monthly report could not be made")
        return
    if stdout is not None:
        stdout.write(message)
