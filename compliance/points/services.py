"""Every write of team safety points: validate, save, audit, one transaction; scope first.

The ledger is append-only. ``entry_record`` (and a manager's decision on a proposal) appends an
entry and moves the person's balance for the cycle with one ``UPDATE … SET balance = balance + x``
in the same transaction, so two entries at once for one person are both counted: on PostgreSQL the
second UPDATE waits for the first transaction's row lock and adds to its result. A correction is
``entry_reverse``: an entry of the opposite points, in the original's cycle, with a reason.

Thresholds (``Threshold``, rule data) act when a deduction takes the balance below them, once per
person, threshold and cycle: a warning talk and corrective training become to-dos of the managers;
a hold takes the person off post through ``tenants.holds`` — only when the threshold is verified
(set by the group). The shipped defaults are unverified: DOMAIN.md says there is no national
standard, so a number nobody in the group has confirmed warns (待核实) and stops no one.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance import registry
from compliance.audit.services import audit_record
from tenants import holds
from tenants.models import OrgUnit, Person
from tenants.scope import Scope
from tenants.services import snapshot

from .models import (
    ActionKind,
    Balance,
    Category,
    Cycle,
    Entry,
    PointsRule,
    PointsSettings,
    Proposal,
    Recorder,
    Severity,
    SourceKind,
    Threshold,
    ThresholdAction,
    ViolationKind,
)
from .permissions import APPROVE_POINTS, MANAGE_POINTS_RULES, RECORD_POINTS

HOLD_SOURCE = "points.threshold"
DEFAULT_SOURCE = "默认值，无国家标准（DOMAIN.md：积分规则均为企业配置），待集团确认"


# --- the defaults a group starts from -----------------------------------------------------------------
# (code, title, category, kind, severity, points, recorder, needs approval). Practice, not a standard.
DEFAULT_RULES = [
    *[
        (
            f"SW-{kind_code}-{sev_code}",
            f"{kind_label}（{sev_label}）",
            Category.VIOLATION,
            kind,
            severity,
            points,
            Recorder.MANAGER if severity == Severity.GRAVE else Recorder.TEAM_LEADER,
            severity == Severity.GRAVE,
        )
        for kind, kind_code, kind_label in (
            (ViolationKind.COMMAND, "ZH", "违章指挥"),
            (ViolationKind.OPERATION, "ZY", "违章作业"),
            (ViolationKind.DISCIPLINE, "JL", "违反劳动纪律"),
        )
        for severity, sev_code, sev_label, points in (
            (Severity.GRAVE, "1", "严重", -6),
            (Severity.SERIOUS, "2", "较重", -3),
            (Severity.MINOR, "3", "一般", -1),
        )
    ],
    ("AW-HAZARD", "报告隐患经确认（一般隐患）", Category.AWARD, "", "", 1, Recorder.TEAM_LEADER, False),
    ("AW-HAZARD-MAJOR", "报告隐患经确认（重大隐患）", Category.AWARD, "", "", 3, Recorder.MANAGER, True),
    ("AW-EXAM", "考试合格", Category.AWARD, "", "", 1, Recorder.TEAM_LEADER, False),
    ("AW-CLEAN-MONTH", "当月无违章", Category.AWARD, "", "", 1, Recorder.TEAM_LEADER, False),
    ("AW-STOP-UNSAFE", "制止违章作业", Category.AWARD, "", "", 2, Recorder.TEAM_LEADER, False),
]
# The rule a 三违 finding proposes, by its severity: 违章作业 (an inspector sees the work, not who
# ordered it); the manager may pick another rule when accepting.
FINDING_RULES = {Severity.GRAVE: "SW-ZY-1", Severity.SERIOUS: "SW-ZY-2", Severity.MINOR: "SW-ZY-3"}
DEFAULT_THRESHOLDS = [(ActionKind.TALK, 9), (ActionKind.TRAINING, 6), (ActionKind.HOLD, 1)]


# --- small helpers ------------------------------------------------------------------------------------
def _today() -> datetime.date:
    return timezone.localdate()


def settings_of(tenant_id) -> PointsSettings:
    """The group's settings, or the defaults (unsaved) when it kept none."""
    # Configuration of the caller's own group (tenant id from an object already in scope).
    found = PointsSettings.dangerously_unscoped.filter(tenant_id=tenant_id).first()
    return found or PointsSettings(tenant_id=tenant_id)


