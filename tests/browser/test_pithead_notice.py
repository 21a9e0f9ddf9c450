"""The pithead notice (带班领导公示) in the browser: today's leaders in large type, the month's
plan, a wall-screen version and a printable page, with no Content Security Policy complaint."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from compliance.duties import services
from compliance.duties.models import Post
from tenants import roles
from tenants.scope import activate
from tests.duties.posts.helpers import appoint, make_people

pytestmark = pytest.mark.browser


def test_pithead_notice_shows_todays_leaders_prints_and_fills_a_wall(
    page, live_server, browser_world, log_in, shot
):
    w = browser_world
    tw = w.a
    manager, deputy = make_people(tw, 2, seq=900)
    appoint(tw, tw.mine, Post.MINE_MANAGER, manager, on=datetime.date(2025, 1, 1))
    appoint(tw, tw.mine, Post.SAFETY_DEPUTY, deputy, on=datetime.date(2025, 1, 1))
    today = datetime.date.today()
    with activate(tw.scope(roles.SAFETY_MANAGER)) as scope:
        for offset in range(-3, 10):
            day = today + datetime.timedelta(days=offset)
            for shift in (1, 2, 3):
                leader = manager if (offset + shift) % 2 else deputy
                services.shift_plan_set(scope=scope, mine=tw.mine, on_date=day, shift=shift, leader=leader)
    csp = []
    page.on("console", lambda msg: csp.append(msg.text) if "Content Security Policy" in msg.text else None)
    log_in(page, tw.users[roles.SAFETY_MANAGER])
    page.goto(f"{live_server.url}/duties/shifts/mine/{tw.mine.pk}/")
    page.get_by_test_id("notice-link").click()
    expect(page.get_by_test_id("notice-title")).to_contain_text(tw.mine.name)
    today_box = page.get_by_test_id("notice-today")
    expect(today_box).to_contain_text(manager.name)
    expect(today_box).to_contain_text("早班")
    size = today_box.locator("td").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 32, size  # readable from across the pithead
    shot(page, "notice")
    page.emulate_media(media="print")
    shot(page, "notice-print")
    page.emulate_media(media="screen")
    page.goto(page.url + "&wall=1" if "?" in page.url else page.url + "?wall=1")
    expect(page.get_by_test_id("notice-today")).to_contain_text(manager.name)
    shot(page, "notice-wall")
    assert not csp, csp
