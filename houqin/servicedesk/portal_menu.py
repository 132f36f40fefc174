"""Where the requester portal and the worker pages are entered from: sidebar entries under the
service desk's SECTION, and on the public page behind every QR label "Report a problem here" and,
for a logged-in worker, "I have arrived" for each of their jobs at that place."""

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from houqin.core.navigation import MenuItem, register_menu
from houqin.core.views import register_label_action
from houqin.org.models import Location
from houqin.servicedesk.menu import SECTION
from houqin.servicedesk.models import WorkOrder
from houqin.servicedesk.workflow import ACTIONS

WORK_PERMISSION = "servicedesk.work_workorder"
# A worker has a handful of jobs in one place; this bounds the page.
MAX_ARRIVALS = 10


def report_here(request, target) -> dict:
    """The label page's big button: the portal's report form with the label's place filled in."""
    query = urlencode({"location": target.label_code, "from": "qr"})
    return {
        "url": f"{reverse('servicedesk:portal_report')}?{query}",
        "label": _("Report a problem here"),
        "icon": "megaphone",
    }


def arrive_here(request, target) -> list[dict]:
    """For a worker who scanned the label with the phone's camera: "I have arrived" for each of
    their jobs waiting for arrival at the label's place or a place inside it. Each button posts
    to the worker's own arrival step (worker_views.job_step "start") with the label's code as
    the scanned code, so the arrival is recorded, and proven, exactly as from the job page."""
    user = request.user
    if not (user.is_authenticated and user.has_perm(WORK_PERMISSION) and isinstance(target, Location)):
        return []
    try:
        person = user.person
    except Exception:
        return []
    jobs = (
        WorkOrder.objects.for_user(user)
        .filter(
            assignee=person,
            status__in=ACTIONS["start"].sources,
            location__tree_path__startswith=target.tree_path,
        )
        .select_related("category", "location")
        .order_by("arrival_due", "pk")[:MAX_ARRIVALS]
    )
    actions = []
    for order in jobs:
        place = order.location.name if order.location_id != target.pk else ""
        detail = " · ".join(part for part in (order.category.name, place, order.description) if part)
        actions.append(
            {
                "url": reverse("servicedesk:worker_step", args=[order.pk, "start"]),
                "fields": {"start-version": order.version, "start-scanned": target.label_code},
                "label": _("I have arrived: %(number)s") % {"number": order.number},
                "detail": Truncator(detail).chars(80),
                "icon": "geo-alt-fill",
            }
        )
    return actions


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
            # Following requests needs the right to view them (for_user): whoever may only report
            # has no list to see.
            permission="servicedesk.view_workorder",
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
    # A worker at the label came to work: their jobs come before reporting a new problem.
    register_label_action(arrive_here, first=True)


register_portal_entries()
