"""Pages that manage the wall displays (大屏) under /insight/displays/: the list, adding one (its
screen address with the display token is shown once) and revoking one. For the director and the
system administrator (insight.*_displayscreen)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from houqin.core.generic import bootstrap_form
from houqin.insight.display_forms import DisplayScreenForm
from houqin.insight.display_services import create_display, revoke_display
from houqin.insight.models import DisplayScreen

VIEW = "insight.view_displayscreen"
ADD = "insight.add_displayscreen"
CHANGE = "insight.change_displayscreen"


def _crumbs(*extra) -> list[dict]:
    return [{"label": _("Wall displays"), "url": reverse("insight:display_list")}, *extra]


@login_required
@permission_required(VIEW, raise_exception=True)
def display_list(request):
    displays = list(DisplayScreen.objects.select_related("site", "created_by"))
    context = {
        "title": _("Wall displays"),
        "breadcrumbs": _crumbs(),
        "displays": displays,
        "can_add": request.user.has_perm(ADD),
        "can_revoke": request.user.has_perm(CHANGE),
        "can_open_screen": request.user.has_perm("insight.view_kpis"),
    }
    return render(request, "insight/display_list.html", context)


@login_required
@permission_required(ADD, raise_exception=True)
def display_add(request):
    form = DisplayScreenForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            display, token = create_display(
                name=form.cleaned_data["name"], site=form.cleaned_data["site"], by=request.user
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            # Rendered, not redirected: the token must not travel through the session or a URL
            # the browser keeps in its history.
            screen_url = request.build_absolute_uri(reverse("insight:screen")) + "?" + urlencode({"token": token})
            response = render(
                request,
                "insight/display_created.html",
                {
                    "title": _("Wall display added"),
                    "breadcrumbs": _crumbs({"label": display.name, "url": ""}),
                    "display": display,
                    "screen_url": screen_url,
                },
            )
            add_never_cache_headers(response)
            response["Cache-Control"] += ", no-store"
            return response
    context = {
        "title": _("Add a wall display"),
        "breadcrumbs": _crumbs({"label": _("Add a wall display"), "url": ""}),
        "form": bootstrap_form(form),
    }
    return render(request, "insight/display_form.html", context, status=400 if form.is_bound else 200)


@login_required
@permission_required(CHANGE, raise_exception=True)
@require_POST
def display_revoke(request, pk: int):
    display = get_object_or_404(DisplayScreen, pk=pk)
    was_revoked = display.revoked_at is not None
    revoke_display(display, by=request.user)
    if was_revoked:
        messages.info(request, _("The wall display “%(name)s” was already revoked.") % {"name": display.name})
    else:
        messages.success(
            request,
            _("The wall display “%(name)s” is revoked: its screen stops showing figures.") % {"name": display.name},
        )
    return redirect("insight:display_list")
