"""Each mine's status: a coal mine without a valid grade may not produce (a lapsed grade is the
worked example of issue #5); the countdown of a producing non-coal mine to 三级; when a level-2
mine may apply for level 1. The list annotation and the database filters say the same."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from compliance.grading import grades, production
from compliance.grading.models import GradeEvent
from tenants.models import MineProfile, OrgUnit
from tenants.scope import activate, dangerously_platform_scope

from .grade_helpers import award

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 30)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 6, 30, 12, tzinfo=datetime.UTC), tick=False):
        yield


def status_of(mine):
    with dangerously_platform_scope():
        return production.mine_status(mine)


def _profile(mine, **fields):
    with dangerously_platform_scope():
        MineProfile.objects.filter(org_unit=mine).update(**fields)


def test_coal_mine_whose_grade_lapses_is_not_permitted_to_produce(world):
    mine = world.a.mine  # underground coal
    auditor = world.a.users["hq_auditor"]
    award(mine, level=2, user=auditor, approved_on=datetime.date(2023, 7, 10))  # re-check due 2026-07-10
    status = status_of(mine)
    assert status.is_coal and status.permitted is True and status.level == 2
    assert "允许生产" in status.production_words or "Permitted" in status.production_words

    with time_machine.travel(datetime.datetime(2026, 7, 11, 12, tzinfo=datetime.UTC), tick=False):
        # Past the re-check date, before the night's lapse job: no grade already.
        status = status_of(mine)
        assert status.permitted is False and status.level is None and status.recheck_overdue
        assert grades.lapse_overdue() == 1
        status = status_of(mine)
        assert status.certificate_status == "lapsed"
        assert status.permitted is False and status.level is None
        assert status.production_words.startswith(("不得生产", "Not permitted"))
        with dangerously_platform_scope():
            not_permitted = production.with_grading_status(OrgUnit.objects.filter(kind="mine")).filter(
                production.q_not_permitted(datetime.date(2026, 7, 11))
            )
            assert list(not_permitted.filter(tenant=world.a.tenant)) == [mine]


def test_never_graded_coal_mine_is_not_permitted_and_non_coal_has_no_such_rule(world):
    assert status_of(world.a.mine).permitted is False
    assert status_of(world.a.other_mine).permitted is None  # metal underground


def test_revoked_grade_is_not_permitted_and_a_new_award_restores(world):
    auditor = world.a.users["hq_auditor"]
    cert = award(world.a.mine, level=1, user=auditor, approved_on=datetime.date(2026, 1, 5))
    with dangerously_platform_scope():
        grades.record_event(cert, GradeEvent.Kind.REVOKED, actor=auditor, reason="撤销", occurred_on=TODAY)
    assert status_of(world.a.mine).permitted is False
    award(world.a.mine, level=3, user=auditor)
    status = status_of(world.a.mine)
    assert status.permitted is True and status.level == 3


def _correct_policy(key, **values):
    from compliance.grading.models import PolicyRule
    from compliance.grading.rules import rule_correct

    with dangerously_platform_scope():
        rule = PolicyRule.objects.get(key=key, superseded_at__isnull=True)
        return rule_correct(rule, by="测试", values=values, source="测试来源", verified=True)


def test_producing_non_coal_mine_counts_down_to_level_3(world):
    """Changed by issue 14 (point 6): the deadline is the 2023 policy window (PolicyRule
    non_coal_level3_years, 3 years from its start date as data: 2023-01-01 shipped, unverified), the
    same date for every producing non-coal mine — no longer each mine's start of production.
    Source: 2023年全国矿山安全生产工作会议."""
    mine = world.a.other_mine
    _profile(mine, production_status="producing", production_started_on=datetime.date(2024, 3, 1))
    status = status_of(mine)
    assert status.level3_deadline == datetime.date(2026, 1, 1)
    _profile(mine, production_started_on=datetime.date(2023, 1, 15))
    assert status_of(mine).level3_deadline == datetime.date(2026, 1, 1)  # not the mine's own start
    status = status_of(mine)
    assert status.level3_overdue and status.level3_days_left == (datetime.date(2026, 1, 1) - TODAY).days
    # The window's rule is unverified: the overdue flag carries a 待核实 warning with its source.
    assert any("2023年全国矿山安全生产工作会议" in w.source for w in status.warnings)
    with dangerously_platform_scope():
        overdue = production.with_grading_status(OrgUnit.objects.filter(kind="mine", tenant=world.a.tenant))
        assert list(overdue.filter(production.q_non_coal_overdue(TODAY))) == [mine]

    # The operator corrects the window's start date (a new rule version): the countdown follows.
    _correct_policy("non_coal_level3_years", starts_on=datetime.date(2024, 3, 1))
    status = status_of(mine)
    assert status.level3_deadline == datetime.date(2027, 3, 1)
    assert status.level3_days_left == (datetime.date(2027, 3, 1) - TODAY).days
    assert not status.level3_overdue and "2027-03-01" in status.production_words and not status.warnings
    with dangerously_platform_scope():
        assert not overdue.filter(production.q_non_coal_overdue(TODAY)).exists()

    award(mine, level=3, user=world.a.users["hq_auditor"])  # reached: no countdown any more
    status = status_of(mine)
    assert status.level3_days_left is None and not status.level3_overdue

    _profile(mine, production_status="construction")
    assert status_of(mine).level3_deadline is None


def test_the_waiting_year_for_level_1_is_coal_only(world):
    """Issue 14 point 6 (2023年全国矿山安全生产工作会议: a 二级 coal mine applies for 一级 after a
    full year without an accident): a non-coal 二级 mine has no waiting date."""
    from .grade_helpers import noncoal_version

    award(
        world.a.other_mine,
        level=2,
        user=world.a.users["hq_auditor"],
        approved_on=datetime.date(2025, 9, 1),
        version=noncoal_version(),
    )
    status = status_of(world.a.other_mine)
    assert status.level == 2 and status.level1_eligible_on is None and status.level1_words == ""


def test_level_2_mine_may_apply_for_level_1_a_clean_year_later(world):
    mine = world.a.mine
    auditor = world.a.users["hq_auditor"]
    award(mine, level=2, user=auditor, approved_on=datetime.date(2025, 9, 1))
    status = status_of(mine)
    assert status.level2_since == datetime.date(2025, 9, 1)
    assert status.level1_eligible_on == datetime.date(2026, 9, 1)
    assert status.level1_days_left == 63 and "2026-09-01" in status.level1_words

    # An accident (any, fatal or not) after reaching 二级 restarts the year.
    scope = world.a.scope("safety_manager")
    from compliance.grading import accidents

    with activate(scope):
        accidents.record_accident(
            scope=scope,
            mine=mine,
            data={
                "occurred_on": datetime.date(2026, 2, 10),
                "accident_class": "general",
                "deaths": 0,
                "injuries": 1,
                "description": "片帮伤人",
            },
        )
    assert status_of(mine).level1_eligible_on == datetime.date(2027, 2, 10)

    # The wait is rule data (PolicyRule level1_wait_years), corrected as a new rule version.
    _correct_policy("level1_wait_years", value=2)
    assert status_of(mine).level1_eligible_on == datetime.date(2028, 2, 10)


def test_level_2_reached_by_a_downgrade_counts_from_the_downgrade(world):
    mine = world.a.mine
    auditor = world.a.users["hq_auditor"]
    cert = award(mine, level=1, user=auditor, approved_on=datetime.date(2025, 1, 10))
    assert status_of(mine).level1_eligible_on is None  # already 一级
    with dangerously_platform_scope():
        grades.record_event(
            cert,
            GradeEvent.Kind.CHECK_FAILED,
            actor=auditor,
            reason="抽查",
            occurred_on=datetime.date(2025, 5, 20),
            check_score=84,
        )
    status = status_of(mine)
    assert status.level == 2 and status.level1_eligible_on == datetime.date(2026, 5, 20)
    assert "2025-05-20" in status.level1_words  # eligible already: said since when


def test_recheck_due_and_overdue_filters(world):
    auditor = world.a.users["hq_auditor"]
    award(world.a.mine, level=2, user=auditor, approved_on=datetime.date(2023, 8, 15))  # due in 46 days
    award(world.a.other_mine, level=3, user=auditor, approved_on=datetime.date(2023, 6, 1))  # overdue
    with dangerously_platform_scope():
        qs = production.with_grading_status(OrgUnit.objects.filter(kind="mine", tenant=world.a.tenant))
        assert list(qs.filter(production.q_recheck_due(TODAY))) == [world.a.mine]
        assert list(qs.filter(production.q_recheck_overdue(TODAY))) == [world.a.other_mine]
        assert list(qs.filter(production.q_level(2, TODAY))) == [world.a.mine]
        assert list(qs.filter(production.q_level(None, TODAY))) == [world.a.other_mine]
