"""The monthly report as background tasks: one month on demand (the page, the API), and the
scheduler's monthly job (registered in apps.py) that generates last month's report on the first."""

import logging

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django_tasks import task

from houqin.reports import services
from houqin.reports.delivery import deliver_monthly_report

logger = logging.getLogger(__name__)


@task()
def generate_monthly_report_task(month_iso: str, requested_by: int | None = None) -> str:
    """Generate the month's report ("2026-10-01" or "2026-10") and tell the requester (and, for a
    finished month, the directors); returns the report's status."""
    user = get_user_model().objects.filter(pk=requested_by).first() if requested_by else None
    try:
        report = services.generate_monthly_report(month_iso, by=user)
    except ValidationError as exc:
        logger.warning("monthly report for %r refused: %s", month_iso, exc)
        return "refused"
    deliver_monthly_report(report, requester=user)
    return report.status


@task()
def generate_last_month_report() -> str:
    """The scheduler's monthly job: last month's report, once (services.generate_last_month)."""
    report = services.generate_last_month()
    return "unchanged" if report is None else report.status


__all__ = ["generate_last_month_report", "generate_monthly_report_task"]
