"""Wall displays (大屏): created with a display token shown once (only its SHA-256 hash and a hint
are stored, as for API tokens), revoked alone, and recognised by their token on the big screen.

A display token opens the big screen of the display's site without a login and nothing else:
it is no user's token and carries no permission."""

import datetime
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from houqin.accounts.models import hash_token
from houqin.core.audit import record_change, record_security_event
from houqin.core.models import AuditAction, SecurityEventKind
from houqin.insight.models import DisplayScreen

PREFIX = "hqd_"
HINT_LENGTH = 10
# last_seen tells the admin the screen is alive; one write a minute is enough (the screen polls
# every 30 seconds).
LAST_SEEN_RESOLUTION = datetime.timedelta(minutes=1)
# Longer strings cannot be one of our tokens; refusing them early avoids hashing junk.
MAX_TOKEN_LENGTH = 200


def generate_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def create_display(*, name: str, site=None, by) -> tuple[DisplayScreen, str]:
    """Create a wall display and return it with its token. The token is not stored and cannot be
    shown again. Writes an audit row (created, naming the token's hint) and a security event: the
    token opens the big screen without a login."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("This field is required.")]})
    max_length = DisplayScreen._meta.get_field("name").max_length
    if len(name) > max_length:
        raise ValidationError({"name": [_("At most %(count)d characters.") % {"count": max_length}]})
    if site is not None and not site.is_active:
        raise ValidationError({"site": [_("Choose an active site.")]})
    token = generate_token()
    with transaction.atomic():
        display = DisplayScreen.objects.create(
            name=name,
            site=site,
            token_hash=hash_token(token),
            token_hint=token[:HINT_LENGTH],
            created_by=by if getattr(by, "pk", None) else None,
        )
        record_change(
            display,
            AuditAction.CREATE,
            by=by,
            changes={
                "name": [None, display.name],
                "site": [None, str(site) if site else None],
                "token_hint": [None, display.token_hint],
            },
        )
        record_security_event(
            SecurityEventKind.DISPLAY_TOKEN_CREATED,
            user=by,
            detail={"display": display.pk, "name": display.name, "token_hint": display.token_hint},
        )
    return display, token


def revoke_display(display: DisplayScreen, *, by) -> DisplayScreen:
    """Revoke a display's token at once: the big screen stops answering it. Revoking an already
    revoked display changes nothing. Writes an audit row and a security event."""
    with transaction.atomic():
        # Lock the row: two admins revoking at once must leave one audit row, not two.
        locked = DisplayScreen.objects.select_for_update().get(pk=display.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at", "last_updated"])
            record_change(
                locked,
                AuditAction.UPDATE,
                by=by,
                changes={"revoked_at": [None, locked.revoked_at.isoformat()]},
            )
            record_security_event(
                SecurityEventKind.DISPLAY_TOKEN_REVOKED,
                user=by,
                detail={"display": locked.pk, "name": locked.name, "token_hint": locked.token_hint},
            )
    display.revoked_at = locked.revoked_at
    return display


def display_for_token(token: str | None) -> DisplayScreen | None:
    """The unrevoked display a token belongs to, or None. Notes when the display was last seen,
    at most once a minute."""
    if not token or len(token) > MAX_TOKEN_LENGTH or "\x00" in token:
        return None
    display = (
        DisplayScreen.objects.select_related("site")
        .filter(token_hash=hash_token(token), revoked_at__isnull=True)
        .first()
    )
    if display is None:
        return None
    now = timezone.now()
    if display.last_seen is None or now - display.last_seen >= LAST_SEEN_RESOLUTION:
        DisplayScreen.objects.filter(pk=display.pk).update(last_seen=now)
        display.last_seen = now
    return display
