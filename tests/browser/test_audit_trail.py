"""The audit trail in a real browser (issue 13): each event a sentence — who, did what, to which
object, where and when — with its changes field by field, the filters and the export, at
1366 px in Chinese and in English."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from compliance.audit.context import ActorContext, acting_as
from compliance.audit.services import audit_record
from tenants import roles, services
from tenants.scope import activate, dangerously_platform_scope

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 900}


def _trail(world):
    manager = world.a.users[roles.SAFETY_MANAGER]
    with (
        dangerously_platform_scope(),
        acting_as(ActorContext(username="manage.py seed_demo", role="platform")),
    ):
        audit_record(
            action="score_item",
            obj=world.a.mine,
            object_type="grading.ItemScore",
            object_id="1",
            object_repr=f"{world.a.mine.name} · 1.1.1",
            before={"deducted": "0.00", "reason": ""},
            after={"deducted": "1.0", "reason": "隐患整改未闭环"},
        )
    scope = world.a.scope(roles.SAFETY_MANAGER)
    with (
        activate(scope),
        acting_as(
            ActorContext(
                user_id=manager.pk, username=manager.get_username(), role=roles.SAFETY_MANAGER, ip="10.0.0.8"
            )
        ),
    ):
        services.person_update(
            scope=scope,
            person=world.a.people[1],
            job_title="电工班长",
            phone="13812345678",
            status="suspended",
            status_reason="逢查必考不合格",
        )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_audit_trail_reads_as_sentences(browser, live_server, browser_world, log_in, shot, lang):
    _trail(browser_world)
    context = browser.new_context(viewport=LAPTOP, locale="zh-CN" if lang == "zh" else "en-US")
    page = context.new_page()
    try:
        log_in(page, browser_world.a.users[roles.HQ_AUDITOR])
        page.goto(f"{live_server.url}/audit/")
        rows = page.get_by_test_id("audit-row")
        first = rows.first
        if lang == "zh":
            expect(first).to_contain_text("安全管理人员")
            expect(first).to_contain_text("修改")
            expect(first).to_contain_text("138****5678")
            expect(page.get_by_test_id("audit-table")).to_contain_text("系统（演示数据）")
            expect(page.get_by_test_id("audit-table")).to_contain_text("自评打分")
        else:
            expect(first).to_contain_text("Safety manager")
            expect(first).to_contain_text("Update")
            expect(page.get_by_test_id("audit-table")).to_contain_text("System (demo data)")
        expect(first.get_by_role("link")).to_have_attribute(
            "href", f"/people/{browser_world.a.people[1].pk}/"
        )
        # The page fits the laptop: nothing sticks out sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]
        shot(page, f"audit-trail-{lang}")
        # Filtering by a grading action keeps only its events.
        page.get_by_test_id("audit-filters").locator("select[name=action]").select_option("score_item")
        page.get_by_test_id("audit-filters").locator("button[type=submit]").click()
        expect(rows).to_have_count(1)
        with page.expect_download() as download:
            page.get_by_test_id("audit-export").click()
        assert download.value.suggested_filename == "audit-trail.xlsx"
    finally:
        context.close()
