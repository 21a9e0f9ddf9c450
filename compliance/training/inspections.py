"""Inspections and spot exams (逢查必考): reads and writes.

An inspection team visits an org unit (usually a mine), draws people on post there — key posts
first — or picks them, and each takes a short spot-exam paper on the inspector's tablet or on
their own phone with a one-time code. A failed spot exam suspends the person from post (下岗)
until they pass the designated clearing paper; nothing else lifts it.

Writes take the scope first, check that the scope runs the inspection (``RUN_FROM``:
``CONDUCT_INSPECTIONS`` at the level the inspection's kind names, over the inspected unit) and
are audited in the same transaction. ``apply_attempt_result`` runs inside the grading transaction
of ``training.attempts`` (via ``training.outcomes``), whoever's scope is active.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import random
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance.access import access_or_404
from compliance.audit.models import AuditEvent
from compliance.audit.services import PendingEvent, audit_record, audit_record_many
from tenants import roles
from tenants.models import OrgUnit, Person
from tenants.scope import Grant, Scope, dangerously_platform_scope
from tenants.services import snapshot

from .models import Attempt, ExamPaper, Inspection, SpotCheck, Suspension

CODE_TTL = datetime.timedelta(hours=2)
CODE_DIGITS = 6
MAX_CODE_FAILURES = 5  # wrong codes against one spot check before its code is void
MAX_DRAW = 50
# Key posts are drawn first (random among them), then everybody else (DOMAIN.md).
KEY_POSTS = (
    Person.PostCategory.PRINCIPAL,
    Person.PostCategory.SAFETY_MANAGEMENT,
    Person.PostCategory.SPECIAL_OPERATION,
)

INSPECTION_FIELDS = ("kind", "date", "inspectors", "notes")

# Who runs an inspection: the level its kind names. A group HQ inspection is run from the group
# HQ, a subsidiary's from the subsidiary (or above), a mine's own from the mine (or above). The
# inspected mine's own safety staff hold CONDUCT_INSPECTIONS over their mine too, but an HQ
# inspection of that mine — its draws, codes and spot-exam attempts — is not theirs to touch.
RUN_FROM = {
    Inspection.Kind.GROUP_HQ: frozenset({OrgUnit.Kind.HQ}),
    Inspection.Kind.SUBSIDIARY: frozenset({OrgUnit.Kind.HQ, OrgUnit.Kind.SUBSIDIARY}),
    Inspection.Kind.MINE_INTERNAL: frozenset({OrgUnit.Kind.HQ, OrgUnit.Kind.SUBSIDIARY, OrgUnit.Kind.MINE}),
}


def worker_only(scope: Scope) -> bool:
    """Whether the scope reads only its own records: inspections name colleagues, so no."""
    return bool(scope.grants) and all(roles.SELF_ONLY in roles.perms_of(g.role) for g in scope.grants)


# --- who runs an inspection ----------------------------------------------------------------------
def _conduct_grants(scope: Scope) -> list[tuple[Grant, str]]:
    """The scope's grants that carry CONDUCT_INSPECTIONS, each with the kind of its unit (one
    query, none for a scope without such a grant)."""
    if scope.read_only:
        return []
    grants = [
        g for g in scope.grants if g.region is None and roles.CONDUCT_INSPECTIONS in roles.perms_of(g.role)
    ]
    if not grants:
        return []
    # The units the scope's own memberships were granted at, looked up by their paths. Safe
    # unscoped: the filter names only the tenants and paths of this scope's own grants, and only
    # those units' kinds are read.
    kinds = {
        (tenant_id, path): kind
        for tenant_id, path, kind in OrgUnit.dangerously_unscoped.filter(
            tenant_id__in={g.tenant_id for g in grants}, path__in={g.path for g in grants}
        ).values_list("tenant_id", "path", "kind")
    }
    return [(g, kinds[(g.tenant_id, g.path)]) for g in grants if (g.tenant_id, g.path) in kinds]


def runs_inspection(scope: Scope, inspection: Inspection) -> bool:
    """Whether ``scope`` runs ``inspection`` (see RUN_FROM): draws, picks, issues codes, starts
    spot exams on a tablet and works on their attempts."""
    if scope.is_platform:
        return True
    run_from = RUN_FROM.get(inspection.kind, frozenset())
    path = inspection.org_unit.path
    return any(
        grant.tenant_id == inspection.tenant_id and grant.covers(path) and kind in run_from
        for grant, kind in _conduct_grants(scope)
    )


def require_runs(scope: Scope, inspection: Inspection) -> None:
    if not runs_inspection(scope, inspection):
        raise PermissionDenied(roles.CONDUCT_INSPECTIONS)


def runs_condition(scope: Scope, prefix: str = "") -> Q:
    """The inspections ``scope`` runs, as a condition on Inspection — or, with ``prefix`` (e.g.
    ``"spot_check__inspection__"``), on a row that leads to one. Matches nothing for a scope
    that runs none."""
    condition = Q(pk__in=[])
    for grant, unit_kind in _conduct_grants(scope):
        kinds = [kind for kind, run_from in RUN_FROM.items() if unit_kind in run_from]
        if kinds:
            condition |= Q(
                **{
                    f"{prefix}tenant_id": grant.tenant_id,
                    f"{prefix}org_unit__path__startswith": grant.path,
                    f"{prefix}kind__in": kinds,
                }
            )
    return condition


# --- reads ------------------------------------------------------------------------------------------
def inspection_list(
    *,
    scope: Scope,
    org_unit: OrgUnit | None = None,
    kind: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[Inspection]:
    """Inspections in the scope with their spot-exam tallies, in one query."""
    qs = scope.filter_queryset(Inspection.objects.select_related("org_unit", "tenant", "leader")).annotate(
        spot_total=Count("spot_checks", distinct=True),
        spot_graded=Count("spot_checks", filter=Q(spot_checks__attempt__passed__isnull=False), distinct=True),
        spot_passed=Count("spot_checks", filter=Q(spot_checks__attempt__passed=True), distinct=True),
        spot_failed=Count("spot_checks", filter=Q(spot_checks__attempt__passed=False), distinct=True),
    )
    if org_unit is not None:
        # The inspections of a mine: at the mine, under it, or of a unit above it (it was visited).
        qs = qs.filter(tenant_id=org_unit.tenant_id, org_unit__path__startswith=org_unit.path)
    if kind:
        qs = qs.filter(kind=kind)
    if date_from:
        qs = qs.filter(date__gte=date_from)
    if date_to:
        qs = qs.filter(date__lte=date_to)
    return qs.order_by("-date", "-created_at")


def access_inspection(scope: Scope, pk) -> Inspection:
    return access_or_404(scope, Inspection.objects.select_related("org_unit", "tenant", "leader"), pk)


def access_spot_check(scope: Scope, pk) -> SpotCheck:
    return access_or_404(
        scope, SpotCheck.objects.select_related("inspection", "inspection__org_unit", "person", "paper"), pk
    )


def spot_checks_of(inspection: Inspection) -> QuerySet[SpotCheck]:
    """Everyone drawn in an inspection with their paper and result (one query)."""
    return (
        SpotCheck.objects.filter(inspection=inspection)
        .select_related("person", "person__org_unit", "paper", "attempt")
        .order_by("created_at", "person__employee_no")
    )


def spot_papers_for(inspection_or_unit) -> list[ExamPaper]:
    """Active spot-exam papers usable at a unit: the group's papers made at the unit, above it
    (e.g. by the group HQ) or under it."""
    unit = getattr(inspection_or_unit, "org_unit", inspection_or_unit)
    # A paper made at the group HQ applies to the mines below it, though a mine-level inspector's
    # scope does not cover the HQ itself: look across this one tenant and keep only papers on the
    # unit's own line of the tree (its ancestors or its subtree).
    papers = ExamPaper.dangerously_unscoped.filter(
        tenant_id=unit.tenant_id, is_spot_exam=True, is_active=True
    ).select_related("org_unit")
    return [
        p
        for p in papers.order_by("title")
        if unit.path.startswith(p.org_unit.path) or p.org_unit.path.startswith(unit.path)
    ]


def eligible_people(inspection: Inspection) -> QuerySet[Person]:
    """People on post under the inspected unit who have not been drawn in this inspection yet."""
    drawn = SpotCheck.dangerously_unscoped.filter(inspection=inspection, person=OuterRef("pk"))
    # The inspector holds CONDUCT_INSPECTIONS over the unit (checked by every caller that writes):
    # the people under it are theirs to test.
    return (
        Person.dangerously_unscoped.filter(
            tenant_id=inspection.tenant_id,
            org_unit__path__startswith=inspection.org_unit.path,
            status=Person.Status.ON_POST,
        )
        .exclude(Exists(drawn))
        .select_related("org_unit")
        .order_by("employee_no")
    )


# --- writes: inspections -----------------------------------------------------------------------------
def _clean_inspection(inspection: Inspection) -> None:
    inspection.inspectors = (inspection.inspectors or "").strip()
    inspection.notes = (inspection.notes or "").strip()
    if not inspection.inspectors:
        raise ValidationError({"inspectors": _("Name at least one inspector.")})
    inspection.full_clean(exclude=["tenant", "leader"])


@transaction.atomic
def create_inspection(*, scope: Scope, org_unit: OrgUnit, user=None, **fields) -> Inspection:
    scope.require(roles.CONDUCT_INSPECTIONS, org_unit)
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


def _active_codes(now) -> QuerySet[SpotCheck]:
    # The code-entry page is public and the code is all the person types: live codes are looked
    # for across every tenant (callers run this inside the platform scope, so PostgreSQL's
    # row-level security lets it see them). Only the matching spot check leaves this module.
    return SpotCheck.dangerously_unscoped.filter(code_expires_at__gt=now).exclude(code_digest="")


def _matches(check: SpotCheck, code: str) -> bool:
    return bool(check.code_digest) and hmac.compare_digest(check.code_digest, code_digest(check.pk, code))


def _has_attempt(check: SpotCheck) -> bool:
    return Attempt.dangerously_unscoped.filter(spot_check_id=check.pk).exists()


@transaction.atomic
def issue_code(*, scope: Scope, spot_check: SpotCheck, now=None) -> str:
    """A new one-time code for the person to type on their phone; any earlier one stops working.
    Returned once, never stored in the clear."""
    require_runs(scope, spot_check.inspection)
    if _has_attempt(spot_check):
        raise ValidationError(_("This spot exam has already been started."))
    now = now or timezone.now()
    with dangerously_platform_scope():  # a code must be unique among the live codes of all groups
        live = list(_active_codes(now).exclude(pk=spot_check.pk).only("pk", "code_digest"))
    while True:
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        if not any(_matches(other, code) for other in live):  # typed alone, a code must be unique
            break
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


def code_failures(check: SpotCheck) -> int:
    """Wrong codes tried against this spot check's current code (counted on the audit trail)."""
    if check.code_expires_at is None:
        return 0
    issued = check.code_expires_at - CODE_TTL
    return AuditEvent.dangerously_unscoped.filter(
        tenant_id=check.tenant_id,
        object_type=SpotCheck._meta.label,
        object_id=str(check.pk),
        action="code_failed",
        created_at__gte=issued,
    ).count()


