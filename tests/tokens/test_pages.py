"""The page "API tokens" at /account/tokens/: list, make (the key shown once), revoke."""

from __future__ import annotations

import re

import pytest

from compliance.tokens.models import ApiToken
from tenants import roles
from tenants.scope import dangerously_platform_scope

from ..conftest import login
from .conftest import issue, with_key

pytestmark = pytest.mark.django_db

KEY = re.compile(r'data-testid="key">(ka_[A-Za-z0-9_-]+)<')


def _make(client, **data):
    response = client.post("/account/tokens/", {"name": "脚本", **data})
    assert response.status_code == 201, response.content.decode()[:500]
    return response, KEY.search(response.content.decode()).group(1)


def test_make_a_token_see_the_key_once_and_use_it(world):
    user = world.a.users[roles.SAFETY_MANAGER]
    client = login(user)
    response, key = _make(client, name="报表脚本", expires_in_days="30")
    assert response["Cache-Control"] == "no-store"
    assert "只显示这一次" in response.content.decode()
    assert with_key(key).get("/api/v1/me/").json()["username"] == user.username
    again = client.get("/account/tokens/").content.decode()
    assert "报表脚本" in again and key[:8] in again and key not in again


def test_the_nav_links_to_the_page(world):
    page = login(world.a.users[roles.WORKER]).get("/").content.decode()
    assert 'href="/account/tokens/"' in page and "API 令牌" in page


def test_a_name_is_required(world):
    client = login(world.a.users[roles.WORKER])
    response = client.post("/account/tokens/", {"name": "", "expires_in_days": "0"})
    assert response.status_code == 400
    with dangerously_platform_scope():
        assert not ApiToken.objects.exists()


def test_revoke_from_the_page(world):
    key, body = issue(world.a.users[roles.WORKER].username, name="旧手机")
    client = login(world.a.users[roles.WORKER])
    page = client.get("/account/tokens/").content.decode()
    assert f'action="/account/tokens/{body["id"]}/revoke/"' in page
    response = client.post(f"/account/tokens/{body['id']}/revoke/", follow=True)
    assert response.status_code == 200
    assert with_key(key).get("/api/v1/me/").status_code == 401
    assert "已撤销" in response.content.decode()
    assert f'action="/account/tokens/{body["id"]}/revoke/"' not in response.content.decode()


def test_group_admin_page_lists_the_groups_tokens_with_logins(world):
    worker = world.a.users[roles.WORKER]
    issue(worker.username, name="工人手机")
    issue(world.b.users[roles.WORKER].username, name="乙集团手机")
    page = login(world.a.users[roles.TENANT_ADMIN]).get("/account/tokens/").content.decode()
    assert "工人手机" in page and worker.username in page
    assert "乙集团手机" not in page and world.b.users[roles.WORKER].username not in page
    manager_page = login(world.a.users[roles.SAFETY_MANAGER]).get("/account/tokens/").content.decode()
    assert "工人手机" not in manager_page


def test_other_groups_token_is_404_on_the_page(world):
    key, body = issue(world.b.users[roles.WORKER].username)
    response = login(world.a.users[roles.TENANT_ADMIN]).post(f"/account/tokens/{body['id']}/revoke/")
    assert response.status_code == 404
    assert with_key(key).get("/api/v1/me/").status_code == 200


def test_regulator_makes_and_revokes_its_own_tokens_on_the_page(world):
    a_key, a_token = issue(world.a.users[roles.WORKER].username)
    client = login(world.regulator_in)
    page = client.get("/account/tokens/")
    assert page.status_code == 200
    _response, key = _make(client, name="监管")
    assert with_key(key).get("/api/v1/me/").json()["read_only"] is True
    with dangerously_platform_scope():
        mine = ApiToken.objects.get(user=world.regulator_in)
    assert client.post(f"/account/tokens/{a_token['id']}/revoke/").status_code == 404
    assert with_key(a_key).get("/api/v1/me/").status_code == 200
    assert client.post(f"/account/tokens/{mine.pk}/revoke/").status_code == 302
    assert with_key(key).get("/api/v1/me/").status_code == 401
    # Still read-only everywhere else.
    assert client.post("/people/new/", {}).status_code == 403


def test_anonymous_is_sent_to_log_in(world):
    from django.test import Client

    response = Client().get("/account/tokens/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_operator_sees_and_revokes_tokens_in_admin(world):
    from django.contrib.auth import get_user_model

    key, body = issue(world.a.users[roles.WORKER].username, name="运维查看")
    operator = get_user_model().objects.create_superuser("operator", "op@example.cn", "Operator-2026-x")
    client = login(operator)
    listing = client.get("/admin/tokens/apitoken/")
    assert listing.status_code == 200 and "运维查看" in listing.content.decode()
    assert key not in listing.content.decode()
    response = client.post(
        "/admin/tokens/apitoken/", {"action": "revoke", "_selected_action": [body["id"]]}, follow=True
    )
    assert response.status_code == 200
    assert with_key(key).get("/api/v1/me/").status_code == 401