def cycle_start_for(settings: PointsSettings, day: datetime.date) -> datetime.date:
    if settings.cycle == Cycle.MONTH:
        return day.replace(day=1)
    if settings.cycle == Cycle.QUARTER:
        return datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return datetime.date(day.year, 1, 1)


def mine_of(unit: OrgUnit) -> OrgUnit | None:
    """The mine a unit lies in (itself when it is one)."""
    if unit.kind == OrgUnit.Kind.MINE:
        return unit
    segments = unit.path.split("/")[:-1]
    ancestors = ["/".join(segments[: i + 1]) + "/" for i in range(len(segments))]
    # The ancestors of a unit the caller already holds, in its own group.
    return OrgUnit.dangerously_unscoped.filter(
        tenant_id=unit.tenant_id, path__in=ancestors, kind=OrgUnit.Kind.MINE
    ).first()


def _place_of(person: Person) -> tuple[OrgUnit, OrgUnit]:
    """(team, mine) of the person now: an entry keeps them as they were when it was recorded."""
    team = person.org_unit
    mine = mine_of(team)
    if mine is None:
        raise ValidationError({"person": _("Points are kept for people of a mine or a team.")})
    return team, mine


def _rule_applies(rule: PointsRule, person: Person) -> bool:
    return (
        rule.tenant_id == person.tenant_id
        and rule.active
        and person.org_unit.path.startswith(rule.org_unit.path)
    )


@dataclass
class Recorded:
    """What ``entry_record`` did: an entry, or a proposal waiting for approval; and warnings."""

    entry: Entry | None = None
    proposal: Proposal | None = None
    warnings: list[str] = field(default_factory=list)


# --- the ledger ---------------------------------------------------------------------------------------
def _opening(settings: PointsSettings, person_id, cycle_start: datetime.date) -> int:
    start = settings.starting_balance
    if not settings.carry_over_cap:
        return start
    previous = cycle_start_for(settings, cycle_start - datetime.timedelta(days=1))
    last = (
        Balance.dangerously_unscoped.filter(
            tenant_id=settings.tenant_id, person_id=person_id, cycle_start=previous
        )
        .values_list("balance", flat=True)
        .first()
    )
    if last is None:
        return start
    return start + min(max(last - start, 0), settings.carry_over_cap)


def _bump(entry: Entry, settings: PointsSettings) -> int:
    """Add the entry's points to the cycle's balance row (made on the cycle's first entry); the
    balance after. In the entry's transaction."""
    # The person's own row, found by the ids of the entry just written in scope.
    rows = Balance.dangerously_unscoped.filter(
        tenant_id=entry.tenant_id, person_id=entry.person_id, cycle_start=entry.cycle_start
    )
    moved = {"balance": F("balance") + entry.points, "updated_at": timezone.now()}
    if entry.source_kind != SourceKind.REVERSAL:
        moved.update(team_id=entry.team_id, mine_id=entry.mine_id)
    if not rows.update(**moved):
        opening = _opening(settings, entry.person_id, entry.cycle_start)
        try:
            with transaction.atomic():
                Balance.dangerously_unscoped.create(
                    tenant_id=entry.tenant_id,
                    person_id=entry.person_id,
                    cycle_start=entry.cycle_start,
                    opening=opening,
                    balance=opening + entry.points,
                    team_id=entry.team_id,
                    mine_id=entry.mine_id,
                )
        except IntegrityError:  # a concurrent first entry made the row: add to it
            rows.update(**moved)
    return rows.values_list("balance", flat=True).get()


