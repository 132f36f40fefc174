"""Benchmarks of houqin, run with `make bench` (pytest-benchmark).

Each figure is reported against a baseline measured in the same run on the same data — the
cheapest raw SQL that returns the same rows — so the ratio says how much the product's layers
(ORM, permissions, scope, serialisation, templates) add, whatever the machine's speed."""

import os

import pytest
from django.core.management import call_command

SCALE = float(os.environ.get("BENCH_SCALE", "1"))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("seed_demo", scale=SCALE, verbosity=0)


def pytest_sessionfinish(session, exitstatus):
    bench_session = getattr(session.config, "_benchmarksession", None)
    if bench_session is None or not bench_session.benchmarks:
        return
    medians = {b.name.split("[")[0].removeprefix("test_"): b.stats.median for b in bench_session.benchmarks if b.stats}
    lines = [f"\nhouqin benchmarks (demo scale {SCALE:g}): median and ratio to the raw-SQL baseline of the same figure"]
    for name, median in sorted(medians.items()):
        if name.endswith("_baseline"):
            continue
        base = medians.get(f"{name}_baseline")
        ratio = f"{median / base:6.1f}x" if base else "   n/a"
        lines.append(f"  {name:<32} {median * 1000:8.2f} ms   {ratio}")
    print("\n".join(lines))
