"""The error pages in a real browser: the product's look, the navigation, a way back."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tenants import roles

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 900}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_404_and_403_pages(browser, live_server, browser_world, log_in, shot, lang):
    context = browser.new_context(viewport=LAPTOP, locale="zh-CN" if lang == "zh" else "en-US")
    page = context.new_page()
    try:
        log_in(page, browser_world.a.users[roles.WORKER])
        page.goto(f"{live_server.url}/no-such-page/")
        expect(page.get_by_test_id("error-page")).to_contain_text("404")
        expect(page.locator("nav.mainnav")).to_be_attached()
        shot(page, f"error-404-{lang}")
        page.goto(f"{live_server.url}/audit/")
        expect(page.get_by_test_id("error-page")).to_contain_text(
            "无权访问" if lang == "zh" else "Not permitted"
        )
        shot(page, f"error-403-{lang}")
        page.get_by_test_id("error-home").click()
        page.wait_for_url(f"{live_server.url}/")
    finally:
        context.close()
