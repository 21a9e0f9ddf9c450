"""Deleting an org unit that other records still refer to: refused with a message naming them
(409 in the API), never a server error."""

import datetime

import pytest
from django.utils import translation

from compliance.audit.models import AuditEvent
from compliance.errors import Conflict
from compliance.inspections.models import Inspection
from compliance.training.models import Course
from tenants import roles, services
from tenants.models import OrgUnit
from tenants.scope import activate, dangerously_platform_scope

from ..conftest import login
from .test_api import token_client

pytestmark = pytest.mark.django_db


def _referred_team(world) -> OrgUnit:
    """An empty team under tenant A's mine that three courses and one inspection belong to."""
    with dangerously_platform_scope() as platform:
        team = services.org_unit_create(scope=platform, parent=world.a.mine, kind="team", name="掘进三队")
        for n in range(3):
            Course.objects.create(
                tenant=world.a.tenant, org_unit=team, kind="annual", title=f"课程{n}", hours=2
            )
        Inspection.objects.create(
            tenant=world.a.tenant,
            org_unit=team,
            kind="group_hq",
            date=datetime.date(2026, 3, 1),
            inspectors="王检查",
        )
    return team


def _still_there(team) -> bool:
    with dangerously_platform_scope():
        return OrgUnit.objects.filter(pk=team.pk).exists()


def test_the_service_refuses_naming_what_refers_to_the_unit(world):
    team = _referred_team(world)
    scope = world.a.scope(roles.TENANT_ADMIN)
    with activate(scope), translation.override("zh-hans"), pytest.raises(Conflict) as exc:
        services.org_unit_delete(scope=scope, unit=team)
    assert exc.value.message == "该单位仍有课程 3 条、检查 1 条引用，不能删除。"
    with translation.override("en"), activate(scope), pytest.raises(Conflict) as exc:
        services.org_unit_delete(scope=scope, unit=team)
    assert "3 courses, 1 inspection;" in exc.value.message
    assert _still_there(team)
    with dangerously_platform_scope():  # the audit event of the refused delete rolled back with it
        assert not AuditEvent.objects.filter(object_id=str(team.pk), action="delete").exists()


def test_the_api_answers_409_with_the_message(world):
    team = _referred_team(world)
    client = token_client(world.a.users[roles.TENANT_ADMIN].username)
    response = client.delete(f"/api/v1/org-units/{team.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 409, response.content
    assert response.json() == {"detail": "该单位仍有课程 3 条、检查 1 条引用，不能删除。"}
    assert _still_there(team)


def test_the_page_shows_the_message_and_changes_nothing(world):
    team = _referred_team(world)
    client = login(world.a.users[roles.TENANT_ADMIN])
    response = client.post(f"/org/{team.pk}/delete/", follow=True)
    assert response.status_code == 200
    assert "该单位仍有课程 3 条、检查 1 条引用，不能删除。" in response.content.decode()
    assert _still_there(team)


def test_an_unreferred_unit_is_still_deleted(world):
    with dangerously_platform_scope() as platform:
        team = services.org_unit_create(scope=platform, parent=world.a.mine, kind="team", name="空班组")
    client = token_client(world.a.users[roles.TENANT_ADMIN].username)
    assert client.delete(f"/api/v1/org-units/{team.pk}/").status_code == 204
    assert not _still_there(team)
