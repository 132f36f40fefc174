"""Reporting periods: whole local days (the hospital's time zone), from a first to a last day.

A day, week or month starts at local midnight, so an order created at 23:59 on the 31st belongs
to that month however the server's clock is set."""

import calendar
import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

# A longer period is refused: the pages and API answer within a second for a month, and a
# year is still fine; beyond that the question belongs in a report.
MAX_DAYS = 400


@dataclass(frozen=True)
class Period:
    first: datetime.date
    last: datetime.date  # inclusive

    def __post_init__(self):
        if self.last < self.first:
            raise ValidationError({"end": _("The period ends before it starts.")})
        if self.days > MAX_DAYS:
            raise ValidationError({"end": _("A period is at most %(days)d days long.") % {"days": MAX_DAYS}})

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> datetime.datetime:
        """The first moment (local midnight of the first day), aware."""
        return _midnight(self.first)

    @property
    def end(self) -> datetime.datetime:
        """The moment after the last day (exclusive), aware."""
        return _midnight(self.last + datetime.timedelta(days=1))

    def up_to(self, day: datetime.date) -> "Period":
        """The period cut at `day` while it runs (its days so far), else itself. Its previous()
        is then as many first days of the period before: a month so far against as many days."""
        return Period(self.first, day) if self.first <= day < self.last else self

    @property
    def is_month(self) -> bool:
        return self.first.day == 1 and self.last == _month_end(self.first)

    def previous(self) -> "Period":
        """The period compared with: the previous calendar month for a month; for the first days
        of a month (a month so far, 1–25 November) as many first days of the month before
        (1–25 October, cut at its end), so a half month is not set against a whole one; else as
        many days just before."""
        if self.is_month:
            last = self.first - datetime.timedelta(days=1)
            return Period(last.replace(day=1), last)
        if self.first.day == 1 and (self.last.year, self.last.month) == (self.first.year, self.first.month):
            month_before = (self.first - datetime.timedelta(days=1)).replace(day=1)
            same_days = month_before + datetime.timedelta(days=self.last.day - 1)
            return Period(month_before, min(same_days, _month_end(month_before)))
        return Period(self.first - datetime.timedelta(days=self.days), self.first - datetime.timedelta(days=1))

    def dates(self) -> list[datetime.date]:
        return [self.first + datetime.timedelta(days=offset) for offset in range(self.days)]

    def label(self) -> str:
        if self.is_month:
            return f"{self.first:%Y-%m}"
        if self.days == 1:
            return self.first.isoformat()
        return f"{self.first.isoformat()} – {self.last.isoformat()}"

    def as_dict(self) -> dict:
        return {"start": self.first.isoformat(), "end": self.last.isoformat(), "days": self.days}

    @classmethod
    def month(cls, year: int, month: int) -> "Period":
        first = datetime.date(year, month, 1)
        return cls(first, _month_end(first))

    @classmethod
    def month_of(cls, day: datetime.date) -> "Period":
        return cls.month(day.year, day.month)

    @classmethod
    def day(cls, day: datetime.date) -> "Period":
        return cls(day, day)

    @classmethod
    def today(cls) -> "Period":
        return cls.day(timezone.localdate())

    @classmethod
    def this_month(cls) -> "Period":
        today = timezone.localdate()
        return cls(today.replace(day=1), today)

    @classmethod
    def parse(cls, start: str | None, end: str | None, month: str | None = None) -> "Period":
        """From query parameters: `month=2026-11`, or `start`/`end` dates (YYYY-MM-DD, end
        inclusive; a missing end is the start's day, a missing start the end's month's first
        day). Nothing given: this month so far. Raises ValidationError naming the parameter."""
        if month:
            try:
                year, number = (int(part) for part in month.split("-"))
                return cls.month(year, number)
            except (ValueError, TypeError):
                raise ValidationError({"month": _("Enter a month as YYYY-MM.")}) from None
        first = _parse_day(start, "start") if start else None
        last = _parse_day(end, "end") if end else None
        if first is None and last is None:
            return cls.this_month()
        if first is None:
            first = last.replace(day=1)
        if last is None:
            last = first
        return cls(first, last)


def _parse_day(value: str, field: str) -> datetime.date:
    try:
        day = parse_date(value.strip())
    except ValueError:
        day = None
    if day is None:
        raise ValidationError({field: _("Enter a date as YYYY-MM-DD.")})
    return day


def _month_end(first: datetime.date) -> datetime.date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min), timezone.get_default_timezone())
