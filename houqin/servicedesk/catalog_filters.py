"""The service catalog's filters, shared by its list page, export and the API's query parameters."""

import django_filters
from django.utils.translation import gettext_lazy as _

from houqin.core.filters import MasterDataFilterSet, RefFilter
from houqin.org.models import Team
from houqin.servicedesk.models import Priority, ServiceCategory


class ServiceCategoryFilterSet(MasterDataFilterSet):
    parent = RefFilter(ServiceCategory, label=_("group"))
    level = django_filters.ChoiceFilter(
        choices=(("group", _("groups")), ("category", _("categories"))),
        method="filter_level",
        label=_("level"),
        empty_label=_("Groups and categories"),
    )
    default_team = RefFilter(Team, label=_("default team"))
    default_priority = django_filters.MultipleChoiceFilter(choices=Priority.choices, label=_("default priority"))
    auto_dispatch = django_filters.BooleanFilter(label=_("dispatch automatically"))
    is_complaint = django_filters.BooleanFilter(label=_("complaint or suggestion"))

    class Meta:
        model = ServiceCategory
        fields = ["is_active"]

    def filter_level(self, queryset, name, value):
        # A group is a category with categories under it; everything else takes orders.
        if value == "group":
            return queryset.filter(children__isnull=False).distinct()
        if value == "category":
            return queryset.filter(children__isnull=True)
        return queryset
