"""In Chromium: the worker page's table of parts reads on a 1366×768 laptop."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_parts_table_headings_stay_on_one_line(browser_page, cast, world, tmp_path):
    # Found at 1366×768: the Chinese headings broke inside a word ("权/重", "得分贡/献").
    page = browser_page
    page.goto(page.base + "/accounts/login/")
    page.fill("#id_username", "director")
    page.fill("#id_password", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_url(page.base + "/")
    page.set_viewport_size({"width": 1366, "height": 768})

    page.goto(page.base + f"/performance/workers/A1/?month={world.month}")
    heights = page.eval_on_selector_all(
        ".hq-perf-parts thead th", "ths => ths.map(th => th.getBoundingClientRect().height)"
    )
    assert len(heights) == 6 and max(heights) < 40, heights
    page.screenshot(path=tmp_path / "worker-1366.png", full_page=True)


def test_on_a_phone_the_ranking_scrolls_only_inside_its_tables(browser_page, cast, world, tmp_path):
    # Found at 390×844: the "Workers" heading broke in two beside its note ("作业/人员").
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(page.base + "/accounts/login/")
    page.fill("#id_username", "director")
    page.fill("#id_password", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_url(page.base + "/")

    page.goto(page.base + "/performance/")
    heading = page.locator("#hq-workers-title").bounding_box()
    line = page.evaluate("parseFloat(getComputedStyle(document.getElementById('hq-workers-title')).lineHeight)")
    assert heading["height"] < 1.5 * line
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=tmp_path / "ranking-390.png", full_page=True)
