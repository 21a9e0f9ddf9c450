"""Hidden dangers: every write. Each takes the scope first, checks the permission on the hazard's
mine, moves the hazard through ``machine`` (illegal steps refused), records the step in the
hazard's history and the audit trail, all in one transaction.

Rules (DOMAIN.md "Hidden dangers", 应急管理部令第4号, 矿安〔2022〕88号):

- A hazard linked to a major-hazard criterion in force for the mine's type on the day it was found
  is 重大, automatically, and cannot be downgraded while the link stands.
- A 重大 hazard is reported to the regulator of the mine's region when it is registered (the agency
  whose jurisdiction is the longest prefix of the mine's region code), and needs the full treatment
  plan (目标、措施、经费和物资、机构和人员、时限、安全措施、应急预案) before its rectification can be saved;
  the mine or the affected area stops producing until acceptance (``production_stops``).
- Acceptance (验收) is by someone other than the rectifier, with photos when it passes; a failed
  acceptance reopens rectification; closing (销号) only after a passed acceptance.
- Conditions reported by other capabilities (``registry.report_condition``) become hazards,
  idempotently by the condition's key; a condition gone is noted, never closes the hazard.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance.audit.services import audit_record
from compliance.files import validate_upload
from compliance.numbering import save_numbered
from compliance.registry import Condition, PointsProposal, propose_points
from tenants import roles
from tenants.models import MineProfile, OrgUnit, Person, RegulatorAgency
from tenants.scope import Scope, dangerously_platform_scope
from tenants.services import snapshot

from . import evidence, machine
from .models import CriteriaCatalogue, Criterion, Finding, Hazard, HazardEvent
from .permissions import ACCEPT_HAZARDS, MANAGE_HAZARDS, REPORT_HAZARDS

S = Hazard.Status
PHOTO_KINDS = ("png", "jpeg")
MAX_PHOTOS = 9
# The plan fields a 重大 hazard needs before its rectification can be saved (五落实 / 治理方案).
MAJOR_PLAN_FIELDS = (
    "target",
    "measures",
    "funds",
    "materials",
    "organisation",
    "responsible",
    "deadline",
    "safety_measures",
    "contingency",
)
PLAN_FIELDS = (*MAJOR_PLAN_FIELDS, "stop_scope", "stop_area")

FAMILY_OF_MINE_TYPE = {
    MineProfile.MineType.COAL_UNDERGROUND: CriteriaCatalogue.Family.COAL,
    MineProfile.MineType.COAL_OPEN_PIT: CriteriaCatalogue.Family.COAL,
    MineProfile.MineType.METAL_UNDERGROUND: CriteriaCatalogue.Family.METAL_UNDERGROUND,
    MineProfile.MineType.METAL_OPEN_PIT: CriteriaCatalogue.Family.METAL_OPEN_PIT,
    MineProfile.MineType.TAILINGS_POND: CriteriaCatalogue.Family.TAILINGS_POND,
}


# --- helpers -----------------------------------------------------------------------------------------
def _mine_type(mine: OrgUnit) -> str:
    profile = getattr(mine, "mine_profile", None)
    return profile.mine_type if profile is not None else ""


def criteria_in_force(mine: OrgUnit, day: datetime.date):
    """The criteria of the catalogues in force for ``mine``'s type on ``day``."""
    family = FAMILY_OF_MINE_TYPE.get(_mine_type(mine))
    if family is None:
        return Criterion.objects.none()
    return (
        Criterion.objects.filter(catalogue__family=family, catalogue__effective_from__lte=day)
        .filter(Q(catalogue__effective_to__isnull=True) | Q(catalogue__effective_to__gte=day))
        .select_related("catalogue")
    )


def check_criterion(mine: OrgUnit, day: datetime.date, criterion: Criterion | None) -> None:
    if criterion is not None and not criteria_in_force(mine, day).filter(pk=criterion.pk).exists():
        raise ValidationError(
            {
                "criterion": _(
                    "This criterion is not in force for this kind of mine on the day the hazard was found."
                )
            }
        )


