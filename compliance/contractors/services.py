"""Every write of outsourcing: validate, save, audit, one transaction; scope first, plain values.

Rules (``rules.py``, data with source and verified flag) are applied here:

- a required qualification missing or expired blocks new engagements and holds the contractor's
  staff (``tenants.holds``), lifted when a valid one is recorded (``sync_qualification_holds``);
- the caps are checked when an engagement is created or extended, under a lock on the mine's row,
  so two engagements racing for the last slot cannot both pass (``_lock_mine``);
- sub-contracting and main ventilation are refused; coal labour-only mining or tunnelling is
  recorded and reported as a major-hazard condition (``compliance.registry.report_condition``).

A verified rule refuses (the message names the rule and its document); an unverified one warns
(待核实) and the write goes through.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance.audit.services import audit_record
from compliance.registry import Condition, report_condition
from tenants import holds
from tenants import services as tenant_services
from tenants.models import MineProfile, OrgUnit, Person, validate_credit_code
from tenants.scope import Scope
from tenants.services import snapshot

from . import rules as rule_data
from .models import (
    AGREEMENT_KEYS,
    MINING_KINDS,
    Appraisal,
    Contractor,
    Engagement,
    Qualification,
    StaffAssignment,
    WorkKind,
)
from .permissions import MANAGE_CONTRACTORS

K = rule_data.K
HOLD_SOURCE = "contractors.qualification"
LAPSE_REFERENCE = "contractors.lapse"
REQUIRED_KINDS = {
    K.REQUIRE_SAFETY_LICENCE: Qualification.Kind.SAFETY_LICENCE,
    K.REQUIRE_QUALIFICATION: Qualification.Kind.CONSTRUCTION,
}


@dataclass(frozen=True)
class Verdict:
    """A rule that an engagement (or a contractor) does not meet."""

    rule: rule_data.Rule
    message: str
    field: str = "__all__"

    @property
    def binding(self) -> bool:
        return self.rule.binding

    def text(self) -> str:
        if self.binding:
            return _("%(message)s (rule: %(label)s; %(source)s)") % {
                "message": self.message,
                "label": self.rule.label,
                "source": self.rule.source,
            }
        return _(
            "To be verified: %(message)s (rule: %(label)s; %(source)s); the rule is not verified, "
            "so this only warns."
        ) % {
            "message": self.message,
            "label": self.rule.label,
            "source": self.rule.source,
        }


def _today() -> datetime.date:
    return timezone.localdate()


def _require_manage(scope: Scope, tenant_id, org_unit: OrgUnit | None = None) -> None:
    if org_unit is not None:
        scope.require(MANAGE_CONTRACTORS, org_unit)
    elif not scope.has_perm(MANAGE_CONTRACTORS, None, tenant_id):
        raise PermissionDenied(MANAGE_CONTRACTORS)


def _tenant_of(scope: Scope):
    tenant_id = scope.tenant_id
    if tenant_id is None:
        raise PermissionDenied("no single group in scope")
    return tenant_id


# --- contractors --------------------------------------------------------------------------------
CONTRACTOR_FIELDS = (
    "name",
    "credit_code",
    "legal_representative",
    "contact_name",
    "contact_phone",
    "work_kind",
)


def _clean_contractor(contractor: Contractor, data: dict, *, check_taken: bool = True) -> None:
    """Set and check the fields; ``check_taken=False`` for the Excel import, which checks the
    credit codes of a whole file against the register in one query."""
    for name in CONTRACTOR_FIELDS:
        if name in data:
            value = data[name]
            value = value.strip() if isinstance(value, str) else value
            if name == "credit_code":
                value = (value or "").upper()
            setattr(contractor, name, value if value is not None else "")
    errors: dict[str, list] = {}
    try:
        contractor.full_clean(exclude=["tenant"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if "credit_code" not in errors:
        try:
            validate_credit_code(contractor.credit_code)
        except ValidationError as exc:
            errors["credit_code"] = exc.messages
        # Unique in this group only: another group may keep the same company.
        taken = Contractor.objects.filter(tenant_id=contractor.tenant_id, credit_code=contractor.credit_code)
        if contractor.pk and not contractor._state.adding:
            taken = taken.exclude(pk=contractor.pk)
        if "credit_code" not in errors and check_taken and taken.exists():
            errors["credit_code"] = [_("This group already keeps a contractor with this credit code.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def contractor_create(*, scope: Scope, data: dict, tenant_id=None) -> Contractor:
    """Add a contractor to the group's register. ``tenant_id`` only for the platform scope (the
    demo, the operator); a group's user adds to their own group."""
    tenant_id = tenant_id if scope.is_platform and tenant_id is not None else _tenant_of(scope)
    _require_manage(scope, tenant_id)
    contractor = Contractor(tenant_id=tenant_id, status=Contractor.Status.APPROVED, status_on=_today())
    _clean_contractor(contractor, data)
    try:
        with transaction.atomic():
            contractor.save(force_insert=True)
    except IntegrityError as exc:  # a concurrent insert of the same code won
        raise ValidationError(
            {"credit_code": [_("This group already keeps a contractor with this credit code.")]}
        ) from exc
    audit_record(action="create", obj=contractor, after=snapshot(contractor))
    return contractor


