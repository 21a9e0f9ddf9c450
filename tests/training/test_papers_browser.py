"""In a real browser, under the Content-Security-Policy: the question form shows the option rows or
the true/false answer as the type asks, and the paper form checks its blueprint live (htmx)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from compliance.training import bank
from tenants import roles
from tenants.scope import activate
from tests.browser import conftest as browser

# The browser fixtures live in tests/browser/conftest.py; this module uses them from here.
browser_type_launch_args = browser.browser_type_launch_args
browser_context_args = browser.browser_context_args
browser_world = browser.browser_world
log_in = browser.log_in

pytestmark = pytest.mark.browser

OPTIONS = [{"text": "甲", "is_correct": True}, {"text": "乙", "is_correct": False}]


@pytest.fixture
def csp_violations(page):
    seen: list[str] = []
    page.on("console", lambda msg: seen.append(msg.text) if "Content Security Policy" in msg.text else None)
    return seen


def test_question_form_switches_between_option_rows_and_true_false(
    page, live_server, browser_world, log_in, csp_violations
):
    log_in(page, browser_world.a.users[roles.SAFETY_MANAGER])
    page.goto(f"{live_server.url}/training/questions/new/")
    rows = page.locator("[data-testid=option-rows]")
    expect(rows).to_be_visible()
    page.select_option("#id_type", "true_false")
    expect(rows).to_be_hidden()
    page.fill("#id_stem", "入井必须随身携带自救器。")
    page.check("#id_true_false_answer_0")
    page.select_option("#id_org_unit", str(browser_world.a.mine.pk))
    page.locator("#question-form button[type=submit]").click()
    expect(page.locator("[data-testid=options]")).to_contain_text("正确")
    assert csp_violations == []


def test_paper_form_checks_the_blueprint_live(page, live_server, browser_world, log_in, csp_violations):
    w = browser_world
    with activate(w.a.scope(roles.TENANT_ADMIN)):
        for i in range(6):
            bank.create_question(w.a.hq, {"type": "single", "stem": f"题{i}"}, OPTIONS)
    log_in(page, w.a.users[roles.TENANT_ADMIN])
    page.goto(f"{live_server.url}/training/papers/new/")
    check = page.locator("[data-testid=blueprint-check]")
    expect(check.locator("[data-testid=points-total]")).to_contain_text("0 / 100")
    page.select_option("#id_sections-0-question_type", "single")
    page.fill("#id_sections-0-count", "8")
    page.fill("#id_sections-0-points", "12.5")
    page.locator("#id_sections-0-points").dispatch_event("change")
    expect(check.locator("[data-testid=points-total]")).to_contain_text("100 / 100")
    expect(check.locator("[data-testid=section-check]")).to_contain_text("题库中有 6 道符合条件")
    expect(check.locator("[data-testid=section-check]")).to_contain_text("数量不足")
    assert csp_violations == []