def redeem_code(*, code: str, spot_check_id=None, now=None) -> SpotCheck | None:
    """The spot check whose live code this is — and the code is used up — or None.

    ``spot_check_id`` comes from the QR code's link: wrong codes then count against that spot
    check, and after MAX_CODE_FAILURES its code is void (the inspector issues a new one).
    Nobody is logged in: the lookup, the use and the audit events run in the platform scope and
    touch only the one spot check the code (or the link) names.
    """
    with dangerously_platform_scope(), transaction.atomic():
        return _redeem(code=code, spot_check_id=spot_check_id, now=now)


def _redeem(*, code: str, spot_check_id, now) -> SpotCheck | None:
    now = now or timezone.now()
    code = (code or "").strip()
    candidates = _active_codes(now)
    target = None
    if spot_check_id:
        try:
            target = SpotCheck.dangerously_unscoped.filter(pk=spot_check_id).first()
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
        SpotCheck.dangerously_unscoped.select_for_update()
        .select_related("inspection", "inspection__org_unit", "person", "person__org_unit", "paper")
        .get(pk=found.pk)
    )
    if not _matches(check, code) or check.code_expires_at <= now or _has_attempt(check):
        return None  # used or replaced a moment ago
    _void_code(check)
    audit_record(
        action="code_used", obj=check, object_repr=check.person.name, org_path=check.inspection.org_unit.path
    )
    return check


