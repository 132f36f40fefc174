from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from houqin.accounts.roles import ROLE_BY_CODE, role_label
from houqin.core.labels import find_label_target


@login_required
def home(request):
    """The start page: who the user is in houqin (roles) and the pages their roles open."""
    user = request.user
    codes = sorted(user.role_codes, key=lambda code: (code not in ROLE_BY_CODE, code))
    roles = [
        {"label": role_label(code), "description": getattr(ROLE_BY_CODE.get(code), "description", "")} for code in codes
    ]
    if user.is_superuser:
        roles.insert(0, {"label": _("Superuser"), "description": _("Holds every permission.")})
    return render(request, "core/home.html", {"roles": roles})


# What the page behind a label offers, added by the apps above core (the service desk: "Report a
# problem here", and a worker's "I have arrived" for their jobs there), so that core names none of
# them. Each function takes (request, target) and answers an action, a list of actions, or None.
# An action is {"url", "label", "icon"}: a link; with "fields" ({name: value}) it is a button that
# posts those fields to url (with the CSRF token); "detail" is a line under the label.
_label_actions: list[Callable] = []


def register_label_action(action: Callable, *, first: bool = False) -> None:
    """Offer action on every label page; first=True puts it before those registered so far."""
    if action in _label_actions:
        return
    if first:
        _label_actions.insert(0, action)
    else:
        _label_actions.append(action)


def label_redirect(request, label_code):
    """The public page behind a QR label (/q/<code>, any case): the place and what can be done there."""
    target = find_label_target(label_code)
    if target is None:
        raise Http404
    actions = []
    for action in _label_actions:
        found = action(request, target)
        if isinstance(found, dict):
            actions.append(found)
        elif found:
            actions.extend(found)
    return render(request, "core/label_target.html", {"target": target, "actions": actions})
