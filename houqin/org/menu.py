"""Sidebar entries of the master-data pages."""

from django.utils.translation import gettext_lazy as _

from houqin.core.navigation import MenuItem, register_menu

SECTION = _("Master data")

register_menu(
    MenuItem(section=SECTION, label=_("Sites"), url_name="org:site_list", permission="org.view_site", icon="hospital"),
    MenuItem(
        section=SECTION,
        label=_("Location tree"),
        url_name="org:location_tree",
        permission="org.view_location",
        icon="diagram-3",
    ),
    MenuItem(
        section=SECTION,
        label=_("Locations"),
        url_name="org:location_list",
        permission="org.view_location",
        icon="geo-alt",
    ),
    MenuItem(
        section=SECTION,
        label=_("Departments"),
        url_name="org:department_list",
        permission="org.view_department",
        icon="building",
    ),
    MenuItem(
        section=SECTION,
        label=_("Companies"),
        url_name="org:company_list",
        permission="org.view_company",
        icon="briefcase",
    ),
    MenuItem(section=SECTION, label=_("Teams"), url_name="org:team_list", permission="org.view_team", icon="people"),
    MenuItem(section=SECTION, label=_("Trades"), url_name="org:trade_list", permission="org.view_trade", icon="tools"),
    MenuItem(
        section=SECTION,
        label=_("People"),
        url_name="org:person_list",
        permission="org.view_person",
        icon="person-vcard",
    ),
    MenuItem(
        section=SECTION,
        label=_("Certificates"),
        url_name="org:certificate_list",
        permission="org.view_certificate",
        icon="award",
    ),
    MenuItem(
        section=SECTION,
        label=_("Expiring certificates"),
        url_name="org:certificate_expiring",
        permission="org.view_certificate",
        icon="hourglass-split",
    ),
    MenuItem(
        section=SECTION,
        label=_("Phone directory"),
        url_name="org:directoryentry_list",
        permission="org.view_directoryentry",
        icon="telephone",
    ),
)
