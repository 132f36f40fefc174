"""The location tree, moving locations, the pickers, QR label sheets and the public /q/ page."""

import re
import threading
import time
from types import SimpleNamespace

import pytest
import segno
from django.core.exceptions import ValidationError
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from houqin.core.exceptions import ConflictError
from houqin.core.labels import label_url
from houqin.core.models import AuditAction, AuditEntry
from houqin.org import location_views
from houqin.org.models import Location, LocationKind
from houqin.org.services import move_location
from houqin.org.tests.factories import LocationFactory, PersonFactory, SiteFactory, TeamFactory, in_english

HTMX = {"HTTP_HX_REQUEST": "true"}


def loc(code, name, kind, parent=None, site=None):
    return LocationFactory(code=code, name=name, kind=kind, parent=parent, site=site or parent.site)


@pytest.fixture
def hospital(cast):
    site = cast.site
    site.phone = "0571-8888 1234"
    site.save()
    campus = loc("A", "本部院区", LocationKind.CAMPUS, site=site)
    outpatient = loc("A1", "门诊楼", LocationKind.BUILDING, campus)
    inpatient = loc("A2", "住院楼", LocationKind.BUILDING, campus)
    floor1 = loc("A1-1F", "1楼", LocationKind.FLOOR, outpatient)
    floor3 = loc("A1-3F", "3楼", LocationKind.FLOOR, outpatient)
    room103 = loc("A1-1F-103", "103室", LocationKind.ROOM, floor1)
    room312 = loc("A1-3F-312", "312室", LocationKind.ROOM, floor3)
    station = loc("A1-3F-313", "心内科护士站", LocationKind.ROOM, floor3)
    bed = loc("A1-3F-312-1", "1床", LocationKind.BED, room312)
    return SimpleNamespace(**locals())


def picked(response):
    assert response.status_code == 200, response.content
    return [item["label"] for item in response.json()["items"]]


# --- the tree ------------------------------------------------------------------------------


