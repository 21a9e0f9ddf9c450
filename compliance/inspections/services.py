"""Inspections and spot exams (逢查必考): writes.

Writes take the scope first, check that the scope runs the inspection (``selectors.RUN_FROM``:
``CONDUCT_INSPECTIONS`` at the level the inspection's kind names, over the inspected unit) and
are audited in the same transaction. ``apply_attempt_result`` is an attempt-outcome listener
(registered in ``InspectionsConfig.ready()``): training calls it inside the grading transaction
of every attempt, whoever's scope is active.

A failed spot exam suspends the person from post (下岗): a ``Suspension`` here, and a hold on the
person (``tenants.holds``) that takes them off post; passing the designated clearing paper
clears the suspension and lifts the hold. Nothing else lifts it.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import random
import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance.audit.models import AuditEvent
from compliance.audit.services import PendingEvent, audit_record, audit_record_many, object_type_of
from compliance.training import attempts
from compliance.training.models import Attempt, ExamPaper
from tenants import holds
from tenants.models import OrgUnit, Person
from tenants.scope import Scope, active_scope, dangerously_platform_scope
from tenants.services import snapshot

from .models import AgencySpotCheck, Inspection, SpotCheck, Suspension
from .permissions import CONDUCT_INSPECTIONS
from .selectors import (
    KEY_POSTS,
    MAX_DRAW,
    clearing_paper_for,
    eligible_people,
    open_suspension,
    require_runs,
    runs_inspection,
    spot_papers_for,
)

CODE_TTL = datetime.timedelta(hours=2)
CODE_DIGITS = 6
MAX_CODE_FAILURES = 5  # wrong codes against one spot check before its code is void
INSPECTION_FIELDS = ("kind", "date", "inspectors", "notes")
# The source of the hold a failed spot exam places on the person (tenants.PersonHold).
SPOT_EXAM_HOLD = "inspections.spot_exam"


# --- writes: inspections -----------------------------------------------------------------------------
def _clean_inspection(inspection: Inspection) -> None:
    inspection.inspectors = (inspection.inspectors or "").strip()
    inspection.notes = (inspection.notes or "").strip()
    if not inspection.inspectors:
        raise ValidationError({"inspectors": _("Name at least one inspector.")})
    inspection.full_clean(exclude=["tenant", "leader"])


@transaction.atomic
def create_inspection(*, scope: Scope, org_unit: OrgUnit, user=None, **fields) -> Inspection:
    scope.require(CONDUCT_INSPECTIONS, org_unit)
    inspection = Inspection(
        tenant_id=org_unit.tenant_id,
        org_unit=org_unit,
        leader=user if user is not None and user.is_authenticated else None,
        **{k: v for k, v in fields.items() if k in INSPECTION_FIELDS},
    )
    _clean_inspection(inspection)
    if not runs_inspection(scope, inspection):
        raise ValidationError(
            {
                "kind": _(
                    "This kind of inspection is not run from your unit: a group HQ inspection is run "
                    "from the group HQ, a subsidiary inspection from a subsidiary or above."
                )
            }
        )
    inspection.save()
    audit_record(action="create", obj=inspection, after=snapshot(inspection), org_path=org_unit.path)
    return inspection


def _check_paper(inspection: Inspection, paper: ExamPaper | None) -> ExamPaper:
    if paper is None or paper.pk not in {p.pk for p in spot_papers_for(inspection)}:
        raise ValidationError({"paper": _("Choose an active spot-exam paper of this group.")})
    return paper


def _lock_inspection(inspection: Inspection) -> Inspection:
    # Serialises draws in one inspection so two tablets never draw the same person.
    return Inspection.dangerously_unscoped.select_for_update().get(pk=inspection.pk)


def _create_spot_checks(inspection: Inspection, paper: ExamPaper, people, selection: str) -> list[SpotCheck]:
    checks = []
    for person in people:
        check = SpotCheck(
            tenant_id=inspection.tenant_id,
            inspection=inspection,
            person=person,
            paper=paper,
            selection=selection,
        )
        try:
            with transaction.atomic():
                check.save()
        except IntegrityError as exc:  # drawn meanwhile by another tablet
            raise ValidationError(
                _("%(name)s has already been drawn in this inspection.") % {"name": person.name}
            ) from exc
        checks.append(check)
    audit_record_many(
        [
            PendingEvent(
                action="create",
                obj=c,
                object_repr=f"{inspection.date} · {c.person.name}",
                org_path=inspection.org_unit.path,
                after={
                    "inspection": str(inspection.pk),
                    "person": str(c.person_id),
                    "paper": str(paper.pk),
                    "selection": selection,
                },
            )
            for c in checks
        ]
    )
    return checks


def draw_order(people: list[Person], rng: random.Random) -> list[Person]:
    """Key posts first, each tier in random order."""
    key = [p for p in people if p.post_category in KEY_POSTS]
    rest = [p for p in people if p.post_category not in KEY_POSTS]
    rng.shuffle(key)
    rng.shuffle(rest)
    return key + rest


@transaction.atomic
def draw_people(
    *, scope: Scope, inspection: Inspection, paper: ExamPaper, count: int, rng: random.Random | None = None
) -> list[SpotCheck]:
    """Draw ``count`` people on post under the inspected unit, key posts first, nobody twice."""
    require_runs(scope, inspection)
    _check_paper(inspection, paper)
    if not 1 <= int(count) <= MAX_DRAW:
        raise ValidationError({"count": _("Draw between 1 and %(max)s people.") % {"max": MAX_DRAW}})
    _lock_inspection(inspection)
    candidates = list(eligible_people(inspection))
    if not candidates:
        raise ValidationError(_("Nobody on post under this unit is left to draw."))
    chosen = draw_order(candidates, rng or random.SystemRandom())[: int(count)]
    return _create_spot_checks(inspection, paper, chosen, SpotCheck.Selection.RANDOM)


@transaction.atomic
def pick_people(*, scope: Scope, inspection: Inspection, paper: ExamPaper, people) -> list[SpotCheck]:
    """The inspector names the people: each must be on post under the unit and not yet drawn."""
    require_runs(scope, inspection)
    _check_paper(inspection, paper)
    people = list(people)
    if not people:
        raise ValidationError({"people": _("Pick at least one person.")})
    _lock_inspection(inspection)
    eligible = set(
        eligible_people(inspection).filter(pk__in=[p.pk for p in people]).values_list("pk", flat=True)
    )
    wrong = [p.name for p in people if p.pk not in eligible]
    if wrong:
        raise ValidationError(
            {
                "people": _("Not on post under the inspected unit, or already drawn: %(names)s")
                % {"names": "、".join(wrong)}
            }
        )
    return _create_spot_checks(inspection, paper, people, SpotCheck.Selection.PICKED)


# --- one-time codes ----------------------------------------------------------------------------------
def code_digest(spot_check_id, code: str) -> str:
    """Digest of a code, salted with the spot check's id (the code itself is never stored)."""
    return hashlib.sha256(f"{spot_check_id}:{code}".encode()).hexdigest()


