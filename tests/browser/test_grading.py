"""Self-assessment in the browser: the safety manager scores items and watches the level change
live, attaches evidence and submits; the HQ auditor adjusts an item and approves; the regulator
sees the result with no form anywhere, and a POST from its session is refused."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from compliance.grading.models import Assessment
from tenants import roles
from tenants.scope import dangerously_platform_scope
from tests.grading.factories import PNG, coal_like_version, items

from .conftest import PHONE

pytestmark = pytest.mark.browser


@pytest.fixture
def csp_violations(page):
    seen: list[str] = []
    page.on("console", lambda msg: seen.append(msg.text) if "Content Security Policy" in msg.text else None)
    return seen


def _save(page, code: str):
    card = page.get_by_test_id(f"item-{code}")
    card.get_by_test_id("save").click()
    expect(page.get_by_test_id(f"item-{code}")).to_have_attribute("data-state", "saved")


def _no_horizontal_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"{page.url} is {width}px wide"


def test_score_submit_review_approve_and_regulator_reads(
    browser, page, live_server, browser_world, log_in, csp_violations, shot
):
    w = browser_world
    version = coal_like_version(items_per_part=2)
    its = items(version)

    # --- the safety manager ---------------------------------------------------------------------
    log_in(page, w.a.users[roles.SAFETY_MANAGER])
    page.goto(f"{live_server.url}/grading/assessments/")
    page.get_by_test_id("assessment-new").click()
    page.select_option("#id_mine", str(w.a.mine.pk))
    page.select_option("#id_standard_version", str(version.pk))
    page.get_by_test_id("start").click()
    expect(page.get_by_test_id("current-part")).to_have_text("重大灾害防治")
    expect(page.get_by_test_id("progress")).to_have_text("0%")
    level_before = page.get_by_test_id("level").inner_text()
    assessment_url = page.url.split("?")[0]

    card = page.get_by_test_id("item-disaster-1")
    card.locator("input[name='d-0-points']").fill("2.8")
    card.locator("input[name='d-0-reason']").fill("瓦斯抽采不达标")
    card.locator("input[name='d-0-location']").fill("1302 回采工作面")
    card.locator("input[name='d-0-evidence']").set_input_files(
        {"name": "现场照片.png", "mimeType": "image/png", "buffer": PNG}
    )
    _save(page, "disaster-1")
    # The panel changed without a reload: 86 and 100 → 93; 重大灾害防治 86 < 90 blocks level 1.
    expect(page.get_by_test_id("total")).to_have_text("93")
    expect(page.get_by_test_id("progress")).to_have_text("25%")
    expect(page.get_by_test_id("blocking-rule")).to_contain_text("86 < 90")
    assert page.get_by_test_id("level").inner_text() != level_before
    assert page.url.split("?")[0] == assessment_url
    link = page.get_by_test_id("item-disaster-1").get_by_test_id("evidence-link")
    expect(link).to_have_text("现场照片.png")
    evidence = page.request.get(live_server.url + link.get_attribute("href"))
    assert evidence.status == 200 and evidence.body() == PNG
    _save(page, "disaster-2")
    expect(page.locator("#part-nav")).to_contain_text("2/2 · 86")
    shot(page, "manager-scored-part-1")

    page.get_by_test_id("part-basics").click()
    expect(page.get_by_test_id("current-part")).to_have_text("安全基础管理")
    _save(page, "basics-1")
    _save(page, "basics-2")
    expect(page.get_by_test_id("progress")).to_have_text("100%")

    # On a phone the same page fits the screen.
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    phone.add_cookies(page.context.cookies())
    mobile = phone.new_page()
    mobile.goto(assessment_url)
    expect(mobile.get_by_test_id("result-panel")).to_be_visible()
    _no_horizontal_scroll(mobile)
    shot(mobile, "manager-phone")
    phone.close()

    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "submitted")
    # Nothing left to change for the mine; only the PDF report may still be asked for.
    expect(page.locator("main form[method=post]:not([data-testid=report-form])")).to_have_count(0)
    expect(page.get_by_test_id("report-button")).to_be_visible()
    with dangerously_platform_scope():
        assessment = Assessment.objects.get(mine=w.a.mine)
    assert assessment.status == "submitted"
    assert csp_violations == []

    # --- the HQ auditor -----------------------------------------------------------------------------
    page.context.clear_cookies()
    log_in(page, w.a.users[roles.HQ_AUDITOR])
    page.goto(f"{live_server.url}/grading/assessments/{assessment.pk}/review/")
    page.get_by_test_id("start-review").click()
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "under_review")
    row = page.get_by_test_id("review-disaster-1")
    expect(row.get_by_test_id("mine-score")).to_have_text("7.2")
    row.get_by_test_id("review-score").fill("10")
    row.get_by_test_id("review-comment").fill("现场复核：抽采已达标")
    row.get_by_test_id("adjust").click()
    expect(page.get_by_test_id("review-disaster-1").get_by_test_id("adjusted")).to_be_visible()
    # Both figures side by side; the reviewed result is live in the panel.
    expect(page.get_by_test_id("review-disaster-1").get_by_test_id("mine-score")).to_have_text("7.2")
    expect(page.get_by_test_id("total")).to_have_text("100")
    expect(page.get_by_test_id("mine-figures")).to_contain_text("93")
    shot(page, "hq-review")
    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "approved")
    with dangerously_platform_scope():
        assessment.refresh_from_db()
    assert (assessment.status, assessment.level, assessment.total) == ("approved", 1, 100)

    # --- the regulator ------------------------------------------------------------------------------
    page.context.clear_cookies()
    log_in(page, w.regulator_in)
    page.goto(f"{live_server.url}/grading/assessments/")
    page.get_by_test_id(f"assessment-{assessment.pk}").get_by_role("link").click()
    expect(page.get_by_test_id("total")).to_have_text("100")
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "approved")
    expect(page.locator("main form")).to_have_count(0)
    page.get_by_test_id("open-review").click()
    expect(page.get_by_test_id("review-disaster-1").get_by_test_id("mine-score")).to_have_text("7.2")
    expect(page.locator("main form")).to_have_count(0)
    shot(page, "regulator")
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    refused = page.request.post(
        f"{live_server.url}/grading/assessments/{assessment.pk}/items/{its['disaster-1'].pk}/",
        form={"row_version": "1", "d-0-points": "1", "d-0-reason": "监管修改"},
        headers={"X-CSRFToken": csrf, "Referer": live_server.url + "/"},
    )
    assert refused.status == 403
    api = page.request.post(
        f"{live_server.url}/api/v1/assessments/{assessment.pk}/submit/",
        headers={"X-CSRFToken": csrf, "Referer": live_server.url + "/"},
    )
    assert api.status == 403
    assert csp_violations == []
