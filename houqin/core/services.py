"""Generic create/update/delete with an audit row in the same transaction.

Model-specific services (moving a location, linking a user) live in their app's
services.py and use these helpers for the trail."""

from django.db import models, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext as _

from houqin.core.audit import AuditAction, diff, record_change, snapshot
from houqin.core.exceptions import InUseError


def save_form(form, *, by, note: str = "") -> models.Model:
    """Save a validated ModelForm and record what changed."""
    with transaction.atomic():
        instance = form.instance
        creating = instance._state.adding
        before = {}
        if not creating:
            # Reload the stored row: the form has already written its values onto the instance.
            stored = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
            before = snapshot(stored)
        obj = form.save()
        after = snapshot(obj)
        changes = diff(before, after)
        if creating:
            record_change(
                obj,
                AuditAction.CREATE,
                by=by,
                changes={k: [None, v] for k, v in after.items() if v not in (None, "", [])},
                note=note,
            )
        elif changes:
            record_change(obj, AuditAction.UPDATE, by=by, changes=changes, note=note)
        return obj


def delete_object(obj: models.Model, *, by) -> None:
    """Delete, or refuse with InUseError when other records still point at the object."""
    try:
        with transaction.atomic():
            before = snapshot(obj)
            record_change(
                obj,
                AuditAction.DELETE,
                by=by,
                changes={k: [v, None] for k, v in before.items() if v not in (None, "", [])},
            )
            obj.delete()
    except (ProtectedError, RestrictedError) as exc:
        blockers = {type(o)._meta.verbose_name for o in exc.args[1]} if len(exc.args) > 1 else set()
        raise InUseError(
            _("%(object)s is still used by other records (%(kinds)s); deactivate it instead.")
            % {"object": obj, "kinds": ", ".join(sorted(str(b) for b in blockers))}
        ) from exc
