"""A regulator lists a major hazard for supervision (挂牌督办) from the hazard's page, records an
inspection with a finding, and the mine's safety manager sees both: the listing on the hazard and
the finding, which it registers into its own register."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tenants import roles
from tests.inspections.hazards.helpers import register

from .conftest import PHONE

pytestmark = pytest.mark.browser


def test_regulator_lists_a_hazard_and_records_an_inspection(
    browser, live_server, browser_world, log_in, shot
):
    w = browser_world
    today = timezone.localdate()
    # Major by the manager's class (the criteria rows are reference data a transactional test lacks).
    hazard = register(w.a, location="11302 回采工作面", description="上隅角瓦斯浓度多次超限仍组织作业",
                      grade="major", found_on=today)  # fmt: skip
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    log_in(page, w.regulator_in)
    page.goto(f"{live_server.url}/hazards/{hazard.pk}/")
    page.get_by_test_id("hazard-list-supervision").click()
    page.fill("#id_document_no", "黔煤安监督〔2026〕7号")
    page.fill("#id_deadline", (today + datetime.timedelta(days=30)).isoformat())
    shot(page, "listing-form")
    page.get_by_test_id("listing-save").click()
    expect(page.get_by_test_id("listing-status")).to_have_text("督办中")
    shot(page, "listing-detail")
    # Its own inspection at the same mine, with a finding.
    page.goto(f"{live_server.url}/agency/inspections/new/?mine={w.a.mine.pk}")
    page.fill("#id_inspectors", "王监察, 李监察")
    page.get_by_test_id("agency-inspection-save").click()
    page.select_option("#id_kind", "hazard")
    page.fill("#id_text", "主要通风机无备用电源")
    page.fill("#id_location", "主通风机房")
    page.select_option("#id_grade", "general")
    page.get_by_test_id("agency-finding-save").click()
    expect(page.get_by_test_id("agency-finding-row")).to_have_count(1)
    shot(page, "inspection-with-finding")
    context.close()

    # The mine's safety manager, on a phone: the listing on the hazard, the finding registered.
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    log_in(page, w.a.users[roles.SAFETY_MANAGER])
    page.goto(f"{live_server.url}/hazards/{hazard.pk}/")
    expect(page.get_by_test_id("hazard-supervision")).to_contain_text("黔煤安监督〔2026〕7号")
    shot(page, "hazard-supervised-phone")
    page.goto(f"{live_server.url}/agency/inspections/")
    page.get_by_test_id("agency-inspection-row").first.get_by_role("link").first.click()
    page.get_by_test_id("agency-finding-register").click()
    expect(page.get_by_test_id("hazard-status")).to_have_text("已登记")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    shot(page, "finding-registered-phone")
    context.close()


def test_regulator_spot_exam_on_a_phone_and_a_failure_suspends_by_its_order(
    browser, live_server, browser_world, log_in, shot
):
    from compliance.inspections.agency.models import AgencySpotCheck
    from tenants.scope import dangerously_platform_scope
    from tests.inspections.test_inspections import make_bank, make_paper
    from tests.training.test_attempts import wrong_id

    w = browser_world
    make_bank(w.a)
    make_paper(w.a, title="逢查必考卷")
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    log_in(page, w.regulator_in)
    page.goto(f"{live_server.url}/agency/inspections/new/?mine={w.a.mine.pk}")
    page.fill("#id_inspectors", "王监察, 李监察")
    page.get_by_test_id("agency-inspection-save").click()
    page.fill("#id_count", "1")
    page.get_by_test_id("agency-spot-draw").click()
    expect(page.get_by_test_id("agency-spot-row")).to_have_count(1)
    page.get_by_test_id("agency-spot-code").click()
    code = page.get_by_test_id("spot-code-value").inner_text()
    shot(page, "regulator-spot-code")
    inspection_url = page.get_by_role("link", name="返回检查").get_attribute("href")

    # The drawn person, on their own phone with nobody logged in.
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    person_page = phone.new_page()
    person_page.goto(f"{live_server.url}/training/spot/")
    person_page.fill("input[name=code]", code)
    person_page.get_by_test_id("spot-enter").click()
    expect(person_page.locator("fieldset.question")).to_have_count(5)
    ids = person_page.locator("fieldset.question").evaluate_all("els => els.map(e => e.dataset.question)")
    for position, qid in enumerate(ids, start=1):
        person_page.get_by_test_id(f"question-{position}").locator(f"input[value='{wrong_id(qid)}']").check()
        expect(person_page.get_by_test_id(f"saved-{position}")).not_to_be_empty()
    person_page.get_by_test_id("submit").click()
    person_page.get_by_test_id("confirm-submit").click()
    expect(person_page.get_by_test_id("suspension-note")).to_be_visible()
    assert person_page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    shot(person_page, "regulator-spot-failed-phone")
    phone.close()

    page.goto(f"{live_server.url}{inspection_url}")
    expect(page.get_by_test_id("agency-spot-suspended")).to_have_text("已按监管部门责令停岗")
    shot(page, "regulator-spot-results")
    context.close()
    with dangerously_platform_scope():
        assert AgencySpotCheck.objects.get().attempt.passed is False
