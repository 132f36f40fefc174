"""What the insight pages keep: the wall displays (大屏) allowed to show the live picture."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from houqin.core.models import TimeStampedModel


class DisplayScreen(TimeStampedModel):
    """A screen on the service centre's wall. It opens the big screen with its own display token
    (shown once; only its hash is stored), so it needs no login and can be revoked alone."""

    name = models.CharField(_("name"), max_length=100)
    site = models.ForeignKey(
        "org.Site",
        verbose_name=_("site"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: the whole hospital."),
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_hint = models.CharField(_("token starts with"), max_length=12, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    last_seen = models.DateTimeField(_("last seen"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("wall display")
        verbose_name_plural = _("wall displays")
        ordering = ["name", "id"]
        permissions = [("view_kpis", _("Can see KPIs, dashboards and the big screen"))]

    def __str__(self):
        return self.name
