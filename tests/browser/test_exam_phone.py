"""A worker takes an exam on a phone-sized screen: start, answer (each answer saved as chosen),
reload and find the answers, submit, see the result; the clock submits an attempt at the
deadline, and one left alone is submitted by the scheduled job and shows up graded."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from compliance.training import attempts
from compliance.training.models import Attempt
from tenants import roles
from tenants.scope import dangerously_platform_scope
from tests.training.test_attempts import correct_ids, make_bank, make_paper, wrong_id

from .conftest import PHONE

pytestmark = pytest.mark.browser


def _no_horizontal_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"{page.url} is {width}px wide"


def _phone(browser):
    return browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")


def _answer(page, position: int, option_id: str):
    question = page.get_by_test_id(f"question-{position}")
    question.locator(f"input[value='{option_id}']").check()
    expect(page.get_by_test_id(f"saved-{position}")).to_have_text("已保存")


def _question_ids(page) -> list[str]:
    return page.locator("fieldset.question").evaluate_all("els => els.map(e => e.dataset.question)")


def _attempt_id(page) -> str:
    return page.url.rstrip("/").split("/")[-1]


def test_worker_takes_an_exam_on_a_phone(browser, live_server, browser_world, log_in, shot):
    w = browser_world
    make_bank(w.a, single=8)
    paper = make_paper(w.a, people=[w.a.worker_person], title="2026年度安全知识考试")
    context = _phone(browser)
    page = context.new_page()
    try:
        log_in(page, w.a.users[roles.WORKER])
        page.locator("label.nav-button").click()
        page.get_by_test_id("nav-exams").click()
        expect(page.locator("h1")).to_have_text("我的考试")
        expect(page.get_by_test_id(f"exam-{paper.pk}")).to_contain_text(paper.title)
        _no_horizontal_scroll(page)
        shot(page, "my-exams")

        page.get_by_test_id("open").click()
        expect(page.locator("h1")).to_have_text(paper.title)
        shot(page, "start")
        page.get_by_test_id("start").click()
        expect(page.locator("fieldset.question")).to_have_count(5)
        expect(page.get_by_test_id("time-left")).to_contain_text("剩余时间")
        expect(page.locator("#countdown")).to_have_text(re.compile(r"^1(19|20):[0-5]\d$"))
        attempt_id = _attempt_id(page)
        questions = _question_ids(page)
        for position, qid in enumerate(questions[:4], start=1):
            _answer(page, position, correct_ids(qid)[0])
        _answer(page, 5, wrong_id(questions[4]))
        _no_horizontal_scroll(page)
        shot(page, "answered")

        # A reload (or another phone) shows the saved answers and the time left.
        page.reload()
        for position, qid in enumerate(questions[:4], start=1):
            expect(page.locator(f"input[value='{correct_ids(qid)[0]}']")).to_be_checked()
            expect(page.get_by_test_id(f"saved-{position}")).to_have_text("已保存")
        expect(page.locator(f"input[value='{wrong_id(questions[4])}']")).to_be_checked()
        assert page.locator("#countdown").inner_text() <= "120:00"
        assert page.locator("#countdown").inner_text().startswith(("119:", "120:"))
        shot(page, "reloaded")

        page.get_by_test_id("submit").click()
        expect(page.get_by_test_id("confirm-submit")).to_be_visible()
        shot(page, "confirm-submit")
        page.get_by_test_id("confirm-submit").click()
        expect(page.get_by_test_id("score")).to_have_text("80")
        expect(page.get_by_test_id("verdict")).to_have_text("合格")
        expect(page.get_by_test_id("review-1")).to_be_visible()
        _no_horizontal_scroll(page)
        shot(page, "result")
        with dangerously_platform_scope():
            attempt = Attempt.objects.get(pk=attempt_id)
        assert attempt.status == "submitted" and attempt.score == 80 and attempt.passed
    finally:
        context.close()


def test_the_deadline_submits_with_and_without_the_worker(browser, live_server, browser_world, log_in, shot):
    w = browser_world
    make_bank(w.a, single=6)
    short = make_paper(
        w.a, [("single", 2, "50")], people=[w.a.worker_person], duration_minutes=1, title="一分钟小测"
    )
    left_alone = make_paper(w.a, [("single", 2, "50")], people=[w.a.worker_person], title="无人交卷")
    context = _phone(browser)
    page = context.new_page()
    try:
        log_in(page, w.a.users[roles.WORKER])

        # 1. On the page when the clock runs out: the page submits what was saved.
        page.goto(f"{live_server.url}/training/exams/{short.pk}/")
        page.get_by_test_id("start").click()
        expect(page.locator("fieldset.question")).to_have_count(2)
        first = _question_ids(page)[0]
        _answer(page, 1, correct_ids(first)[0])
        attempt_id = _attempt_id(page)
        with dangerously_platform_scope():  # the minute is nearly over: 4 seconds left
            Attempt.objects.filter(pk=attempt_id).update(deadline=timezone.now() + timedelta(seconds=4))
        page.reload()
        shot(page, "seconds-left")
        expect(page.get_by_test_id("verdict")).to_have_text("不合格", timeout=15000)
        expect(page.get_by_test_id("score")).to_have_text("50")
        expect(page.get_by_test_id("result")).to_contain_text("到时自动交卷")
        shot(page, "submitted-by-the-clock")

        # 2. Gone: the worker answers one question and closes the phone; the job submits it.
        page.goto(f"{live_server.url}/training/exams/{left_alone.pk}/")
        page.get_by_test_id("start").click()
        gone_id = _attempt_id(page)
        _answer(page, 1, correct_ids(_question_ids(page)[0])[0])
        page.close()
        with dangerously_platform_scope():
            Attempt.objects.filter(pk=gone_id).update(deadline=timezone.now() - timedelta(seconds=1))
        assert attempts.close_expired_attempts() == 1
        with dangerously_platform_scope():
            gone = Attempt.objects.get(pk=gone_id)
        assert gone.status == "expired" and gone.score == 50

        page = context.new_page()
        page.goto(f"{live_server.url}/training/exams/")
        card = page.get_by_test_id(f"exam-{left_alone.pk}")
        expect(card).to_contain_text("50 / 100")
        expect(card).to_contain_text("不合格")
        _no_horizontal_scroll(page)
        shot(page, "my-exams-after-deadline")
        card.get_by_role("link", name="50 / 100").click()
        expect(page.get_by_test_id("result")).to_contain_text("到时自动交卷")
        shot(page, "graded-by-the-job")
    finally:
        context.close()
