"""Sidebar entries of the notification pages (the inbox is the bell in the top bar)."""

from django.utils.translation import gettext_lazy as _

from houqin.core.navigation import MenuItem, register_menu

SYSTEM = _("System")

register_menu(
    MenuItem(
        section=SYSTEM,
        label=_("Notification channels"),
        url_name="notifications:channelconfig_list",
        permission="notifications.view_channelconfig",
        icon="broadcast",
    ),
    MenuItem(
        section=SYSTEM,
        label=_("Delivery log"),
        url_name="notifications:outbox_list",
        permission="notifications.view_outboxmessage",
        icon="send-check",
    ),
)
