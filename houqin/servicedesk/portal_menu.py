"""Where the requester portal and the worker pages are entered from: sidebar entries under the
service desk's SECTION, and "Report a problem here" on the public page behind every QR label."""

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from houqin.core.navigation import MenuItem, register_menu
from houqin.core.views import register_label_action
from houqin.servicedesk.menu import SECTION


def report_here(request, target) -> dict:
    """The label page's big button: the portal's report form with the label's place filled in."""
    query = urlencode({"location": target.label_code, "from": "qr"})
    return {
        "url": f"{reverse('servicedesk:portal_report')}?{query}",
        "label": _("Report a problem here"),
        "icon": "megaphone",
    }


def register_portal_entries() -> None:
    register_menu(
        MenuItem(
            section=SECTION,
            label=gettext_lazy("Report a request"),
            url_name="servicedesk:portal_report",
            permission="servicedesk.add_workorder",
            icon="megaphone",
        ),
        MenuItem(
            section=SECTION,
            label=gettext_lazy("My requests"),
            url_name="servicedesk:portal_requests",
            permission="servicedesk.add_workorder",
            icon="card-checklist",
        ),
        MenuItem(
            section=SECTION,
            label=gettext_lazy("My jobs"),
            url_name="servicedesk:worker_jobs",
            permission="servicedesk.work_workorder",
            icon="phone",
        ),
    )
    register_label_action(report_here)


register_portal_entries()
