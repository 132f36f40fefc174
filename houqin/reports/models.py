"""Monthly logistics reports: generated on the first of the month or on demand, stored."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from houqin.core.models import TimeStampedModel
from houqin.insight.periods import Period


class ReportStatus(models.TextChoices):
    PENDING = "pending", _("being generated")
    READY = "ready", _("ready")
    FAILED = "failed", _("failed")


def report_path(report, filename: str) -> str:
    return f"reports/{report.month:%Y-%m}/{filename}"


class MonthlyReport(TimeStampedModel):
    month = models.DateField(_("month"), unique=True, help_text=_("The first day of the month."))
    status = models.CharField(_("status"), max_length=8, choices=ReportStatus.choices, default=ReportStatus.PENDING)
    workbook = models.FileField(_("Excel workbook"), upload_to=report_path, blank=True)
    pdf = models.FileField(_("PDF"), upload_to=report_path, blank=True)
    generated_at = models.DateTimeField(_("generated"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    error = models.TextField(_("error"), blank=True)
    # Set when the directors were sent the finished month's report, so that they are sent it once.
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        ordering = ["-month"]

    def __str__(self):
        return f"{self.month:%Y-%m}"

    @property
    def label(self) -> str:
        return f"{self.month:%Y-%m}"

    @property
    def period(self) -> Period:
        return Period.month_of(self.month)

    @property
    def is_ready(self) -> bool:
        return self.status == ReportStatus.READY and bool(self.workbook) and bool(self.pdf)

    @property
    def is_complete(self) -> bool:
        """Generated after the month was over (not a report of the month so far)."""
        return self.generated_at is not None and self.generated_at >= self.period.end

    @property
    def status_colour(self) -> str:
        return {"pending": "blue", "ready": "green", "failed": "red"}[self.status]
