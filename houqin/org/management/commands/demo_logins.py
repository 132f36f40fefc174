"""manage.py demo_logins: the demo accounts as a table — role, user name, password, what to try
first — printed by `make run` before serving. Prints nothing when no demo account exists."""

import os
import unicodedata

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import translation
from django.utils.translation import gettext as _

from houqin.accounts.roles import role_label


def display_width(text: str) -> int:
    """Columns a terminal gives the text: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


class Command(BaseCommand):
    help = "Prints the demo logins (user name, password, role) created by seed_demo."

    def handle(self, *args, **options):
        # The demo accounts are defined with the demo data (org), which loads them.
        from houqin.org.demo import DEFAULT_PASSWORD, DEMO_ACCOUNTS

        accounts = {a.username: a for a in DEMO_ACCOUNTS}
        present = set(
            get_user_model().objects.filter(username__in=accounts, is_active=True).values_list("username", flat=True)
        )
        if not present:
            return
        if os.environ.get("HOUQIN_DEMO_PASSWORD"):
            password = "$HOUQIN_DEMO_PASSWORD"
        else:
            password = DEFAULT_PASSWORD
        rows = [(_("Role"), _("User name"), _("Password"), _("Try first"))]
        for account in DEMO_ACCOUNTS:
            if account.username not in present:
                continue
            with translation.override("en"):
                english = role_label(account.role) if account.role else "Superuser"
            rows.append((f"{account.role_zh} {english}", account.username, password, str(account.try_first)))
        widths = [max(display_width(row[i]) for row in rows) for i in range(4)]
        line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
        self.stdout.write(_("Demo logins (demo data only: never use these accounts on a real installation)"))
        self.stdout.write(line)
        for n, row in enumerate(rows):
            self.stdout.write("| " + " | ".join(pad(cell, w) for cell, w in zip(row, widths, strict=True)) + " |")
            if n == 0:
                self.stdout.write(line)
        self.stdout.write(line)
        self.stdout.write(_("Open %(url)s and log in with one of them.") % {"url": f"{settings.PUBLIC_BASE_URL}/"})
