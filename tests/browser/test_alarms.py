"""Monitoring alarms in a browser: the duty officer handles an alarm to the end on a phone (390 px,
Chinese), the queue putting the open and overdue ones first; HQ and the region's regulator read the
monthly statistics with their chart on a desktop, the regulator without any handling control."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from compliance.alarms.models import Alarm
from tenants import roles
from tests.alarms.helpers import handle, incoming, ingest, platform

from .conftest import PHONE

pytestmark = pytest.mark.browser


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1


def test_the_duty_officer_handles_an_alarm_on_a_phone(browser, live_server, browser_world, log_in, shot):
    w = browser_world
    closed = handle(w.a, ingest(w.a, incoming(point_code="C0101", location="2201 运输巷"))[0])
    late = ingest(
        w.a,
        incoming(
            point_code="T0207",
            location="1302 回风巷中部（距工作面 15 m）",
            occurred_at=timezone.now() - datetime.timedelta(hours=3),
        ),
    )[0]
    fresh = ingest(w.a, incoming(point_code="CO0311", kind="co", value=None, limit=None, unit=""))[0]
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    log_in(page, w.a.users[roles.SAFETY_MANAGER])

    # The queue: open alarms first (the overdue one on top, marked), the closed one last.
    page.goto(f"{live_server.url}/alarms/")
    rows = page.get_by_test_id("alarm-row")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("T0207")
    expect(rows.nth(1)).to_contain_text("CO0311")
    expect(rows.nth(2)).to_contain_text("C0101")
    expect(page.get_by_test_id("alarm-overdue")).to_have_count(1)
    expect(rows.nth(0).get_by_test_id("alarm-overdue")).to_contain_text("超期")
    expect(rows.nth(0)).to_contain_text("未处置")
    expect(rows.nth(2)).to_contain_text("已闭环")
    # The filter offers the group's mines by name, and the point code box says what it is for.
    expect(page.locator("#id_mine option", has_text=w.a.mine.name)).to_have_count(1)
    expect(page.locator("#id_point")).to_have_attribute("placeholder", "测点编号")
    _fits(page)
    shot(page, "queue")

    # Opening the overdue alarm: its facts, the warning, only the acknowledge step offered.
    rows.nth(0).get_by_role("link").click()
    page.wait_for_url(f"{live_server.url}/alarms/{late.pk}/")
    expect(page.get_by_test_id("alarm-status")).to_contain_text("未处置")
    expect(page.get_by_test_id("alarm-overdue")).to_contain_text("待核实")
    expect(page.locator("main")).to_contain_text("1302 回风巷中部")
    expect(page.get_by_test_id("alarm-check")).to_have_count(0)
    expect(page.get_by_test_id("alarm-close")).to_have_count(0)
    _fits(page)
    shot(page, "opened")

    page.fill("#id_note", "已通知瓦斯检查工赶赴现场")
    page.get_by_test_id("alarm-acknowledge").click()
    expect(page.get_by_test_id("alarm-status")).to_contain_text("已确认")
    expect(page.get_by_test_id("alarm-acknowledge")).to_have_count(0)
    expect(page.get_by_test_id("alarm-history")).to_contain_text("已通知瓦斯检查工赶赴现场")
    _fits(page)
    shot(page, "acknowledged")

    page.fill("#id_findings", "现场便携仪检测瓦斯浓度 0.35%，传感器读数已回落")
    page.get_by_test_id("alarm-check").click()
    expect(page.get_by_test_id("alarm-status")).to_contain_text("已核查")
    _fits(page)

    # A bad close: the cause given, no measures — the error is on the measures field only.
    page.fill("#id_cause", "采空区瓦斯涌出")
    page.get_by_test_id("alarm-close").click()
    expect(page.locator("p.error[data-field=measures]")).to_have_text("此项为必填项。")
    expect(page.locator("p.error")).to_have_count(1)
    expect(page.locator("#id_cause")).to_have_value("采空区瓦斯涌出")
    expect(page.get_by_test_id("alarm-status")).to_contain_text("已核查")
    _fits(page)
    shot(page, "close-error")

    page.fill("#id_measures", "调整 1302 工作面风量，加强上隅角瓦斯抽采")
    page.get_by_test_id("alarm-close").click()
    expect(page.get_by_test_id("alarm-status")).to_contain_text("已闭环")
    main = page.locator("main")
    expect(main).to_contain_text("采空区瓦斯涌出")
    expect(main).to_contain_text("加强上隅角瓦斯抽采")
    expect(main).to_contain_text("现场便携仪检测瓦斯浓度 0.35%")
    expect(page.locator("main form")).to_have_count(0)
    expect(page.get_by_test_id("alarm-history").locator("li")).to_have_count(4)  # the alarm, 3 steps
    # The history in words, not codes: each step and the states it moved between.
    history = page.get_by_test_id("alarm-history")
    expect(history).to_contain_text("确认报警 (未处置 → 已确认)")
    expect(history).to_contain_text("现场核查 (已确认 → 已核查)")
    expect(history).to_contain_text("闭环处置 (已核查 → 已闭环)")
    assert "acknowledge" not in history.inner_text()
    _fits(page)
    shot(page, "closed")

    with platform():
        late.refresh_from_db()
        assert late.status == Alarm.Status.CLOSED and late.measures.startswith("调整 1302")
        assert late.closed_by and late.closed_at is not None
        assert Alarm.objects.get(pk=fresh.pk).status == Alarm.Status.OPEN
        assert Alarm.objects.get(pk=closed.pk).status == Alarm.Status.CLOSED

    # Back in the queue, the handled alarm is no longer overdue.
    page.goto(f"{live_server.url}/alarms/")
    expect(page.get_by_test_id("alarm-overdue")).to_have_count(0)
    expect(page.get_by_test_id("alarm-row").nth(0)).to_contain_text("CO0311")
    _fits(page)
    context.close()


def test_monthly_statistics_for_hq_and_the_regulator(browser, live_server, browser_world, log_in, shot):
    w = browser_world
    handle(w.a, ingest(w.a, incoming(point_code="T0101"))[0])
    handle(w.a, ingest(w.a, incoming(point_code="T0101"))[0])
    open_alarm = ingest(w.a, incoming(point_code="T0101"))[0]
    ingest(w.b, incoming(point_code="B0909"))  # the other group's mine, in the same region
    month = timezone.localtime().strftime("%Y-%m")

    for who, user in (("hq", w.a.users[roles.HQ_AUDITOR]), ("regulator", w.regulator_in)):
        context = browser.new_context(locale="zh-CN")
        page = context.new_page()
        log_in(page, user)
        page.goto(f"{live_server.url}/alarms/stats/")
        expect(page.locator("h1")).to_have_text("报警统计")
        chart = page.get_by_test_id("alarm-chart")
        expect(chart).to_be_visible()
        assert page.evaluate("el => el.complete && el.naturalWidth > 0", chart.element_handle()), (
            "the chart did not load"
        )
        row = page.get_by_test_id("alarm-stats-row").filter(has_text=w.a.mine.name)
        expect(row).to_have_count(1)
        cells = row.locator("td")
        texts = cells.all_inner_texts()
        # month, [group,] mine, alarms, on time, late, open, overdue now, on-time rate
        figures = texts[-6:]
        assert texts[0] == month
        assert figures[:5] == ["3", "2", "0", "1", "0"]
        assert figures[5] == "67%"  # 2 of 3 closed on time
        # Points repeated 3 times within 7 days (the shipped, unverified rule) are listed.
        expect(page.get_by_test_id("alarm-repeats")).to_contain_text("T0101")
        other = page.get_by_test_id("alarm-stats-row").filter(has_text=w.b.mine.name)
        expect(other).to_have_count(1 if who == "regulator" else 0)
        if who == "regulator":
            expect(page.locator("thead")).to_contain_text("集团")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280 + 1
        shot(page, who)

        # The alarm's page: read-only for both (no handling form).
        page.goto(f"{live_server.url}/alarms/{open_alarm.pk}/")
        expect(page.get_by_test_id("alarm-status")).to_contain_text("未处置")
        expect(page.locator("main form")).to_have_count(0)
        for step in ("acknowledge", "check", "close"):
            expect(page.get_by_test_id(f"alarm-{step}")).to_have_count(0)
        page.goto(f"{live_server.url}/alarms/")
        expect(page.get_by_test_id("alarm-row")).to_have_count(4 if who == "regulator" else 3)
        expect(page.get_by_test_id("alarm-import")).to_have_count(0)
        expect(page.get_by_test_id("alarm-feeds")).to_have_count(0)
        shot(page, f"{who}-queue")
        context.close()

    # The regulator on a phone: the chart shrinks to the screen, the table scrolls in its own box.
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    log_in(page, w.regulator_in)
    page.goto(f"{live_server.url}/alarms/stats/")
    expect(page.get_by_test_id("alarm-stats-row")).to_have_count(2)
    box = page.get_by_test_id("alarm-chart").bounding_box()
    assert box is not None and box["width"] <= PHONE["width"]
    _fits(page)
    shot(page, "regulator-phone")
    context.close()
