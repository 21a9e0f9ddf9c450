"""Grade certificates (安全生产标准化等级证书) and the events that change them.

A certificate is awarded when an assessment with a level is approved (``award_from_assessment``,
inside the approval transaction). It then only moves down or ends:

- ``DOWNGRADED`` — to a lower level (a larger number), with its reason;
- ``CHECK_FAILED`` — a spot-check score below the minimum total of the certificate's level. The new
  level is decided by the level rules of the certificate's standard version, not by the caller:
  the best level below the current one whose ``min_total`` the score reaches; below every rule the
  grade is revoked. Only the minimum total is compared: a spot check gives one score, not the part
  scores or the accident record the other conditions of a rule need;
- ``REVOKED``, ``LAPSED`` (re-check not done by its due date; ``lapse_overdue``, run daily) — the end;
- ``RECHECKED`` — a re-check passed: the re-check falls due again ``recheck_months`` later.

Every event is a ``GradeEvent`` row and an audit event, written in the caller's transaction.
The callers check permissions (REVIEW_GRADING for manual events, MANAGE_GRADING for the accident
that triggers an automatic one); ``record_manual_event`` is the checked entry point of pages/API.
"""

from __future__ import annotations

import calendar
import datetime
import logging
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from compliance.access import access_or_404
from compliance.audit.services import PendingEvent, audit_record_many
from compliance.grading import permissions as grading_perms
from compliance.numbering import save_numbered
from tenants.scope import Scope, dangerously_platform_scope
from tenants.services import snapshot

from .models import Accident, Assessment, GradeCertificate, GradeEvent, LevelRule
from .scoring import fmt, level_name

logger = logging.getLogger(__name__)

NUMBER_PREFIX = "BZH"
Kind = GradeEvent.Kind
Status = GradeCertificate.Status

# Events a person records by hand (REVIEW_GRADING); AWARDED comes from an approval only and
# LAPSED from the daily job (it may also be recorded by hand, e.g. a regulator's notice).
MANUAL_KINDS = (Kind.DOWNGRADED, Kind.CHECK_FAILED, Kind.REVOKED, Kind.RECHECKED, Kind.LAPSED)


# --- dates ---------------------------------------------------------------------------------------


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later, clamped to the end of a shorter month (31 Jan + 1 → 28/29 Feb)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def recheck_due_for(version, from_day: datetime.date) -> datetime.date | None:
    months = getattr(version, "recheck_months", None)
    return add_months(from_day, months) if months else None


# --- numbering -----------------------------------------------------------------------------------


def _save_numbered(cert: GradeCertificate) -> None:
    # Numbers are unique per tenant, so the whole tenant's numbers count (not only what the caller
    # may see); only the next free number leaves the database.
    save_numbered(
        cert,
        numbers=GradeCertificate.dangerously_unscoped.filter(tenant_id=cert.tenant_id),
        prefix=f"{NUMBER_PREFIX}-{cert.awarded_on.year}-",
        width=4,
        # Another valid certificate of the mine created meanwhile (one valid per mine) is not
        # retried forever.
        conflict_is_final=lambda: GradeCertificate.dangerously_unscoped.filter(
            mine_id=cert.mine_id, status=Status.VALID
        ).exists(),
    )


# --- audit ---------------------------------------------------------------------------------------


def _audit(
    cert: GradeCertificate, event: GradeEvent | None, before: dict | None, *, action: str, actor
) -> None:
    org_path = cert.mine.path
    by = {"by": getattr(actor, "pk", None)} if actor is not None else {}
    pending = []
    if event is not None:
        pending.append(
            PendingEvent(action="create", obj=event, after=snapshot(event) | by, org_path=org_path)
        )
    pending.append(
        PendingEvent(
            action=action,
            obj=cert,
            before=before,
            after=snapshot(cert) | by | ({"event": str(event.pk)} if event is not None else {}),
            org_path=org_path,
        )
    )
    audit_record_many(pending)