def _require_mine(mine: OrgUnit) -> None:
    if mine.kind != OrgUnit.Kind.MINE:
        raise ValidationError({"mine": _("Choose a mine.")})


def _who(user) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    person = getattr(user, "person", None) if hasattr(user, "person") else None
    return (getattr(person, "name", "") if person is not None else "") or user.get_username()


def _event(hazard: Hazard, *, step: str, user, before: str, note: str = "", photos=()) -> HazardEvent:
    """One step of the hazard's own history (shown on its page; the audit trail has its own event)."""
    return HazardEvent.objects.create(
        tenant_id=hazard.tenant_id,
        hazard=hazard,
        action=step,
        from_status=before,
        to_status=hazard.status,
        actor=user if user is not None and getattr(user, "is_authenticated", False) else None,
        actor_name=_who(user),
        note=note,
        photos=list(photos),
        at=timezone.now(),
    )


def _audit(hazard: Hazard, action: str, before: dict | None) -> None:
    audit_record(action=action, obj=hazard, before=before, after=snapshot(hazard), org_path=hazard.mine.path)


def store_photos(*, tenant_id, uploads, field: str = "photos") -> list[str]:
    """Validate and store uploaded photos (PNG/JPEG); their stored names."""
    uploads = [u for u in (uploads or []) if u]
    if len(uploads) > MAX_PHOTOS:
        raise ValidationError({field: _("At most %(n)d photos.") % {"n": MAX_PHOTOS}})
    for upload in uploads:
        validate_upload(upload, kinds=PHOTO_KINDS, max_bytes=evidence.max_bytes(), field=field)
    month = timezone.localdate().strftime("%Y%m")
    return [evidence.store(tenant_id, month, upload) for upload in uploads]


def _lock(hazard: Hazard) -> Hazard:
    # Two managers acting on one hazard at once: the second sees the first's state.
    return Hazard.dangerously_unscoped.select_for_update().select_related("mine").get(pk=hazard.pk)


def _save_new(hazard: Hazard) -> None:
    year = (hazard.found_on or timezone.localdate()).year
    save_numbered(
        hazard,
        numbers=Hazard.dangerously_unscoped.filter(tenant_id=hazard.tenant_id),  # one tenant's numbers
        prefix=f"YH-{year}-",
        width=5,
        conflict_is_final=lambda: (
            bool(hazard.condition_key)
            and Hazard.dangerously_unscoped.filter(
                tenant_id=hazard.tenant_id, condition_key=hazard.condition_key
            ).exists()
        ),
    )


def regulator_of(mine: OrgUnit) -> RegulatorAgency | None:
    """The agency whose jurisdiction is the longest prefix of the mine's region code (the mine's
    direct regulator): a county office before the province."""
    profile = getattr(mine, "mine_profile", None)
    code = profile.region_code if profile is not None else ""
    if not code:
        return None
    prefixes = [code[:n] for n in range(len(code), -1, -1)]
    agencies = {a.region_prefix: a for a in RegulatorAgency.objects.filter(region_prefix__in=prefixes)}
    for prefix in prefixes:
        if prefix in agencies:
            return agencies[prefix]
    return None


def _report_if_major(hazard: Hazard) -> None:
    if hazard.is_major and hazard.reported_at is None and hazard.status not in (S.REPORTED, S.REJECTED):
        hazard.reported_agency = regulator_of(hazard.mine)
        hazard.reported_at = timezone.now()


