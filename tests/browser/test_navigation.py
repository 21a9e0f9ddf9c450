"""The top bar (issue 12): the capabilities' entries in groups, one line at 1366 px in Chinese and
in English, drop-downs that open without script (hover or keyboard focus, under the CSP), and on a
phone every entry in the ☰ menu."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tenants import roles

from .conftest import PHONE

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}


def one_line(page) -> None:
    """Every item of the top bar sits on the same row: the bar is as tall as its tallest item."""
    boxes = page.locator(
        "header.topbar > .brand, nav.mainnav > a, nav.mainnav > .navgroup > .navgroup-label, "
        "header.topbar .tools > *"
    ).evaluate_all("els => els.map(e => { const r = e.getBoundingClientRect(); return [r.top, r.bottom]; })")
    assert boxes
    tops = [top for top, _bottom in boxes]
    assert max(tops) - min(tops) < 12, boxes  # nothing wrapped onto a second row
    header = page.locator("header.topbar").bounding_box()
    tallest = max(bottom - top for top, bottom in boxes)
    assert header["height"] <= tallest + 20, (header, tallest)
    assert page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_top_bar_is_one_line_at_1366_px(language, browser, live_server, browser_world, log_in, shot):
    context = browser.new_context(viewport=LAPTOP, locale="zh-CN")
    page = context.new_page()
    try:
        # The group admin sees the most entries.
        log_in(page, browser_world.a.users[roles.TENANT_ADMIN])
        if language == "en":
            page.get_by_test_id("lang-en").click()
        expect(page.locator("html")).to_have_attribute("lang", language)
        one_line(page)
        shot(page, f"topbar-{language}")

        # A group's drop-down opens on hover, without script, and leads to its pages.
        training = page.get_by_test_id("navgroup-training")
        expect(page.get_by_test_id("nav-bank")).to_be_hidden()
        training.hover()
        expect(page.get_by_test_id("nav-bank")).to_be_visible()
        expect(training.get_by_role("link")).to_have_count(5)
        shot(page, f"topbar-{language}-menu")
        page.get_by_test_id("nav-certificates").click()
        page.wait_for_url(f"{live_server.url}/training/certificates/")
        one_line(page)  # also on a capability's page, with its entry marked current
        expect(page.get_by_test_id("nav-certificates")).to_have_attribute("aria-current", "page")

        # And on keyboard focus: tab onto the group's label, then into its entries.
        page.mouse.move(0, LAPTOP["height"] - 1)
        expect(page.get_by_test_id("nav-bank")).to_be_hidden()
        page.locator("[data-testid=navgroup-training] .navgroup-label").focus()
        expect(page.get_by_test_id("nav-bank")).to_be_visible()
        page.keyboard.press("Tab")
        expect(page.get_by_test_id("nav-training")).to_be_focused()

        # Standardization keeps its own sub-navigation.
        page.get_by_test_id("nav-grading").click()
        expect(page.get_by_test_id("grading-subnav")).to_be_visible()
        one_line(page)
    finally:
        context.close()


def test_on_a_phone_the_menu_lists_every_entry(browser, live_server, browser_world, log_in, shot):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    try:
        log_in(page, browser_world.a.users[roles.TENANT_ADMIN])
        nav = page.locator("nav.mainnav")
        expect(nav).to_be_hidden()
        page.locator("label.nav-button").click()
        expect(nav).to_be_visible()
        links = nav.get_by_role("link")
        count = nav.locator("a").count()
        assert count >= 14
        expect(links).to_have_count(count)  # every entry visible, none behind a drop-down
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
        shot(page, "phone-menu-open")
        page.get_by_test_id("nav-certificates").click()
        page.wait_for_url(f"{live_server.url}/training/certificates/")
    finally:
        context.close()
