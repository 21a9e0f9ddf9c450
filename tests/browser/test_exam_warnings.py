"""Issue 13 in a browser, in Chinese and English, at 1366 px and 390 px: the exam's answered
count and submit warning (with and without JavaScript), a suspended person's result page, and
the spot check's people picker. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from compliance.inspections import services as inspections
from compliance.training.models import Attempt
from tenants import roles, services
from tenants.scope import dangerously_platform_scope
from tests.factories import resident_id
from tests.inspections.test_inspections import as_role, make_bank, make_inspection, make_paper
from tests.training.test_attempts import correct_ids, wrong_id
from tests.training.test_attempts import make_bank as make_exam_bank
from tests.training.test_attempts import make_paper as make_exam_paper

from .conftest import PHONE

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1366, "height": 800}
SIZES = [("phone", PHONE), ("desktop", DESKTOP)]
LANGS = ["zh", "en"]
TEXT = {
    "zh": {
        "answered": "已答 2 / 5",
        "left": "还有 3 道题未作答",
        "confirm": "还有 2 道题未作答",
        "suspended": "你已被停止上岗",
    },
    "en": {
        "answered": "Answered 2 / 5",
        "left": "Not answered yet: 3",
        "confirm": "2 questions are not answered yet",
        "suspended": "You are suspended from post",
    },
}


def _context(browser, lang, size, **extra):
    viewport = dict(SIZES)[size]
    phone = size == "phone"
    return browser.new_context(
        viewport=viewport,
        is_mobile=phone,
        has_touch=phone,
        locale="zh-CN" if lang == "zh" else "en-US",
        **extra,
    )


def _no_horizontal_scroll(page, width):
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width + 1, f"{page.url} is {scroll}px wide"


def _question_ids(page) -> list[str]:
    return page.locator("fieldset.question").evaluate_all("els => els.map(e => e.dataset.question)")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_exam_counts_answers_and_warns_before_submitting(
    browser, live_server, browser_world, log_in, shot, lang, size
):
    w = browser_world
    make_exam_bank(w.a, single=8)
    paper = make_exam_paper(w.a, people=[w.a.worker_person], title="2026年度安全知识考试")
    context = _context(browser, lang, size)
    page = context.new_page()
    try:
        log_in(page, w.a.users[roles.WORKER])
        page.goto(f"{live_server.url}/training/exams/{paper.pk}/")
        page.get_by_test_id("start").click()
        expect(page.locator("fieldset.question")).to_have_count(5)
        ids = _question_ids(page)
        for position in (1, 3):
            page.get_by_test_id(f"question-{position}").locator(
                f"input[value='{correct_ids(ids[position - 1])[0]}']"
            ).check()
        expect(page.get_by_test_id("answered")).to_have_text(TEXT[lang]["answered"])
        # "Next unanswered" goes on from the one just answered (3) to 4.
        expect(page.get_by_test_id("next-unanswered")).to_have_attribute("href", "#q-4")
        page.get_by_test_id("next-unanswered").click()
        expect(page).to_have_url(f"{page.url.split('#')[0]}#q-4")
        _no_horizontal_scroll(page, dict(SIZES)[size]["width"])
        shot(page, f"answering-{lang}-{size}")
        page.get_by_test_id("submit").click()
        expect(page.get_by_test_id("unanswered-warning")).to_contain_text(TEXT[lang]["left"])
        expect(page.get_by_test_id("confirm-submit")).to_be_visible()
        page.get_by_test_id("unanswered-warning").scroll_into_view_if_needed()
        shot(page, f"submit-warning-{lang}-{size}")
        page.get_by_test_id("confirm-submit").click()
        expect(page.get_by_test_id("score")).to_have_text("40")
    finally:
        context.close()


@pytest.mark.parametrize("lang", LANGS)
def test_without_javascript_the_server_asks_before_submitting(
    browser, live_server, browser_world, log_in, shot, lang
):
    w = browser_world
    make_exam_bank(w.a, single=8)
    paper = make_exam_paper(w.a, people=[w.a.worker_person], title="无脚本交卷")
    context = _context(browser, lang, "phone", java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, w.a.users[roles.WORKER])
        page.goto(f"{live_server.url}/training/exams/{paper.pk}/")
        page.get_by_test_id("start").click()
        ids = _question_ids(page)
        for position in (1, 2, 3):
            page.get_by_test_id(f"question-{position}").locator(
                f"input[value='{correct_ids(ids[position - 1])[0]}']"
            ).check()
        page.get_by_test_id("submit").click()  # <details> opens without a script
        page.get_by_test_id("confirm-submit").click()
        expect(page.get_by_test_id("confirm-page")).to_contain_text(TEXT[lang]["confirm"])
        _no_horizontal_scroll(page, PHONE["width"])
        shot(page, f"server-confirm-{lang}")
        page.get_by_test_id("submit-anyway").click()
        expect(page.get_by_test_id("score")).to_have_text("60")
    finally:
        context.close()


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_suspended_person_is_told_on_the_result_page(browser, live_server, browser_world, shot, lang, size):
    w = browser_world
    a = w.a
    make_bank(a)
    paper = make_paper(a, title="逢查必考卷")
    make_paper(a, title="下岗复训考试", spot=False, clears=True)
    inspection = make_inspection(a)
    person = a.people[1]
    with as_role(a) as scope:
        (check,) = inspections.pick_people(scope=scope, inspection=inspection, paper=paper, people=[person])
        code = inspections.issue_code(scope=scope, spot_check=check)
    context = _context(browser, lang, size)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/training/spot/?s={check.pk}")
        page.fill("input[name=code]", code)
        page.get_by_test_id("spot-enter").click()
        expect(page.locator("fieldset.question")).to_have_count(5)
        for position, qid in enumerate(_question_ids(page), start=1):
            page.get_by_test_id(f"question-{position}").locator(f"input[value='{wrong_id(qid)}']").check()
            expect(page.get_by_test_id(f"saved-{position}")).not_to_be_empty()
        page.get_by_test_id("submit").click()
        page.get_by_test_id("confirm-submit").click()
        expect(page.get_by_test_id("suspension-note")).to_contain_text(TEXT[lang]["suspended"])
        expect(page.get_by_test_id("retest")).to_contain_text("下岗复训考试")
        expect(page.get_by_test_id("retest-enter")).to_be_visible()
        _no_horizontal_scroll(page, dict(SIZES)[size]["width"])
        shot(page, f"suspended-result-{lang}-{size}")
        with dangerously_platform_scope():
            assert Attempt.objects.get(pk=page.url.rstrip("/").split("/")[-2]).passed is False
    finally:
        context.close()


def _crowd(tw, n: int):
    """``n`` more people on post in the mine's two teams, of several posts."""
    posts = ["other", "special_operation", "safety_management", "other"]
    teams = []
    with dangerously_platform_scope() as platform:
        teams = [
            tw.team,
            services.org_unit_create(scope=platform, parent=tw.mine, kind="team", name="掘进二队"),
        ]
        for i in range(n):
            post = posts[i % len(posts)]
            services.person_create(
                scope=platform,
                org_unit=teams[i % 2],
                resident_id=resident_id("520201", seq=500 + i),
                name=f"{'张王李赵刘陈杨黄'[i % 8]}{'伟芳娜敏静强磊军'[i // 8 % 8]}{i}",
                employee_no=f"P-{i:03d}",
                post_category=post,
                operation_type="electrician" if post == "special_operation" else "",
            )


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_spot_check_people_picker_filters_and_selects(
    browser, live_server, browser_world, log_in, shot, lang, size
):
    w = browser_world
    make_bank(w.a)
    paper = make_paper(w.a, title="逢查必考卷")
    _crowd(w.a, 54)
    inspection = make_inspection(w.a)
    with as_role(w.a) as scope:
        inspections.draw_people(scope=scope, inspection=inspection, paper=paper, count=3)
    context = _context(browser, lang, size)
    page = context.new_page()
    try:
        log_in(page, w.a.users[roles.SAFETY_MANAGER])
        page.goto(f"{live_server.url}/training/inspections/{inspection.pk}/")
        expect(page.get_by_test_id("picker-filters")).to_be_visible()
        rows = page.locator("[data-testid=picker-table] tbody tr")
        total = rows.count()
        assert total >= 50
        page.get_by_test_id("picker-team").select_option("掘进二队")
        shown_team = page.locator("[data-testid=picker-table] tbody tr:not([hidden])").count()
        assert 0 < shown_team < total
        page.get_by_test_id("picker-search").fill("王")
        shown = page.locator("[data-testid=picker-table] tbody tr:not([hidden])")
        assert 0 < shown.count() < shown_team
        page.get_by_test_id("picker-select-shown").click()
        assert page.locator("input[name=people]:checked").count() == shown.count()
        page.locator("#people-picker").scroll_into_view_if_needed()
        shot(page, f"picker-{lang}-{size}")
        # The spot-check table fits a 1366 px screen without scrolling sideways.
        if size == "desktop":
            table = page.get_by_test_id("spot-table")
            fits = table.evaluate("t => t.parentElement.scrollWidth <= t.parentElement.clientWidth + 1")
            assert fits, "the spot-check table scrolls sideways at 1366 px"
            page.get_by_test_id("spot-table").scroll_into_view_if_needed()
            shot(page, f"spot-table-{lang}")
        _no_horizontal_scroll(page, dict(SIZES)[size]["width"])
        picked = shown.count()
        page.get_by_test_id("pick").click()
        expect(page.locator("[data-testid=spot-table] tbody tr[data-testid=spot-row]")).to_have_count(
            3 + picked
        )
    finally:
        context.close()
