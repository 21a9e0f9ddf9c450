"""Failed logins in the group's audit trail: shown to the group admin and HQ auditor of the group
the login name belongs to, filterable, and to nobody else."""

from __future__ import annotations

import pytest
from django.test import Client

from compliance.audit.models import AuditEvent
from tenants import roles
from tenants.scope import dangerously_platform_scope

from ..conftest import login

pytestmark = pytest.mark.django_db


def _fail(username: str) -> None:
    response = Client().post("/accounts/login/", {"username": username, "password": "wrong-password"})
    assert response.status_code == 200  # the form again, with its error


def _api_names(user, **query) -> list[str]:
    response = login(user).get("/api/v1/audit-events/", query)
    if response.status_code == 403:  # a regulator with no mine in its region has no grant at all
        return []
    results = response.json()["results"]
    return [e["object_repr"] for e in results if e["action"] == "login_failed"]


def _page(user, **query) -> str:
    return login(user).get("/audit/", query).content.decode()


def test_a_failed_login_shows_in_its_groups_trail_and_nowhere_else(world):
    target = world.a.users[roles.WORKER].username
    _fail(target)
    _fail("no-such-login")
    for role in (roles.TENANT_ADMIN, roles.HQ_AUDITOR):
        user = world.a.users[role]
        assert _api_names(user) == [target]
        assert _api_names(user, action="login_failed") == [target]
        page = _page(user, action="login_failed")
        assert target in page and "no-such-login" not in page
        assert 'value="login_failed" selected' in page  # the filter offers it
        # Filtered out with another action.
        assert _api_names(user, action="update") == []
    for user in (
        world.b.users[roles.TENANT_ADMIN],
        world.b.users[roles.HQ_AUDITOR],
        world.regulator_in,
        world.regulator_out,
    ):
        assert _api_names(user, action="login_failed") == []
        assert target not in _page(user, action="login_failed")
    with dangerously_platform_scope():
        unknown = AuditEvent.objects.get(action="login_failed", object_repr="no-such-login")
        known = AuditEvent.objects.get(action="login_failed", object_repr=target)
    assert unknown.tenant_id is None and unknown.org_path == ""  # the platform's only
    assert known.tenant_id == world.a.tenant.pk and known.org_path == world.a.hq.path


def test_a_failed_login_of_the_other_group_stays_there(world):
    target = world.b.users[roles.SAFETY_MANAGER].username
    _fail(target)
    assert _api_names(world.b.users[roles.TENANT_ADMIN]) == [target]
    assert target in _page(world.b.users[roles.HQ_AUDITOR], action="login_failed")
    assert _api_names(world.a.users[roles.TENANT_ADMIN]) == []
    assert target not in _page(world.a.users[roles.HQ_AUDITOR])
