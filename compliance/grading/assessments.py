"""Self-assessments (安全生产标准化自评) and their HQ review: reads and writes.

A mine's safety manager starts an assessment against the standard version in force for the
mine's type, scores every item by deductions (扣分, each with its reason, location and evidence)
or marks it not applicable (缺项) with a reason, and submits it. The group HQ starts the review,
may adjust item scores (both figures are kept), and approves — which freezes the total, level and
deciding rule on the approval date and awards the grade — or returns it to the mine.

Several people may score one assessment at once: an item save names the ``row_version`` it was
based on and a save based on an older one is refused (``StaleItemSave``) with who saved it and
when; the caller keeps the user's input and shows it again. Every write is audited in its own
transaction; an item save is audited compactly (deductions as points and reasons).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance.access import access_or_404, first_or_404
from compliance.audit.services import audit_record
from compliance.files import validate_upload
from compliance.grading import permissions as grading_perms
from compliance.reports import evidence as stored_evidence
from tenants.models import OrgUnit
from tenants.scope import Scope

from . import evidence as evidence_files
from .models import Assessment, Deduction, Item, ItemScore, Standard, StandardVersion

EVIDENCE_KINDS = ("png", "jpeg", "pdf")
MAX_DEDUCTIONS = 50
OPEN = (Assessment.Status.DRAFT, Assessment.Status.SUBMITTED, Assessment.Status.UNDER_REVIEW)


def evidence_max_bytes() -> int:
    return settings.GRADING_EVIDENCE_MAX_BYTES


class StaleItemSave(Exception):
    """An item save based on a row version someone else has replaced. Nothing was stored."""

    def __init__(self, item_score: ItemScore):
        self.item_score = item_score
        who = item_score.updated_by.get_username() if item_score.updated_by else _("someone")
        when = timezone.localtime(item_score.updated_at) if item_score.updated_at else None
        self.message = _(
            "%(who)s saved this item at %(when)s after you opened it. Your input was not saved; it is "
            "shown again below. Check the saved figures and save again to replace them."
        ) % {"who": who, "when": when.strftime("%Y-%m-%d %H:%M:%S") if when else "—"}
        super().__init__(self.message)


class WrongState(Exception):
    """The assessment is not in a state that allows this (e.g. scoring a submitted one)."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


# --- reads ------------------------------------------------------------------------------------------
def returned_ids(*, scope: Scope) -> list:
    """The drafts in the scope that HQ returned to the mine (a draft with a ``return_to_mine``
    event), in two queries: the drafts, then the return events of those drafts only."""
    from compliance.audit.models import AuditEvent

    drafts = [
        str(pk)
        for pk in scope.filter_queryset(
            Assessment.objects.filter(status=Assessment.Status.DRAFT)
        ).values_list("pk", flat=True)
    ]
    if not drafts:
        return []
    # The trail of drafts the scope already reads (their ids and tenants in the filter): a safety
    # manager sees whether their own assessment came back without reading the audit trail.
    returned = set(
        AuditEvent.dangerously_unscoped.filter(
            tenant_id__in=scope.tenant_ids,
            object_type=Assessment._meta.label,
            action="return_to_mine",
            object_id__in=drafts,
        ).values_list("object_id", flat=True)
    )
    return [pk for pk in drafts if pk in returned]


def assessment_list(
    *, scope: Scope, status: str = "", mine: OrgUnit | None = None, returned: bool = False
) -> QuerySet[Assessment]:
    """Assessments in the scope with their progress (items scored of all), in one query (three
    with ``returned``: only drafts HQ returned to the mine)."""
    qs = scope.filter_queryset(
        Assessment.objects.select_related("mine", "version", "version__standard", "created_by", "reviewer")
    ).annotate(
        item_count=Count("item_scores"),
        touched_count=Count("item_scores", filter=Q(item_scores__row_version__gt=0)),
    )
    if status:
        qs = qs.filter(status=status)
    if mine is not None:
        qs = qs.filter(tenant_id=mine.tenant_id, mine__path__startswith=mine.path)
    if returned:
        qs = qs.filter(pk__in=returned_ids(scope=scope))
    return qs.order_by("-created_at")


def access_assessment(scope: Scope, pk) -> Assessment:
    return access_or_404(
        scope,
        Assessment.objects.select_related(
            "mine", "mine__mine_profile", "version", "version__standard", "created_by", "reviewer"
        ),
        pk,
    )


def access_deduction(scope: Scope, assessment: Assessment, pk) -> Deduction:
    return access_or_404(
        scope, Deduction.objects.select_related("item_score"), pk, item_score__assessment=assessment
    )