def _apply_class(hazard: Hazard, grade: str, criterion: Criterion | None, *, strict: bool = False) -> None:
    """Set the class. A criterion in force makes it 重大 (at registration, whatever class was
    chosen); asking for 一般 on a hazard that meets a criterion is refused (``strict``, and when
    the hazard already met one)."""
    check_criterion(hazard.mine, hazard.found_on, criterion)
    downgrade = ValidationError(
        {"grade": _("A hazard that meets a major-hazard criterion cannot be downgraded.")}
    )
    if criterion is not None:
        if grade != Hazard.Grade.MAJOR and (strict or hazard.criterion_id is not None):
            raise downgrade
        grade = Hazard.Grade.MAJOR
    elif hazard.is_major and grade != Hazard.Grade.MAJOR and hazard.criterion_id is not None:
        raise ValidationError(
            {"grade": _("A hazard that meets a major-hazard criterion cannot be downgraded.")}
        )
    if grade not in Hazard.Grade.values:
        raise ValidationError({"grade": _("Choose the class of the hazard.")})
    hazard.grade = grade
    hazard.criterion = criterion


def _clean_text(hazard: Hazard) -> None:
    hazard.location = (hazard.location or "").strip()
    hazard.description = (hazard.description or "").strip()
    errors = {}
    if not hazard.location:
        errors["location"] = [_("Say where the hazard is.")]
    if not hazard.description:
        errors["description"] = [_("Describe the hazard.")]
    if hazard.found_on and hazard.found_on > timezone.localdate():
        errors["found_on"] = [_("The day it was found cannot be in the future.")]
    if errors:
        raise ValidationError(errors)


# --- registration (登记) --------------------------------------------------------------------------------
@transaction.atomic
def hazard_register(
    *,
    scope: Scope,
    mine: OrgUnit,
    user=None,
    location: str,
    description: str,
    source: str = Hazard.Source.SELF_CHECK,
    found_on: datetime.date | None = None,
    grade: str = Hazard.Grade.GENERAL,
    criterion: Criterion | None = None,
    inspection=None,
    photos=(),
    found_by_name: str = "",
    condition_key: str = "",
) -> Hazard:
    """Register a hazard found by an inspection, the mine's self-check or a regulator."""
    scope.require(MANAGE_HAZARDS, mine)
    _require_mine(mine)
    if source not in Hazard.Source.values or source == Hazard.Source.WORKER_REPORT:
        raise ValidationError({"source": _("Choose how the hazard was found.")})
    hazard = Hazard(
        tenant_id=mine.tenant_id,
        mine=mine,
        location=location,
        description=description,
        source=source,
        found_on=found_on or timezone.localdate(),
        found_by=user if user is not None and getattr(user, "is_authenticated", False) else None,
        found_by_name=(found_by_name or _who(user))[:100],
        inspection=inspection,
        status=S.REGISTERED,
        condition_key=condition_key,
    )
    _clean_text(hazard)
    _apply_class(hazard, grade, criterion)
    hazard.photos = store_photos(tenant_id=mine.tenant_id, uploads=photos)
    _report_if_major(hazard)
    _save_new(hazard)
    _event(hazard, step="register", user=user, before="", photos=hazard.photos)
    if hazard.reported_at is not None:
        _event(
            hazard, step="reported", user=None, before=hazard.status, note=str(hazard.reported_agency or "")
        )
    _audit(hazard, "hazard_register", None)
    return hazard


def reportable_mines(scope: Scope):
    """Mines a login may report a hazard at (随手拍): those under its grants, and the mine its own
    unit lies in (a worker's team, a team leader's)."""
    grants = [g for g in scope.grants if REPORT_HAZARDS in roles.perms_of(g.role) and g.region is None]
    if scope.read_only or not grants:
        return OrgUnit.objects.none()
    cond = Q(pk__in=[])
    for g in grants:
        segments = g.path.split("/")[:-1]
        ancestors = ["/".join(segments[: i + 1]) + "/" for i in range(len(segments))]
        cond |= Q(tenant_id=g.tenant_id) & (Q(path__startswith=g.path) | Q(path__in=ancestors))
    # A worker's scope reads only its own unit and below, not the mine above it; the condition
    # names only the grants' own tenants and paths (their subtree and ancestors), so the unscoped
    # manager reaches nothing outside the login's own tree.
    return OrgUnit.dangerously_unscoped.filter(cond, kind=OrgUnit.Kind.MINE).order_by("path")


