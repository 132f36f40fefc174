"""The demo hospital (manage.py seed_demo, houqin/org/demo.py) and manage.py demo_logins."""

import datetime
import hashlib
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse

from houqin.core.labels import ALPHABET
from houqin.core.models import AuditEntry
from houqin.org.demo import DEFAULT_PASSWORD, DEMO_ACCOUNTS, load_demo
from houqin.org.models import (
    ALLOWED_CHILDREN,
    Certificate,
    Company,
    CompanyKind,
    Department,
    DepartmentKind,
    DirectoryEntry,
    EmploymentType,
    Location,
    LocationKind,
    Person,
    Site,
    Team,
)
from houqin.org.tests.factories import CompanyFactory, LocationFactory, PersonFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 1)
SMALL = 0.1  # every kind of record, ~1,000 locations: quick enough for every test


@pytest.fixture
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def fingerprint() -> str:
    """A hash of everything the demo writes except ids and timestamps (ids differ between
    databases; tree paths are compared through the parent's code)."""
    digest = hashlib.sha256()

    def feed(queryset, *fields):
        for row in queryset.values_list(*fields):
            digest.update(repr(row).encode())

    feed(Site.objects.order_by("code"), "code", "name", "short_name", "address", "phone", "beds")
    feed(
        Location.objects.order_by("code"),
        *("code", "name", "kind", "parent__code", "site__code", "department__code", "label_code", "depth"),
        *("full_name", "search_text", "area_m2"),
    )
    feed(Department.objects.order_by("code"), "code", "name", "kind", "cost_center", "site__code", "phone", "head")
    feed(Company.objects.order_by("code"), "code", "name", "kind", "credit_code", "contact_name", "contact_phone")
    feed(Team.objects.order_by("code"), "code", "name", "company__code", "leader__employee_no", "phone")
    feed(Team.trades.through.objects.order_by("team__code", "trade__code"), "team__code", "trade__code")
    feed(
        Person.objects.order_by("employee_no"),
        *("employee_no", "name", "gender", "phone", "company__code", "department__code", "team__code"),
        *("employment_type", "job_title", "hired_on", "on_duty", "user__username"),
    )
    feed(
        Person.trades.through.objects.order_by("person__employee_no", "trade__code"),
        "person__employee_no",
        "trade__code",
    )
    feed(
        Certificate.objects.order_by("person__employee_no", "number"),
        "person__employee_no",
        "name",
        "number",
        "issued_on",
        "expires_on",
    )
    feed(
        DirectoryEntry.objects.order_by("number"),
        "number",
        "label",
        "department__code",
        "location__code",
        "person__employee_no",
    )
    feed(get_user_model().objects.order_by("username"), "username", "first_name", "is_superuser", "groups__name")
    return digest.hexdigest()


def load_and_fingerprint(**kwargs) -> str:
    with transaction.atomic():
        load_demo(scale=SMALL, today=TODAY, **kwargs)
        result = fingerprint()
        transaction.set_rollback(True)
    return result


def test_the_same_seed_gives_the_same_hospital(fast_hashing):
    first = load_and_fingerprint()
    assert Site.objects.count() == 0  # rolled back: the second load starts from an empty database
    assert load_and_fingerprint() == first
    assert load_and_fingerprint(seed=7) != first


def test_a_full_size_demo_has_the_field_figures(fast_hashing):
    counts = load_demo(scale=1, today=TODAY)
    assert counts["locations"] == Location.objects.count()
    assert 3600 <= Location.objects.count() <= 4400
    beds = dict(Site.objects.values_list("code", "beds"))
    assert 900 <= beds["A"] <= 1100 and 450 <= beds["B"] <= 550
    assert beds["A"] + beds["B"] == Location.objects.filter(kind=LocationKind.BED).count()
    assert 10 <= Location.objects.filter(kind=LocationKind.BUILDING).count() <= 14
    assert 35 <= Department.objects.filter(kind=DepartmentKind.CLINICAL).count() <= 45
    assert 12 <= Department.objects.exclude(kind=DepartmentKind.CLINICAL).count() <= 20
    assert list(Company.objects.filter(kind=CompanyKind.HOSPITAL).values_list("code", flat=True)) == ["HOSP"]
    assert Company.objects.filter(kind=CompanyKind.CONTRACTOR).count() == 6
    assert 3 <= Company.objects.filter(kind=CompanyKind.SUPPLIER).count() <= 5
    assert Team.objects.count() == 7
    logistics = Person.objects.filter(company__code="HOSP", department__code="HQBZC")
    assert 55 <= logistics.count() <= 65
    assert set(logistics.values_list("employment_type", flat=True)) == {
        EmploymentType.PERMANENT,
        EmploymentType.CONTRACT,
        EmploymentType.DISPATCHED,
    }
    contractor_staff = Person.objects.filter(company__kind=CompanyKind.CONTRACTOR)
    assert 280 <= contractor_staff.count() <= 320
    assert set(contractor_staff.values_list("employment_type", flat=True)) == {EmploymentType.OUTSOURCED}
    assert 0.5 <= Person.objects.filter(on_duty=True).count() / Person.objects.count() <= 0.75
    assert 250 <= DirectoryEntry.objects.count() <= 350
    certificates = Certificate.objects.count()
    soon = Certificate.objects.expiring(30, today=TODAY).filter(expires_on__gte=TODAY).count()
    assert 0.03 <= soon / certificates <= 0.08
    assert 1 <= Certificate.objects.filter(expires_on__lt=TODAY).count() <= 0.04 * certificates
    assert AuditEntry.objects.count() == 0  # loading the demo is nobody's change


