"""Pinyin search keys: brackets and punctuation in a name do not break its initials, and the data
migrations bring every stored search_text up to date."""

import importlib

import pytest
from django.apps import apps

from houqin.core.pinyin import rebuild_search_text, search_key
from houqin.org.models import Location, LocationKind, Team
from houqin.org.tests.factories import (
    DirectoryEntryFactory,
    LocationFactory,
    PersonFactory,
    TeamFactory,
    TradeFactory,
)
from houqin.servicedesk.models import ServiceCategory
from houqin.servicedesk.tests.factories import ServiceCategoryFactory

ORG_MIGRATION = importlib.import_module("houqin.org.migrations.0003_rebuild_search_text")
SERVICEDESK_MIGRATION = importlib.import_module("houqin.servicedesk.migrations.0006_rebuild_search_text")


@pytest.mark.parametrize(
    "name, typed",
    [
        ("安保班(外包)", "abbwb"),
        ("安保班（外包）", "abbwb"),
        ("安保班(外包)", "anbaoban"),
        ("安保班(外包)", "anbaobanwaibao"),
        ("【急诊】抢救室", "jzqjs"),
        ("[东区]配电房", "dqpdf"),
        ("门诊楼、医技楼", "mzlyjl"),
        ("设备科，维修组", "sbkwxz"),
        ("设备科,维修组", "sbkwxz"),
        ("保洁·运送", "bjys"),
        ("后勤-保障部", "hqbzb"),
        ("后勤/保障部", "hqbzb"),
        ("后勤 保障部", "hqbzb"),
        ("后勤 保障部", "houqinbaozhangbu"),
        ("门诊楼 / 3楼", "mzl3l"),
    ],
)
def test_brackets_and_punctuation_do_not_break_the_initials(name, typed):
    # The search matches each word typed anywhere in search_text.
    assert any(typed in word for word in search_key(name).split())


def test_codes_and_latin_letters_pass_through():
    assert search_key("ICU病房(2)").split() == ["icu病房(2)", "icubf(2)", "icu病房2", "icubf2", "icubingfang2"]
    assert search_key("A1-3F").split() == ["a1-3f", "a13f"]


def test_a_team_named_with_brackets_is_found_by_its_initials_and_full_pinyin(db):
    team = TeamFactory(name="安保班(外包)")
    TeamFactory(name="保洁班")

    for typed in ("abbwb", "abb wb", "anbaoban", "anbaobanwaibao", "安保班外包"):
        assert list(Team.objects.search(typed)) == [team], typed


def test_rebuilding_writes_only_the_stale_rows(db):
    campus = LocationFactory(code="A", name="本部院区", kind=LocationKind.CAMPUS)
    ward = LocationFactory(code="A2", name="住院楼(新)", kind=LocationKind.BUILDING, site=campus.site, parent=campus)
    room = LocationFactory(code="A2-1", name="【急诊】抢救室", kind=LocationKind.AREA, site=campus.site, parent=ward)
    Location.objects.filter(pk__in=[ward.pk, room.pk]).update(search_text="stale")

    assert rebuild_search_text(Location, ("name", "full_name"), batch_size=2) == 2

    for loc in Location.objects.all():
        assert loc.search_text == loc.build_search_text(), loc.code
    assert "zylxjzqjs" in Location.objects.get(pk=room.pk).search_text
    assert rebuild_search_text(Location, ("name", "full_name")) == 0


def test_the_migrations_recompute_every_stale_search_text(cast):
    campus = LocationFactory(code="A", name="本部院区", kind=LocationKind.CAMPUS, site=cast.site)
    LocationFactory(code="A1", name="门诊楼（东）", kind=LocationKind.BUILDING, site=cast.site, parent=campus)
    TradeFactory(name="电工(高压)")
    team = TeamFactory(name="安保班(外包)")
    PersonFactory(name="王·小明")
    DirectoryEntryFactory(label="护士站（夜班）")
    category = ServiceCategoryFactory(name="水电维修(急)", name_en="Plumbing (urgent)")
    covered = [
        apps.get_model(app_label, name)
        for app_label, migration in (("org", ORG_MIGRATION), ("servicedesk", SERVICEDESK_MIGRATION))
        for name in migration.SEARCH_FIELDS
    ]
    for model in covered:
        assert model.objects.exists(), model
        model.objects.update(search_text="old")

    ORG_MIGRATION.rebuild(apps, None)
    SERVICEDESK_MIGRATION.rebuild(apps, None)

    for model in covered:
        for obj in model.objects.all():
            assert obj.search_text == obj.build_search_text(), obj
    assert list(Team.objects.search("abbwb")) == [team]
    assert list(ServiceCategory.objects.search("sdwxj")) == [category]
