"""Two people acting on one order at the same moment: exactly one wins, the other is told the
order changed under them (ConflictError → HTTP 409) and nothing of theirs is written.

On PostgreSQL the race is real: two threads, two connections, released together by a barrier;
the row lock makes the second wait for the first and then see its change. SQLite's in-memory
test database cannot hold two writers at once, so there the version check is tested in turn."""

import threading

import pytest
from django.db import connection

from houqin.core.exceptions import ConflictError
from houqin.org.models import EmploymentType
from houqin.org.tests.factories import TeamFactory
from houqin.servicedesk import services
from houqin.servicedesk.models import EventKind, Status, WorkOrder
from houqin.servicedesk.tests.factories import ServiceCategoryFactory

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="two writers at once need PostgreSQL (SQLite: see the tests in turn)"
)


@pytest.fixture
def desk(cast):
    """An order taken at the desk, and two workers of different teams."""
    from houqin.conftest import make_user

    electricians = TeamFactory(company=cast.hospital, name="电工班")
    plumbers = TeamFactory(company=cast.hospital, name="水工班")
    worker = cast.worker.person
    worker.team = electricians
    worker.save()
    plumber = make_user(
        "plumber",
        "worker",
        person_kwargs={"company": cast.hospital, "employment_type": EmploymentType.PERMANENT, "team": plumbers},
    ).person
    order = services.create_work_order(
        category=ServiceCategoryFactory(name="电气"), description="病房灯不亮", by=cast.agent, accept=True
    )
    return order, worker, plumber


def race(*jobs):
    """Run each job in its own thread and connection, all released at once; their results (or
    the exceptions they raised), in order."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def run(i, job):
        try:
            barrier.wait(timeout=10)
            results[i] = job()
        except Exception as error:  # noqa: BLE001  (the result under test)
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a thread hangs: a lock was never released"
    return results


def winner_and_loser(results):
    won = [r for r in results if isinstance(r, WorkOrder)]
    lost = [r for r in results if isinstance(r, ConflictError)]
    assert (len(won), len(lost)) == (1, 1), f"expected one winner and one ConflictError, got {results!r}"
    return won[0], lost[0]


# --- in turn (every database) ------------------------------------------------------------------


def test_it_refuses_the_second_of_two_dispatches_based_on_the_same_version(cast, desk):
    order, worker, plumber = desk
    seen = order.version
    services.dispatch(order, by=cast.agent, assignee=worker, version=seen)
    with pytest.raises(ConflictError):
        services.dispatch(order, by=cast.dispatcher, assignee=plumber, version=seen)
    order.refresh_from_db()
    assert order.assignee == worker and order.version == seen + 1
    assert order.events.filter(kind=EventKind.DISPATCHED).count() == 1


def test_it_accepts_a_dispatch_based_on_the_version_just_read(cast, desk):
    order, worker, plumber = desk
    order = services.dispatch(order, by=cast.agent, assignee=worker, version=order.version)
    order = services.dispatch(order, by=cast.dispatcher, assignee=plumber, version=order.version)
    assert order.assignee == plumber and order.team == plumber.team


def test_it_starts_an_order_once_when_the_worker_taps_twice(cast, desk):
    order, worker, _plumber = desk
    order = services.dispatch(order, by=cast.agent, assignee=worker)
    seen = order.version
    services.start(order, by=cast.worker, version=seen)
    with pytest.raises(ConflictError):
        services.start(order, by=cast.worker, version=seen)
    # Without a version the status itself refuses the second start.
    with pytest.raises(ConflictError):
        services.start(order, by=cast.worker)
    order.refresh_from_db()
    assert order.status == Status.IN_PROGRESS and order.version == seen + 1
    assert order.events.filter(kind=EventKind.STARTED).count() == 1


# --- at once (PostgreSQL) ----------------------------------------------------------------------


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_only_one_of_two_simultaneous_dispatches_wins(cast, desk):
    order, worker, plumber = desk
    seen = order.version
    results = race(
        lambda: services.dispatch(WorkOrder.objects.get(pk=order.pk), by=cast.agent, assignee=worker, version=seen),
        lambda: services.dispatch(
            WorkOrder.objects.get(pk=order.pk), by=cast.dispatcher, assignee=plumber, version=seen
        ),
    )
    won, _lost = winner_and_loser(results)
    order.refresh_from_db()
    assert order.version == seen + 1 and order.assignee_id == won.assignee_id
    assert order.events.filter(kind=EventKind.DISPATCHED).count() == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("with_version", [True, False], ids=["same-version", "no-version"])
def test_only_one_of_two_simultaneous_starts_wins(cast, desk, with_version):
    order, worker, _plumber = desk
    order = services.dispatch(order, by=cast.agent, assignee=worker)
    seen = order.version if with_version else None

    def tap():
        return services.start(WorkOrder.objects.get(pk=order.pk), by=cast.worker, version=seen)

    winner_and_loser(race(tap, tap))
    order.refresh_from_db()
    assert order.status == Status.IN_PROGRESS and order.version == 3
    assert order.events.filter(kind=EventKind.STARTED).count() == 1