def access_reportable_mine(scope: Scope, pk) -> OrgUnit:
    """A mine this login may report at, else 404 (missing and foreign alike)."""
    from compliance.access import first_or_404

    return first_or_404(reportable_mines(scope), pk=pk)


@transaction.atomic
def hazard_report(*, scope: Scope, mine: OrgUnit, user, location: str, description: str, photos=()) -> Hazard:
    """A worker's report from the phone (随手拍): it waits for a manager to confirm it."""
    if scope.read_only or not (scope.is_platform or reportable_mines(scope).filter(pk=mine.pk).exists()):
        raise PermissionDenied(REPORT_HAZARDS)
    person = Person.objects.filter(user=user).first() if user is not None else None
    hazard = Hazard(
        tenant_id=mine.tenant_id,
        mine=mine,
        location=location,
        description=description,
        source=Hazard.Source.WORKER_REPORT,
        found_on=timezone.localdate(),
        found_by=user,
        found_by_name=_who(user)[:100],
        reported_by_person=person,
        status=S.REPORTED,
    )
    _clean_text(hazard)
    hazard.photos = store_photos(tenant_id=mine.tenant_id, uploads=photos)
    if not hazard.photos:
        raise ValidationError({"photos": _("Take at least one photo of the hazard.")})
    _save_new(hazard)
    _event(hazard, step="report", user=user, before="", photos=hazard.photos)
    _audit(hazard, "hazard_report", None)
    return hazard


@transaction.atomic
def hazard_confirm(
    *,
    scope: Scope,
    hazard: Hazard,
    user,
    grade: str = Hazard.Grade.GENERAL,
    criterion: Criterion | None = None,
    note: str = "",
) -> Hazard:
    """A manager confirms a worker's report: it enters the register (and the loop)."""
    hazard = _lock(hazard)
    scope.require(MANAGE_HAZARDS, hazard.mine)
    before, snap = hazard.status, snapshot(hazard)
    hazard.status = machine.transition(hazard, "confirm")
    _apply_class(hazard, grade, criterion)
    _report_if_major(hazard)
    hazard.save()
    _event(hazard, step="confirm", user=user, before=before, note=note)
    _audit(hazard, "hazard_confirm", snap)
    if hazard.reported_by_person_id is not None:
        # A confirmed worker report proposes an award for the reporter (rewards for internal hazard
        # reports, DOMAIN.md); the rule by the hazard's class, once per hazard.
        propose_points(
            scope,
            PointsProposal(
                source_kind="hazard_report",
                source_ref=str(hazard.pk),
                tenant_id=hazard.tenant_id,
                person_id=hazard.reported_by_person_id,
                occurred_on=hazard.found_on,
                reason=f"报告隐患 {hazard.number}：{hazard.description}"[:2000],
                rule_code="AW-HAZARD-MAJOR" if hazard.is_major else "AW-HAZARD",
            ),
        )
    return hazard


@transaction.atomic
def hazard_reject(*, scope: Scope, hazard: Hazard, user, note: str) -> Hazard:
    hazard = _lock(hazard)
    scope.require(MANAGE_HAZARDS, hazard.mine)
    if not (note or "").strip():
        raise ValidationError({"note": _("Say why this is not a hazard.")})
    before, snap = hazard.status, snapshot(hazard)
    hazard.status = machine.transition(hazard, "reject")
    hazard.save()
    _event(hazard, step="reject", user=user, before=before, note=note.strip())
    _audit(hazard, "hazard_reject", snap)
    return hazard


