"""A service desk day in Chromium: log in, find a place by pinyin initials, export a list."""

import io

import openpyxl
import pytest
from django.contrib.auth.models import Group

from houqin.org.models import CompanyKind, EmploymentType, LocationKind
from houqin.org.tests.factories import (
    CompanyFactory,
    DepartmentFactory,
    LocationFactory,
    PersonFactory,
    SiteFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def hospital(transactional_db):
    site = SiteFactory(code="A", name="本部院区")
    campus = LocationFactory(code="A", name="本部院区", kind=LocationKind.CAMPUS, site=site)
    building = LocationFactory(code="A1", name="门诊楼", kind=LocationKind.BUILDING, site=site, parent=campus)
    LocationFactory(code="A2", name="住院楼", kind=LocationKind.BUILDING, site=site, parent=campus)
    floor = LocationFactory(code="A1-3F", name="3楼", kind=LocationKind.FLOOR, site=site, parent=building)
    room = LocationFactory(code="A1-3F-312", name="心内科诊室312", kind=LocationKind.ROOM, site=site, parent=floor)
    DepartmentFactory(code="XNK", name="心内科", site=site)
    DepartmentFactory(code="GK", name="骨科", site=site)
    user = UserFactory(username="sysadmin", first_name="王磊")
    user.groups.add(Group.objects.get(name="system_admin"))
    PersonFactory(
        user=user,
        name="王磊",
        company=CompanyFactory(code="HOSP", kind=CompanyKind.HOSPITAL),
        employment_type=EmploymentType.PERMANENT,
    )
    return room


def log_in(page, username):
    page.goto(page.base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_url(page.base + "/")


def test_an_admin_finds_a_room_by_pinyin_and_exports_departments(browser_page, hospital):
    page = browser_page
    violations = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    log_in(page, "sysadmin")

    # The directory form's location picker: "xnk" (心内科) finds the room by pinyin initials.
    page.goto(page.base + "/org/directory/add/")
    page.fill("#id_number", "6312")
    page.fill("#id_label", "心内科诊室")
    search = page.locator("[data-picker] .hq-picker-input").first
    search.click()
    search.press_sequentially("xnk", delay=60)
    option = page.locator(".hq-picker-item", has_text="A1-3F-312")
    option.wait_for()
    option.click()
    assert page.locator("input[type=hidden][name=location]").input_value() == str(hospital.pk)
    page.click("form button[type=submit].btn-primary")
    page.wait_for_url("**/org/directory/*/")
    assert "心内科诊室312" in page.content()

    # Export the department list as Excel and read the file back.
    page.goto(page.base + "/org/departments/")
    page.click("button:has(.bi-download)")
    with page.expect_download() as download_info:
        page.click(".hq-export-link >> nth=0")
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    # Playwright stores the download under a name without extension, which openpyxl refuses.
    with open(download.path(), "rb") as file:
        sheet = openpyxl.load_workbook(io.BytesIO(file.read())).active
    names = {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert {"心内科", "骨科"} <= names
    assert violations == []
