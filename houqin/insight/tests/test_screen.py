"""The wall displays and the big screen: a display's token is shown once and only its hash is
kept; the screen opens with a valid token and no login, answers 404 to a wrong or revoked one,
refreshes its live part, shows the display's site, and never lets the token out in a Referer."""

import datetime
import hashlib
import json
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone, translation

from houqin.core.models import AuditAction, AuditEntry, SecurityEvent, SecurityEventKind
from houqin.insight import kpis
from houqin.insight.display_services import create_display, display_for_token, revoke_display
from houqin.insight.models import DisplayScreen
from houqin.insight.tests.live_sample import build_day
from houqin.servicedesk.models import Status, WorkOrder

SCREEN = "/insight/screen/"
LIVE = "/insight/screen/live/"
DISPLAYS = "/insight/displays/"


@pytest.fixture
def day(cast):
    return build_day(cast)


@pytest.fixture
def display(cast):
    """A display of the main site, with its token."""
    return create_display(name="服务中心左墙", site=cast.site, by=cast.director)


def tile(html: str, key: str) -> str:
    match = re.search(
        rf'id="screen-tile-{key}">\s*<span class="screen-tile-label">[^<]*</span>\s*'
        r'<span class="screen-tile-value">([^<]*)</span>',
        html,
    )
    assert match, f"no tile {key}"
    return match[1]


def screen_data(html: str) -> dict:
    return json.loads(re.search(r'<script id="screen-data" type="application/json">(.*?)</script>', html, re.S)[1])


def test_the_urls_are_named():
    assert reverse("insight:screen") == SCREEN
    assert reverse("insight:screen_live") == LIVE
    assert reverse("insight:display_list") == DISPLAYS
    assert reverse("insight:display_add") == DISPLAYS + "add/"
    assert reverse("insight:display_revoke", args=[3]) == DISPLAYS + "3/revoke/"


# --- wall displays -------------------------------------------------------------------------------


def test_adding_a_display_shows_its_address_once_and_keeps_only_a_hash(client_for, cast):
    client = client_for(cast.director)

    response = client.post(DISPLAYS + "add/", {"name": "服务中心左墙", "site": cast.site.pk})

    assert response.status_code == 200
    html = response.content.decode()
    url = re.search(r'id="display-screen-url" type="text" readonly value="([^"]+)"', html)[1]
    assert url.startswith("http://testserver/insight/screen/?token=hqd_")
    token = url.split("token=")[1]
    display = DisplayScreen.objects.get()
    assert display.site == cast.site and display.created_by == cast.director
    assert display.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert display.token_hint == token[:10]
    assert token not in str(DisplayScreen.objects.values().get())
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer" or 'name="referrer" content="no-referrer"' in html
    # The list shows the hint, never the token again.
    listing = client.get(DISPLAYS).content.decode()
    assert display.token_hint in listing and token not in listing


def test_adding_a_display_leaves_an_audit_row(cast):
    display, token = create_display(name="大厅", site=None, by=cast.director)

    entry = AuditEntry.objects.get(content_type=ContentType.objects.get_for_model(DisplayScreen))
    assert entry.action == AuditAction.CREATE and entry.actor == cast.director
    assert entry.changes["token_hint"] == [None, display.token_hint]
    assert token not in json.dumps(entry.changes)


def test_it_names_the_missing_name(client_for, cast):
    response = client_for(cast.director).post(DISPLAYS + "add/", {"name": "  ", "site": ""})

    assert response.status_code == 400
    assert response.context["form"].errors["name"]
    assert not DisplayScreen.objects.exists()


