"""manage.py rebuild_rollup: compute the KPIs' daily rollup again from every order (after orders
were written past the application, e.g. restored from a backup or loaded by hand). The rollup
is kept up to date by itself otherwise; --fold only settles the pending marks, as the scheduler's
job does every minute."""

import time

from django.core.management.base import BaseCommand

from houqin.insight import rollup
from houqin.insight.tasks import fold_rollup


class Command(BaseCommand):
    help = "Recompute the daily rollup of the KPIs from the work orders (or, with --fold, only what changed)."

    def add_arguments(self, parser):
        parser.add_argument("--fold", action="store_true", help="Only recompute the days marked as changed.")

    def handle(self, *args, fold=False, **options):
        started = time.monotonic()
        if fold:
            settled = fold_rollup.call()
            self.stdout.write(f"Rollup: {settled} marks settled in {time.monotonic() - started:.1f} s.")
            return
        written = rollup.rebuild()
        self.stdout.write(f"Rollup rebuilt: {written} rows in {time.monotonic() - started:.1f} s.")
