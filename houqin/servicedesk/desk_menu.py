"""The desk's sidebar entries: the console for agents, the order list, the dispatch board and
the call-back workbench, each shown to the roles that may open it."""

from django.utils.translation import gettext_lazy as _

from houqin.core.navigation import MenuItem, register_menu

# The same section as houqin/servicedesk/menu.py (entries group by the section's text); not
# imported from there, so that these entries come before the catalog's.
SECTION = _("Service desk")

register_menu(
    MenuItem(
        section=SECTION,
        label=_("Desk console"),
        url_name="servicedesk:desk",
        permission="servicedesk.change_workorder",
        icon="headset",
    ),
    MenuItem(
        section=SECTION,
        label=_("Work orders"),
        url_name="servicedesk:order_list",
        permission="servicedesk.view_workorder",
        icon="list-check",
    ),
    MenuItem(
        section=SECTION,
        label=_("Dispatch board"),
        url_name="servicedesk:board",
        permission="servicedesk.dispatch_workorder",
        icon="kanban",
    ),
    MenuItem(
        section=SECTION,
        label=_("Call-backs"),
        url_name="servicedesk:callbacks",
        permission="servicedesk.follow_up_workorder",
        icon="telephone-outbound",
    ),
)
