"""The big screen (大屏) for the service centre's wall, /insight/screen/: today's orders by status,
the orders past a deadline now, workers on duty by team, satisfaction today and the open orders
by building, refreshed every 30 seconds (htmx polls insight:screen_live and swaps the live part;
static/insight/screen.js redraws the charts and keeps the last figures when the server does not
answer).

Who sees it:
- a wall display, with `?token=<display token>`: no login; the display's site (or the whole
  hospital); an unknown or revoked token answers 404 and nothing else;
- a logged-in user with insight.view_kpis, without a token: their own scope (a contractor
  manager sees their company's orders and teams), narrowed by `?site=`.

The token is in the address: the page and its live part are sent with Referrer-Policy
no-referrer and are never cached."""

from dataclasses import dataclass

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.translation import gettext as _

from houqin.core.refs import ref_lookup
from houqin.insight import kpis
from houqin.insight.dashboard_views import SEE, rate_text, rating_text
from houqin.insight.display_services import display_for_token
from houqin.insight.filters import KpiFilterSet
from houqin.insight.models import DisplayScreen
from houqin.insight.periods import Period
from houqin.org.models import Location, LocationKind, Site, Team
from houqin.servicedesk.models import Status, WorkOrder

TOKEN_PARAM = "token"
# The live part sends the token in a header rather than the address, so that polls every 30
# seconds do not write it into access logs.
TOKEN_HEADER = "X-Display-Token"
REFRESH_SECONDS = 30
OVERDUE_SHOWN = 16
# The oldest overdue orders are the most overdue ones nearly always; this many are ranked.
OVERDUE_SCANNED = 200
# Colours of the statuses on the dark screen.
STATUS_COLOURS = {
    Status.NEW: "#9aa5b1",
    Status.ACCEPTED: "#4fc3f7",
    Status.DISPATCHED: "#3b82f6",
    Status.IN_PROGRESS: "#f5b700",
    Status.ON_HOLD: "#b084f5",
    Status.COMPLETED: "#2ecc71",
    Status.FOLLOWED_UP: "#1abc9c",
    Status.CLOSED: "#5f7a6e",
    Status.CANCELLED: "#6b7280",
}


@dataclass
class Viewer:
    """Whose picture the screen shows: a wall display's or a logged-in user's."""

    orders: QuerySet
    teams: QuerySet
    site: Site | None
    display: DisplayScreen | None = None


def _for_display(display: DisplayScreen) -> Viewer:
    orders = WorkOrder.objects.all()
    teams = Team.objects.filter(is_active=True)
    if display.site_id:
        orders = KpiFilterSet({"site": str(display.site_id)}, queryset=orders).qs
        teams = teams.filter(Q(site=display.site_id) | Q(site__isnull=True))
    return Viewer(orders=orders, teams=teams, site=display.site, display=display)


def _for_user(request) -> Viewer:
    user = request.user
    site = None
    wanted = request.GET.get("site")
    if wanted:
        cond = ref_lookup(Site, wanted)
        site = Site.objects.for_user(user).filter(cond).first() if cond is not None else None
        if site is None:
            raise Http404
    orders = kpis.scoped_orders(user, {"site": str(site.pk)} if site else None)
    teams = Team.objects.for_user(user).filter(is_active=True)
    if site is not None:
        teams = teams.filter(Q(site=site) | Q(site__isnull=True))
    return Viewer(orders=orders, teams=teams, site=site)


def _viewer(request, token: str | None) -> Viewer | HttpResponse:
    """The viewer, or the answer to give instead (the login page, 401 for a poll); raises 404
    for a token that opens nothing and 403 for a user without the right."""
    if token is not None:
        display = display_for_token(token)
        if display is None:
            raise Http404
        return _for_display(display)
    user = request.user
    if not user.is_authenticated:
        page = reverse("insight:screen")
        if request.htmx:
            response = HttpResponse(status=401)
            response["HX-Redirect"] = redirect_to_login(page)["Location"]
            return response
        return redirect_to_login(request.get_full_path() if request.path == page else page)
    if not user.has_perm(SEE):
        raise PermissionDenied
    return _for_user(request)


def _buildings(viewer: Viewer) -> list[Location]:
    buildings = Location.objects.filter(kind=LocationKind.BUILDING, is_active=True).select_related("site")
    if viewer.site is not None:
        buildings = buildings.filter(site=viewer.site)
    return list(buildings.only("id", "name", "code", "tree_path", "site__name", "site__short_name"))


def _place_tiles(rows: list[dict]) -> tuple[list[dict], int]:
    """Treemap tiles of the places with open orders (grouped by site when there are several), and
    how many places have none."""
    sites = {row["place"].site_id: row["place"].site for row in rows if row["place"] is not None}
    groups: dict[int, list[dict]] = {site_id: [] for site_id in sites}
    tiles, quiet = [], 0
    for row in rows:
        place = row["place"]
        if not row["open"]:
            quiet += place is not None
            continue
        tile = {
            "name": place.name if place is not None else _("Elsewhere or no place"),
            "value": row["open"],
            "overdue": row["overdue"],
            "share": row["overdue"] / row["open"],
        }
        if place is not None and len(sites) > 1:
            groups[place.site_id].append(tile)
        else:
            tiles.append(tile)
    for site_id, children in groups.items():
        if children:
            site = sites[site_id]
            tiles.append(
                {
                    "name": site.short_name or site.name,
                    "value": sum(child["value"] for child in children),
                    "children": children,
                }
            )
    tiles.sort(key=lambda tile: -tile["value"])
    return tiles, quiet


