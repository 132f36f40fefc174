"""The service catalog's Excel and CSV files: one row per category, its group and default team by
code, and the twelve service-level targets (minutes per priority) as columns of their own.

A target cell left empty means the default for that priority (docs/workorders.md); a file without
the target columns leaves the stored targets as they are."""

from functools import cached_property

from django.utils.translation import gettext_lazy as _

from houqin.core.transfer import BoundColumn, Column, TransferSpec, register_transfer
from houqin.servicedesk import specs
from houqin.servicedesk.forms import SLA_FIELDS, TARGETS, sla_field_label
from houqin.servicedesk.models import DEFAULT_SLA_MINUTES, Priority

ACTIVE = Column("is_active", example=True, help_text=_("No: the record is kept but no longer offered for new entries."))


class SlaTargetColumn(BoundColumn):
    """A target in minutes: not a field of the category but of its SlaTarget rows, filled in by
    the category's form (houqin/servicedesk/forms.py)."""

    def __init__(self, column: Column, priority: str, target: str):
        self.column = column
        self.name = column.field
        self.export_only = False
        self.model_field = None
        self.required = False
        self.kind = "int"
        self.related_model = None
        self.code_attr = ""
        self.priority = priority
        self.index = TARGETS.index(target)

    def export_value(self, obj):
        return obj.targets(self.priority)[self.index]

    def help(self) -> str:
        default = DEFAULT_SLA_MINUTES[Priority(self.priority)][self.index]
        return str(_("Empty: the default, %(minutes)s minutes.") % {"minutes": default})


class EmptyMeansNoneColumn(BoundColumn):
    """A number whose empty cell means "none" although the field has a default for new rows
    (auto-close after 72 hours by default; empty: never)."""

    @property
    def empty_value(self):
        return None

    def help(self) -> str:
        return str(self.column.help_text)


class CatalogTransferSpec(TransferSpec):
    empty_means_none = ("auto_close_hours",)

    @cached_property
    def bound_columns(self) -> list[BoundColumn]:
        targets = {name: (priority, target) for priority, target, name in SLA_FIELDS}
        plain = [c for c in self.columns if c.field not in targets]
        bound = {}
        for column, default in zip(plain, TransferSpec(self.spec, tuple(plain), self.key).bound_columns, strict=True):
            if column.field in self.empty_means_none:
                default = EmptyMeansNoneColumn(column, self.model, default.required)
            bound[id(column)] = default
        return [
            SlaTargetColumn(column, *targets[column.field]) if column.field in targets else bound[id(column)]
            for column in self.columns
        ]


def _target_columns() -> tuple[Column, ...]:
    examples = {"urgent": (3, 10, 60)}
    columns = []
    for priority, target, name in SLA_FIELDS:
        example = examples.get(priority, DEFAULT_SLA_MINUTES[Priority(priority)])[TARGETS.index(target)]
        columns.append(Column(name, label=sla_field_label(priority, target), example=example, required=False))
    return tuple(columns)


SERVICE_CATEGORY = register_transfer(
    CatalogTransferSpec(
        specs.SERVICE_CATEGORY,
        (
            Column("code", example="WX-DT"),
            Column("name", example="电梯"),
            Column("name_en", example="Lifts"),
            Column(
                "parent",
                example="WX",
                help_text=_("Code of the group. A group may be a row above in the same file."),
            ),
            Column("icon", example="arrow-down-up", help_text=_("A Bootstrap icon name.")),
            Column("default_team", example="DTB"),
            Column("default_priority", example=Priority.HIGH),
            Column("weight", example="2"),
            Column("hold_excluded", example=True),
            Column("auto_close_hours", example=72, help_text=_("Empty: never closed automatically.")),
            Column("auto_dispatch", example=False),
            Column("is_complaint", example=False),
            Column("followup_sample_percent", example=100),
            Column("requires_location", example=True),
            Column("sort_order", example=4),
            *_target_columns(),
            ACTIVE,
        ),
    )
)

CATALOG_TRANSFERS = (SERVICE_CATEGORY,)
