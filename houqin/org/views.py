"""Pages of the master data: one list, detail, edit and delete page per model, on the generic views.

The location tree, moves, pickers and QR labels live in location_views.py."""

import datetime

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from houqin.core.generic import ObjectDetailView, ObjectListView, PageAction, Related
from houqin.core.widgets import PickerWidget
from houqin.org import specs, tables
from houqin.org.location_views import _in_natural_order

# The quick view behind the "Expiring certificates" menu entry.
EXPIRING_QUERY = urlencode({"expiring_within_days": tables.EXPIRY_WARNING_DAYS, "sort": "expires_on"})


# Sites ------------------------------------------------------------------------------------------


class SiteListView(ObjectListView):
    spec = specs.SITE
    columns = tables.SITE_COLUMNS


class SiteDetailView(ObjectDetailView):
    spec = specs.SITE
    related = [
        Related(
            _("Top-level locations"),
            specs.LOCATION,
            "site",
            tables.LOCATIONS_SHORT,
            list_filter="site",
            extra_filter={"parent__isnull": True},
        ),
        Related(_("Departments"), specs.DEPARTMENT, "site", tables.DEPARTMENTS_SHORT, list_filter="site"),
        Related(_("Teams"), specs.TEAM, "site", tables.TEAMS_SHORT, list_filter="site"),
    ]


# Locations --------------------------------------------------------------------------------------


class LocationListView(ObjectListView):
    spec = specs.LOCATION
    columns = tables.LOCATION_COLUMNS
    filter_fields = ("kind", "site", "department", "location", "is_active")
    actions = [PageAction(_("Tree"), "org:location_tree", "org.view_location", icon="diagram-3", with_pk=False)]

    def get_filter_widgets(self):
        return {"location": PickerWidget("org:location_pick"), "parent": PickerWidget("org:location_pick")}


class LocationDetailView(ObjectDetailView):
    spec = specs.LOCATION
    fields = ("code", "name", "kind", "full_name", "parent", "site", "department", "area_m2", "label_code", "is_active")
    # Its path, sub-locations and the tree, move and label links (location_views.py's part).
    includes = ["org/location_extras.html"]
    related = [
        Related(
            _("Phone numbers"), specs.DIRECTORY_ENTRY, "location", tables.PHONE_NUMBERS_SHORT, list_filter="location"
        ),
    ]
    actions = [
        PageAction(_("Add sub-location"), "org:location_add", "org.add_location", icon="plus-lg", with_pk=False),
    ]

    def get_extra_context(self, obj):
        # Sub-locations in the tree's order (A2 before A10 before A-W01), not in the order of their ids.
        return {"location": obj, "sub_locations": _in_natural_order(obj.children.all())}

    def page_actions(self, actions, obj=None):
        result = super().page_actions(actions, obj)
        for action in result:
            # The new location starts under this one.
            action["url"] += "?" + urlencode({"parent": obj.pk, "site": obj.site_id})
        return result


# Departments ------------------------------------------------------------------------------------


class DepartmentListView(ObjectListView):
    spec = specs.DEPARTMENT
    columns = tables.DEPARTMENT_COLUMNS


class DepartmentDetailView(ObjectDetailView):
    spec = specs.DEPARTMENT
    related = [
        Related(_("Sub-departments"), specs.DEPARTMENT, "parent", tables.DEPARTMENTS_SHORT),
        Related(_("People"), specs.PERSON, "department", tables.PEOPLE_IN_DEPARTMENT, list_filter="department"),
        Related(_("Locations"), specs.LOCATION, "department", tables.LOCATIONS_SHORT, list_filter="department"),
        Related(
            _("Phone numbers"),
            specs.DIRECTORY_ENTRY,
            "department",
            tables.PHONE_NUMBERS_SHORT,
            list_filter="department",
        ),
    ]


# Companies --------------------------------------------------------------------------------------


class CompanyListView(ObjectListView):
    spec = specs.COMPANY
    columns = tables.COMPANY_COLUMNS

    def get_queryset(self):
        return super().get_queryset().annotate(staff_count=Count("people", distinct=True))