def test_every_location_is_where_save_would_put_it(fast_hashing):
    load_demo(scale=SMALL, today=TODAY)
    by_id = {loc.pk: loc for loc in Location.objects.all()}
    assert {loc.kind for loc in by_id.values()} == set(LocationKind.values)
    for loc in by_id.values():
        parent = by_id.get(loc.parent_id)
        assert loc.kind in ALLOWED_CHILDREN[parent.kind if parent else None], loc.code
        assert loc.tree_path == f"{parent.tree_path if parent else '/'}{loc.pk}/", loc.code
        assert loc.depth == (parent.depth + 1 if parent else 0), loc.code
        assert loc.full_name == (f"{parent.full_name} / {loc.name}" if parent else loc.name), loc.code
        assert loc.search_text == loc.build_search_text(), loc.code
        assert parent is None or loc.site_id == parent.site_id, loc.code
    # Saving again the normal way changes nothing.
    for loc in list(by_id.values())[::40]:
        loc.full_clean()
        before = (loc.tree_path, loc.depth, loc.full_name, loc.search_text, loc.label_code)
        loc.save()
        loc.refresh_from_db()
        assert (loc.tree_path, loc.depth, loc.full_name, loc.search_text, loc.label_code) == before
    # A location added the normal way next to demo ones looks like them.
    room = Location.objects.get(code="A2-3F-301")
    created = LocationFactory(
        code="A2-3F-399", name="301病房", kind=LocationKind.ROOM, site=room.site, parent=room.parent
    )
    assert (created.depth, created.full_name, created.search_text) == (room.depth, room.full_name, room.search_text)
    assert created.tree_path == room.tree_path.replace(f"/{room.pk}/", f"/{created.pk}/")


def test_codes_numbers_and_labels_are_well_formed(fast_hashing):
    load_demo(scale=SMALL, today=TODAY)
    labels = list(Location.objects.values_list("label_code", flat=True))
    assert len(set(labels)) == len(labels)
    assert all(re.fullmatch(f"L[{ALPHABET}]{{6}}", label) for label in labels)
    assert Location.objects.filter(code="A2-3F-301", name="301病房", department__code="XNK").exists()
    assert Location.objects.filter(code="A2-3F-301-02", name="2床", kind=LocationKind.BED).exists()
    assert not Location.objects.filter(site__isnull=True).exists()
    phones = list(Person.objects.values_list("phone", flat=True))
    assert len(set(phones)) == len(phones)
    assert all(re.fullmatch(r"1[358]\d{9}", phone) for phone in phones)
    assert all(
        re.fullmatch(r"HQ\d{4}|YG\d{4}|WB-[A-Z]+-\d{4}", no)
        for no in Person.objects.values_list("employee_no", flat=True)
    )
    for company in Company.objects.all():
        company.full_clean()
        assert len(company.credit_code) == 18
    for department in Department.objects.all():
        department.full_clean()
        assert re.fullmatch(r"CC-\d{4}", department.cost_center)
    for team in Team.objects.select_related("leader"):
        team.full_clean()
        assert team.leader.team_id == team.pk and team.trades.exists()
    for entry in DirectoryEntry.objects.all()[::10]:
        entry.full_clean()
    nurse_station = DirectoryEntry.objects.get(number="6101")
    assert (nurse_station.department.code, nurse_station.location.name) == ("XNK", "护士站")


