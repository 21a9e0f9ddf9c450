"""The right to produce reads the production stops of the registry (a 重大 hazard not yet accepted
stops the mine or an area): a binding stop of the whole mine → not permitted, with the hazard named
and linked; an area stop → permitted, the area named; a stop on an unverified criterion → a 待核实
warning only; none → as before; no provider registered → grading still works."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from compliance import registry
from compliance.grading import figures, production
from compliance.inspections.hazards.models import Hazard
from tenants import roles
from tenants.scope import activate, dangerously_platform_scope
from tenants.selectors import scope_for_user

from ..conftest import login
from ..inspections.hazards.helpers import criterion, plan, register
from .grade_helpers import award

pytestmark = pytest.mark.django_db


@pytest.fixture
def graded(world):
    """world.a's coal mine with a valid Level 2: permitted to produce before any stop."""
    award(world.a.mine, level=2, user=world.a.users[roles.HQ_AUDITOR], approved_on=datetime.date.today())
    return world


def _status(world, mine=None):
    scope = scope_for_user(world.a.users[roles.TENANT_ADMIN])
    with activate(scope):
        return production.mine_status(mine or world.a.mine, scope=scope)


def _major(world, *, on_criterion=False, stop="mine", area=""):
    """A major hazard under rectification stopping the mine or an area. Without a criterion the
    class is the manager's (binding); on a shipped criterion (unverified) the stop is 待核实."""
    hazard = register(
        world.a,
        grade="major",
        criterion=criterion("4-2") if on_criterion else None,
        # 4-2 is in force (应急管理部令第4号) until 2026-06-30
        found_on=datetime.date(2026, 3, 2),
        description="主要通风机故障",
    )
    return plan(world.a, hazard, stop_scope=stop, stop_area=area)


def test_no_stop_changes_nothing(graded):
    status = _status(graded)
    assert status.stops == [] and status.permitted is True
    assert status.production_words.startswith(("允许生产", "Permitted"))


def test_a_binding_stop_of_the_whole_mine_forbids_production(graded):
    hazard = _major(graded, stop="mine")
    status = _status(graded)
    assert status.level == 2  # the grade still stands
    assert status.permitted is False and status.stopped_by_hazard
    assert hazard.number in status.production_words
    url = reverse("hazards:hazard-detail", kwargs={"pk": hazard.pk})
    assert [s.url for s in status.mine_stops] == [url]
    client = login(graded.a.users[roles.TENANT_ADMIN])
    page = client.get(reverse("grading:mine-status", args=[graded.a.mine.pk])).content.decode()
    assert 'data-testid="production-stops"' in page and f'href="{url}"' in page
    row = client.get(reverse("api:grading-mine-detail", args=[graded.a.mine.pk])).json()
    assert row["permitted_to_produce"] is False
    assert (
        row["stops"][0]["binding"] is True and row["stops"][0]["area"] == "" and row["stops"][0]["url"] == url
    )
    listing = client.get(reverse("grading:mine-list")).content.decode()
    assert hazard.number in listing
    # Once accepted, the stop is gone: the grade alone decides again.
    with dangerously_platform_scope():  # on PostgreSQL row-level security hides rows from no scope
        Hazard.objects.filter(pk=hazard.pk).update(status=Hazard.Status.ACCEPTED)
    assert _status(graded).permitted is True


def test_an_area_stop_names_the_area_and_allows_production(graded):
    _major(graded, stop="area", area="1301 综采工作面")
    status = _status(graded)
    assert status.permitted is True and not status.stopped_by_hazard
    assert [s.area for s in status.area_stops] == ["1301 综采工作面"]
    assert "1301 综采工作面" in status.production_words
    # A non-coal mine under an area stop: still no grade rule, still producing.
    assert _status(graded, graded.a.other_mine).permitted is None


def test_a_stop_on_an_unverified_criterion_only_warns(graded):
    hazard = _major(graded, on_criterion=True, stop="mine")
    assert hazard.criterion is not None and not hazard.criterion.verified
    status = _status(graded)
    assert status.permitted is True and not status.stopped_by_hazard
    assert [s.binding for s in status.unverified_stops] == [False]
    assert any(hazard.number in w.text for w in status.warnings)
    client = login(graded.a.users[roles.TENANT_ADMIN])
    row = client.get(reverse("api:grading-mine-detail", args=[graded.a.mine.pk])).json()
    assert row["permitted_to_produce"] is True and row["stops"][0]["binding"] is False
    assert any(hazard.number in w["text"] for w in row["warnings"])


def test_the_mine_figure_says_no_under_a_binding_stop(graded):
    hazard = _major(graded, stop="mine")
    scope = scope_for_user(graded.a.users[roles.TENANT_ADMIN])
    with activate(scope):
        out = figures.mine_figures(scope, [graded.a.mine.pk, graded.a.other_mine.pk])
    fig = next(f for f in out[graded.a.mine.pk] if f.key == "grading.production")
    assert fig.status == "violation" and hazard.number in fig.rule
    assert fig.url == reverse("hazards:hazard-detail", kwargs={"pk": hazard.pk})
    other = next(f for f in out[graded.a.other_mine.pk] if f.key == "grading.production")
    assert other.status != "violation" or hazard.number not in other.rule


def test_grading_works_with_no_provider_registered(graded):
    _major(graded, stop="mine")
    saved = registry.snapshot()
    try:
        registry._production_stops.clear()
        status = _status(graded)
        assert status.stops == [] and status.permitted is True
        client = login(graded.a.users[roles.TENANT_ADMIN])
        assert client.get(reverse("grading:mine-status", args=[graded.a.mine.pk])).status_code == 200
        assert client.get(reverse("api:grading-mine-list")).json()["results"]
    finally:
        registry.restore(saved)


def test_one_registry_call_for_a_list(graded, monkeypatch):
    calls = []
    real = registry.production_stops

    def counting(scope, mine_ids):
        calls.append(list(mine_ids))
        return real(scope, mine_ids)

    monkeypatch.setattr(registry, "production_stops", counting)
    _major(graded, stop="mine")
    client = login(graded.a.users[roles.HQ_AUDITOR])

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("grading:mine-list")).status_code == 200
        return len(ctx.captured_queries)

    few = queries()
    assert len(calls) == 1 and set(calls[0]) >= {graded.a.mine.pk, graded.a.other_mine.pk}
    for _ in range(5):
        _major(graded, stop="area", area="掘进面")
    assert queries() == few
