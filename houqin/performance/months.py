"""Which month a performance page, export or API call is about: `?month=YYYY-MM`, by default the
last complete month (the one bonuses are paid on); the running month counts up to today."""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from houqin.insight.periods import Period

# How many months back the month selector offers (any month can still be asked for by URL).
MONTHS_OFFERED = 12


def last_complete_month(today: datetime.date | None = None) -> Period:
    today = today or timezone.localdate()
    return Period.month_of(today.replace(day=1) - datetime.timedelta(days=1))


def month_period(value: str | None, today: datetime.date | None = None) -> Period:
    """The period of `value` (YYYY-MM): a past month whole, this month up to today; empty: the
    last complete month. Raises ValidationError naming `month` for anything else."""
    today = today or timezone.localdate()
    if not value:
        return last_complete_month(today)
    period = Period.parse(None, None, value.strip())
    if period.first > today:
        raise ValidationError({"month": _("That month has not begun yet.")})
    if period.first.year < 2000:
        raise ValidationError({"month": _("Enter a month as YYYY-MM.")})
    if period.last >= today:
        return Period(period.first, today)
    return period


def month_value(period: Period) -> str:
    return f"{period.first:%Y-%m}"


def is_running(period: Period, today: datetime.date | None = None) -> bool:
    """Whether the period is the month still running (its figures still change)."""
    today = today or timezone.localdate()
    return period.first.year == today.year and period.first.month == today.month


def month_label(period: Period, today: datetime.date | None = None) -> str:
    if is_running(period, today):
        return _("%(month)s (so far)") % {"month": month_value(period)}
    return month_value(period)


def month_choices(today: datetime.date | None = None) -> list[tuple[str, str]]:
    """This month so far, then the months before it, newest first."""
    today = today or timezone.localdate()
    first = today.replace(day=1)
    choices = []
    for _offset in range(MONTHS_OFFERED + 1):
        period = month_period(f"{first:%Y-%m}", today)
        choices.append((month_value(period), month_label(period, today)))
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return choices
