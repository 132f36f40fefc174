"""One filter set per model, shared by the list pages and the API query parameters."""

import django_filters
from django.utils.translation import gettext_lazy as _

from houqin.core.filters import MasterDataFilterSet, RefFilter, SubtreeFilter
from houqin.org.models import (
    Certificate,
    Company,
    CompanyKind,
    Department,
    DepartmentKind,
    DirectoryEntry,
    EmploymentType,
    Location,
    LocationKind,
    Person,
    Site,
    Team,
    Trade,
)


class SiteFilterSet(MasterDataFilterSet):
    class Meta:
        model = Site
        fields = ["is_active"]


class LocationFilterSet(MasterDataFilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=LocationKind.choices, label=_("kind"))
    site = RefFilter(Site, label=_("site"))
    parent = RefFilter(Location, label=_("parent"))
    location = SubtreeFilter(label=_("within location"))
    department = RefFilter(Department, label=_("department"))

    class Meta:
        model = Location
        fields = ["is_active"]


class DepartmentFilterSet(MasterDataFilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=DepartmentKind.choices, label=_("kind"))
    site = RefFilter(Site, label=_("site"))
    cost_center = django_filters.CharFilter(label=_("cost center"))

    class Meta:
        model = Department
        fields = ["is_active"]


class CompanyFilterSet(MasterDataFilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=CompanyKind.choices, label=_("kind"))

    class Meta:
        model = Company
        fields = ["is_active"]


class TradeFilterSet(MasterDataFilterSet):
    class Meta:
        model = Trade
        fields = ["is_active"]


class TeamFilterSet(MasterDataFilterSet):
    company = RefFilter(Company, label=_("company"))
    site = RefFilter(Site, label=_("site"))
    trade = RefFilter(Trade, field_name="trades", distinct=True, label=_("trade"))

    class Meta:
        model = Team
        fields = ["is_active"]


class PersonFilterSet(MasterDataFilterSet):
    company = RefFilter(Company, label=_("company"))
    department = RefFilter(Department, label=_("department"))
    team = RefFilter(Team, label=_("team"))
    trade = RefFilter(Trade, field_name="trades", distinct=True, label=_("trade"))
    employment_type = django_filters.MultipleChoiceFilter(choices=EmploymentType.choices, label=_("employment type"))
    on_duty = django_filters.BooleanFilter(label=_("on duty"))
    has_account = django_filters.BooleanFilter(
        field_name="user", lookup_expr="isnull", exclude=True, label=_("has a user account")
    )

    class Meta:
        model = Person
        fields = ["is_active"]


class CertificateFilterSet(django_filters.FilterSet):
    person = RefFilter(Person, label=_("person"))
    company = RefFilter(Company, field_name="person__company", label=_("company"))
    expires_before = django_filters.DateFilter(
        field_name="expires_on", lookup_expr="lte", label=_("expires on or before")
    )
    expiring_within_days = django_filters.NumberFilter(
        method="filter_expiring", label=_("expiring within (days)"), min_value=0
    )

    class Meta:
        model = Certificate
        fields = []

    def filter_expiring(self, queryset, name, value):
        return queryset.expiring(within_days=int(value))


class DirectoryEntryFilterSet(MasterDataFilterSet):
    department = RefFilter(Department, label=_("department"))
    location = SubtreeFilter(field_name="location", label=_("within location"))

    class Meta:
        model = DirectoryEntry
        fields = ["is_active"]
