"""Moving a unit with its branch: paths and depths follow, so do the people and records under it
and who may see them; the move is refused where it would break the tree, and across groups."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from compliance.audit.models import AuditEvent
from tenants import roles, services
from tenants.models import OrgUnit, Person
from tenants.scope import activate, dangerously_platform_scope
from tenants.selectors import scope_for_user

from ..conftest import login
from .test_api import token_client

pytestmark = pytest.mark.django_db


def _second_subsidiary(w):
    with dangerously_platform_scope() as platform:
        return services.org_unit_create(scope=platform, parent=w.hq, kind="subsidiary", name="第二子公司")


def _move(user, unit, parent):
    scope = scope_for_user(user)
    with activate(scope):
        return services.org_unit_move(scope=scope, unit=unit, parent=parent)


def test_a_mine_moves_with_its_branch_and_its_people_follow(world):
    a = world.a
    second = _second_subsidiary(a)
    manager = services.tenant_user_create(
        tenant=a.tenant,
        username="a-sub2-manager",
        password="Kuangan-test-2026",
        role=roles.SAFETY_MANAGER,
        org_unit=second,
    )
    old_mine_path = a.mine.path
    moved = _move(a.users[roles.TENANT_ADMIN], a.mine, second)

    with dangerously_platform_scope():
        mine, team = OrgUnit.objects.get(pk=a.mine.pk), OrgUnit.objects.get(pk=a.team.pk)
        count_old = OrgUnit.objects.filter(path__startswith=old_mine_path).count()
        event = AuditEvent.objects.filter(object_id=str(a.mine.pk), action="update").latest("seq")
    assert moved.parent_id == second.pk and mine.parent_id == second.pk
    assert mine.path == f"{second.path}{a.mine.id.hex}/" and team.path == f"{mine.path}{a.team.id.hex}/"
    assert (mine.depth, team.depth) == (second.depth + 1, second.depth + 2)
    assert count_old == 0  # no unit keeps the old path
    # Recorded once, where both branches meet (the HQ), with where it came from.
    assert event.org_path == a.hq.path
    assert event.before["parent"] == str(a.subsidiary.pk) and event.after["parent"] == str(second.pk)
    # The people under the mine are now in the new subsidiary's branch: its manager sees them.
    under_mine = {p.pk for p in a.people if p.org_unit_id in (a.mine.pk, a.team.pk)}
    with activate(scope_for_user(manager)):
        assert under_mine <= set(Person.objects.values_list("pk", flat=True))


def test_the_old_branch_no_longer_sees_what_moved(world):
    a = world.a
    second = _second_subsidiary(a)
    old_manager = services.tenant_user_create(
        tenant=a.tenant,
        username="a-sub1-manager",
        password="Kuangan-test-2026",
        role=roles.SAFETY_MANAGER,
        org_unit=a.subsidiary,
    )
    _move(a.users[roles.TENANT_ADMIN], a.mine, second)
    with activate(scope_for_user(old_manager)):
        assert not OrgUnit.objects.filter(pk=a.mine.pk).exists()
        assert OrgUnit.objects.filter(pk=a.other_mine.pk).exists()


def test_moves_that_would_break_the_tree_are_refused_field_by_field(world):
    a = world.a
    admin = a.users[roles.TENANT_ADMIN]
    with pytest.raises(ValidationError) as err:
        _move(admin, a.subsidiary, a.team)  # under its own branch
    assert "parent" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        _move(admin, a.team, a.subsidiary)  # a team belongs under a mine or a team
    assert "parent" in err.value.message_dict
    with pytest.raises(ValidationError):
        _move(admin, a.hq, a.subsidiary)
    with dangerously_platform_scope():
        assert OrgUnit.objects.get(pk=a.team.pk).parent_id == a.mine.pk  # nothing changed


def test_who_may_move_and_never_across_groups(world):
    a, b = world.a, world.b
    second = _second_subsidiary(a)
    with pytest.raises(PermissionDenied):  # manages the mine, not the other subsidiary
        _move(a.users[roles.SAFETY_MANAGER], a.team, a.other_mine)
    with pytest.raises(PermissionDenied):  # read-only
        scope = scope_for_user(world.regulator_in)
        with activate(scope):
            services.org_unit_move(scope=scope, unit=a.mine, parent=second)
    with pytest.raises(PermissionDenied):
        _move(a.users[roles.TENANT_ADMIN], a.mine, b.subsidiary)
    # Through the page, another group's unit as the new parent is not found.
    client = login(a.users[roles.TENANT_ADMIN])
    response = client.post(reverse("org-unit-move", kwargs={"pk": a.mine.pk}), {"parent": b.subsidiary.pk})
    assert response.status_code == 404
    with dangerously_platform_scope():
        assert OrgUnit.objects.get(pk=a.mine.pk).parent_id == a.subsidiary.pk


def test_the_page_offers_only_places_the_unit_may_go_and_moves_it(world):
    a = world.a
    second = _second_subsidiary(a)
    client = login(a.users[roles.TENANT_ADMIN])
    page = client.get(reverse("org-unit-detail", kwargs={"pk": a.mine.pk})).content.decode()
    assert 'data-testid="move-form"' in page
    assert str(second.pk) in page and str(a.hq.pk) in page
    assert str(a.team.pk) not in page.split('data-testid="move-form"')[1]  # its own branch
    assert f'value="{a.subsidiary.pk}"' not in page  # where it already is
    response = client.post(reverse("org-unit-move", kwargs={"pk": a.mine.pk}), {"parent": second.pk})
    assert response.status_code == 302
    with dangerously_platform_scope():
        assert OrgUnit.objects.get(pk=a.mine.pk).parent_id == second.pk
    # A refused move shows the page again with the reason on the field.
    response = client.post(reverse("org-unit-move", kwargs={"pk": a.mine.pk}), {"parent": ""})
    assert response.status_code == 400 and 'data-testid="move-form"' in response.content.decode()
    # Team leaders do not manage the tree: no form.
    team_page = login(a.users[roles.TEAM_LEADER]).get(reverse("org-unit-detail", kwargs={"pk": a.team.pk}))
    assert 'data-testid="move-form"' not in team_page.content.decode()


def test_a_unit_created_under_a_moved_branch_takes_the_new_path(world):
    a = world.a
    second = _second_subsidiary(a)
    stale_mine = a.mine  # read before the move, as a form would have
    _move(a.users[roles.TENANT_ADMIN], a.mine, second)
    with dangerously_platform_scope() as platform:
        team = services.org_unit_create(scope=platform, parent=stale_mine, kind="team", name="新班组")
        fresh = OrgUnit.objects.get(pk=a.mine.pk)
    assert team.path == f"{fresh.path}{team.id.hex}/" and team.depth == fresh.depth + 1


def test_the_api_moves_a_unit_and_refuses_another_groups_parent(world):
    a, b = world.a, world.b
    second = _second_subsidiary(a)
    client = token_client(a.users[roles.TENANT_ADMIN].username)
    url = f"/api/v1/org-units/{a.mine.pk}/move/"
    assert client.post(url, {"parent": str(b.subsidiary.pk)}, format="json").status_code == 404
    refused = client.post(url, {"parent": str(a.team.pk)}, format="json")
    assert refused.status_code == 400 and "parent" in refused.json()
    moved = client.post(url, {"parent": str(second.pk)}, format="json")
    assert moved.status_code == 200 and moved.json()["parent"] == str(second.pk)
    assert moved.json()["depth"] == second.depth + 1
    reader = token_client(world.regulator_in.username)
    assert reader.post(url, {"parent": str(a.subsidiary.pk)}, format="json").status_code in (403, 404)
