"""Base models every app builds on, the audit trail, and background import jobs."""

import datetime
import os
import socket

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import reverse
from django.utils import timezone
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
    DISPLAY_TOKEN_CREATED = "display_created", _("wall display token created")
    DISPLAY_TOKEN_REVOKED = "display_revoked", _("wall display token revoked")
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


class ImportJobStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    SUCCEEDED = "succeeded", _("succeeded")
    FAILED = "failed", _("failed")

    @property
    def colour(self) -> str:
        return {"queued": "grey", "running": "blue", "succeeded": "green", "failed": "red"}[self.value]


class BackgroundJob:
    """What import and export jobs share: a status that moves QUEUED → RUNNING → SUCCEEDED or
    FAILED (QUEUED → FAILED when the worker never takes it), each move made only if the job is
    still where this instance saw it."""

    TRANSITIONS = {
        ImportJobStatus.QUEUED: {ImportJobStatus.RUNNING, ImportJobStatus.FAILED},
        ImportJobStatus.RUNNING: {ImportJobStatus.SUCCEEDED, ImportJobStatus.FAILED},
    }
    # Fields set when the job ends (an import drops its uploaded file then).
    ON_END: dict = {}

    @property
    def done(self) -> bool:
        return self.status in (ImportJobStatus.SUCCEEDED, ImportJobStatus.FAILED)

    @property
    def status_colour(self) -> str:
        return ImportJobStatus(self.status).colour

    def move(self, to: str, **fields) -> bool:
        """Change the status if the job is still where this instance saw it; False when another
        process moved it first (the worker and the check for abandoned jobs may race).
        Illegal moves raise ValueError."""
        if to not in self.TRANSITIONS.get(self.status, ()):
            raise ValueError(f"{type(self).__name__} cannot go from {self.status} to {to}")
        fields["status"] = to
        if to in (ImportJobStatus.SUCCEEDED, ImportJobStatus.FAILED):
            fields.setdefault("finished_at", timezone.now())
            fields.update(self.ON_END)
        moved = type(self).objects.filter(pk=self.pk, status=self.status).update(**fields)
        if moved:
            for name, value in fields.items():
                setattr(self, name, value)
        else:
            self.refresh_from_db()
        return bool(moved)


