"""manage.py createtoken USERNAME [--name NAME] [--days DAYS]: an API token, printed once."""

import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from houqin.accounts.models import User
from houqin.accounts.tokens import create_token


class Command(BaseCommand):
    help = "Create an API token for a user and print its key (shown this once only)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="command line", help="what the token is for, e.g. the system using it")
        parser.add_argument("--days", type=int, default=None, help="expire after this many days (default: never)")

    def handle(self, *args, username, name, days, **options):
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist as exc:
            raise CommandError(f"No user named {username!r}.") from exc
        if days is not None and not 1 <= days <= 36500:
            raise CommandError("--days must be between 1 and 36500.")
        expires_at = timezone.now() + datetime.timedelta(days=days) if days else None
        try:
            token, key = create_token(user, name=name, expires_at=expires_at, by=None)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stderr.write(
            f"Token {token.name!r} for {user.username}" + (f", expires {expires_at:%Y-%m-%d}" if expires_at else "")
        )
        self.stderr.write("Store the key now: it cannot be shown again.")
        self.stdout.write(key)
