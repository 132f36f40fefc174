"""Benchmarks of houqin, run with `make bench` (pytest-benchmark).

Each figure is reported against a baseline measured in the same run on the same data — the
cheapest raw SQL that returns the same rows — so the ratio says how much the product's layers
(ORM, permissions, scope, serialisation, templates) add, whatever the machine's speed.

The data: the demo hospital (BENCH_SCALE times its size) with a history of about BENCH_ORDERS
work orders (default 50,000; issue 4's bar is measured at 1,000,000) ending at noon on
HISTORY_ENDS, loaded into the test database. A million orders take minutes to load: load them
once into a database of their own and run with BENCH_KEEP_DB=1 (bench/README.md)."""

import datetime
import io
import os

import pytest
from django.core.management import call_command
from django.db import connection

SCALE = float(os.environ.get("BENCH_SCALE", "1"))
ORDERS = int(os.environ.get("BENCH_ORDERS", "50000"))
# The history ends at noon of this day; the KPI benchmarks measure the whole month before it.
HISTORY_ENDS = datetime.date(2026, 11, 25)
# Benchmark the database DATABASE_URL names as it is (already loaded), not a fresh test database.
KEEP_DB = os.environ.get("BENCH_KEEP_DB") == "1"

if KEEP_DB:

    @pytest.fixture(scope="session")
    def django_db_setup(django_db_blocker):
        from houqin.servicedesk.demo import demo_loaded

        with django_db_blocker.unblock():
            if not demo_loaded():
                pytest.exit("BENCH_KEEP_DB=1: load the demo into DATABASE_URL first (bench/README.md).", returncode=2)

else:

    @pytest.fixture(scope="session")
    def django_db_setup(django_db_setup, django_db_blocker):
        with django_db_blocker.unblock():
            call_command("seed_demo", scale=SCALE, verbosity=0)
            call_command(
                "seed_servicedesk",
                force=True,
                scale=SCALE,
                orders=ORDERS,
                timeline_days=30,
                today=HISTORY_ENDS,
                verbosity=0,
                stdout=io.StringIO(),
            )


def work_orders() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM servicedesk_workorder")
        return cursor.fetchone()[0]


def pytest_sessionfinish(session, exitstatus):
    bench_session = getattr(session.config, "_benchmarksession", None)
    if bench_session is None or not bench_session.benchmarks:
        return
    medians = {b.name.split("[")[0].removeprefix("test_"): b.stats.median for b in bench_session.benchmarks if b.stats}
    about = getattr(session.config, "_houqin_bench_data", "")
    lines = [
        f"\nhouqin benchmarks (demo scale {SCALE:g}{about}): median and ratio to the raw-SQL baseline of the same figure"
        " over the orders, and (where there is one) over the daily rollup"
    ]
    for name, median in sorted(medians.items()):
        if "_baseline" in name:
            continue
        line = f"  {name:<32} {median * 1000:8.2f} ms"
        for suffix in ("_baseline", "_baseline_rollup"):
            base = medians.get(f"{name}{suffix}")
            if base:
                line += f"  {base * 1000:8.2f} ms {median / base:5.1f}x"
        lines.append(line)
    print("\n".join(lines))


@pytest.fixture(scope="session", autouse=True)
def _describe_data(request, django_db_setup, django_db_blocker):
    """Notes the backend and the number of work orders for the summary line."""
    with django_db_blocker.unblock():
        request.config._houqin_bench_data = f", {work_orders():,} work orders, {connection.vendor}"
