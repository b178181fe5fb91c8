"""The site's own pages in a real browser: language, accessibility, weight, no JavaScript."""
from datetime import UTC, datetime

import pytest

pytestmark = pytest.mark.browser

# A first visit to the home page on a slow phone connection: HTML, CSS and nothing else to speak of.
HOME_PAGE_BUDGET = 60_000


def test_home_page_loads_in_spanish(page):
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.locator("h1").count() == 1
    assert page.locator("a.skip-link").inner_text() == "Saltar al contenido"
    assert page.locator("nav.lang a").inner_text() == "English"


def test_home_page_has_no_accessibility_violations(page, axe_check):
    page.goto("/")
    axe_check(page)


def test_home_page_is_small(page, page_bytes):
    transferred = page_bytes(page, "/")
    assert 0 < transferred < HOME_PAGE_BUDGET


def test_language_switch_shows_english(page, axe_check):
    page.goto("/")
    page.get_by_role("link", name="English").click()
    page.wait_for_url("**/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("a.skip-link").inner_text() == "Skip to content"
    axe_check(page)
    page.get_by_role("link", name="Español").click()
    assert page.locator("html").get_attribute("lang") == "es"


def test_home_page_works_without_javascript_and_breaks_no_content_security_rule(no_js_page):
    from playwright.sync_api import expect  # here: without Playwright the harness skips, not collection

    no_js_page.goto("/")
    expect(no_js_page.locator("h1")).to_be_visible()
    # The skip link is the first stop of the keyboard, off screen until it is reached.
    skip_link = no_js_page.locator("a.skip-link")
    assert skip_link.bounding_box()["x"] < 0
    no_js_page.keyboard.press("Tab")
    expect(skip_link).to_be_focused()
    assert skip_link.bounding_box()["x"] >= 0
    no_js_page.get_by_role("link", name="English").click()
    assert no_js_page.locator("html").get_attribute("lang") == "en"
    assert no_js_page.csp_refusals == []


def test_the_server_clock_is_settable_and_the_outbox_readable(set_clock, outbox_messages):
    instant = datetime(2025, 4, 5, 23, 59, 59, tzinfo=UTC)
    assert set_clock(instant) == instant
    assert set_clock(None) != instant
    assert isinstance(outbox_messages(), list)


def test_axe_check_fails_on_a_page_with_violations(page, axe_check):
    page.set_content('<html><body><main><img src="data:,"><a href="/"></a></main></body></html>')
    with pytest.raises(pytest.fail.Exception, match="image-alt"):
        axe_check(page)