def person_scope(person: Person) -> Scope:
    """The scope of the person themself (as a worker seeing only their own records), for a spot
    exam started from a code on a phone with nobody logged in."""
    from tenants.scope import Grant

    return Scope(
        kind="tenant",
        grants=(Grant(person.tenant_id, person.org_unit.path, roles.WORKER),),
        user_id=person.user_id,
        person_id=person.pk,
    )


def start_spot_attempt(*, spot_check: SpotCheck, by_user=None) -> Attempt:
    from . import attempts

    return attempts.start_attempt(
        paper=spot_check.paper, person=spot_check.person, spot_check=spot_check, by_user=by_user
    )


@transaction.atomic
def start_on_device(*, scope: Scope, spot_check: SpotCheck, user) -> Attempt:
    """The inspector starts the person's spot exam on the inspector's own tablet."""
    require_runs(scope, spot_check.inspection)
    existing = Attempt.dangerously_unscoped.filter(spot_check_id=spot_check.pk).first()
    if existing is not None:
        if existing.status == Attempt.Status.IN_PROGRESS:
            return existing  # resume on the tablet
        raise ValidationError(_("This spot exam has already been taken."))
    if spot_check.code_digest:
        _void_code(spot_check)  # one way in: a code handed out earlier no longer works
    return start_spot_attempt(spot_check=spot_check, by_user=user)


