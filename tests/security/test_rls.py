"""The walls behind application scoping, on PostgreSQL: row-level security, read-only regulator
transactions and the append-only audit trail hold even when the first wall is removed."""

from __future__ import annotations

import json
import os

import pytest
from django.db import DatabaseError, connection, transaction
from django.http import JsonResponse
from django.test import Client
from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance.api import ScopedAPIMixin
from compliance.audit.models import AuditEvent
from tenants import roles
from tenants.models import MineProfile, OrgUnit, Person
from tenants.scope import Scope, activate, dangerously_platform_scope
from tenants.selectors import scope_for_user

from ..conftest import APP_ROLE, login

pytestmark = [pytest.mark.postgres]


def _unscoped_people(request):
    # Deliberately forgets every application-level filter (the loud escape hatch).
    return JsonResponse({"people": list(Person.dangerously_unscoped.values_list("name", flat=True))})


def _permissive_write(request):
    # Deliberately checks no permission and writes whatever it is asked to.
    Person.dangerously_unscoped.filter(pk=request.GET["pk"]).update(name="被监管人员篡改")
    return JsonResponse({"ok": True})


class _PermissiveApiWrite(ScopedAPIMixin, APIView):
    permission_classes = []  # deliberately: no read-only refusal

    def post(self, request):
        MineProfile.dangerously_unscoped.update(region_code="110101")
        return Response({"ok": True})


urlpatterns = [
    path("", include("compliance.urls")),
    path("test/unscoped-people/", _unscoped_people),
    path("test/permissive-write/", _permissive_write),
    path("test/permissive-api-write/", _PermissiveApiWrite.as_view()),
]


@pytest.fixture
def leaky_urls(settings):
    settings.ROOT_URLCONF = __name__


def _names(w) -> set[str]:
    return {p.name for p in w.people}


@pytest.mark.django_db
def test_the_suite_runs_as_an_ordinary_role():
    if not os.environ.get("CI") and not APP_ROLE:
        pytest.skip("set TEST_DATABASE_APP_ROLE (as .ci/run does) to run as the application role")
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        superuser, bypass = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user"
        )
        owned = cursor.fetchone()[0]
    assert (superuser, bypass, owned) == (False, False, 0)


# Tables found by the rule below that hold no tenant's rows, each with the reason. Nothing else may
# be left out: a new table with a tenant column, or one that points at a tenant's table, is covered
# by the bar without anyone having to list it.
EXEMPT: dict[str, str] = {}

# Tables that hold a tenant's rows under its id without a foreign key, which the rule below cannot
# find: each is named here and held to the same bar.
KEYED_BY_TENANT = {"audit_auditchain": "the head of each tenant's audit chain, keyed by the tenant's id"}

# Every table with a tenant column or a foreign key to the tenants table, and every table that
# points at one of those through a foreign key (transitively): link tables, a standard's parts,
# the object-permission table. Read from the database itself, not from the models, so a
# many-to-many table or a third-party table cannot slip past.
TENANT_TABLES_SQL = """
WITH RECURSIVE tenant_tables(oid) AS (
    SELECT c.oid
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
       AND (EXISTS (SELECT 1 FROM pg_attribute a
                     WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
            OR EXISTS (SELECT 1 FROM pg_constraint k
                        WHERE k.conrelid = c.oid AND k.contype = 'f'
                          AND k.confrelid = 'tenants_tenant'::regclass))
    UNION
    SELECT k.conrelid FROM pg_constraint k JOIN tenant_tables t ON k.confrelid = t.oid
     WHERE k.contype = 'f'
)
SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
       EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid)
  FROM pg_class c
 WHERE c.oid IN (SELECT oid FROM tenant_tables)
    OR (c.relname = ANY (%s) AND c.relnamespace = 'public'::regnamespace)
"""