def item_of(assessment: Assessment, item_id) -> Item:
    """An item of the assessment's standard version (404 for any other)."""
    # Items are not tenant rows: the version of an assessment already fetched in scope is the rule.
    return first_or_404(Item.objects.select_related("part"), pk=item_id, version_id=assessment.version_id)


def item_score_of(assessment: Assessment, item: Item) -> ItemScore:
    return first_or_404(
        ItemScore.objects.select_related("updated_by").prefetch_related("deductions"),
        assessment=assessment,
        item=item,
    )


def in_force(version: StandardVersion, on_date: datetime.date) -> bool:
    return version.effective_from <= on_date and (
        version.effective_to is None or version.effective_to >= on_date
    )


def mine_type_of(mine: OrgUnit) -> str:
    profile = getattr(mine, "mine_profile", None)
    return profile.mine_type if profile is not None else ""


def versions_for_tenant(tenant_id, on_date: datetime.date) -> QuerySet[StandardVersion]:
    """Versions in force on ``on_date``: national ones and the group's own."""
    return (
        StandardVersion.objects.select_related("standard")
        .filter(Q(standard__owner_tenant__isnull=True) | Q(standard__owner_tenant_id=tenant_id))
        .filter(effective_from__lte=on_date)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on_date))
        .order_by("standard__code", "-effective_from")
    )


def startable_mines(scope: Scope) -> list[OrgUnit]:
    """Mines where the scope may start an assessment."""
    from tenants.selectors import writable_units

    return list(
        writable_units(
            scope=scope, perm=grading_perms.MANAGE_GRADING, kinds=[OrgUnit.Kind.MINE]
        ).select_related("mine_profile")
    )


def open_assessment(mine: OrgUnit, version: StandardVersion) -> Assessment | None:
    return (
        # Whether the mine (already fetched in scope) has an open assessment of this version; its
        # tenant is in the filter.
        Assessment.dangerously_unscoped.filter(
            tenant_id=mine.tenant_id, mine=mine, version=version, status__in=OPEN
        )
        # Uniqueness is checked across the one tenant of the mine, whatever the caller sees of it.
        .first()
    )


# --- writes -----------------------------------------------------------------------------------------
def _require(scope: Scope, perm: str, assessment: Assessment) -> None:
    scope.require(perm, assessment.mine)


def _lock(assessment: Assessment) -> Assessment:
    # Serialises state changes of one assessment (submit against a save, two approvals).
    locked = Assessment.dangerously_unscoped.select_for_update().get(pk=assessment.pk)
    assessment.status = locked.status
    return assessment


def _need(assessment: Assessment, *states) -> None:
    if assessment.status not in states:
        raise WrongState(
            _("This assessment is %(status)s: it cannot be changed this way now.")
            % {"status": assessment.get_status_display()}
        )


@transaction.atomic
def start(*, scope: Scope, mine: OrgUnit, version: StandardVersion, actor, on_date=None) -> Assessment:
    """Start a self-assessment of ``mine`` with one unscored item row per item of ``version``."""
    scope.require(grading_perms.MANAGE_GRADING, mine)
    on_date = on_date or timezone.localdate()
    if mine.kind != OrgUnit.Kind.MINE:
        raise ValidationError({"mine": _("Choose a mine.")})
    standard: Standard = version.standard
    if standard.owner_tenant_id not in (None, mine.tenant_id):
        raise Http404
    mine_type = mine_type_of(mine)
    if mine_type not in (standard.mine_types or []):
        raise ValidationError(
            {
                "standard_version": _("%(standard)s does not apply to this mine's type (%(type)s).")
                % {"standard": standard.name, "type": mine_type or _("not set")}
            }
        )
    if not in_force(version, on_date):
        raise ValidationError(
            {
                "standard_version": _("%(version)s is not in force on %(date)s.")
                % {"version": str(version), "date": on_date.isoformat()}
            }
        )
    if open_assessment(mine, version) is not None:
        raise ValidationError(
            {
                "standard_version": _(
                    "This mine already has an open assessment against this version; continue that one."
                )
            }
        )
    assessment = Assessment(
        tenant_id=mine.tenant_id, mine=mine, version=version, assessed_on=on_date, created_by=actor
    )
    assessment.save()
    item_ids = list(Item.objects.filter(version=version).values_list("pk", flat=True))
    ItemScore.objects.bulk_create(
        [ItemScore(tenant_id=mine.tenant_id, assessment=assessment, item_id=pk) for pk in item_ids],
        batch_size=500,
    )
    audit_record(
        action="create",
        obj=assessment,
        org_path=mine.path,
        after={"mine": str(mine.pk), "version": str(version), "items": len(item_ids), "assessed_on": on_date},
    )
    return assessment


