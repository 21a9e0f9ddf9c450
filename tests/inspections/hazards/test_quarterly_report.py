"""The quarterly hidden-danger statistics (季度隐患排查治理统计): the figures of a hand-built quarter,
the PDF (its text), a unit's mines together, a foreign mine, a bad quarter, constant queries."""

from __future__ import annotations

import datetime
import shutil
import subprocess

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from compliance.inspections.hazards import report
from compliance.inspections.hazards.models import Hazard
from tenants import roles
from tenants.scope import activate, dangerously_platform_scope
from tenants.selectors import scope_for_user

from ...conftest import login
from .helpers import criterion, register

pytestmark = pytest.mark.django_db
S = Hazard.Status
D = datetime.date
URL = "hazards:quarterly-report"


def _at(day: D) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))


def _set(hazard, **fields):
    # The loop's steps stamp "now"; a past quarter needs its dates, so they are set afterwards
    # (as the platform: on PostgreSQL row-level security hides every row from no scope).
    with dangerously_platform_scope():
        Hazard.objects.filter(pk=hazard.pk).update(**fields)


@pytest.fixture
def quarter(world):
    """2026-Q2 at world.a's mine: found, closed on time and late, one major, hazards outside."""
    a = world.a
    on_time = register(a, found_on=D(2026, 4, 10), description="按期销号的隐患")
    _set(on_time, status=S.CLOSED, deadline=D(2026, 5, 1), accepted_at=_at(D(2026, 4, 25)),
         closed_at=_at(D(2026, 4, 28)))  # fmt: skip
    late = register(a, found_on=D(2026, 5, 5), source="regulator", description="逾期销号的隐患")
    _set(late, status=S.CLOSED, deadline=D(2026, 5, 20), accepted_at=_at(D(2026, 6, 1)),
         closed_at=_at(D(2026, 6, 2)))  # fmt: skip
    major = register(
        a,
        found_on=D(2026, 6, 10),
        criterion=criterion("4-2"),
        location="二采区回风巷",
        description="重大隐患未整改",
    )
    _set(major, status=S.RECTIFYING, deadline=D(2026, 6, 20))
    before = register(a, found_on=D(2026, 3, 20), description="上季度发现仍在整改")
    _set(before, status=S.RECTIFYING, deadline=D(2026, 7, 30))
    closed_after = register(a, found_on=D(2026, 2, 1), description="季度后才销号")
    _set(closed_after, status=S.CLOSED, deadline=D(2026, 3, 1), accepted_at=_at(D(2026, 7, 9)),
         closed_at=_at(D(2026, 7, 10)))  # fmt: skip
    register(a, found_on=D(2026, 7, 5), description="下季度发现")
    rejected = register(a, found_on=D(2026, 4, 2), description="不是隐患")
    _set(rejected, status=S.REJECTED)
    register(
        a, role=roles.TENANT_ADMIN, mine=a.other_mine, found_on=D(2026, 4, 3), description="另一矿的隐患"
    )
    return world


def _context(world, unit):
    user = world.a.users[roles.TENANT_ADMIN]
    scope = scope_for_user(user)
    with activate(scope):
        return report.quarterly_context(scope=scope, unit=unit, quarter="2026-Q2")


def test_the_figures_of_a_quarter(quarter):
    ctx = _context(quarter, quarter.a.mine)
    assert (ctx["start"], ctx["end"], ctx["as_of"]) == (D(2026, 4, 1), D(2026, 6, 30), D(2026, 6, 30))
    assert ctx["figures"] == {
        "found": 3,
        "found_major": 1,
        "found_general": 2,
        "closed": 2,
        "closed_on_time": 1,
        "closed_late": 1,
        "open": 3,  # the major, the one found before the quarter, the one closed after it
        "open_major": 1,
        "overdue": 2,  # the major (deadline 06-20), the one accepted only in July (deadline 03-01)
    }
    by_source = dict(ctx["by_source"])
    assert by_source[Hazard.Source.SELF_CHECK.label] == 2
    assert by_source[Hazard.Source.REGULATOR.label] == 1
    assert by_source[Hazard.Source.WORKER_REPORT.label] == 0
    assert [h.description for h in ctx["major"]] == ["重大隐患未整改"]
    # The subsidiary's report adds its other mine's hazard.
    assert _context(quarter, quarter.a.subsidiary)["figures"]["found"] == 4


