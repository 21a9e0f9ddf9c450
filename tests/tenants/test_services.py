"""Rules of who-is-who writes: validation, permissions, audit."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from compliance.audit.models import AuditEvent
from tenants import personal_data, roles, services
from tenants.models import OrgUnit, Person, RegulatorAgency, Tenant
from tenants.scope import activate, dangerously_platform_scope

from ..factories import credit_code, resident_id

pytestmark = pytest.mark.django_db


def _create(world, role="safety_manager", **overrides):
    scope = world.a.scope(role)
    fields = {
        "org_unit": world.a.team,
        "resident_id": resident_id(seq=555),
        "name": "李四",
        "employee_no": "N-1",
        "post_category": "other",
    } | overrides
    with activate(scope):
        return services.person_create(scope=scope, **fields)


def test_tenant_needs_a_valid_credit_code():
    with pytest.raises(ValidationError) as exc:
        services.tenant_create(name="坏集团", credit_code="91520000MA6DKR1X4B")
    assert "credit_code" in exc.value.message_dict
    assert not Tenant.objects.filter(name="坏集团").exists()
    tenant = services.tenant_create(name="好集团", credit_code=credit_code(77))
    assert tenant.credit_code.endswith(credit_code(77)[-1])


@pytest.mark.parametrize(
    "level,prefix,ok",
    [
        ("national", "", True),
        ("provincial", "52", True),
        ("prefecture", "5201", True),
        ("county", "520102", True),
        ("provincial", "5201", False),
        ("county", "52", False),
        ("provincial", "5x", False),
    ],
)
def test_agency_prefix_matches_level(level, prefix, ok):
    if ok:
        assert services.agency_create(name=f"局{level}{prefix}", level=level, region_prefix=prefix).pk
    else:
        with pytest.raises(ValidationError) as exc:
            services.agency_create(name=f"局{level}{prefix}", level=level, region_prefix=prefix)
        assert "region_prefix" in exc.value.message_dict
        assert not RegulatorAgency.objects.filter(name=f"局{level}{prefix}").exists()


def test_person_resident_id_is_encrypted_masked_and_revealed_with_audit(world):
    number = resident_id(seq=555)
    person = _create(world)
    assert person.resident_id_masked == f"{number[:4]}**********{number[-4:]}"
    assert number not in person.resident_id_cipher and number not in person.resident_id_digest
    scope = world.a.scope(roles.SAFETY_MANAGER)
    with activate(scope):
        assert services.person_reveal_resident_id(scope=scope, person=person) == number
    with dangerously_platform_scope():
        event = AuditEvent.objects.get(action="reveal", object_id=str(person.pk))
    assert event.actor_label == "" or event.tenant_id == world.a.tenant.pk
    assert number not in str(event.after)


@pytest.mark.parametrize(
    "bad,field",
    [
        ({"resident_id": "520201198805121234"}, "resident_id"),  # wrong check digit
        ({"resident_id": "5202011988051"}, "resident_id"),
        ({"resident_id": "991201198805121230"}, "resident_id"),  # no such province
        ({"post_category": "special_operation"}, "operation_type"),
        ({"status": "suspended"}, "status_reason"),
        ({"phone": "call me"}, "phone"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_person_input_names_the_field_and_saves_nothing(world, bad, field):
    with pytest.raises(ValidationError) as exc:
        _create(world, **bad)
    assert field in exc.value.message_dict
    with dangerously_platform_scope():
        assert not Person.objects.filter(employee_no="N-1").exists()


def test_employee_number_unique_across_the_whole_tenant(world):
    # The safety manager cannot see the other mine, but the number is still taken there.
    taken = world.a.people[3].employee_no
    with pytest.raises(ValidationError) as exc:
        _create(world, employee_no=taken)
    assert "employee_no" in exc.value.message_dict
    # …and the same number is free in another tenant.
    _create(world, employee_no=world.b.people[0].employee_no)


def test_same_resident_id_twice_in_a_tenant_is_refused(world):
    _create(world)
    with pytest.raises(ValidationError) as exc:
        _create(world, employee_no="N-2")
    assert "resident_id" in exc.value.message_dict


def test_roles_limit_writes(world):
    for role in (roles.HQ_AUDITOR, roles.TEAM_LEADER, roles.WORKER):
        with pytest.raises(PermissionDenied):
            _create(world, role=role)
    with pytest.raises(PermissionDenied):  # the safety manager's subtree is one mine
        _create(world, org_unit=world.a.other_team)


def test_org_tree_shape_is_enforced(world):
    scope = world.a.scope(roles.TENANT_ADMIN)
    with activate(scope):
        with pytest.raises(ValidationError):
            services.org_unit_create(scope=scope, parent=world.a.team, kind="mine", name="井下矿")
        with pytest.raises(ValidationError) as exc:
            services.org_unit_create(
                scope=scope,
                parent=world.a.subsidiary,
                kind="mine",
                name="新矿",
                mine_profile={"mine_type": "tailings_pond", "region_code": "52010"},
            )
        assert "region_code" in exc.value.message_dict
        assert not OrgUnit.objects.filter(name="新矿").exists()
        mine = services.org_unit_create(
            scope=scope,
            parent=world.a.subsidiary,
            kind="mine",
            name="新矿",
            mine_profile={"mine_type": "tailings_pond", "region_code": "520102"},
        )
        assert mine.path.startswith(world.a.subsidiary.path) and mine.depth == 2
        with pytest.raises(ValidationError):
            services.org_unit_delete(scope=scope, unit=world.a.mine)  # has teams and people


def test_each_write_is_audited_with_before_and_after(world):
    person = _create(world)
    scope = world.a.scope(roles.SAFETY_MANAGER)
    with activate(scope):
        services.person_update(scope=scope, person=person, status="suspended", status_reason="逢查必考不合格")
    with dangerously_platform_scope():
        event = AuditEvent.objects.filter(object_id=str(person.pk), action="update").get()
    assert event.before["status"] == "on_post" and event.after["status"] == "suspended"
    assert event.actor_id is None or event.actor_id == world.a.users[roles.SAFETY_MANAGER].pk
    assert event.tenant_id == world.a.tenant.pk
    assert "resident_id_cipher" not in event.after and event.after["resident_id"] == person.resident_id_masked


def test_audit_rolls_back_with_the_write(world):
    scope = world.a.scope(roles.SAFETY_MANAGER)
    with dangerously_platform_scope():
        before = AuditEvent.objects.count()
    with pytest.raises(ValidationError), activate(scope):
        services.person_create(
            scope=scope,
            org_unit=world.a.team,
            resident_id="bad",
            name="x",
            employee_no="Q",
            post_category="other",
        )
    with dangerously_platform_scope():
        assert AuditEvent.objects.count() == before


def test_login_for_a_person_starts_as_worker(world):
    person = world.a.people[1]
    scope = world.a.scope(roles.TENANT_ADMIN)
    with activate(scope):
        user = services.person_login_create(
            scope=scope, person=person, username="w2", password="Kuangan-test-2026"
        )
        with pytest.raises(ValidationError) as exc:
            services.person_login_create(
                scope=scope, person=person, username="w3", password="Kuangan-test-2026"
            )
        assert "username" in exc.value.message_dict
    from tenants.selectors import scope_for_user

    assert scope_for_user(user).roles == {roles.WORKER}


def test_a_login_never_straddles_two_tenants(world):
    scope = world.b.scope(roles.TENANT_ADMIN)
    with activate(scope), pytest.raises(PermissionDenied):
        services.membership_grant(
            scope=scope, user=world.a.users[roles.WORKER], org_unit=world.b.hq, role=roles.HQ_AUDITOR
        )


def test_mask_format():
    assert personal_data.mask("52020119880512200X") == "5202**********200X"
