"""Sidebar entries of the KPI pages, under the section every insight, performance and reports
page shares."""

from django.utils.translation import gettext_lazy as _

from houqin.core.navigation import MenuItem, register_menu

SECTION = _("Insight")

register_menu(
    MenuItem(
        section=SECTION, label=_("KPIs"), url_name="insight:kpis", permission="insight.view_kpis", icon="bar-chart-line"
    ),
)
