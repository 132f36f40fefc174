import pytest


@pytest.mark.browser
def test_the_interactive_docs_render_under_the_content_security_policy(browser_page):
    page = browser_page
    violations = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    page.goto(page.base + "/api/v1/docs")
    page.get_by_text("/api/v1/locations/{ref}", exact=True).first.wait_for()
    assert page.get_by_text("houqin API").first.is_visible()
    assert violations == []
