"""A regulator's scope names its region, not its mines: the SQL stays the same size whatever the
number of mines, and the database decides which rows lie under a mine of the region."""

import pytest

from tenants import roles, services
from tenants.models import MineProfile, OrgUnit, Person
from tenants.scope import REGION_PATH, activate, dangerously_platform_scope
from tenants.selectors import mine_list, people_list, scope_for_user

pytestmark = pytest.mark.django_db


def _add_mines(tw, n: int, region: str = "520201") -> None:
    with dangerously_platform_scope() as platform:
        for i in range(n):
            services.org_unit_create(
                scope=platform,
                parent=tw.subsidiary,
                kind="mine",
                name=f"{tw.tenant.name}加矿{OrgUnit.dangerously_unscoped.count()}-{i}",
                mine_profile={"mine_type": "coal_underground", "region_code": region},
            )


def _sql(scope, model) -> str:
    return str(scope.filter_queryset(model.dangerously_unscoped.all()).query)


def test_regulator_sql_does_not_grow_with_the_number_of_mines(world):
    _add_mines(world.a, 1)  # 3 Guizhou mines: A's two, B's one
    few = scope_for_user(world.regulator_in)
    with activate(few):
        assert mine_list(scope=few).count() == 3
    sizes = {model: len(_sql(few, model)) for model in (Person, OrgUnit, MineProfile)}

    _add_mines(world.a, 14)
    _add_mines(world.b, 13)  # 30 Guizhou mines
    many = scope_for_user(world.regulator_in)
    with activate(many):
        assert mine_list(scope=many).count() == 30
        assert people_list(scope=many).count() == len(
            [p for w in (world.a, world.b) for p in w.people if p.org_unit.path.startswith(w.mine.path)]
        )
    assert {model: len(_sql(many, model)) for model in sizes} == sizes
    # One grant per tenant with a mine in the region (row-level security lets those tenants
    # through), however many mines each has.
    assert len(many.grants) == 2
    assert many.tenant_ids == {world.a.tenant.pk, world.b.tenant.pk}
    assert all(g.path.startswith(REGION_PATH) for g in many.grants)


def test_regulator_sees_only_under_its_mines_not_above_or_beside(world):
    scope = scope_for_user(world.regulator_in)
    with activate(scope):
        units = set(OrgUnit.objects.values_list("pk", flat=True))
        people = set(Person.objects.values_list("pk", flat=True))
    # The Guizhou mines and their teams; not the HQ or the subsidiary above them, nor the
    # other-province mine beside them.
    assert units == {world.a.mine.pk, world.a.team.pk, world.b.mine.pk, world.b.team.pk}
    expected = {p.pk for w in (world.a, world.b) for p in w.people if p.org_unit.path.startswith(w.mine.path)}
    assert people == expected


def test_regulator_permission_on_a_path_follows_the_region(world):
    scope = scope_for_user(world.regulator_in)
    a = world.a
    assert scope.has_perm(roles.VIEW_PEOPLE, a.team.path, a.tenant.pk)
    assert scope.has_perm(roles.VIEW_PEOPLE, a.mine.path, a.tenant.pk)
    assert not scope.has_perm(roles.VIEW_PEOPLE, a.subsidiary.path, a.tenant.pk)  # above the mine
    assert not scope.has_perm(roles.VIEW_PEOPLE, a.other_team.path, a.tenant.pk)  # Yunnan
    assert not scope.has_perm(roles.VIEW_PEOPLE, a.team.path, world.b.tenant.pk)  # wrong tenant
    assert not scope.has_perm(roles.MANAGE_PEOPLE, a.team.path, a.tenant.pk)  # read-only
    assert scope.has_perm(roles.VIEW_PEOPLE)
    # The region is read again with every scope: a mine that moves away is out at once.
    with dangerously_platform_scope() as platform:
        profile = MineProfile.objects.get(org_unit=a.mine)
        services.mine_profile_update(scope=platform, profile=profile, region_code="530102", reason="划归云南")
    moved = scope_for_user(world.regulator_in)
    assert not moved.has_perm(roles.VIEW_PEOPLE, a.team.path, a.tenant.pk)
    # A has no Guizhou mine left: its grant stays only for the record of the move (an audit event
    # naming both regions), which shows nothing else of A.
    assert moved.tenant_ids == {world.a.tenant.pk, world.b.tenant.pk}
    assert not moved.has_perm(roles.VIEW_PEOPLE, a.mine.path, a.tenant.pk)
    with activate(moved):
        assert not mine_list(scope=moved).filter(tenant=a.tenant).exists()


