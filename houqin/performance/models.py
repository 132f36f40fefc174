"""Performance (绩效): how a hospital weighs the figures of a month into one score."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from houqin.core.models import TimeStampedModel

_weight = {
    "max_digits": 5,
    "decimal_places": 2,
    "validators": [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
}


class ScoreWeights(TimeStampedModel):
    """The weights of the monthly score, one set per hospital (the row with the lowest id is the
    one in force). Each part is scored 0–100; the score is their weighted average."""

    workload = models.DecimalField(_("workload points"), default=Decimal(30), **_weight)
    on_time = models.DecimalField(_("on-time rate"), default=Decimal(25), **_weight)
    rework = models.DecimalField(_("rework rate"), default=Decimal(15), **_weight)
    satisfaction = models.DecimalField(_("satisfaction"), default=Decimal(25), **_weight)
    complaints = models.DecimalField(_("complaints"), default=Decimal(5), **_weight)
    complaint_penalty = models.DecimalField(_("points off per complaint"), default=Decimal(20), **_weight)

    class Meta:
        verbose_name = _("score weights")
        verbose_name_plural = _("score weights")
        permissions = [("view_performance", _("Can see team and worker performance"))]

    def __str__(self):
        return str(_("score weights"))
