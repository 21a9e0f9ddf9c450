"""The roster export: one row per post of each mine in scope (holder, since, full-time, vacancy,
filing), text never a formula, a constant number of queries, and only the mines the caller sees."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from compliance.duties import services
from compliance.duties.models import Post, PostFiling, required_posts
from tenants import roles
from tenants import services as tenant_services
from tenants.scope import activate, dangerously_platform_scope

from ...conftest import login
from ...factories import resident_id
from .helpers import JAN5, D, appoint, full_roster, make_people

pytestmark = pytest.mark.django_db

URL = "/duties/posts/export/"


def _rows(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "no-store" in response["Cache-Control"]
    ws = load_workbook(io.BytesIO(response.content)).worksheets[0]
    return [[c.value for c in row] for row in ws.iter_rows()]


def test_the_url_and_the_link_on_the_roster_page(world):
    assert reverse("duties:post-roster-export") == URL
    page = login(world.a.users[roles.SAFETY_MANAGER]).get(reverse("duties:post-roster")).content.decode()
    assert f'href="{URL}"' in page
    unit_page = login(world.a.users[roles.TENANT_ADMIN]).get(
        reverse("duties:post-roster"), {"unit": world.a.subsidiary.pk}
    )
    assert f'href="{URL}?unit={world.a.subsidiary.pk}"' in unit_page.content.decode()


def test_each_post_of_each_mine_with_its_holder_vacancy_and_filing(world):
    tw = world.a
    manager, engineer = make_people(tw, 2, seq=600)
    with dangerously_platform_scope() as platform:
        formula = tenant_services.person_create(
            scope=platform, org_unit=tw.mine, resident_id=resident_id("520201", seq=650),
            name="=HYPERLINK(\"http://x\")", employee_no="A-F650", post_category="safety_management",
        )  # fmt: skip
    appoint(tw, tw.mine, Post.MINE_MANAGER, manager)
    appoint(tw, tw.mine, Post.CHIEF_ENGINEER, engineer, full_time=False)
    appoint(tw, tw.mine, Post.SAFETY_DEPUTY, formula)
    with dangerously_platform_scope():
        filing = PostFiling.objects.get(appointment__person=manager, kind=PostFiling.Kind.APPOINTMENT)
    with activate(tw.scope(roles.SAFETY_MANAGER)) as scope:
        services.filing_record(scope=scope, filing=filing, filed_on=JAN5, reference="黔备2026-1")
    rows = _rows(login(tw.users[roles.SAFETY_MANAGER]).get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert rows[0] == ["集团", "矿山", "职务/岗位", "任职人员", "工号", "任职日期", "专职", "空缺", "报备"]
    by_post = {r[2]: r for r in rows[1:] if r[1] == tw.mine.name}
    with translation.override("zh-hans"):
        labels = {p: str(Post(p).label) for p in required_posts(True)}
    assert set(by_post) == set(labels.values())  # a coal mine: every required post, held or not
    mm = by_post[labels[Post.MINE_MANAGER]]
    assert mm[:5] == [
        tw.tenant.name,
        tw.mine.name,
        labels[Post.MINE_MANAGER],
        manager.name,
        manager.employee_no,
    ]
    assert mm[5].date() == JAN5 and mm[6:] == ["是", "否", "已于 2026-01-05 报备"]
    ce = by_post[labels[Post.CHIEF_ENGINEER]]
    assert ce[3] == engineer.name and ce[6:8] == ["否", "是"]  # part-time at a coal mine: vacant
    assert ce[8].startswith("逾期") or ce[8].startswith("应于")  # not filed yet
    vacant = by_post[labels[Post.PRODUCTION_DEPUTY]]
    assert vacant[3:] == [None, None, None, None, "是", None]
    # The name that looks like a formula is text, as typed.
    deputy = by_post[labels[Post.SAFETY_DEPUTY]]
    assert deputy[3] == '\'=HYPERLINK("http://x")'
    wb = load_workbook(io.BytesIO(login(tw.users[roles.SAFETY_MANAGER]).get(URL).content))
    cell = next(c for row in wb.worksheets[0].iter_rows() for c in row if c.value == deputy[3])
    assert cell.data_type == "s"
    # English on request.
    english = _rows(login(tw.users[roles.SAFETY_MANAGER]).get(URL, HTTP_ACCEPT_LANGUAGE="en"))
    assert english[0][:3] == ["Group", "Mine", "Post"]


def test_another_groups_mines_never_appear_and_a_regulator_sees_its_region(world):
    full_roster(world.a, seq=700)
    full_roster(world.b, seq=800)
    a_rows = _rows(login(world.a.users[roles.TENANT_ADMIN]).get(URL))[1:]
    assert {r[0] for r in a_rows} == {world.a.tenant.name}
    assert world.b.mine.name not in {r[1] for r in a_rows}
    assert {world.a.mine.name, world.a.other_mine.name} <= {r[1] for r in a_rows}
    # The mine's safety manager: its own mine only.
    mine_rows = _rows(login(world.a.users[roles.SAFETY_MANAGER]).get(URL))[1:]
    assert {r[1] for r in mine_rows} == {world.a.mine.name}
    # Another group's unit in the filter: not found.
    assert (
        login(world.a.users[roles.TENANT_ADMIN]).get(URL, {"unit": world.b.subsidiary.pk}).status_code == 404
    )
    # The Guizhou regulator: both groups' Guizhou mines, nothing outside Guizhou.
    reg_rows = _rows(login(world.regulator_in).get(URL))[1:]
    assert {r[1] for r in reg_rows} == {world.a.mine.name, world.b.mine.name}
    held = {r[3] for r in reg_rows if r[3]}
    assert held and all(name.startswith(("A干部", "B干部")) for name in held)
    outside = login(world.regulator_out).get(URL)
    assert outside.status_code == 403 or _rows(outside)[1:] == []
    assert login(world.a.users[roles.WORKER]).get(URL).status_code == 403


@pytest.mark.parametrize("who", ["admin", "regulator"])
def test_constant_queries_whatever_the_number_of_rows(world, who):
    tw = world.a
    client = login(tw.users[roles.TENANT_ADMIN] if who == "admin" else world.regulator_in)
    [first] = make_people(tw, 1, seq=690)
    appoint(tw, tw.mine, Post.TECH_WATER, first)
    client.get(URL)
    with CaptureQueriesContext(connection) as small:
        rows_small = len(_rows(client.get(URL)))
    full_roster(tw, tw.other_mine, coal=False, seq=760)
    with dangerously_platform_scope() as platform:
        for i in range(3):
            tenant_services.org_unit_create(
                scope=platform, parent=tw.subsidiary, kind="mine", name=f"新增{i}矿",
                mine_profile={"mine_type": "coal_underground", "region_code": "520201"},
            )  # fmt: skip
    with CaptureQueriesContext(connection) as large:
        rows_large = len(_rows(client.get(URL)))
    assert rows_large > rows_small + 30
    assert len(large) == len(small), [q["sql"][:120] for q in large.captured_queries]


def test_filing_status_words(world):
    from compliance.duties.posts_export import filing_status

    translation.activate("en")
    today = D(2026, 3, 1)
    due = PostFiling(due_on=D(2026, 2, 1))
    assert filing_status(None, today) == "No filing recorded"
    assert filing_status(due, today) == "Overdue since 2026-02-01"
    assert filing_status(PostFiling(due_on=D(2026, 4, 1)), today) == "Due by 2026-04-01"
    assert filing_status(PostFiling(due_on=D(2026, 2, 1), filed_on=D(2026, 2, 5)), today).startswith(
        "Filed late"
    )
