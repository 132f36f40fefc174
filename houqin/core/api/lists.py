"""Lists: the spec's FilterSet on the query string, ?sort=, and limit/offset pages."""

from typing import Any

from django.utils.translation import gettext as _

from houqin.core.api.errors import InvalidInput
from houqin.core.specs import ModelSpec

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
# Far beyond any list we keep; bounds the OFFSET the database is asked for.
MAX_OFFSET = 10**9


def _filter_parameter(name: str, filt) -> dict:
    import django_filters

    schema: dict[str, Any] = {"type": "string"}
    explode = False
    if isinstance(filt, django_filters.MultipleChoiceFilter):
        choices = [str(value) for value, _label in filt.extra.get("choices", ())]
        schema = {"type": "array", "items": {"type": "string", "enum": choices}}
        explode = True
    elif isinstance(filt, django_filters.ChoiceFilter):
        schema = {"type": "string", "enum": [str(value) for value, _label in filt.extra.get("choices", ())]}
    elif isinstance(filt, django_filters.BooleanFilter):
        schema = {"type": "boolean"}
    elif isinstance(filt, django_filters.DateTimeFilter):
        schema = {"type": "string", "format": "date-time"}
    elif isinstance(filt, django_filters.DateFilter):
        schema = {"type": "string", "format": "date"}
    elif isinstance(filt, django_filters.NumberFilter):
        schema = {"type": "number"}
        if filt.extra.get("min_value") is not None:
            schema["minimum"] = filt.extra["min_value"]
        if filt.extra.get("max_value") is not None:
            schema["maximum"] = filt.extra["max_value"]
    description = str(filt.label or name.replace("_", " "))
    if name == "q":
        description = "free text: code, name, or the name's pinyin (initials or full), every word must match"
    elif type(filt).__name__ == "RefFilter":
        description = f"{description}: id or code"
    elif type(filt).__name__ == "SubtreeFilter":
        description = f"{description}: id or code of a location; matches that location and everything under it"
    if explode:
        description += " (repeat the parameter for several values)"
    param = {"in": "query", "name": name, "required": False, "schema": schema, "description": description}
    if explode:
        param.update(style="form", explode=True)
    return param


def filter_parameters(filterset_class) -> list[dict]:
    """The FilterSet's filters as OpenAPI query parameters (one filter definition for pages and API)."""
    return [_filter_parameter(name, filt) for name, filt in filterset_class.base_filters.items()]


def sort_parameter(sortable: tuple[str, ...]) -> dict:
    keys = [key for name in sortable for key in (name, f"-{name}")]
    return {
        "in": "query",
        "name": "sort",
        "required": False,
        "schema": {"type": "string", "enum": keys},
        "description": "sort key; a leading minus sorts descending",
    }


def filtered(request, spec: ModelSpec, queryset):
    """queryset narrowed by the spec's FilterSet from the query string and sorted by ?sort=."""
    filterset = spec.filterset_class(request.GET, queryset=queryset, request=request)
    if not filterset.is_valid():
        raise InvalidInput({name: list(messages) for name, messages in filterset.errors.items()})
    queryset = filterset.qs
    sort = request.GET.get("sort", "")
    if sort:
        if sort.lstrip("-") not in spec.sortable or sort.startswith("--"):
            allowed = ", ".join(spec.sortable)
            raise InvalidInput(
                {"sort": [_("Sort by one of: %(keys)s (with a leading minus to reverse).") % {"keys": allowed}]}
            )
        return queryset.order_by(sort, "pk")
    ordering = list(queryset.query.order_by or queryset.model._meta.ordering or ())
    return queryset.order_by(*ordering, "pk")


def paginate(queryset, limit: int, offset: int) -> dict:
    """One page: {"count": N, "items": [...]}; an offset past the end gives no items."""
    return {"count": queryset.count(), "items": list(queryset[offset : offset + limit])}
