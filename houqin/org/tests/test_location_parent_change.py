"""A new parent given through the API or an import file moves the location like the move page
does (org.services.move_location): the subtree follows, the move is audited as a move, and a
location cannot be placed under its own sub-location."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from houqin.core.exceptions import ConflictError
from houqin.core.models import AuditAction, AuditEntry
from houqin.core.tests.apiclient import api_as
from houqin.core.transfer import import_file
from houqin.org import services
from houqin.org.models import Location, LocationKind
from houqin.org.tests.factories import DepartmentFactory, LocationFactory, SiteFactory
from houqin.org.transfer import LOCATION


@pytest.fixture
def admin_api(cast, client):
    return api_as(client, cast.system_admin)


@pytest.fixture
def tree(cast):
    """本部院区 → 门诊楼 → 3F → 312 → 1床, and 住院楼 beside 门诊楼."""
    campus = LocationFactory(code="A", name="本部院区", kind=LocationKind.CAMPUS, site=cast.site)
    clinic = LocationFactory(code="A1", name="门诊楼", kind=LocationKind.BUILDING, site=cast.site, parent=campus)
    floor = LocationFactory(code="A1-3F", name="3F", kind=LocationKind.FLOOR, site=cast.site, parent=clinic)
    room = LocationFactory(code="A1-3F-312", name="312", kind=LocationKind.ROOM, site=cast.site, parent=floor)
    bed = LocationFactory(code="A1-3F-312-1", name="1床", kind=LocationKind.BED, site=cast.site, parent=room)
    ward = LocationFactory(code="A2", name="住院楼", kind=LocationKind.BUILDING, site=cast.site, parent=campus)
    return campus, clinic, floor, room, bed, ward


def fresh(*locations) -> list[Location]:
    return [Location.objects.get(pk=loc.pk) for loc in locations]


def locations_csv(*rows) -> SimpleUploadedFile:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows([("code", "name", "kind", "parent"), *rows])
    return SimpleUploadedFile("locations.csv", buffer.getvalue().encode("utf-8-sig"))


# --- the API ------------------------------------------------------------------------------------


def test_patching_the_parent_moves_the_subtree(admin_api, cast, tree):
    campus, _clinic, floor, room, bed, ward = tree

    response = admin_api.patch("/locations/A1-3F", {"parent": "A2"})

    assert response.status_code == 200, response.content
    assert response.json()["path"] == "本部院区 / 住院楼 / 3F"
    floor, room, bed = fresh(floor, room, bed)
    assert floor.tree_path == f"/{campus.pk}/{ward.pk}/{floor.pk}/"
    assert room.tree_path == f"/{campus.pk}/{ward.pk}/{floor.pk}/{room.pk}/"
    assert bed.tree_path == f"{room.tree_path}{bed.pk}/"
    assert (room.full_name, room.depth) == ("本部院区 / 住院楼 / 3F / 312", 3)
    assert (bed.full_name, bed.depth) == ("本部院区 / 住院楼 / 3F / 312 / 1床", 4)
    assert Location.objects.search("zyl 312").filter(pk=room.pk).exists()
    # Recorded as a move, like the move page does, and nothing else changed.
    entry = AuditEntry.objects.get(object_id=str(floor.pk), action=AuditAction.MOVE)
    assert entry.actor == cast.system_admin
    assert entry.changes["parent"] == ["A1 门诊楼", "A2 住院楼"]
    assert "2 sub-locations moved with it." in entry.note
    assert not AuditEntry.objects.filter(object_id=str(floor.pk), action=AuditAction.UPDATE).exists()


def test_a_move_and_other_changes_in_one_patch_are_both_kept(admin_api, tree):
    *_, floor, room, _bed, _ward = tree
    DepartmentFactory(code="ZYB", site=floor.site)

    response = admin_api.patch("/locations/A1-3F", {"parent": "A2", "name": "三楼", "department": "ZYB"})

    assert response.status_code == 200, response.content
    floor, room = fresh(floor, room)
    assert (floor.name, floor.department.code) == ("三楼", "ZYB")
    assert room.full_name == "本部院区 / 住院楼 / 三楼 / 312"
    update = AuditEntry.objects.get(object_id=str(floor.pk), action=AuditAction.UPDATE)
    assert set(update.changes) == {"department"}


def test_a_new_kind_is_checked_against_the_new_parent(admin_api, cast, tree):
    *_, floor, room, bed, _ward = tree
    LocationFactory(code="A1-3F-313", name="313", kind=LocationKind.ROOM, site=cast.site, parent=floor)

    # A room may not sit in a room, but an area may: the move must see the kind it is given.
    response = admin_api.patch("/locations/A1-3F-312", {"parent": "A1-3F-313", "kind": "area"})

    assert response.status_code == 200, response.content
    room, bed = fresh(room, bed)
    assert room.kind == LocationKind.AREA
    assert bed.full_name == "本部院区 / 门诊楼 / 3F / 313 / 312 / 1床"


def test_put_with_a_new_parent_moves_the_subtree_too(admin_api, tree):
    *_, floor, room, _bed, _ward = tree

    response = admin_api.put("/locations/A1-3F", {"code": "A1-3F", "name": "3F", "kind": "floor", "parent": "A2"})

    assert response.status_code == 200, response.content
    assert fresh(room)[0].full_name == "本部院区 / 住院楼 / 3F / 312"
    assert AuditEntry.objects.filter(object_id=str(floor.pk), action=AuditAction.MOVE).exists()


def test_it_refuses_moving_a_location_under_its_own_sub_location(admin_api, tree):
    _campus, clinic, floor, room, bed, _ward = tree
    before = [(loc.tree_path, loc.full_name) for loc in fresh(clinic, floor, room, bed)]

    response = admin_api.patch("/locations/A1", {"parent": "A1-3F"})

    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["parent"]
    assert [(loc.tree_path, loc.full_name) for loc in fresh(clinic, floor, room, bed)] == before
    assert not AuditEntry.objects.filter(action=AuditAction.MOVE).exists()


def test_it_refuses_moving_a_location_under_itself(admin_api, tree):
    response = admin_api.patch("/locations/A1-3F", {"parent": "A1-3F"})

    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["parent"]


def test_moving_to_another_sites_parent_moves_the_subtree_to_that_site(admin_api, tree):
    *_, floor, room, bed, _ward = tree
    east = SiteFactory(code="EAST")
    east_building = LocationFactory(code="E1", name="东楼", kind=LocationKind.BUILDING, site=east)

    response = admin_api.patch("/locations/A1-3F", {"parent": "E1", "site": "EAST"})

    assert response.status_code == 200, response.content
    floor, room, bed = fresh(floor, room, bed)
    assert {loc.site_id for loc in (floor, room, bed)} == {east.pk}
    assert bed.full_name == "东楼 / 3F / 312 / 1床"
    assert bed.tree_path.startswith(east_building.tree_path)


def test_patching_other_fields_is_a_plain_update(admin_api, tree):
    *_, floor, _room, _bed, _ward = tree

    response = admin_api.patch("/locations/A1-3F", {"area_m2": "120.5"})

    assert response.status_code == 200, response.content
    assert not AuditEntry.objects.filter(action=AuditAction.MOVE).exists()
    assert AuditEntry.objects.get(object_id=str(floor.pk), action=AuditAction.UPDATE).changes == {
        "area_m2": [None, "120.5"]
    }


# --- the import ---------------------------------------------------------------------------------


def test_an_import_row_with_a_new_parent_moves_the_subtree(cast, tree):
    *_, floor, room, bed, _ward = tree

    result = import_file(LOCATION, locations_csv(("A1-3F", "3F", "floor", "A2")), user=cast.system_admin)

    assert result.ok, result.errors
    assert result.updated == 1
    room, bed = fresh(room, bed)
    assert bed.full_name == "本部院区 / 住院楼 / 3F / 312 / 1床"
    assert bed.tree_path.startswith(fresh(floor)[0].tree_path)
    assert AuditEntry.objects.filter(object_id=str(floor.pk), action=AuditAction.MOVE).exists()


def test_an_import_refuses_a_move_under_its_own_sub_location_and_keeps_nothing(cast, tree):
    _campus, clinic, floor, room, _bed, _ward = tree
    before = [(loc.tree_path, loc.full_name) for loc in fresh(clinic, floor, room)]

    result = import_file(
        LOCATION,
        locations_csv(("A9", "新楼", "building", "A"), ("A1", "门诊楼", "building", "A1-3F")),
        user=cast.system_admin,
    )

    assert not result.ok
    assert [(error.row, error.column) for error in result.errors] == [(3, "parent")]
    assert [(loc.tree_path, loc.full_name) for loc in fresh(clinic, floor, room)] == before
    assert not Location.objects.filter(code="A9").exists()


def test_an_import_row_whose_destination_moved_meanwhile_is_an_error_not_a_crash(cast, tree, monkeypatch):
    *_, floor, room, _bed, _ward = tree

    def moved_meanwhile(*args, **kwargs):
        raise ConflictError("The new parent location was changed meanwhile; please try again.")

    monkeypatch.setattr(services, "move_location", moved_meanwhile)
    result = import_file(LOCATION, locations_csv(("A1-3F", "三楼", "floor", "A2")), user=cast.system_admin)

    assert [(error.row, error.message) for error in result.errors] == [
        (2, "The new parent location was changed meanwhile; please try again.")
    ]
    assert fresh(room)[0].full_name == "本部院区 / 门诊楼 / 3F / 312"
    assert not AuditEntry.objects.filter(object_id=str(floor.pk)).exists()


# --- the edit page ----------------------------------------------------------------------------------


def edit_data(location, **changes) -> dict:
    data = {
        "code": location.code,
        "name": location.name,
        "kind": location.kind,
        "site": location.site_id,
        "parent": location.parent_id or "",
        "is_active": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_the_edit_page_moves_the_subtree_and_audits_a_move(client_for, cast, tree):
    campus, _clinic, floor, room, _bed, ward = tree
    client = client_for(cast.system_admin)

    response = client.post(f"/org/locations/{floor.pk}/edit/", edit_data(floor, parent=ward.pk))

    assert response.status_code == 302, response.content.decode()[:2000]
    (room,) = fresh(room)
    assert room.tree_path == f"/{campus.pk}/{ward.pk}/{floor.pk}/{room.pk}/"
    assert room.full_name == "本部院区 / 住院楼 / 3F / 312"
    assert AuditEntry.objects.filter(object_id=str(floor.pk), action=AuditAction.MOVE).exists()


def test_the_edit_page_refuses_a_move_under_its_own_child(client_for, cast, tree):
    campus, clinic, _floor, room, _bed, _ward = tree
    client = client_for(cast.system_admin)

    response = client.post(f"/org/locations/{clinic.pk}/edit/", edit_data(clinic, parent=room.pk))

    assert response.status_code == 200
    assert "parent" in response.context["form"].errors
    (clinic,) = fresh(clinic)
    assert clinic.parent_id == campus.pk
