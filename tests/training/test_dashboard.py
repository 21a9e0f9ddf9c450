"""The oversight dashboard (培训看板): figures per mine, the chart, who sees what, query counts."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from compliance.inspections.models import Inspection, SpotCheck, Suspension
from compliance.training import dashboard
from compliance.training.models import Attempt, Certificate
from tenants import roles, services
from tenants.scope import activate, dangerously_platform_scope
from tenants.selectors import scope_for_user

from ..conftest import login
from ..inspections.test_inspections import add_person, make_paper

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _attempt(paper, person, *, passed, when=None, spot_check=None, number=1):
    when = when or timezone.now() - datetime.timedelta(minutes=5)
    attempt = Attempt.objects.create(
        tenant=person.tenant,
        paper=paper,
        person=person,
        number=number,
        started_at=when - datetime.timedelta(minutes=10),
        deadline=when,
        submitted_at=when,
        status=Attempt.Status.SUBMITTED,
        score=Decimal(90 if passed else 40),
        max_score=Decimal(100),
        passed=passed,
        occasion=Attempt.Occasion.SPOT_EXAM if spot_check is not None else Attempt.Occasion.REGULAR,
    )
    if spot_check is not None:
        spot_check.attempt = attempt
        spot_check.save(update_fields=["attempt"])
    return attempt


def _cert(person, number, expires_on, status=Certificate.Status.VALID):
    return Certificate.objects.create(
        tenant=person.tenant,
        person=person,
        kind="special_operation",
        operation_type="electrician",
        number=number,
        issued_on=expires_on - datetime.timedelta(days=365 * 6),
        expires_on=expires_on,
        source="external",
        status=status,
    )


def small_world(tw):
    """Figures under tenant ``tw``'s first mine and second mine (see the expectations below)."""
    exam = make_paper(tw, title="年度考试", spot=False)
    spot = make_paper(tw, title="抽考卷")
    p0, p1, p2, p3 = tw.people  # p0-p2 under the first mine, p3 under the second
    today = timezone.localdate()
    with dangerously_platform_scope():
        _attempt(exam, p0, passed=True)
        _attempt(exam, p1, passed=False)
        _attempt(exam, p3, passed=True)
        _attempt(exam, p2, passed=False, when=timezone.now() - 400 * DAY)  # older than 12 months
        _cert(p1, f"{tw.tenant.pk}-1", today + 30 * DAY)  # expiring
        _cert(p2, f"{tw.tenant.pk}-2", today - 10 * DAY)  # expired
        _cert(p0, f"{tw.tenant.pk}-3", today - 100 * DAY)  # expired but renewed below
        _cert(p0, f"{tw.tenant.pk}-4", today + 1000 * DAY)
        _cert(p0, f"{tw.tenant.pk}-5", today + 20 * DAY, status=Certificate.Status.REVOKED)
        _cert(p3, f"{tw.tenant.pk}-6", today + 60 * DAY)  # second mine
        inspection = Inspection.objects.create(
            tenant=tw.tenant, org_unit=tw.mine, kind="group_hq", date=today - 5 * DAY, inspectors="检查组"
        )
        checks = [
            SpotCheck.objects.create(
                tenant=tw.tenant, inspection=inspection, person=p, paper=spot, selection="random"
            )
            for p in (p0, p1, p2)
        ]
        _attempt(spot, p0, passed=True, spot_check=checks[0])
        _attempt(spot, p1, passed=False, spot_check=checks[1])
        Suspension.objects.create(
            tenant=tw.tenant,
            person=p1,
            reason="逢查必考不合格",
            spot_check=checks[1],
            clearing_paper=exam,
            started_at=timezone.now(),
        )


def test_figures_per_mine_for_a_small_world(world):
    a = world.a
    small_world(a)
    with activate(scope_for_user(a.users[roles.HQ_AUDITOR])) as scope:
        board = dashboard.mine_figures(scope=scope)
    rows = {r.mine.pk: r for r in board.rows}
    assert set(rows) == {a.mine.pk, a.other_mine.pk}
    first, second = rows[a.mine.pk], rows[a.other_mine.pk]
    assert (first.exams_graded, first.exams_passed, first.exam_pass_rate) == (2, 1, 50.0)
    assert (first.certs_expiring, first.certs_expired) == (1, 1)
    assert (first.spot_total, first.spot_graded, first.spot_passed, first.spot_pass_rate) == (3, 2, 1, 50.0)
    assert first.suspensions_open == 1
    assert first.hours is not None and first.hours["people"] == 3
    assert (second.exams_graded, second.exam_pass_rate, second.certs_expiring, second.spot_total) == (
        1,
        100.0,
        1,
        0,
    )
    assert second.spot_pass_rate is None and second.suspensions_open == 0
    assert len(board.months) == 12
    this_month = board.months[-1]
    assert this_month.month == timezone.localdate().replace(day=1)
    assert (this_month.exams_graded, this_month.exams_passed) == (3, 2)
    assert (this_month.spot_graded, this_month.spot_passed, this_month.spot_pass_rate) == (2, 1, 50.0)


