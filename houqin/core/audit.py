"""The audit trail: snapshots of an object's fields and the rows that record a change.

Services call record_change() themselves, inside their transaction, so that every path
(UI, API, import, command) leaves the same trace; nothing here listens to signals."""

import contextvars
import datetime
import decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from houqin.core.models import AuditAction, AuditEntry, SecurityEvent

# The client address of the request being served, so that audit rows can name it.
current_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("current_ip", default=None)

# Fields that change on every save or are derived: not worth a line in the trail.
IGNORED_FIELDS = {"id", "created", "last_updated", "search_text", "tree_path", "depth", "full_name", "password"}


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    return value


def snapshot(obj: models.Model) -> dict[str, Any]:
    """Field name → a readable value (related objects by their name, choices by label)."""
    data: dict[str, Any] = {}
    ignored = IGNORED_FIELDS | set(getattr(obj, "audit_exclude", ()))
    for field in obj._meta.concrete_fields:
        if field.name in ignored:
            continue
        if field.is_relation:
            raw = getattr(obj, field.attname)
            data[field.name] = str(getattr(obj, field.name)) if raw is not None else None
        elif field.choices:
            data[field.name] = (
                getattr(obj, f"get_{field.name}_display")() if getattr(obj, field.attname) not in (None, "") else ""
            )
        else:
            data[field.name] = _plain(getattr(obj, field.attname))
    if obj.pk:
        for field in obj._meta.many_to_many:
            if field.name in ignored:
                continue
            data[field.name] = sorted(str(item) for item in getattr(obj, field.name).all())
    return data


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Only the fields whose value changed, as field → [before, after]."""
    changes = {}
    for name in after.keys() | before.keys():
        old, new = before.get(name), after.get(name)
        if old != new:
            changes[name] = [old, new]
    return changes


def record_change(obj: models.Model, action: str, *, by, changes: dict | None = None, note: str = "") -> AuditEntry:
    return AuditEntry.objects.create(
        actor=by if getattr(by, "pk", None) else None,
        actor_name=getattr(by, "username", "") or "system",
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        action=action,
        changes=changes or {},
        note=note[:300],
        ip_address=current_ip.get(),
    )


def record_security_event(kind: str, *, user=None, username: str = "", detail: dict | None = None) -> SecurityEvent:
    if user is not None and getattr(user, "pk", None) is None:
        user = None
    return SecurityEvent.objects.create(
        kind=kind,
        user=user,
        username=username or getattr(user, "username", "") or "",
        ip_address=current_ip.get(),
        detail=detail or {},
    )


def history_for(obj: models.Model):
    """The object's trail, newest first."""
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True), object_id=str(obj.pk)
    ).select_related("actor")


__all__ = ["AuditAction", "current_ip", "diff", "history_for", "record_change", "record_security_event", "snapshot"]
