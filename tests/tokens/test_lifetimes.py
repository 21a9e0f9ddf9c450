"""Every API token expires: a default lifetime when none is asked for, and a maximum that is
refused field by field beyond it (API and page alike)."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from rest_framework.test import APIClient

from compliance.tokens.models import ApiToken
from tenants import roles
from tenants.scope import dangerously_platform_scope

from ..conftest import PASSWORD, login
from .conftest import issue, with_key

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@time_machine.travel(NOW, tick=False)
def test_a_token_asked_for_without_a_lifetime_gets_the_default(world, settings):
    settings.API_TOKEN_DEFAULT_DAYS = 30
    key, body = issue(world.a.users[roles.WORKER].username)
    assert datetime.datetime.fromisoformat(body["expires_at"]) == NOW + datetime.timedelta(days=30)
    with time_machine.travel(NOW + datetime.timedelta(days=30, seconds=1), tick=False):
        assert with_key(key).get("/api/v1/me/").status_code == 401


def test_the_default_lifetime_applies_on_the_page_too(world, settings):
    settings.API_TOKEN_DEFAULT_DAYS = 7
    client = login(world.a.users[roles.SAFETY_MANAGER])
    response = client.post("/account/tokens/", {"name": "报表脚本", "expires_in_days": ""})
    assert response.status_code == 201
    with dangerously_platform_scope():
        token = ApiToken.objects.get()
    assert token.expires_at - token.created_at == datetime.timedelta(days=7)


def test_more_than_the_maximum_is_refused_with_a_field_message(world, settings):
    settings.API_TOKEN_MAX_DAYS = 100
    response = APIClient().post(
        "/api/v1/auth/token/",
        {"username": world.a.users[roles.WORKER].username, "password": PASSWORD, "expires_in_days": 101},
        format="json",
    )
    assert response.status_code == 400
    assert "100" in response.json()["expires_in_days"][0] and "天" in response.json()["expires_in_days"][0]
    assert issue(world.a.users[roles.WORKER].username, expires_in_days=100)[1]["expires_at"]
    with dangerously_platform_scope():
        assert ApiToken.objects.count() == 1


def test_more_than_the_maximum_is_refused_on_the_page(world, settings):
    settings.API_TOKEN_MAX_DAYS = 100
    client = login(world.a.users[roles.SAFETY_MANAGER])
    response = client.post("/account/tokens/", {"name": "报表脚本", "expires_in_days": "101"})
    assert response.status_code == 400
    assert 'data-field="expires_in_days"' in response.content.decode()
    with dangerously_platform_scope():
        assert not ApiToken.objects.exists()


def test_a_token_made_without_expiry_before_lifetimes_ends_at_the_maximum(world, settings):
    settings.API_TOKEN_MAX_DAYS = 365
    with time_machine.travel(NOW, tick=False):
        key, body = issue(world.a.users[roles.WORKER].username)
        with dangerously_platform_scope():
            ApiToken.objects.filter(pk=body["id"]).update(expires_at=None)  # as tokens used to be
        assert with_key(key).get("/api/v1/me/").status_code == 200
    with time_machine.travel(NOW + datetime.timedelta(days=365, seconds=1), tick=False):
        assert with_key(key).get("/api/v1/me/").status_code == 401