# The two kinds of spot exam a code may start: the group's own and a regulator's (agency-owned).
SPOT_MODELS = (SpotCheck, AgencySpotCheck)


def _active_codes(now, model=SpotCheck) -> QuerySet:
    # The code-entry page is public and the code is all the person types: live codes are looked
    # for across every tenant (callers run this inside the platform scope, so PostgreSQL's
    # row-level security lets it see them). Only the matching spot check leaves this module.
    return model.dangerously_unscoped.filter(code_expires_at__gt=now).exclude(code_digest="")


def new_code(now, *, exclude=None) -> str:
    """A fresh six-digit code, unique among every live code of every group and agency (spot
    exams and re-tests): typed alone on the public page, a code must name one exam."""
    with dangerously_platform_scope():
        live = [
            row
            for model in SPOT_MODELS
            for row in _active_codes(now, model).exclude(pk=exclude).only("pk", "code_digest")
        ]
        retests = list(_live_retest_codes(now).exclude(pk=exclude).only("pk", "retest_code_digest"))
    while True:
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        if not any(_matches(c, code) for c in live) and not any(_retest_matches(r, code) for r in retests):
            return code


def _matches(check: SpotCheck, code: str) -> bool:
    return bool(check.code_digest) and hmac.compare_digest(check.code_digest, code_digest(check.pk, code))


