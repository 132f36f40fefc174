"""On a phone-sized screen in Chromium: the worker arrives and completes a job with a photo, then
the nurse who asked confirms it and rates it."""

import pytest

from houqin.org.models import LocationKind
from houqin.org.tests.factories import LocationFactory, TeamFactory
from houqin.servicedesk import services
from houqin.servicedesk.models import FollowUpMethod, Status, WorkOrder, WorkOrderPhoto
from houqin.servicedesk.tests.factories import ServiceCategoryFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


@pytest.fixture
def job(cast):
    site = cast.site
    building = LocationFactory(code="A1", name="住院楼", kind=LocationKind.BUILDING, site=site)
    room = LocationFactory(code="A1-5F-512", name="512病房", kind=LocationKind.ROOM, site=site, parent=building)
    repairs = ServiceCategoryFactory(code="WX", name="维修", icon="tools")
    electrical = ServiceCategoryFactory(code="WX-DQ", name="电气", parent=repairs, icon="lightning-charge")
    worker = cast.worker.person
    worker.team = TeamFactory(company=cast.hospital, name="电工班")
    worker.save()
    order = services.create_work_order(
        category=electrical,
        description="床头灯不亮",
        by=cast.department_user,
        location=room,
        department=cast.dept,
        requester_user=cast.department_user,
        channel="mobile",
    )
    return services.dispatch(order, by=cast.agent, assignee=worker)


def log_in(page, username):
    page.goto(page.base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_url(page.base + "/")


def test_a_worker_completes_on_a_phone_and_the_requester_rates(browser_page, job):
    page = browser_page
    page.set_viewport_size(PHONE)
    violations = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)

    log_in(page, "worker")
    page.goto(page.base + "/servicedesk/m/")
    page.click(f"a.hq-job[href$='/m/jobs/{job.pk}/']")
    page.click("form[action$='/start/'] button.hq-big")
    page.wait_for_selector("form[action$='/complete/']")
    assert WorkOrder.objects.get(pk=job.pk).status == Status.IN_PROGRESS

    page.fill("#id_complete-note", "更换床头灯灯管")
    page.fill("#id_complete-labor_minutes", "20")
    page.select_option("#id_complete-difficulty", "1.5")
    page.set_input_files("#id_complete-photos", [{"name": "result.png", "mimeType": "image/png", "buffer": PNG}])
    # The big button is reachable above the bottom bar on a 390 px wide screen.
    button = page.locator("form[action$='/complete/'] button.hq-big")
    button.scroll_into_view_if_needed()
    assert button.bounding_box()["width"] > 300
    button.click()
    page.wait_for_url(page.base + "/servicedesk/m/")
    assert page.locator(".alert-success").count() == 1
    done = WorkOrder.objects.get(pk=job.pk)
    assert done.status == Status.COMPLETED and done.labor_minutes == 20 and str(done.difficulty) == "1.50"
    assert WorkOrderPhoto.objects.filter(order=done).count() == 1

    page.goto(page.base + "/servicedesk/m/me/")
    page.click("form[action$='/accounts/logout/'] button")
    log_in(page, "nurse")
    page.goto(page.base + "/servicedesk/portal/")
    page.click(f"a.hq-job[href$='/portal/requests/{job.pk}/']")
    page.click("label[for='id_rate-rating_0']")  # the first tile: 5
    page.fill("#id_rate-comment", "修得很快")
    page.click("form[action$='/rate/'] button.hq-big")
    page.wait_for_selector(".alert-success")
    assert page.locator(".hq-stars .bi-star-fill").count() == 5
    rated = WorkOrder.objects.get(pk=job.pk)
    assert rated.status == Status.FOLLOWED_UP and rated.rating == 5
    assert rated.follow_up_method == FollowUpMethod.REQUESTER and rated.rating_comment == "修得很快"
    # The photo opens for the requester, through the scoped view.
    photo_link = page.locator(".hq-photos a").first.get_attribute("href")
    assert page.request.get(page.base + photo_link).body() == PNG
    assert violations == []


def element_at_centre_is(page, selector: str) -> bool:
    """Scrolled to the end of the page: whether a tap at the centre of selector reaches it (and
    not, say, the fixed bottom bar lying over it)."""
    return page.evaluate(
        """(selector) => {
            const target = document.querySelector(selector);
            window.scrollTo({top: document.documentElement.scrollHeight, behavior: "instant"});
            const box = target.getBoundingClientRect();
            const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
            return hit !== null && (hit === target || target.contains(hit));
        }""",
        selector,
    )


def test_the_send_button_of_a_long_report_form_is_not_under_the_bottom_bar(browser_page, job):
    # A catalog like the demo's: the form is longer than the screen, the button at its very end.
    for group in range(4):
        parent = ServiceCategoryFactory(code=f"G{group}", name=f"类别组{group}", icon="tools")
        for n in range(5):
            ServiceCategoryFactory(code=f"G{group}-{n}", name=f"类别{group}{n}", parent=parent, icon="tools")
    page = browser_page
    page.set_viewport_size(PHONE)
    log_in(page, "nurse")
    page.goto(page.base + "/servicedesk/portal/report/")
    assert page.evaluate("document.documentElement.scrollHeight") > 2 * PHONE["height"]
    assert page.locator(".hq-m-bar").is_visible()
    assert element_at_centre_is(page, "main form button[type=submit]")

    page.goto(page.base + "/servicedesk/portal/")
    assert element_at_centre_is(page, "main > :last-child")
