"""Sidebar entry of the monthly reports, in the section shared by the KPI, performance and report pages."""

from django.utils.translation import gettext_lazy as _

from houqin.core.navigation import MenuItem, register_menu

SECTION = _("Insight")

register_menu(
    MenuItem(
        section=SECTION,
        label=_("Monthly reports"),
        url_name="reports:list",
        permission="reports.view_monthlyreport",
        icon="file-earmark-bar-graph",
    ),
)
