from houqin.org.models import Location, LocationKind
from houqin.org.tests.factories import LocationFactory, SiteFactory


def make_tree():
    site = SiteFactory()
    campus = LocationFactory(code="A", name="本部院区", kind=LocationKind.CAMPUS, site=site)
    building = LocationFactory(code="A1", name="门诊楼", kind=LocationKind.BUILDING, site=site, parent=campus)
    floor = LocationFactory(code="A1-3F", name="3楼", kind=LocationKind.FLOOR, site=site, parent=building)
    room = LocationFactory(code="A1-3F-312", name="312室", kind=LocationKind.ROOM, site=site, parent=floor)
    return site, campus, building, floor, room


def test_a_room_knows_its_whole_path(db):
    _site, campus, building, floor, room = make_tree()
    assert room.full_name == "本部院区 / 门诊楼 / 3楼 / 312室"
    assert room.depth == 3
    assert list(campus.subtree().order_by("depth")) == [campus, building, floor, room]


def test_moving_a_floor_moves_its_rooms(db):
    site, campus, building, floor, room = make_tree()
    other = LocationFactory(code="A2", name="住院楼", kind=LocationKind.BUILDING, site=site, parent=campus)
    floor.parent = other
    floor.save()
    room.refresh_from_db()
    assert room.full_name == "本部院区 / 住院楼 / 3楼 / 312室"
    assert room.tree_path == f"/{campus.pk}/{other.pk}/{floor.pk}/{room.pk}/"
    assert set(building.subtree()) == {building}
    assert Location.objects.search("zyl 312").get() == room


def test_renaming_keeps_the_label_code(db):
    *_, room = make_tree()
    label = room.label_code
    room.code = "A1-3F-312B"
    room.name = "312B室"
    room.save()
    room.refresh_from_db()
    assert room.label_code == label
    assert room.full_name.endswith("312B室")