@transaction.atomic
def hazard_classify(
    *, scope: Scope, hazard: Hazard, user, grade: str, criterion: Criterion | None = None
) -> Hazard:
    """Change the class (or the criterion) of an open hazard. A criterion in force keeps it 重大."""
    hazard = _lock(hazard)
    scope.require(MANAGE_HAZARDS, hazard.mine)
    if not hazard.is_open:
        raise machine.Conflict(_("Only an open hazard can be reclassified."))
    before, snap = hazard.status, snapshot(hazard)
    _apply_class(hazard, grade, criterion, strict=True)
    _report_if_major(hazard)
    hazard.save()
    _event(hazard, step="classify", user=user, before=before, note=hazard.get_grade_display())
    _audit(hazard, "hazard_classify", snap)
    return hazard


# --- rectification (治理) --------------------------------------------------------------------------------
@transaction.atomic
def hazard_plan(*, scope: Scope, hazard: Hazard, user, **plan) -> Hazard:
    """Save the rectification plan: responsible person, measures, deadline; for a 重大 hazard the
    whole treatment plan, and the stop of the mine or the affected area."""
    hazard = _lock(hazard)
    scope.require(MANAGE_HAZARDS, hazard.mine)
    before, snap = hazard.status, snapshot(hazard)
    target = machine.transition(hazard, "plan")
    for name in PLAN_FIELDS:
        if name in plan:
            value = plan[name]
            setattr(hazard, name, value.strip() if isinstance(value, str) else value)
    required = MAJOR_PLAN_FIELDS if hazard.is_major else ("responsible", "measures", "deadline")
    errors = {
        name: [_("Required for this hazard's rectification plan.")]
        for name in required
        if not getattr(hazard, name)
    }
    if hazard.deadline and hazard.deadline < hazard.found_on:
        errors.setdefault("deadline", []).append(
            _("The deadline cannot be before the day the hazard was found.")
        )
    if hazard.is_major and not hazard.stop_scope:
        errors["stop_scope"] = [_("A major hazard stops the mine or the affected area until it is accepted.")]
    if hazard.stop_scope == Hazard.StopScope.AREA and not hazard.stop_area:
        errors["stop_area"] = [_("Name the stopped area.")]
    if hazard.stop_scope not in Hazard.StopScope.values:
        errors["stop_scope"] = [_("Choose what is stopped.")]
    if errors:
        raise ValidationError(errors)
    if hazard.stop_scope != Hazard.StopScope.AREA:
        hazard.stop_area = ""
    hazard.status = target
    hazard.full_clean(exclude=["tenant", "mine", "criterion", "found_by", "reported_by_person", "inspection"])
    hazard.save()
    _event(hazard, step="plan", user=user, before=before, note=hazard.measures)
    _audit(hazard, "hazard_plan", snap)
    return hazard


@transaction.atomic
def hazard_rectified(*, scope: Scope, hazard: Hazard, user, note: str = "", photos=()) -> Hazard:
    """The rectifier reports the work done; the hazard waits for acceptance."""
    hazard = _lock(hazard)
    scope.require(MANAGE_HAZARDS, hazard.mine)
    before, snap = hazard.status, snapshot(hazard)
    hazard.status = machine.transition(hazard, "rectified")
    stored = store_photos(tenant_id=hazard.tenant_id, uploads=photos)
    hazard.rectified_by = user if getattr(user, "is_authenticated", False) else None
    hazard.rectified_at = timezone.now()
    hazard.save()
    _event(hazard, step="rectified", user=user, before=before, note=(note or "").strip(), photos=stored)
    _audit(hazard, "hazard_rectified", snap)
    return hazard