def _new_event(cert: GradeCertificate, kind: str, **fields) -> GradeEvent:
    event = GradeEvent(tenant_id=cert.tenant_id, certificate=cert, kind=kind, **fields)
    event.save(force_insert=True)
    return event


# --- award ---------------------------------------------------------------------------------------


@transaction.atomic
def award_from_assessment(
    assessment: Assessment, *, actor, awarded_on: datetime.date | None = None
) -> GradeCertificate | None:
    """Award the grade an approved assessment earned; called inside the approval transaction,
    with ``assessment.level``/``total`` already frozen on it.

    No level: no certificate and nothing else recorded (the mine keeps whatever it had).
    Otherwise the mine's current valid certificate is superseded and a new one is created:
    number ``BZH-<year>-<seq>`` per tenant, awarded on the approval date, re-check due after the
    version's ``recheck_months`` (none when null), with an AWARDED event. Idempotent per assessment.
    """
    if assessment.level is None:
        return None
    # By the id of the assessment being approved (already fetched in scope): the approver's scope
    # may not read certificates.
    existing = GradeCertificate.dangerously_unscoped.filter(assessment_id=assessment.pk).first()
    if existing is not None:  # approval retried: one certificate per assessment
        return existing
    mine = assessment.mine
    version = assessment.version
    # The approval date the level was decided on (``approve(on_date=…)``), else the approval's day.
    awarded_on = awarded_on or (
        timezone.localdate(assessment.approved_at) if assessment.approved_at else timezone.localdate()
    )
    level = int(assessment.level)

    # The mine was reached through the approving scope; its valid certificate (at most one, a
    # unique constraint) is locked so a concurrent event or award waits for us.
    current = (
        GradeCertificate.dangerously_unscoped.select_for_update()
        .filter(mine_id=mine.pk, status=Status.VALID)
        .first()
    )
    replaced = None
    if current is not None:
        before = snapshot(current)
        current.status = Status.SUPERSEDED
        current.save(update_fields=["status"])
        with translation.override(settings.LANGUAGE_CODE):
            text = _("Superseded by the grade awarded on %(date)s.") % {"date": awarded_on.isoformat()}
        event = _new_event(
            current,
            Kind.SUPERSEDED,
            occurred_on=awarded_on,
            from_level=current.level,
            to_level=None,
            reason=text,
        )
        _audit(current, event, before, action="supersede", actor=actor)
        replaced = current

    cert = GradeCertificate(
        tenant_id=assessment.tenant_id,
        mine=mine,
        assessment=assessment,
        awarded_level=level,
        level=level,
        awarded_on=awarded_on,
        recheck_due=recheck_due_for(version, awarded_on),
        status=Status.VALID,
    )
    _save_numbered(cert)
    with translation.override(settings.LANGUAGE_CODE):  # stored text: in the site's language
        reason = _award_reason(assessment, level, replaced)
    event = _new_event(
        cert, Kind.AWARDED, occurred_on=awarded_on, from_level=None, to_level=level, reason=reason[:4000]
    )
    _audit(cert, event, None, action="create", actor=actor)
    return cert


def _award_reason(assessment, level, replaced) -> str:
    reason = _("Awarded %(level)s on the approved self-assessment (total %(total)s).") % {
        "level": level_name(level),
        "total": fmt(assessment.total),
    }
    if assessment.blocking_rule:
        reason += " " + assessment.blocking_rule
    if replaced is not None:
        reason += " " + _("Replaces certificate %(number)s.") % {"number": replaced.number}
    return reason


# --- events --------------------------------------------------------------------------------------


def _rules_of(cert: GradeCertificate) -> list[LevelRule]:
    if cert.assessment_id is None:
        return []
    # The rules in force (a corrected value's old row is history).
    return list(
        LevelRule.objects.filter(version_id=cert.assessment.version_id, superseded_at__isnull=True).order_by(
            "level"
        )
    )


