"""Each role's home page on the demo, in a real browser: a to-do list whose counts link to the
lists behind them, in Chinese and in English, at 1366 px (and 390 px for the worker and group HQ,
on a phone); group HQ also sees each subsidiary's status, a subsidiary opening to its mines'
figures. Screenshots go to test-artifacts/screenshots/ (test_each_role_home_on_the_demo--*.png)."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from tenants.scope import dangerously_platform_scope

from .conftest import PHONE, shipped_data_present

pytestmark = [pytest.mark.browser, pytest.mark.no_world]

DESKTOP = {"width": 1366, "height": 900}
DEMO_PASSWORD = "Kuangan-demo-2026"
CJK = re.compile(r"[\u4e00-\u9fff]")
# Role → demo login, and the to-dos its story in the README promises.
ROLES = {
    "worker": ("qn-worker1", {"todo-training-my-exams", "todo-training-my-hours"}),
    "safety-manager": (
        "qn-manager",
        {"todo-training-people-short", "todo-training-certificates-expired", "todo-inspections-suspended"},
    ),
    "hq-auditor": ("qn-auditor", {"todo-grading-submitted", "todo-grading-not-permitted"}),
    "regulator": ("reg-gz", {"todo-grading-not-permitted", "todo-grading-recheck-overdue"}),
}


def _log_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}/")


def _no_horizontal_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def _check_group_status(page, role: str, *, lang: str):
    """Group HQ: one row per subsidiary; the first with the worst flag opens (a plain <details>) to
    its mines × figures, each figure linking to its list, the table scrolling inside its box."""
    subsidiaries = page.get_by_test_id("subsidiary")
    if role != "hq-auditor":
        expect(page.get_by_test_id("group-status")).to_have_count(0)
        return
    expect(page.get_by_test_id("group-status")).to_be_visible()
    assert subsidiaries.count() >= 2
    worst = page.locator("[data-testid=subsidiary][data-worst=violation]")
    row = worst.first if worst.count() else subsidiaries.first
    row.locator("summary").click()
    expect(row.locator("table.mine-figures")).to_be_visible()
    assert row.get_by_test_id("mine-status").count() >= 1
    header = row.locator("thead th").all_inner_texts()
    assert len(header) > 5 and bool(CJK.search(" ".join(header[1:]))) == (lang == "zh"), header
    link = row.locator("a.figure").first
    assert link.get_attribute("href")
    assert row.locator(".figure .flag").count() >= 1
    _no_horizontal_scroll(page)


def _check_home(page, expected: set[str], *, lang: str):
    todo = page.get_by_test_id("todo")
    expect(todo).to_be_visible()
    keys = set(page.locator("li.todo-item").evaluate_all("items => items.map(i => i.dataset.testid)"))
    assert expected <= keys, (expected - keys, keys)
    counts = page.locator("b.todo-count").all_inner_texts()
    assert counts and all(int(c) > 0 for c in counts)  # zero counts are dropped
    text = todo.inner_text()
    assert bool(CJK.search(text)) == (lang == "zh"), text[:200]
    _no_horizontal_scroll(page)


@pytest.mark.shipped_data  # the demo needs the national rule packs: runs before other transactional tests
@pytest.mark.django_db(transaction=True)
def test_each_role_home_on_the_demo(browser, live_server, shot):
    with dangerously_platform_scope():
        assert shipped_data_present(), "a transactional test ran before this one: see the shipped_data marker"
        call_command("seed_demo", stdout=StringIO(), stderr=StringIO())
        # The reminders the embedded default's scheduler makes (docs/jobs.md): on the home pages too.
        call_command("run_scheduled_jobs", stdout=StringIO())
        assert get_user_model().objects.filter(username="qn-manager").exists()
    base = live_server.url
    for role, (username, expected) in ROLES.items():
        sizes = [("desktop", DESKTOP)] + ([("phone", PHONE)] if role in ("worker", "hq-auditor") else [])
        for size_name, viewport in sizes:
            phone = size_name == "phone"
            context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone, locale="zh-CN")
            page = context.new_page()
            try:
                _log_in(page, base, username)
                _check_home(page, expected, lang="zh")
                _check_group_status(page, role, lang="zh")
                shot(page, f"{role}-{size_name}-zh")
                # Each count opens the filtered list behind it.
                first = page.locator("li.todo-item a.todo-link").first
                assert first.get_attribute("href")
                page.get_by_test_id("lang-en").click()
                expect(page.locator("html")).to_have_attribute("lang", "en")
                _check_home(page, expected, lang="en")
                _check_group_status(page, role, lang="en")
                shot(page, f"{role}-{size_name}-en")
            finally:
                context.close()