def test_quarters_are_parsed_strictly():
    assert report.parse_quarter("2026-Q3") == (D(2026, 7, 1), D(2026, 9, 30))
    assert report.parse_quarter("2025-q4") == (D(2025, 10, 1), D(2025, 12, 31))
    for bad in ("2026-Q5", "2026Q1", "2026-07", "", "Q1-2026"):
        with pytest.raises(ValueError):
            report.parse_quarter(bad)
    assert report.previous_quarter(D(2026, 2, 1)) == "2025-Q4"
    assert report.previous_quarter(D(2026, 8, 1)) == "2026-Q2"


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
def test_the_pdf_shows_the_figures(quarter, tmp_path):
    client = login(quarter.a.users[roles.SAFETY_MANAGER])
    response = client.get(reverse(URL), {"mine": quarter.a.mine.pk, "quarter": "2026-Q2"})
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    path = tmp_path / "q.pdf"
    path.write_bytes(response.content)
    text = "".join(
        subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout.split()
    )
    assert quarter.a.mine.name in text and "2026-Q2" in text
    assert "二采区回风巷" in text and "重大隐患未整改" in text and "4-2" in text
    assert "2/1" in text  # general / major found; closed on time / late is "1/1"
    assert "1/1" in text


def test_the_unit_report_and_the_regulator(quarter):
    client = login(quarter.a.users[roles.TENANT_ADMIN])
    response = client.get(reverse(URL), {"unit": quarter.a.subsidiary.pk, "quarter": "2026-Q2"})
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert client.get(reverse(URL), {"unit": quarter.a.team.pk}).status_code == 404
    regulator = login(quarter.regulator_in)
    assert regulator.get(reverse(URL), {"mine": quarter.a.mine.pk, "quarter": "2026-Q2"}).status_code == 200
    outside = login(quarter.regulator_out).get(reverse(URL), {"mine": quarter.a.mine.pk})
    assert outside.status_code in (403, 404)


def test_a_foreign_mine_is_not_found_and_a_bad_quarter_is_explained(quarter):
    b_client = login(quarter.b.users[roles.TENANT_ADMIN])
    assert b_client.get(reverse(URL), {"mine": quarter.a.mine.pk, "quarter": "2026-Q2"}).status_code == 404
    assert b_client.get(reverse(URL), {"unit": quarter.a.subsidiary.pk}).status_code == 404
    client = login(quarter.a.users[roles.SAFETY_MANAGER])
    response = client.get(reverse(URL), {"mine": quarter.a.mine.pk, "quarter": "2026-13"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "2026-Q3" in body  # the example of the right form (in Chinese once the catalogue is compiled)


def test_the_dashboard_links_the_quarterly_report(quarter):
    page = login(quarter.a.users[roles.TENANT_ADMIN]).get(reverse("hazards:dashboard")).content.decode()
    assert f"{reverse(URL)}?mine={quarter.a.mine.pk}" in page
    assert f"{reverse(URL)}?unit={quarter.a.subsidiary.pk}" in page


def test_constant_queries(world):
    client = login(world.a.users[roles.TENANT_ADMIN])
    params = {"mine": world.a.mine.pk, "quarter": "2026-Q2"}

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse(URL), params).status_code == 200
        return len(ctx.captured_queries)

    for _ in range(2):
        register(world.a, found_on=D(2026, 5, 1), criterion=criterion("4-2"))
    few = count()
    for i in range(20):
        register(world.a, found_on=D(2026, 4, 1) + datetime.timedelta(days=i), criterion=criterion("4-2"))
    assert count() == few
