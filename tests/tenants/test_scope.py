"""Who sees what: fail-closed managers, subtrees, workers, regulators and ad-hoc grants."""

import pytest
from guardian.shortcuts import assign_perm

from tenants import roles, services
from tenants.models import Membership, MineProfile, OrgUnit, Person
from tenants.scope import ScopeError, activate, dangerously_platform_scope
from tenants.selectors import mine_list, people_list, scope_for_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [OrgUnit, Person, Membership, MineProfile])
def test_query_without_scope_raises(world, model):
    with pytest.raises(ScopeError):
        list(model.objects.all())
    with pytest.raises(ScopeError):
        model.objects.filter(tenant=world.a.tenant).count()


def _people(user):
    scope = scope_for_user(user)
    with activate(scope):
        return set(Person.objects.values_list("employee_no", flat=True))


def test_worker_sees_only_own_record(world):
    assert _people(world.a.users[roles.WORKER]) == {world.a.worker_person.employee_no}


def test_team_leader_sees_own_team(world):
    expected = {p.employee_no for p in world.a.people if p.org_unit_id == world.a.team.pk}
    assert _people(world.a.users[roles.TEAM_LEADER]) == expected
    assert len(expected) == 2


def test_safety_manager_sees_own_mine_subtree(world):
    expected = {p.employee_no for p in world.a.people if p.org_unit.path.startswith(world.a.mine.path)}
    assert _people(world.a.users[roles.SAFETY_MANAGER]) == expected
    assert world.a.people[3].employee_no not in expected  # the other mine's team


def test_tenant_admin_sees_whole_tenant_only(world):
    assert _people(world.a.users[roles.TENANT_ADMIN]) == {p.employee_no for p in world.a.people}


def test_regulator_sees_its_jurisdiction_across_tenants(world):
    scope = scope_for_user(world.regulator_in)
    assert scope.read_only
    with activate(scope):
        names = set(mine_list(scope=scope).values_list("name", flat=True))
    assert names == {world.a.mine.name, world.b.mine.name}  # both Guizhou mines, no Yunnan/Shanxi
    assert _people(world.regulator_out) == set()


def test_mine_moving_out_of_jurisdiction_drops_at_once(world):
    scope = scope_for_user(world.regulator_in)
    with activate(scope):
        assert mine_list(scope=scope).filter(pk=world.b.mine.pk).exists()
    with dangerously_platform_scope() as platform:
        profile = MineProfile.objects.get(org_unit=world.b.mine)
        services.mine_profile_update(scope=platform, profile=profile, region_code="530102", reason="划归云南")
    scope = scope_for_user(world.regulator_in)
    with activate(scope):
        assert not mine_list(scope=scope).filter(pk=world.b.mine.pk).exists()
        assert not people_list(scope=scope).filter(org_unit__path__startswith=world.b.mine.path).exists()


def test_guardian_grant_gives_outside_auditor_one_subsidiary_read_only(world):
    outsider = services.tenant_user_create(
        tenant=world.b.tenant,
        username="ext-auditor",
        password="Kuangan-test-2026",
        role=roles.WORKER,
        org_unit=world.b.team,
    )
    with dangerously_platform_scope():
        Membership.dangerously_unscoped.filter(user=outsider).delete()  # no role at all in B now
    with dangerously_platform_scope():  # the operator grants it (admin)
        assign_perm("tenants.view_orgunit", outsider, world.a.subsidiary)
    scope = scope_for_user(outsider)
    assert scope.roles == {roles.GUEST_AUDITOR}
    assert not scope.has_perm(roles.MANAGE_PEOPLE)
    assert _people(outsider) == {p.employee_no for p in world.a.people}


def test_guardian_grant_adds_one_mine_outside_the_regulators_region(world):
    with dangerously_platform_scope():  # the operator grants it (admin)
        assign_perm("tenants.view_orgunit", world.regulator_in, world.a.other_mine)  # Yunnan
    scope = scope_for_user(world.regulator_in)
    with activate(scope):
        names = set(mine_list(scope=scope).values_list("name", flat=True))
    assert world.a.other_mine.name in names
    assert scope.read_only


def test_regulator_has_no_write_or_reveal_permission(world):
    scope = scope_for_user(world.regulator_in)
    for perm in roles.WRITE_PERMS:
        assert not scope.has_perm(perm)


def test_login_without_any_role_sees_nothing(world):
    user = services.tenant_user_create(
        tenant=world.a.tenant,
        username="nobody",
        password="Kuangan-test-2026",
        role=roles.WORKER,
        org_unit=world.a.team,
    )
    with dangerously_platform_scope():
        Membership.dangerously_unscoped.filter(user=user).delete()
    assert scope_for_user(user).grants == ()
    assert _people(user) == set()