# The system administrator may not see the figures, so may not hand out a screen that shows them.
@pytest.mark.parametrize(
    "role", ["worker", "department_user", "dispatcher", "contractor_manager", "agent", "system_admin"]
)
def test_it_refuses_display_management_to_other_roles(client_for, cast, role, display):
    client = client_for(getattr(cast, role))

    assert client.get(DISPLAYS).status_code == 403
    assert client.post(DISPLAYS + "add/", {"name": "x"}).status_code == 403
    assert client.post(DISPLAYS + f"{display[0].pk}/revoke/").status_code == 403
    assert DisplayScreen.objects.get().revoked_at is None


def test_revoking_a_display_closes_its_screen(client, client_for, cast, display):
    screen, token = display
    assert client.get(SCREEN, {"token": token}).status_code == 200

    response = client_for(cast.director).post(DISPLAYS + f"{screen.pk}/revoke/")

    assert response.status_code == 302
    screen.refresh_from_db()
    assert screen.revoked_at is not None
    client.logout()
    assert client.get(SCREEN, {"token": token}).status_code == 404
    assert client.get(LIVE, HTTP_X_DISPLAY_TOKEN=token).status_code == 404
    revoked = AuditEntry.objects.filter(object_id=str(screen.pk), action=AuditAction.UPDATE).get()
    assert "revoked_at" in revoked.changes


def test_revoking_twice_changes_nothing(cast, display):
    screen, _token = display
    revoke_display(screen, by=cast.director)
    first = DisplayScreen.objects.get().revoked_at

    revoke_display(screen, by=cast.director)

    assert DisplayScreen.objects.get().revoked_at == first
    assert AuditEntry.objects.filter(action=AuditAction.UPDATE).count() == 1
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.DISPLAY_TOKEN_REVOKED).count() == 1


def test_creating_and_revoking_a_display_token_are_security_events(cast, display):
    """A display token opens the big screen without a login: the auditor sees who made or ended
    one, with its hint, among the security events (never the token itself)."""
    screen, token = display
    created = SecurityEvent.objects.get(kind=SecurityEventKind.DISPLAY_TOKEN_CREATED)
    assert created.user == cast.director
    assert created.detail == {"display": screen.pk, "name": screen.name, "token_hint": screen.token_hint}
    assert token not in str(created.detail)
    revoke_display(screen, by=cast.director)
    revoked = SecurityEvent.objects.get(kind=SecurityEventKind.DISPLAY_TOKEN_REVOKED)
    assert revoked.user == cast.director and revoked.detail["display"] == screen.pk


# --- the big screen ---------------------------------------------------------------------------


def test_a_display_opens_the_screen_without_a_login(client, cast, day, display):
    _screen, token = display

    response = client.get(SCREEN, {"token": token})

    assert response.status_code == 200
    html = response.content.decode()
    # The main site: orders 1–3 today; open now 1, 3 and yesterday's 7; overdue 1 and 7.
    assert tile(html, "volume") == "3"
    assert tile(html, "open") == "3"
    assert tile(html, "overdue") == "2"
    assert tile(html, "completed") == "1"
    assert tile(html, "satisfaction") == "5.00"
    assert tile(html, "on_duty") == "2"  # 王电工 and 李保洁; 张电工 is off duty
    assert day.today[0].number in html and day.yesterday[1].number in html
    assert day.today[3].number not in html  # the east site's


def test_the_screen_shows_open_orders_by_building(client, cast, day, display):
    data = screen_data(client.get(SCREEN, {"token": display[1]}).content.decode())

    buildings = {row["name"]: row for row in data["buildings"]}
    assert (buildings["门诊楼"]["value"], buildings["门诊楼"]["overdue"]) == (1, 1)
    assert (buildings["住院楼"]["value"], buildings["住院楼"]["overdue"]) == (2, 1)
    assert "东院楼" not in buildings
    statuses = {row["key"]: row["value"] for row in data["statuses"]}
    assert statuses == {Status.ACCEPTED: 2, Status.FOLLOWED_UP: 1}


