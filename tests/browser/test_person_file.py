"""The person page as 一人一档 (issue 12) in a real browser: the panels the capabilities registered —
training hours, certificates, exam attempts, spot-exam results and holds — under a contents line,
readable on a laptop and on a phone."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from tenants import holds, roles
from tenants.scope import activate

from ..training.test_attempts import make_paper
from ..training.test_certificates import make_cert
from ..training.test_person_panels import make_attempt
from .conftest import PHONE

pytestmark = pytest.mark.browser

PANELS = ("person-hours", "person-certificates", "person-attempts", "person-holds", "person-spot-exams")


def _file_of(world):
    """A worker with a certificate, a failed exam and an open hold: every panel has a row."""
    person = world.a.people[1]
    # Dates given: a transactional test before this one may have emptied the shipped rule packs.
    make_cert(
        person,
        number="KA-2026-000777",
        expires_on=datetime.date(2031, 3, 1),
        review_due_on=datetime.date(2028, 3, 1),
    )
    make_attempt(person, make_paper(world.a, title="2026年度安全知识考试"), passed=False, score="55")
    with activate(world.a.scope(roles.SAFETY_MANAGER)) as scope:
        holds.place_hold(
            scope=scope,
            person=person,
            source="inspections.spot_exam",
            reason="逢查必考未通过：2026-12-01 井下安全检查",
            reference=person,
        )
    return person


def test_the_person_file_shows_every_panel_on_a_laptop_and_a_phone(
    browser, live_server, browser_world, log_in, shot
):
    person = _file_of(browser_world)
    for name, viewport in (("laptop", {"width": 1366, "height": 900}), ("phone", PHONE)):
        context = browser.new_context(viewport=viewport, locale="zh-CN")
        page = context.new_page()
        try:
            log_in(page, browser_world.a.users[roles.SAFETY_MANAGER])
            page.goto(f"{live_server.url}/people/{person.pk}/")
            for testid in PANELS:
                expect(page.get_by_test_id(testid)).to_be_visible()
            expect(page.get_by_test_id("person-file")).to_be_visible()  # the contents line
            expect(page.get_by_test_id("person-certificates")).to_contain_text("KA-2026-000777")
            expect(page.get_by_test_id("person-holds")).to_contain_text("逢查必考未通过")
            # Nothing sticks out sideways: tables scroll inside their own box on a phone.
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
            shot(page, f"person-file-{name}")
        finally:
            context.close()
