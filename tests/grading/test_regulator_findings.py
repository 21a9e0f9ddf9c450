"""The speech's rule as data: regulators finding more major hazards at a mine than it reported
itself within the look-back lowers its standardization grade one level (三级 → revoked). Shipped
unverified, it only warns; verified, the daily job applies it once per certificate."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance import registry
from compliance.grading import regulator_findings
from compliance.grading.figures import mine_figures
from compliance.grading.models import GradeCertificate, GradeEvent, PolicyRule
from compliance.grading.rules import rule_correct
from compliance.inspections.agency import services as agency_services
from compliance.inspections.hazards.models import Hazard
from tenants import roles
from tenants.scope import activate, dangerously_platform_scope
from tenants.selectors import scope_for_user

from ..conftest import login
from ..inspections.hazards.helpers import register
from .grade_helpers import award

pytestmark = pytest.mark.django_db


def _regulator_finds_majors(w, n: int, *, days_ago: int = 10):
    user = w.regulator_in
    with activate(scope_for_user(user)) as scope:
        inspection = agency_services.inspection_record(
            scope=scope, mine=w.a.mine, user=user, kind="routine",
            inspected_on=timezone.localdate() - datetime.timedelta(days=days_ago), inspectors="王监察",
        )  # fmt: skip
        return [
            agency_services.finding_add(
                scope=scope,
                inspection=inspection,
                kind="hazard",
                text=f"重大隐患{i}",
                location="回风巷",
                grade=Hazard.Grade.MAJOR,
            )  # fmt: skip
            for i in range(n)
        ]


def _verify_rule():
    with dangerously_platform_scope():
        rule = PolicyRule.objects.get(key=PolicyRule.Key.REGULATOR_MAJORS_MONTHS, superseded_at__isnull=True)
        return rule_correct(rule, by="张工", values={"value": 12}, source="讲话原文 第X段", verified=True)


def _award(w, level):
    return award(
        w.a.mine, level=level, user=w.a.users[roles.HQ_AUDITOR],
        approved_on=timezone.localdate() - datetime.timedelta(days=60),
    )  # fmt: skip


def _figure(w):
    scope = scope_for_user(w.a.users[roles.TENANT_ADMIN])
    with activate(scope):
        figures = mine_figures(scope, [w.a.mine.pk])[w.a.mine.pk]
    return next((f for f in figures if f.key == "grading.regulator_majors"), None)


def test_shipped_unverified_the_rule_warns_and_changes_nothing(world):
    cert = _award(world, 2)
    _regulator_finds_majors(world, 2)
    register(world.a, grade=Hazard.Grade.MAJOR)  # the mine reported one itself
    figure = _figure(world)
    assert figure is not None and figure.status == "warning" and figure.value == "2 / 1"
    assert "待核实" in figure.rule or "To be verified" in figure.rule
    page = login(world.a.users[roles.SAFETY_MANAGER]).get(
        reverse("grading:mine-status", args=[world.a.mine.pk])
    )
    assert 'data-testid="regulator-majors"' in page.content.decode()
    assert regulator_findings.apply() == 0
    with dangerously_platform_scope():
        cert.refresh_from_db()
    assert (cert.level, cert.status) == (2, GradeCertificate.Status.VALID)


def test_no_reading_when_the_mine_reported_as_many(world):
    _award(world, 2)
    _regulator_finds_majors(world, 1)
    register(world.a, grade=Hazard.Grade.MAJOR)
    assert _figure(world) is None


def test_a_registered_finding_counts_once(world):
    _award(world, 2)
    (finding,) = _regulator_finds_majors(world, 1)
    manager = world.a.users[roles.SAFETY_MANAGER]
    with activate(scope_for_user(manager)) as scope:
        agency_services.finding_register(scope=scope, finding=finding, user=manager)
        tally = registry.major_hazard_tally(
            scope, [world.a.mine.pk], timezone.localdate() - datetime.timedelta(days=30)
        )
    assert tally[world.a.mine.pk] == registry.MajorHazardTally(self_reported=0, regulator_found=1)


def test_findings_outside_the_look_back_do_not_count(world):
    _award(world, 2)
    _regulator_finds_majors(world, 2, days_ago=400)
    assert _figure(world) is None


@pytest.mark.parametrize(("level", "expected"), [(2, (3, "valid")), (3, (3, "revoked"))])
def test_verified_the_daily_job_lowers_the_grade_once(world, level, expected):
    cert = _award(world, level)
    _regulator_finds_majors(world, 1)
    _verify_rule()
    assert _figure(world).status == "violation"
    assert regulator_findings.apply() == 1
    assert regulator_findings.apply() == 0  # once per certificate within the look-back
    with dangerously_platform_scope():
        cert.refresh_from_db()
        events = list(GradeEvent.objects.filter(certificate=cert, cause=regulator_findings.CAUSE))
    assert (cert.level, cert.status) == expected
    assert len(events) == 1 and "讲话原文" in events[0].reason


def test_grading_reads_nothing_without_a_provider(world):
    saved = registry.snapshot()
    try:
        registry._major_hazard_tallies.clear()
        _award(world, 2)
        _regulator_finds_majors(world, 3)
        assert _figure(world) is None
    finally:
        registry.restore(saved)
