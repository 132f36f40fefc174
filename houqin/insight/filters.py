"""What every KPI can be narrowed to: site, the requester's department, a location subtree, a
category (a group includes its sub-categories), team, worker, contractor and channel. The same
filter set serves the pages and the API's query parameters."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from houqin.core.filters import RefFilter, SubtreeFilter
from houqin.core.refs import ref_lookup
from houqin.insight.models import DayFigures
from houqin.org.models import Company, Department, Person, Site, Team
from houqin.servicedesk.filters import CategoryFilter, SiteFilter
from houqin.servicedesk.models import Channel, WorkOrder


class ContractorFilter(RefFilter):
    """Orders done by a company: its team's, or assigned to one of its people."""

    def __init__(self, *args, **kwargs):
        super().__init__(Company, *args, **kwargs)

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        cond = ref_lookup(Company, value)
        if cond is None:
            return qs.none()
        chosen = Company.objects.filter(cond).values("pk")
        return qs.filter(Q(team__company__in=chosen) | Q(assignee__company__in=chosen))


class KpiFilterSet(django_filters.FilterSet):
    site = SiteFilter(label=_("site"))
    department = RefFilter(Department, label=_("department"))
    location = SubtreeFilter(field_name="location", label=_("within location"))
    category = CategoryFilter(label=_("category"))
    team = RefFilter(Team, label=_("team"))
    worker = RefFilter(Person, field_name="assignee", label=_("worker"))
    contractor = ContractorFilter(label=_("contractor"))
    # A column of the order itself, so no DISTINCT: on a DISTINCT queryset the repeat-fault
    # aggregate (an Exists on the outer order) fails with "no such column".
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices, label=_("channel"), distinct=False)

    class Meta:
        model = WorkOrder
        fields = []


FILTER_NAMES = tuple(KpiFilterSet.base_filters)


class RollupFilterSet(django_filters.FilterSet):
    """The KPI filters the daily rollup keeps, on its rows (houqin.insight.rollup): the same
    meaning as KpiFilterSet's, the site being the one the rollup stored for each order."""

    site = RefFilter(Site, field_name="site", label=_("site"))
    category = CategoryFilter(label=_("category"))
    team = RefFilter(Team, label=_("team"))
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices, label=_("channel"), distinct=False)

    class Meta:
        model = DayFigures
        fields = []
