"""manage.py scheduler: enqueue the periodic jobs apps registered (core/scheduler.py) for the task
worker (`manage.py db_worker`), each once per period. Run one next to each worker; several
schedulers on several servers still enqueue each job once. `--once` does one pass (tests, cron)."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections
from django.utils import timezone

from houqin.core.scheduler import Scheduler, period_start, registered_jobs


class Command(BaseCommand):
    help = "Enqueue periodic background jobs (SLA sweep, notification retries…) once per period."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Do one pass and stop (for tests and cron).")
        parser.add_argument(
            "--interval", type=float, default=10.0, help="Seconds between passes (default 10, at least 1)."
        )
        parser.add_argument("--list", dest="list_jobs", action="store_true", help="List the registered jobs and stop.")

    def handle(self, *args, once=False, interval=10.0, list_jobs=False, **options):
        verbosity = options.get("verbosity", 1)
        if interval < 1:
            raise CommandError("--interval must be at least 1 second.")
        if list_jobs:
            now = timezone.now()
            for job in registered_jobs():
                start = timezone.localtime(period_start(job.every, now))
                self.stdout.write(f"{job.name}\tevery {job.every_label}\tcurrent period from {start:%Y-%m-%d %H:%M}")
            return
        scheduler = Scheduler()
        if not once and verbosity:
            names = ", ".join(job.name for job in registered_jobs()) or "none"
            self.stdout.write(f"Scheduler started (pass every {interval:g} s); jobs: {names}. Ctrl-C to stop.")
        try:
            while True:
                try:
                    enqueued = scheduler.run_due()
                except DatabaseError as exc:
                    if once:
                        raise
                    self.stderr.write(f"Scheduler pass failed, trying again: {exc}")
                    enqueued = []
                if verbosity > 1 or (once and verbosity):
                    for name in enqueued:
                        self.stdout.write(f"enqueued {name}")
                if once:
                    return
                time.sleep(interval)
                # A long-running process: drop connections the database closed (restart, timeout).
                close_old_connections()
        except KeyboardInterrupt:
            if verbosity:
                self.stdout.write("Scheduler stopped.")
