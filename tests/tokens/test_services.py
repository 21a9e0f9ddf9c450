"""Tokens in the database and the audit trail: only a hash of the key is kept, every make and
revoke is audited with the actor, and no key ever reaches the audit trail."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from compliance.audit.models import AuditEvent
from compliance.tokens import selectors, services
from compliance.tokens.models import ApiToken
from tenants import roles
from tenants.scope import dangerously_platform_scope
from tenants.selectors import scope_for_user

from ..conftest import login
from .conftest import issue

pytestmark = pytest.mark.django_db


def _every_value_in_the_database() -> str:
    """All rows of all tables as one text: what someone with a copy of the database would see."""
    chunks = []
    with dangerously_platform_scope(), connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            chunks.extend(str(value) for row in cursor.fetchall() for value in row)
    return "\n".join(chunks)


def test_the_key_is_stored_nowhere_only_its_hash(world):
    key, body = issue(world.a.users[roles.WORKER].username, name="打卡机")
    everything = _every_value_in_the_database()
    assert key not in everything
    assert key[8:] not in everything  # not even the part after the shown prefix
    with dangerously_platform_scope():
        token = ApiToken.objects.get(pk=body["id"])
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.key_prefix == key[:8]


def test_making_and_revoking_are_audited_without_the_key(world):
    user = world.a.users[roles.WORKER]
    key, body = issue(user.username, name="打卡机")
    login(world.a.users[roles.TENANT_ADMIN]).post(f"/account/tokens/{body['id']}/revoke/")
    with dangerously_platform_scope():
        events = list(AuditEvent.objects.filter(object_id=body["id"]).order_by("seq"))
    assert [e.action for e in events] == ["create", "revoke"]
    made, revoked = events
    assert made.tenant_id == world.a.tenant.pk and made.object_type == "tokens.ApiToken"
    assert made.actor_id == user.pk and made.role == roles.WORKER
    assert made.after["name"] == "打卡机" and made.after["user"] == user.username
    assert made.after["key_prefix"] == key[:8]
    assert revoked.actor_id == world.a.users[roles.TENANT_ADMIN].pk
    assert revoked.before["revoked_at"] is None and revoked.after["revoked_at"]
    assert made.org_path == world.a.hq.path  # the group's HQ auditors read it
    for event in events:
        text = f"{event.before}{event.after}{event.object_repr}"
        assert key not in text and key[8:] not in text


def test_the_group_auditor_reads_token_events_in_the_audit_trail(world):
    _key, body = issue(world.a.users[roles.WORKER].username)
    auditor = login(world.a.users[roles.HQ_AUDITOR])
    rows = auditor.get("/api/v1/audit-events/").json()["results"]
    assert any(r["object_id"] == body["id"] and r["action"] == "create" for r in rows)
    other_group = login(world.b.users[roles.HQ_AUDITOR]).get("/api/v1/audit-events/").json()["results"]
    assert not any(r["object_id"] == body["id"] for r in other_group)


def test_a_regulators_token_goes_to_the_platform_chain(world):
    _key, body = issue(world.regulator_in.username)
    with dangerously_platform_scope():
        token = ApiToken.objects.get(pk=body["id"])
        event = AuditEvent.objects.get(object_id=body["id"])
    assert token.tenant_id is None
    assert (
        event.tenant_id is None and event.chain_key == "platform" and event.actor_id == world.regulator_in.pk
    )


def test_the_service_refuses_to_revoke_someone_elses_token(world):
    _key, body = issue(world.a.users[roles.WORKER].username)
    manager_scope = world.a.scope(roles.SAFETY_MANAGER)
    with dangerously_platform_scope():
        token = ApiToken.objects.get(pk=body["id"])
    with pytest.raises(PermissionDenied):
        services.api_token_revoke(scope=manager_scope, token=token)
    with pytest.raises(PermissionDenied):
        services.api_token_revoke(scope=scope_for_user(world.regulator_in), token=token)


def test_the_manager_fails_closed_without_a_scope(world):
    from tenants.scope import ScopeError

    issue(world.a.users[roles.WORKER].username)
    with pytest.raises(ScopeError):
        list(ApiToken.objects.all())
    with pytest.raises(ScopeError):
        selectors.api_token_list(scope=world.a.scope(roles.TENANT_ADMIN))