@transaction.atomic
def contractor_update(*, scope: Scope, contractor: Contractor, data: dict) -> Contractor:
    _require_manage(scope, contractor.tenant_id)
    before = snapshot(contractor)
    _clean_contractor(contractor, data)
    contractor.save()
    audit_record(action="update", obj=contractor, before=before, after=snapshot(contractor))
    return contractor


@transaction.atomic
def contractor_set_status(
    *, scope: Scope, contractor: Contractor, status: str, reason: str = "", on: datetime.date | None = None
) -> Contractor:
    """Approve, suspend, phase out (清退) or blacklist; all but approval need a reason."""
    _require_manage(scope, contractor.tenant_id)
    errors = {}
    if status not in Contractor.Status.values:
        errors["status"] = [_("Choose a status.")]
    reason = (reason or "").strip()
    if status != Contractor.Status.APPROVED and not reason:
        errors["reason"] = [_("Give the reason.")]
    if errors:
        raise ValidationError(errors)
    before = snapshot(contractor)
    contractor.status = status
    contractor.status_reason = reason[:300]
    contractor.status_on = on or _today()
    if status == Contractor.Status.PHASED_OUT:
        contractor.phase_out_proposed_on = None
    contractor.save(
        update_fields=["status", "status_reason", "status_on", "phase_out_proposed_on", "updated_at"]
    )
    audit_record(action="set_status", obj=contractor, before=before, after=snapshot(contractor))
    return contractor


# --- qualifications -----------------------------------------------------------------------------
def qualification_problems(contractor: Contractor, *, today=None, qualifications=None) -> list[Verdict]:
    """The required qualifications missing or expired on ``today`` (binding or not)."""
    today = today or _today()
    if qualifications is None:
        # The contractor was reached through the caller's scope; its qualifications are its own.
        qualifications = list(Qualification.dangerously_unscoped.filter(contractor_id=contractor.pk))
    all_rules = rule_data.rules()
    out = []
    for key, kind in REQUIRED_KINDS.items():
        rule = all_rules[key]
        if not rule.value:
            continue
        mine = [q for q in qualifications if q.kind == kind]
        if any(q.valid_on(today) for q in mine):
            continue
        label = str(Qualification.Kind(kind).label)
        if mine:
            last = max(q.valid_until for q in mine)
            message = _("%(kind)s expired on %(date)s") % {"kind": label, "date": last.isoformat()}
        else:
            message = _("%(kind)s missing") % {"kind": label}
        out.append(Verdict(rule, message, "contractor"))
    return out


