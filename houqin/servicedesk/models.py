"""The service catalog and the work order (工单): every request from intake to assessment.

Lifecycle, service levels and KPIs follow docs/workorders.md; the legal moves between statuses
live in workflow.py and every change goes through services.py."""

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from houqin.core.models import MasterDataModel, TimeStampedModel
from houqin.org.models import Department, Location, Person, Team, code_validator
from houqin.org.querysets import ScopedQuerySet, _has_person


class Priority(models.TextChoices):
    URGENT = "urgent", _("urgent")
    HIGH = "high", _("high")
    NORMAL = "normal", _("normal")
    LOW = "low", _("low")


# Minutes from creation: (response → dispatched, arrival → in progress, completion → completed).
DEFAULT_SLA_MINUTES = {
    Priority.URGENT: (5, 15, 120),
    Priority.HIGH: (10, 30, 240),
    Priority.NORMAL: (30, 120, 1440),
    Priority.LOW: (120, 480, 4320),
}


class ServiceCategory(MasterDataModel):
    """A kind of request in the catalog: 维修/电气, 保洁/终末消毒, 运送/标本, 投诉建议…"""

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=50)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("group"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    icon = models.CharField(_("icon"), max_length=40, blank=True, help_text=_("Bootstrap icon name, e.g. lightning"))
    default_team = models.ForeignKey(
        Team, verbose_name=_("default team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    default_priority = models.CharField(
        _("default priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    weight = models.DecimalField(
        _("workload weight"), max_digits=5, decimal_places=2, default=1, validators=[MinValueValidator(0)]
    )
    hold_excluded = models.BooleanField(_("time on hold does not count"), default=True)
    auto_close_hours = models.PositiveIntegerField(
        _("auto-close after (hours)"),
        null=True,
        blank=True,
        default=72,
        help_text=_("Completed orders without a rating count as satisfied after this time. Empty: never."),
    )
    auto_dispatch = models.BooleanField(_("dispatch automatically"), default=False)
    is_complaint = models.BooleanField(_("complaint or suggestion"), default=False)
    followup_sample_percent = models.PositiveSmallIntegerField(
        _("call-back sample (%)"), default=100, validators=[MaxValueValidator(100)]
    )
    requires_location = models.BooleanField(_("location required"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = ScopedQuerySet.as_manager()
    search_fields = ("name", "name_en")

    class Meta:
        verbose_name = _("service category")
        verbose_name_plural = _("service catalog")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return f"{self.parent.name} / {self.name}" if self.parent_id and self.parent else self.name

    def targets(self, priority: str) -> tuple[int, int, int]:
        """(response, arrival, completion) minutes for a priority: the category's own or the defaults."""
        for target in self.sla_targets.all():
            if target.priority == priority:
                return (target.response_minutes, target.arrival_minutes, target.completion_minutes)
        return DEFAULT_SLA_MINUTES[Priority(priority)]


class SlaTarget(models.Model):
    category = models.ForeignKey(ServiceCategory, on_delete=models.CASCADE, related_name="sla_targets")
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices)
    response_minutes = models.PositiveIntegerField(_("response (min)"), validators=[MinValueValidator(1)])
    arrival_minutes = models.PositiveIntegerField(_("arrival (min)"), validators=[MinValueValidator(1)])
    completion_minutes = models.PositiveIntegerField(_("completion (min)"), validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("service level target")
        verbose_name_plural = _("service level targets")
        constraints = [
            models.UniqueConstraint(fields=["category", "priority"], name="sla_target_unique_priority"),
            models.CheckConstraint(
                condition=Q(response_minutes__lte=models.F("arrival_minutes"))
                & Q(arrival_minutes__lte=models.F("completion_minutes")),
                name="sla_target_in_order",
                violation_error_message=_("Targets must not shrink: response ≤ arrival ≤ completion."),
            ),
        ]

    def __str__(self):
        return f"{self.category} {self.get_priority_display()}"


class Status(models.TextChoices):
    NEW = "new", _("new")
    ACCEPTED = "accepted", _("accepted")
    DISPATCHED = "dispatched", _("dispatched")
    IN_PROGRESS = "in_progress", _("in progress")
    ON_HOLD = "on_hold", _("on hold")
    COMPLETED = "completed", _("completed")
    FOLLOWED_UP = "followed_up", _("followed up")
    CLOSED = "closed", _("closed")
    CANCELLED = "cancelled", _("cancelled")


# One colour per status, used by badges on every page.
STATUS_COLOURS = {
    Status.NEW: "secondary",
    Status.ACCEPTED: "info",
    Status.DISPATCHED: "primary",
    Status.IN_PROGRESS: "warning",
    Status.ON_HOLD: "dark",
    Status.COMPLETED: "success",
    Status.FOLLOWED_UP: "success",
    Status.CLOSED: "light",
    Status.CANCELLED: "light",
}

OPEN_STATUSES = (Status.NEW, Status.ACCEPTED, Status.DISPATCHED, Status.IN_PROGRESS, Status.ON_HOLD)


class Channel(models.TextChoices):
    PHONE = "phone", _("phone")
    WEB = "web", _("web")
    MOBILE = "mobile", _("mobile")
    QR = "qr", _("QR code")
    API = "api", _("API")
    PATROL = "patrol", _("patrol")
    PM = "pm", _("preventive maintenance")


class HoldReason(models.TextChoices):
    PARTS = "parts", _("waiting for parts")
    CONTRACTOR = "contractor", _("waiting for an outside contractor")
    DEPARTMENT = "department", _("waiting for the department")
    OTHER = "other", _("other")


class FollowUpMethod(models.TextChoices):
    REQUESTER = "requester", _("by the requester")
    PHONE = "phone", _("by phone call-back")
    AUTO = "auto", _("closed by policy")


class WorkOrderQuerySet(ScopedQuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def for_user(self, user):
        """Desk, dispatch, director and inspector roles see all orders; a worker sees the orders
        assigned to them or their team; a contractor manager its company's teams' orders; a
        department user the orders of their department or requested by themselves. Without the
        right to view work orders nobody sees any, not even the ones they requested (the roles
        matrix: the right comes first, the scope only narrows it)."""
        from houqin.accounts.roles import Scope, scope_of

        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if not user.has_perm("servicedesk.view_workorder"):
            return self.none()
        if user.is_superuser or user.has_perm("servicedesk.view_all_workorders"):
            return self
        person = getattr(user, "person", None) if _has_person(user) else None
        cond = Q(requester_user=user)
        scope = scope_of(user)
        if person is not None:
            if scope == Scope.COMPANY:
                cond |= Q(team__company_id=person.company_id) | Q(assignee__company_id=person.company_id)
            elif scope == Scope.DEPARTMENT and person.department_id:
                cond |= Q(department_id=person.department_id)
            else:
                cond |= Q(assignee=person)
                if person.team_id:
                    cond |= Q(team_id=person.team_id)
        return self.filter(cond)


class WorkOrder(TimeStampedModel):
    """One request, from intake to assessment. Times are the moments each stage was reached;
    deadlines are fixed at creation and recomputed when priority or category changes."""

    code_field = "number"

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    category = models.ForeignKey(
        ServiceCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="orders"
    )
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.NEW)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.WEB)
    description = models.TextField(_("description"), max_length=2000)
    location = models.ForeignKey(
        Location,
        verbose_name=_("location"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="work_orders",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="work_orders",
    )
    requester_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="requested_orders",
    )
    requester_name = models.CharField(_("requester"), max_length=50, blank=True)
    requester_phone = models.CharField(_("requester phone"), max_length=32, blank=True, db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("first-contact owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_orders",
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.PROTECT, related_name="work_orders"
    )
    assignee = models.ForeignKey(
        Person, verbose_name=_("assignee"), null=True, blank=True, on_delete=models.PROTECT, related_name="work_orders"
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )

    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    followed_up_at = models.DateTimeField(_("followed up at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    response_due = models.DateTimeField(_("response due"), null=True, blank=True)
    arrival_due = models.DateTimeField(_("arrival due"), null=True, blank=True)
    completion_due = models.DateTimeField(_("completion due"), null=True, blank=True)
    # 0 = on time, 1 = warned at 80 % of a target, 2 = breached; each level escalates once.
    sla_level = models.PositiveSmallIntegerField(_("service level state"), default=0)
    breached = models.BooleanField(_("deadline missed"), default=False)

    hold_reason = models.CharField(_("hold reason"), max_length=12, choices=HoldReason.choices, blank=True)
    hold_note = models.CharField(_("hold note"), max_length=200, blank=True)
    hold_started_at = models.DateTimeField(_("on hold since"), null=True, blank=True)
    status_before_hold = models.CharField(max_length=12, choices=Status.choices, blank=True)
    held_minutes = models.PositiveIntegerField(_("minutes on hold"), default=0)
    held_for_parts = models.BooleanField(_("was held for parts"), default=False)

    result_note = models.TextField(_("result"), max_length=2000, blank=True)
    labor_minutes = models.PositiveIntegerField(_("labour (min)"), null=True, blank=True)
    difficulty = models.DecimalField(_("difficulty factor"), max_digits=4, decimal_places=2, default=1)
    rework_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)

    rating = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rating_comment = models.CharField(_("rating comment"), max_length=500, blank=True)
    follow_up_method = models.CharField(
        _("follow-up method"), max_length=10, choices=FollowUpMethod.choices, blank=True
    )
    score = models.PositiveSmallIntegerField(
        _("assessment score"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    remarks = models.CharField(_("assessment remarks"), max_length=500, blank=True)
    answer = models.TextField(_("answer to the complaint"), max_length=2000, blank=True)
    cancel_reason = models.CharField(_("cancel reason"), max_length=200, blank=True)
    # The unguessable key of the tracking page an anonymous (QR code) reporter gets; None for the rest.
    public_token = models.CharField(
        _("tracking key"), max_length=64, unique=True, null=True, blank=True, editable=False
    )

    # Optimistic locking: every change increments it; a change based on an older version is refused.
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = WorkOrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        ordering = ["-created", "-id"]
        permissions = [
            ("view_all_workorders", _("Can see every work order")),
            ("dispatch_workorder", _("Can dispatch and transfer work orders")),
            ("work_workorder", _("Can work on assigned orders")),
            ("follow_up_workorder", _("Can record follow-up calls")),
            ("assess_workorder", _("Can assess and close work orders")),
        ]
        indexes = [
            models.Index(fields=["status", "-created"], name="wo_status_created"),
            models.Index(fields=["team", "status"], name="wo_team_status"),
            models.Index(fields=["assignee", "status"], name="wo_assignee_status"),
            models.Index(fields=["category", "-created"], name="wo_category_created"),
            models.Index(fields=["department", "-created"], name="wo_department_created"),
            models.Index(fields=["location", "-created"], name="wo_location_created"),
            models.Index(fields=["completion_due"], name="wo_completion_due", condition=Q(sla_level__lt=2)),
            # The KPIs of a period select on creation or completion time; the backlog at a moment
            # is the orders completed or cancelled after it but created before (read off the
            # index); repeat faults are orders that are not duplicates, each looking back at the
            # same place and category (answered from the index alone). bench/README.md has the
            # measurements on a million orders.
            models.Index(fields=["completed_at", "created"], name="wo_completed_created"),
            models.Index(fields=["cancelled_at", "created"], name="wo_cancelled_created"),
            models.Index(fields=["duplicate_of", "created"], name="wo_duplicate_created"),
            models.Index(fields=["location", "category", "created", "duplicate_of"], name="wo_repeat_probe"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="wo_rating_1_to_5"
            ),
            models.CheckConstraint(condition=Q(score__isnull=True) | Q(score__lte=100), name="wo_score_to_100"),
        ]

    def __str__(self):
        return f"{self.number} {self.category.name}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def status_colour(self) -> str:
        return STATUS_COLOURS[Status(self.status)]

    def held_minutes_now(self, now: datetime.datetime) -> int:
        extra = 0
        if self.status == Status.ON_HOLD and self.hold_started_at:
            extra = int((now - self.hold_started_at).total_seconds() // 60)
        return self.held_minutes + extra


class EventKind(models.TextChoices):
    CREATED = "created", _("created")
    ACCEPTED = "accepted", _("accepted")
    DISPATCHED = "dispatched", _("dispatched")
    STARTED = "started", _("started / arrived")
    HELD = "held", _("put on hold")
    RESUMED = "resumed", _("resumed")
    COMPLETED = "completed", _("completed")
    FOLLOWED_UP = "followed_up", _("followed up")
    CLOSED = "closed", _("closed")
    CANCELLED = "cancelled", _("cancelled")
    REOPENED = "reopened", _("reopened for rework")
    TRANSFERRED = "transferred", _("transferred")
    COMMENT = "comment", _("comment")
    CHANGED = "changed", _("changed")
    MERGED = "merged", _("duplicate merged")
    SLA_WARNING = "sla_warning", _("deadline warning")
    SLA_BREACH = "sla_breach", _("deadline missed")
    CALL_FAILED = "call_failed", _("call-back not reached")


class WorkOrderEvent(models.Model):
    """One line of an order's timeline. Written by the services, never edited."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="events")
    time = models.DateTimeField(_("time"), db_index=True)
    kind = models.CharField(_("event"), max_length=16, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(_("by"), max_length=150, blank=True)
    from_status = models.CharField(_("from"), max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=12, choices=Status.choices, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.TextField(_("note"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("work order event")
        verbose_name_plural = _("work order events")
        ordering = ["time", "id"]
        default_permissions = ("view",)
        indexes = [models.Index(fields=["order", "time"], name="wo_event_order_time")]

    def __str__(self):
        return f"{self.order.number} {self.get_kind_display()}"


class IncomingCall(models.Model):
    """A call to the service desk reported by the telephone system, with the caller recognised
    from the phone directory or a person's mobile phone; the agent's console shows it at once."""

    call_id = models.CharField(_("call id"), max_length=100, unique=True)
    caller = models.CharField(_("caller"), max_length=64)
    caller_number = models.CharField(_("caller number"), max_length=64, blank=True, db_index=True)
    callee = models.CharField(_("number called"), max_length=64, blank=True)
    received_at = models.DateTimeField(_("received at"), db_index=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("taken by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    caller_name = models.CharField(_("caller name"), max_length=100, blank=True)
    directory_entry = models.ForeignKey(
        "org.DirectoryEntry",
        verbose_name=_("directory entry"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    person = models.ForeignKey(
        Person, verbose_name=_("person"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    location = models.ForeignKey(
        Location, verbose_name=_("location"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order = models.ForeignKey(
        WorkOrder,
        verbose_name=_("work order"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
    )

    class Meta:
        verbose_name = _("incoming call")
        verbose_name_plural = _("incoming calls")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["agent", "-received_at"], name="call_agent_received")]

    def __str__(self):
        return f"{self.caller} {self.call_id}"


def work_order_photo_path(instance, filename: str) -> str:
    """A random name under workorders/<year>/<month>/: the name a phone gave the file says nothing
    and must not decide where it lands; the extension comes from the content (see photos.py)."""
    import secrets

    from django.utils import timezone

    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"workorders/{timezone.now():%Y/%m}/{secrets.token_urlsafe(18)}.{extension}"


class PhotoStage(models.TextChoices):
    REPORT = "report", _("reported")
    COMPLETION = "completion", _("completion")


class WorkOrderPhoto(models.Model):
    """A photo of a work order: what the requester saw, or the worker's result. Served only
    through a view that checks the order's access scope, never as a public media URL."""

    order = models.ForeignKey(WorkOrder, verbose_name=_("work order"), on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(_("image"), upload_to=work_order_photo_path, max_length=200)
    content_type = models.CharField(_("content type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    stage = models.CharField(_("stage"), max_length=12, choices=PhotoStage.choices)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("work order photo")
        verbose_name_plural = _("work order photos")
        ordering = ["created", "id"]

    def __str__(self):
        return f"{self.order.number} {self.get_stage_display()} #{self.pk}"