def test_the_page_links_mines_and_shows_the_figures(world):
    a = world.a
    small_world(a)
    client = login(a.users[roles.TENANT_ADMIN])
    response = client.get(reverse("training:dashboard"))
    assert response.status_code == 200
    body = response.content.decode()
    assert f"{reverse('inspections:inspection-list')}?unit={a.mine.pk}" in body
    assert "50.0%" in body and world.b.mine.name not in body
    # works under the CSP: no inline script or style; the chart is an image from its own URL
    policy = response["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "style-src 'self'" in policy
    assert not re.search(r"<script(?![^>]*\bsrc=)", body)
    assert "<style" not in body and " style=" not in body
    chart_url = reverse("training:dashboard-chart")
    assert f'<img src="{chart_url}"' in body
    chart = client.get(chart_url)
    assert chart.status_code == 200 and chart["Content-Type"].startswith("image/svg+xml")
    svg = chart.content.decode()
    assert svg.lstrip().startswith("<svg") and "<script" not in svg
    assert "script-src 'none'" in chart["Content-Security-Policy"]


def test_regulators_see_their_jurisdiction_only_and_never_write(world):
    small_world(world.a)
    small_world(world.b)
    with activate(scope_for_user(world.regulator_in)) as scope:
        board = dashboard.mine_figures(scope=scope)
    # Guizhou (52…): each group's first mine; the second mines are in Yunnan and Shanxi.
    assert {r.mine.pk for r in board.rows} == {world.a.mine.pk, world.b.mine.pk}
    assert all(r.exams_graded == 2 and r.spot_total == 3 for r in board.rows)
    with activate(scope_for_user(world.regulator_out)) as scope:
        assert dashboard.mine_figures(scope=scope).rows == []
    client = login(world.regulator_in)
    page = client.get(reverse("training:dashboard"))
    assert page.status_code == 200 and world.a.other_mine.name not in page.content.decode()
    assert world.b.tenant.name in page.content.decode()  # the group column for regulators
    for url in (reverse("training:dashboard"), reverse("training:dashboard-chart")):
        assert client.post(url).status_code == 403


def test_workers_get_403_and_tenant_b_sees_none_of_a(world):
    small_world(world.a)
    assert login(world.a.users[roles.WORKER]).get(reverse("training:dashboard")).status_code == 403
    assert login(world.a.users[roles.WORKER]).get(reverse("training:dashboard-chart")).status_code == 403
    with activate(scope_for_user(world.b.users[roles.TENANT_ADMIN])) as scope:
        board = dashboard.mine_figures(scope=scope)
    assert {r.mine.pk for r in board.rows} == {world.b.mine.pk, world.b.other_mine.pk}
    assert all(r.exams_graded == 0 and r.spot_total == 0 for r in board.rows)
    assert sum(p.exams_graded for p in board.months) == 0


def _add_mines(tw, n, start):
    exam = make_paper(tw, title=f"考试{start}", spot=False)
    for i in range(start, start + n):
        with dangerously_platform_scope() as platform:
            mine = services.org_unit_create(
                scope=platform,
                parent=tw.subsidiary,
                kind="mine",
                name=f"矿{i}",
                mine_profile={"mine_type": "coal_underground", "region_code": "520201"},
            )
        person = add_person(tw, mine, "special_operation", seq=300 + i)
        with dangerously_platform_scope():
            _attempt(exam, person, passed=bool(i % 2))
            _cert(person, f"Q-{i}", timezone.localdate() + 10 * DAY)


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_constant_queries_whatever_the_number_of_mines(world):
    a = world.a
    client = login(a.users[roles.HQ_AUDITOR])
    _add_mines(a, 2, 0)
    few = _count(client, reverse("training:dashboard"))
    few_chart = _count(client, reverse("training:dashboard-chart"))
    _add_mines(a, 8, 2)
    assert _count(client, reverse("training:dashboard")) == few
    assert _count(client, reverse("training:dashboard-chart")) == few_chart
    with activate(scope_for_user(a.users[roles.HQ_AUDITOR])) as scope:
        assert len(dashboard.mine_figures(scope=scope).rows) == 12


def test_nav_link_only_for_oversight_roles(world):
    admin = login(world.a.users[roles.TENANT_ADMIN]).get(reverse("home")).content.decode()
    assert 'data-testid="nav-training-dashboard"' in admin
    worker = login(world.a.users[roles.WORKER]).get(reverse("home")).content.decode()
    assert 'data-testid="nav-training-dashboard"' not in worker