@dataclass
class DeductionInput:
    points: object
    reason: str
    location: str = ""
    evidence: object | None = None  # an uploaded file
    keep: object | None = None  # the id of an existing deduction whose evidence stays


def _as_input(row) -> DeductionInput:
    if isinstance(row, DeductionInput):
        return row
    return DeductionInput(
        points=row.get("points"),
        reason=row.get("reason") or "",
        location=row.get("location") or "",
        evidence=row.get("evidence"),
        keep=row.get("keep"),
    )


def _points(value) -> Decimal | None:
    try:
        points = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        return None
    if not points.is_finite():
        return None
    return points


def validate_item(
    item: Item, *, deductions, not_applicable: bool, reason: str
) -> tuple[list[DeductionInput], dict[str, list[str]]]:
    """Check an item's input; return the clean deductions and errors by field (``deductions.<n>.<f>``)."""
    rows = [_as_input(r) for r in deductions]
    errors: dict[str, list[str]] = {}
    reason = (reason or "").strip()
    if not_applicable:
        if rows:
            errors.setdefault("deductions", []).append(_("A not-applicable item has no deductions."))
        if not reason:
            message = (
                _("A veto item may be marked not applicable only with a reason.")
                if item.is_veto
                else _("Say why the item does not apply.")
            )
            errors.setdefault("reason", []).append(message)
        return rows, errors
    if len(rows) > MAX_DEDUCTIONS:
        errors.setdefault("deductions", []).append(
            _("At most %(n)s deductions per item.") % {"n": MAX_DEDUCTIONS}
        )
    total = Decimal(0)
    for n, row in enumerate(rows):
        points = _points(row.points)
        if points is None:
            errors.setdefault(f"deductions.{n}.points", []).append(
                _("Enter the points deducted as a number.")
            )
        elif points <= 0:
            errors.setdefault(f"deductions.{n}.points", []).append(_("Points deducted must be more than 0."))
        elif points != points.quantize(Decimal("0.01")):
            errors.setdefault(f"deductions.{n}.points", []).append(_("Use at most two decimal places."))
        else:
            row.points = points
            total += points
        row.reason = (row.reason or "").strip()
        row.location = (row.location or "").strip()
        if not row.reason:
            errors.setdefault(f"deductions.{n}.reason", []).append(_("Give the reason for the deduction."))
        if len(row.location) > 200:
            errors.setdefault(f"deductions.{n}.location", []).append(_("At most 200 characters."))
        if row.evidence:
            try:
                validate_upload(row.evidence, kinds=EVIDENCE_KINDS, max_bytes=evidence_max_bytes())
            except ValidationError as exc:
                errors.setdefault(f"deductions.{n}.evidence", []).extend(exc.messages)
    if total > item.max_points:
        errors.setdefault("deductions", []).append(
            _("Deductions total %(total)s, more than the item's maximum of %(max)s.")
            % {"total": f"{total.normalize():f}", "max": f"{item.max_points.normalize():f}"}
        )
    return rows, errors


def evidence_open(deduction: Deduction):
    """The deduction's stored evidence file, open for reading (the caller closes it), or None."""
    return stored_evidence.open_stored(deduction.evidence) if deduction.evidence else None


def _summary(score: ItemScore, deductions) -> dict:
    return {
        "not_applicable": score.not_applicable,
        "reason": score.reason,
        "deducted": score.deducted,
        "deductions": [[d.points, d.reason] for d in deductions],
        "row_version": score.row_version,
    }