def _validate_qualification(data: dict) -> dict:
    errors: dict[str, list] = {}
    kind = data.get("kind") or ""
    if kind not in Qualification.Kind.values:
        errors["kind"] = [_("Choose the kind.")]
    values = {"kind": kind}
    for name, limit in (("grade", 32), ("scope_text", 300), ("number", 64), ("issuer", 200)):
        value = (data.get(name) or "").strip()
        if len(value) > limit:
            errors[name] = [_("At most %(n)s characters.") % {"n": limit}]
        values[name] = value
    if not values["number"]:
        errors["number"] = [_("Enter the number.")]
    if not values["issuer"]:
        errors["issuer"] = [_("Enter who issued it.")]
    valid_from, valid_until = data.get("valid_from"), data.get("valid_until")
    if not isinstance(valid_from, datetime.date):
        errors["valid_from"] = [_("Enter a date.")]
    if not isinstance(valid_until, datetime.date):
        errors["valid_until"] = [_("Enter a date.")]
    elif isinstance(valid_from, datetime.date) and valid_until < valid_from:
        errors["valid_until"] = [_("The end of validity cannot be before its start.")]
    if errors:
        raise ValidationError(errors)
    return values | {"valid_from": valid_from, "valid_until": valid_until}


@transaction.atomic
def qualification_record(*, scope: Scope, contractor: Contractor, data: dict, scan=None) -> Qualification:
    """Record a qualification (with its scanned copy, an already validated upload); a valid one
    that makes the contractor compliant again lifts the holds on its staff."""
    _require_manage(scope, contractor.tenant_id)
    values = _validate_qualification(data)
    # The contractor's own qualifications, by its id (reached through the scope).
    if Qualification.dangerously_unscoped.filter(
        contractor_id=contractor.pk, kind=values["kind"], number=values["number"]
    ).exists():
        raise ValidationError({"number": [_("This qualification is already recorded.")]})
    qualification = Qualification(tenant_id=contractor.tenant_id, contractor=contractor, **values)
    if scan is not None:
        from . import evidence

        qualification.scan, qualification.scan_name = evidence.store(
            contractor.tenant_id, contractor.pk, scan
        )
    qualification.save(force_insert=True)
    audit_record(
        action="create", obj=qualification, object_repr=str(contractor), after=snapshot(qualification)
    )
    sync_qualification_holds(scope=scope, contractor=contractor)
    return qualification


def _open_assignments(contractor: Contractor) -> list[StaffAssignment]:
    # The contractor's staff, by its id: the holds follow from its rule, not the viewer's role.
    return list(
        StaffAssignment.dangerously_unscoped.filter(contractor_id=contractor.pk, left_on__isnull=True)
        .select_related("person", "person__org_unit", "engagement")
        .order_by("pk")
    )


def _lapse_reference(assignment: StaffAssignment, contractor: Contractor) -> tuple[str, str]:
    return (LAPSE_REFERENCE, f"{assignment.pk.hex}:{contractor.lapse_count}")


def _hold_reason(contractor: Contractor, problems: list[Verdict]) -> str:
    return _("Contractor %(name)s: %(problems)s") % {
        "name": contractor.name,
        "problems": "；".join(v.message for v in problems),
    }


def sync_qualification_holds(*, scope: Scope, contractor: Contractor, today=None) -> list[Verdict]:
    """Hold the contractor's staff while a required qualification is missing or expired under a
    verified rule; lift the holds once none is. Idempotent. Returns the problems (binding or not).
    """
    today = today or _today()
    problems = qualification_problems(contractor, today=today)
    binding = [v for v in problems if v.binding]
    # Serialises with other syncs of the same contractor (the daily job, a recording).
    locked = Contractor.dangerously_unscoped.select_for_update().get(pk=contractor.pk)
    assignments = _open_assignments(locked)
    if binding:
        if locked.lapsed_since is None:
            locked.lapsed_since = today
            locked.lapse_count += 1
            locked.save(update_fields=["lapsed_since", "lapse_count"])
        reason = _hold_reason(locked, binding)
        holds.place_holds(
            scope=scope,
            source=HOLD_SOURCE,
            placements=[(a.person, reason, _lapse_reference(a, locked)) for a in assignments],
        )
    elif locked.lapsed_since is not None:
        for assignment in assignments:
            holds.lift_hold(
                scope=scope,
                person=assignment.person,
                source=HOLD_SOURCE,
                reference=_lapse_reference(assignment, locked),
                lift_reason=_("A valid qualification was recorded."),
            )
        locked.lapsed_since = None
        locked.save(update_fields=["lapsed_since"])
    contractor.lapsed_since, contractor.lapse_count = locked.lapsed_since, locked.lapse_count
    return problems