# --- acceptance (验收) and closing (销号) --------------------------------------------------------------
@transaction.atomic
def hazard_accept(*, scope: Scope, hazard: Hazard, user, passed: bool, note: str = "", photos=()) -> Hazard:
    """Acceptance by someone other than the rectifier; photos when it passes. A failed acceptance
    sends the hazard back to rectification."""
    hazard = _lock(hazard)
    scope.require(ACCEPT_HAZARDS, hazard.mine)
    before, snap = hazard.status, snapshot(hazard)
    target = machine.transition(hazard, "accept" if passed else "fail")
    if user is None or (hazard.rectified_by_id is not None and hazard.rectified_by_id == user.pk):
        raise ValidationError(
            _("Acceptance must be by someone other than the person who rectified the hazard.")
        )
    note = (note or "").strip()
    if not passed and not note:
        raise ValidationError({"note": _("Say what is still wrong.")})
    stored = store_photos(tenant_id=hazard.tenant_id, uploads=photos)
    if passed and not stored:
        raise ValidationError({"photos": _("An acceptance needs photos of the rectified site.")})
    hazard.status = target
    if passed:
        hazard.accepted_by, hazard.accepted_at = user, timezone.now()
    else:
        hazard.rectified_by, hazard.rectified_at = None, None
    hazard.save()
    _event(hazard, step="accept" if passed else "fail", user=user, before=before, note=note, photos=stored)
    _audit(hazard, "hazard_accept" if passed else "hazard_fail", snap)
    return hazard


@transaction.atomic
def hazard_close(*, scope: Scope, hazard: Hazard, user, note: str = "") -> Hazard:
    hazard = _lock(hazard)
    scope.require(MANAGE_HAZARDS, hazard.mine)
    before, snap = hazard.status, snapshot(hazard)
    hazard.status = machine.transition(hazard, "close")
    hazard.closed_at = timezone.now()
    hazard.save()
    _event(hazard, step="close", user=user, before=before, note=(note or "").strip())
    _audit(hazard, "hazard_close", snap)
    return hazard


# --- findings of an inspection ---------------------------------------------------------------------------
@transaction.atomic
def finding_add(
    *,
    scope: Scope,
    inspection,
    user,
    kind: str,
    text: str,
    person: Person | None = None,
    severity: str = "",
    location: str = "",
    grade: str = Hazard.Grade.GENERAL,
    criterion: Criterion | None = None,
    photos=(),
) -> Finding:
    """A finding on an inspection; a hazard finding registers the hazard at the inspected mine."""
    from compliance.inspections.selectors import runs_inspection

    if not runs_inspection(scope, inspection):
        raise PermissionDenied
    text = (text or "").strip()
    if kind not in Finding.Kind.values:
        raise ValidationError({"kind": _("Choose what was found.")})
    if not text:
        raise ValidationError({"text": _("Describe the finding.")})
    finding = Finding(tenant_id=inspection.tenant_id, inspection=inspection, kind=kind, text=text)
    if kind == Finding.Kind.VIOLATION:
        errors = {}
        if person is None or person.tenant_id != inspection.tenant_id:
            errors["person"] = [_("Name the person who committed the violation.")]
        if severity not in Finding.Severity.values:
            errors["severity"] = [_("Choose the severity of the violation.")]
        if errors:
            raise ValidationError(errors)
        finding.person, finding.severity = person, severity
    if kind == Finding.Kind.HAZARD:
        mine = _mine_of(inspection.org_unit)
        if mine is None:
            raise ValidationError(
                {"kind": _("Hazards are registered at a mine: this inspection is not of a mine.")}
            )
        finding.hazard = hazard_register(
            scope=scope,
            mine=mine,
            user=user,
            location=location,
            description=text,
            source=Hazard.Source.INSPECTION,
            found_on=inspection.date,
            grade=grade,
            criterion=criterion,
            inspection=inspection,
            photos=photos,
        )
    finding.save()
    audit_record(
        action="finding_add", obj=finding, after=snapshot(finding), org_path=inspection.org_unit.path
    )
    if finding.kind == Finding.Kind.VIOLATION:
        # A 三违 finding proposes a deduction for the person (team safety points, if installed);
        # once per finding, however often it is reported.
        propose_points(
            scope,
            PointsProposal(
                source_kind="finding",
                source_ref=str(finding.pk),
                tenant_id=finding.tenant_id,
                person_id=finding.person_id,
                occurred_on=inspection.date,
                reason=text[:2000],
                severity=finding.severity,
            ),
        )
    return finding


