"""The service catalog's form: a category with its service-level targets per priority.

One form for the edit page, the API and the importer, so that all three apply the same rules.
The targets are twelve number fields, "<priority>_<target>_minutes" (urgent_response_minutes…):
  - an empty field takes the default of docs/workorders.md for that priority and target;
  - a field that is not sent at all (an API PATCH, an import file without those columns) keeps
    the stored value;
  - per priority, response ≤ arrival ≤ completion.
A priority whose three targets equal the defaults stores no SlaTarget row: it follows the defaults."""

from django import forms
from django.db import transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from houqin.core.audit import record_change
from houqin.core.forms import RefChoiceField, ScopedFormMixin
from houqin.core.models import AuditAction
from houqin.org.models import Team
from houqin.servicedesk.models import DEFAULT_SLA_MINUTES, Priority, ServiceCategory, SlaTarget

TARGETS = ("response", "arrival", "completion")
TARGET_LABELS = {
    "response": _("response (min)"),
    "arrival": _("arrival (min)"),
    "completion": _("completion (min)"),
}
# Ninety days: anything longer is a typing mistake, not a service level.
MAX_MINUTES = 90 * 24 * 60


def sla_field_name(priority: str, target: str) -> str:
    return f"{priority}_{target}_minutes"


# (priority, target, form field name) in the order of the edit page and the import files.
SLA_FIELDS: tuple[tuple[str, str, str], ...] = tuple(
    (priority.value, target, sla_field_name(priority.value, target)) for priority in Priority for target in TARGETS
)


def sla_field_label(priority: str, target: str):
    return format_lazy("{}: {}", Priority(priority).label, TARGET_LABELS[target])


def effective_targets(category: ServiceCategory | None) -> dict[str, tuple[int, int, int]]:
    """Priority → (response, arrival, completion) minutes: the category's own or the defaults."""
    if category is None or category.pk is None:
        return {p.value: tuple(DEFAULT_SLA_MINUTES[p]) for p in Priority}
    return {p.value: tuple(category.targets(p.value)) for p in Priority}


def targets_text(targets: tuple[int, int, int]) -> str:
    return " / ".join(str(minutes) for minutes in targets)


def _sla_fields() -> dict[str, forms.IntegerField]:
    return {
        name: forms.IntegerField(
            label=sla_field_label(priority, target), required=False, min_value=1, max_value=MAX_MINUTES
        )
        for priority, target, name in SLA_FIELDS
    }


# The twelve target fields as declared fields of a base class, after the model's fields on the page.
SlaTargetFields = type("SlaTargetFields", (forms.Form,), {"__module__": __name__, **_sla_fields()})


