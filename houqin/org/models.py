"""Master data: sites, the location tree, departments, companies, teams, trades, people and
the phone directory."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from houqin.accounts.roles import Scope
from houqin.core.labels import new_label_code
from houqin.core.models import MasterDataModel
from houqin.org.querysets import ScopedQuerySet

code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
    _("Use letters, digits, dot, dash or underscore, starting with a letter or digit."),
)
phone_validator = RegexValidator(
    r"^[0-9+\-() ]{3,32}$", _("Enter a phone number or extension: digits, +, -, ( ) and spaces.")
)


class Site(MasterDataModel):
    """A campus (院区) or a hospital of a group."""

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=100)
    short_name = models.CharField(_("short name"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("service desk phone"), max_length=32, blank=True, validators=[phone_validator])
    beds = models.PositiveIntegerField(_("beds"), default=0)

    objects = ScopedQuerySet.as_manager()
    search_fields = ("name", "short_name")

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["code"]

    def __str__(self):
        return self.name


class LocationKind(models.TextChoices):
    CAMPUS = "campus", _("campus")
    BUILDING = "building", _("building")
    FLOOR = "floor", _("floor")
    ROOM = "room", _("room")
    AREA = "area", _("area")
    BED = "bed", _("bed")


# Which kinds may sit under which: a bed belongs in a room, a room on a floor, and so on.
ALLOWED_CHILDREN = {
    None: {LocationKind.CAMPUS, LocationKind.BUILDING, LocationKind.AREA},
    LocationKind.CAMPUS: {LocationKind.BUILDING, LocationKind.AREA},
    LocationKind.BUILDING: {LocationKind.FLOOR, LocationKind.AREA},
    LocationKind.FLOOR: {LocationKind.ROOM, LocationKind.AREA},
    LocationKind.ROOM: {LocationKind.BED, LocationKind.AREA},
    LocationKind.AREA: {LocationKind.ROOM, LocationKind.AREA, LocationKind.BED},
    LocationKind.BED: set(),
}


class Location(MasterDataModel):
    """A place in the tree campus → building → floor → room/area → bed.

    tree_path holds the ids from the root down ("/1/7/42/"), so a whole subtree is one
    indexed prefix query; full_name holds the names the same way for display and search."""

    code = models.CharField(_("code"), max_length=40, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=LocationKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.PROTECT, related_name="locations")
    department = models.ForeignKey(
        "Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="locations",
    )
    area_m2 = models.DecimalField(_("area (m²)"), max_digits=10, decimal_places=2, null=True, blank=True)
    label_code = models.CharField(_("label code"), max_length=12, unique=True, editable=False)
    tree_path = models.CharField(max_length=255, editable=False, default="", db_index=True)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    full_name = models.CharField(_("full name"), max_length=500, editable=False, default="")

    objects = ScopedQuerySet.as_manager()
    search_fields = ("name", "full_name")
    audit_exclude = ("label_code",)

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["tree_path"]
        indexes = [
            models.Index(fields=["site", "kind"], name="location_site_kind"),
            models.Index(fields=["parent", "name"], name="location_parent_name"),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    def clean(self):
        super().clean()
        parent = self.parent if self.parent_id else None
        if parent is not None:
            if self.pk and (parent.pk == self.pk or parent.tree_path.startswith(self.tree_path or "\0")):
                raise ValidationError(
                    {"parent": _("A location cannot be placed inside itself or its own sub-locations.")}
                )
            if self.kind and self.kind not in ALLOWED_CHILDREN.get(parent.kind, set()):
                raise ValidationError(
                    {
                        "kind": _("A %(kind)s cannot be placed under a %(parent_kind)s.")
                        % {"kind": self.get_kind_display(), "parent_kind": parent.get_kind_display()}
                    }
                )
            if self.site_id and parent.site_id != self.site_id:
                raise ValidationError({"site": _("A location must belong to the same site as its parent.")})
        elif self.kind and self.kind not in ALLOWED_CHILDREN[None]:
            raise ValidationError(
                {"parent": _("A %(kind)s needs a parent location.") % {"kind": self.get_kind_display()}}
            )

    def save(self, *args, **kwargs):
        if not self.label_code:
            self.label_code = new_label_code("L")
            while Location.objects.filter(label_code=self.label_code).exists():
                self.label_code = new_label_code("L")
        with transaction.atomic():
            old = None
            if self.pk:
                old = Location.objects.filter(pk=self.pk).values("tree_path", "full_name").first()
            parent = Location.objects.get(pk=self.parent_id) if self.parent_id else None
            prefix_path = parent.tree_path if parent else "/"
            prefix_name = f"{parent.full_name} / " if parent else ""
            self.depth = parent.depth + 1 if parent else 0
            self.full_name = f"{prefix_name}{self.name}"[:500]
            if self.pk:
                self.tree_path = f"{prefix_path}{self.pk}/"
            super().save(*args, **kwargs)
            if not old:
                # The id is known only now.
                self.tree_path = f"{prefix_path}{self.pk}/"
                Location.objects.filter(pk=self.pk).update(tree_path=self.tree_path)
            elif old["tree_path"] != self.tree_path or old["full_name"] != self.full_name:
                self._rewrite_descendants(old["tree_path"], old["full_name"])

    def _rewrite_descendants(self, old_path: str, old_full_name: str) -> None:
        """After a move or rename, give every sub-location its new path and full name."""
        descendants = Location.objects.filter(tree_path__startswith=old_path).exclude(pk=self.pk)
        descendants.update(
            tree_path=Concat(Value(self.tree_path), Substr("tree_path", len(old_path) + 1)),
            full_name=Concat(Value(self.full_name), Substr("full_name", len(old_full_name) + 1)),
            depth=F("depth") + (self.depth - (old_path.count("/") - 2)),
            site=self.site_id,
        )
        # search_text holds the full name's pinyin: refresh it for the moved subtree.
        for loc in (
            Location.objects.filter(tree_path__startswith=self.tree_path)
            .exclude(pk=self.pk)
            .only("id", "name", "full_name")
        ):
            Location.objects.filter(pk=loc.pk).update(search_text=loc.build_search_text())

    def subtree(self):
        return Location.objects.filter(tree_path__startswith=self.tree_path)

    def ancestors(self):
        ids = [int(part) for part in self.tree_path.strip("/").split("/")[:-1] if part]
        return Location.objects.filter(pk__in=ids).order_by("depth")


class DepartmentKind(models.TextChoices):
    CLINICAL = "clinical", _("clinical")
    MEDTECH = "medtech", _("medical technology")
    NURSING = "nursing", _("nursing unit")
    ADMINISTRATIVE = "administrative", _("administrative")
    LOGISTICS = "logistics", _("logistics")


class Department(MasterDataModel):
    """A department of the hospital; each one is a cost center that logistics costs are charged to."""

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=DepartmentKind.choices)
    cost_center = models.CharField(_("cost center"), max_length=32, blank=True, db_index=True)
    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.PROTECT, related_name="departments")
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True, validators=[phone_validator])
    head = models.CharField(_("head"), max_length=50, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]
        indexes = [models.Index(fields=["site", "kind"], name="department_site_kind")]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.parent_id and self.pk and self.parent_id == self.pk:
            raise ValidationError({"parent": _("A department cannot be its own parent.")})


class CompanyKind(models.TextChoices):
    HOSPITAL = "hospital", _("hospital (own staff)")
    CONTRACTOR = "contractor", _("contractor")
    SUPPLIER = "supplier", _("supplier")


class Company(MasterDataModel):
    """The hospital itself, an outsourced service company, or a supplier."""

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=16, choices=CompanyKind.choices)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    services = models.CharField(_("services"), max_length=200, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True, validators=[phone_validator])

    objects = ScopedQuerySet.as_manager()
    scope_lookups = {Scope.COMPANY: "pk", Scope.DEPARTMENT: None}

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["code"]
        indexes = [models.Index(fields=["kind"], name="company_kind")]

    def __str__(self):
        return self.name


class Trade(MasterDataModel):
    """A trade (工种): electrician, plumber, cleaner, porter…"""

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=50)
    description = models.CharField(_("description"), max_length=200, blank=True)
    requires_certificate = models.BooleanField(_("requires a certificate"), default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("trade")
        verbose_name_plural = _("trades")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Team(MasterDataModel):
    """A team (班组) of workers, in-house or of a contractor."""

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=100)
    company = models.ForeignKey(Company, verbose_name=_("company"), on_delete=models.PROTECT, related_name="teams")
    site = models.ForeignKey(
        Site, verbose_name=_("site"), null=True, blank=True, on_delete=models.PROTECT, related_name="teams"
    )
    trades = models.ManyToManyField(Trade, verbose_name=_("trades"), blank=True, related_name="teams")
    leader = models.ForeignKey(
        "Person", verbose_name=_("leader"), null=True, blank=True, on_delete=models.SET_NULL, related_name="led_teams"
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True, validators=[phone_validator])

    objects = ScopedQuerySet.as_manager()
    scope_lookups = {Scope.COMPANY: "company", Scope.DEPARTMENT: None}

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["code"]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.leader_id and self.pk and self.leader.team_id not in (None, self.pk):
            raise ValidationError({"leader": _("The leader must be a member of this team.")})


class EmploymentType(models.TextChoices):
    PERMANENT = "permanent", _("permanent staff")
    CONTRACT = "contract", _("contract staff")
    DISPATCHED = "dispatched", _("agency staff")
    OUTSOURCED = "outsourced", _("outsourced")


class Gender(models.TextChoices):
    MALE = "M", _("male")
    FEMALE = "F", _("female")


class Person(MasterDataModel):
    """Someone who works in or for the hospital, with or without a login."""

    code_field = "employee_no"
    search_fields = ("name",)

    employee_no = models.CharField(_("employee number"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)  # translated apart from things' names
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=32, blank=True, db_index=True, validators=[phone_validator])
    company = models.ForeignKey(Company, verbose_name=_("company"), on_delete=models.PROTECT, related_name="people")
    department = models.ForeignKey(
        Department, verbose_name=_("department"), null=True, blank=True, on_delete=models.PROTECT, related_name="people"
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    trades = models.ManyToManyField(Trade, verbose_name=_("trades"), blank=True, related_name="people")
    employment_type = models.CharField(_("employment type"), max_length=16, choices=EmploymentType.choices)
    job_title = models.CharField(_("job title"), max_length=50, blank=True)
    hired_on = models.DateField(_("hired on"), null=True, blank=True)
    on_duty = models.BooleanField(_("on duty"), default=False, db_index=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )

    objects = ScopedQuerySet.as_manager()
    scope_lookups = {Scope.COMPANY: "company", Scope.DEPARTMENT: "department"}

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["employee_no"]
        indexes = [
            models.Index(fields=["company", "employment_type"], name="person_company_type"),
            models.Index(fields=["team", "on_duty"], name="person_team_duty"),
        ]

    def __str__(self):
        return f"{self.name} ({self.employee_no})"

    def clean(self):
        super().clean()
        if self.team_id and self.company_id and self.team.company_id != self.company_id:
            raise ValidationError({"team": _("The team belongs to another company.")})


class CertificateQuerySet(ScopedQuerySet):
    def expiring(self, within_days: int = 30, today: datetime.date | None = None):
        today = today or timezone.localdate()
        return self.filter(expires_on__isnull=False, expires_on__lte=today + datetime.timedelta(days=within_days))


class Certificate(models.Model):
    """A qualification a person holds (electrician's license, elevator operator…), with expiry."""

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="certificates")
    name = models.CharField(_("certificate"), max_length=100)
    number = models.CharField(_("certificate number"), max_length=64, blank=True)
    issuer = models.CharField(_("issued by"), max_length=100, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True, db_index=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    last_updated = models.DateTimeField(_("last updated"), auto_now=True)

    objects = CertificateQuerySet.as_manager()
    scope_lookups = {Scope.COMPANY: "person__company", Scope.DEPARTMENT: "person__department"}

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["expires_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(issued_on__isnull=True) | Q(expires_on__gte=F("issued_on")),
                name="certificate_expires_after_issue",
                violation_error_message=_("The expiry date must not be before the issue date."),
            )
        ]

    def __str__(self):
        return f"{self.name} – {self.person.name}"

    @property
    def days_left(self) -> int | None:
        if self.expires_on is None:
            return None
        return (self.expires_on - timezone.localdate()).days


class DirectoryEntry(MasterDataModel):
    """A phone number or extension and who answers it: the service desk recognises callers by it."""

    code_field = "number"
    search_fields = ("label",)

    number = models.CharField(_("phone number"), max_length=32, unique=True, validators=[phone_validator])
    label = models.CharField(_("label"), max_length=100)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="phone_numbers",
    )
    location = models.ForeignKey(
        Location,
        verbose_name=_("location"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="phone_numbers",
    )
    person = models.ForeignKey(
        Person, verbose_name=_("person"), null=True, blank=True, on_delete=models.SET_NULL, related_name="phone_numbers"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("directory entry")
        verbose_name_plural = _("phone directory")
        ordering = ["number"]

    def __str__(self):
        return f"{self.number} {self.label}"
