"""manage.py seed_servicedesk: loads the service desk's demo (houqin/servicedesk/demo.py) onto the
demo hospital: the service catalog, a month of work orders and a live queue.

`manage.py seed_demo` runs it too (through org's demo_seeded signal), and when the demo is there
already brings its history and live queue up to now instead. This command does nothing when the
demo catalog is already there; --force deletes the demo catalog with every order in it and loads it
again.

A big history for benchmarks (bench/README.md): `--orders 1000000` (about as many orders: the
history is as many days long as it takes at --scale times 800 a day) `--timeline-days 30` (only the
last 30 days' orders get their timeline events; the KPIs read the orders). Written a week at a
time, so memory stays bounded."""

import argparse
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from houqin.org.demo import DEFAULT_SEED
from houqin.org.demo import demo_loaded as hospital_loaded
from houqin.org.management.commands.seed_demo import date_value, scale_value
from houqin.servicedesk.demo import DEFAULT_DAYS, delete_demo, demo_loaded, load_demo, write_counts


def days_value(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0
    if not 0 < value <= 366:
        raise argparse.ArgumentTypeError(
            _("%(value)r is not a number of days above 0 and at most 366.") % {"value": text}
        )
    return value


def orders_value(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 0 < value <= 10_000_000:
        raise argparse.ArgumentTypeError(
            _("%(value)r is not a number of orders above 0 and at most 10,000,000.") % {"value": text}
        )
    return value


class Command(BaseCommand):
    help = (
        "Loads the service desk demo onto the demo hospital: the service catalog, a month of work orders "
        "(~800 a day) and a live queue of open orders. Demo only."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", type=scale_value, default=1, help="Orders per day multiplier: 1 is ~800 orders a day."
        )
        parser.add_argument(
            "--days", type=days_value, default=DEFAULT_DAYS, help="Days of history up to now (default 30)."
        )
        parser.add_argument(
            "--orders",
            type=orders_value,
            default=None,
            help="About this many orders instead of --days: the history is as long as it takes (benchmarks).",
        )
        parser.add_argument(
            "--timeline-days",
            type=days_value,
            default=None,
            help="Write timeline events only for the orders of the last N days (default: all; benchmarks).",
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help="Random seed; the same seed gives the same orders."
        )
        parser.add_argument(
            "--today",
            type=date_value,
            default=None,
            help="Day (YYYY-MM-DD) the history ends on, at noon, for repeatable data; default: now.",
        )
        parser.add_argument(
            "--force", action="store_true", help="Delete the demo catalog and its orders first and load them again."
        )

    def handle(self, *args, scale, days, orders, timeline_days, seed, today, force, **options):
        if not hospital_loaded():
            raise CommandError(_("Load the demo hospital first: manage.py seed_demo."))
        started = time.monotonic()
        with transaction.atomic():
            if demo_loaded():
                if not force:
                    self.stdout.write(
                        _("The service desk demo is already loaded; nothing changed. Use --force to reload it.")
                    )
                    return
                try:
                    delete_demo()
                except ProtectedError as exc:
                    models = sorted({str(obj._meta.verbose_name_plural) for obj in exc.protected_objects})
                    raise CommandError(
                        _("Other records still use the demo data (%(models)s); nothing was deleted.")
                        % {"models": ", ".join(models)}
                    ) from exc
            counts = load_demo(
                scale=scale, days=days, orders=orders, timeline_days=timeline_days, seed=seed, today=today
            )
        write_counts(self.stdout, counts, time.monotonic() - started)
