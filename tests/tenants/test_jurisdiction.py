"""Who oversees a mine: its region code and type change only by the group admin, with a reason,
in view of the regulators of the region it leaves and of the one it joins."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from compliance.audit.models import AuditEvent
from compliance.notifications.models import Notification
from tenants import roles, services
from tenants.models import MineProfile
from tenants.scope import dangerously_platform_scope

from ..conftest import PASSWORD, login

pytestmark = pytest.mark.django_db

NEW_REGION = "530103"  # Kunming: the mine leaves Guizhou (52) for Yunnan (53)


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _profile(tw) -> MineProfile:
    with dangerously_platform_scope():
        return MineProfile.objects.get(org_unit=tw.mine)


def _profile_events(tw) -> int:
    with dangerously_platform_scope():
        return AuditEvent.objects.filter(object_id=str(_profile(tw).pk), action="update").count()


@pytest.fixture
def yunnan(world):
    """A regulator of the region the mine moves to."""
    agency = services.agency_create(name="云南省应急管理厅", level="provincial", region_prefix="53")
    return services.agency_user_create(agency=agency, username="reg-yunnan", password=PASSWORD)


@pytest.mark.parametrize("body", [{"region_code": NEW_REGION}, {"mine_type": "coal_open_pit"}])
def test_safety_manager_changing_region_or_type_through_the_api_is_refused(world, body):
    manager = world.a.users[roles.SAFETY_MANAGER]
    response = api(manager).patch(
        f"/api/v1/mines/{world.a.mine.pk}/",
        body | {"reason": "划归昆明", "mining_licence_no": "X-1"},
        format="json",
    )
    assert response.status_code == 400
    (field,) = body
    assert "集团管理员" in response.json()[field][0]
    profile = _profile(world.a)
    assert (profile.region_code, profile.mine_type, profile.mining_licence_no) == (
        "520201",
        "coal_underground",
        "",
    )
    assert _profile_events(world.a) == 0


def test_safety_manager_still_edits_the_rest_of_the_profile(world):
    response = api(world.a.users[roles.SAFETY_MANAGER]).patch(
        f"/api/v1/mines/{world.a.mine.pk}/",
        {
            "region_code": "520201",
            "mine_type": "coal_underground",
            "safety_licence_no": "(黔)FM安许证字[2026]7",
        },
        format="json",
    )  # the same region and type sent back is no change
    assert response.status_code == 200, response.content
    assert _profile(world.a).safety_licence_no.endswith("7")


def test_safety_manager_page_shows_region_and_type_closed_and_refuses_a_forged_change(world):
    client = login(world.a.users[roles.SAFETY_MANAGER])
    url = f"/mines/{world.a.mine.pk}/edit/"
    page = client.get(url).content.decode()
    assert 'name="region_code"' in page and "disabled" in page.split('name="region_code"')[1].split(">")[0]
    assert 'name="reason"' not in page
    # What a browser sends: the disabled fields are left out; the rest saves.
    saved = client.post(url, {"production_status": "producing", "mining_licence_no": "C-2"})
    assert saved.status_code == 302
    # A region posted anyway is refused on its field, and nothing changes.
    forged = client.post(
        url, {"region_code": NEW_REGION, "production_status": "producing", "mining_licence_no": "C-3"}
    )
    assert forged.status_code == 400
    content = forged.content.decode()
    assert 'data-field="region_code"' in content and "集团管理员" in content
    profile = _profile(world.a)
    assert (profile.region_code, profile.mining_licence_no) == ("520201", "C-2")


def test_group_admin_needs_a_reason(world):
    admin = world.a.users[roles.TENANT_ADMIN]
    response = api(admin).patch(
        f"/api/v1/mines/{world.a.mine.pk}/", {"region_code": NEW_REGION}, format="json"
    )
    assert response.status_code == 400 and "原因" in response.json()["reason"][0]
    page = login(admin).post(
        f"/mines/{world.a.mine.pk}/edit/",
        {
            "mine_type": "coal_underground",
            "region_code": NEW_REGION,
            "production_status": "producing",
            "reason": " ",
        },
    )
    assert page.status_code == 400 and 'data-field="reason"' in page.content.decode()
    assert _profile(world.a).region_code == "520201"
    assert _profile_events(world.a) == 0


def _audit_of(user, **query):
    return (
        api(user)
        .get("/api/v1/audit-events/", {"object_type": "tenants.MineProfile", **query})
        .json()["results"]
    )


def test_group_admin_change_is_seen_and_told_in_both_regions_and_nowhere_else(world, yunnan):
    shanxi = services.agency_user_create(
        agency=services.agency_create(name="山西省应急管理厅", level="provincial", region_prefix="14"),
        username="reg-shanxi",
        password=PASSWORD,
    )
    admin = world.a.users[roles.TENANT_ADMIN]
    response = api(admin).patch(
        f"/api/v1/mines/{world.a.mine.pk}/",
        {"region_code": NEW_REGION, "mine_type": "coal_open_pit", "reason": "行政区划调整，划归昆明市"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert _profile(world.a).region_code == NEW_REGION

    for regulator in (world.regulator_in, yunnan):  # the region it left, the region it joined
        (event,) = [
            e for e in _audit_of(regulator, action="update") if e["object_id"] == str(_profile(world.a).pk)
        ]
        assert event["before"]["region_code"] == "520201" and event["after"]["region_code"] == NEW_REGION
        assert event["after"]["reason"] == "行政区划调整，划归昆明市"
        page = login(regulator).get("/audit/", {"q": world.a.mine.name}).content.decode()
        assert "行政区划调整，划归昆明市" in page
        notes = login(regulator).get("/notifications/").content.decode()
        assert world.a.mine.name in notes and NEW_REGION in notes
    # Guizhou's regulator sees the record of the change, nothing else of a mine no longer its own.
    seen_in_guizhou = api(world.regulator_in).get("/api/v1/audit-events/").json()["results"]
    a_events = [e for e in seen_in_guizhou if e["object_repr"] == world.a.mine.name]
    assert len(a_events) == 1
    assert api(world.regulator_in).get(f"/api/v1/mines/{world.a.mine.pk}/").status_code == 404

    # Shanxi's regulator (tenant B has a mine there): neither the event nor a notification.
    seen = _audit_of(shanxi)
    assert seen and all(e["object_repr"] == world.b.other_mine.name for e in seen)
    page = login(shanxi).get("/audit/").content.decode()
    assert world.b.other_mine.name in page and world.a.mine.name not in page
    assert "行政区划调整" not in login(shanxi).get("/notifications/").content.decode()
    with dangerously_platform_scope():
        told = set(Notification.objects.values_list("user__username", flat=True))
    assert told == {world.regulator_in.username, yunnan.username}  # not Shanxi's, not Beijing's


def test_group_admin_changes_the_type_on_the_page_with_a_reason(world):
    client = login(world.a.users[roles.TENANT_ADMIN])
    response = client.post(
        f"/mines/{world.a.mine.pk}/edit/",
        {
            "mine_type": "coal_open_pit",
            "region_code": "520201",
            "production_status": "producing",
            "reason": "露天开采",
        },
    )
    assert response.status_code == 302
    assert _profile(world.a).mine_type == "coal_open_pit"
    with dangerously_platform_scope():
        assert Notification.objects.filter(user=world.regulator_in).count() == 1
        assert not Notification.objects.filter(user=world.regulator_out).exists()