def _attempt_of(check) -> Attempt | None:
    # Read fresh: the spot check in hand may predate its attempt.
    attempt_id = (
        type(check).dangerously_unscoped.filter(pk=check.pk).values_list("attempt_id", flat=True).first()
    )
    return Attempt.dangerously_unscoped.filter(pk=attempt_id).first() if attempt_id else None


def _has_attempt(check) -> bool:
    return type(check).dangerously_unscoped.filter(pk=check.pk, attempt__isnull=False).exists()


@transaction.atomic
def issue_code(*, scope: Scope, spot_check: SpotCheck, now=None) -> str:
    """A new one-time code for the person to type on their phone; any earlier one stops working.
    Returned once, never stored in the clear."""
    require_runs(scope, spot_check.inspection)
    if _has_attempt(spot_check):
        raise ValidationError(_("This spot exam has already been started."))
    now = now or timezone.now()
    code = new_code(now, exclude=spot_check.pk)
    spot_check.code_digest = code_digest(spot_check.pk, code)
    spot_check.code_expires_at = now + CODE_TTL
    spot_check.save(update_fields=["code_digest", "code_expires_at"])
    audit_record(
        action="issue_code",
        obj=spot_check,
        object_repr=spot_check.person.name,
        org_path=spot_check.inspection.org_unit.path,
        after={"expires_at": spot_check.code_expires_at},
    )
    return code


def _void_code(check: SpotCheck) -> None:
    check.code_digest = ""
    check.save(update_fields=["code_digest"])


def code_failures(check) -> int:
    """Wrong codes tried against this spot check's current code (counted on the audit trail)."""
    if check.code_expires_at is None:
        return 0
    issued = check.code_expires_at - CODE_TTL
    return AuditEvent.dangerously_unscoped.filter(
        tenant_id=check.tenant_id,
        object_type=object_type_of(check),
        object_id=str(check.pk),
        action="code_failed",
        created_at__gte=issued,
    ).count()


def redeem_code(*, code: str, spot_check_id=None, now=None) -> SpotCheck | AgencySpotCheck | None:
    """The spot check whose live code this is — and the code is used up — or None. It may be a
    group's spot exam or a regulator's (an ``AgencySpotCheck``): the person types the code alike.

    ``spot_check_id`` comes from the QR code's link: wrong codes then count against that spot
    check, and after MAX_CODE_FAILURES its code is void (the inspector issues a new one).
    Nobody is logged in: the lookup, the use and the audit events run in the platform scope and
    touch only the one spot check the code (or the link) names.
    """
    with dangerously_platform_scope(), transaction.atomic():
        for model in SPOT_MODELS:
            if spot_check_id and not _exists(model, spot_check_id):
                continue  # the link names a spot exam of the other kind
            check = _redeem(model, code=code, spot_check_id=spot_check_id, now=now)
            if check is not None or spot_check_id:
                return check
        return None


def _exists(model, pk) -> bool:
    try:
        return model.dangerously_unscoped.filter(pk=pk).exists()
    except (ValueError, TypeError, ValidationError):
        return False


def _redeem(model, *, code: str, spot_check_id, now):
    now = now or timezone.now()
    code = (code or "").strip()
    candidates = _active_codes(now, model)
    target = None
    if spot_check_id:
        try:
            target = model.dangerously_unscoped.filter(pk=spot_check_id).first()
        except (ValueError, TypeError, ValidationError):
            target = None
        candidates = candidates.filter(pk=target.pk) if target else candidates.none()
    found = None
    if code.isdigit() and len(code) == CODE_DIGITS:
        found = next((c for c in candidates.only("pk", "code_digest") if _matches(c, code)), None)
    if found is None:
        if target is not None and target.code_digest:
            audit_record(action="code_failed", obj=target, object_repr=str(target.pk))
            if code_failures(target) >= MAX_CODE_FAILURES:
                _void_code(target)
                audit_record(action="code_locked", obj=target, object_repr=str(target.pk))
        return None
    check = (
        model.dangerously_unscoped.select_for_update(of=("self",))
        .select_related("person", "person__org_unit", "paper")
        .get(pk=found.pk)
    )
    if not _matches(check, code) or check.code_expires_at <= now or _has_attempt(check):
        return None  # used or replaced a moment ago
    _void_code(check)
    audit_record(
        action="code_used", obj=check, object_repr=check.person.name, org_path=_spot_unit(check).path
    )
    return check


