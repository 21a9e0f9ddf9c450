"""The audit trail: append-only hash chain per tenant, verification, scoped reading."""

import pytest
from django.core.management import CommandError, call_command

from compliance.audit.models import AuditEvent
from compliance.audit.services import audit_verify
from tenants import roles
from tenants.scope import activate, dangerously_platform_scope

from ..conftest import login

pytestmark = pytest.mark.django_db


def test_chain_is_intact_after_normal_work(world, capsys):
    result = audit_verify()
    assert result.intact and result.events > 20
    call_command("verify_audit")
    assert "intact" in capsys.readouterr().out


def test_each_tenant_has_its_own_numbered_chain(world):
    with dangerously_platform_scope():
        for tenant in (world.a.tenant, world.b.tenant):
            seqs = list(
                AuditEvent.objects.filter(tenant=tenant).order_by("seq").values_list("seq", flat=True)
            )
            assert seqs == list(range(1, len(seqs) + 1))


# The owner's connection is another session: it sees only committed rows.
@pytest.mark.django_db(transaction=True)
def test_an_edit_in_the_database_is_detected(world, owner_cursor):
    with dangerously_platform_scope():
        event = AuditEvent.objects.filter(tenant=world.a.tenant, action="create").order_by("seq")[3]
    # What someone with direct database access (the tables' owner) might do.
    owner_cursor.execute("UPDATE audit_auditevent SET object_repr = %s WHERE id = %s", ["篡改", event.pk])
    result = audit_verify()
    assert not result.intact and result.broken.pk == event.pk
    with pytest.raises(CommandError, match=f"id={event.pk}"):
        call_command("verify_audit")


@pytest.mark.django_db(transaction=True)
def test_a_deleted_event_is_detected(world, owner_cursor):
    with dangerously_platform_scope():
        event = AuditEvent.objects.filter(tenant=world.b.tenant).order_by("seq")[2]
    owner_cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert not audit_verify().intact


def test_auditor_reads_own_tenant_trail_only(world):
    page = login(world.a.users[roles.HQ_AUDITOR]).get("/audit/")
    assert page.status_code == 200
    body = page.content.decode()
    assert world.a.people[0].name in body and world.b.people[0].name not in body


def test_regulator_reads_the_trail_of_its_mines_only(world):
    scope_user = world.regulator_in
    from tenants.selectors import scope_for_user

    scope = scope_for_user(scope_user)
    with activate(scope):
        paths = set(AuditEvent.objects.values_list("org_path", flat=True))
    assert paths and all(p.startswith((world.a.mine.path, world.b.mine.path)) for p in paths)


def test_workers_and_safety_managers_do_not_read_the_trail(world):
    for role in (roles.WORKER, roles.SAFETY_MANAGER, roles.TEAM_LEADER):
        assert login(world.a.users[role]).get("/audit/").status_code == 403


def _latest(action: str) -> AuditEvent:
    with dangerously_platform_scope():
        return AuditEvent.objects.filter(action=action).latest("created_at", "seq")


@pytest.mark.parametrize("way", ["page", "api"])
def test_the_request_id_is_the_servers_and_the_clients_is_kept_apart(world, way):
    """A client chooses no id in the chained trail: X-Request-ID is echoed back as the server's own,
    and what the client sent is kept in client_request_id, outside the hash."""
    from compliance.audit.services import event_hash

    from ..tenants.test_api import token_client

    admin = world.a.users[roles.TENANT_ADMIN]
    client = login(admin) if way == "page" else token_client(admin.username)
    sent = "client-7f3a\x00\n forged"
    url = f"/people/{world.a.worker_person.pk}/reveal/"
    if way == "api":
        url = f"/api/v1/people/{world.a.worker_person.pk}/reveal-resident-id/"
    response = client.post(url, headers={"X-Request-ID": sent})
    assert response.status_code == 200
    event = _latest("reveal")
    assert event.request_id == response["X-Request-ID"]
    assert len(event.request_id) == 32 and "client" not in event.request_id
    assert event.client_request_id == "client-7f3aforged"
    # Outside the chain: the hash does not depend on it.
    event.client_request_id = "something else"
    assert event_hash(event) == event.hash
    assert audit_verify().intact


def test_without_a_client_id_the_field_stays_empty(world):
    response = login(world.a.users[roles.TENANT_ADMIN]).post(f"/people/{world.a.worker_person.pk}/reveal/")
    event = _latest("reveal")
    assert event.request_id == response["X-Request-ID"] and event.client_request_id == ""
