"""Defects found walking every page in Chromium as each role, kept from coming back.

The fast tests read the rendered pages and the style sheets; the browser tests (marked browser and
slow) show what a user saw: a phone page that scrolled sideways into blank space, a search that a
click on a column header undid, and a Back button that showed a searched list under an empty box."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from houqin.org.models import EmploymentType
from houqin.org.tests.factories import CompanyFactory, PersonFactory

APP_CSS = Path(settings.BASE_DIR) / "houqin" / "static" / "houqin" / "app.css"
GENERIC_CSS = Path(settings.BASE_DIR) / "houqin" / "core" / "static" / "core" / "generic.css"


def css_rule(path: Path, selector: str) -> str:
    """The declarations of the first rule whose selector list holds `selector`."""
    text = re.sub(r"/\*.*?\*/", "", path.read_text(), flags=re.S)
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", text):
        if selector in [s.strip() for s in selectors.split(",")]:
            return body
    raise AssertionError(f"no rule for {selector} in {path.name}")


def test_the_sidebar_section_headings_use_a_styled_class(cast, client_for):
    html = client_for(cast.agent).get(reverse("core:home")).content.decode()

    # Each section of entries is headed by a <div>; its class was missing from the style sheet.
    headings = re.findall(r'<div class="([^"]+)">[^<]+</div>\s*<ul class="hq-nav', html)
    assert headings and set(headings) == {"hq-nav-heading"}
    assert "padding" in css_rule(APP_CSS, ".hq-nav-heading")


def test_htmx_keeps_no_page_copies_and_reloads_on_back(cast, client_for):
    # A copy of the page kept by htmx has the search box as first rendered: Back showed a searched
    # list under an empty box. The copies also kept staff phone numbers in the browser's storage.
    html = client_for(cast.agent).get(reverse("core:home")).content.decode()

    config = json.loads(re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", html).group(1))
    assert config["historyCacheSize"] == 0
    assert config["refreshOnHistoryMiss"] is True
    assert config["allowEval"] is False


def test_the_filter_bar_and_the_table_links_share_one_request_slot(cast, client_for):
    # Leaving the search box for a column header fires the form's "change" too; without a shared
    # slot that request could land last and undo the sort. The later request replaces the running one
    # (htmx logs the cancelled one in the console); queued, the click would be lost with its link.
    html = client_for(cast.agent).get(reverse("org:person_list")).content.decode()

    form = re.search(r'<form id="hq-filter"[^>]*>', html).group(0)
    assert 'hx-sync="#hq-results:replace"' in form
    results = re.search(r'<div id="hq-results"[^>]*>', html).group(0)
    assert 'hx-sync="this:replace"' in results


def test_the_table_box_contains_the_cells_hidden_texts():
    # Visually hidden texts are absolutely positioned: the scrolling box must be their containing
    # block, or they stretch the page (540px of blank to the right on a phone).
    assert re.search(r"position:\s*relative", css_rule(APP_CSS, ".hq-table-wrap"))


def test_a_wrapping_column_keeps_a_few_characters_a_line():
    assert re.search(r"min-width:\s*\d", css_rule(APP_CSS, ".hq-table td.hq-wrap"))


def test_the_search_box_keeps_its_magnifier_and_the_topbar_its_words():
    assert re.search(r"flex-wrap:\s*nowrap", css_rule(GENERIC_CSS, ".hq-filter-search .input-group"))
    assert re.search(r"white-space:\s*nowrap", css_rule(APP_CSS, ".hq-topbar > :last-child"))


def test_empty_fields_and_cards_are_white_not_the_grey_of_disabled_ones():
    assert "#fff" in css_rule(APP_CSS, ".form-control")
    assert "--bs-card-bg: #fff" in css_rule(APP_CSS, ".card")


# --- In Chromium ----------------------------------------------------------------------------------


@pytest.fixture
def people(transactional_db):
    from django.contrib.auth.models import Group

    from houqin.org.tests.factories import UserFactory

    company = CompanyFactory(code="JKWY", name="杭州洁康物业服务有限公司杭州洁康物业服务有限公司")
    for n in range(30):
        PersonFactory(
            employee_no=f"WB-{n:04d}",
            name=("林秀" if n % 3 == 0 else "王磊") + str(n),
            company=company,
            employment_type=EmploymentType.OUTSOURCED,
        )
    user = UserFactory(username="sysadmin", first_name="覃峰忠")
    user.groups.add(Group.objects.get(name="system_admin"))
    return user


def log_in(page, username):
    page.goto(page.base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests-1")
    page.click("main button[type=submit], form[action$='/login/'] button[type=submit]")
    page.wait_for_url(page.base + "/")


@pytest.mark.browser
@pytest.mark.slow
def test_it_does_not_scroll_a_phone_page_sideways(browser_page, people):
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "sysadmin")

    page.goto(page.base + "/org/people/")

    width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] == width[1]
    search = page.locator(".hq-filter-search")
    icon, box = search.locator(".input-group-text").bounding_box(), search.locator("input").bounding_box()
    assert abs(icon["y"] - box["y"]) < 2  # the magnifier beside the box, not above it


@pytest.mark.browser
@pytest.mark.slow
def test_a_search_survives_a_click_on_a_column_and_back(browser_page, people):
    page = browser_page
    log_in(page, "sysadmin")
    page.goto(page.base + "/org/people/")

    page.locator("input[name=q]").press_sequentially("lx", delay=80)
    page.wait_for_url("**q=lx**")
    page.locator("#hq-results th a.hq-sort[href$='sort=name']").click()
    page.wait_for_url("**sort=name**")
    page.wait_for_load_state("networkidle")

    assert "q=lx" in page.url
    assert page.locator("#hq-results th[aria-sort]").count() == 1
    assert page.locator("#hq-results tbody tr").count() == 10

    page.go_back()  # htmx reloads the page (no kept copy): wait for the box to say what the list shows
    page.wait_for_function("(document.querySelector('input[name=q]') || {}).value === 'lx'", timeout=10000)
    page.wait_for_selector("#hq-results tbody tr")
    assert "sort=" not in page.url
    assert page.locator("#hq-results tbody tr").count() == 10


def test_the_empty_list_card_keeps_its_add_button_button_sized(cast, client_for):
    # The empty state is a card (a flex column), which stretched its button across the page.
    html = client_for(cast.system_admin).get(reverse("org:trade_list")).content.decode()

    assert 'class="hq-empty card"' in html
    assert re.search(r"align-items:\s*center", css_rule(APP_CSS, ".hq-empty.card"))


def test_a_missing_record_keeps_the_menu_for_a_logged_in_user(cast, client_for):
    other = PersonFactory(company=cast.other_contractor)

    response = client_for(cast.contractor_manager).get(reverse("org:person_detail", args=[other.pk]))

    assert response.status_code == 404
    assert 'class="hq-sidebar' in response.content.decode()


def test_an_unknown_label_answers_a_plain_404_to_a_visitor(client, db):
    response = client.get(reverse("core:label", args=["NOSUCHCODE"]))

    assert response.status_code == 404
    assert 'class="hq-sidebar' not in response.content.decode()
