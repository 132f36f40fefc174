"""manage.py seed_demo: loads the demo hospital (houqin/org/demo.py) into the database.

Does nothing when the demo is already there (site "A" exists), so `make run` may call it every
time. --force deletes the demo's records and loads them again; it refuses, changing nothing, when
other records use them (work orders on a demo location…). The demo accounts share the password
HOUQIN_DEMO_PASSWORD (default "houqin2026"): demo only, never on a real installation.

Apps built on org add their own demo data through the signals of houqin/org/demo.py
(demo_seeded after loading, or finding, the hospital; demo_deleting before --force deletes it):
the service desk loads its catalog and a month of work orders that way.
"""

import argparse
import datetime
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from houqin.org.demo import DEFAULT_SEED, delete_demo, demo_deleting, demo_loaded, demo_seeded, load_demo


def scale_value(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0
    if not 0 < value <= 100:
        raise argparse.ArgumentTypeError(_("%(value)r is not a number above 0 and at most 100.") % {"value": text})
    return value


def date_value(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("%(value)r is not a date like 2026-03-01.") % {"value": text}) from None


class Command(BaseCommand):
    help = (
        "Loads the demo hospital: 2 campuses, ~4,000 locations, departments, contractors, staff and one login per "
        "role, all with the password HOUQIN_DEMO_PASSWORD (default houqin2026). Demo only."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=scale_value,
            default=1,
            help="Size multiplier: 1 is a 1,500-bed hospital (~4,000 locations), 10 ten times that; a fraction such as 0.1 keeps fewer floors, for tests.",
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help="Random seed; the same seed gives the same data."
        )
        parser.add_argument(
            "--today",
            type=date_value,
            default=None,
            help="Date (YYYY-MM-DD) that hire and certificate dates are counted from; default today.",
        )
        parser.add_argument("--force", action="store_true", help="Delete the demo data first and load it again.")

    def handle(self, *args, scale, seed, today, force, **options):
        started = time.monotonic()
        hooks = {"scale": scale, "seed": seed, "today": today, "force": force, "stdout": self.stdout}
        # One transaction: with --force, a reload that fails leaves the old demo in place.
        with transaction.atomic():
            if demo_loaded():
                if not force:
                    self.stdout.write(
                        _("The demo hospital is already loaded; nothing changed. Use --force to delete and reload it.")
                    )
                    # The apps built on org may still have their part to load.
                    demo_seeded.send(sender=self.__class__, created=False, **hooks)
                    return
                try:
                    demo_deleting.send(sender=self.__class__, stdout=self.stdout)
                    delete_demo()
                except ProtectedError as exc:
                    models = sorted({str(obj._meta.verbose_name_plural) for obj in exc.protected_objects})
                    raise CommandError(
                        _("Other records still use the demo data (%(models)s); nothing was deleted.")
                        % {"models": ", ".join(models)}
                    ) from exc
            counts = load_demo(scale=scale, seed=seed, today=today)
            self.stdout.write(
                self.style.SUCCESS(
                    _("Demo hospital loaded in %(seconds).1f s (scale %(scale)s, seed %(seed)s):")
                    % {"seconds": time.monotonic() - started, "scale": f"{scale:g}", "seed": seed}
                )
            )
            width = max(len(name) for name in counts)
            for name, count in counts.items():
                self.stdout.write(f"  {name.ljust(width)}  {count:>7,}")
            demo_seeded.send(sender=self.__class__, created=True, **hooks)