def _post(
    scope: Scope,
    *,
    person: Person,
    team: OrgUnit,
    mine: OrgUnit,
    rule: PointsRule,
    points: int,
    occurred_on: datetime.date,
    reason: str,
    evidence_url: str = "",
    source_kind: str,
    source_ref: str = "",
    approved_by_id=None,
    reverses: Entry | None = None,
    cycle_start: datetime.date | None = None,
) -> tuple[Entry, int, list[str]]:
    settings = settings_of(person.tenant_id)
    entry = Entry(
        tenant_id=person.tenant_id,
        person=person,
        team=team,
        mine=mine,
        occurred_on=occurred_on,
        cycle_start=cycle_start or cycle_start_for(settings, occurred_on),
        rule=rule,
        points=points,
        reason=reason,
        evidence_url=evidence_url,
        recorded_by_id=scope.user_id,
        approved_by_id=approved_by_id,
        source_kind=source_kind,
        source_ref=source_ref[:64],
        reverses=reverses,
    )
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        if reverses is not None:
            raise ValidationError({"reason": _("This entry has already been reversed.")}) from None
        raise ValidationError(_("This source has already been counted.")) from None
    balance = _bump(entry, settings)
    audit_record(
        action="points_reverse" if reverses is not None else "points_record",
        obj=entry,
        object_repr=f"{person.name} {points:+d}",
        org_path=team.path,
        after={
            "person": str(person.pk),
            "rule": rule.code,
            "points": points,
            "occurred_on": occurred_on,
            "reason": reason,
            "source_kind": source_kind,
            "source_ref": source_ref,
            "reverses": str(reverses.pk) if reverses else None,
            "balance": balance,
        },
    )
    warnings = _apply_thresholds(scope, entry, balance) if points < 0 else []
    return entry, balance, warnings


def _clean_entry_input(*, occurred_on, reason: str, evidence_url: str) -> tuple[str, str]:
    errors: dict[str, list] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("Say what happened: the person reads it on their page.")]
    if occurred_on is None:
        errors["occurred_on"] = [_("Give the date.")]
    elif occurred_on > _today():
        errors["occurred_on"] = [_("The date cannot be in the future.")]
    evidence_url = (evidence_url or "").strip()
    if evidence_url:
        from django.core.validators import URLValidator

        try:
            URLValidator(schemes=["http", "https"])(evidence_url)
        except ValidationError:
            errors["evidence_url"] = [_("Give a web address (http:// or https://).")]
    if errors:
        raise ValidationError(errors)
    return reason, evidence_url


@transaction.atomic
def entry_record(
    *,
    scope: Scope,
    person: Person,
    rule: PointsRule,
    occurred_on: datetime.date,
    reason: str,
    evidence_url: str = "",
    source_kind: str = SourceKind.MANUAL,
    source_ref: str = "",
) -> Recorded:
    """Record an entry under ``rule``; a rule that needs approval, recorded by someone who may not
    approve, becomes a proposal for a manager instead."""
    scope.require(RECORD_POINTS, person.org_unit)
    if not _rule_applies(rule, person):
        raise ValidationError({"rule": _("This rule is not in use for this person's mine.")})
    may_approve = scope.has_perm(APPROVE_POINTS, person.org_unit.path, person.tenant_id)
    if rule.recorder == Recorder.MANAGER and not may_approve:
        raise ValidationError({"rule": _("Only a safety manager records under this rule.")})
    reason, evidence_url = _clean_entry_input(
        occurred_on=occurred_on, reason=reason, evidence_url=evidence_url
    )
    team, mine = _place_of(person)
    if rule.needs_approval and not may_approve:
        proposal = _propose(
            person=person,
            team=team,
            mine=mine,
            rule=rule,
            occurred_on=occurred_on,
            reason=reason,
            evidence_url=evidence_url,
            source_kind=source_kind,
            source_ref=source_ref,
            proposed_by_id=scope.user_id,
        )
        return Recorded(proposal=proposal)
    entry, _balance, warnings = _post(
        scope,
        person=person,
        team=team,
        mine=mine,
        rule=rule,
        points=rule.points,
        occurred_on=occurred_on,
        reason=reason,
        evidence_url=evidence_url,
        source_kind=source_kind,
        source_ref=source_ref,
        approved_by_id=scope.user_id if rule.needs_approval else None,
    )
    return Recorded(entry=entry, warnings=warnings)


