"""Per-mine figure providers (oversight assembles a mine's profile from them): training's hours
and certificates, grading's grade, production and re-check — correct, scoped, and a constant number
of queries however many mines."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext

from compliance import registry
from compliance.grading import figures as grading_figures
from compliance.grading.scoring import level_name
from compliance.training import figures as training_figures
from compliance.training import hours
from compliance.training.models import Certificate
from tenants import roles
from tenants.scope import activate

from ..grading.grade_helpers import award
from .test_certificates import make_cert

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def by_key(figures) -> dict:
    return {f.key: f for f in figures}


def test_training_and_grading_register_their_providers_in_order():
    keys = [p.key for p in registry.mine_figure_providers()]
    assert keys.index("training") < keys.index("grading")


def test_training_figures_count_hours_short_and_certificates_due_or_void(world):
    a = world.a
    soon, lapsed = TODAY + datetime.timedelta(days=10), TODAY - datetime.timedelta(days=5)
    make_cert(a.people[1], number="DUE-1", expires_on=soon, review_due_on=None)
    make_cert(a.people[2], number="VOID-1", kind="principal", status=Certificate.Status.REVOKED)
    # Under the other mine: an expired certificate renewed by a valid one is not void.
    make_cert(a.people[3], number="OLD-1", expires_on=lapsed, review_due_on=None)
    make_cert(
        a.people[3], number="NEW-1", expires_on=TODAY + datetime.timedelta(days=900), review_due_on=None
    )
    scope = a.scope(roles.TENANT_ADMIN)
    with activate(scope):
        figures = training_figures.mine_figures(scope, [a.mine.pk, a.other_mine.pk])
        summary = hours.summary_by_mine([a.mine.pk, a.other_mine.pk], TODAY.year, scope=scope)
    mine, other = by_key(figures[a.mine.pk]), by_key(figures[a.other_mine.pk])
    assert (
        mine["training.certificates_due"].value == 1 and mine["training.certificates_due"].status == "watch"
    )
    assert mine["training.certificates_void"].value == 1
    assert mine["training.certificates_void"].status == "violation"
    assert other["training.certificates_due"].value == 0 and other["training.certificates_void"].value == 0
    assert other["training.certificates_void"].status == "ok"
    for mine_id, figs in figures.items():
        short = by_key(figs)["training.hours_short"]
        assert short.value == summary[mine_id]["short"]
        assert short.status == ("ok" if short.value == 0 else "warning")
        assert f"unit={mine_id}" in short.url


def test_grading_figures_say_the_grade_and_whether_the_mine_may_produce(world):
    a = world.a
    award(a.mine, level=2, user=a.users[roles.TENANT_ADMIN])
    scope = a.scope(roles.TENANT_ADMIN)
    with activate(scope):
        figures = grading_figures.mine_figures(scope, [a.mine.pk, a.other_mine.pk])
    graded, ungraded = by_key(figures[a.mine.pk]), by_key(figures[a.other_mine.pk])
    assert graded["grading.grade"].value == level_name(2) and graded["grading.grade"].status == "ok"
    assert graded["grading.production"].status == "ok"  # a coal mine with a valid grade
    assert graded["grading.recheck"].value != "—"
    assert ungraded["grading.grade"].status == "warning"
    assert f"/grading/mines/{a.mine.pk}/" == graded["grading.grade"].url


def test_an_ungraded_coal_mine_may_not_produce(world):
    a = world.a
    scope = a.scope(roles.TENANT_ADMIN)
    with activate(scope):
        production = by_key(grading_figures.mine_figures(scope, [a.mine.pk])[a.mine.pk])["grading.production"]
    assert production.value == gettext("No")
    assert production.status in {"watch", "violation"}


def test_figures_are_scoped_and_cost_the_same_queries_for_one_mine_or_many(world):
    a, b = world.a, world.b
    scope = a.scope(roles.TENANT_ADMIN)
    with activate(scope):
        foreign = registry.mine_figures(scope, [b.mine.pk, b.other_mine.pk])
        assert all(figs == [] for figs in foreign.values())  # another group's mines: nothing
        with CaptureQueriesContext(connection) as one:
            registry.mine_figures(scope, [a.mine.pk])
        for person in a.people:
            make_cert(person, number=f"C-{person.employee_no}")
        with CaptureQueriesContext(connection) as many:
            figures = registry.mine_figures(scope, [a.mine.pk, a.other_mine.pk])
    assert len(many) == len(one)
    keys = [f.key for f in figures[a.mine.pk]]
    assert keys[:3] == ["training.hours_short", "training.certificates_due", "training.certificates_void"]
    assert keys[3:6] == ["grading.grade", "grading.production", "grading.recheck"]


def test_a_regulator_gets_figures_for_the_mines_of_its_region_only(world):
    from tenants.selectors import scope_for_user

    scope = scope_for_user(world.regulator_in)
    ids = [world.a.mine.pk, world.a.other_mine.pk, world.b.mine.pk, world.b.other_mine.pk]
    with activate(scope):
        figures = registry.mine_figures(scope, ids)
    seen = {mine_id for mine_id, figs in figures.items() if figs}
    assert seen == {world.a.mine.pk, world.b.mine.pk}  # the Guizhou mines (52…)
