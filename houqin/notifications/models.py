"""Who was told what about work orders: the in-app inbox of every user, the channels the system
admin configures (webhooks, WeCom group robots, e-mail, an SMS gateway), and the outbox through
which every outbound message goes, with one delivery log row per attempt.

Nothing is sent during a web request: rules.py writes notifications and outbox messages when a
work-order event is committed, and the task worker delivers the outbox (outbox.py)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from houqin.accounts.roles import Scope
from houqin.core.models import TimeStampedModel
from houqin.org.querysets import ScopedQuerySet
from houqin.servicedesk.models import EventKind


def order_path(order_id: int | None) -> str:
    """The order's page, or "" while the service desk pages are not installed."""
    if not order_id:
        return ""
    try:
        return reverse("servicedesk:order_detail", args=[order_id])
    except NoReverseMatch:
        return ""


class Notification(models.Model):
    """One message in a user's inbox (the bell in the top bar), written in their language."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), max_length=1000, blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    order = models.ForeignKey(
        "servicedesk.WorkOrder",
        verbose_name=_("work order"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    event = models.CharField(_("event"), max_length=20, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    created = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created", "-id"]
        # Each user reads their own inbox; no role needs a permission for it.
        default_permissions = ()
        indexes = [
            models.Index(fields=["user", "-created"], name="notification_user_time"),
            # The bell's count on every page: only the unread rows are in this index.
            models.Index(fields=["user"], condition=Q(read_at__isnull=True), name="notification_unread"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def target_url(self) -> str:
        return self.link or order_path(self.order_id)


class ChannelKind(models.TextChoices):
    WEBHOOK = "webhook", _("webhook (signed JSON)")
    WECOM = "wecom", _("WeCom group robot")
    EMAIL = "email", _("e-mail")
    SMS = "sms", _("SMS gateway")


class BodyFormat(models.TextChoices):
    JSON = "json", _("JSON")
    FORM = "form", _("form fields (application/x-www-form-urlencoded)")


# Events a channel can subscribe to: every timeline event of a work order, plus "complaint" (a new
# order in a complaint category, sent in addition to "created").
COMPLAINT = "complaint"
TEST = "test"
# "monthly_report": the finished month's logistics report (houqin/reports), sent to the channels subscribed.
MONTHLY_REPORT = "monthly_report"
EVENT_CHOICES = [*EventKind.choices, (COMPLAINT, _("new complaint")), (MONTHLY_REPORT, _("monthly report ready"))]
DEFAULT_EVENTS = [
    EventKind.DISPATCHED.value,
    EventKind.COMPLETED.value,
    EventKind.SLA_WARNING.value,
    EventKind.SLA_BREACH.value,
    COMPLAINT,
]


class ChannelConfig(TimeStampedModel):
    """Where messages go besides the inbox. Webhooks, WeCom robots and e-mail addresses receive
    every event they subscribe to; the SMS gateway carries the personal messages of the rules
    (worker on dispatch, requester on completion…) for the events it subscribes to."""

    kind = models.CharField(_("kind"), max_length=10, choices=ChannelKind.choices)
    name = models.CharField(_("name"), max_length=100, unique=True)
    url = models.CharField(
        _("address"),
        max_length=500,
        help_text=_(
            "The URL for webhooks, WeCom robots and SMS gateways; for e-mail, the addresses separated by commas."
        ),
    )
    # For webhooks the HMAC key of the signature, for WeCom the robot key, for SMS the gateway's API key.
    secret = models.CharField(_("secret"), max_length=200, blank=True)
    secret_set_at = models.DateTimeField(_("secret last set"), null=True, blank=True, editable=False)
    body_format = models.CharField(
        _("SMS request format"), max_length=8, choices=BodyFormat.choices, default=BodyFormat.JSON
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    events = models.JSONField(_("events"), default=list, blank=True)

    objects = ScopedQuerySet.as_manager()
    # Secrets stay out of the audit trail; the time they were set is recorded instead.
    audit_exclude = ("secret",)
    scope_lookups = {Scope.COMPANY: None, Scope.DEPARTMENT: None}

    class Meta:
        verbose_name = _("notification channel")
        verbose_name_plural = _("notification channels")
        ordering = ["kind", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("notifications:channelconfig_detail", args=[self.pk])

    def wants(self, event: str) -> bool:
        return self.enabled and event in (self.events or [])

    @property
    def endpoint(self) -> str:
        """The URL to call: a WeCom robot's key is kept as the secret and put back here."""
        if self.kind == ChannelKind.WECOM and self.secret:
            separator = "&" if "?" in self.url else "?"
            return f"{self.url}{separator}key={self.secret}"
        return self.url

    @property
    def addresses(self) -> list[str]:
        return [part.strip() for part in self.url.replace(";", ",").split(",") if part.strip()]


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed, will retry")
    DEAD = "dead", _("given up")

    @property
    def colour(self) -> str:
        return {"pending": "blue", "sent": "green", "failed": "orange", "dead": "red"}[self.value]


class OutboxMessage(models.Model):
    """One message to send through one channel, delivered by the task worker with retries:
    after the n-th failed attempt it waits 2ⁿ⁻¹ minutes; after MAX_ATTEMPTS, or at once for an
    error that retrying cannot fix, it is given up (dead)."""

    MAX_ATTEMPTS = 8

    channel = models.ForeignKey(
        ChannelConfig,
        verbose_name=_("channel"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    channel_name = models.CharField(_("channel name"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=ChannelKind.choices)
    event = models.CharField(_("event"), max_length=20, blank=True)
    order = models.ForeignKey(
        "servicedesk.WorkOrder",
        verbose_name=_("work order"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # A phone number, e-mail addresses, or the channel's host for webhooks.
    recipient = models.CharField(_("recipient"), max_length=300, blank=True)
    payload = models.JSONField(_("content"), default=dict)
    status = models.CharField(_("status"), max_length=8, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox")
        ordering = ["-created", "-id"]
        default_permissions = ("view",)
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "failed"]),
                name="outbox_due",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.event} → {self.recipient or self.channel_name}"

    @property
    def status_colour(self) -> str:
        return OutboxStatus(self.status).colour

    @property
    def event_label(self) -> str:
        if self.event == TEST:
            return str(_("test message"))
        return str(dict(EVENT_CHOICES).get(self.event, self.event))


class DeliveryLog(models.Model):
    """One attempt to deliver an outbox message: what the other side answered, or the error."""

    message = models.ForeignKey(
        OutboxMessage, verbose_name=_("message"), on_delete=models.CASCADE, related_name="deliveries"
    )
    attempt = models.PositiveSmallIntegerField(_("attempt"))
    time = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    ok = models.BooleanField(_("delivered"), default=False)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    response = models.CharField(_("response"), max_length=500, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery log")
        ordering = ["-time", "-id"]
        default_permissions = ("view",)

    def __str__(self):
        return f"{self.message_id} #{self.attempt}"
