"""The platform operator's commands: create_tenant, create_agency and seed_demo."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import HttpRequest
from django.test import Client

from compliance.audit.models import AuditEvent
from tenants import demo, roles
from tenants.models import (
    AgencyMembership,
    Membership,
    MineProfile,
    OrgUnit,
    Person,
    RegulatorAgency,
    Tenant,
)
from tenants.scope import dangerously_platform_scope
from tests.factories import credit_code

# Counts whole tables (the operator's view): runs without the shared test world.
pytestmark = pytest.mark.no_world


@pytest.fixture(autouse=True)
def _operator_view(request):
    """These tests check what the platform operator's commands leave in the database: they look
    as the operator does, across tenants (also under PostgreSQL row-level security)."""
    if not request.node.get_closest_marker("django_db"):
        yield  # a test without the database (the scope is applied on the connection)
        return
    with dangerously_platform_scope():
        yield


User = get_user_model()
FIVE_POSTS = {"矿长", "总工程师", "安全副矿长", "生产副矿长", "机电副矿长"}
TENANT_ROLES = {roles.TENANT_ADMIN, roles.HQ_AUDITOR, roles.SAFETY_MANAGER, roles.TEAM_LEADER}
LOGIN_KEYS = {"username", "password", "role", "tenant", "org_unit"}


def seed(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def counts() -> dict[str, int]:
    with dangerously_platform_scope():
        return {
            "tenants": Tenant.objects.count(),
            "units": OrgUnit.objects.count(),
            "mines": MineProfile.objects.count(),
            "people": Person.objects.count(),
            "memberships": Membership.objects.count(),
            "agencies": RegulatorAgency.objects.count(),
            "agency_users": AgencyMembership.objects.count(),
            "users": User.objects.count(),
            "audit": AuditEvent.dangerously_unscoped.count(),
        }


def mine_of(unit: OrgUnit, mines_by_id: dict) -> OrgUnit:
    for unit_id in reversed(unit.path.strip("/").split("/")):
        if unit_id in mines_by_id:
            return mines_by_id[unit_id]
    raise AssertionError(f"{unit} is not under a mine")


# --- seed_demo ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_seed_demo_twice_changes_nothing_and_the_audit_trail_stays_intact():
    first_out, _ = seed()
    before = counts()
    second_out, _ = seed()
    assert counts() == before
    for row in demo.demo_logins():
        assert row["username"] in first_out and row["username"] in second_out
    assert demo.DEMO_PASSWORD in second_out
    json_out, _ = seed("--json")
    assert counts() == before
    assert {r["username"] for r in json.loads(json_out)} == {r["username"] for r in demo.demo_logins()}

    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert out.getvalue().strip() == f"intact: {before['audit']} events"


def test_demo_people_are_deterministic():
    for spec in demo.TENANTS:
        first, second = demo.people_of(spec), demo.people_of(spec)
        assert [(p.name, p.resident_id, p.employee_no) for p in first] == [
            (p.name, p.resident_id, p.employee_no) for p in second
        ]


@pytest.mark.django_db
def test_seed_demo_skips_an_existing_group_and_reports_its_missing_logins():
    name = demo.TENANTS[0].name
    call_command("create_tenant", "--name", name, "--credit-code", credit_code(77), stdout=StringIO())
    out, err = seed("--json")
    assert Tenant.objects.count() == 2
    with dangerously_platform_scope():
        existing = Tenant.objects.get(name=name)
        assert OrgUnit.objects.filter(tenant=existing).count() == 1  # left alone: its HQ only
    usernames = {row["username"] for row in json.loads(out)}
    for login in demo.TENANTS[0].logins:
        assert login.username not in usernames and login.username in err
    assert {login.username for login in demo.TENANTS[1].logins} <= usernames


@pytest.mark.django_db
def test_seed_demo_is_all_or_nothing():
    call_command(
        "create_agency", "--name", "北京市应急管理局", "--level", "provincial", "--region-prefix", "11",
        "--username", "jt-admin", "--password", "Kuangan-test-2026", stdout=StringIO(),
    )  # fmt: skip
    before = counts()
    with pytest.raises(CommandError, match="username"):
        seed()
    assert counts() == before


# --- create_tenant and create_agency --------------------------------------------------------------
@pytest.mark.django_db
def test_create_tenant_with_admin():
    out = StringIO()
    code = credit_code(5)
    call_command(
        "create_tenant", "--name", "黔北矿业集团", "--credit-code", code.lower(), "--hq-name", "集团总部",
        "--admin-username", "qb-admin", "--admin-password", "Kuangan-test-2026", stdout=out,
    )  # fmt: skip
    tenant = Tenant.objects.get(name="黔北矿业集团")
    assert tenant.credit_code == code
    with dangerously_platform_scope():
        hq = OrgUnit.objects.get(tenant=tenant, parent__isnull=True)
        assert hq.name == "集团总部" and hq.kind == OrgUnit.Kind.HQ
        membership = Membership.objects.get(user__username="qb-admin")
        assert membership.role == roles.TENANT_ADMIN and membership.org_unit == hq
    assert AuditEvent.dangerously_unscoped.filter(tenant=tenant, action="create").exists()
    # the group, its HQ unit and the admin's role
    assert AuditEvent.dangerously_unscoped.filter(actor_label="manage.py create_tenant").count() == 3
    assert Client().login(request=HttpRequest(), username="qb-admin", password="Kuangan-test-2026")
    assert "黔北矿业集团" in out.getvalue()


@pytest.mark.django_db
def test_create_tenant_with_bad_credit_code_saves_nothing():
    bad = credit_code(6)[:-1] + ("0" if credit_code(6)[-1] != "0" else "1")
    with pytest.raises(CommandError) as caught:
        call_command("create_tenant", "--name", "坏码矿业集团", "--credit-code", bad, stdout=StringIO())
    assert str(caught.value).startswith("credit_code: ")
    assert Tenant.objects.count() == 0
    assert OrgUnit.dangerously_unscoped.count() == 0
    assert AuditEvent.dangerously_unscoped.count() == 0


@pytest.mark.django_db
def test_create_tenant_with_bad_admin_password_saves_nothing():
    with pytest.raises(CommandError) as caught:
        call_command(
            "create_tenant", "--name", "弱密码矿业集团", "--credit-code", credit_code(7),
            "--admin-username", "weak-admin", "--admin-password", "123", stdout=StringIO(),
        )  # fmt: skip
    assert "password: " in str(caught.value)
    assert Tenant.objects.count() == 0
    assert not User.objects.filter(username="weak-admin").exists()
    assert AuditEvent.dangerously_unscoped.count() == 0


@pytest.mark.django_db
def test_create_tenant_admin_needs_a_password_off_a_terminal(monkeypatch):
    monkeypatch.setattr("sys.stdin", StringIO())
    with pytest.raises(CommandError, match="--admin-password"):
        call_command(
            "create_tenant", "--name", "无密码矿业集团", "--credit-code", credit_code(8),
            "--admin-username", "no-pass", stdout=StringIO(),
        )  # fmt: skip
    assert Tenant.objects.count() == 0


@pytest.mark.django_db
def test_create_agency_with_login():
    call_command(
        "create_agency", "--name", "国家矿山安全监察局贵州局", "--level", "provincial",
        "--region-prefix", "52", "--username", "reg-test", "--password", "Kuangan-test-2026",
        stdout=StringIO(),
    )  # fmt: skip
    agency = RegulatorAgency.objects.get(name="国家矿山安全监察局贵州局")
    assert agency.level == "provincial" and agency.region_prefix == "52"
    assert AgencyMembership.objects.get(user__username="reg-test").agency == agency
    assert Client().login(request=HttpRequest(), username="reg-test", password="Kuangan-test-2026")
    call_command("create_agency", "--name", "国家矿山安全监察局", "--level", "national", stdout=StringIO())
    assert RegulatorAgency.objects.get(level="national").region_prefix == ""


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("level", "prefix"), [("provincial", "520"), ("prefecture", "52"), ("county", "5202"), ("national", "52")]
)
def test_create_agency_with_wrong_prefix_length_saves_nothing(level, prefix):
    with pytest.raises(CommandError) as caught:
        call_command(
            "create_agency", "--name", "某监管部门", "--level", level, "--region-prefix", prefix,
            "--username", "reg-bad", "--password", "Kuangan-test-2026", stdout=StringIO(),
        )  # fmt: skip
    assert str(caught.value).startswith("region_prefix: ")
    assert RegulatorAgency.objects.count() == 0
    assert not User.objects.filter(username="reg-bad").exists()
    assert AuditEvent.dangerously_unscoped.count() == 0


@pytest.mark.django_db
def test_create_agency_rejects_an_unknown_level():
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("create_agency", "--name", "某局", "--level", "city", "--region-prefix", "5201")
    assert RegulatorAgency.objects.count() == 0
