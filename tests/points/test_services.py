"""Team safety points (issue 18, DOMAIN.md "Team safety points"): the append-only ledger, reversal,
the balance as the ledger's sum, thresholds that act (a hold only from a verified threshold),
approval, proposals from sources counted once, and the catalogue a mine may not loosen."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum

from compliance import registry
from compliance.audit.models import AuditEvent
from compliance.points import selectors, services
from compliance.points.models import (
    ActionKind,
    Balance,
    Entry,
    PointsSettings,
    Proposal,
    SourceKind,
    ThresholdAction,
)
from tenants import roles
from tenants.models import Person, PersonHold
from tenants.scope import activate, dangerously_platform_scope

from .factories import TODAY, install, rule, verify_thresholds

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 6, 30, 4, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def a(world):
    install(world.a)
    return world.a


def record(tw, code, person=None, *, role=roles.SAFETY_MANAGER, day=TODAY, reason="现场检查发现", **kw):
    scope = tw.scope(role)
    with activate(scope):
        return services.entry_record(
            scope=scope,
            person=person or tw.worker_person,
            rule=rule(tw, code),
            occurred_on=day,
            reason=reason,
            **kw,
        )


def ledger_sum(person, cycle_start):
    with dangerously_platform_scope():
        return (
            Entry.objects.filter(person=person, cycle_start=cycle_start).aggregate(s=Sum("points"))["s"] or 0
        )


def balance_row(person, cycle_start=datetime.date(2026, 1, 1)):
    with dangerously_platform_scope():
        return Balance.objects.get(person=person, cycle_start=cycle_start)


# --- the ledger ---------------------------------------------------------------------------------------
def test_an_entry_moves_the_balance_and_the_balance_is_the_ledger_sum(a):
    done = record(a, "SW-ZY-3")  # -1
    record(a, "AW-EXAM")  # +1
    record(a, "SW-ZY-2")  # -3
    entry = done.entry
    assert entry.points == -1 and entry.team == a.team and entry.mine == a.mine
    assert entry.cycle_start == datetime.date(2026, 1, 1)  # the default cycle is a year
    row = balance_row(a.worker_person)
    assert row.opening == 12
    assert row.balance == 12 - 1 + 1 - 3 == row.opening + ledger_sum(a.worker_person, row.cycle_start)
    with dangerously_platform_scope():  # the test body acts for no one (row-level security)
        assert AuditEvent.objects.filter(action="points_record", object_id=str(entry.pk)).exists()


def test_entries_are_never_edited_or_deleted(a):
    entry = record(a, "SW-ZY-3").entry
    with dangerously_platform_scope():
        entry.points = -100
        with pytest.raises(ValidationError):
            entry.save()
        with pytest.raises(ValidationError):
            entry.delete()
        with pytest.raises(ValidationError):
            Entry.objects.filter(pk=entry.pk).update(points=-100)
        with pytest.raises(ValidationError):
            Entry.objects.filter(pk=entry.pk).delete()
        with pytest.raises(ValidationError):
            Entry.dangerously_unscoped.filter(pk=entry.pk).delete()
        assert Entry.objects.get(pk=entry.pk).points == -1


def test_a_reversal_is_a_new_entry_with_a_reason_and_only_once(a):
    entry = record(a, "SW-ZY-2").entry  # -3
    sm = a.scope(roles.SAFETY_MANAGER)
    with activate(sm):
        with pytest.raises(ValidationError) as exc:
            services.entry_reverse(scope=sm, entry=entry, reason="  ")
        assert "reason" in exc.value.message_dict
        reversal = services.entry_reverse(scope=sm, entry=entry, reason="认定有误，复核后撤销")
        assert (
            reversal.points == 3 and reversal.reverses == entry and reversal.cycle_start == entry.cycle_start
        )
        with pytest.raises(ValidationError):
            services.entry_reverse(scope=sm, entry=entry, reason="再撤一次")
        with pytest.raises(ValidationError):
            services.entry_reverse(scope=sm, entry=reversal, reason="撤销撤销")
    row = balance_row(a.worker_person)
    assert row.balance == 12 == row.opening + ledger_sum(a.worker_person, row.cycle_start)
    with dangerously_platform_scope():
        assert AuditEvent.objects.filter(action="points_reverse", object_id=str(reversal.pk)).exists()


def test_a_team_leader_may_not_reverse_or_use_a_manager_rule(a):
    entry = record(a, "SW-ZY-3", role=roles.TEAM_LEADER).entry
    tl = a.scope(roles.TEAM_LEADER)
    with activate(tl):
        with pytest.raises(PermissionDenied):
            services.entry_reverse(scope=tl, entry=entry, reason="x")
    with pytest.raises(ValidationError) as exc:
        record(a, "AW-HAZARD-MAJOR", role=roles.TEAM_LEADER)
    assert "rule" in exc.value.message_dict


def test_a_worker_or_an_outsider_records_nothing(world, a):
    with pytest.raises(PermissionDenied):
        record(a, "SW-ZY-3", role=roles.WORKER)
    # The safety manager of tenant A's first mine has no say over the other mine's team.
    with pytest.raises(PermissionDenied):
        record(a, "SW-ZY-3", person=a.people[3])


def test_the_form_errors_are_field_by_field(a):
    with pytest.raises(ValidationError) as exc:
        record(a, "SW-ZY-3", reason="", day=TODAY + datetime.timedelta(days=1), evidence_url="ftp://x")
    assert set(exc.value.message_dict) == {"reason", "occurred_on", "evidence_url"}


def test_a_rule_needing_approval_from_a_team_leader_waits_for_a_manager(a):
    done = record(a, "SW-ZH-1", role=roles.SAFETY_MANAGER)  # grave: manager records, approves itself
    assert done.entry is not None and done.entry.approved_by_id == a.users[roles.SAFETY_MANAGER].pk
    # Team leaders may record a group rule that needs approval only as a proposal.
    sm = a.scope(roles.SAFETY_MANAGER)
    with activate(sm):
        mine_rule = services.rule_create(
            scope=sm,
            org_unit=a.mine,
            data={
                "code": "M-1",
                "title": "井下吸烟",
                "category": "deduction",
                "points": -2,
                "needs_approval": True,
            },
        )
    tl = a.scope(roles.TEAM_LEADER)
    with activate(tl):
        done = services.entry_record(
            scope=tl, person=a.worker_person, rule=mine_rule, occurred_on=TODAY, reason="吸烟"
        )
    assert done.entry is None and done.proposal.status == Proposal.Status.PENDING
    with activate(sm):
        proposal = services.proposal_decide(scope=sm, proposal=done.proposal, accept=True)
    assert proposal.entry.points == -2 and proposal.entry.approved_by_id == a.users[roles.SAFETY_MANAGER].pk


# --- thresholds ----------------------------------------------------------------------------------------
def test_unverified_thresholds_open_talk_and_training_but_only_warn_instead_of_holding(a):
    record(a, "SW-ZH-1")  # -6 → 6: below 9 (talk)
    done = record(a, "SW-ZY-1")  # -6 → 0: below 6 (training) and below 1 (hold, unverified)
    with dangerously_platform_scope():
        actions = {x.action: x for x in ThresholdAction.objects.filter(person=a.worker_person)}
        assert set(actions) == {ActionKind.TALK, ActionKind.TRAINING, ActionKind.HOLD}
        assert not actions[ActionKind.HOLD].binding
        assert not PersonHold.objects.filter(person=a.worker_person).exists()
        assert Person.objects.get(pk=a.worker_person.pk).status == Person.Status.ON_POST
    assert done.warnings and "待集团确认" in done.warnings[0]


def test_a_verified_hold_threshold_holds_until_the_training_is_passed(a):
    verify_thresholds(a)
    record(a, "SW-ZH-1")
    record(a, "SW-ZY-1")  # 0
    record(a, "SW-ZY-3")  # -1: no second action in the cycle
    with dangerously_platform_scope():
        assert ThresholdAction.objects.filter(person=a.worker_person).count() == 3
        hold = PersonHold.objects.get(person=a.worker_person, source=services.HOLD_SOURCE)
        assert hold.is_open
        assert Person.objects.get(pk=a.worker_person.pk).status == Person.Status.SUSPENDED
        training = ThresholdAction.objects.get(person=a.worker_person, action=ActionKind.TRAINING)
    sm = a.scope(roles.SAFETY_MANAGER)
    with activate(sm):
        with pytest.raises(ValidationError):
            services.action_close(scope=sm, action=training, note="")
        services.action_close(scope=sm, action=training, note="矫正培训考试合格 92 分")
    with dangerously_platform_scope():
        hold.refresh_from_db()
        assert not hold.is_open
        assert Person.objects.get(pk=a.worker_person.pk).status == Person.Status.ON_POST
        assert not ThresholdAction.objects.filter(
            person=a.worker_person, status=ThresholdAction.Status.OPEN, action__in=["training", "hold"]
        ).exists()


def test_corrective_training_goes_through_the_registry_hook(a):
    taken = []
    saved = registry.snapshot()
    registry.register_corrective_training(
        "test", lambda scope, person, **kw: taken.append((person.pk, kw)) or True
    )
    try:
        record(a, "SW-ZH-1")
        record(a, "SW-ZY-2")  # 3: below 6
    finally:
        registry.restore(saved)
    assert len(taken) == 1 and taken[0][0] == a.worker_person.pk
    assert taken[0][1]["reference"].startswith("points.ThresholdAction:")


def test_a_new_cycle_starts_afresh_and_carries_a_surplus_as_set(a):
    with dangerously_platform_scope():
        PointsSettings.objects.filter(tenant=a.tenant).update(cycle="month", carry_over_cap=2)
    record(a, "AW-STOP-UNSAFE", day=datetime.date(2026, 5, 10))  # +2 → 14 in May
    record(a, "AW-STOP-UNSAFE", day=datetime.date(2026, 5, 11))  # 16
    record(a, "SW-ZY-3")  # June: opening 12 + 2 carried, -1
    row = balance_row(a.worker_person, datetime.date(2026, 6, 1))
    assert (row.opening, row.balance) == (14, 13)


# --- sources ---------------------------------------------------------------------------------------------
def test_a_finding_proposes_a_deduction_once_however_often_it_is_reported(a):
    sm = a.scope(roles.SAFETY_MANAGER)
    proposal = registry.PointsProposal(
        source_kind=SourceKind.FINDING,
        source_ref="finding-1",
        tenant_id=a.tenant.pk,
        person_id=a.worker_person.pk,
        occurred_on=TODAY,
        reason="未按规定佩戴自救器",
        severity="serious",
    )
    with activate(sm):
        registry.propose_points(sm, proposal)
        registry.propose_points(sm, proposal)
        pending = list(Proposal.objects.filter(person=a.worker_person))
        assert len(pending) == 1 and pending[0].rule.code == "SW-ZY-2"
        services.proposal_decide(scope=sm, proposal=pending[0], accept=True)
        registry.propose_points(sm, proposal)  # confirmed again: counted once
        with pytest.raises(ValidationError):
            services.proposal_decide(scope=sm, proposal=pending[0], accept=True)
    assert ledger_sum(a.worker_person, datetime.date(2026, 1, 1)) == -3


def test_a_source_reference_is_counted_once_by_the_database(a):
    record(a, "SW-ZY-3", source_kind=SourceKind.IMPORT, source_ref="row-7")
    with pytest.raises(ValidationError):
        record(a, "SW-ZY-3", source_kind=SourceKind.IMPORT, source_ref="row-7")
    assert balance_row(a.worker_person).balance == 11


# --- the catalogue --------------------------------------------------------------------------------------
def test_a_mine_may_make_a_group_rule_stricter_but_not_milder(a):
    sm = a.scope(roles.SAFETY_MANAGER)
    base = {
        "title": "违章作业（较重）",
        "category": "violation",
        "violation_kind": "operation",
        "severity": "serious",
    }
    with activate(sm):
        with pytest.raises(ValidationError) as exc:
            services.rule_create(scope=sm, org_unit=a.mine, data={**base, "code": "SW-ZY-2", "points": -2})
        assert "points" in exc.value.message_dict
        stricter = services.rule_create(
            scope=sm, org_unit=a.mine, data={**base, "code": "SW-ZY-2", "points": -4}
        )
        assert stricter.points == -4
        with pytest.raises(PermissionDenied):  # the group's own catalogue is the group admin's
            services.rule_create(scope=sm, org_unit=a.hq, data={**base, "code": "X-1", "points": -1})
        with pytest.raises(ValidationError) as exc:
            services.rule_create(
                scope=sm,
                org_unit=a.mine,
                data={"code": "X-2", "title": "奖", "category": "award", "points": -1},
            )
        assert "points" in exc.value.message_dict


# --- reads ----------------------------------------------------------------------------------------------
def test_the_worker_sees_their_own_balance_history_and_thresholds(a):
    record(a, "SW-ZY-2", reason="未戴安全帽")
    record(a, "SW-ZY-3", person=a.people[1], reason="别人的事")
    worker = a.scope(roles.WORKER)
    with activate(worker):
        mine = selectors.my_points(scope=worker)
    assert mine.balance == 9 and [e.reason for e in mine.entries] == ["未戴安全帽"]
    assert len(mine.thresholds) == 3


def test_the_ranking_counts_entries_for_the_team_at_the_time(a):
    record(a, "SW-ZY-2")
    sm = a.scope(roles.SAFETY_MANAGER)
    with activate(sm):
        rows = selectors.team_ranking(scope=sm, mine=a.mine, month=TODAY)
    assert [(r.team.pk, r.points, r.violations) for r in rows] == [(a.team.pk, -3, 1)]
    assert rows[0].members == 2 and rows[0].per_member == -1.5