def _mine_of(unit: OrgUnit) -> OrgUnit | None:
    if unit.kind == OrgUnit.Kind.MINE:
        return unit
    segments = unit.path.split("/")[:-1]
    ancestors = ["/".join(segments[: i + 1]) + "/" for i in range(len(segments))]
    return OrgUnit.objects.filter(
        tenant_id=unit.tenant_id, path__in=ancestors, kind=OrgUnit.Kind.MINE
    ).first()


# --- conditions reported by other capabilities ---------------------------------------------------------
def condition_sink(scope: Scope, condition: Condition, *, present: bool = True) -> None:
    """``registry`` sink: a condition present becomes a hazard (once per key); gone, it is noted on
    the hazard — closing still needs acceptance. Runs in the reporter's transaction, under the
    platform scope for the lookups (the reporter has already checked its own scope)."""
    with dangerously_platform_scope() as platform, transaction.atomic():
        existing = Hazard.objects.filter(tenant_id=condition.tenant_id, condition_key=condition.key).first()
        if present:
            if existing is not None:
                if existing.condition_gone_on is not None:  # back again
                    existing.condition_gone_on = None
                    existing.save(update_fields=["condition_gone_on"])
                    _event(existing, step="cond_back", user=None, before=existing.status)
                return
            mine = OrgUnit.objects.select_related("mine_profile").get(
                pk=condition.mine_id, tenant_id=condition.tenant_id
            )
            criterion = None
            if condition.criterion:
                criterion = (
                    criteria_in_force(mine, timezone.localdate())
                    .filter(code__endswith=f"-{condition.criterion}")
                    .order_by("-catalogue__effective_from")
                    .first()
                )
            try:
                with transaction.atomic():
                    hazard_register(
                        scope=platform,
                        mine=mine,
                        location=condition.location or mine.name,
                        description=condition.description,
                        source=Hazard.Source.CONDITION,
                        grade=Hazard.Grade.MAJOR if condition.major else Hazard.Grade.GENERAL,
                        criterion=criterion,
                        found_by_name=condition.source[:100] or condition.kind[:100],
                        condition_key=condition.key,
                    )
            except IntegrityError:  # registered meanwhile by a concurrent report of the same key
                return
        elif existing is not None and existing.condition_gone_on is None:
            existing.condition_gone_on = timezone.localdate()
            existing.save(update_fields=["condition_gone_on"])
            _event(existing, step="cond_gone", user=None, before=existing.status)
            audit_record(
                action="hazard_cond_gone", obj=existing, after=snapshot(existing), org_path=existing.mine.path
            )


# --- overdue escalation (督办) ---------------------------------------------------------------------------
def escalation_due(hazard: Hazard, today: datetime.date) -> int:
    """The level an overdue hazard should be at: 1 (the subsidiary) from the day after its
    deadline, 2 (group HQ) from seven days after it."""
    if hazard.deadline is None or hazard.status not in (S.RECTIFYING, S.REGISTERED, S.AWAITING_ACCEPTANCE):
        return 0
    late = (today - hazard.deadline).days
    return 0 if late <= 0 else (1 if late < ESCALATE_TO_HQ_AFTER_DAYS else 2)


ESCALATE_TO_HQ_AFTER_DAYS = 7


def hazard_escalate(*, hazard: Hazard, level: int) -> bool:
    """Raise the hazard's escalation to ``level`` (never lowers); True when it rose."""
    if level <= hazard.escalation:
        return False
    before, snap = hazard.status, snapshot(hazard)
    hazard.escalation = level
    hazard.save(update_fields=["escalation"])
    _event(hazard, step="escalate", user=None, before=before, note=str(level))
    _audit(hazard, "hazard_escalate", snap)
    return True