@transaction.atomic
def entry_reverse(*, scope: Scope, entry: Entry, reason: str) -> Entry:
    """Cancel an entry with one of the opposite points, in the original's cycle, with the reason."""
    scope.require(APPROVE_POINTS, entry.team)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the correction.")})
    if entry.reverses_id is not None:
        raise ValidationError({"reason": _("A reversal is not reversed again: record a new entry.")})
    if Entry.dangerously_unscoped.filter(reverses_id=entry.pk).exists():  # by id: entry is in scope
        raise ValidationError({"reason": _("This entry has already been reversed.")})
    person = Person.dangerously_unscoped.select_related("org_unit").get(pk=entry.person_id)
    reversal, _balance, _warnings = _post(
        scope,
        person=person,
        team=entry.team,
        mine=entry.mine,
        rule=entry.rule,
        points=-entry.points,
        occurred_on=_today(),
        reason=reason,
        source_kind=SourceKind.REVERSAL,
        source_ref=str(entry.pk),
        reverses=entry,
        cycle_start=entry.cycle_start,
    )
    return reversal


# --- thresholds ---------------------------------------------------------------------------------------
def _apply_thresholds(scope: Scope, entry: Entry, balance: int) -> list[str]:
    """Open the actions of every threshold the balance is now below (once per cycle); the
    warnings of unverified hold thresholds."""
    warnings: list[str] = []
    # The group's thresholds (configuration), by the tenant of the entry just written.
    crossed = Threshold.dangerously_unscoped.filter(tenant_id=entry.tenant_id, below__gt=balance).order_by(
        "-below"
    )
    person = entry.person
    for threshold in crossed:
        binding = threshold.action != ActionKind.HOLD or threshold.verified
        try:
            with transaction.atomic():
                action = ThresholdAction.dangerously_unscoped.create(
                    tenant_id=entry.tenant_id,
                    person=person,
                    team=entry.team,
                    mine=entry.mine,
                    threshold=threshold,
                    action=threshold.action,
                    cycle_start=entry.cycle_start,
                    balance_at=balance,
                    entry=entry,
                    binding=binding,
                )
        except IntegrityError:
            continue  # opened already in this cycle
        audit_record(
            action="points_threshold",
            obj=action,
            object_repr=person.name,
            org_path=entry.team.path,
            after={"action": action.action, "below": threshold.below, "balance": balance, "binding": binding},
        )
        if threshold.action == ActionKind.TRAINING:
            registry.assign_corrective_training(
                scope,
                person,
                reason=_("Points balance %(balance)s, below %(below)s")
                % {"balance": balance, "below": threshold.below},
                reference=f"points.ThresholdAction:{action.pk}",
            )
        elif threshold.action == ActionKind.HOLD:
            if binding:
                holds.place_hold(
                    scope=scope,
                    person=person,
                    source=HOLD_SOURCE,
                    reason=_(
                        "Safety points %(balance)s, below %(below)s: off post until corrective "
                        "training is passed"
                    )
                    % {"balance": balance, "below": threshold.below},
                    reference=action,
                )
            else:
                warnings.append(
                    _(
                        "To be verified: the balance (%(balance)s) is below the hold threshold "
                        "(%(below)s), but the threshold is a default the group has not confirmed "
                        "(%(source)s), so the person is not held."
                    )
                    % {"balance": balance, "below": threshold.below, "source": threshold.source}
                )
    return warnings


def _lift_points_holds(scope: Scope, person: Person, cycle_start, *, reason: str) -> None:
    open_holds = ThresholdAction.dangerously_unscoped.filter(
        tenant_id=person.tenant_id,
        person_id=person.pk,
        cycle_start=cycle_start,
        action=ActionKind.HOLD,
        status=ThresholdAction.Status.OPEN,
    )
    for hold_action in open_holds:
        if hold_action.binding:
            holds.lift_hold(
                scope=scope, person=person, source=HOLD_SOURCE, reference=hold_action, lift_reason=reason
            )
        _close(scope, hold_action, note=reason)