@pytest.mark.django_db
def test_every_tenant_owned_table_has_forced_rls_and_a_policy():
    with connection.cursor() as cursor:
        cursor.execute(TENANT_TABLES_SQL, [sorted(KEYED_BY_TENANT)])
        rows = {name: (rls, forced, policy) for name, rls, forced, policy in cursor.fetchall()}
    assert set(KEYED_BY_TENANT) <= set(rows), "a table named in KEYED_BY_TENANT no longer exists"
    # The rule finds what it must: plain tenant tables, a standard's parts, the link tables of
    # paper audiences and the object-permission table.
    assert {
        "tenants_person", "audit_auditevent", "jobs_job", "grading_standard", "grading_item",
        "training_exampaper_audience_units", "tenants_orgunituserobjectpermission",
        "tenants_personhold", "training_inspection", "training_spotcheck", "training_suspension",
        "contractors_contractor", "contractors_qualification", "contractors_engagement",
        "contractors_staffassignment", "contractors_appraisal",
    } <= set(rows)  # fmt: skip
    assert set(EXEMPT) <= set(rows), "an exemption names a table the rule no longer finds"
    covered = {name: state for name, state in rows.items() if name not in EXEMPT}
    assert {name: state for name, state in covered.items() if state != (True, True, True)} == {}


@pytest.mark.django_db(transaction=True)
def test_a_request_that_forgets_every_filter_still_sees_only_its_tenant(world, leaky_urls):
    assert APP_ROLE, "needs TEST_DATABASE_APP_ROLE: a superuser or owner connection would bypass RLS"
    seen = set(login(world.a.users[roles.TENANT_ADMIN]).get("/test/unscoped-people/").json()["people"])
    assert _names(world.a) <= seen
    assert not seen & _names(world.b)


@pytest.mark.django_db(transaction=True)
def test_a_real_endpoint_with_app_scoping_switched_off_leaks_nothing(world, monkeypatch):
    assert APP_ROLE
    monkeypatch.setattr(Scope, "filter_queryset", lambda self, qs: qs)  # the first wall is gone
    client = login(world.a.users[roles.TENANT_ADMIN])
    names = {p["name"] for p in client.get("/api/v1/people/?page_size=200").json()["results"]}
    assert names == _names(world.a)
    page = client.get("/people/").content.decode()
    assert not any(name in page for name in _names(world.b))
    # A regulator whose jurisdiction holds no mine of either tenant reads nothing of them.
    response = login(world.regulator_out).get("/api/v1/people/?page_size=200")
    assert response.status_code == 403 or response.json()["count"] == 0
    assert not any(name in response.content.decode() for name in _names(world.a) | _names(world.b))


@pytest.mark.django_db(transaction=True)
def test_no_scope_no_rows_and_cross_tenant_insert_refused(world):
    assert APP_ROLE
    assert Person.dangerously_unscoped.count() == 0
    assert OrgUnit.dangerously_unscoped.count() == 0
    with activate(scope_for_user(world.a.users[roles.TENANT_ADMIN])):
        assert Person.dangerously_unscoped.filter(tenant=world.b.tenant).count() == 0
        assert Person.dangerously_unscoped.count() == len(world.a.people)
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            OrgUnit.dangerously_unscoped.create(
                tenant=world.b.tenant, parent=world.b.hq, kind="subsidiary", name="越界", path="x/"
            )
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            AuditEvent.dangerously_unscoped.create(
                tenant=world.b.tenant, seq=999, chain_key="forged", created_at="2026-01-01T00:00:00Z",
                action="create", prev_hash="0" * 64, hash="0" * 64,
            )  # fmt: skip
    with dangerously_platform_scope():
        assert not OrgUnit.objects.filter(name="越界").exists()


@pytest.mark.django_db(transaction=True)
def test_regulator_page_request_is_read_only_in_the_database(world, leaky_urls):
    person = world.b.people[0]  # inside the regulator's jurisdiction (Guizhou)
    client = Client(raise_request_exception=False)
    client.force_login(world.regulator_in)
    response = client.get(f"/test/permissive-write/?pk={person.pk}")
    assert response.status_code == 500
    with dangerously_platform_scope():
        person.refresh_from_db()
    assert person.name != "被监管人员篡改"
    # The same permissive view writes for a tenant user: the refusal came from the read-only
    # transaction, not from anything else.
    assert (
        login(world.b.users[roles.TENANT_ADMIN]).get(f"/test/permissive-write/?pk={person.pk}").status_code
        == 200
    )