# --- engagements --------------------------------------------------------------------------------
def mine_is_small(profile: MineProfile | None, all_rules) -> bool:
    """Small by rated capacity against the rule's line; a mine without one counts as small (the
    stricter cap) until its capacity is recorded."""
    if profile is None or profile.rated_capacity is None:
        return True
    key = K.SMALL_COAL_BELOW if profile.is_coal else K.SMALL_NON_COAL_BELOW
    return profile.rated_capacity < all_rules[key].value


def _overlapping(mine: OrgUnit, starts_on, ends_on, exclude_pk=None):
    # The mine was reached through the scope (and is locked by the caller): every engagement
    # there counts against its caps, whoever may read it.
    qs = Engagement.dangerously_unscoped.filter(
        tenant_id=mine.tenant_id, mine_id=mine.pk, starts_on__lte=ends_on, ends_on__gte=starts_on
    )
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs


def cap_verdicts(
    *,
    mine: OrgUnit,
    contractor: Contractor,
    work_kind: str,
    underground_system: str,
    starts_on,
    ends_on,
    exclude_pk=None,
    all_rules=None,
) -> list[Verdict]:
    """The caps an engagement of these values would exceed (two queries)."""
    all_rules = all_rules or rule_data.rules()
    rows = list(
        _overlapping(mine, starts_on, ends_on, exclude_pk).values_list(
            "contractor_id", "work_kind", "underground_system"
        )
    )
    out = []
    if underground_system:
        rule = all_rules[K.MAX_PER_SYSTEM]
        there = {c for c, _k, s in rows if s == underground_system} | {contractor.pk}
        if len(there) > rule.value:
            out.append(
                Verdict(
                    rule,
                    _(
                        "The underground system %(system)s would have %(n)s contractors at once, "
                        "more than %(max)s."
                    )
                    % {"system": underground_system, "n": len(there), "max": rule.value},
                    "underground_system",
                )
            )
    if work_kind in MINING_KINDS:
        profile = MineProfile.dangerously_unscoped.filter(org_unit_id=mine.pk).first()
        small = mine_is_small(profile, all_rules)
        rule = all_rules[K.MAX_MINING_SMALL if small else K.MAX_MINING_LARGE]
        there = {c for c, k, _s in rows if k in MINING_KINDS} | {contractor.pk}
        if len(there) > rule.value:
            size = _("small") if small else _("large or medium")
            out.append(
                Verdict(
                    rule,
                    _(
                        "%(mine)s (a %(size)s mine) would have %(n)s mining and tunnelling contractors "
                        "at once, more than %(max)s."
                    )
                    % {"mine": mine.name, "size": size, "n": len(there), "max": rule.value},
                    "work_kind",
                )
            )
    return out


def _lock_mine(mine: OrgUnit) -> OrgUnit:
    # Two engagements racing for the last slot at a mine: the second waits here until the first
    # commits, then counts it. By id: the caller reached the mine through its scope.
    return OrgUnit.dangerously_unscoped.select_for_update().get(pk=mine.pk)