def _close(scope: Scope, action: ThresholdAction, *, note: str) -> None:
    action.status = ThresholdAction.Status.DONE
    action.closed_at = timezone.now()
    action.closed_by_id = scope.user_id
    action.note = note[:300]
    action.save(update_fields=["status", "closed_at", "closed_by", "note"])
    audit_record(
        action="points_action",
        obj=action,
        object_repr=action.person.name,
        org_path=action.team.path,
        before={"status": ThresholdAction.Status.OPEN},
        after={"status": action.status, "action": action.action, "note": action.note},
    )


@transaction.atomic
def action_close(*, scope: Scope, action: ThresholdAction, note: str = "") -> ThresholdAction:
    """A manager closes a threshold action: the warning talk was held, the corrective training
    passed (which lifts the points hold of the same cycle), or the hold is lifted."""
    scope.require(APPROVE_POINTS, action.team)
    action = (
        ThresholdAction.dangerously_unscoped.select_for_update()
        .select_related("person", "team")
        .get(pk=action.pk)
    )
    if action.status != ThresholdAction.Status.OPEN:
        raise ValidationError({"note": _("This action is already closed.")})
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say what was done (who held the talk, the training's result).")})
    person = Person.dangerously_unscoped.select_related("org_unit").get(pk=action.person_id)
    if action.action == ActionKind.HOLD:
        _lift_points_holds(scope, person, action.cycle_start, reason=note)
        action.refresh_from_db()
        return action
    _close(scope, action, note=note)
    if action.action == ActionKind.TRAINING:
        _lift_points_holds(scope, person, action.cycle_start, reason=note)
    return action


# --- proposals ------------------------------------------------------------------------------------------
def _propose(
    *, person, team, mine, rule, occurred_on, reason, evidence_url, source_kind, source_ref, proposed_by_id
):
    try:
        with transaction.atomic():
            proposal = Proposal.dangerously_unscoped.create(
                tenant_id=person.tenant_id,
                person=person,
                team=team,
                mine=mine,
                rule=rule,
                occurred_on=occurred_on,
                reason=reason,
                evidence_url=evidence_url,
                source_kind=source_kind,
                source_ref=source_ref[:64],
                proposed_by_id=proposed_by_id,
            )
    except IntegrityError:
        # The same source proposed again (an edited or re-confirmed record): nothing new.
        return Proposal.dangerously_unscoped.get(
            tenant_id=person.tenant_id, source_kind=source_kind, source_ref=source_ref[:64]
        )
    audit_record(
        action="points_propose",
        obj=proposal,
        object_repr=f"{person.name} {rule.points:+d}",
        org_path=team.path,
        after={"rule": rule.code, "source_kind": source_kind, "source_ref": source_ref, "reason": reason},
    )
    return proposal


def proposal_sink(scope: Scope, proposal: registry.PointsProposal) -> None:
    """``registry`` sink: a source (a 三违 finding, a confirmed worker report) proposes an entry.
    Runs in the source's transaction, which has checked its own scope; idempotent by reference."""
    if scope.read_only:
        raise PermissionDenied("read-only scope")
    # By the source's ids, in the tenant it names (the source holds the person in its scope).
    person = (
        Person.dangerously_unscoped.select_related("org_unit")
        .filter(tenant_id=proposal.tenant_id, pk=proposal.person_id)
        .first()
    )
    if person is None:
        return
    if Proposal.dangerously_unscoped.filter(
        tenant_id=person.tenant_id, source_kind=proposal.source_kind, source_ref=proposal.source_ref[:64]
    ).exists():
        return
    code = proposal.rule_code or FINDING_RULES.get(proposal.severity, "")
    rules = [
        r
        for r in PointsRule.dangerously_unscoped.select_related("org_unit").filter(
            tenant_id=person.tenant_id, code=code, active=True
        )
        if person.org_unit.path.startswith(r.org_unit.path)
    ]
    if not rules:
        return  # the group's catalogue has no rule for it: nothing to propose
    rule = max(rules, key=lambda r: len(r.org_unit.path))  # the mine's own rule before the group's
    team, mine = _place_of(person)
    _propose(
        person=person,
        team=team,
        mine=mine,
        rule=rule,
        occurred_on=proposal.occurred_on,
        reason=proposal.reason[:2000] or rule.title,
        evidence_url=proposal.evidence_url,
        source_kind=proposal.source_kind,
        source_ref=proposal.source_ref,
        proposed_by_id=scope.user_id,
    )


@transaction.atomic
def proposal_decide(*, scope: Scope, proposal: Proposal, accept: bool, note: str = "") -> Proposal:
    """A manager accepts (the entry is recorded, approved by them) or rejects a proposal."""
    scope.require(APPROVE_POINTS, proposal.team)
    proposal = Proposal.dangerously_unscoped.select_for_update().get(pk=proposal.pk)
    if proposal.status != Proposal.Status.PENDING:
        raise ValidationError({"note": _("This proposal has already been decided.")})
    person = Person.dangerously_unscoped.select_related("org_unit").get(pk=proposal.person_id)
    if accept:
        entry, _balance, _warnings = _post(
            scope,
            person=person,
            team=proposal.team,
            mine=proposal.mine,
            rule=proposal.rule,
            points=proposal.rule.points,
            occurred_on=proposal.occurred_on,
            reason=proposal.reason,
            evidence_url=proposal.evidence_url,
            source_kind=proposal.source_kind,
            source_ref=proposal.source_ref or f"proposal:{proposal.pk}",
            approved_by_id=scope.user_id,
        )
        proposal.entry = entry
    proposal.status = Proposal.Status.ACCEPTED if accept else Proposal.Status.REJECTED
    proposal.decided_by_id = scope.user_id
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["status", "decided_by", "decided_at", "entry"])
    audit_record(
        action="points_decide",
        obj=proposal,
        object_repr=person.name,
        org_path=proposal.team.path,
        before={"status": Proposal.Status.PENDING},
        after={"status": proposal.status, "note": (note or "").strip()},
    )
    return proposal


