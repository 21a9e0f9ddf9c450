"""A group admin opens a contractor's page (qualifications, engagement, staff, appraisals), records
a qualification with its scan, and a mine's outsourcing page shows the caps used."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from compliance.contractors import services
from tenants import roles
from tenants.scope import activate
from tests.contractors.factories import contractor, engage, person

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_contractor_page_and_mine_caps(browser, page, live_server, browser_world, log_in, shot):
    w = browser_world
    admin = w.a.scope(roles.TENANT_ADMIN)
    c = contractor(
        admin, name="黔安矿山工程有限公司", until=datetime.date.today() + datetime.timedelta(days=20)
    )
    e = engage(admin, w.a, c).engagement
    with activate(admin):
        services.staff_assign(scope=admin, engagement=e, person=person(w.a))
        services.appraisal_record(
            scope=admin, engagement=e, period=datetime.date.today().replace(day=1), score=55
        )

    log_in(page, w.a.users[roles.TENANT_ADMIN])
    page.goto(f"{live_server.url}/contractors/")
    page.get_by_role("link", name="黔安矿山工程有限公司").click()
    expect(page.get_by_test_id("contractor-status")).to_have_text("合格在用")
    expect(page.get_by_test_id("qualification-table")).to_contain_text("安全生产许可证")
    expect(page.get_by_test_id("staff-table")).to_contain_text("外包工")
    shot(page, "contractor-page")

    page.get_by_test_id("qualification-new").click()
    page.select_option("#id_kind", "other")
    page.fill("#id_number", "QT-2026-1")
    page.fill("#id_issuer", "贵州省应急管理厅")
    page.fill("#id_valid_from", "2026-01-01")
    page.fill("#id_valid_until", "2029-01-01")
    page.locator("#id_scan").set_input_files(
        {"name": "扫描件.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_test_id("contractors-save").click()
    expect(page.get_by_test_id("qualification-table")).to_contain_text("QT-2026-1")

    page.goto(f"{live_server.url}/contractors/mines/{w.a.mine.pk}/")
    expect(page.get_by_test_id("caps-table")).to_contain_text("1")
    expect(page.get_by_test_id("headcounts")).to_contain_text("外包人员")
    shot(page, "mine-outsourcing")
