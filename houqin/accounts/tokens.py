"""API tokens: created per user, shown once, stored only as a SHA-256 hash, revocable.

A token acts as its user: it carries exactly the user's permissions and scope, and stops
working when the user is deactivated. The REST API (houqin.core.api) authenticates
`Authorization: Bearer <key>` through authenticate_token(); the UI and the `createtoken`
command create and revoke tokens through the two services below."""

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from houqin.accounts.models import ApiToken, hash_token
from houqin.core.audit import record_security_event
from houqin.core.models import SecurityEventKind

# last_used is a hint for the security admin, not a log: one write a minute per token is enough.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)
# Longer strings cannot be one of our keys; refusing them early avoids hashing junk.
MAX_KEY_LENGTH = 200


def create_token(user, *, name: str, expires_at: datetime.datetime | None = None, by) -> tuple[ApiToken, str]:
    """Create a token for user and return it with its key. The key is not stored and cannot be
    shown again. Writes a TOKEN_CREATED security event (user = the token's owner, detail names
    who created it)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("This field is required.")]})
    try:
        MaxLengthValidator(ApiToken._meta.get_field("name").max_length)(name)
    except ValidationError as exc:
        raise ValidationError({"name": exc.messages}) from exc
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": [_("The expiry must be in the future.")]})
    if not user.is_active:
        raise ValidationError(_("A deactivated user cannot receive an API token."))
    key = ApiToken.generate_key()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name, key_hash=hash_token(key), key_hint=key[:10], expires_at=expires_at
        )
        record_security_event(
            SecurityEventKind.TOKEN_CREATED,
            user=user,
            detail={
                "token": token.pk,
                "name": name,
                "hint": token.key_hint,
                "expires_at": expires_at.isoformat() if expires_at else None,
                "by": getattr(by, "username", "") or "system",
            },
        )
    return token, key


def revoke_token(token: ApiToken, *, by) -> ApiToken:
    """Revoke a token at once; revoking an already revoked token changes nothing.
    Writes a TOKEN_REVOKED security event."""
    with transaction.atomic():
        # Lock the row: two admins revoking at once must leave one event, not two.
        locked = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
            record_security_event(
                SecurityEventKind.TOKEN_REVOKED,
                user=locked.user,
                detail={
                    "token": locked.pk,
                    "name": locked.name,
                    "hint": locked.key_hint,
                    "by": getattr(by, "username", "") or "system",
                },
            )
    token.revoked_at = locked.revoked_at
    return token


def authenticate_token(key: str):
    """The active user a key belongs to, or None for an unknown, revoked or expired token or a
    deactivated user. The user gets `api_token` set to the token used."""
    if not key or len(key) > MAX_KEY_LENGTH or "\x00" in key:
        return None
    token = ApiToken.objects.active().select_related("user").filter(key_hash=hash_token(key)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used is None or now - token.last_used >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        token.last_used = now
    user = token.user
    user.api_token = token
    return user


__all__ = ["authenticate_token", "create_token", "revoke_token"]
