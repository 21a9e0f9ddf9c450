"""The grading dashboard and the mine list behind its numbers, the mine status page, the chart,
the mines API — figures, links, scopes (a regulator across groups, read-only) and query counts."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from compliance.grading import dashboard, grades
from compliance.grading.models import Assessment, GradeEvent
from tenants import roles, services
from tenants.models import MineProfile
from tenants.scope import activate, dangerously_platform_scope
from tenants.selectors import scope_for_user

from ..conftest import login
from .grade_helpers import award, coal_version

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 30)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 6, 30, 12, tzinfo=datetime.UTC), tick=False):
        yield


def _mine(tw, name, mine_type="coal_underground", region="520201", **profile):
    with dangerously_platform_scope() as platform:
        return services.org_unit_create(
            scope=platform,
            parent=tw.subsidiary,
            kind="mine",
            name=name,
            mine_profile={"mine_type": mine_type, "region_code": region, **profile},
        )


def _draft(mine, user, status=Assessment.Status.DRAFT):
    with dangerously_platform_scope():
        Assessment.objects.create(
            tenant_id=mine.tenant_id,
            mine=mine,
            version=coal_version(),
            status=status,
            assessed_on=TODAY,
            created_by=user,
        )


def a_world(world):
    """Tenant A: mine (coal, 二级, re-check in 46 days), other_mine (metal, producing since 2022
    without a grade: past its deadline), 丙矿 (coal, lapsed → not permitted), 丁矿 (coal, 一级)."""
    a = world.a
    auditor = a.users[roles.HQ_AUDITOR]
    award(a.mine, level=2, user=auditor, approved_on=datetime.date(2023, 8, 15))
    with dangerously_platform_scope():
        MineProfile.objects.filter(org_unit=a.other_mine).update(
            production_started_on=datetime.date(2022, 1, 1)
        )
    c = _mine(a, "丙矿")
    award(c, level=3, user=auditor, approved_on=datetime.date(2023, 1, 10))
    grades.lapse_overdue()
    d = _mine(a, "丁矿")
    award(d, level=1, user=auditor, approved_on=datetime.date(2026, 2, 1))
    _draft(a.other_mine, auditor)
    _draft(d, auditor, Assessment.Status.SUBMITTED)
    return a, c, d


def test_board_figures_and_the_lists_behind_them(world):
    a, c, d = a_world(world)
    award(world.b.mine, level=1, user=world.b.users[roles.HQ_AUDITOR])  # never counted for A
    client = login(a.users[roles.HQ_AUDITOR])
    with activate(scope_for_user(a.users[roles.HQ_AUDITOR])) as scope:
        board = dashboard.board(scope=scope)
    values = {f.key: f.value for f in (*board.levels, *board.figures, *board.assessments)}
    assert board.total == 4
    assert values == {
        "level_1": 1,
        "level_2": 1,
        "level_3": 0,
        "level_none": 2,
        "not_permitted": 1,
        "recheck_due": 1,
        "recheck_overdue": 1,
        "deadline_overdue": 1,
        "assessment_draft": 1,
        "assessment_submitted": 1,
        "assessment_under_review": 0,
    }
    page = client.get(reverse("grading:dashboard"))
    assert page.status_code == 200
    html = page.content.decode()
    expected_rows = {
        "level_1": {d.pk},
        "level_2": {a.mine.pk},
        "level_none": {c.pk, a.other_mine.pk},
        "not_permitted": {c.pk},
        "recheck_due": {a.mine.pk},
        "recheck_overdue": {c.pk},
        "deadline_overdue": {a.other_mine.pk},
        "assessment_draft": {a.other_mine.pk},
        "assessment_submitted": {d.pk},
    }
    for key, mines in expected_rows.items():
        href = re.search(rf'href="([^"]+)" data-testid="figure-{key}"', html).group(1).replace("&amp;", "&")
        listed = client.get(href).content.decode()
        found = set(re.findall(r'data-testid="grading-mine-row" data-mine="([0-9a-f-]+)"', listed))
        assert found == {str(m) for m in mines}, key
        assert len(found) == values[key]


def test_chart_is_an_svg_without_script_and_the_figures_are_a_table(world):
    a_world(world)
    client = login(world.a.users[roles.HQ_AUDITOR])
    response = client.get(reverse("grading:dashboard-chart"))
    assert response.status_code == 200 and response["Content-Type"].startswith("image/svg+xml")
    svg = response.content.decode()
    assert "<svg" in svg and "<script" not in svg
    html = client.get(reverse("grading:dashboard")).content.decode()
    assert 'data-testid="levels-table"' in html and reverse("grading:dashboard-chart") in html


def test_mine_status_page_says_not_permitted(world):
    a, c, _d = a_world(world)
    client = login(a.users[roles.SAFETY_MANAGER])  # safety manager of the first mine only
    assert client.get(reverse("grading:mine-status", args=[c.pk])).status_code == 404
    client = login(a.users[roles.HQ_AUDITOR])
    html = client.get(reverse("grading:mine-status", args=[c.pk])).content.decode()
    assert 'data-testid="production-words"' in html and "2026-01-10" in html  # lapsed on its due date
    assert 'data-testid="record-accident"' not in html  # the HQ auditor records no accidents
    html = client.get(reverse("grading:mine-status", args=[a.mine.pk])).content.decode()
    words = re.search(r'data-testid="level1-words">([^<]+)<', html).group(1)
    assert "2023-08-15" in words  # a clean year at 二级 since then: may apply for 一级


def test_subsidiary_filter(world):
    a, _c, _d = a_world(world)
    with dangerously_platform_scope() as platform:
        other_sub = services.org_unit_create(scope=platform, parent=a.hq, kind="subsidiary", name="A二分公司")
        services.org_unit_create(
            scope=platform,
            parent=other_sub,
            kind="mine",
            name="戊矿",
            mine_profile={"mine_type": "coal_underground", "region_code": "520201"},
        )
    client = login(a.users[roles.TENANT_ADMIN])
    html = client.get(reverse("grading:mine-list"), {"permitted": "no"}).content.decode()
    assert html.count('data-testid="grading-mine-row"') == 2
    html = client.get(
        reverse("grading:mine-list"), {"permitted": "no", "unit": other_sub.pk}
    ).content.decode()
    assert html.count('data-testid="grading-mine-row"') == 1 and "戊矿" in html


def test_regulator_sees_across_groups_read_only(world):
    a_world(world)
    award(world.b.mine, level=1, user=world.b.users[roles.HQ_AUDITOR])
    client = login(world.regulator_in)  # Guizhou: A's coal mines (52…) and B's first mine
    body = client.get(reverse("api:grading-mine-list")).json()
    names = {row["name"] for row in body["results"]}
    assert {"A一矿", "丙矿", "丁矿", "B一矿"} <= names and "A二矿" not in names and "B二矿" not in names
    not_permitted = client.get(reverse("api:grading-mine-list"), {"permitted": "no"}).json()
    assert [r["name"] for r in not_permitted["results"]] == ["丙矿"]
    assert not_permitted["results"][0]["permitted_to_produce"] is False
    assert client.get(reverse("grading:dashboard")).status_code == 200
    assert client.post(reverse("grading:dashboard")).status_code == 403
    # A regulator whose jurisdiction holds no mine has no grant at all here.
    assert login(world.regulator_out).get(reverse("api:grading-mine-list")).status_code == 403


def test_mines_api_detail_and_tenant_isolation(world):
    a, c, _d = a_world(world)
    client = login(a.users[roles.HQ_AUDITOR])
    row = client.get(reverse("api:grading-mine-detail", args=[c.pk])).json()
    assert row["permitted_to_produce"] is False and row["certificate_status"] == "lapsed"
    assert row["level"] is None and row["recheck_overdue"] is True
    mine = client.get(reverse("api:grading-mine-detail", args=[a.mine.pk])).json()
    assert mine["level"] == 2 and mine["level1_eligible_on"] == "2024-08-15"
    assert client.get(reverse("api:grading-mine-detail", args=[world.b.mine.pk])).status_code == 404
    assert client.get(reverse("grading:mine-status", args=[world.b.mine.pk])).status_code == 404
    assert client.get(reverse("api:grading-mine-detail", args=[a.subsidiary.pk])).status_code == 404
    assert client.get(reverse("api:grading-mine-list"), {"level": "7"}).status_code == 400


def test_only_grading_roles_see_the_pages(world):
    worker = login(world.a.users[roles.WORKER])
    for name in ("grading:dashboard", "grading:dashboard-chart", "grading:mine-list"):
        assert worker.get(reverse(name)).status_code == 403


def _queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200, url
    return len([q for q in ctx.captured_queries if "set_config(" not in q["sql"]])


def _populate(tw, start, n):
    auditor = tw.users[roles.HQ_AUDITOR]
    for i in range(start, start + n):
        mine = _mine(tw, f"矿{i}", "coal_underground" if i % 2 else "metal_open_pit")
        if i % 3:
            cert = award(mine, level=i % 3, user=auditor, approved_on=datetime.date(2024, 1, 1 + i))
            with dangerously_platform_scope():
                grades.record_event(
                    cert,
                    GradeEvent.Kind.DOWNGRADED,
                    actor=auditor,
                    reason="测试",
                    occurred_on=TODAY,
                    to_level=3,
                )
        _draft(mine, auditor)
        scope = tw.scope(roles.TENANT_ADMIN)
        from compliance.grading import accidents

        with activate(scope):
            accidents.record_accident(
                scope=scope,
                mine=mine,
                data={"occurred_on": TODAY, "accident_class": "general", "deaths": 0, "description": "轻伤"},
            )


def test_constant_queries_whatever_the_number_of_mines(world):
    a = world.a
    client = login(a.users[roles.HQ_AUDITOR])
    urls = [
        (reverse("grading:dashboard"), None),
        (reverse("grading:dashboard-chart"), None),
        (reverse("grading:mine-list"), None),
        (reverse("grading:mine-list"), {"permitted": "no"}),
        (reverse("grading:certificate-list"), None),
        (reverse("grading:certificate-list"), {"export": "xlsx"}),
        (reverse("grading:accident-list"), None),
        (reverse("api:grading-mine-list"), None),
        (reverse("api:grade-certificate-list"), None),
        (reverse("api:grading-accident-list"), None),
    ]
    _populate(a, 1, 1)  # 3 mines
    few = [_queries(client, url, params) for url, params in urls]
    _populate(a, 2, 9)  # 12 mines
    many = [_queries(client, url, params) for url, params in urls]
    assert many == few
    with activate(scope_for_user(a.users[roles.HQ_AUDITOR])) as scope:
        assert dashboard.board(scope=scope).total == 12