def test_the_tree_shows_the_roots_with_their_child_counts(hospital, cast, client_for):
    response = client_for(cast.worker).get(reverse("org:location_tree"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "本部院区" in page
    assert f'hx-get="{reverse("org:location_children", args=[hospital.campus.pk])}"' in page
    assert '<span class="hq-tree-count"' in page
    # Buildings are not loaded until the campus is opened.
    assert "门诊楼" not in page


def test_opening_a_node_loads_its_children(hospital, cast, client_for):
    url = reverse("org:location_children", args=[hospital.outpatient.pk])
    response = client_for(cast.worker).get(url, **HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    assert "A1-1F" in page and "A1-3F" in page
    assert "住院楼" not in page
    # 3楼 has two rooms; its children come with the next click.
    assert re.search(r'class="hq-tree-count"[^>]*>2<', page)
    assert f'href="{reverse("org:location_labels")}?location={hospital.floor3.pk}"' in page


def test_children_are_counted_without_a_query_per_child(hospital, cast, client_for):
    client = client_for(cast.worker)

    def queries_for(floor):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("org:location_children", args=[floor.pk]), **HTMX)
        assert response.status_code == 200
        return len(ctx.captured_queries)

    small = loc("A2-1F", "1楼", LocationKind.FLOOR, hospital.inpatient)
    large = loc("A2-2F", "2楼", LocationKind.FLOOR, hospital.inpatient)
    for parent, count in ((small, 3), (large, 30)):
        for i in range(count):
            room = loc(f"{parent.code}-{i:02d}", f"{i}室", LocationKind.ROOM, parent)
            loc(f"{room.code}-1", "1床", LocationKind.BED, room)
    queries_for(small)  # warm the session and permission caches alike
    assert queries_for(small) == queries_for(large)


def test_children_come_in_natural_order_of_their_codes(hospital, cast, client_for):
    for floor in (10, 2, 11):
        loc(f"A2-{floor}F", f"{floor}楼", LocationKind.FLOOR, hospital.inpatient)
    url = reverse("org:location_children", args=[hospital.inpatient.pk])
    page = client_for(cast.worker).get(url, **HTMX).content.decode()
    assert re.findall(r'<code class="hq-tree-code">([^<]+)</code>', page) == ["A2-2F", "A2-10F", "A2-11F"]


def test_the_tree_opened_at_a_location_takes_a_fixed_number_of_queries(
    hospital, cast, client_for, django_assert_max_num_queries
):
    client = client_for(cast.system_admin)
    with django_assert_max_num_queries(11):  # 10 + the bell's unread count in the top bar
        response = client.get(reverse("org:location_tree"), {"focus": hospital.bed.pk, "q": "mzl"})
    assert response.status_code == 200


def test_the_children_url_without_htmx_opens_the_tree_there(hospital, cast, client_for):
    response = client_for(cast.worker).get(reverse("org:location_children", args=[hospital.floor3.pk]))
    assert response.status_code == 302
    assert f"focus={hospital.floor3.pk}" in response["Location"]


def test_focus_opens_the_tree_down_to_a_location(hospital, cast, client_for):
    response = client_for(cast.worker).get(reverse("org:location_tree"), {"focus": "A1-3F-312"})
    page = response.content.decode()
    assert "门诊楼" in page and "3楼" in page and "312室" in page
    assert "hq-tree-focus" in page
    assert "住院楼" in page  # the campus's other children are shown too
    assert "103室" not in page  # but 1楼 stays closed


def test_searching_the_tree_by_pinyin_shows_the_full_path(hospital, cast, client_for):
    response = client_for(cast.worker).get(reverse("org:location_tree"), {"q": "xnk"})
    page = response.content.decode()
    assert "心内科护士站" in page
    assert f'?focus={hospital.floor3.pk}#loc-{hospital.floor3.pk}">3楼</a>' in page
    assert "312室" not in page


def test_the_tree_filters_by_site(hospital, cast, client_for):
    other = SiteFactory(code="EAST", name="东院")
    east = loc("E", "东院区", LocationKind.CAMPUS, site=other)
    page = client_for(cast.worker).get(reverse("org:location_tree"), {"site": "EAST"}).content.decode()
    assert f'id="loc-{east.pk}"' in page
    assert f'id="loc-{hospital.campus.pk}"' not in page


def test_the_search_answers_an_htmx_request_with_the_tree_body_only(hospital, cast, client_for):
    response = client_for(cast.worker).get(
        reverse("org:location_tree"), {"q": "312"}, HTTP_HX_TARGET="hq-tree-body", **HTMX
    )
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="hq-tree-body">')
    assert "312室" in page


def test_it_refuses_the_tree_without_the_view_permission(hospital, cast, client_for):
    assert client_for(cast.outsider).get(reverse("org:location_tree")).status_code == 403


def test_it_sends_anonymous_visitors_of_the_tree_to_the_login(hospital, client):
    response = client.get(reverse("org:location_tree"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_the_detail_page_extras_link_ancestors_and_children(hospital, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        html = render_to_string("org/location_extras.html", {"location": hospital.floor3})
    for ancestor in (hospital.campus, hospital.outpatient):
        assert f'href="{reverse("org:location_detail", args=[ancestor.pk])}">{ancestor.name}</a>' in html
    assert f'href="{reverse("org:location_detail", args=[hospital.room312.pk])}">312室</a>' in html
    assert f"{reverse('org:location_labels')}?location={hospital.floor3.pk}" in html


# --- moving --------------------------------------------------------------------------------


def test_moving_a_floor_to_another_building_moves_its_rooms(hospital, cast, client_for):
    url = reverse("org:location_move", args=[hospital.floor3.pk])
    response = client_for(cast.system_admin).post(url, {"parent": "A2", "name": "3楼东"})
    assert response.status_code == 302
    hospital.bed.refresh_from_db()
    assert hospital.bed.full_name == "本部院区 / 住院楼 / 3楼东 / 312室 / 1床"
    assert hospital.bed.tree_path.startswith(hospital.inpatient.tree_path)
    entry = AuditEntry.objects.get(action=AuditAction.MOVE)
    assert entry.object_id == str(hospital.floor3.pk)
    assert entry.actor == cast.system_admin
    assert entry.changes["parent"] == ["A1 门诊楼", "A2 住院楼"]
    assert entry.changes["name"] == ["3楼", "3楼东"]
    assert entry.note == "3 个下级位置随之移动。"  # "3 sub-locations moved with it.", in the mover's Chinese


def test_it_refuses_to_move_a_location_under_its_own_descendant(hospital, cast, client_for):
    url = reverse("org:location_move", args=[hospital.outpatient.pk])
    response = client_for(cast.system_admin).post(url, {"parent": hospital.floor3.pk, "name": "门诊楼"})
    assert response.status_code == 200
    assert "parent" in response.context["form"].errors
    assert "位置不能放在自身或其下级位置之下" in response.content.decode()  # "… cannot be placed inside itself …"
    hospital.outpatient.refresh_from_db()
    assert hospital.outpatient.parent == hospital.campus
    assert not AuditEntry.objects.filter(action=AuditAction.MOVE).exists()


def test_it_makes_a_location_top_level_only_when_asked_to(hospital, cast, client_for):
    client = client_for(cast.system_admin)
    url = reverse("org:location_move", args=[hospital.inpatient.pk])
    response = client.post(url, {"parent": "", "name": "住院楼"})
    assert "parent" in response.context["form"].errors
    hospital.inpatient.refresh_from_db()
    assert hospital.inpatient.parent == hospital.campus
    assert client.post(url, {"parent": "", "top_level": "on", "name": "住院楼"}).status_code == 302
    hospital.inpatient.refresh_from_db()
    assert hospital.inpatient.parent is None
    assert hospital.inpatient.full_name == "住院楼"


def test_it_refuses_a_parent_of_the_wrong_kind(hospital, cast, client_for):
    url = reverse("org:location_move", args=[hospital.room312.pk])
    response = client_for(cast.system_admin).post(url, {"parent": "A2", "name": "312室"})
    assert "parent" in response.context["form"].errors
    assert not AuditEntry.objects.exists()


def test_it_refuses_an_empty_name(hospital, cast, client_for):
    url = reverse("org:location_move", args=[hospital.room312.pk])
    response = client_for(cast.system_admin).post(url, {"parent": "A1-3F", "name": "  "})
    assert "name" in response.context["form"].errors


def test_the_move_page_offers_only_fitting_parents(hospital, cast, client_for):
    response = client_for(cast.system_admin).get(reverse("org:location_move", args=[hospital.room312.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert f"{reverse('org:location_pick')}?kind=area&amp;kind=floor" in page
    assert 'value="A1-3F 3楼"' in page  # the current parent, shown by name


def test_it_refuses_the_move_page_without_the_change_permission(hospital, cast, client_for):
    url = reverse("org:location_move", args=[hospital.floor3.pk])
    assert client_for(cast.agent).post(url, {"parent": "A2", "name": "3楼"}).status_code == 403
    assert not AuditEntry.objects.exists()


def test_moving_under_a_parent_of_another_site_moves_the_subtree_to_that_site(hospital, cast):
    east = SiteFactory(code="EAST")
    east_campus = loc("E", "东院区", LocationKind.CAMPUS, site=east)
    move_location(hospital.outpatient, parent=east_campus, name="门诊楼", by=cast.system_admin)
    assert hospital.outpatient.site == east
    assert set(Location.objects.filter(site=east)) == {
        east_campus,
        *Location.objects.filter(tree_path__startswith=hospital.outpatient.tree_path),
    }
    entry = AuditEntry.objects.get(action=AuditAction.MOVE)
    changes = entry.changes
    assert changes["site"] == [cast.site.name, east.name]
    assert changes["parent"] == ["A 本部院区", "E 东院区"]
    assert "name" not in changes  # only what changed
    assert entry.note == "6 sub-locations moved with it."


def test_the_audit_note_counts_a_single_sub_location(hospital, cast):
    move_location(hospital.room312, parent=hospital.floor1, name="312室", by=cast.system_admin)
    assert AuditEntry.objects.get(action=AuditAction.MOVE).note == "1 sub-location moved with it."


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_crossing_moves_cannot_make_a_cycle(monkeypatch):
    """X into Y's subtree and, at the same time, Y into X's subtree: one waits for the other's
    row locks and is then refused."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    site = SiteFactory()
    root = loc("R", "区域", LocationKind.AREA, site=site)
    for name in ("X", "Y"):
        loc(f"{name}C", f"{name}子区", LocationKind.AREA, loc(name, f"{name}区", LocationKind.AREA, root))
    full_clean = Location.full_clean

    def slow_full_clean(self, *args, **kwargs):
        full_clean(self, *args, **kwargs)
        time.sleep(0.5)  # hold the locks while the other move starts

    monkeypatch.setattr(Location, "full_clean", slow_full_clean)
    outcomes = []

    def move(code, parent_code):
        try:
            location, parent = Location.objects.get(code=code), Location.objects.get(code=parent_code)
            move_location(location, parent=parent, name=location.name, by=None)
            outcomes.append("moved")
        except (ConflictError, ValidationError):
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=move, args=("X", "YC")), threading.Thread(target=move, args=("Y", "XC"))]
    for thread in threads:
        thread.start()
        time.sleep(0.1)
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["moved", "refused"]
    paths = {location.code: location.tree_path for location in Location.objects.all()}
    assert not (paths["X"].startswith(paths["Y"]) and paths["Y"].startswith(paths["X"]))


def test_moving_nowhere_writes_nothing(hospital, cast):
    move_location(hospital.floor3, parent=hospital.outpatient, name="3楼", by=cast.system_admin)
    assert not AuditEntry.objects.exists()


def test_label_codes_survive_renames_and_moves(hospital, cast, client):
    before = hospital.room312.label_code
    move_location(hospital.room312, parent=hospital.floor1, name="112室", by=cast.system_admin)
    move_location(hospital.floor1, parent=hospital.inpatient, name="1楼", by=cast.system_admin)
    hospital.room312.refresh_from_db()
    assert hospital.room312.label_code == before
    page = client.get(f"/q/{before}").content.decode()
    assert "本部院区 / 住院楼 / 1楼 / 112室" in page


# --- pickers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "first"),
    [
        ("A1-3F-312", "A1-3F-312 312室"),  # the exact code before the bed under it
        ("a1-3f-3", "A1-3F-312 312室"),  # code prefix, any case
        ("心内科", "A1-3F-313 心内科护士站"),
        ("xnk", "A1-3F-313 心内科护士站"),
        ("mzl3", "A1-3F 3楼"),  # pinyin initials of the path, typed without spaces
        ("mzl 3", "A1-3F 3楼"),
        ("门诊楼3楼", "A1-3F 3楼"),
        ("zyl", "A2 住院楼"),
    ],
)
def test_the_location_picker_finds_by_code_name_and_pinyin(hospital, cast, client_for, q, first):
    labels = picked(client_for(cast.worker).get(reverse("org:location_pick"), {"q": q}))
    assert labels[0] == first


def test_the_location_picker_puts_code_prefixes_before_name_matches(hospital, cast, client_for):
    loc("A2-9F", "A1备用层", LocationKind.FLOOR, hospital.inpatient)
    labels = picked(client_for(cast.worker).get(reverse("org:location_pick"), {"q": "A1"}))
    assert labels[0] == "A1 门诊楼"
    assert labels[-1] == "A2-9F A1备用层"
    assert all(label.startswith("A1") for label in labels[:-1])


def test_the_location_picker_answers_with_path_and_filters_by_kind(hospital, cast, client_for):
    response = client_for(cast.worker).get(reverse("org:location_pick"), {"q": "mzl", "kind": "room"})
    items = response.json()["items"]
    assert {item["label"] for item in items} == {"A1-1F-103 103室", "A1-3F-312 312室", "A1-3F-313 心内科护士站"}
    assert {"id": hospital.room312.pk, "label": "A1-3F-312 312室", "detail": "本部院区 / 门诊楼 / 3楼 / 312室"} in items


def test_the_location_picker_gives_at_most_20_in_few_queries(hospital, cast, client_for, django_assert_max_num_queries):
    for i in range(25):
        loc(f"A1-3F-{i + 400}", f"{i + 400}室", LocationKind.ROOM, hospital.floor3)
    client = client_for(cast.worker)
    with django_assert_max_num_queries(6):
        labels = picked(client.get(reverse("org:location_pick"), {"q": "a1-3f-4"}))
    assert len(labels) == 20


def test_the_location_picker_refuses_an_unknown_kind(hospital, cast, client_for):
    response = client_for(cast.worker).get(reverse("org:location_pick"), {"q": "a", "kind": "castle"})
    assert response.status_code == 400
    assert "kind" in response.json()["errors"]


def test_the_pickers_refuse_users_without_the_view_permission(hospital, cast, client_for, client):
    assert client.get(reverse("org:location_pick"), {"q": "A"}).status_code == 403
    response = client_for(cast.outsider).get(reverse("org:location_pick"), {"q": "A"})
    assert response.status_code == 403
    assert response.json()["detail"]
    # Workers see places, not the staff list.
    assert client_for(cast.worker).get(reverse("org:person_pick"), {"q": "张"}).status_code == 403


def test_the_person_picker_shows_company_team_and_phone(cast, client_for):
    team = TeamFactory(name="强电班", company=cast.hospital)
    PersonFactory(name="王小明", employee_no="W001", company=cast.hospital, team=team, phone="18612345678")
    client = client_for(cast.agent)
    items = client.get(reverse("org:person_pick"), {"q": "wxm"}).json()["items"]
    assert [(item["label"], item["detail"]) for item in items] == [("王小明 (W001)", "本院 · 强电班 · 18612345678")]
    assert picked(client.get(reverse("org:person_pick"), {"q": "1861234"})) == ["王小明 (W001)"]
    assert picked(client.get(reverse("org:person_pick"), {"q": "w001"}))[0] == "王小明 (W001)"


def test_the_person_picker_keeps_a_contractor_to_its_own_staff(cast, client_for):
    PersonFactory(name="李保洁", company=cast.contractor)
    PersonFactory(name="李电梯", company=cast.other_contractor)
    labels = picked(client_for(cast.contractor_manager).get(reverse("org:person_pick"), {"q": "李"}))
    assert [label.split(" ")[0] for label in labels] == ["李保洁"]


# --- QR labels -----------------------------------------------------------------------------


def qr_modules(svg: str) -> set[tuple[int, int]]:
    """The dark modules drawn by segno's SVG path: (row, column) pairs."""
    path = re.search(r' d="([^"]+)"', svg).group(1)
    x = y = 0.0
    dark = set()
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:
            dark |= {(int(y), int(x) + i) for i in range(int(float(a)))}
            x += float(a)
    return dark


def expected_modules(text: str, border: int = 2) -> set[tuple[int, int]]:
    matrix = segno.make_qr(text, error="m").matrix
    return {(r + border, c + border) for r, row in enumerate(matrix) for c, dark in enumerate(row) if dark}


def test_a_label_sheet_has_a_qr_code_of_the_short_url_per_room(hospital, cast, client_for):
    response = client_for(cast.worker).get(reverse("org:location_labels"), {"location": "A1", "kind": "room"})
    assert response.status_code == 200
    page = response.content.decode()
    labels = page.split('<div class="hq-label">')[1:]
    assert len(labels) == 3
    svgs = re.findall(r"<svg.*?</svg>", page, re.S)
    assert len(svgs) == 3
    room = hospital.room312
    url = label_url(room.label_code)
    assert url.endswith(f"/q/{room.label_code}")
    svg = next(s for s in svgs if f"<title>{url}</title>" in s)
    assert qr_modules(svg) == expected_modules(url)
    label = next(text for text in labels if url in text)
    assert f'<div class="hq-label-short">{room.label_code}</div>' in label
    assert "312室" in label and "A1-3F-312" in label and "本部院区 / 门诊楼 / 3楼 / 312室" in label
    assert "data-print" in page
    assert "共 3 个标签，1 页 A4 纸。" in page  # "3 labels on 1 A4 page."


def test_a_label_sheet_for_listed_locations(hospital, cast, client_for):
    ids = f"{hospital.room103.pk},A1-3F-313"
    page = client_for(cast.worker).get(reverse("org:location_labels"), {"ids": ids}).content.decode()
    assert page.count("<svg") == 2
    assert label_url(hospital.station.label_code) in page


def test_a_label_sheet_says_when_it_was_cut(hospital, cast, client_for, monkeypatch):
    monkeypatch.setattr(location_views, "LABELS_LIMIT", 2)
    response = client_for(in_english(cast.worker)).get(reverse("org:location_labels"), {"location": "A1-3F"})
    assert response.context["cut"] is True
    assert response.content.decode().count("<svg") == 2
    assert "Only the first 2 labels are shown" in response.content.decode()
    assert "2 labels on 1 A4 page." in response.content.decode()


def test_a_label_sheet_names_a_bad_selection(hospital, cast, client_for):
    response = client_for(cast.worker).get(reverse("org:location_labels"), {"location": "NOPE"})
    assert response.status_code == 200
    assert "location" in response.context["form"].errors
    assert "<svg" not in response.content.decode()


def test_it_refuses_label_sheets_without_the_view_permission(hospital, cast, client_for):
    assert client_for(cast.outsider).get(reverse("org:location_labels"), {"location": "A1"}).status_code == 403


# --- the public page behind a label ----------------------------------------------------------


def test_a_scanned_label_opens_without_login_in_any_case(hospital, client):
    code = hospital.room312.label_code
    for typed in (code, code.lower()):
        response = client.get(f"/q/{typed}")
        assert response.status_code == 200
        page = response.content.decode()
        assert "312室" in page and "本部院区 / 门诊楼 / 3楼 / 312室" in page
        assert 'href="tel:0571-88881234"' in page
        assert "A1-3F-312" not in page  # the internal code stays inside


def test_an_unknown_label_code_is_not_found(hospital, client):
    assert client.get("/q/LXXXXXX").status_code == 404
