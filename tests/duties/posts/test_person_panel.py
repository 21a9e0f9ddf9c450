"""The person page's "Posts held" panel (岗位任职, 一人一档): a person's appointments with their
filings and the roster's warnings about them, for whoever reads the roster of the mine (a regulator
of the region too, read-only); nothing for a person who holds no post; another tenant's person is
404; a constant number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from compliance.duties import services
from compliance.duties.models import Education, Post, PostFiling
from tenants import roles
from tenants.scope import activate, dangerously_platform_scope

from ...conftest import login
from .helpers import D, appoint, make_people

pytestmark = pytest.mark.django_db

PANEL = 'data-testid="panel-posts-held"'


def _page(user, person) -> str:
    response = login(user).get(reverse("person-detail", args=[person.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _rows(page: str) -> int:
    return page.count('data-testid="person-post"')


@pytest.fixture
def holder(world):
    """A person of tenant A's (Guizhou, coal) mine: safety deputy there from 5 January to 1 February
    (the appointment filed on time, the departure never: late), chief engineer there since
    2 February with too little education (a qualification warning), and manager of the group's
    Yunnan mine since 1 March — two posts at once, one at a mine other than their own."""
    tw = world.a
    [person] = make_people(tw, 1, seq=610)
    first = appoint(tw, tw.mine, Post.SAFETY_DEPUTY, person, on=D(2026, 1, 5))
    with activate(tw.scope(roles.SAFETY_MANAGER)) as scope:
        filing = PostFiling.objects.get(appointment=first, kind=PostFiling.Kind.APPOINTMENT)
        services.filing_record(
            scope=scope, filing=filing, filed_on=D(2026, 1, 10), reference="黔煤安备〔2026〕1号"
        )
        services.appointment_end(scope=scope, appointment=first, ended_on=D(2026, 2, 1), reason="调任")
    appoint(tw, tw.mine, Post.CHIEF_ENGINEER, person, on=D(2026, 2, 2), education=Education.SECONDARY)
    appoint(tw, tw.other_mine, Post.MINE_MANAGER, person, on=D(2026, 3, 1))
    return person


def test_the_group_admin_sees_every_post_its_filings_and_the_warnings(world, holder):
    page = _page(world.a.users[roles.TENANT_ADMIN], holder)
    assert PANEL in page
    assert _rows(page) == 3
    panel = page[page.index(PANEL) :]
    for text in (world.a.mine.name, world.a.other_mine.name, "2026-01-05", "2026-02-01", "2026-02-02",
                 "2026-03-01", "2026-01-10"):  # fmt: skip
        assert text in panel, text
    # Three appointment filings and one departure filing; the departure was never filed: late.
    assert panel.count('data-testid="person-post-filing"') == 4
    assert 'data-testid="late"' in panel
    # The roster's warnings about this person: the qualification of the chief engineer, two posts
    # at once, and a post at a mine other than their own.
    assert 'data-kind="qualification"' in panel
    assert 'data-kind="dual_post"' in panel
    assert 'data-kind="other_mine"' in panel


def test_the_mines_safety_manager_sees_that_mines_posts_and_that_one_is_hidden(world, holder):
    from compliance.duties import person_posts
    from tenants.selectors import scope_for_user

    page = _page(world.a.users[roles.SAFETY_MANAGER], holder)
    assert PANEL in page and _rows(page) == 2  # not the Yunnan mine's post
    assert world.a.other_mine.name not in page[page.index(PANEL) :]
    scope = scope_for_user(world.a.users[roles.SAFETY_MANAGER])
    with activate(scope):
        posts = person_posts.person_posts(scope, holder, today=D(2026, 12, 1))
    [dual] = [w for w in posts.warnings if w.kind == "dual_post"]
    assert "2" in dual.message and "1" in dual.message  # two posts, one at a mine not shown
    ended, = [r for r in posts.rows if not r.current]  # fmt: skip
    assert [f.late for f in ended.filings] == [False, True]


def test_a_regulator_of_the_region_reads_the_panel_and_one_outside_does_not(world, holder):
    page = _page(world.regulator_in, holder)
    assert PANEL in page and _rows(page) == 2  # the Guizhou mine's posts only
    assert "/file/" not in page[page.index(PANEL) :]  # nothing to record from here
    # Beijing's agency has no mine here: no people page at all (403), the person never shown.
    assert login(world.regulator_out).get(reverse("person-detail", args=[holder.pk])).status_code == 403


def test_a_person_with_no_post_has_no_panel(world, holder):
    assert PANEL not in _page(world.a.users[roles.TENANT_ADMIN], world.a.people[1])


def test_another_tenants_person_is_404(world, holder):
    for role in (roles.TENANT_ADMIN, roles.SAFETY_MANAGER):
        response = login(world.b.users[role]).get(reverse("person-detail", args=[holder.pk]))
        assert response.status_code == 404


def test_the_panel_costs_the_same_queries_however_many_posts(world):
    tw = world.a
    [person] = make_people(tw, 1, seq=650)
    appoint(tw, tw.mine, Post.TECH_WATER, person, on=D(2026, 1, 5))
    client = login(tw.users[roles.TENANT_ADMIN])
    url = reverse("person-detail", args=[person.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    with activate(tw.scope(roles.TENANT_ADMIN)) as scope:
        for n, post in enumerate((Post.TECH_SURVEY, Post.TECH_VENTILATION, Post.SAFETY_DEPUTY)):
            appt = appoint(tw, tw.mine, post, person, on=D(2026, 1, 6 + n))
            services.appointment_end(scope=scope, appointment=appt, ended_on=D(2026, 2, 1 + n))
    appoint(tw, tw.other_mine, Post.MINE_MANAGER, person, on=D(2026, 3, 1))
    appoint(tw, tw.other_mine, Post.CHIEF_ENGINEER, person, on=D(2026, 3, 2))
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert _rows(page) == 6
    assert len(many) == len(few), [q["sql"][:150] for q in many.captured_queries]
    with dangerously_platform_scope():
        assert PostFiling.objects.filter(appointment__person=person).count() == 9
