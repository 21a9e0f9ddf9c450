"""Every list page and endpoint runs the same number of queries for 2 rows and for 50."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants import roles, services
from tenants.scope import dangerously_platform_scope

from ..conftest import PASSWORD, login
from ..factories import resident_id

pytestmark = pytest.mark.django_db

LISTS = [
    "/org/",
    "/mines/",
    "/people/",
    "/roles/",
    "/audit/",
    "/",
    "/api/v1/org-units/",
    "/api/v1/mines/",
    "/api/v1/people/",
    "/api/v1/memberships/",
    "/api/v1/audit-events/",
]


def _grow(world, n: int) -> None:
    """n more of every listed thing in tenant A: mines, teams, people with logins and roles."""
    with dangerously_platform_scope() as platform:
        for i in range(n):
            mine = services.org_unit_create(
                scope=platform,
                parent=world.a.subsidiary,
                kind="mine",
                name=f"扩建{i}矿",
                mine_profile={"mine_type": "coal_open_pit", "region_code": "520203"},
            )
            team = services.org_unit_create(scope=platform, parent=mine, kind="team", name=f"扩建{i}队")
            person = services.person_create(
                scope=platform,
                org_unit=team,
                resident_id=resident_id("520203", seq=i),
                name=f"新人{i}",
                employee_no=f"G-{i:03d}",
                post_category="other",
            )
            user = services.person_login_create(
                scope=platform, person=person, username=f"g{i}", password=PASSWORD
            )
            services.membership_grant(scope=platform, user=user, org_unit=team, role=roles.TEAM_LEADER)


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", [roles.TENANT_ADMIN, "regulator"])
def test_list_queries_do_not_grow_with_rows(world, who):
    user = world.regulator_in if who == "regulator" else world.a.users[who]
    client = login(user)
    urls = [u for u in LISTS if who != "regulator" or u not in ("/roles/", "/org/", "/api/v1/memberships/")]
    few = {url: _count(client, url) for url in urls}
    _grow(world, 48)
    many = {url: _count(client, url) for url in urls}
    assert many == few