@pytest.mark.django_db(transaction=True)
def test_regulator_api_request_is_read_only_in_the_database(world, leaky_urls):
    from rest_framework.test import APIClient

    client = APIClient(raise_request_exception=False)
    client.force_login(world.regulator_in)
    response = client.post(
        "/test/permissive-api-write/", data=json.dumps({}), content_type="application/json"
    )
    assert response.status_code == 500
    with dangerously_platform_scope():
        assert not MineProfile.objects.filter(region_code="110101").exists()


@pytest.mark.django_db(transaction=True)
def test_the_application_role_cannot_edit_or_delete_audit_events(world):
    assert APP_ROLE
    with dangerously_platform_scope():
        event = AuditEvent.objects.filter(tenant=world.a.tenant).first()
        for sql in ("UPDATE audit_auditevent SET object_repr = 'x' WHERE id = %s",
                    "DELETE FROM audit_auditevent WHERE id = %s"):  # fmt: skip
            with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(sql, [event.pk])
        event.refresh_from_db()
    assert event.object_repr != "x"


@pytest.mark.django_db(transaction=True)
def test_a_scope_reads_and_moves_only_its_own_tenants_audit_chain(world):
    from compliance.audit.models import AuditChain
    from compliance.audit.services import audit_record

    assert APP_ROLE
    a, b = str(world.a.tenant.pk), str(world.b.tenant.pk)
    with dangerously_platform_scope():
        assert {a, b, "platform"} <= set(AuditChain.objects.values_list("key", flat=True))
        b_head = AuditChain.objects.get(key=b).last_hash
    assert AuditChain.objects.count() == 0  # no scope: no chain head at all
    with activate(scope_for_user(world.a.users[roles.TENANT_ADMIN])):
        assert set(AuditChain.objects.values_list("key", flat=True)) == {a}
        assert AuditChain.objects.filter(key=b).update(last_hash="f" * 64) == 0
        assert AuditChain.objects.filter(key="platform").update(last_seq=0) == 0
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            AuditChain.objects.create(key="00000000-0000-0000-0000-000000000000")
        audit_record(action="update", obj=world.a.mine)  # its own chain still moves
    with dangerously_platform_scope():
        assert AuditChain.objects.get(key=b).last_hash == b_head
    from compliance.audit.services import audit_verify

    assert audit_verify().intact


@pytest.mark.django_db(transaction=True)
def test_holds_on_a_person_are_walled_by_tenant_in_the_database(world):
    """tenants_personhold has the tenant policy: another group's holds are invisible even to an
    unscoped query, and a hold cannot be written into another group."""
    from django.utils import timezone

    from tenants.models import PersonHold

    with dangerously_platform_scope():
        PersonHold.dangerously_unscoped.create(
            tenant=world.b.tenant, person=world.b.people[0], source="test.rls", reason="B 的限制",
            reference_text="b", placed_at=timezone.now(),
        )  # fmt: skip
    with activate(scope_for_user(world.a.users[roles.TENANT_ADMIN])):
        assert PersonHold.dangerously_unscoped.count() == 0
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            PersonHold.dangerously_unscoped.create(
                tenant=world.b.tenant, person=world.b.people[1], source="test.rls", reason="越界",
                reference_text="forged", placed_at=timezone.now(),
            )  # fmt: skip
    with dangerously_platform_scope():
        assert PersonHold.dangerously_unscoped.filter(tenant=world.b.tenant).count() == 1
        PersonHold.dangerously_unscoped.all().delete()


@pytest.mark.django_db
def test_tenant_policies_read_the_settings_once_per_statement(world):
    """Every plain tenant policy is written with the settings in sub-selects (compliance.rls.
    visible_sql), which PostgreSQL runs once per statement: no policy left that parses the
    tenant list for every row, and the plan shows the settings as InitPlans."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename, qual FROM pg_policies WHERE policyname = 'tenant_isolation'")
        rows = cursor.fetchall()
    assert len(rows) > 20
    assert [table for table, qual in rows if qual == "kuangan_tenant_visible(tenant_id)"] == []
    with activate(scope_for_user(world.a.users[roles.TENANT_ADMIN])), connection.cursor() as cursor:
        cursor.execute("EXPLAIN SELECT count(*) FROM tenants_person")
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SELECT count(*) FROM tenants_person")
        assert cursor.fetchone()[0] == len(world.a.people)
    assert "InitPlan" in plan
