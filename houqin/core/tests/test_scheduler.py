"""The periodic scheduler: fixed periods, one enqueue per job and period however many schedulers run."""

import datetime
import io
import threading
from types import SimpleNamespace
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection
from django_tasks import task

from houqin.core import scheduler
from houqin.core.models import PeriodicRun
from houqin.core.scheduler import MONTHLY, PeriodicJob, Scheduler, period_start, register_periodic

UTC = datetime.UTC
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
NOW = datetime.datetime(2026, 11, 25, 7, 43, 21, tzinfo=UTC)  # 15:43:21 in Shanghai

runs: list[str] = []


@task()
def count_run() -> None:
    runs.append("run")


@task()
def other_job() -> None:
    runs.append("other")


@pytest.fixture
def job():
    runs.clear()
    registered = register_periodic("test.count", datetime.timedelta(minutes=10), count_run)
    yield registered
    scheduler.unregister_periodic("test.count")
    runs.clear()


def at(moment):
    return mock.patch.object(scheduler.timezone, "now", return_value=moment)


def test_periods_are_aligned_to_the_epoch_the_local_day_and_month():
    assert period_start(datetime.timedelta(minutes=1), NOW) == datetime.datetime(2026, 11, 25, 7, 43, tzinfo=UTC)
    assert period_start(datetime.timedelta(minutes=10), NOW) == datetime.datetime(2026, 11, 25, 7, 40, tzinfo=UTC)
    assert period_start(datetime.timedelta(hours=1), NOW) == datetime.datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
    daily = period_start(datetime.timedelta(days=1), NOW)
    assert daily == datetime.datetime(2026, 11, 25, 0, 0, tzinfo=SHANGHAI)
    # 23:30 UTC is already the next day in Shanghai.
    late = datetime.datetime(2026, 11, 25, 23, 30, tzinfo=UTC)
    assert period_start(datetime.timedelta(days=1), late) == datetime.datetime(2026, 11, 26, 0, 0, tzinfo=SHANGHAI)
    weekly = period_start(datetime.timedelta(days=7), NOW)
    assert weekly == datetime.datetime(2026, 11, 23, 0, 0, tzinfo=SHANGHAI) and weekly.weekday() == 0
    assert period_start(MONTHLY, NOW) == datetime.datetime(2026, 11, 1, 0, 0, tzinfo=SHANGHAI)


def test_it_refuses_periods_it_cannot_align():
    for every in (datetime.timedelta(0), datetime.timedelta(milliseconds=1500), datetime.timedelta(hours=36), "weekly"):
        with pytest.raises(ValueError):
            register_periodic("test.bad", every, count_run)


@pytest.mark.django_db
def test_two_schedulers_enqueue_a_job_once_per_period(job):
    with at(NOW):
        call_command("scheduler", "--once", stdout=io.StringIO())
        call_command("scheduler", "--once", stdout=io.StringIO())  # a second server, same period
    assert runs == ["run"]
    run = PeriodicRun.objects.get(job="test.count")
    assert run.period_start == datetime.datetime(2026, 11, 25, 7, 40, tzinfo=UTC)
    assert run.task_id and run.scheduler
    with at(NOW + datetime.timedelta(minutes=5)):  # still 7:40–7:50
        call_command("scheduler", "--once", stdout=io.StringIO())
    assert runs == ["run"]
    with at(NOW + datetime.timedelta(minutes=7)):  # 7:50: the next period
        out = io.StringIO()
        call_command("scheduler", "--once", stdout=out)
    assert runs == ["run", "run"]
    assert "enqueued test.count" in out.getvalue()


@pytest.mark.django_db
def test_one_scheduler_asks_the_database_once_per_period(job, django_assert_num_queries):
    one = Scheduler(jobs=[job])
    assert one.run_due(NOW) == ["test.count"]
    with django_assert_num_queries(0):
        assert one.run_due(NOW + datetime.timedelta(seconds=10)) == []


@pytest.mark.django_db
def test_the_loser_of_a_race_enqueues_nothing_and_carries_on(job):
    """Both schedulers found the period free; the other one inserted its row first."""
    other = register_periodic("test.other", datetime.timedelta(minutes=10), other_job)
    try:
        PeriodicRun.objects.create(job="test.count", period_start=period_start(job.every, NOW), scheduler="server-b")
        loser = Scheduler(jobs=[job, other])
        with mock.patch.object(Scheduler, "taken", return_value=False):
            enqueued = loser.run_due(NOW)
    finally:
        scheduler.unregister_periodic("test.other")
    assert enqueued == ["test.other"]  # the unique constraint refused test.count; the next job still ran
    assert runs == ["other"]
    assert PeriodicRun.objects.get(job="test.count").scheduler == "server-b"


class FlakyTask:
    def __init__(self):
        self.down = True

    def enqueue(self):
        if self.down:
            raise RuntimeError("queue down")
        return SimpleNamespace(id="task-1")


@pytest.mark.django_db
def test_a_job_that_cannot_be_enqueued_is_tried_again():
    flaky = FlakyTask()
    one = Scheduler(jobs=[PeriodicJob("test.flaky", datetime.timedelta(minutes=10), flaky)])
    assert one.run_due(NOW) == []
    assert not PeriodicRun.objects.exists()  # the claim was rolled back with the failed enqueue
    flaky.down = False
    assert one.run_due(NOW + datetime.timedelta(seconds=10)) == ["test.flaky"]
    assert PeriodicRun.objects.get().task_id == "task-1"


@pytest.mark.django_db
def test_old_periods_are_pruned(job):
    old = NOW - datetime.timedelta(days=3)
    PeriodicRun.objects.create(job="test.count", period_start=old)
    PeriodicRun.objects.create(job="test.elsewhere", period_start=old)
    Scheduler(jobs=[job]).run_due(NOW)
    assert set(PeriodicRun.objects.values_list("job", flat=True)) == {"test.count", "test.elsewhere"}
    assert PeriodicRun.objects.filter(job="test.count").count() == 1


@pytest.mark.django_db
def test_the_apps_register_their_jobs():
    out = io.StringIO()
    call_command("scheduler", "--list", stdout=out)
    listed = out.getvalue()
    for name in ("servicedesk.sla_sweep", "servicedesk.auto_close", "notifications.deliver_outbox"):
        assert name in listed


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor == "sqlite", reason="needs concurrent writers (PostgreSQL)")
def test_two_schedulers_racing_in_threads_enqueue_once(job):
    barrier = threading.Barrier(2)
    results = []

    def free_then_wait(self, job, start):
        # Both have seen the period free before either inserts: the worst interleaving.
        barrier.wait(timeout=10)
        return False

    def run():
        try:
            results.append(Scheduler(jobs=[job]).run_due(NOW))
        finally:
            connection.close()

    with mock.patch.object(Scheduler, "taken", free_then_wait):
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert sorted(results) == [[], ["test.count"]]
    assert runs == ["run"]
    assert PeriodicRun.objects.filter(job="test.count").count() == 1
