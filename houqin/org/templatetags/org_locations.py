"""{% load org_locations %}: small helpers of the location pages."""

from django import template

from houqin.org.models import LocationKind

register = template.Library()

KIND_BADGES = {
    LocationKind.CAMPUS: "purple",
    LocationKind.BUILDING: "blue",
    LocationKind.FLOOR: "grey",
    LocationKind.ROOM: "green",
    LocationKind.AREA: "orange",
    LocationKind.BED: "yellow",
}


@register.filter
def kind_badge(location) -> str:
    """The badge class of a location's kind: <span class="{{ loc|kind_badge }}">."""
    return "hq-badge-" + KIND_BADGES.get(getattr(location, "kind", ""), "grey")
