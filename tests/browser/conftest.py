"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

The live server runs in a thread of this process; the sync Playwright API keeps an event loop
in the main thread, so Django's async-safety check must be relaxed for the ORM calls the tests
and the server make.
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import re  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from tests.conftest import _WORLD, PASSWORD, World  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": LAUNCH_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 800}, "locale": "zh-CN"}


@pytest.fixture
def browser_world(_committed_world, transactional_db) -> World:
    """The same two tenants and regulators as ``world``, committed so the live server sees them
    (the worker's world is committed; this test empties the tables when it ends)."""
    import copy

    return copy.deepcopy(_WORLD["template"])


@pytest.fixture
def shot(request):
    """``shot(page, "name")``: a full-page screenshot into test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    prefix = re.sub(r"[^\w-]+", "_", request.node.name).strip("_")

    def take(page, name: str) -> Path:
        safe = re.sub(r"[^\w-]+", "_", name)
        path = SCREENSHOTS / f"{prefix}--{safe}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def log_in(live_server):
    """``log_in(page, user)``: fills the login form like a person and lands on the home page."""

    def do(page, user):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", user.get_username())
        page.fill("#id_password", PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(f"{live_server.url}/")
        return page

    return do


def shipped_data_present() -> bool:
    """Migrations ship national reference data (rule packs, standards, rules, criteria); a
    transactional test before this one in the same worker empties every table with TRUNCATE,
    those rows included, and the demo cannot be built without them."""
    from compliance.training.models import RulePack

    return RulePack.objects.filter(owner_tenant__isnull=True).exists()