def test_a_display_of_the_whole_hospital_groups_the_buildings_by_site(client, cast, day):
    _screen, token = create_display(name="总院大屏", site=None, by=cast.director)
    WorkOrder.objects.create(
        number="WO99998", category=day.today[0].category, status=Status.NEW, description="漏水", location=day.east_room
    )

    html = client.get(SCREEN, {"token": token}).content.decode()

    assert tile(html, "volume") == "6"
    sites = {row["name"]: row for row in screen_data(html)["buildings"]}
    assert {child["name"]: child["value"] for child in sites["东院"]["children"]} == {"东院楼": 1}
    assert {child["name"]: child["value"] for child in sites[cast.site.name]["children"]} == {"住院楼": 2, "门诊楼": 1}
    with translation.override("zh-hans"):  # the language of a request without a choice
        elsewhere = translation.gettext("Elsewhere or no place")
    assert sites[elsewhere]["value"] == 1  # the complaint without a place


def test_the_overdue_list_names_number_category_place_and_minutes(client, cast, day, display):
    html = client.get(SCREEN, {"token": display[1]}).content.decode()

    rows = re.findall(
        r"<tr>\s*<td class=\"nowrap\">(WO\d+)</td>\s*<td>([^<]*)</td>.*?screen-late\">([^<]*)<", html, re.S
    )
    assert [(number, category) for number, category, _late in rows] == [
        (day.today[0].number, "电气"),
        (day.yesterday[1].number, "电气"),
    ] or [(number, category) for number, category, _late in rows] == [
        (day.yesterday[1].number, "电气"),
        (day.today[0].number, "电气"),
    ]
    assert all(re.fullmatch(r"2[01] \D+", late.strip()) for _number, _category, late in rows)
    assert "住院楼 / 1F / ZY-201" in html


@pytest.mark.parametrize("token", ["", "hqd_wrong", "x" * 500, "hqd_\x00"])
def test_it_answers_404_to_a_wrong_token(client, cast, display, token):
    response = client.get(SCREEN, {"token": token})

    assert response.status_code == 404
    # The same 404 as for a page that does not exist: no hint of what was wrong.
    html = response.content.decode().lower()
    assert "revoked" not in html and "invalid" not in html and "display" not in html


def test_a_wrong_token_is_refused_even_to_a_logged_in_director(client_for, cast, display):
    assert client_for(cast.director).get(SCREEN, {"token": "hqd_wrong"}).status_code == 404


def test_without_a_token_an_anonymous_visitor_goes_to_the_login(client):
    response = client.get(SCREEN)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/insight/screen/")


def test_a_poll_after_the_session_ended_sends_the_page_to_the_login(client):
    response = client.get(LIVE, HTTP_HX_REQUEST="true")

    assert response.status_code == 401
    assert response["HX-Redirect"].startswith("/accounts/login/")


def test_a_user_with_the_kpi_right_opens_the_screen_without_a_token(client_for, cast, day):
    response = client_for(cast.director).get(SCREEN)

    assert response.status_code == 200
    assert tile(response.content.decode(), "volume") == "5"
    narrowed = client_for(cast.director).get(SCREEN, {"site": "EAST"}).content.decode()
    assert tile(narrowed, "volume") == "1"
    assert 'hx-get="/insight/screen/live/?site=EAST"' in narrowed


def test_a_contractor_manager_sees_their_companys_screen(client_for, cast, day):
    html = client_for(cast.contractor_manager).get(SCREEN).content.decode()

    assert tile(html, "volume") == "2"
    assert tile(html, "overdue") == "1"
    assert "保洁一组" in html and "电工班" not in html


@pytest.mark.parametrize("role", ["worker", "department_user", "agent", "system_admin"])
def test_it_refuses_the_screen_without_the_kpi_right(client_for, cast, role):
    assert client_for(getattr(cast, role)).get(SCREEN).status_code == 403


def test_an_unknown_site_answers_404(client_for, cast):
    assert client_for(cast.director).get(SCREEN, {"site": "NOWHERE"}).status_code == 404


