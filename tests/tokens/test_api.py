"""API tokens through the REST API: made by POST /api/v1/auth/token/, listed and revoked at
/api/v1/tokens/, refused with 401 once revoked, expired or unknown."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from compliance.tokens.models import ApiToken
from tenants import roles, services
from tenants.scope import dangerously_platform_scope

from ..conftest import PASSWORD, login
from .conftest import issue, with_key

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _ids(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_each_login_makes_a_new_named_token_and_the_key_works(world):
    worker = world.a.users[roles.WORKER].username
    key1, body = issue(worker, name="考勤脚本")
    key2, _body = issue(worker)
    assert key1 != key2 and key1.startswith("ka_") and len(key1) > 40
    me = with_key(key1).get("/api/v1/me/")
    assert me.status_code == 200 and me.json()["username"] == worker
    tokens = with_key(key2).get("/api/v1/tokens/").json()["results"]
    assert {t["name"] for t in tokens} == {"考勤脚本", "API"}
    mine = next(t for t in tokens if t["id"] == body["id"])
    assert mine["key_prefix"] == key1[:8] and mine["state"] == "active" and mine["username"] == worker
    assert mine["expires_at"] is not None and body["expires_at"] is not None  # every token expires
    assert not any(key1 in str(v) or key2 in str(v) for t in tokens for v in t.values())


def test_the_key_is_shown_once_and_answers_are_not_cached(world):
    response = APIClient().post(
        "/api/v1/auth/token/",
        {"username": world.a.users[roles.WORKER].username, "password": PASSWORD},
        format="json",
    )
    assert response["Cache-Control"] == "no-store"
    key = response.json()["token"]
    listing = with_key(key).get("/api/v1/tokens/")
    assert key not in listing.content.decode()


@pytest.mark.parametrize(
    "header",
    ["Token ka_unknownunknownunknownunknownunknownunknown", "Token not-even-ours", "Token", "Token a b"],
)
def test_unknown_or_malformed_tokens_are_401(world, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "detail" in response.json()


def test_no_credentials_is_401_with_the_scheme(world):
    response = APIClient().get("/api/v1/people/")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"


def test_a_revoked_token_stops_working_at_once(world):
    key, body = issue(world.a.users[roles.SAFETY_MANAGER].username)
    client = with_key(key)
    assert client.get("/api/v1/people/").status_code == 200
    assert client.delete(f"/api/v1/tokens/{body['id']}/").status_code == 204
    assert client.get("/api/v1/people/").status_code == 401
    other_key, _b = issue(world.a.users[roles.SAFETY_MANAGER].username)
    row = next(
        t for t in with_key(other_key).get("/api/v1/tokens/").json()["results"] if t["id"] == body["id"]
    )
    assert row["state"] == "revoked" and row["revoked_at"]


def test_a_token_expires_after_the_days_asked_for(world):
    username = world.a.users[roles.WORKER].username
    with time_machine.travel(T0, tick=False):
        key, body = issue(username, expires_in_days=1)
        assert body["expires_at"].startswith("2026-03-03T")
    with time_machine.travel(T0 + dt.timedelta(hours=23, minutes=59), tick=False):
        assert with_key(key).get("/api/v1/me/").status_code == 200
    with time_machine.travel(T0 + dt.timedelta(days=1, seconds=1), tick=False):
        assert with_key(key).get("/api/v1/me/").status_code == 401
        other, _b = issue(username)
        row = next(
            t for t in with_key(other).get("/api/v1/tokens/").json()["results"] if t["id"] == body["id"]
        )
        assert row["state"] == "expired"


@pytest.mark.parametrize("days", [0, -1, 366, "soon"])
def test_expiry_must_be_sensible(world, days):
    response = APIClient().post(
        "/api/v1/auth/token/",
        {"username": world.a.users[roles.WORKER].username, "password": PASSWORD, "expires_in_days": days},
        format="json",
    )
    assert response.status_code == 400 and "expires_in_days" in response.json()
    with dangerously_platform_scope():
        assert not ApiToken.objects.exists()


def test_a_disabled_login_cannot_use_its_tokens(world):
    user = world.a.users[roles.WORKER]
    key, _body = issue(user.username)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert with_key(key).get("/api/v1/me/").status_code == 401


def test_last_used_is_written_at_most_once_a_minute(world):
    with time_machine.travel(T0, tick=False):
        key, body = issue(world.a.users[roles.WORKER].username)

    def token() -> ApiToken:
        with dangerously_platform_scope():
            return ApiToken.objects.get(pk=body["id"])

    assert token().last_used_at is None

    def use(at) -> list[str]:
        with time_machine.travel(at, tick=False), CaptureQueriesContext(connection) as ctx:
            assert with_key(key).get("/api/v1/me/").status_code == 200
        return [
            q["sql"] for q in ctx.captured_queries if q["sql"].startswith("UPDATE") and "apitoken" in q["sql"]
        ]

    assert len(use(T0 + dt.timedelta(seconds=5))) == 1
    assert token().last_used_at == T0 + dt.timedelta(seconds=5)
    assert use(T0 + dt.timedelta(seconds=50)) == []  # within the minute: no write
    assert token().last_used_at == T0 + dt.timedelta(seconds=5)
    assert len(use(T0 + dt.timedelta(seconds=70))) == 1
    assert token().last_used_at == T0 + dt.timedelta(seconds=70)


# --- who sees and revokes which tokens ---------------------------------------------------------------
def test_owner_sees_only_their_own(world):
    worker_key, worker_token = issue(world.a.users[roles.WORKER].username)
    manager_key, manager_token = issue(world.a.users[roles.SAFETY_MANAGER].username)
    assert _ids(with_key(worker_key).get("/api/v1/tokens/")) == {worker_token["id"]}
    assert _ids(with_key(manager_key).get("/api/v1/tokens/")) == {manager_token["id"]}
    # Another login's token of the same group is not there to revoke.
    assert with_key(manager_key).delete(f"/api/v1/tokens/{worker_token['id']}/").status_code == 404
    assert with_key(worker_key).get("/api/v1/me/").status_code == 200


def test_group_admin_sees_and_revokes_the_tokens_of_their_group(world):
    worker = world.a.users[roles.WORKER]
    worker_key, worker_token = issue(worker.username, name="手机")
    b_key, b_token = issue(world.b.users[roles.WORKER].username)
    admin = with_key(issue(world.a.users[roles.TENANT_ADMIN].username)[0])

    rows = admin.get("/api/v1/tokens/").json()["results"]
    assert worker_token["id"] in {r["id"] for r in rows}
    assert b_token["id"] not in {r["id"] for r in rows}
    assert next(r for r in rows if r["id"] == worker_token["id"])["username"] == worker.username

    assert admin.delete(f"/api/v1/tokens/{worker_token['id']}/").status_code == 204
    assert with_key(worker_key).get("/api/v1/me/").status_code == 401
    # Tenant B's token: the same 404 as a token that does not exist.
    assert admin.delete(f"/api/v1/tokens/{b_token['id']}/").status_code == 404
    assert admin.delete("/api/v1/tokens/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert with_key(b_key).get("/api/v1/me/").status_code == 200


def test_an_admin_of_a_subtree_manages_only_their_own_tokens(world):
    sub_admin = services.tenant_user_create(
        tenant=world.a.tenant, username="a-sub-admin", password=PASSWORD,
        role=roles.TENANT_ADMIN, org_unit=world.a.subsidiary,
    )  # fmt: skip
    _k, worker_token = issue(world.a.users[roles.WORKER].username)
    sub_key, sub_token = issue(sub_admin.username)
    assert _ids(with_key(sub_key).get("/api/v1/tokens/")) == {sub_token["id"]}
    assert with_key(sub_key).delete(f"/api/v1/tokens/{worker_token['id']}/").status_code == 404


def test_regulator_lists_and_revokes_only_its_own(world):
    a_key, a_token = issue(world.a.users[roles.TENANT_ADMIN].username)
    reg_key, reg_token = issue(world.regulator_in.username, name="监管抽查")
    out_key, out_token = issue(world.regulator_out.username)
    reg = with_key(reg_key)
    assert _ids(reg.get("/api/v1/tokens/")) == {reg_token["id"]}
    assert reg.delete(f"/api/v1/tokens/{a_token['id']}/").status_code == 404
    assert reg.delete(f"/api/v1/tokens/{out_token['id']}/").status_code == 404
    assert with_key(a_key).get("/api/v1/me/").status_code == 200
    # A regulator still writes nothing of a group's (403 as before), but may revoke its own key.
    assert reg.post("/api/v1/people/", {}, format="json").status_code == 403
    assert reg.delete(f"/api/v1/tokens/{reg_token['id']}/").status_code == 204
    assert reg.get("/api/v1/me/").status_code == 401
    # A regulator with nothing in its jurisdiction here still manages its own tokens.
    assert _ids(with_key(out_key).get("/api/v1/tokens/")) == {out_token["id"]}
    assert with_key(out_key).delete(f"/api/v1/tokens/{out_token['id']}/").status_code == 204


def test_session_users_manage_tokens_in_the_api_too(world):
    _key, token = issue(world.a.users[roles.WORKER].username)
    client = login(world.a.users[roles.TENANT_ADMIN])
    assert token["id"] in _ids(client.get("/api/v1/tokens/"))
    response = client.delete(f"/api/v1/tokens/{token['id']}/")
    assert response.status_code == 204
    with dangerously_platform_scope():
        assert ApiToken.objects.get(pk=token["id"]).revoked_at <= timezone.now()


def test_revoking_twice_is_harmless(world):
    key, token = issue(world.a.users[roles.WORKER].username)
    client = login(world.a.users[roles.WORKER])
    assert client.delete(f"/api/v1/tokens/{token['id']}/").status_code == 204
    assert client.delete(f"/api/v1/tokens/{token['id']}/").status_code == 204
    assert with_key(key).get("/api/v1/me/").status_code == 401


def test_tokens_are_in_the_openapi_description(world):
    schema = APIClient().get("/api/schema/?format=json").json()
    assert "/api/v1/tokens/" in schema["paths"] and "/api/v1/tokens/{id}/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["tokenAuth"]["name"] == "Authorization"
    assert "429" in schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]
