"""A benchmark timer for a busy machine: CPU seconds instead of wall-clock seconds.

    PYTHONPATH=bench make bench PYTEST_ADDOPTS="--benchmark-timer=cpu_timer.cpu"

On a 2-core machine that others share, wall-clock times mostly measure who else is running. CPU
time counts the work itself: this process's (Django and, on SQLite, the database too) plus, on a
PostgreSQL server on the same machine, the server process serving this connection (read from
/proc; the kernel counts it in 10 ms ticks, so only figures of tens of milliseconds and more are
meaningful). The numbers are what an idle machine would answer in, less network waits."""

import os
import time

from django.db import connection

TICKS = os.sysconf("SC_CLK_TCK")


def server_cpu() -> float:
    """CPU seconds of the PostgreSQL backend serving Django's connection (0 elsewhere)."""
    if connection.vendor != "postgresql" or connection.connection is None:
        return 0.0
    try:
        with open(f"/proc/{connection.connection.info.backend_pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:  # a server on another machine
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def cpu() -> float:
    return time.process_time() + server_cpu()
