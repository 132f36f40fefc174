"""Periodic jobs: apps register a task and how often it runs (`register_periodic` in their
AppConfig.ready()); `manage.py scheduler` enqueues each job once per period for the task worker.

Periods are fixed slices of time, not "every N minutes since the scheduler started": a job of
every 10 minutes belongs to 10:00–10:10, 10:10–10:20… (aligned to the Unix epoch in UTC), a daily
job to the site's local day, a monthly one to the local calendar month. Enqueuing a period means
inserting its PeriodicRun row first; the row is unique per job and period, so when several
schedulers run (one per server) exactly one of them enqueues each job in each period, and a
scheduler that was down simply resumes with the current period (missed periods are not caught up).
"""

import datetime
import logging
import os
import socket
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from houqin.core.models import PeriodicRun

logger = logging.getLogger("houqin.scheduler")

# `every=MONTHLY`: once per calendar month of the site's time zone (months differ in length).
MONTHLY = "monthly"
DAY = datetime.timedelta(days=1)
# Rows of past periods are kept a little while (to see when a job last ran), then pruned.
KEEP_AT_LEAST = datetime.timedelta(days=2)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: datetime.timedelta | str
    task: object  # a django_tasks Task taking no arguments

    @property
    def every_label(self) -> str:
        return MONTHLY if self.every == MONTHLY else str(self.every)

    def keep(self) -> datetime.timedelta:
        if self.every == MONTHLY:
            return datetime.timedelta(days=100)
        return max(KEEP_AT_LEAST, self.every * 3)


_jobs: dict[str, PeriodicJob] = {}


def register_periodic(name: str, every: datetime.timedelta | str, task) -> PeriodicJob:
    """Run `task` (a django_tasks task without arguments) once per period of `every`.

    every: a timedelta of whole seconds below a day (aligned to the epoch in UTC), a whole number
    of days (from local midnight; 7 days start on Mondays), or MONTHLY. Registering a name again
    replaces the job."""
    if every != MONTHLY:
        if not isinstance(every, datetime.timedelta) or every.total_seconds() < 1 or every.microseconds:
            raise ValueError(f"periodic job {name}: every must be MONTHLY or a timedelta of whole seconds")
        if every >= DAY and (every.seconds or every.microseconds):
            raise ValueError(f"periodic job {name}: a period of a day or more must be whole days")
    if len(name) > PeriodicRun._meta.get_field("job").max_length:
        raise ValueError(f"periodic job name too long: {name}")
    job = PeriodicJob(name, every, task)
    _jobs[name] = job
    return job


def unregister_periodic(name: str) -> None:
    _jobs.pop(name, None)


def registered_jobs() -> list[PeriodicJob]:
    return sorted(_jobs.values(), key=lambda job: job.name)


def period_start(every: datetime.timedelta | str, now: datetime.datetime) -> datetime.datetime:
    """The start of the period `now` falls in (an aware datetime)."""
    zone = timezone.get_default_timezone()
    if every == MONTHLY:
        local = timezone.localtime(now, zone)
        return timezone.make_aware(datetime.datetime(local.year, local.month, 1), zone)
    if every < DAY:
        seconds = int(every.total_seconds())
        epoch = int(now.timestamp())
        return datetime.datetime.fromtimestamp(epoch - epoch % seconds, tz=datetime.UTC)
    days = every.days
    ordinal = timezone.localtime(now, zone).date().toordinal()
    # Day 1 of the proleptic calendar is a Monday, so weekly periods start on Mondays.
    first = datetime.date.fromordinal(ordinal - (ordinal - 1) % days)
    return timezone.make_aware(datetime.datetime.combine(first, datetime.time.min), zone)


class Scheduler:
    """Enqueues due jobs; remembers the periods it has seen so that a loop every few seconds
    asks the database only once per job and period."""

    def __init__(self, jobs: list[PeriodicJob] | None = None):
        self.jobs = jobs
        self.seen: dict[str, datetime.datetime] = {}
        self.identity = f"{socket.gethostname()}:{os.getpid()}"[:120]

    def run_due(self, now: datetime.datetime | None = None) -> list[str]:
        """Enqueue every job whose current period nobody has claimed yet; returns their names."""
        now = now or timezone.now()
        enqueued = []
        for job in self.jobs if self.jobs is not None else registered_jobs():
            start = period_start(job.every, now)
            if self.seen.get(job.name) == start:
                continue
            outcome = self.claim(job, start)
            if outcome is None:
                continue  # failed: the next pass tries this period again
            if outcome:
                enqueued.append(job.name)
            self.seen[job.name] = start
        return enqueued

    def taken(self, job: PeriodicJob, start: datetime.datetime) -> bool:
        # Asked first so that PostgreSQL's log is not filled with unique violations every pass.
        return PeriodicRun.objects.filter(job=job.name, period_start=start).exists()

    def claim(self, job: PeriodicJob, start: datetime.datetime) -> bool | None:
        """Insert the period's row and enqueue the job in one transaction, so the task is queued
        exactly when the row is (the database backend stores both or neither). True: enqueued;
        False: another scheduler has the period; None: it failed and may be tried again."""
        try:
            if self.taken(job, start):
                return False
            with transaction.atomic():
                run = PeriodicRun.objects.create(job=job.name, period_start=start, scheduler=self.identity)
                result = job.task.enqueue()
                PeriodicRun.objects.filter(pk=run.pk).update(task_id=str(getattr(result, "id", ""))[:64])
        except IntegrityError:
            # Another scheduler inserted the row between our check and our insert.
            logger.debug("%s for %s was claimed by another scheduler", job.name, start)
            return False
        except Exception:
            logger.exception("could not enqueue %s for the period from %s", job.name, start.isoformat())
            return None
        logger.info("enqueued %s for the period from %s", job.name, start.isoformat())
        PeriodicRun.objects.filter(job=job.name, period_start__lt=start - job.keep()).delete()
        return True


def run_due(now: datetime.datetime | None = None) -> list[str]:
    """One pass of a fresh scheduler (what `manage.py scheduler --once` does)."""
    return Scheduler().run_due(now)


__all__ = [
    "MONTHLY",
    "PeriodicJob",
    "Scheduler",
    "period_start",
    "register_periodic",
    "registered_jobs",
    "run_due",
    "unregister_periodic",
]
