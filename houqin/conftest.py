"""The fixed cast of users every test can call on, one per role, plus an outsider."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group

from houqin.org.models import CompanyKind, EmploymentType
from houqin.org.tests.factories import CompanyFactory, DepartmentFactory, PersonFactory, SiteFactory, UserFactory


def make_user(username: str, *roles: str, person_kwargs: dict | None = None):
    user = UserFactory(username=username, first_name=username)
    for role in roles:
        user.groups.add(Group.objects.get(name=role))
    if person_kwargs is not None:
        PersonFactory(user=user, name=username, **person_kwargs)
    return user


@pytest.fixture
def cast(db):
    """hospital, contractor, other_contractor, dept, other_dept and one user per role."""
    site = SiteFactory(code="MAIN", name="本部院区")
    hospital = CompanyFactory(code="HOSP", name="本院", kind=CompanyKind.HOSPITAL)
    contractor = CompanyFactory(code="CLEAN", name="洁康保洁公司")
    other_contractor = CompanyFactory(code="LIFT", name="迅达电梯维保")
    dept = DepartmentFactory(code="XNK", name="心内科", site=site)
    other_dept = DepartmentFactory(code="GK", name="骨科", site=site)
    staff = {"company": hospital, "employment_type": EmploymentType.PERMANENT}
    return SimpleNamespace(
        site=site,
        hospital=hospital,
        contractor=contractor,
        other_contractor=other_contractor,
        dept=dept,
        other_dept=other_dept,
        system_admin=make_user("sysadmin", "system_admin", person_kwargs=staff),
        security_admin=make_user("secadmin", "security_admin", person_kwargs=staff),
        auditor=make_user("auditor", "auditor", person_kwargs=staff),
        director=make_user("director", "director", person_kwargs=staff),
        agent=make_user("agent", "agent", person_kwargs=staff),
        dispatcher=make_user("dispatcher", "dispatcher", person_kwargs=staff),
        worker=make_user("worker", "worker", person_kwargs=staff),
        inspector=make_user("inspector", "inspector", person_kwargs=staff),
        contractor_manager=make_user(
            "cmanager",
            "contractor_manager",
            person_kwargs={"company": contractor, "employment_type": EmploymentType.OUTSOURCED},
        ),
        department_user=make_user("nurse", "department_user", person_kwargs={**staff, "department": dept}),
        outsider=make_user("outsider"),
    )


@pytest.fixture
def client_for(client):
    """client_for(user) → a test client logged in as that user."""

    def login(user):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return login


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def browser_page(live_server, transactional_db, monkeypatch):
    """A Playwright page in Debian's Chromium, with the live server's URL as `page.base`."""
    import os
    import shutil

    if not os.path.exists(CHROMIUM) and not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium fonts-noto-cjk)")
    # Playwright's sync API keeps an event loop in this thread; the ORM calls made by the test
    # itself are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        context = browser.new_context(viewport={"width": 1366, "height": 800}, locale="zh-CN", accept_downloads=True)
        page = context.new_page()
        page.base = live_server.url
        page.set_default_timeout(15000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Code called directly by a test (commands, services) speaks English, so assertions on
    messages do not depend on the translation catalogue; requests still choose their own
    language through the middleware (Chinese by default)."""
    from django.utils import translation

    with translation.override("en"):
        yield
