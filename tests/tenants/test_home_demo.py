"""On the demo, every count on every role's home page equals the number of rows of the list it
links to (the same selector with the same filter), and each role gets the to-dos its story needs."""

from __future__ import annotations

import html
import re

import pytest
from django.contrib.auth import get_user_model

from tenants.scope import dangerously_platform_scope

from ..conftest import login

pytestmark = pytest.mark.no_world

ITEM = re.compile(
    r'data-testid="(todo-[a-z0-9-]+)">\s*<a href="([^"]+)" class="todo-link">'
    r'<b class="todo-count" data-testid="todo-[a-z0-9-]+-count">(\d+)</b>'
)
LOGINS = [
    "qn-worker1",
    "qn-worker2",
    "qn-manager",
    "qn-auditor",
    "qn-admin",
    "jt-manager",
    "reg-gz",
    "reg-national",
]


@pytest.fixture
def demo(seeded_demo):
    with dangerously_platform_scope():
        yield


def _rows(response) -> int:
    context = response.context
    if "page" in context and hasattr(context["page"], "paginator"):
        return context["page"].paginator.count
    return len(context["rows"])


def _home_items(username):
    client = login(get_user_model().objects.get(username=username))
    page = client.get("/").content.decode()
    return client, [(key, html.unescape(url), int(n)) for key, url, n in ITEM.findall(page)]


@pytest.mark.django_db
@pytest.mark.parametrize("username", LOGINS)
def test_every_count_equals_the_rows_of_its_list(demo, username):
    client, found = _home_items(username)
    for key, url, count in found:
        response = client.get(url)
        assert response.status_code == 200, (key, url)
        if key in {
            "todo-training-my-exams",
            "todo-training-my-hours",
            "todo-inspections-my-retest",
            "todo-lists-to-sign",
        }:
            continue  # the worker's own pages, not filtered lists
        assert _rows(response) == count, (username, key, url)


@pytest.mark.django_db
def test_each_role_has_the_to_dos_of_its_story(demo):
    keys = {
        u: {k for k, _url, _n in _home_items(u)[1]}
        for u in ("qn-worker1", "qn-manager", "qn-auditor", "reg-gz")
    }
    assert "todo-training-my-exams" in keys["qn-worker1"]
    assert {
        "todo-training-people-short",
        "todo-training-certificates-expired",
        "todo-inspections-suspended",
    } <= keys["qn-manager"]
    assert {"todo-grading-submitted", "todo-grading-not-permitted"} <= keys["qn-auditor"]
    assert {
        "todo-grading-not-permitted",
        "todo-grading-recheck-overdue",
        "todo-training-certificates-expired",
    } <= keys["reg-gz"]
