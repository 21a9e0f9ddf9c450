"""A worker reads the responsibility list of their post on a phone-sized screen and signs it
(签字确认): a wrong name is refused with a message, their own name is accepted and the list shows
as signed, with no sideways scrolling at 390 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tenants import roles
from tests.duties.lists.helpers import setup_worker_list

from .conftest import PHONE

pytestmark = pytest.mark.browser


def _no_horizontal_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"{page.url} is {width}px wide"


def test_worker_signs_the_list_on_a_phone(browser, live_server, browser_world, log_in, shot):
    w = browser_world
    setup_worker_list(w.a)
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    try:
        log_in(page, w.a.users[roles.WORKER])
        page.goto(f"{live_server.url}/duties/lists/mine/")
        expect(page.locator("h1")).to_have_text("我的责任清单")
        expect(page.get_by_test_id("my-list")).to_contain_text("遵守安全规程")
        _no_horizontal_scroll(page)
        shot(page, "list")

        page.fill("#id_signed_name", "别人")
        page.get_by_test_id("sign").click()
        expect(page.locator("p.error")).to_contain_text(w.a.worker_person.name)
        shot(page, "wrong-name")

        page.fill("#id_signed_name", w.a.worker_person.name)
        page.get_by_test_id("sign").click()
        expect(page.get_by_test_id("my-list")).to_contain_text("已签字")
        expect(page.get_by_test_id("sign")).to_have_count(0)
        _no_horizontal_scroll(page)
        shot(page, "signed")
    finally:
        context.close()