class ImportJob(BackgroundJob, models.Model):
    """A large import file waiting for, or handled by, the background task worker
    (houqin/core/tasks.py). Seen only by the user who uploaded it, and by superusers.

    The counts and errors carry the names of ImportResult's, so the import page's result
    partial shows a finished job as it shows an import done during the request."""

    # Far longer than any import the row limit allows: a job still running after this was abandoned.
    STALE_AFTER = datetime.timedelta(hours=1)
    # The uploaded file is kept until the job ends, and at most this long.
    KEEP_FILE_FOR = datetime.timedelta(days=7)
    ON_END = {"content": None}

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    app_label = models.CharField(_("application"), max_length=50)
    list_slug = models.CharField(_("list"), max_length=50)
    filename = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("format"), max_length=8)
    # In the database rather than in media storage, so that a worker on another server reads it
    # and nothing is left behind on disk. Emptied once the job ends.
    content = models.BinaryField(_("file"), null=True, editable=False)
    status = models.CharField(
        _("status"), max_length=16, choices=ImportJobStatus.choices, default=ImportJobStatus.QUEUED, db_index=True
    )
    rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    created = models.PositiveIntegerField(_("records created"), default=0)
    updated = models.PositiveIntegerField(_("records updated"), default=0)
    unchanged = models.PositiveIntegerField(_("records unchanged"), default=0)
    # [{"row": 3, "column": "Name", "message": "…"}]: the first errors of error_count.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    error_count = models.PositiveIntegerField(_("number of errors"), default=0)
    failed_rows = models.PositiveIntegerField(_("rows with errors"), default=0)
    # The uploader's language and address: messages in their language, audit rows with their address.
    language = models.CharField(_("language"), max_length=10, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    task_id = models.CharField(_("task"), max_length=64, blank=True)
    worker_host = models.CharField(_("worker host"), max_length=255, blank=True)
    worker_pid = models.PositiveIntegerField(_("worker process"), null=True, blank=True)
    queued_at = models.DateTimeField(_("uploaded"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-queued_at", "-id"]
        # Access goes by ownership (for_user), not by a role's permission.
        default_permissions = ()
        indexes = [models.Index(fields=["user", "-queued_at"], name="import_job_user_time")]

    def __str__(self):
        return f"{self.filename} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("core:import_job", kwargs={"pk": self.pk})

    @classmethod
    def for_user(cls, user):
        """The jobs user may see: their own; every job for a superuser."""
        jobs = cls.objects.defer("content")
        return jobs if user.is_superuser else jobs.filter(user=user)

    @property
    def ok(self) -> bool:
        return self.status == ImportJobStatus.SUCCEEDED

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    def is_abandoned(self, now: datetime.datetime | None = None) -> bool:
        """Running for longer than STALE_AFTER, by a worker not known to be alive."""
        now = now or timezone.now()
        if self.status != ImportJobStatus.RUNNING or not self.started_at or now - self.started_at < self.STALE_AFTER:
            return False
        return not self._worker_alive()

    def _worker_alive(self) -> bool:
        # Only a worker on this machine can be checked; for one elsewhere, age alone decides.
        if not self.worker_pid or self.worker_host != socket.gethostname():
            return False
        try:
            os.kill(self.worker_pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True  # a process of another user holds that number
        return True


class PeriodicRun(models.Model):
    """One period of one periodic job, claimed by the scheduler that enqueued it (core/scheduler.py).

    The unique constraint is the lock: several schedulers (one per server) try to insert the same
    row and only the one that succeeds enqueues the job, so each job runs once per period."""

    job = models.CharField(_("job"), max_length=100)
    period_start = models.DateTimeField(_("period start"))
    enqueued_at = models.DateTimeField(_("enqueued"), auto_now_add=True)
    # host:pid of the scheduler that claimed the period, for whoever wonders where a job came from.
    scheduler = models.CharField(_("scheduler"), max_length=120, blank=True)
    task_id = models.CharField(_("task"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("periodic run")
        verbose_name_plural = _("periodic runs")
        ordering = ["-period_start", "job"]
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["job", "period_start"], name="periodic_run_once_per_period")]

    def __str__(self):
        return f"{self.job} @ {self.period_start:%Y-%m-%d %H:%M}"


class ExportJob(BackgroundJob, models.Model):
    """A list too long to write during the web request (houqin/core/exports.py): the task worker
    writes the file, acting as the user who asked, and keeps it for them to download for a day.
    Only that user may see the job or its file: an export holds what their scope showed them."""

    KEEP_FOR = datetime.timedelta(days=1)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    source = models.CharField(_("list"), max_length=60)
    params = models.JSONField(_("filters"), default=dict, blank=True)
    title = models.CharField(_("title"), max_length=200)
    # The page the list was exported from (a path of this site), for the way back.
    list_url = models.CharField(_("list"), max_length=1000, blank=True)
    filename = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("format"), max_length=8)
    status = models.CharField(
        _("status"), max_length=16, choices=ImportJobStatus.choices, default=ImportJobStatus.QUEUED, db_index=True
    )
    rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    # In the database, like an import's upload: a worker on another server writes it, the web
    # server reads it, nothing is left on disk. Dropped after KEEP_FOR.
    content = models.BinaryField(_("file"), null=True, editable=False)
    error = models.CharField(_("error"), max_length=500, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    task_id = models.CharField(_("task"), max_length=64, blank=True)
    queued_at = models.DateTimeField(_("asked for"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        ordering = ["-queued_at", "-id"]
        default_permissions = ()
        indexes = [models.Index(fields=["user", "-queued_at"], name="export_job_user_time")]

    def __str__(self):
        return f"{self.filename} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("core:export_job", kwargs={"pk": self.pk})

    @classmethod
    def for_user(cls, user):
        """The jobs user may see: their own only (superusers too: the file is the asker's view)."""
        return cls.objects.defer("content").filter(user=user) if user.is_authenticated else cls.objects.none()

    @property
    def expired(self) -> bool:
        return self.status == ImportJobStatus.SUCCEEDED and self.queued_at < timezone.now() - self.KEEP_FOR