def _spot_unit(check) -> OrgUnit:
    """The unit a spot exam was held at: the group inspection's unit, or the regulator's mine."""
    inspection = check.inspection
    return inspection.mine if isinstance(check, AgencySpotCheck) else inspection.org_unit


def person_scope(person: Person) -> Scope:
    """The scope of the person themself, for a spot exam started from a code on a phone with
    nobody logged in (training's own rule for such attempts)."""
    return attempts.own_scope(person)


@transaction.atomic
def start_spot_attempt(*, spot_check, by_user=None, now=None, rng=None) -> Attempt:
    """Start (or resume) the one attempt of a spot exam: training's attempt, sat on the spot,
    linked from the spot check. Locks the spot check so two devices never start two.

    A regulator's spot exam (``AgencySpotCheck``) is agency-owned: the person's scope reads it but
    may not lock or write it, so its lock and its link to the attempt are taken in the platform
    scope — touching only this one row, named by the code the person has just used."""
    if isinstance(spot_check, AgencySpotCheck):
        with dangerously_platform_scope():
            return _start_spot_attempt(AgencySpotCheck, spot_check, by_user=by_user, now=now, rng=rng)
    return _start_spot_attempt(SpotCheck, spot_check, by_user=by_user, now=now, rng=rng)


def _start_spot_attempt(model, spot_check, *, by_user, now, rng) -> Attempt:
    # By id: the caller was let in to this spot check (its inspector, or its one-time code).
    check = (
        model.dangerously_unscoped.select_for_update(of=("self",))
        .select_related("paper", "person", "person__org_unit")
        .get(pk=spot_check.pk)
    )
    if check.attempt_id is not None:
        done = Attempt.dangerously_unscoped.select_related("paper", "person").get(pk=check.attempt_id)
        return attempts.grade_if_expired(done, now=now)
    attempt = attempts.start_attempt(
        paper=check.paper,
        person=check.person,
        occasion=Attempt.Occasion.SPOT_EXAM,
        by_user=by_user,
        now=now,
        rng=rng,
        audit_extra={"agency_spot_check" if model is AgencySpotCheck else "spot_check": str(check.pk)},
    )
    check.attempt = attempt
    check.save(update_fields=["attempt"])
    spot_check.attempt = attempt
    return attempt


@transaction.atomic
def start_on_device(*, scope: Scope, spot_check: SpotCheck, user) -> Attempt:
    """The inspector starts the person's spot exam on the inspector's own tablet."""
    require_runs(scope, spot_check.inspection)
    existing = _attempt_of(spot_check)
    if existing is not None:
        if existing.status == Attempt.Status.IN_PROGRESS:
            return existing  # resume on the tablet
        raise ValidationError(_("This spot exam has already been taken."))
    if spot_check.code_digest:
        _void_code(spot_check)  # one way in: a code handed out earlier no longer works
    return start_spot_attempt(spot_check=spot_check, by_user=user)


# --- suspension from post (下岗) ----------------------------------------------------------------------
def suspension_reason(spot_check: SpotCheck) -> str:
    inspection = spot_check.inspection
    return _("Failed a spot exam (逢查必考): %(unit)s inspection on %(date)s") % {
        "unit": inspection.org_unit.name,
        "date": inspection.date.isoformat(),
    }


def _outcome_scope(person: Person) -> Scope:
    # The scope that graded the attempt (the person's, an inspector's, the deadline job's
    # platform scope); the person's own if none is active (a direct call from a shell).
    return active_scope() or person_scope(person)


