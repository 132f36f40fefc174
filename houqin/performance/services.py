"""Changes to the performance settings: the score weights in force, created on first use."""

from django.db import transaction
from django.utils.translation import gettext as _

from houqin.core.audit import AuditAction, record_change, snapshot
from houqin.core.services import save_form
from houqin.performance.models import ScoreWeights


def weights_in_force(*, by=None) -> ScoreWeights:
    """The ScoreWeights row in force (the lowest id); the first call creates it with the defaults
    and records that in the audit trail (by the user whose page asked first, or the system)."""
    weights = ScoreWeights.objects.order_by("pk").first()
    if weights is not None:
        return weights
    # Two first uses at once may both create a row; the lowest id stays in force, so that is harmless.
    with transaction.atomic():
        weights = ScoreWeights.objects.create()
        record_change(
            weights,
            AuditAction.CREATE,
            by=by,
            changes={name: [None, value] for name, value in snapshot(weights).items() if value not in (None, "")},
            note=_("Default weights, created on first use."),
        )
    return weights


def change_weights(form, *, by) -> ScoreWeights:
    """Save a valid ScoreWeightsForm (bound to the row in force) and audit what changed."""
    return save_form(form, by=by)
