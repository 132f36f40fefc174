"""Base models every app builds on, and the audit trail."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from houqin.core.pinyin import search_key


class TimeStampedModel(models.Model):
    created = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    last_updated = models.DateTimeField(_("last updated"), auto_now=True)

    class Meta:
        abstract = True


class MasterDataModel(TimeStampedModel):
    """A record users keep in lists: it has a business code, a name searchable by pinyin,
    and is deactivated rather than deleted once other records point at it."""

    # Field that holds the business code; the API accepts it wherever an id is accepted.
    code_field = "code"
    # Fields whose pinyin goes into search_text.
    search_fields = ("name",)

    search_text = models.CharField(_("search text"), max_length=500, blank=True, editable=False, db_index=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.search_text = self.build_search_text()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = set(update_fields) | {"search_text", "last_updated"}
        super().save(*args, **kwargs)

    def build_search_text(self) -> str:
        parts = []
        for field in self.search_fields:
            value = getattr(self, field, "") or ""
            parts.append(search_key(str(value)))
        return " ".join(p for p in parts if p)[:500]

    @property
    def business_code(self) -> str:
        return getattr(self, self.code_field)


class AuditAction(models.TextChoices):
    CREATE = "create", _("created")
    UPDATE = "update", _("updated")
    DELETE = "delete", _("deleted")
    MOVE = "move", _("moved")
    IMPORT = "import", _("imported")


class AuditEntry(models.Model):
    """One change to one object: who, when, and each field's value before and after.
    Written by the service that makes the change, in the same transaction; never edited."""

    time = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept as text so the trail survives the user being renamed or removed.
    actor_name = models.CharField(_("user name"), max_length=150, blank=True)
    content_type = models.ForeignKey(ContentType, verbose_name=_("object type"), on_delete=models.PROTECT)
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=300)
    action = models.CharField(_("action"), max_length=16, choices=AuditAction.choices)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("change record")
        verbose_name_plural = _("change records")
        ordering = ["-time", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "-time"], name="audit_object_time"),
            models.Index(fields=["actor", "-time"], name="audit_actor_time"),
        ]
        default_permissions = ("view",)

    def __str__(self):
        return f"{self.time:%Y-%m-%d %H:%M} {self.actor_name} {self.get_action_display()} {self.object_repr}"


class SecurityEventKind(models.TextChoices):
    LOGIN = "login", _("login")
    LOGIN_FAILED = "login_failed", _("failed login")
    LOGOUT = "logout", _("logout")
    LOCKED_OUT = "locked_out", _("locked out")
    PASSWORD_CHANGED = "password_changed", _("password changed")
    ROLES_CHANGED = "roles_changed", _("user roles changed")
    PERMISSIONS_CHANGED = "permissions_changed", _("role permissions changed")
    USER_CREATED = "user_created", _("user created")
    USER_DISABLED = "user_disabled", _("user disabled")
    TOKEN_CREATED = "token_created", _("API token created")
    TOKEN_REVOKED = "token_revoked", _("API token revoked")
    EXPORT = "export", _("data exported")
    IMPORT = "import", _("data imported")


class SecurityEvent(models.Model):
    """Logins, failures, permission changes and data exports, for the auditor."""

    time = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    kind = models.CharField(_("event"), max_length=32, choices=SecurityEventKind.choices, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    username = models.CharField(_("user name"), max_length=150, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        ordering = ["-time", "-id"]
        default_permissions = ("view",)
        # Exporting is a right of its own: a role may read a list on screen yet not take it away.
        permissions = [("export_data", _("Can export lists to Excel and CSV"))]

    def __str__(self):
        return f"{self.time:%Y-%m-%d %H:%M} {self.username} {self.get_kind_display()}"


class IdempotencyRecord(models.Model):
    """The first answer to a creation request carrying an Idempotency-Key, replayed for repeats."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    method_path = models.CharField(max_length=300)
    body_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["user", "key", "method_path"], name="idempotency_unique_key"),
        ]

    def __str__(self):
        return f"{self.method_path} {self.key}"