def apply_attempt_result(attempt) -> None:
    """The attempt-outcome listener: called once an attempt is graded, inside the grading
    transaction (training.outcomes).

    A failed spot exam suspends the person from post pending retraining; passing the clearing
    paper of an open suspension lifts it. Idempotent. Runs under whatever scope graded the
    attempt, so it reads by id, unscoped.
    """
    if attempt.passed is None:
        return
    with transaction.atomic():
        person = (
            Person.dangerously_unscoped.select_for_update()
            .select_related("org_unit")
            .get(pk=attempt.person_id)
        )
        check = agency_check = None
        if attempt.occasion == Attempt.Occasion.SPOT_EXAM and not attempt.passed:
            check = (
                SpotCheck.dangerously_unscoped.select_related("inspection", "inspection__org_unit", "paper")
                .filter(attempt_id=attempt.pk)
                .first()
            )
            if check is None:
                agency_check = (
                    AgencySpotCheck.dangerously_unscoped.select_related(
                        "inspection", "inspection__mine", "agency", "paper"
                    )
                    .filter(attempt_id=attempt.pk)
                    .first()
                )
        if check is not None:
            _suspend(attempt, check, person)
        elif agency_check is not None:
            _suspend_by_agency(attempt, agency_check, person)
        elif attempt.passed:
            _clear(attempt, person)


def agency_suspension_reason(check: AgencySpotCheck) -> str:
    inspection = check.inspection
    return _(
        "Failed a spot exam (逢查必考) before the regulator: %(agency)s inspection of %(mine)s on "
        "%(date)s; suspended from post by the regulator's order"
    ) % {
        "agency": check.agency.name,
        "mine": inspection.mine.name,
        "date": inspection.inspected_on.isoformat(),
    }


def _suspend(attempt, check: SpotCheck, person: Person) -> None:
    if Suspension.dangerously_unscoped.filter(spot_check_id=check.pk).exists():
        return  # already applied
    _suspend_person(attempt, person, check.paper, suspension_reason(check), {"spot_check": check})


def _suspend_by_agency(attempt, check: AgencySpotCheck, person: Person) -> None:
    """The regulator's spot exam failed: the person is suspended from post on the agency's order —
    recorded on the suspension (``ordered_by``) and in its audit event, and lifted like any other
    by passing the group's clearing paper."""
    if Suspension.dangerously_unscoped.filter(agency_spot_check_id=check.pk).exists():
        return  # already applied
    links = {"agency_spot_check": check, "ordered_by": check.agency}
    _suspend_person(attempt, person, check.paper, agency_suspension_reason(check), links)


def _suspend_person(attempt, person: Person, paper: ExamPaper, reason: str, links: dict) -> None:
    suspension = open_suspension(person)
    if suspension is None:
        clearing = clearing_paper_for(person, paper)
        suspension = Suspension.dangerously_unscoped.create(
            tenant_id=person.tenant_id,
            person=person,
            reason=reason[:300],
            clearing_paper=clearing,
            started_at=timezone.now(),
            **links,
        )
        clearing.audience_people.add(person)  # the re-test shows among the person's exams
        audit_record(
            action="suspend",
            obj=suspension,
            object_repr=person.name,
            org_path=person.org_unit.path,
            after={
                "person": str(person.pk),
                "reason": suspension.reason,
                **{k: str(v.pk) for k, v in links.items()},
                "attempt": str(attempt.pk),
                "clearing_paper": str(clearing.pk),
            },
        )
    # The hold takes the person off post (tenants sets the status); one per suspension.
    holds.place_hold(
        scope=_outcome_scope(person),
        person=person,
        source=SPOT_EXAM_HOLD,
        reason=suspension.reason,
        reference=suspension,
    )


def _clear(attempt, person: Person) -> None:
    suspension = open_suspension(person)
    if suspension is None or suspension.clearing_paper_id != attempt.paper_id:
        return  # passing any other paper lifts nothing
    suspension.cleared_at = timezone.now()
    suspension.cleared_by_attempt_id = attempt.pk
    suspension.save(update_fields=["cleared_at", "cleared_by_attempt"])
    audit_record(
        action="clear",
        obj=suspension,
        object_repr=person.name,
        org_path=person.org_unit.path,
        after={"person": str(person.pk), "cleared_by_attempt": str(attempt.pk)},
    )
    holds.lift_hold(
        scope=_outcome_scope(person),
        person=person,
        source=SPOT_EXAM_HOLD,
        reference=suspension,
        lift_reason=_("Passed the clearing paper %(paper)s") % {"paper": attempt.paper.title},
    )