def _validate_engagement(scope: Scope, data: dict, *, mine: OrgUnit, contractor: Contractor) -> dict:
    errors: dict[str, list] = {}
    if mine is None or mine.kind != OrgUnit.Kind.MINE:
        errors["mine"] = [_("Choose a mine.")]
    if contractor is None:
        errors["contractor"] = [_("Choose a contractor.")]
    elif mine is not None and contractor.tenant_id != mine.tenant_id:
        errors["contractor"] = [_("Choose a contractor.")]
    elif contractor.status != Contractor.Status.APPROVED:
        errors["contractor"] = [
            _("%(name)s is %(status)s: only an approved contractor takes new work.")
            % {"name": contractor.name, "status": contractor.get_status_display()}
        ]
    work_kind = data.get("work_kind") or ""
    if work_kind not in WorkKind.values:
        errors["work_kind"] = [_("Choose the kind of work.")]
    values = {"work_kind": work_kind}
    for name, limit, required in (
        ("scope_of_work", 500, True),
        ("underground_system", 64, False),
        ("contract_number", 64, True),
        ("project_manager_certificate", 64, True),
    ):
        value = (data.get(name) or "").strip()
        if required and not value:
            errors[name] = [_("This field is required.")]
        elif len(value) > limit:
            errors[name] = [_("At most %(n)s characters.") % {"n": limit}]
        values[name] = value
    starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
    if not isinstance(starts_on, datetime.date):
        errors["starts_on"] = [_("Enter a date.")]
    if not isinstance(ends_on, datetime.date):
        errors["ends_on"] = [_("Enter a date.")]
    elif isinstance(starts_on, datetime.date) and ends_on < starts_on:
        errors["ends_on"] = [_("The end cannot be before the start.")]
    items = data.get("agreement_items") or []
    if not isinstance(items, list | tuple) or any(i not in AGREEMENT_KEYS for i in items):
        errors["agreement_items"] = [_("Choose items of the safety agreement.")]
        items = []
    manager = data.get("project_manager")
    if not isinstance(manager, Person) or (mine is not None and manager.tenant_id != mine.tenant_id):
        errors["project_manager"] = [_("Choose the contractor's project manager.")]
    if errors:
        raise ValidationError(errors)
    return values | {
        "starts_on": starts_on,
        "ends_on": ends_on,
        "agreement_items": [k for k in AGREEMENT_KEYS if k in items],
        "labour_only": bool(data.get("labour_only")),
        "main_ventilation": bool(data.get("main_ventilation")),
        "project_manager": manager,
    }


def _manager_elsewhere(
    manager: Person, mine: OrgUnit, starts_on, ends_on, exclude_pk=None
) -> Engagement | None:
    """An engagement at another mine, overlapping these dates, that this person manages or works
    on (one query each way at most)."""
    # The person was reached through the scope; their posts elsewhere in the group count too.
    qs = Engagement.dangerously_unscoped.filter(
        tenant_id=manager.tenant_id, starts_on__lte=ends_on, ends_on__gte=starts_on
    ).exclude(mine_id=mine.pk)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    on_staff = StaffAssignment.dangerously_unscoped.filter(person_id=manager.pk, left_on__isnull=True).values(
        "engagement_id"
    )
    return qs.filter(Q(project_manager_id=manager.pk) | Q(pk__in=on_staff)).select_related("mine").first()


def _rule_verdicts(values: dict, *, parent, all_rules) -> list[Verdict]:
    out = []
    if parent is not None and all_rules[K.NO_SUBCONTRACT].value:
        out.append(
            Verdict(
                all_rules[K.NO_SUBCONTRACT],
                _("Work under another contractor's engagement is passing on or re-subcontracting."),
                "parent",
            )
        )
    if values["main_ventilation"] and all_rules[K.NO_MAIN_VENTILATION].value:
        out.append(
            Verdict(
                all_rules[K.NO_MAIN_VENTILATION],
                _("The main ventilation system may not be outsourced."),
                "main_ventilation",
            )
        )
    return out


def _raise_binding(verdicts: list[Verdict]) -> None:
    binding = [v for v in verdicts if v.binding]
    if binding:
        errors: dict[str, list] = {}
        for verdict in binding:
            errors.setdefault(verdict.field, []).append(verdict.text())
        raise ValidationError(errors)


