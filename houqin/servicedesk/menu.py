"""Sidebar entries of the service desk. Every module of the desk registers its own entries under
this SECTION with houqin.core.navigation.register_menu(MenuItem(section=SECTION, ...)); this one
holds the catalog's."""

from django.utils.translation import gettext_lazy as _

from houqin.core.navigation import MenuItem, register_menu

SECTION = _("Service desk")


def register_catalog_menu() -> None:
    register_menu(
        MenuItem(
            section=SECTION,
            label=_("Service catalog"),
            url_name="servicedesk:servicecategory_list",
            permission="servicedesk.view_servicecategory",
            icon="grid-3x3-gap",
        ),
    )


register_catalog_menu()
