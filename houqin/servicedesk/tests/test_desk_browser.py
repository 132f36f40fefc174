"""In Chromium: an agent takes a phone request by keyboard — number, location by pinyin, category,
accept and dispatch — and opens the order; a call pushed by the telephone system pops up; the
dispatch board refreshes without losing a reassignment being made."""

import time

import pytest

from houqin.org.tests.factories import DirectoryEntryFactory
from houqin.servicedesk import services, telephony
from houqin.servicedesk.models import EventKind, Status, WorkOrder
from houqin.servicedesk.tests.test_desk_support import (
    accepted_order,
    make_building,
    make_category,
    make_room,
    make_team,
    make_worker,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def desk_world(cast):
    team = make_team(cast, name="水电班")
    group = make_category(None, code="WX", name="维修")
    category = make_category(team, code="WX-DQ", name="电气", parent=group)
    worker = make_worker(cast, team, "王师傅")
    room = make_room(make_building(cast, "ZY", "住院楼"), "ZY-5F-512", "512病房")
    DirectoryEntryFactory(number="6101", label="心内科护士站", department=cast.dept)
    return {"category": category, "worker": worker, "room": room}


def log_in(page, username):
    page.goto(page.base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_url(page.base + "/")


def pick(page, text: str, label: str):
    """Type into the focused picker, wait for `label` in its list, choose it with ↓ and Enter."""
    page.keyboard.type(text)
    page.wait_for_selector(f".hq-picker-item:has-text('{label}')")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")


def test_an_agent_takes_a_call_and_dispatches_it_by_keyboard(browser_page, cast, desk_world):
    page = browser_page
    problems = []
    # Script errors, refused requests and CSP violations; not the requests htmx itself aborts
    # when a newer one replaces them (hx-sync) or the page moves on.
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("response", lambda r: problems.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None)
    page.on("console", lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None)
    log_in(page, "agent")
    page.goto(page.base + "/servicedesk/desk/")

    # The phone box has the focus once the page has loaded (autofocus) and htmx is ready.
    page.wait_for_function("document.activeElement && document.activeElement.name === 'requester_phone' && window.htmx")
    started = time.monotonic()
    # The number, and the directory says who calls.
    page.keyboard.type("6101", delay=30)
    page.wait_for_selector("#desk-caller-who:has-text('心内科护士站')")
    assert page.input_value("#id_requester_name") == "心内科护士站"
    page.keyboard.press("Tab")  # requester
    page.keyboard.press("Tab")  # location
    pick(page, "512bf", "512病房")
    assert page.input_value("#id_location") == str(desk_world["room"].pk)
    page.keyboard.press("Tab")  # category
    pick(page, "dq", "电气")
    page.wait_for_selector("#id_assignee option:has-text('王师傅')", state="attached")
    assert page.input_value("#id_priority") == "normal"  # the category's default
    page.keyboard.press("Tab")  # priority (the category's default)
    page.keyboard.press("Tab")  # description
    page.keyboard.type("512病房床头灯不亮")
    page.keyboard.press("Tab")  # suggested worker
    page.keyboard.press("Tab")  # another worker
    page.keyboard.press("Tab")  # "Accept and dispatch"
    page.keyboard.press("Enter")
    page.wait_for_selector("#desk-recorded")
    elapsed = time.monotonic() - started

    order = WorkOrder.objects.get()
    assert order.status == Status.DISPATCHED and order.assignee == desk_world["worker"]
    assert order.owner == cast.agent and order.location == desk_world["room"]
    assert order.requester_phone == "6101" and order.department == cast.dept
    assert list(order.events.values_list("kind", flat=True)) == [
        EventKind.CREATED,
        EventKind.ACCEPTED,
        EventKind.DISPATCHED,
    ]
    assert elapsed < 30
    # Ready for the next call: the phone box has the focus again.
    assert page.evaluate("document.activeElement.name") == "requester_phone"

    page.click("#desk-recorded a")
    page.wait_for_selector("#order-timeline")
    assert order.number in page.inner_text("h1")
    assert "王师傅" in page.inner_text("#order-assignee")
    assert problems == []


def test_a_call_from_the_telephone_system_pops_up_and_fills_the_form(browser_page, cast, desk_world):
    page = browser_page
    log_in(page, "agent")
    page.goto(page.base + "/servicedesk/desk/")
    telephony.record_call(caller="6101", callee="8000", call_id="pbx-1")

    page.click("#desk-calls button:has-text('6101')", timeout=10000)
    page.wait_for_selector("#desk-intake .alert-info")

    assert page.input_value("#id_requester_phone") == "6101"
    assert page.input_value("#id_requester_name") == "心内科护士站"
    assert "心内科护士站" in page.inner_text("#desk-caller")


def test_the_board_keeps_its_reassign_drop_downs_when_it_refreshes(browser_page, cast, desk_world):
    # The drop-down of every reassign box vanished at the board's first refresh (15 seconds).
    page = browser_page
    team = desk_world["worker"].team
    other = make_worker(cast, team, "李师傅")
    order = accepted_order(cast, desk_world["category"])
    order = services.dispatch(order, by=cast.agent, assignee=desk_world["worker"])
    log_in(page, "dispatcher")
    page.goto(page.base + f"/servicedesk/board/?team={team.code}")
    box = f"details[id^='reassign-box-{order.pk}']"
    page.click(f"{box} summary")
    page.select_option(f"{box} select", str(other.pk))

    # The refresh the board makes every 15 seconds, now.
    page.evaluate("htmx.ajax('GET', document.querySelector('#board').getAttribute('hx-get'), '#board')")
    page.wait_for_timeout(300)

    assert page.locator(f"{box} select").count() == 1  # kept, open, with the choice made
    page.click(f"{box} button[type=submit]")
    page.wait_for_selector("#board .alert-success")
    order.refresh_from_db()
    assert order.assignee == other