def test_every_demo_user_logs_in_with_its_role_and_person(client, fast_hashing):
    load_demo(scale=SMALL, today=TODAY)
    for account in DEMO_ACCOUNTS:
        client.logout()
        response = client.post(reverse("accounts:login"), {"username": account.username, "password": DEFAULT_PASSWORD})
        assert response.status_code == 302, account.username
        user = get_user_model().objects.get(username=account.username)
        assert user.role_codes == ({account.role} if account.role else set())
        if account.role:
            assert user.person.user == user and user.first_name == user.person.name
    people = {p.user.username: p for p in Person.objects.filter(user__isnull=False).select_related("user")}
    assert not hasattr(get_user_model().objects.get(username="admin"), "person")
    assert get_user_model().objects.get(username="admin").is_superuser
    assert (people["sysadmin"].company.code, people["sysadmin"].department.code) == ("HOSP", "XXZX")
    assert (people["director"].department.code, people["director"].job_title) == ("HQBZC", "后勤主任")
    assert people["dispatcher"].led_teams.get().code == "SDWX"
    assert people["worker1"].team.code == "SDWX" and people["worker1"].trades.get().code == "ELEC"
    assert people["worker1"].certificates.get().name == "低压电工作业证"
    assert (people["cleanmgr"].company.code, people["cleanmgr"].company.kind) == ("JKWY", CompanyKind.CONTRACTOR)
    assert (people["nurse"].department.code, people["nurse"].job_title) == ("XNK", "护士长")
    # Their scope works: the contractor manager sees only the cleaning company's people.
    cleanmgr = people["cleanmgr"].user
    assert set(Person.objects.for_user(cleanmgr).values_list("company__code", flat=True)) == {"JKWY"}
    assert set(Person.objects.for_user(people["nurse"].user).values_list("department__code", flat=True)) == {"XNK"}


def test_the_demo_password_comes_from_the_environment(client, fast_hashing, monkeypatch):
    monkeypatch.setenv("HOUQIN_DEMO_PASSWORD", "another-demo-pw")
    load_demo(scale=SMALL, today=TODAY)
    login = reverse("accounts:login")
    assert client.post(login, {"username": "agent1", "password": DEFAULT_PASSWORD}).status_code == 200
    assert client.post(login, {"username": "agent1", "password": "another-demo-pw"}).status_code == 302
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    assert "$HOUQIN_DEMO_PASSWORD" in out.getvalue() and "another-demo-pw" not in out.getvalue()


def test_it_does_nothing_when_the_demo_is_already_loaded(fast_hashing):
    assert "loaded in" in seed("--scale", str(SMALL), "--today", TODAY.isoformat())
    before = fingerprint()
    assert "already loaded" in seed("--scale", str(SMALL))
    assert fingerprint() == before


def test_force_deletes_and_reloads_the_demo(fast_hashing):
    seed("--scale", str(SMALL), "--today", TODAY.isoformat())
    before = fingerprint()
    assert "loaded in" in seed("--scale", str(SMALL), "--today", TODAY.isoformat(), "--force")
    assert fingerprint() == before


def test_force_refuses_when_other_records_use_the_demo(fast_hashing):
    seed("--scale", str(SMALL), "--today", TODAY.isoformat())
    PersonFactory(company=CompanyFactory(code="OTHER"), department=Department.objects.get(code="XNK"))
    before = fingerprint()
    with pytest.raises(CommandError, match="Other records still use the demo data"):
        seed("--scale", str(SMALL), "--force")
    assert fingerprint() == before


def test_it_refuses_a_scale_that_is_not_positive():
    with pytest.raises(CommandError):
        seed("--scale", "0")
    assert not Site.objects.exists()


def test_demo_logins_lists_every_demo_account(fast_hashing):
    load_demo(scale=SMALL, today=TODAY)
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    text = out.getvalue()
    for account in DEMO_ACCOUNTS:
        assert f"| {account.username} " in text and account.role_zh in text
    assert DEFAULT_PASSWORD in text and "http://127.0.0.1:8000/" in text


def test_demo_logins_prints_nothing_without_the_demo():
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    assert out.getvalue() == ""


@pytest.mark.slow
def test_a_larger_scale_adds_second_phase_buildings(fast_hashing):
    counts = load_demo(scale=2, today=TODAY)
    assert 7200 <= counts["locations"] <= 8800
    assert Location.objects.filter(kind=LocationKind.BUILDING, name="二期住院部一号楼").exists()
    assert Location.objects.filter(code="A10").exists()  # building codes run on past 9
    assert 750 <= Person.objects.count() <= 850
