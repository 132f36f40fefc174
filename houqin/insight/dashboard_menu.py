"""Sidebar entries of the director's dashboard, the big screen and the wall displays (section
"Insight", shared with the KPI pages of houqin/insight/menu.py: entries group by the section's
text)."""

from django.utils.translation import gettext_lazy as _

from houqin.core.navigation import MenuItem, register_menu

SECTION = _("Insight")

register_menu(
    MenuItem(
        section=SECTION,
        label=_("Dashboard"),
        url_name="insight:dashboard",
        permission="insight.view_kpis",
        icon="speedometer2",
    ),
    MenuItem(
        section=SECTION,
        label=_("Big screen"),
        url_name="insight:screen",
        permission="insight.view_kpis",
        icon="display",
    ),
    MenuItem(
        section=SECTION,
        label=_("Wall displays"),
        url_name="insight:display_list",
        permission="insight.view_displayscreen",
        icon="easel",
    ),
)