@transaction.atomic
def save_item(
    *,
    scope: Scope,
    assessment: Assessment,
    item: Item,
    deductions=(),
    not_applicable: bool = False,
    reason: str = "",
    based_on_version: int | None,
    actor,
) -> ItemScore:
    """Replace an item's scoring with ``deductions`` (or not applicable with ``reason``).

    ``based_on_version`` is the row version the user's page or client showed; another number means
    someone saved in between: ``StaleItemSave``, nothing stored. ``None`` (the API without a
    ``row_version``) saves over whatever is there."""
    _require(scope, grading_perms.MANAGE_GRADING, assessment)
    _lock(assessment)
    _need(assessment, Assessment.Status.DRAFT)
    if item.version_id != assessment.version_id:
        raise Http404
    score = first_or_404(ItemScore.objects.select_for_update(), assessment=assessment, item=item)
    if based_on_version is not None and int(based_on_version) != score.row_version:
        # Re-read with who saved it, outside the lock's row (already ours).
        score = ItemScore.objects.select_related("updated_by").get(pk=score.pk)
        raise StaleItemSave(score)
    rows, errors = validate_item(item, deductions=deductions, not_applicable=not_applicable, reason=reason)
    if errors:
        raise ValidationError(errors)
    old = list(score.deductions.all())
    before = _summary(score, old)
    kept_evidence = {str(d.pk): (d.evidence, d.evidence_name) for d in old if d.evidence}
    # A row the page showed (its ``keep`` names it) is the same finding saved again: it stays the
    # one who recorded it, and when, however many people save the item after.
    recorded = {str(d.pk): d for d in old}
    score.deductions.all().delete()
    new, kept = [], []
    for position, row in enumerate(rows if not not_applicable else []):
        evidence, name = "", ""
        if row.evidence:
            evidence, name = evidence_files.store(assessment.tenant_id, assessment.pk, row.evidence)
        elif row.keep and str(row.keep) in kept_evidence:
            evidence, name = kept_evidence[str(row.keep)]
        first = recorded.get(str(row.keep)) if row.keep else None
        new.append(
            Deduction(
                tenant_id=assessment.tenant_id,
                item_score=score,
                points=row.points,
                reason=row.reason,
                location=row.location,
                evidence=evidence,
                evidence_name=name,
                created_by_id=first.created_by_id if first else actor.pk,
                position=position,
            )
        )
        if first:
            kept.append((new[-1], first.created_at))
    Deduction.objects.bulk_create(new)
    if kept:
        # ``created_at`` is set on every insert (auto_now_add); put the first recording back.
        for deduction, created_at in kept:
            deduction.created_at = created_at
        Deduction.objects.bulk_update([d for d, _at in kept], ["created_at"])
    reused = {d.evidence for d in new if d.evidence}
    dropped = [d for d in old if d.evidence and d.evidence not in reused]
    if dropped:
        transaction.on_commit(lambda: stored_evidence.remove(d.evidence for d in dropped))
    score.not_applicable = bool(not_applicable)
    score.reason = (reason or "").strip() if not_applicable else ""
    score.deducted = sum((d.points for d in new), Decimal(0))
    score.row_version += 1
    score.updated_by = actor
    score.updated_at = timezone.now()
    score.save(
        update_fields=["not_applicable", "reason", "deducted", "row_version", "updated_by", "updated_at"]
    )
    audit_record(
        action="score_item",
        obj=score,
        object_repr=f"{assessment.mine.name} · {item.code}",
        org_path=assessment.mine.path,
        before=before,
        after=_summary(score, new),
    )
    score.updated_by = actor
    return score


@transaction.atomic
def submit(*, scope: Scope, assessment: Assessment, actor) -> Assessment:
    _require(scope, grading_perms.MANAGE_GRADING, assessment)
    _lock(assessment)
    _need(assessment, Assessment.Status.DRAFT)
    untouched = ItemScore.objects.filter(assessment=assessment, row_version=0).count()
    if untouched:
        raise ValidationError(
            _(
                "%(n)s items are not scored yet: score each item (or mark it not applicable) "
                "before submitting."
            )
            % {"n": untouched}
        )
    assessment.status = Assessment.Status.SUBMITTED
    assessment.submitted_at = timezone.now()
    assessment.save(update_fields=["status", "submitted_at"])
    audit_record(
        action="submit",
        obj=assessment,
        org_path=assessment.mine.path,
        before={"status": Assessment.Status.DRAFT},
        after={"status": assessment.status},
    )
    return assessment


@transaction.atomic
def start_review(*, scope: Scope, assessment: Assessment, actor) -> Assessment:
    _require(scope, grading_perms.REVIEW_GRADING, assessment)
    _lock(assessment)
    _need(assessment, Assessment.Status.SUBMITTED)
    assessment.status = Assessment.Status.UNDER_REVIEW
    assessment.reviewer = actor
    assessment.save(update_fields=["status", "reviewer"])
    audit_record(
        action="review_start",
        obj=assessment,
        org_path=assessment.mine.path,
        before={"status": Assessment.Status.SUBMITTED},
        after={"status": assessment.status, "reviewer": actor.get_username()},
    )
    return assessment


