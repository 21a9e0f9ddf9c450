"""A login changes its own password; a group admin resets a member's, who must then change it
before anything else (pages and API)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from compliance.audit.models import AuditEvent
from compliance.tokens.models import ApiToken
from tenants import roles
from tenants.models import Membership
from tenants.scope import dangerously_platform_scope

from ..conftest import PASSWORD, login
from ..tokens.conftest import issue, with_key

pytestmark = pytest.mark.django_db
NEW = "Zhangjiawan-Shaft-7"


def _events(action: str):
    with dangerously_platform_scope():
        return list(AuditEvent.objects.filter(action=action))


def _password_login(username: str, password: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def _membership(user) -> Membership:
    with dangerously_platform_scope():
        return Membership.objects.filter(user=user).first()


# --- one's own password ------------------------------------------------------------------------
def test_the_top_bar_links_to_the_change_page(world):
    page = login(world.a.users[roles.WORKER]).get("/").content.decode()
    assert 'href="/account/password/"' in page and "修改密码" in page


def test_a_wrong_current_password_is_a_field_error_and_changes_nothing(world):
    user = world.a.users[roles.WORKER]
    client = login(user)
    response = client.post(
        "/account/password/", {"old_password": "wrong", "new_password1": NEW, "new_password2": NEW}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-field="old_password"' in body and "当前密码不正确" in body
    user.refresh_from_db()
    assert user.check_password(PASSWORD) and not _events("password_change")


def test_a_weak_password_is_refused_field_by_field(world):
    client = login(world.a.users[roles.WORKER])
    response = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 400 and 'data-field="new_password1"' in response.content.decode()


def test_changing_ones_password(world):
    user = world.a.users[roles.SAFETY_MANAGER]
    client = _password_login(user.username, PASSWORD)
    other_device = _password_login(user.username, PASSWORD)
    key, _body = issue(user.username)
    response = client.post(
        "/account/password/", {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}
    )
    assert response.status_code == 302
    assert client.get("/people/").status_code == 200  # this session stays
    assert other_device.get("/people/").status_code == 302  # every other one ends
    assert with_key(key).get("/api/v1/me/").status_code == 401  # tokens of the old password too
    (event,) = _events("password_change")
    assert event.actor_id == user.pk and event.tenant_id == world.a.tenant.pk
    assert PASSWORD not in str(event.after) and NEW not in str(event.after)
    _password_login(user.username, NEW)
    assert (
        Client().post("/accounts/login/", {"username": user.username, "password": PASSWORD}).status_code
        == 200
    )


def test_changing_ones_password_through_the_api_keeps_the_token_used(world):
    user = world.a.users[roles.WORKER]
    key, _b = issue(user.username)
    other, _b = issue(user.username)
    response = with_key(key).post(
        "/api/v1/me/password/",
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
        format="json",
    )
    assert response.status_code == 200 and response.json() == {"api_tokens_revoked": 1}
    assert with_key(key).get("/api/v1/me/").status_code == 200
    assert with_key(other).get("/api/v1/me/").status_code == 401
    wrong = with_key(key).post(
        "/api/v1/me/password/",
        {"old_password": "x", "new_password1": NEW, "new_password2": NEW},
        format="json",
    )
    assert wrong.status_code == 400 and "old_password" in wrong.json()


def test_a_regulator_changes_its_own_password(world):
    client = login(world.regulator_in)
    response = client.post(
        "/account/password/", {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}
    )
    assert response.status_code == 302
    world.regulator_in.refresh_from_db()
    assert world.regulator_in.check_password(NEW)


# --- a group admin resets a member's ---------------------------------------------------------------
def test_a_group_admin_resets_a_members_password_and_the_member_must_change_it(world):
    admin, worker = world.a.users[roles.TENANT_ADMIN], world.a.users[roles.WORKER]
    worker_session = _password_login(worker.username, PASSWORD)
    worker_key, _b = issue(worker.username)
    membership = _membership(worker)
    admin_client = login(admin)
    page = admin_client.get("/roles/").content.decode()
    assert f'href="/roles/{membership.pk}/password-reset/"' in page
    assert admin_client.get(f"/roles/{membership.pk}/password-reset/").status_code == 200
    response = admin_client.post(f"/roles/{membership.pk}/password-reset/")
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    temporary = response.context["password"]
    assert temporary in response.content.decode()
    (event,) = _events("password_reset")
    assert event.actor_id == admin.pk and event.object_id == str(worker.pk)
    assert temporary not in str(event.after)
    # Everything the old password opened is closed.
    assert worker_session.get("/").status_code == 302
    assert with_key(worker_key).get("/api/v1/me/").status_code == 401

    # At the next login every page leads to the change page, the API answers 403.
    client = _password_login(worker.username, temporary)
    for path in ("/", "/people/", "/account/tokens/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == "/account/password/", path
    assert "集团管理员已重置您的密码" in client.get("/account/password/").content.decode()
    api = client.get("/api/v1/me/")
    assert api.status_code == 403 and "/account/password/" in api.json()["detail"]
    key, _b = issue_with(worker.username, temporary)
    assert with_key(key).get("/api/v1/me/").status_code == 403

    response = client.post(
        "/account/password/", {"old_password": temporary, "new_password1": NEW, "new_password2": NEW}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200
    assert len(_events("password_change")) == 1


def issue_with(username: str, password: str):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )
    assert response.status_code == 200
    return response.json()["token"], response.json()


def test_reset_through_the_api(world):
    admin_key, _b = issue(world.a.users[roles.TENANT_ADMIN].username)
    worker = world.a.users[roles.WORKER]
    response = with_key(admin_key).post(f"/api/v1/memberships/{_membership(worker).pk}/reset-password/")
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    body = response.json()
    assert body["username"] == worker.username and body["must_change"] is True
    key, _b = issue_with(worker.username, body["temporary_password"])
    assert with_key(key).get("/api/v1/people/").status_code == 403
    changed = with_key(key).post(
        "/api/v1/me/password/",
        {"old_password": body["temporary_password"], "new_password1": NEW, "new_password2": NEW},
        format="json",
    )
    assert changed.status_code == 200
    assert with_key(key).get("/api/v1/me/").status_code == 200


@pytest.mark.parametrize("who", ["manager", "regulator", "other_tenant_admin", "worker"])
def test_only_the_members_group_admin_may_reset(world, who):
    target = world.a.users[roles.WORKER]
    caller = {
        "manager": world.a.users[roles.SAFETY_MANAGER],
        "regulator": world.regulator_in,
        "other_tenant_admin": world.b.users[roles.TENANT_ADMIN],
        "worker": world.a.users[roles.TEAM_LEADER],
    }[who]
    pk = _membership(target).pk
    expected = {"manager": 403, "regulator": 403, "other_tenant_admin": 404, "worker": 403}[who]
    assert login(caller).post(f"/roles/{pk}/password-reset/").status_code == expected
    key, _b = issue(caller.username)
    api = with_key(key).post(f"/api/v1/memberships/{pk}/reset-password/")
    assert api.status_code in ({404} if who == "other_tenant_admin" else {403, 404})
    target.refresh_from_db()
    assert target.check_password(PASSWORD) and not _events("password_reset")


def test_a_subsidiary_admin_cannot_take_over_a_login_with_a_role_above_it(world):
    """A group admin of a subsidiary manages that subsidiary's roles, not the HQ's logins."""
    from tenants import services

    with dangerously_platform_scope() as platform:
        sub_admin = services.tenant_user_create(
            tenant=world.a.tenant, username="a-sub-admin", password=PASSWORD, role=roles.TENANT_ADMIN,
            org_unit=world.a.subsidiary,
        )  # fmt: skip
        hq_auditor = world.a.users[roles.HQ_AUDITOR]
        # The HQ auditor also holds a role at the mine, which the subsidiary admin can see.
        at_mine = services.membership_grant(
            scope=platform, user=hq_auditor, org_unit=world.a.mine, role=roles.SAFETY_MANAGER
        )
    response = login(sub_admin).post(f"/roles/{at_mine.pk}/password-reset/")
    assert response.status_code == 403
    hq_auditor.refresh_from_db()
    assert hq_auditor.check_password(PASSWORD)


def test_an_admin_does_not_reset_their_own_password_here(world):
    admin = world.a.users[roles.TENANT_ADMIN]
    response = login(admin).post(f"/roles/{_membership(admin).pk}/password-reset/")
    assert response.status_code == 302
    admin.refresh_from_db()
    assert (
        admin.check_password(PASSWORD)
        and not get_user_model().objects.filter(password_change_required__isnull=False).exists()
    )


def test_tokens_of_a_login_are_listed_as_revoked_after_a_reset(world):
    worker = world.a.users[roles.WORKER]
    issue(worker.username)
    login(world.a.users[roles.TENANT_ADMIN]).post(f"/roles/{_membership(worker).pk}/password-reset/")
    with dangerously_platform_scope():
        assert ApiToken.objects.filter(user=worker, revoked_at__isnull=True).count() == 0


def test_password_actions_are_named_and_found_in_the_audit_trail(world):
    admin = world.a.users[roles.TENANT_ADMIN]
    worker = world.a.users[roles.WORKER]
    assert login(admin).post(f"/roles/{_membership(worker).pk}/password-reset/").status_code == 200
    found = login(admin).get("/api/v1/audit-events/", {"action": "password_reset"})
    assert found.status_code == 200
    assert [e["object_repr"] for e in found.json()["results"]] == [worker.username]
    page = login(admin).get("/audit/", {"action": "password_reset"}).content.decode()
    assert '<option value="password_reset" selected>集团管理员重置密码</option>' in page
    # The trail names the action in each event's sentence (issue 13: the audit trail reads as sentences).
    assert '<span class="action-label">集团管理员重置密码</span>' in page
    assert '<option value="password_change">修改密码</option>' in page