class CompanyDetailView(ObjectDetailView):
    spec = specs.COMPANY
    related = [
        Related(_("Teams"), specs.TEAM, "company", tables.TEAMS_SHORT, list_filter="company"),
        Related(_("Staff"), specs.PERSON, "company", tables.PEOPLE_IN_COMPANY, list_filter="company", limit=20),
    ]


# Trades -----------------------------------------------------------------------------------------


class TradeListView(ObjectListView):
    spec = specs.TRADE
    columns = tables.TRADE_COLUMNS


class TradeDetailView(ObjectDetailView):
    spec = specs.TRADE
    related = [
        Related(_("Teams"), specs.TEAM, "trades", tables.TEAMS_SHORT, list_filter="trade"),
        Related(_("People"), specs.PERSON, "trades", tables.PEOPLE_WITH_TRADE, list_filter="trade", limit=20),
    ]


# Teams ------------------------------------------------------------------------------------------


class TeamListView(ObjectListView):
    spec = specs.TEAM
    columns = tables.TEAM_COLUMNS

    def get_queryset(self):
        return super().get_queryset().annotate(member_count=Count("members", distinct=True))


class TeamDetailView(ObjectDetailView):
    spec = specs.TEAM
    related = [
        Related(_("Trades"), specs.TRADE, "teams", tables.TRADES_SHORT, limit=50),
        Related(_("Members"), specs.PERSON, "team", tables.PEOPLE_IN_TEAM, list_filter="team", limit=50),
    ]


# People -----------------------------------------------------------------------------------------


class PersonListView(ObjectListView):
    spec = specs.PERSON
    columns = tables.PERSON_COLUMNS
    filter_fields = ("company", "department", "team", "trade", "employment_type", "on_duty", "has_account", "is_active")
    presets = [(_("On duty"), "on_duty=true"), (_("Without an account"), "has_account=false")]


class PersonDetailView(ObjectDetailView):
    spec = specs.PERSON
    fields = (
        "employee_no",
        "name",
        "gender",
        "phone",
        "company",
        "department",
        "team",
        "trades",
        "employment_type",
        "job_title",
        "hired_on",
        "on_duty",
        "user",
        "is_active",
    )
    related = [
        Related(
            _("Certificates"),
            specs.CERTIFICATE,
            "person",
            tables.CERTIFICATES_OF_PERSON,
            list_filter="person",
            add_param="person",
            add_label=_("Add certificate"),
            limit=50,
        ),
        Related(_("Teams led"), specs.TEAM, "leader", tables.TEAMS_SHORT),
        Related(_("Phone numbers"), specs.DIRECTORY_ENTRY, "person", tables.PHONE_NUMBERS_SHORT),
    ]


# Certificates -----------------------------------------------------------------------------------


def _expired_query() -> str:
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    return urlencode({"expires_before": yesterday.isoformat(), "sort": "expires_on"})


class CertificateListView(ObjectListView):
    spec = specs.CERTIFICATE
    columns = tables.CERTIFICATE_COLUMNS
    default_sort = "expires_on"
    filter_fields = ("company", "person", "expiring_within_days", "expires_before")

    def get_filter_widgets(self):
        return {"person": PickerWidget("org:person_pick")}

    @property
    def presets(self):
        return [
            (_("Expiring within 30 days"), EXPIRING_QUERY),
            (_("Expired"), _expired_query()),
        ]


class CertificateDetailView(ObjectDetailView):
    spec = specs.CERTIFICATE
    fields = ("person", "person.company", "name", "number", "issuer", "issued_on", "expires_on")
    extra_fields = [(_("Days left"), tables.days_left)]


@login_required
def certificates_expiring(request):
    """The menu's "Expiring certificates": the certificate list, filtered and sorted by expiry."""
    if not request.user.has_perm(specs.CERTIFICATE.perm("view")):
        raise PermissionDenied
    return redirect(f"{reverse('org:certificate_list')}?{EXPIRING_QUERY}")


# Phone directory --------------------------------------------------------------------------------


class DirectoryEntryListView(ObjectListView):
    spec = specs.DIRECTORY_ENTRY
    columns = tables.DIRECTORY_COLUMNS

    def get_filter_widgets(self):
        return {"location": PickerWidget("org:location_pick")}


class DirectoryEntryDetailView(ObjectDetailView):
    spec = specs.DIRECTORY_ENTRY
