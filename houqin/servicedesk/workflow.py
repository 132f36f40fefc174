"""The legal moves of a work order: which action may start from which status, and where it leads.

One table, used by the services to refuse illegal moves and by the pages and the API to show
only the buttons that apply."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from houqin.servicedesk.models import Status


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    sources: frozenset[str]
    target: str | None  # None: the status does not change (comment, transfer) or is computed (resume)
    permission: str


def _action(name, label, sources, target, permission):
    return Action(name, label, frozenset(sources), target, permission)


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        _action("accept", _("Accept"), {Status.NEW}, Status.ACCEPTED, "servicedesk.change_workorder"),
        _action(
            "dispatch",
            _("Dispatch"),
            {Status.NEW, Status.ACCEPTED, Status.DISPATCHED},
            Status.DISPATCHED,
            "servicedesk.dispatch_workorder",
        ),
        _action("start", _("Arrive / start"), {Status.DISPATCHED}, Status.IN_PROGRESS, "servicedesk.work_workorder"),
        _action(
            "hold",
            _("Put on hold"),
            {Status.ACCEPTED, Status.DISPATCHED, Status.IN_PROGRESS},
            Status.ON_HOLD,
            "servicedesk.work_workorder",
        ),
        _action("resume", _("Resume"), {Status.ON_HOLD}, None, "servicedesk.work_workorder"),
        _action("complete", _("Complete"), {Status.IN_PROGRESS}, Status.COMPLETED, "servicedesk.work_workorder"),
        _action(
            "follow-up",
            _("Record follow-up"),
            {Status.COMPLETED},
            Status.FOLLOWED_UP,
            "servicedesk.follow_up_workorder",
        ),
        _action(
            "close",
            _("Assess and close"),
            {Status.COMPLETED, Status.FOLLOWED_UP},
            Status.CLOSED,
            "servicedesk.assess_workorder",
        ),
        _action(
            "cancel",
            _("Cancel"),
            {Status.NEW, Status.ACCEPTED, Status.DISPATCHED, Status.IN_PROGRESS, Status.ON_HOLD},
            Status.CANCELLED,
            "servicedesk.change_workorder",
        ),
        _action(
            "reopen",
            _("Reopen for rework"),
            {Status.COMPLETED, Status.FOLLOWED_UP},
            Status.DISPATCHED,
            "servicedesk.follow_up_workorder",
        ),
        _action(
            "transfer",
            _("Transfer to another team"),
            {Status.NEW, Status.ACCEPTED, Status.DISPATCHED, Status.ON_HOLD},
            None,
            "servicedesk.dispatch_workorder",
        ),
        _action(
            "comment",
            _("Comment"),
            set(Status.values),
            None,
            "servicedesk.view_workorder",
        ),
    )
}


def can_start(action: str, status: str) -> bool:
    return status in ACTIONS[action].sources
