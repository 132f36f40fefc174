"""In Chromium: the director's dashboard draws its charts (laptop and phone), the big screen
opened with a display token draws its own and keeps its figures when the server does not
answer. Screenshots go to the test's tmp_path."""

import pytest

from houqin.insight.display_services import create_display
from houqin.insight.tests.live_sample import build_day

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def log_in(page, username):
    page.goto(page.base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_url(page.base + "/")


def watch(page) -> list[str]:
    """Script errors, refused requests and CSP violations."""
    problems = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("response", lambda r: problems.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None)
    page.on("console", lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None)
    return problems


def refresh(page):
    """What htmx does every 30 seconds, now (the request's failure is the page's to handle)."""
    page.evaluate(
        "() => { htmx.ajax('GET', '/insight/screen/live/', {source: '#screen-live', target: '#screen-live'})"
        ".catch(() => null); }"
    )


def canvas_sizes(page, selector: str) -> list[tuple[int, int]]:
    return [
        (box["width"], box["height"])
        for box in (canvas.bounding_box() for canvas in page.query_selector_all(f"{selector} canvas"))
        if box
    ]


def test_the_dashboard_draws_its_charts(browser_page, cast, tmp_path):
    build_day(cast)
    page = browser_page
    problems = watch(page)
    log_in(page, "director")

    page.goto(page.base + "/insight/")
    page.wait_for_selector("html[data-charts-ready]", state="attached")
    page.wait_for_timeout(500)  # the first animation frame

    for chart in ("volume", "quality", "response", "completion", "categories", "workers"):
        sizes = canvas_sizes(page, f"#chart-{chart}")
        assert sizes and all(width > 200 and height > 150 for width, height in sizes), chart
    assert page.inner_text("#today-volume .hq-kpi-value") == "5"
    page.screenshot(path=tmp_path / "dashboard-1366.png", full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(500)  # the charts follow their boxes
    width, _height = canvas_sizes(page, "#chart-volume")[0]
    assert width < 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=tmp_path / "dashboard-390.png", full_page=True)
    assert problems == []


def test_the_big_screen_draws_and_survives_a_lost_connection(browser_page, cast, tmp_path):
    build_day(cast)
    _display, token = create_display(name="服务中心左墙", site=cast.site, by=cast.director)
    page = browser_page
    problems = watch(page)
    page.set_viewport_size({"width": 1920, "height": 1080})

    page.goto(page.base + f"/insight/screen/?token={token}")
    page.wait_for_selector("html[data-charts-ready='2']", state="attached")
    page.wait_for_timeout(700)

    for chart in ("statuses", "buildings"):
        sizes = canvas_sizes(page, f"#screen-chart-{chart}")
        assert sizes and all(width > 300 and height > 200 for width, height in sizes), chart
    assert page.inner_text("#screen-tile-volume .screen-tile-value") == "3"
    # Everything on one screen, no scrolling.
    assert page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]") == [
        1920,
        1080,
    ]
    page.screenshot(path=tmp_path / "screen-1920.png")

    # A refresh while the server cannot be reached keeps the figures and says so.
    page.route("**/insight/screen/live/**", lambda route: route.abort())
    refresh(page)
    page.wait_for_selector("body.is-offline")
    assert page.inner_text("#screen-tile-volume .screen-tile-value") == "3"
    page.screenshot(path=tmp_path / "screen-offline.png")

    # The next refresh that gets through brings the screen back, charts still drawn.
    page.unroute("**/insight/screen/live/**")
    refresh(page)
    page.wait_for_selector("body:not(.is-offline)")
    assert canvas_sizes(page, "#screen-chart-buildings")

    page.set_viewport_size({"width": 1366, "height": 768})
    page.wait_for_timeout(500)
    assert page.evaluate("document.documentElement.scrollHeight") == 768
    page.screenshot(path=tmp_path / "screen-1366.png")
    # The aborted refresh is not a problem of the page.
    assert [problem for problem in problems if "screen/live" not in problem] == []


def test_on_a_phone_the_table_headings_and_the_category_ring_fit(browser_page, cast, tmp_path):
    # Found on a phone: the team table's headings stood one character per line ("未/办/结"), and
    # the labels around the category ring were cut at the box's edge.
    build_day(cast)
    page = browser_page
    problems = watch(page)
    log_in(page, "director")
    ring_labels = (
        "() => echarts.getInstanceByDom(document.getElementById('chart-categories')).getOption().series[0].label.show"
    )

    page.goto(page.base + "/insight/")
    page.wait_for_selector("html[data-charts-ready]", state="attached")
    assert page.evaluate(ring_labels) is not False  # a laptop has room for them

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(page.base + "/insight/")
    page.wait_for_selector("html[data-charts-ready]", state="attached")
    heights = page.eval_on_selector_all(
        "#dash-teams thead th", "ths => ths.map(th => th.getBoundingClientRect().height)"
    )
    assert heights and max(heights) < 40, heights  # one line each
    assert page.evaluate(ring_labels) is False  # the legend and the tooltip name the slices
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=tmp_path / "dashboard-390.png", full_page=True)
    assert problems == []
