"""Sidebar entries of performance, in the section shared by the KPI, performance and report pages."""

from django.utils.translation import gettext_lazy as _

from houqin.core.navigation import MenuItem, register_menu

SECTION = _("Insight")

register_menu(
    MenuItem(
        section=SECTION,
        label=_("Performance"),
        url_name="performance:ranking",
        permission="performance.view_performance",
        icon="trophy",
    ),
    MenuItem(
        section=SECTION,
        label=_("Score weights"),
        url_name="performance:weights",
        permission="performance.view_scoreweights",
        icon="sliders",
    ),
)