def _place_text(location) -> str:
    """A place on the screen without the campus named like its site (the header names the site)."""
    if location is None:
        return "—"
    parts = location.full_name.split(" / ")
    if len(parts) > 1 and parts[0] in (location.site.name, location.site.short_name):
        parts = parts[1:]
    return " / ".join(parts)


def _late_text(minutes: int) -> str:
    if minutes < 60:
        return _("%(minutes)s min") % {"minutes": minutes}
    return _("%(hours)s h") % {"hours": f"{minutes / 60:.1f}"}


def live_context(viewer: Viewer) -> dict:
    """The figures of the live part: 6 + 5 queries."""
    now = timezone.now()
    today = Period.day(timezone.localdate())
    orders = viewer.orders
    figures = kpis.summary(orders, today, now)
    counts = kpis.by_status(kpis.created_in(orders, today))
    statuses = [
        {"key": status.value, "name": str(status.label), "value": counts.get(status.value, 0)}
        for status in Status
        if counts.get(status.value)
    ]
    overdue = list(
        kpis.orders_behind("overdue", orders, today, now)
        .select_related("category", "category__parent", "location", "location__site", "team")
        .order_by("created", "pk")[:OVERDUE_SCANNED]
    )
    for order in overdue:
        order.minutes_overdue = kpis.overdue_minutes(order, now)
        order.overdue_text = _late_text(order.minutes_overdue)
        order.place_text = _place_text(order.location)
    overdue.sort(key=lambda order: -order.minutes_overdue)
    tiles, quiet = _place_tiles(kpis.backlog_by_place(orders, _buildings(viewer), now))
    teams = list(
        viewer.teams.annotate(
            on_duty=Count("members", filter=Q(members__on_duty=True, members__is_active=True)),
            people=Count("members", filter=Q(members__is_active=True)),
        )
        .filter(people__gt=0)
        .order_by("-on_duty", "code")
        .values("code", "name", "on_duty", "people")
    )
    satisfaction = figures["satisfaction"]
    return {
        "now": timezone.localtime(now),
        "figures": figures,
        "tiles": [
            {"key": "volume", "label": _("Orders today"), "value": figures["volume"]["count"]},
            {"key": "open", "label": _("Open now"), "value": figures["backlog"]["open"]},
            {
                "key": "overdue",
                "label": _("Overdue now"),
                "value": figures["backlog"]["overdue"],
                "alert": bool(figures["backlog"]["overdue"]),
            },
            {"key": "completed", "label": _("Completed today"), "value": figures["completed"]["count"]},
            {
                "key": "satisfaction",
                "label": _("Satisfaction today"),
                "value": rating_text(satisfaction["average"]),
                "detail": _("%(share)s satisfied of %(rated)s rated")
                % {"share": rate_text(satisfaction["satisfied_share"]), "rated": satisfaction["rated"]}
                if satisfaction["rated"]
                else _("no rating yet"),
            },
            {
                "key": "on_duty",
                "label": _("Workers on duty"),
                "value": sum(team["on_duty"] for team in teams),
            },
        ],
        "overdue": overdue[:OVERDUE_SHOWN],
        "overdue_more": max(figures["backlog"]["overdue"] - OVERDUE_SHOWN, 0),
        "teams": teams,
        "quiet_buildings": quiet,
        "screen_data": {
            "statuses": [{**row, "colour": STATUS_COLOURS[Status(row["key"])]} for row in statuses],
            "buildings": tiles,
            "labels": {
                "orders": _("orders"),
                "overdue": _("overdue"),
                "no_orders_today": _("No order yet today"),
                "no_open_orders": _("No open order"),
            },
        },
    }


def _private(response: HttpResponse) -> HttpResponse:
    # The address holds the display token: no Referer may carry it elsewhere, no cache keep it.
    response["Referrer-Policy"] = "no-referrer"
    add_never_cache_headers(response)
    response["Cache-Control"] += ", no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    patch_vary_headers(response, (TOKEN_HEADER, "HX-Request"))
    return response


def screen(request):
    token = request.GET.get(TOKEN_PARAM)
    viewer = _viewer(request, token)
    if isinstance(viewer, HttpResponse):
        return viewer
    live_url = reverse("insight:screen_live")
    if viewer.display is None and viewer.site is not None:
        live_url += f"?site={viewer.site.code}"
    context = {
        **live_context(viewer),
        "viewer": viewer,
        "title": viewer.display.name if viewer.display else _("Big screen"),
        "place": viewer.site.name if viewer.site else _("Whole hospital"),
        "token": token if viewer.display else "",
        "token_header": TOKEN_HEADER,
        "time_zone": timezone.get_current_timezone_name(),
        "live_url": live_url,
        "refresh_seconds": REFRESH_SECONDS,
    }
    return _private(render(request, "insight/screen.html", context))


def screen_live(request):
    token = request.headers.get(TOKEN_HEADER) or request.GET.get(TOKEN_PARAM)
    viewer = _viewer(request, token)
    if isinstance(viewer, HttpResponse):
        return _private(viewer)
    return _private(render(request, "insight/screen.html#live", {**live_context(viewer), "viewer": viewer}))