def test_national_regulator_sees_every_mine(world):
    agency = services.agency_create(name="国家矿山安全监察局", level="national", region_prefix="")
    user = services.agency_user_create(agency=agency, username="reg-national", password="Kuangan-test-2026")
    scope = scope_for_user(user)
    assert scope.tenant_ids == {world.a.tenant.pk, world.b.tenant.pk}
    with activate(scope):
        assert mine_list(scope=scope).count() == 4


def test_the_region_test_appears_once_in_a_statement_and_is_never_widened(world):
    """``scope.queryset`` does not repeat the active scope's condition (the default manager has
    already applied it); a scope other than the active one is applied on top, never instead."""
    regulator = scope_for_user(world.regulator_in)
    admin_a = scope_for_user(world.a.users[roles.TENANT_ADMIN])
    with activate(regulator):
        sql = str(regulator.queryset(OrgUnit).query)
        assert sql.count("mine_depth") == 2  # one EXISTS: its alias and its use
        assert set(regulator.queryset(OrgUnit).values_list("pk", flat=True)) == set(
            OrgUnit.objects.values_list("pk", flat=True)
        )
        # Under the regulator's active scope, A's admin scope only narrows to A's rows in the region.
        both = set(admin_a.queryset(OrgUnit).values_list("pk", flat=True))
    assert both == {world.a.mine.pk, world.a.team.pk}


def test_a_mine_at_the_deepest_depth_the_path_column_holds_is_in_view(world):
    """The region test looks at most MAX_MINE_DEPTH levels down: that must reach every mine an
    org path can hold, or a deep mine would silently drop out of its regulator's view."""
    from tenants.scope import MAX_MINE_DEPTH, PATH_SEGMENT

    deepest = OrgUnit._meta.get_field("path").max_length // PATH_SEGMENT - 1  # HQ is depth 0
    assert deepest <= MAX_MINE_DEPTH
    with dangerously_platform_scope() as platform:
        parent = world.a.subsidiary
        while parent.depth + 1 < deepest:
            parent = services.org_unit_create(
                scope=platform, parent=parent, kind="subsidiary", name=f"分公司{parent.depth + 1}"
            )
        mine = services.org_unit_create(
            scope=platform,
            parent=parent,
            kind="mine",
            name="最深矿",
            mine_profile={"mine_type": "coal_underground", "region_code": "520201"},
        )
    assert mine.depth == deepest
    with activate(scope_for_user(world.regulator_in)):
        seen = set(OrgUnit.objects.values_list("pk", flat=True))
    assert mine.pk in seen and parent.pk not in seen


def test_scope_queryset_filters_itself_when_objects_is_not_the_scoped_manager(world, monkeypatch):
    regulator = scope_for_user(world.regulator_in)
    with activate(regulator):
        seen = set(regulator.queryset(OrgUnit).values_list("pk", flat=True))
        monkeypatch.setattr(OrgUnit, "objects", OrgUnit.dangerously_unscoped)
        assert OrgUnit.objects.count() > len(seen)  # an unscoped manager sees every unit ...
        assert set(regulator.queryset(OrgUnit).values_list("pk", flat=True)) == seen  # ... queryset does not