def check_failed_outcome(cert: GradeCertificate, score: Decimal) -> int | None:
    """The level a spot-check ``score`` leaves the certificate at: the best level below its
    current one whose minimum total the score reaches, or None (revoked) below every rule.

    Raises ValidationError when the score still reaches the current level (not a failed check) or
    when the certificate has no level rules to decide by."""
    rules = _rules_of(cert)
    if not rules:
        raise ValidationError(
            {
                "kind": [
                    _("This certificate has no level rules to decide a failed check by; record a downgrade.")
                ]
            }
        )
    current = next((r for r in rules if r.level == cert.level), None)
    if current is not None and score >= current.min_total:
        raise ValidationError(
            {
                "check_score": [
                    _("A score of %(score)s reaches %(level)s (minimum %(min)s): record a re-check instead.")
                    % {"score": fmt(score), "level": level_name(cert.level), "min": fmt(current.min_total)}
                ]
            }
        )
    for rule in rules:
        if rule.level > cert.level and score >= rule.min_total:
            return rule.level
    return None


def _parse_score(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        score = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({"check_score": [_("Enter the check score as a number.")]}) from None
    if not score.is_finite() or score < 0 or score > 100:
        raise ValidationError({"check_score": [_("The check score lies between 0 and 100.")]})
    return score.quantize(Decimal("0.01"))


@transaction.atomic
def record_event(
    certificate: GradeCertificate,
    kind: str,
    *,
    actor,
    reason: str,
    occurred_on: datetime.date,
    to_level: int | None = None,
    check_score=None,
    accident: Accident | None = None,
) -> GradeEvent:
    """Apply one event to a valid certificate and record it (audited). Raises ValidationError,
    field by field, with nothing changed on bad input. Permission is the caller's to check."""
    # Locks the certificate row only (its assessment may be empty: an outer join).
    cert = (
        GradeCertificate.dangerously_unscoped.select_for_update(of=("self",))
        .select_related("mine", "assessment")
        .get(pk=certificate.pk)
    )
    reason = (reason or "").strip()
    errors: dict[str, list] = {}
    if kind not in MANUAL_KINDS:
        errors.setdefault("kind", []).append(_("Choose what happened to the grade."))
    if cert.status != Status.VALID:
        errors.setdefault("kind", []).append(
            _("This certificate is %(status)s: nothing more can happen to it.")
            % {"status": cert.get_status_display()}
        )
    if not reason:
        errors.setdefault("reason", []).append(_("Give the reason."))
    if occurred_on is None:
        errors.setdefault("occurred_on", []).append(_("Enter the date."))
    elif occurred_on > timezone.localdate():
        errors.setdefault("occurred_on", []).append(_("The date cannot be in the future."))
    elif occurred_on < cert.awarded_on:
        errors.setdefault("occurred_on", []).append(_("The date cannot be before the award date."))
    try:
        score = _parse_score(check_score)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        score = None
    if to_level not in (None, ""):
        try:
            to_level = int(to_level)
        except (TypeError, ValueError):
            to_level = -1
    else:
        to_level = None
    if errors:
        raise ValidationError(errors)

    from_level = cert.level
    new_level, new_status, new_due = cert.level, cert.status, cert.recheck_due
    if kind == Kind.DOWNGRADED:
        if to_level is None or to_level not in (1, 2, 3) or to_level <= cert.level:
            raise ValidationError({"to_level": [_("Choose a level below the current one.")]})
        new_level = to_level
    elif kind == Kind.CHECK_FAILED:
        if score is None:
            raise ValidationError({"check_score": [_("Enter the spot-check score.")]})
        outcome = check_failed_outcome(cert, score)
        if to_level is not None and to_level != outcome:
            raise ValidationError(
                {"to_level": [_("The rules give %(level)s for this score.") % {"level": level_name(outcome)}]}
            )
        if outcome is None:
            new_status = Status.REVOKED
            to_level = None
        else:
            new_level = to_level = outcome
    elif kind == Kind.RECHECKED:
        if score is not None:
            rule = next((r for r in _rules_of(cert) if r.level == cert.level), None)
            if rule is not None and score < rule.min_total:
                raise ValidationError(
                    {"check_score": [_("This score is below the level's minimum: record a failed check.")]}
                )
        to_level = cert.level
        version = cert.assessment.version if cert.assessment_id else None
        new_due = recheck_due_for(version, occurred_on) if version is not None else None
    elif kind in (Kind.REVOKED, Kind.LAPSED):
        to_level = None
        new_status = Status.REVOKED if kind == Kind.REVOKED else Status.LAPSED

    before = snapshot(cert)
    cert.level, cert.status, cert.recheck_due = new_level, new_status, new_due
    cert.save(update_fields=["level", "status", "recheck_due"])
    event = _new_event(
        cert,
        kind,
        occurred_on=occurred_on,
        from_level=from_level,
        to_level=to_level,
        reason=reason[:4000],
        check_score=score,
        accident=accident,
    )
    _audit(cert, event, before, action=str(kind), actor=actor)
    certificate.level, certificate.status, certificate.recheck_due = new_level, new_status, new_due
    return event


def record_manual_event(
    *, scope: Scope, certificate: GradeCertificate, kind: str, actor, data: dict
) -> GradeEvent:
    """A grade event recorded by hand on a page or through the API (REVIEW_GRADING)."""
    scope.require(grading_perms.REVIEW_GRADING, certificate.mine)
    return record_event(
        certificate,
        kind,
        actor=actor,
        reason=data.get("reason") or "",
        occurred_on=data.get("occurred_on"),
        to_level=data.get("to_level"),
        check_score=data.get("check_score"),
    )


# --- lapse ---------------------------------------------------------------------------------------


def lapse_overdue(today: datetime.date | None = None) -> int:
    """Every valid certificate whose re-check fell due before ``today`` becomes LAPSED, with an
    event dated the day after its due date. Returns how many lapsed in this run.

    Only where the re-check interval that set the due date is verified (its standard version's
    ``verified``): an unverified interval (the 2024 coal edition's 12 months) never lapses a grade
    on its own — the mine's status shows the overdue re-check as a 待核实 warning instead
    (``production.MineStatus``). A certificate with no assessment has a due date someone set by
    hand, which binds.

    A scheduled job for every tenant (no user, no request): it runs in the platform scope. Each
    certificate in its own transaction under a row lock and re-read there, so a repeated or
    concurrent run lapses nothing twice, and one bad row does not stop the others.
    """
    today = today or timezone.localdate()
    with dangerously_platform_scope():
        ids = list(
            GradeCertificate.dangerously_unscoped.filter(status=Status.VALID, recheck_due__lt=today)
            .exclude(assessment__version__verified=False)
            .order_by("recheck_due")
            .values_list("pk", flat=True)
        )

        def reason(cert):
            return _("The re-check due on %(date)s was not recorded.") % {
                "date": cert.recheck_due.isoformat()
            }

        return _lapse_each(
            ids,
            still=lambda qs: qs.filter(recheck_due__lt=today),
            reason=reason,
            occurred_on=lambda cert: cert.recheck_due + datetime.timedelta(days=1),
        )


def lapse_stopped(today: datetime.date | None = None) -> int:
    """Coal mines stopped (停产, status suspended) for longer than the policy rule's months lose
    their valid grade: LAPSED, dated the day the period ran out. Only when that rule is verified;
    unverified, the mine's status shows the loss as a 待核实 warning and nothing changes.
    Same shape and guarantees as ``lapse_overdue``."""
    from tenants.models import MineProfile

    from .accidents import COAL_TYPES
    from .models import PolicyRule
    from .rules import policy_rules

    today = today or timezone.localdate()
    with dangerously_platform_scope():
        rule = policy_rules().get(PolicyRule.Key.STOPPED_PRODUCTION_MONTHS)
        if rule is None or not rule.binding:
            return 0
        months = rule.value
        cutoff = add_months(today, -months)
        stopped = dict(
            MineProfile.dangerously_unscoped.filter(
                mine_type__in=COAL_TYPES,
                production_status=MineProfile.ProductionStatus.SUSPENDED,
                production_status_since__lt=cutoff,
            ).values_list("org_unit_id", "production_status_since")
        )
        ids = list(
            GradeCertificate.dangerously_unscoped.filter(status=Status.VALID, mine_id__in=list(stopped))
            .order_by("mine_id")
            .values_list("pk", flat=True)
        )

        def reason(cert):
            return _(
                "Production stopped since %(date)s, more than %(months)s months: "
                "the grade is lost (%(source)s)."
            ) % {"date": stopped[cert.mine_id].isoformat(), "months": months, "source": rule.source}

        return _lapse_each(
            ids,
            still=lambda qs: qs,
            reason=reason,
            occurred_on=lambda cert: max(add_months(stopped[cert.mine_id], months), cert.awarded_on),
        )


def _lapse_each(ids, *, still, reason, occurred_on) -> int:
    lapsed = 0
    for pk in ids:
        try:
            with transaction.atomic():
                cert = (
                    still(GradeCertificate.dangerously_unscoped.select_for_update().select_related("mine"))
                    .filter(pk=pk, status=Status.VALID)
                    .first()
                )
                if cert is None:
                    continue
                before = snapshot(cert)
                cert.status = Status.LAPSED
                cert.save(update_fields=["status"])
                with translation.override(settings.LANGUAGE_CODE):
                    text = reason(cert)
                event = _new_event(
                    cert,
                    Kind.LAPSED,
                    occurred_on=occurred_on(cert),
                    from_level=cert.level,
                    to_level=None,
                    reason=text[:4000],
                )
                _audit(cert, event, before, action=str(Kind.LAPSED), actor=None)
                lapsed += 1
        except Exception:  # one bad certificate must not keep every other one valid
            logger.exception("lapsing grade certificate %s failed", pk)
    return lapsed


# --- reads ---------------------------------------------------------------------------------------


def access_certificate(scope: Scope, pk) -> GradeCertificate:
    return access_or_404(
        scope,
        GradeCertificate.objects.select_related(
            "mine", "mine__parent", "mine__mine_profile", "tenant", "assessment__version__standard"
        ),
        pk,
    )


def certificate_events(cert: GradeCertificate) -> list[GradeEvent]:
    """The certificate's history, oldest first (the certificate was reached through the scope)."""
    return list(
        # The events of a certificate the caller reached through its scope (same tenant).
        GradeEvent.dangerously_unscoped.filter(tenant_id=cert.tenant_id, certificate=cert)
        .select_related("accident")
        .order_by("occurred_on", "created_at")
    )


def certificate_list(
    *,
    scope: Scope,
    unit=None,
    level: int | None = None,
    status: str = "",
    search: str = "",
):
    qs = scope.filter_queryset(
        GradeCertificate.objects.select_related("mine", "mine__parent", "mine__mine_profile", "tenant")
    )
    if unit is not None:
        qs = qs.filter(tenant_id=unit.tenant_id, mine__path__startswith=unit.path)
    if level:
        qs = qs.filter(level=level)
    if status:
        qs = qs.filter(status=status)
    if search:
        from django.db.models import Q

        qs = qs.filter(Q(number__icontains=search) | Q(mine__name__icontains=search))
    return qs.order_by("-awarded_on", "-number")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_MAX_ROWS = 20000


def certificates_xlsx(rows) -> bytes:
    from compliance.imports.writer import new_workbook, workbook_bytes

    wb = new_workbook()
    ws = wb.active
    ws.title = _("Grade certificates")[:31]
    ws.append(
        [
            _("Certificate number"),
            _("Group"),
            _("Subsidiary"),
            _("Mine"),
            _("Awarded level"),
            _("Current level"),
            _("Award date"),
            _("Re-check due"),
            _("Status"),
        ]
    )
    for cert in rows:
        ws.append(
            [
                cert.number,
                cert.tenant.name,
                cert.mine.parent.name if cert.mine.parent_id else "",
                cert.mine.name,
                level_name(cert.awarded_level),
                level_name(cert.level),
                cert.awarded_on,
                cert.recheck_due,
                str(cert.get_status_display()),
            ]
        )
    return workbook_bytes(wb)