@dataclass
class EngagementResult:
    engagement: Engagement
    warnings: list[str]


def _report_conditions(scope: Scope, engagement: Engagement, cap_warnings: list[Verdict], all_rules) -> None:
    mine = engagement.mine
    profile = MineProfile.dangerously_unscoped.filter(org_unit_id=mine.pk).first()
    rule = all_rules[K.COAL_LABOUR_ONLY]
    if (
        profile is not None
        and profile.is_coal
        and engagement.labour_only
        and engagement.work_kind in MINING_KINDS
        and rule.value
    ):
        report_condition(
            scope,
            Condition(
                key=f"contractors.labour_only:{engagement.pk}",
                kind="contractors.labour_only",
                tenant_id=engagement.tenant_id,
                mine_id=mine.pk,
                description=_(
                    "Coal mine %(mine)s: labour-only contracting of %(work)s to %(contractor)s "
                    "(contract %(number)s)."
                )
                % {
                    "mine": mine.name,
                    "work": engagement.get_work_kind_display(),
                    "contractor": engagement.contractor.name,
                    "number": engagement.contract_number,
                },
                major=True,
                source=rule.source,
                location=engagement.underground_system,
            ),
            present=True,
        )

    def where(verdict: Verdict) -> str:
        return engagement.underground_system if verdict.rule.key == K.MAX_PER_SYSTEM else ""

    for verdict in cap_warnings:
        report_condition(
            scope,
            Condition(
                key=f"contractors.cap_exceeded:{mine.pk}:{verdict.rule.key}:{where(verdict)}",
                kind="contractors.cap_exceeded",
                tenant_id=engagement.tenant_id,
                mine_id=mine.pk,
                description=verdict.message,
                source=verdict.rule.source,
                location=where(verdict),
            ),
            present=True,
        )


@transaction.atomic
def engagement_create(
    *,
    scope: Scope,
    mine: OrgUnit,
    contractor: Contractor,
    data: dict,
    parent: Engagement | None = None,
    actor=None,
) -> EngagementResult:
    """Engage ``contractor`` at ``mine`` within the caps (MANAGE_CONTRACTORS at the mine)."""
    if mine is not None:
        _require_manage(scope, mine.tenant_id, mine)
    values = _validate_engagement(scope, data, mine=mine, contractor=contractor)
    mine = _lock_mine(mine)
    all_rules = rule_data.rules()
    verdicts = _rule_verdicts(values, parent=parent, all_rules=all_rules)
    verdicts += [
        Verdict(
            v.rule,
            _("%(contractor)s: %(problem)s; no new engagement until it is recorded.")
            % {"contractor": contractor.name, "problem": v.message},
            "contractor",
        )
        for v in qualification_problems(contractor)
    ]
    caps = cap_verdicts(
        mine=mine,
        contractor=contractor,
        work_kind=values["work_kind"],
        underground_system=values["underground_system"],
        starts_on=values["starts_on"],
        ends_on=values["ends_on"],
        all_rules=all_rules,
    )
    verdicts += caps
    elsewhere = _manager_elsewhere(values["project_manager"], mine, values["starts_on"], values["ends_on"])
    errors: dict[str, list] = {}
    if elsewhere is not None:
        errors["project_manager"] = [
            _("%(name)s holds a post at %(mine)s at the same time (contract %(number)s).")
            % {
                "name": values["project_manager"].name,
                "mine": elsewhere.mine.name,
                "number": elsewhere.contract_number,
            }
        ]
    if Engagement.dangerously_unscoped.filter(
        tenant_id=mine.tenant_id, contract_number=values["contract_number"]
    ).exists():
        errors["contract_number"] = [_("This contract number is already recorded in this group.")]
    try:
        _raise_binding(verdicts)
    except ValidationError as exc:
        errors = exc.message_dict | errors
    if errors:
        raise ValidationError(errors)
    engagement = Engagement(
        tenant_id=mine.tenant_id,
        mine=mine,
        contractor=contractor,
        parent=parent,
        created_by=actor,
        **values,
    )
    engagement.save(force_insert=True)
    audit_record(
        action="create",
        obj=engagement,
        object_repr=str(engagement),
        after=snapshot(engagement),
        org_path=mine.path,
    )
    _report_conditions(scope, engagement, [v for v in caps if not v.binding], all_rules)
    return EngagementResult(engagement, [v.text() for v in verdicts if not v.binding])