@transaction.atomic
def adjust(
    *, scope: Scope, assessment: Assessment, item: Item, review_score, comment: str, actor
) -> ItemScore:
    """The reviewer's figure for one item (``None`` clears it); the mine's figure stays as it was."""
    _require(scope, grading_perms.REVIEW_GRADING, assessment)
    _lock(assessment)
    _need(assessment, Assessment.Status.UNDER_REVIEW)
    score = first_or_404(ItemScore.objects.select_for_update(), assessment=assessment, item=item)
    errors: dict[str, list[str]] = {}
    comment = (comment or "").strip()
    value = None
    if review_score not in (None, ""):
        value = _points(review_score)
        if value is None:
            errors["review_score"] = [_("Enter the score as a number.")]
        elif value < 0 or value > item.max_points:
            errors["review_score"] = [
                _("The score must be between 0 and %(max)s.") % {"max": f"{item.max_points.normalize():f}"}
            ]
        elif value != value.quantize(Decimal("0.01")):
            errors["review_score"] = [_("Use at most two decimal places.")]
        if not comment:
            errors["comment"] = [_("Say why the score is adjusted.")]
    if errors:
        raise ValidationError(errors)
    before = {"review_score": score.review_score, "review_comment": score.review_comment}
    score.review_score = value
    score.review_comment = comment if value is not None else ""
    score.row_version += 1
    score.save(update_fields=["review_score", "review_comment", "row_version"])
    audit_record(
        action="adjust_item",
        obj=score,
        object_repr=f"{assessment.mine.name} · {item.code}",
        org_path=assessment.mine.path,
        before=before,
        after={"review_score": score.review_score, "review_comment": score.review_comment},
    )
    return score


@transaction.atomic
def approve(*, scope: Scope, assessment: Assessment, actor, on_date=None) -> Assessment:
    """Freeze the reviewed result on the approval date and award the grade it earns."""
    from . import assessment_selectors
    from .scoring import q2

    _require(scope, grading_perms.REVIEW_GRADING, assessment)
    _lock(assessment)
    _need(assessment, Assessment.Status.UNDER_REVIEW)
    on_date = on_date or timezone.localdate()
    result = assessment_selectors.result(assessment, reviewed=True, on_date=on_date)
    assessment.status = Assessment.Status.APPROVED
    assessment.approved_at = timezone.now()
    # The frozen total is a figure for display (two decimals); the level was decided on the exact one.
    assessment.total = q2(result.total) if result.total is not None else None
    assessment.level = result.level
    assessment.blocking_rule = result.blocking_rule
    assessment.save(update_fields=["status", "approved_at", "total", "level", "blocking_rule"])
    audit_record(
        action="approve",
        obj=assessment,
        org_path=assessment.mine.path,
        before={"status": Assessment.Status.UNDER_REVIEW},
        after={
            "status": assessment.status,
            "total": assessment.total,
            "level": assessment.level,
            "blocking_rule": assessment.blocking_rule,
            "on": on_date,
        },
    )
    # The grade-certificate area awards the level (supersedes the mine's current grade) in this
    # same transaction: an approval without its certificate cannot commit.
    from .grades import award_from_assessment

    award_from_assessment(assessment, actor=actor, awarded_on=on_date)
    return assessment


@transaction.atomic
def return_to_mine(*, scope: Scope, assessment: Assessment, comment: str, actor) -> Assessment:
    _require(scope, grading_perms.REVIEW_GRADING, assessment)
    _lock(assessment)
    _need(assessment, Assessment.Status.SUBMITTED, Assessment.Status.UNDER_REVIEW)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": [_("Say what the mine should change.")]})
    before = assessment.status
    assessment.status = Assessment.Status.DRAFT
    assessment.submitted_at = None
    assessment.save(update_fields=["status", "submitted_at"])
    audit_record(
        action="return_to_mine",
        obj=assessment,
        org_path=assessment.mine.path,
        before={"status": before},
        after={"status": assessment.status, "comment": comment},
    )
    return assessment


def last_return_comment(assessment: Assessment) -> str:
    """The reviewer's comment when the assessment was last returned to the mine."""
    from compliance.audit.models import AuditEvent

    # The trail of this one assessment, which the caller already holds: only its own events are read.
    event = (
        AuditEvent.dangerously_unscoped.filter(
            tenant_id=assessment.tenant_id,
            object_id=str(assessment.pk),
            action="return_to_mine",
        )
        .order_by("-seq")
        .first()
    )
    return (event.after or {}).get("comment", "") if event is not None else ""


def can(scope: Scope, perm: str, assessment: Assessment) -> bool:
    return scope.has_perm(perm, assessment.mine.path, assessment.tenant_id)


def require_view(scope: Scope) -> None:
    if not scope.has_perm(grading_perms.VIEW_GRADING):
        raise PermissionDenied