# --- catalogue, thresholds, settings --------------------------------------------------------------------
def root_path(tenant_id) -> str:
    """The path of the group's head office (where group rules and thresholds are kept)."""
    return _root(tenant_id).path


def _root(tenant_id) -> OrgUnit:
    # The group's head office: the root of the caller's own group.
    return OrgUnit.dangerously_unscoped.get(tenant_id=tenant_id, parent__isnull=True)


@transaction.atomic
def defaults_install(*, scope: Scope, tenant_id) -> int:
    """The default catalogue, the cycle and the thresholds (unverified), for a group that has none
    of them yet; the number of rows made. Idempotent."""
    root = _root(tenant_id)
    scope.require(MANAGE_POINTS_RULES, root)
    made = 0
    if not PointsSettings.dangerously_unscoped.filter(tenant_id=tenant_id).exists():
        PointsSettings.dangerously_unscoped.create(tenant_id=tenant_id)
        made += 1
    have = set(
        PointsRule.dangerously_unscoped.filter(tenant_id=tenant_id, org_unit=root).values_list(
            "code", flat=True
        )
    )
    for code, title, category, kind, severity, points, recorder, approval in DEFAULT_RULES:
        if code in have:
            continue
        PointsRule.dangerously_unscoped.create(
            tenant_id=tenant_id, org_unit=root, code=code, title=title, category=category,
            violation_kind=kind, severity=severity, points=points, recorder=recorder, needs_approval=approval,
        )  # fmt: skip
        made += 1
    have = set(Threshold.dangerously_unscoped.filter(tenant_id=tenant_id).values_list("action", flat=True))
    for action, below in DEFAULT_THRESHOLDS:
        if action not in have:
            Threshold.dangerously_unscoped.create(
                tenant_id=tenant_id, action=action, below=below, source=DEFAULT_SOURCE, verified=False
            )
            made += 1
    if made:
        audit_record(action="points_defaults", tenant_id=tenant_id, object_type="points.PointsRule",
                     object_repr=root.name, org_path=root.path, after={"rows": made})  # fmt: skip
    return made