@transaction.atomic
def engagement_extend(*, scope: Scope, engagement: Engagement, ends_on: datetime.date) -> EngagementResult:
    """Move the end of an engagement; a later end is checked against the caps again."""
    _require_manage(scope, engagement.tenant_id, engagement.mine)
    if not isinstance(ends_on, datetime.date):
        raise ValidationError({"ends_on": [_("Enter a date.")]})
    if ends_on < engagement.starts_on:
        raise ValidationError({"ends_on": [_("The end cannot be before the start.")]})
    mine = _lock_mine(engagement.mine)
    all_rules = rule_data.rules()
    verdicts: list[Verdict] = []
    caps: list[Verdict] = []
    if ends_on > engagement.ends_on:
        caps = cap_verdicts(
            mine=mine,
            contractor=engagement.contractor,
            work_kind=engagement.work_kind,
            underground_system=engagement.underground_system,
            starts_on=engagement.ends_on,
            ends_on=ends_on,
            exclude_pk=engagement.pk,
            all_rules=all_rules,
        )
        verdicts = [Verdict(v.rule, v.message, "ends_on") for v in caps]
        verdicts += [
            Verdict(
                v.rule,
                _("%(contractor)s: %(problem)s; no extension until it is recorded.")
                % {"contractor": engagement.contractor.name, "problem": v.message},
                "ends_on",
            )
            for v in qualification_problems(engagement.contractor)
        ]
        busy = _manager_elsewhere(
            engagement.project_manager, mine, engagement.ends_on, ends_on, exclude_pk=engagement.pk
        )
        if busy is not None:
            raise ValidationError(
                {
                    "ends_on": [
                        _("The project manager holds a post at %(mine)s in the added time.")
                        % {"mine": busy.mine.name}
                    ]
                }
            )
        _raise_binding(verdicts)
    before = snapshot(engagement)
    engagement.ends_on = ends_on
    engagement.save(update_fields=["ends_on"])
    audit_record(
        action="extend", obj=engagement, before=before, after=snapshot(engagement), org_path=mine.path
    )
    _report_conditions(scope, engagement, [v for v in caps if not v.binding], all_rules)
    return EngagementResult(engagement, [v.text() for v in verdicts if not v.binding])


# --- contractor staff ---------------------------------------------------------------------------
@transaction.atomic
def staff_assign(
    *, scope: Scope, engagement: Engagement, person: Person, assigned_on: datetime.date | None = None
) -> StaffAssignment:
    """Assign a person of the group to the contractor's engagement; their employer becomes the
    contractor. A lapsed required qualification holds them at once."""
    _require_manage(scope, engagement.tenant_id, engagement.mine)
    errors = {}
    if person is None or person.tenant_id != engagement.tenant_id:
        errors["person"] = [_("Choose a person.")]
    elif not person.org_unit.path.startswith(engagement.mine.path):
        errors["person"] = [_("The person must belong to the engagement's mine or one of its teams.")]
    elif StaffAssignment.dangerously_unscoped.filter(person_id=person.pk, left_on__isnull=True).exists():
        # The person's own open assignment (by id: reached through the scope).
        errors["person"] = [_("This person is already assigned to an engagement.")]
    if errors:
        raise ValidationError(errors)
    assignment = StaffAssignment(
        tenant_id=engagement.tenant_id,
        person=person,
        contractor=engagement.contractor,
        engagement=engagement,
        assigned_on=assigned_on or _today(),
    )
    try:
        with transaction.atomic():
            assignment.save(force_insert=True)
    except IntegrityError as exc:
        raise ValidationError({"person": [_("This person is already assigned to an engagement.")]}) from exc
    audit_record(
        action="create",
        obj=assignment,
        object_repr=person.name,
        after=snapshot(assignment),
        org_path=engagement.mine.path,
    )
    if person.employer != engagement.contractor.name:
        tenant_services.person_update(scope=scope, person=person, employer=engagement.contractor.name)
    sync_qualification_holds(scope=scope, contractor=engagement.contractor)
    return assignment


