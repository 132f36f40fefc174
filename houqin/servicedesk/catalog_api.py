"""The service catalog in the REST API: /api/v1/service-categories, with the SLA targets per
priority. Imported by houqin/servicedesk/api.py (which the API discovers).

Reading: `sla_targets` gives every priority's response, arrival and completion minutes and whether
they are the category's own or the defaults. Writing: the flat fields `urgent_response_minutes`,
`urgent_arrival_minutes`, … `low_completion_minutes`; null means the default, a field left out
keeps the stored target."""

from decimal import Decimal

from ninja import Field, Router, Schema

from houqin.core.api import Ref, register_crud, register_router
from houqin.org.schemas import MasterDataOut
from houqin.servicedesk import specs
from houqin.servicedesk.models import DEFAULT_SLA_MINUTES, Priority


class SlaTargetOut(Schema):
    response_minutes: int = Field(description="created → dispatched")
    arrival_minutes: int = Field(description="created → the worker arrived")
    completion_minutes: int = Field(description="created → completed")
    default: bool = Field(description="true: the defaults of the service desk, not the category's own")


class SlaTargetsOut(Schema):
    urgent: SlaTargetOut
    high: SlaTargetOut
    normal: SlaTargetOut
    low: SlaTargetOut


class ServiceCategoryOut(MasterDataOut):
    code: str
    name: str
    name_en: str
    parent: Ref | None = Field(description="the group")
    icon: str = Field(description="Bootstrap icon name")
    default_team: Ref | None
    default_priority: str = Field(description="urgent, high, normal or low")
    weight: Decimal = Field(description="workload points per order")
    hold_excluded: bool = Field(description="time on hold does not count against the targets")
    auto_close_hours: int | None = Field(description="completed orders without a rating close after; null: never")
    auto_dispatch: bool
    is_complaint: bool
    followup_sample_percent: int = Field(description="share of completed orders called back")
    requires_location: bool
    sort_order: int
    sla_targets: SlaTargetsOut

    @staticmethod
    def resolve_sla_targets(obj) -> dict:
        targets = {}
        for priority in Priority:
            minutes = tuple(obj.targets(priority.value))
            targets[priority.value] = {
                "response_minutes": minutes[0],
                "arrival_minutes": minutes[1],
                "completion_minutes": minutes[2],
                "default": minutes == tuple(DEFAULT_SLA_MINUTES[priority]),
            }
        return targets


service_categories = register_crud(
    Router(tags=["service catalog"]),
    specs.SERVICE_CATEGORY,
    out=ServiceCategoryOut,
    description=(
        "Targets are written as `<priority>_<target>_minutes` (e.g. `urgent_response_minutes`): "
        "null means the default, a field left out keeps the stored value."
    ),
)
register_router("service-categories", service_categories)
