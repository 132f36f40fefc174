"""Sidebar entries of account, role and audit pages."""

from django.utils.translation import gettext_lazy as _

from houqin.core.navigation import MenuItem, register_menu

SYSTEM = _("System")

register_menu(
    MenuItem(
        section=SYSTEM,
        label=_("User accounts"),
        url_name="accounts:user_list",
        permission="accounts.view_user",
        icon="people",
    ),
    MenuItem(
        section=SYSTEM,
        label=_("Roles"),
        url_name="accounts:role_list",
        permission="auth.view_group",
        icon="shield-lock",
    ),
    MenuItem(
        section=SYSTEM,
        label=_("Audit trail"),
        url_name="core:audit_list",
        permission="core.view_auditentry",
        icon="journal-text",
    ),
    MenuItem(
        section=SYSTEM,
        label=_("Security events"),
        url_name="core:security_event_list",
        permission="core.view_securityevent",
        icon="shield-exclamation",
    ),
    MenuItem(section=SYSTEM, label=_("My profile"), url_name="accounts:profile", icon="person-circle"),
)