# --- suspension from post (下岗) ----------------------------------------------------------------------
def _fits_audience(paper: ExamPaper, person: Person) -> bool:
    if person.post_category in (paper.audience_post_categories or []):
        return True
    return any(person.org_unit.path.startswith(u.path) for u in paper.audience_units.all())


def clearing_paper_for(person: Person, spot_paper: ExamPaper) -> ExamPaper:
    """An active paper of the group that clears a suspension — one meant for this person if
    there is one — else the spot paper itself."""
    papers = list(
        ExamPaper.dangerously_unscoped.filter(
            tenant_id=person.tenant_id, clears_suspension=True, is_active=True
        ).prefetch_related("audience_units")
    )
    papers.sort(key=lambda p: p.created_at)
    for paper in papers:
        if _fits_audience(paper, person):
            return paper
    return papers[0] if papers else spot_paper


def suspension_reason(spot_check: SpotCheck) -> str:
    inspection = spot_check.inspection
    return _("Failed a spot exam (逢查必考): %(unit)s inspection on %(date)s") % {
        "unit": inspection.org_unit.name,
        "date": inspection.date.isoformat(),
    }


def open_suspension(person: Person) -> Suspension | None:
    return Suspension.dangerously_unscoped.filter(person_id=person.pk, cleared_at__isnull=True).first()


def apply_attempt_result(attempt) -> None:
    """Called once an attempt is graded, inside the grading transaction (training.outcomes).

    A failed spot exam suspends the person from post pending retraining; passing the clearing
    paper of an open suspension lifts it. Idempotent. Runs under whatever scope graded the
    attempt (the person's, an inspector's, the deadline job's), so it reads by id, unscoped.
    """
    if attempt.passed is None:
        return
    with transaction.atomic():
        person = (
            Person.dangerously_unscoped.select_for_update()
            .select_related("org_unit")
            .get(pk=attempt.person_id)
        )
        if attempt.spot_check_id and not attempt.passed:
            _suspend(attempt, person)
        elif attempt.passed:
            _clear(attempt, person)


def _suspend(attempt, person: Person) -> None:
    check = SpotCheck.dangerously_unscoped.select_related("inspection", "inspection__org_unit", "paper").get(
        pk=attempt.spot_check_id
    )
    if Suspension.dangerously_unscoped.filter(spot_check_id=check.pk).exists():
        return  # already applied
    reason = suspension_reason(check)
    if open_suspension(person) is None:
        clearing = clearing_paper_for(person, check.paper)
        suspension = Suspension.dangerously_unscoped.create(
            tenant_id=person.tenant_id,
            person=person,
            reason=reason[:300],
            spot_check=check,
            clearing_paper=clearing,
            started_at=timezone.now(),
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
                "spot_check": str(check.pk),
                "attempt": str(attempt.pk),
                "clearing_paper": str(clearing.pk),
            },
        )
    before = snapshot(person)
    person.status = Person.Status.SUSPENDED
    person.status_reason = reason[:200]
    person.save(update_fields=["status", "status_reason", "updated_at"])
    audit_record(action="update", obj=person, before=before, after=snapshot(person))


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
    if person.status == Person.Status.SUSPENDED:
        before = snapshot(person)
        person.status = Person.Status.ON_POST
        person.status_reason = ""
        person.save(update_fields=["status", "status_reason", "updated_at"])
        audit_record(action="update", obj=person, before=before, after=snapshot(person))


def check_manual_status_change(person: Person, new_status: str) -> None:
    """A person with an open suspension goes back on post only by passing the clearing paper
    (tenants.services.person_update calls this before saving an edit)."""
    if new_status == Person.Status.ON_POST and person.pk and open_suspension(person) is not None:
        raise ValidationError(
            {
                "status": _(
                    "Suspended from post after a failed spot exam: only passing the designated "
                    "paper puts this person back on post."
                )
            }
        )
