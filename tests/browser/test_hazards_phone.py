"""Rectification of a hazard on a phone-sized screen (390 px): the plan form fits the screen, the
safety manager saves it there, and the hazard page shows it under rectification."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tenants import roles
from tests.inspections.hazards.helpers import register

from .conftest import PHONE

pytestmark = pytest.mark.browser


def test_rectification_plan_on_a_phone(browser, live_server, browser_world, log_in, shot):
    w = browser_world
    hazard = register(w.a, location="1301 回风巷", description="巷道局部支护失效、顶板离层")
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    log_in(page, w.a.users[roles.SAFETY_MANAGER])
    page.goto(f"{live_server.url}/hazards/{hazard.pk}/plan/")
    expect(page.get_by_test_id("hazard-step-plan")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    page.fill("#id_responsible", "李区长")
    page.fill("#id_measures", "补打锚杆，加密支护")
    page.fill("#id_deadline", "2026-12-30")
    shot(page, "plan-form")
    page.get_by_test_id("step-save").click()
    expect(page.get_by_test_id("hazard-status")).to_have_text("治理中")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    shot(page, "rectifying")
    context.close()