@transaction.atomic
def threshold_set(*, scope: Scope, tenant_id, action: str, below: int, by: str) -> Threshold:
    """The group sets a threshold: its own rule from now on, so verified (it is the group's to
    set; there is no national figure to check it against)."""
    root = _root(tenant_id)
    scope.require(MANAGE_POINTS_RULES, root)
    if action not in ActionKind.values:
        raise ValidationError({"action": _("Choose the action.")})
    threshold = Threshold.dangerously_unscoped.filter(tenant_id=tenant_id, action=action).first()
    before = snapshot(threshold) if threshold else None
    threshold = threshold or Threshold(tenant_id=tenant_id, action=action)
    threshold.below = below
    threshold.source = _("Set by the group (%(by)s)") % {"by": by}
    threshold.verified, threshold.verified_by, threshold.verified_at = True, by[:150], timezone.now()
    threshold.save()
    audit_record(
        action="points_rule", obj=threshold, org_path=root.path, before=before, after=snapshot(threshold)
    )
    return threshold


@transaction.atomic
def settings_set(
    *, scope: Scope, tenant_id, cycle: str, starting_balance: int, carry_over_cap: int
) -> PointsSettings:
    """The group's cycle, starting balance and carry-over, from the next entry on (a balance row
    already opened keeps its opening)."""
    root = _root(tenant_id)
    scope.require(MANAGE_POINTS_RULES, root)
    errors = {}
    if cycle not in Cycle.values:
        errors["cycle"] = [_("Choose the cycle.")]
    if not 1 <= starting_balance <= 1000:
        errors["starting_balance"] = [_("Between 1 and 1000.")]
    if not 0 <= carry_over_cap <= 1000:
        errors["carry_over_cap"] = [_("Between 0 and 1000.")]
    if errors:
        raise ValidationError(errors)
    settings = PointsSettings.dangerously_unscoped.select_for_update().filter(tenant_id=tenant_id).first()
    before = snapshot(settings) if settings else None
    settings = settings or PointsSettings(tenant_id=tenant_id)
    settings.cycle, settings.starting_balance, settings.carry_over_cap = (
        cycle,
        starting_balance,
        carry_over_cap,
    )
    settings.save()
    audit_record(
        action="points_rule", obj=settings, org_path=root.path, before=before, after=snapshot(settings)
    )
    return settings


RULE_FIELDS = (
    "code",
    "title",
    "category",
    "violation_kind",
    "severity",
    "points",
    "recorder",
    "needs_approval",
)


@transaction.atomic
def rule_create(*, scope: Scope, org_unit: OrgUnit, data: dict) -> PointsRule:
    """A rule of the group (at the head office) or of a mine. A mine may add rules and make a group
    rule stricter under its code; it may not make it milder."""
    scope.require(MANAGE_POINTS_RULES, org_unit)
    if org_unit.kind not in (OrgUnit.Kind.HQ, OrgUnit.Kind.MINE):
        raise ValidationError({"org_unit": _("Rules are kept by the group or by a mine.")})
    rule = PointsRule(tenant_id=org_unit.tenant_id, org_unit=org_unit)
    for name in RULE_FIELDS:
        if name in data:
            value = data[name]
            setattr(rule, name, value.strip() if isinstance(value, str) else value)
    rule.full_clean(exclude=["tenant", "org_unit"], validate_unique=False, validate_constraints=False)
    errors = {}
    if PointsRule.dangerously_unscoped.filter(
        tenant_id=rule.tenant_id, org_unit=org_unit, code=rule.code
    ).exists():
        errors["code"] = [_("This code is taken here.")]
    if org_unit.kind == OrgUnit.Kind.MINE:
        group = PointsRule.dangerously_unscoped.filter(
            tenant_id=rule.tenant_id, org_unit__parent__isnull=True, code=rule.code
        ).first()
        if group is not None:
            milder = (
                (group.points < 0 and rule.points > group.points)
                or (group.points > 0 and rule.points > group.points)
                or (group.needs_approval and not rule.needs_approval)
                or (group.recorder == Recorder.MANAGER and rule.recorder != Recorder.MANAGER)
                or (group.category != rule.category)
            )
            if milder:
                errors["points"] = [
                    _("A mine may make the group's rule %(code)s stricter, not milder (group: %(points)+d).")
                    % {"code": group.code, "points": group.points}
                ]
    if errors:
        raise ValidationError(errors)
    rule.save()
    audit_record(action="points_rule", obj=rule, org_path=org_unit.path, after=snapshot(rule))
    return rule