@transaction.atomic
def staff_release(
    *, scope: Scope, assignment: StaffAssignment, left_on: datetime.date | None = None
) -> StaffAssignment:
    """End an assignment; a hold it caused is lifted (the person no longer works for the contractor)."""
    _require_manage(scope, assignment.tenant_id, assignment.engagement.mine)
    if assignment.left_on is not None:
        return assignment
    before = snapshot(assignment)
    assignment.left_on = left_on or _today()
    assignment.save(update_fields=["left_on"])
    audit_record(
        action="update",
        obj=assignment,
        object_repr=assignment.person.name,
        before=before,
        after=snapshot(assignment),
        org_path=assignment.engagement.mine.path,
    )
    contractor = assignment.contractor
    if contractor.lapsed_since is not None:
        holds.lift_hold(
            scope=scope,
            person=assignment.person,
            source=HOLD_SOURCE,
            reference=_lapse_reference(assignment, contractor),
            lift_reason=_("No longer works for the contractor."),
        )
    return assignment


# --- appraisals ---------------------------------------------------------------------------------
@transaction.atomic
def appraisal_record(
    *, scope: Scope, engagement: Engagement, period: datetime.date, score, findings: str = "", actor=None
) -> Appraisal:
    """The mine's appraisal of the month; the rule's number of poor ones in a row (on this
    contractor's engagements, latest months) proposes phase-out."""
    _require_manage(scope, engagement.tenant_id, engagement.mine)
    errors = {}
    if not isinstance(period, datetime.date):
        errors["period"] = [_("Enter the month.")]
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = -1
    if not 0 <= score <= 100:
        errors["score"] = [_("Enter a score from 0 to 100.")]
    if errors:
        raise ValidationError(errors)
    period = period.replace(day=1)
    # The engagement's own appraisals (reached through the scope).
    if Appraisal.dangerously_unscoped.filter(engagement_id=engagement.pk, period=period).exists():
        raise ValidationError({"period": [_("This month is already appraised.")]})
    all_rules = rule_data.rules()
    appraisal = Appraisal(
        tenant_id=engagement.tenant_id,
        engagement=engagement,
        contractor=engagement.contractor,
        period=period,
        score=score,
        poor=score < all_rules[K.POOR_BELOW].value,
        findings=(findings or "").strip()[:5000],
        created_by=actor,
    )
    appraisal.save(force_insert=True)
    audit_record(
        action="create",
        obj=appraisal,
        object_repr=str(engagement.contractor),
        after=snapshot(appraisal),
        org_path=engagement.mine.path,
    )
    in_a_row = all_rules[K.POOR_IN_A_ROW].value
    if appraisal.poor and in_a_row:
        latest = list(
            Appraisal.dangerously_unscoped.filter(engagement_id=engagement.pk)
            .order_by("-period")
            .values_list("poor", flat=True)[:in_a_row]
        )
        contractor = engagement.contractor
        if len(latest) == in_a_row and all(latest) and contractor.phase_out_proposed_on is None:
            before = snapshot(contractor)
            contractor.phase_out_proposed_on = _today()
            contractor.save(update_fields=["phase_out_proposed_on", "updated_at"])
            audit_record(action="propose_out", obj=contractor, before=before, after=snapshot(contractor))
    return appraisal
