"""The pages, htmx and Swagger UI work under the Content-Security-Policy: no violation reported
in the browser console, the htmx reveal still swaps in place, and a token can be made and seen
once."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tenants import roles
from tests.factories import resident_id

pytestmark = pytest.mark.browser


@pytest.fixture
def csp_violations(page):
    """Console messages in which Chromium reports a blocked script, style, image, frame …"""
    seen: list[str] = []
    page.on("console", lambda msg: seen.append(msg.text) if "Content Security Policy" in msg.text else None)
    return seen


def test_pages_and_api_docs_work_under_the_policy(
    page, live_server, browser_world, log_in, csp_violations, shot
):
    w = browser_world
    log_in(page, w.a.users[roles.TENANT_ADMIN])
    paths = [
        "/",
        "/org/",
        "/mines/",
        f"/mines/{w.a.mine.pk}/",
        "/people/",
        f"/people/{w.a.people[1].pk}/",
        "/people/new/",
        "/people/import/",
        "/roles/",
        "/audit/",
        "/account/tokens/",
    ]
    for path in paths:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert "default-src 'self'" in response.headers["content-security-policy"], path
        page.wait_for_load_state("networkidle")
    shot(page, "tokens")

    page.goto(f"{live_server.url}/api/docs/")
    # Swagger UI rendered the operations from the schema: its scripts ran, nothing inline.
    expect(page.locator(".swagger-ui .opblock-tag").first).to_be_visible(timeout=20_000)
    expect(page.locator(".swagger-ui .opblock").first).to_contain_text("/api/v1/")
    page.wait_for_load_state("networkidle")
    shot(page, "api-docs")
    assert csp_violations == []


def test_htmx_reveal_still_swaps_under_the_policy(page, live_server, browser_world, log_in, csp_violations):
    w = browser_world
    person = w.a.people[1]
    log_in(page, w.a.users[roles.TENANT_ADMIN])
    page.goto(f"{live_server.url}/people/{person.pk}/")
    assert "*" in page.locator("#rid .mono").inner_text()
    with page.expect_response(lambda r: r.url.endswith(f"/people/{person.pk}/reveal/")) as info:
        page.get_by_test_id("reveal").click()
    assert info.value.status == 200
    expect(page.get_by_test_id("revealed")).to_have_text(resident_id("520201", seq=11))
    assert page.url == f"{live_server.url}/people/{person.pk}/"
    # htmx did not inject its indicator <style>: base.html switched that off.
    assert page.locator("head style").count() == 0
    assert csp_violations == []


def test_make_a_token_in_the_browser_and_revoke_it(
    page, live_server, browser_world, log_in, csp_violations, shot
):
    log_in(page, browser_world.regulator_in)
    page.get_by_test_id("who").hover()  # the account menu opens under the user's name
    page.get_by_test_id("nav-tokens").click()
    page.wait_for_url(f"{live_server.url}/account/tokens/")
    page.fill("#id_name", "监管抽查脚本")
    page.get_by_role("button", name="新建令牌").click()
    key = page.get_by_test_id("key").inner_text()
    assert key.startswith("ka_")
    shot(page, "new-key")
    row = page.locator("[data-testid=tokens] tbody tr", has_text="监管抽查脚本")
    expect(row).to_contain_text(key[:8])
    expect(row).to_contain_text("有效")
    page.goto(f"{live_server.url}/account/tokens/")
    expect(page.locator("body")).not_to_contain_text(key)  # shown once
    page.locator("[data-testid=tokens] tbody tr", has_text="监管抽查脚本").get_by_test_id("revoke").click()
    expect(page.locator(".messages")).to_contain_text("已撤销")
    expect(page.locator("[data-testid=tokens] tbody tr", has_text="监管抽查脚本")).to_contain_text("已撤销")
    assert csp_violations == []


def test_the_console_listener_does_see_a_violation(page, live_server, browser_world, csp_violations):
    """Guards the tests above against a listener that hears nothing."""
    page.goto(f"{live_server.url}/accounts/login/")
    inject_style = (
        "const s = document.createElement('style'); s.textContent = 'body{}'; document.head.append(s);"
    )
    page.evaluate(f"() => {{ {inject_style} }}")
    page.wait_for_timeout(300)
    assert any("style-src" in text for text in csp_violations), csp_violations