class ServiceCategoryForm(ScopedFormMixin, forms.ModelForm, SlaTargetFields):
    parent = RefChoiceField(
        ServiceCategory.objects.filter(parent__isnull=True),
        required=False,
        label=_("group"),
        help_text=_("Empty for a group or a category of its own; a group has no group above it."),
    )
    default_team = RefChoiceField(Team.objects.all(), required=False, label=_("default team"))

    class Meta:
        model = ServiceCategory
        fields = [
            "code",
            "name",
            "name_en",
            "parent",
            "icon",
            "default_team",
            "default_priority",
            "weight",
            "hold_excluded",
            "auto_close_hours",
            "auto_dispatch",
            "is_complaint",
            "followup_sample_percent",
            "requires_location",
            "sort_order",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # What is stored now (the defaults for a new category): shown on the page, kept when not sent.
        self.stored_targets = effective_targets(self.instance)
        for priority, target, name in SLA_FIELDS:
            default = DEFAULT_SLA_MINUTES[Priority(priority)][TARGETS.index(target)]
            self.fields[name].initial = self.stored_targets[priority][TARGETS.index(target)]
            self.fields[name].widget.attrs.setdefault("placeholder", str(default))
        self.sla_targets: dict[str, tuple[int, int, int]] | None = None

    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        if parent is None:
            return parent
        if self.instance.pk is not None and parent.pk == self.instance.pk:
            raise forms.ValidationError(_("A category cannot be its own group."))
        if self.instance.pk is not None and self.instance.children.exists():
            raise forms.ValidationError(
                _("This category is a group with categories of its own; it cannot be placed in another group.")
            )
        return parent

    def clean_icon(self):
        icon = (self.cleaned_data.get("icon") or "").strip()
        # "bi-lightning" and "bi bi-lightning" are what people copy from the icon site.
        for prefix in ("bi bi-", "bi-"):
            if icon.startswith(prefix):
                icon = icon[len(prefix) :]
        if icon and not all(ch.isascii() and (ch.isalnum() or ch == "-") for ch in icon):
            raise forms.ValidationError(_("Enter a Bootstrap icon name such as “lightning” (letters, digits, “-”)."))
        return icon

    def clean(self):
        data = super().clean()
        targets = {}
        for priority in Priority:
            values = []
            for index, target in enumerate(TARGETS):
                name = sla_field_name(priority.value, target)
                if self.add_prefix(name) not in self.data:
                    value = self.stored_targets[priority.value][index]
                elif name in self.errors:
                    value = None
                else:
                    value = data.get(name)
                    if value is None:
                        value = DEFAULT_SLA_MINUTES[priority][index]
                values.append(value)
            response, arrival, completion = values
            if None in values:
                continue
            if arrival < response:
                self.add_error(
                    sla_field_name(priority.value, "arrival"),
                    _("Must be at least the response target (%(minutes)s min).") % {"minutes": response},
                )
            elif completion < arrival:
                self.add_error(
                    sla_field_name(priority.value, "completion"),
                    _("Must be at least the arrival target (%(minutes)s min).") % {"minutes": arrival},
                )
            targets[priority.value] = tuple(values)
        self.sla_targets = targets if len(targets) == len(Priority) else None
        return data

    def stored_extra_values(self, *, cleaned: bool) -> dict:
        """The targets beside the model's fields, so that an import sees a changed target
        (core.transfer compares these before and after validation)."""
        targets = self.sla_targets if cleaned and self.sla_targets is not None else self.stored_targets
        return {name: targets[priority][TARGETS.index(target)] for priority, target, name in SLA_FIELDS}

    def _save_m2m(self):
        super()._save_m2m()
        self.save_sla_targets()

    @transaction.atomic
    def save_sla_targets(self) -> None:
        """Store the targets that differ from the defaults and record what changed."""
        category = self.instance
        wanted = self.sla_targets or self.stored_targets
        existing = {target.priority: target for target in SlaTarget.objects.filter(category=category)}
        for priority in Priority:
            values = wanted[priority.value]
            row = existing.get(priority.value)
            if values == tuple(DEFAULT_SLA_MINUTES[priority]):
                if row is not None:
                    row.delete()
                continue
            if row is None:
                row = SlaTarget(category=category, priority=priority.value)
            elif (row.response_minutes, row.arrival_minutes, row.completion_minutes) == values:
                continue
            row.response_minutes, row.arrival_minutes, row.completion_minutes = values
            row.full_clean(exclude=["category"])
            row.save()
        # The prefetched targets are stale now.
        getattr(category, "_prefetched_objects_cache", {}).pop("sla_targets", None)
        changed = {p: (self.stored_targets[p], wanted[p]) for p in wanted if wanted[p] != self.stored_targets[p]}
        if changed:
            before = "; ".join(f"{Priority(p).label}: {targets_text(old)}" for p, (old, _new) in changed.items())
            after = "; ".join(f"{Priority(p).label}: {targets_text(new)}" for p, (_old, new) in changed.items())
            record_change(
                category,
                AuditAction.UPDATE,
                by=self.user,
                changes={"sla_targets": [before, after]},
                note=str(_("service level targets")),
            )
        self.stored_targets = dict(wanted)
