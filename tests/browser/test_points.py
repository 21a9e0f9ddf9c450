"""Team safety points (班组安全积分) in a browser: the worker's own page on a phone (balance,
history with reasons, what the thresholds mean), a safety manager recording an entry through the
form (field-by-field errors first) and reversing it with a reason, the monthly team ranking board
of a mine (and its print view), and the watch list of people near thresholds."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from compliance.points import services
from compliance.points.models import Entry
from tenants import roles
from tenants.scope import activate, dangerously_platform_scope
from tests.points.factories import install, rule, verify_thresholds

from .conftest import PHONE

pytestmark = pytest.mark.browser


def record(tw, code, person, reason, *, days_ago=0):
    sm = tw.scope(roles.SAFETY_MANAGER)
    with activate(sm):
        return services.entry_record(
            scope=sm,
            person=person,
            rule=rule(tw, code),
            occurred_on=timezone.localdate() - datetime.timedelta(days=days_ago),
            reason=reason,
        ).entry


def no_horizontal_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1


def test_a_worker_reads_their_points_on_a_phone(browser, live_server, browser_world, log_in, shot):
    w = browser_world
    install(w.a)
    verify_thresholds(w.a)
    record(w.a, "SW-ZY-2", w.a.worker_person, "11302回采工作面未戴安全帽进入作业地点，班前会已当面指出")
    record(w.a, "SW-ZY-3", w.a.worker_person, "交接班记录未签字")
    record(w.a, "SW-ZY-3", w.a.people[1], "别人的违章")
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    log_in(page, w.a.users[roles.WORKER])
    page.goto(f"{live_server.url}/points/me/")
    # 12 to start with, -3 and -1.
    expect(page.get_by_test_id("points-balance-value")).to_have_text("8")
    history = page.get_by_test_id("points-history").locator("li")
    expect(history).to_have_count(2)
    expect(page.get_by_test_id("points-history")).to_contain_text("未戴安全帽")
    expect(page.get_by_test_id("points-history")).to_contain_text("-3")
    expect(page.get_by_test_id("points-history")).not_to_contain_text("别人的违章")
    thresholds = page.get_by_test_id("points-thresholds").locator("li")
    expect(thresholds).to_have_count(3)
    # Verified by the group: no "to be confirmed" note.
    expect(page.get_by_test_id("points-thresholds")).not_to_contain_text("（")
    # Below 9 already: the warning talk is open and shown.
    expect(page.get_by_test_id("points-action")).to_have_count(1)
    no_horizontal_scroll(page)
    shot(page, "me-phone")
    context.close()


def test_a_safety_manager_records_and_reverses_an_entry(browser, live_server, browser_world, log_in, shot):
    w = browser_world
    install(w.a)
    verify_thresholds(w.a)
    person = w.a.worker_person
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    log_in(page, w.a.users[roles.SAFETY_MANAGER])
    page.goto(f"{live_server.url}/points/")
    page.get_by_test_id("points-new").click()
    # A bad submission: a day in the future and a reason left empty.
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    page.select_option("#id_person", str(person.pk))
    page.select_option("#id_rule", str(rule(w.a, "SW-ZY-2").pk))
    page.fill("#id_occurred_on", tomorrow.isoformat())
    page.get_by_test_id("points-save").click()
    expect(page.locator("[data-field=reason]")).to_be_visible()
    shot(page, "record-error-reason")
    # What was chosen stays chosen; then the service's checks, each under its own field.
    assert page.locator("#id_person").input_value() == str(person.pk)
    page.fill("#id_reason", "井下作业时未戴安全帽")
    page.fill("#id_evidence_url", "not a link")
    page.get_by_test_id("points-save").click()
    expect(page.locator("[data-field=occurred_on]")).to_be_visible()
    expect(page.locator("[data-field=evidence_url]")).to_be_visible()
    expect(page.locator("[data-field=reason]")).to_have_count(0)
    shot(page, "record-errors")
    page.fill("#id_evidence_url", "")
    page.fill("#id_occurred_on", timezone.localdate().isoformat())
    page.fill("#id_reason", "井下作业时未戴安全帽")
    page.get_by_test_id("points-save").click()
    page.wait_for_url(f"{live_server.url}/points/")
    rows = page.get_by_test_id("points-table").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(person.name)
    expect(rows.first).to_contain_text("-3")
    expect(rows.first).to_contain_text("井下作业时未戴安全帽")
    shot(page, "ledger-recorded")

    # Reverse it: a reason is required, then a reversing entry of +3.
    rows.first.get_by_test_id("points-correct").click()
    page.get_by_test_id("points-reverse").click()
    expect(page.locator("[data-field=reason]")).to_be_visible()
    shot(page, "reverse-error")
    page.fill("#id_reason", "复核监控录像，当事人已佩戴安全帽，记录有误")
    page.get_by_test_id("points-reverse").click()
    page.wait_for_url(f"{live_server.url}/points/")
    rows = page.get_by_test_id("points-table").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(page.get_by_test_id("points-table")).to_contain_text("+3")
    expect(page.get_by_test_id("points-table")).to_contain_text("记录有误")
    # The corrected entry offers no second correction; the reversal none of its own.
    expect(page.get_by_test_id("points-reversed")).to_have_count(1)
    expect(page.get_by_test_id("points-correct")).to_have_count(0)
    shot(page, "ledger-reversed")
    context.close()
    with dangerously_platform_scope():
        original = Entry.objects.get(person=person, reverses__isnull=True)
        assert original.points == -3
        assert Entry.objects.get(reverses=original).points == 3


def test_the_monthly_team_ranking_board(browser, live_server, browser_world, log_in, shot):
    from tenants import services as tenant_services
    from tests.factories import resident_id

    w = browser_world
    install(w.a)
    verify_thresholds(w.a)
    with dangerously_platform_scope() as platform:
        team2 = tenant_services.org_unit_create(
            scope=platform, parent=w.a.mine, kind="team", name=f"{w.a.tenant.name}机电二队"
        )
        p2 = tenant_services.person_create(
            scope=platform, org_unit=team2, resident_id=resident_id("520201", birth="19880101", seq=7),
            name="赵机电", employee_no="JD-007", post_category="other",
        )  # fmt: skip
    record(w.a, "SW-ZY-2", w.a.worker_person, "未戴安全帽")
    record(w.a, "SW-ZY-3", p2, "交接班记录未签字")
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    log_in(page, w.a.users[roles.SAFETY_MANAGER])
    month = timezone.localdate().strftime("%Y-%m")
    page.goto(f"{live_server.url}/points/ranking/?mine={w.a.mine.pk}&month={month}")
    table = page.get_by_test_id("points-ranking")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(2)
    # 机电二队 lost 1 point with one member; 综采一队 lost 3 among its members: 二队 first.
    expect(rows.nth(0)).to_contain_text("机电二队")
    expect(rows.nth(0).locator("td").nth(0)).to_have_text("1")
    expect(rows.nth(0).locator("td").nth(3)).to_have_text("-1")
    expect(rows.nth(1)).to_contain_text(w.a.team.name)
    expect(rows.nth(1).locator("td").nth(3)).to_have_text("-3")
    expect(page.locator("h1")).to_contain_text(w.a.mine.name)
    shot(page, "ranking-desktop")
    page.emulate_media(media="print")
    expect(page.get_by_test_id("points-ranking-filters")).to_be_hidden()
    expect(page.locator("header.topbar")).to_be_hidden()
    expect(table).to_be_visible()
    shot(page, "ranking-print")
    page.emulate_media(media="screen")
    context.close()


def test_the_watch_list_of_people_near_thresholds(browser, live_server, browser_world, log_in, shot):
    w = browser_world
    install(w.a)
    worker, other = w.a.worker_person, w.a.people[1]
    # 12 - 3 - 3 = 6: below the talk (9), at training (6 is not below 6): near.
    record(w.a, "SW-ZY-2", worker, "未戴安全帽", days_ago=1)
    record(w.a, "SW-ZY-2", worker, "跨越运行中的带式输送机")
    # 12 + 2 = 14: 3 or more above the highest threshold (9): not near.
    record(w.a, "AW-STOP-UNSAFE", other, "制止他人跨越运行中的带式输送机")
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    log_in(page, w.a.users[roles.SAFETY_MANAGER])
    page.goto(f"{live_server.url}/points/watch/")
    near = page.get_by_test_id("points-near").locator("tbody tr")
    expect(near).to_have_count(1)
    expect(near.first).to_contain_text(worker.name)
    expect(near.first.locator("td").last).to_have_text("6")
    expect(page.get_by_test_id("points-near")).not_to_contain_text(other.name)
    # Thresholds not yet verified by the group: warn only, and the page says so.
    expect(page.locator("main")).to_contain_text("仅提示")
    # Balance 6 is below the talk's 9: one open warning talk, with its close form.
    actions = page.get_by_test_id("points-action-row")
    expect(actions).to_have_count(1)
    expect(actions.first).to_contain_text(worker.name)
    expect(actions.first.locator("td").last).to_have_text("6")
    expect(page.locator("form.points-close input[name=note]")).to_have_count(1)
    shot(page, "watch-desktop")
    context.close()

    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    log_in(page, w.a.users[roles.SAFETY_MANAGER])
    page.goto(f"{live_server.url}/points/watch/")
    expect(page.get_by_test_id("points-near").locator("tbody tr")).to_have_count(1)
    no_horizontal_scroll(page)
    # The close form's note and button fit inside the table's width (nothing hidden to the right).
    wrap = page.get_by_test_id("points-actions").locator("xpath=..")
    shot(page, "watch-phone")
    assert wrap.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    context.close()