# --- the re-test of a suspended person with no login (复考码) ---------------------------------------
def _live_retest_codes(now) -> QuerySet[Suspension]:
    # As _active_codes: the public page looks across tenants (inside the platform scope); only the
    # matching suspension leaves this module.
    return Suspension.dangerously_unscoped.filter(
        cleared_at__isnull=True, retest_code_expires_at__gt=now
    ).exclude(retest_code_digest="")


def _retest_matches(suspension: Suspension, code: str) -> bool:
    return bool(suspension.retest_code_digest) and hmac.compare_digest(
        suspension.retest_code_digest, code_digest(suspension.pk, code)
    )


@transaction.atomic
def issue_retest_code(*, scope: Scope, suspension: Suspension, now=None) -> str:
    """A one-time code with which the suspended person starts the re-test on a phone with nobody
    logged in (the spot-exam page). Issued by whoever runs inspections over the person's unit
    (the mine's safety manager, the inspection team); any earlier code stops working."""
    scope.require(CONDUCT_INSPECTIONS, suspension.person.org_unit)
    if suspension.cleared_at is not None:
        raise ValidationError(_("This suspension has already been lifted."))
    now = now or timezone.now()
    code = new_code(now, exclude=suspension.pk)
    suspension.retest_code_digest = code_digest(suspension.pk, code)
    suspension.retest_code_expires_at = now + CODE_TTL
    suspension.save(update_fields=["retest_code_digest", "retest_code_expires_at"])
    audit_record(
        action="retest_code",
        obj=suspension,
        object_repr=suspension.person.name,
        org_path=suspension.person.org_unit.path,
        after={"expires_at": suspension.retest_code_expires_at},
    )
    return code


def redeem_retest_code(*, code: str, now=None) -> Suspension | None:
    """The open suspension whose live re-test code this is — and the code is used up — or None.
    Nobody is logged in: runs in the platform scope and touches only the one suspension."""
    now = now or timezone.now()
    code = (code or "").strip()
    if not (code.isdigit() and len(code) == CODE_DIGITS):
        return None
    with dangerously_platform_scope(), transaction.atomic():
        found = next(
            (s for s in _live_retest_codes(now).only("pk", "retest_code_digest") if _retest_matches(s, code)),
            None,
        )
        if found is None:
            return None
        suspension = (
            Suspension.dangerously_unscoped.select_for_update(of=("self",))
            .select_related("person", "person__org_unit", "clearing_paper")
            .get(pk=found.pk)
        )
        if not _retest_matches(suspension, code) or suspension.cleared_at is not None:
            return None
        suspension.retest_code_digest = ""
        suspension.save(update_fields=["retest_code_digest"])
        audit_record(
            action="retest_used",
            obj=suspension,
            object_repr=suspension.person.name,
            org_path=suspension.person.org_unit.path,
        )
        return suspension


@transaction.atomic
def start_retest_attempt(*, suspension: Suspension, now=None, rng=None) -> Attempt:
    """Start (or resume) the re-test of a suspension from a used re-test code: training's attempt
    at the clearing paper, for the re-test occasion; passing it lifts the suspension (the
    attempt-outcome listener above)."""
    running = (
        Attempt.dangerously_unscoped.filter(
            tenant_id=suspension.tenant_id,
            person_id=suspension.person_id,
            paper_id=suspension.clearing_paper_id,
            occasion=Attempt.Occasion.RETEST,
            status=Attempt.Status.IN_PROGRESS,
        )
        .select_related("paper", "person")
        .first()
    )
    if running is not None:
        running = attempts.grade_if_expired(running, now=now)
        if running.status == Attempt.Status.IN_PROGRESS:
            return running
    return attempts.start_attempt(
        paper=suspension.clearing_paper,
        person=suspension.person,
        occasion=Attempt.Occasion.RETEST,
        now=now,
        rng=rng,
        audit_extra={"suspension": str(suspension.pk)},
    )