def test_the_token_does_not_leak_into_a_referer_or_a_cache(client, cast, display):
    _screen, token = display

    response = client.get(SCREEN, {"token": token})

    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert '<meta name="referrer" content="no-referrer">' in html
    # The live part sends the token in a header, not in its address.
    assert f'hx-get="{LIVE}"' in html and f'"X-Display-Token": "{token}"' in html
    live = client.get(LIVE, HTTP_X_DISPLAY_TOKEN=token, HTTP_HX_REQUEST="true")
    assert live["Referrer-Policy"] == "no-referrer" and "no-store" in live["Cache-Control"]


def test_the_live_part_refreshes_with_new_figures(client, cast, day, display):
    _screen, token = display
    first = client.get(LIVE, HTTP_X_DISPLAY_TOKEN=token, HTTP_HX_REQUEST="true").content.decode()
    assert tile(first, "volume") == "3"
    assert "<html" not in first and 'id="screen-data"' in first

    made = WorkOrder.objects.create(
        number="WO99999",
        category=day.today[0].category,
        status=Status.NEW,
        description="新报修",
        location=day.today[0].location,
    )
    second = client.get(LIVE, HTTP_X_DISPLAY_TOKEN=token, HTTP_HX_REQUEST="true").content.decode()

    assert tile(second, "volume") == "4"
    assert made.status in {row["key"] for row in screen_data(second)["statuses"]}


def test_the_screen_notes_when_it_was_last_seen_at_most_once_a_minute(client, cast, display):
    screen, token = display
    assert screen.last_seen is None

    client.get(SCREEN, {"token": token})
    seen = DisplayScreen.objects.get().last_seen
    assert seen is not None
    client.get(LIVE, HTTP_X_DISPLAY_TOKEN=token)
    assert DisplayScreen.objects.get().last_seen == seen

    a_minute_ago = timezone.now() - datetime.timedelta(seconds=61)
    DisplayScreen.objects.update(last_seen=a_minute_ago)
    client.get(LIVE, HTTP_X_DISPLAY_TOKEN=token)
    assert DisplayScreen.objects.get().last_seen > a_minute_ago


def test_display_for_token_refuses_what_cannot_be_a_token(cast, display):
    assert display_for_token(None) is None
    assert display_for_token("") is None
    assert display_for_token(display[1]) == display[0]


def test_overdue_minutes_count_from_the_first_deadline_missed(cast, day):
    now = timezone.now()
    order = day.today[0]  # response due 20 minutes ago, not dispatched

    assert kpis.overdue_minutes(order, now) == 20
    assert kpis.overdue_minutes(day.today[2], now) == 0


def test_the_screen_needs_few_queries(client, client_for, cast, day, display, django_assert_max_num_queries):
    _screen, token = display
    client.get(SCREEN, {"token": token})  # last seen: written now, not again this minute
    with django_assert_max_num_queries(12):
        assert client.get(SCREEN, {"token": token}).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(LIVE, HTTP_X_DISPLAY_TOKEN=token, HTTP_HX_REQUEST="true").status_code == 200
    director = client_for(cast.director)
    with django_assert_max_num_queries(16):
        assert director.get(LIVE, HTTP_HX_REQUEST="true").status_code == 200


def test_the_overdue_list_leaves_out_the_campus_named_like_the_site(cast):
    from houqin.insight.screen_views import _place_text
    from houqin.org.models import LocationKind
    from houqin.org.tests.factories import LocationFactory

    campus = LocationFactory(code="BB", name=cast.site.name, site=cast.site, kind=LocationKind.CAMPUS)
    building = LocationFactory(code="BB-ZY", name="住院楼", site=cast.site, parent=campus, kind=LocationKind.BUILDING)

    assert _place_text(building) == "住院楼"
    assert _place_text(campus) == cast.site.name
    assert _place_text(None) == "—"
