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


class DayFigures(models.Model):
    """The daily rollup (docs/kpis.md, "Daily rollup"): the KPIs' sums of one local day for one
    category, site, team and channel, and the duration values their medians are taken from.
    Derived from the orders by houqin.insight.rollup alone; never edited. The figures of the
    orders *created* that day and of those *completed* that day share the row. The duration values
    are JSON arrays kept as text: a month's rows are read by one parse of them all."""

    day = models.DateField()
    category = models.ForeignKey("servicedesk.ServiceCategory", on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey("org.Site", null=True, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey("org.Team", null=True, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=8)
    # Orders created that day.
    volume = models.PositiveIntegerField(default=0)
    response_minutes = models.TextField(default="[]")  # a JSON array
    arrival_minutes = models.TextField(default="[]")  # a JSON array
    complaints = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)
    answer_minutes = models.FloatField(default=0)  # the sum, over the answered complaints
    repeat_base = models.PositiveIntegerField(default=0)  # with a place, not a merged duplicate
    repeats = models.PositiveIntegerField(default=0)
    # Orders completed that day.
    completed = models.PositiveIntegerField(default=0)
    completion_minutes = models.TextField(default="[]")  # a JSON array
    on_time = models.PositiveIntegerField(default=0)
    followed_up = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    reworked = models.PositiveIntegerField(default=0)
    first_time_fix = models.PositiveIntegerField(default=0)
    points = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        indexes = [models.Index(fields=["day", "category"], name="insight_dayfig_day_cat")]

    def __str__(self):
        return f"{self.day} {self.category_id}/{self.site_id}/{self.team_id}/{self.channel}"


class DayRepeats(models.Model):
    """The repeat faults among the orders created on one local day, per place (with the same
    category, site, team and channel as DayFigures): the dashboard's places with repeat faults."""

    day = models.DateField()
    category = models.ForeignKey("servicedesk.ServiceCategory", on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey("org.Site", null=True, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey("org.Team", null=True, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=8)
    location = models.ForeignKey("org.Location", on_delete=models.CASCADE, related_name="+")
    count = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["day", "category"], name="insight_dayrep_day_cat")]

    def __str__(self):
        return f"{self.day} {self.location_id}: {self.count}"


class RollupMark(models.Model):
    """A day of a category whose rollup rows may be out of date: written in the same transaction
    as the change of an order (or of what its figures depend on), removed when the rows are
    computed again. No day: every day of the category (its weight or hold rule changed)."""

    day = models.DateField(null=True)
    category_id = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["day", "category_id"], name="insight_mark_day_cat")]

    def __str__(self):
        return f"{self.day or '*'} {self.category_id}"
