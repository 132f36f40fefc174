"""Pages of the service catalog: list, detail (with the service-level targets), add, edit, delete,
on the generic views of houqin/core/generic.py."""

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from houqin.core.generic import EMPTY, Column, ObjectDetailView, ObjectEditView, ObjectListView, Related, field_label
from houqin.servicedesk import specs
from houqin.servicedesk.forms import SLA_FIELDS, effective_targets, targets_text
from houqin.servicedesk.models import DEFAULT_SLA_MINUTES, Priority

PRIORITY_COLOURS = {Priority.URGENT: "red", Priority.HIGH: "orange", Priority.NORMAL: "blue", Priority.LOW: "grey"}


def icon_and_name(category, user=None) -> str:
    icon = category.icon or ("folder2" if category.parent_id is None else "dot")
    return format_html('<i class="bi bi-{} me-1" aria-hidden="true"></i>{}', icon, category.name)


def normal_targets(category, user=None) -> str:
    """Response / arrival / completion minutes at normal priority, bold when not the defaults."""
    targets = category.targets(Priority.NORMAL)
    text = targets_text(targets)
    if tuple(targets) != tuple(DEFAULT_SLA_MINUTES[Priority.NORMAL]):
        return format_html('<span class="fw-semibold">{}</span>', text)
    return format_html("{}", text)


def own_targets(category, user=None) -> str:
    """The priorities whose targets differ from the defaults."""
    custom = [p for p in Priority if tuple(category.targets(p)) != tuple(DEFAULT_SLA_MINUTES[p])]
    if not custom:
        return EMPTY
    return format_html_join(
        " ", '<span class="hq-badge-{}">{}</span>', ((PRIORITY_COLOURS[p], p.label) for p in custom)
    )


def sample(category, user=None) -> str:
    return format_html("{} %", category.followup_sample_percent)


CATALOG_COLUMNS = (
    Column("code", sort="code"),
    Column("name", render=icon_and_name, link=True, sort="name"),
    Column("parent"),
    Column("default_team"),
    Column("default_priority", badges=PRIORITY_COLOURS),
    Column("normal_targets", label=_("normal targets (min)"), render=normal_targets),
    Column("own_targets", label=_("own targets"), render=own_targets),
    Column("weight", css="num", sort="weight"),
    Column("auto_dispatch", kind="bool"),
    Column("followup_sample_percent", render=sample, css="num", sort="followup_sample_percent"),
)
CATEGORIES_SHORT = (
    Column("code"),
    Column("name", render=icon_and_name, link=True),
    Column("default_team"),
    Column("normal_targets", label=_("normal targets (min)"), render=normal_targets),
)


class ServiceCategoryListView(ObjectListView):
    spec = specs.SERVICE_CATEGORY
    columns = CATALOG_COLUMNS
    filter_fields = ("level", "parent", "default_team", "auto_dispatch", "is_complaint", "is_active")
    presets = [
        (_("Groups"), "level=group"),
        (_("Categories that take orders"), "level=category"),
        (_("Dispatched automatically"), "auto_dispatch=true"),
    ]

    def get_filter_widgets(self):
        # Only top-level categories can be groups; one query, not one per category's full name.
        groups = specs.SERVICE_CATEGORY.model.objects.for_user(self.request.user).filter(parent__isnull=True)
        label = _("%(filter)s: all") % {"filter": capfirst(_("group"))}
        choices = [("", label), *((code, name) for code, name in groups.values_list("code", "name"))]
        return {"parent": forms.Select(choices=choices)}


class ServiceCategoryDetailView(ObjectDetailView):
    spec = specs.SERVICE_CATEGORY
    fields = (
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
    )
    includes = ["servicedesk/servicecategory_targets.html"]
    related = [
        Related(
            _("Categories in this group"), specs.SERVICE_CATEGORY, "parent", CATEGORIES_SHORT, list_filter="parent"
        ),
    ]

    def related_lists(self, obj):
        # Only a top-level category can be a group.
        return super().related_lists(obj) if obj.parent_id is None else []

    def get_extra_context(self, obj):
        targets = effective_targets(obj)
        rows = []
        for priority in Priority:
            own = tuple(targets[priority.value]) != tuple(DEFAULT_SLA_MINUTES[priority])
            rows.append(
                {
                    "label": priority.label,
                    "colour": PRIORITY_COLOURS[priority],
                    "minutes": targets[priority.value],
                    "own": own,
                }
            )
        return {"target_rows": rows}

    def history(self, obj):
        entries = super().history(obj)
        # The targets are rows of their own, not a field: name them as the page does.
        generic = field_label(self.spec.model, "sla_targets")
        for entry in entries or ():
            for change in entry["changes"]:
                if change["label"] == generic:
                    change["label"] = _("Service level targets")
        return entries


class ServiceCategoryEditView(ObjectEditView):
    """The generic edit page; its template lays the twelve target fields out as a table."""

    spec = specs.SERVICE_CATEGORY

    def get_form(self, instance):
        form = super().get_form(instance)
        targets = {name for _p, _t, name in SLA_FIELDS}
        # For servicedesk/servicecategory_form.html: the category's own fields, then a table.
        form.main_fields = [form[name] for name in form.fields if name not in targets]
        form.target_rows = target_grid(form)
        return form


def target_grid(form) -> list[dict]:
    """The target fields of a form as one row per priority: response, arrival, completion."""
    rows = []
    for priority in Priority:
        fields = [form[name] for p, _target, name in SLA_FIELDS if p == priority.value]
        default = " / ".join(str(m) for m in DEFAULT_SLA_MINUTES[priority])
        rows.append(
            {"label": priority.label, "colour": PRIORITY_COLOURS[priority], "fields": fields, "default": default}
        )
    return rows


__all__ = [
    "CATALOG_COLUMNS",
    "ServiceCategoryDetailView",
    "ServiceCategoryEditView",
    "ServiceCategoryListView",
    "target_grid",
]
