"""Statutory certificates after they are issued: reviews (复审) of special-operation certificates,
the practical re-exam after an absence, and the managers' assessment deadline (issue 14, 7 and 9).

Rule values come from the pack in force on the record's own date (``certificate_rules``); a
consequence that stops someone (a refused late review, a hold) follows only a verified value, an
unverified one warns (待核实) with the source to check.

- **Review** (令第30号 第二十一、二十三条): recorded from the reviewing authority with its date and
  the retraining hours before it (≥ ``special_cert_review_min_hours``). The next review falls due
  one interval after the one just met (3 years; 6 when the authority grants the longer interval to
  a holder with ≥ 10 continuous years in the operation); past the expiry date there is none, the
  certificate is renewed instead. A review after the due date cannot restore a void certificate.
- **Absence** is recorded on the person (``Person.absent_since`` / ``returned_on``, "away from work
  since" / "back at work on"): a holder away ≥ ``special_reexam_after_absence_months`` needs a
  practical re-exam, recorded as a review of kind ``practical_reexam`` dated on or after the day
  the absence began, before returning.
- **Managers** (主要负责人, 安全生产管理人员) pass the regulator's assessment within
  ``manager_pass_within_months`` of taking the post (``Person.post_started_on``); the passed
  assessment is their statutory certificate, or a passed sitting of it (``training.assessments``,
  which also keeps the re-sit and the year's wait). Past that with neither, they are flagged and —
  the rule being verified — held off post (``tenants.holds``) until one is recorded. A first
  sitting later than ``manager_apply_within_days`` after taking the post is flagged, never held.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance.audit.services import audit_record
from compliance.training import permissions as training_perms
from tenants import holds
from tenants.models import Person
from tenants.scope import Scope
from tenants.services import snapshot

from . import assessments
from .certificate_rules import RuleBook, add_months
from .certificates import add_years
from .models import Certificate, CertificateReview, ManagerAssessmentSitting

Kind = CertificateReview.Kind
MANAGER_HOLD_SOURCE = "training.manager_assessment"
MANAGER_POSTS = {
    Person.PostCategory.PRINCIPAL: Certificate.Kind.PRINCIPAL,
    Person.PostCategory.SAFETY_MANAGEMENT: Certificate.Kind.SAFETY_MANAGEMENT,
}


# --- reviews --------------------------------------------------------------------------------------


def _hours(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def next_review_due(cert: Certificate, previous_due: datetime.date, years: int) -> datetime.date | None:
    """One interval after the review just met, or None when that is past the expiry date."""
    due = add_years(previous_due, years)
    return due if due < cert.expires_on else None


@transaction.atomic
def record_review(*, scope: Scope, cert: Certificate, data: dict, by=None) -> CertificateReview:
    """Record a review or a practical re-exam of a special-operation certificate, as the
    reviewing authority held it. Field by field errors; nothing changes on an error."""
    person = cert.person
    scope.require(training_perms.MANAGE_TRAINING, person.org_unit)
    book = RuleBook.load()
    kind = data.get("kind") or Kind.REVIEW
    reviewed_on = data.get("reviewed_on")
    authority = (data.get("authority") or "").strip()
    hours = _hours(data.get("retraining_hours"))
    extended = bool(data.get("extended"))
    since = data.get("in_operation_since")
    today = timezone.localdate()
    errors: dict[str, list] = {}

    def error(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if cert.kind != Certificate.Kind.SPECIAL_OPERATION:
        error("certificate", _("Only a special-operation certificate is reviewed."))
    elif cert.status != Certificate.Status.VALID:
        error("certificate", _("This certificate is revoked."))
    if kind not in Kind.values:
        error("kind", _("Choose a review or a practical re-exam."))
    if not authority:
        error("authority", _("Enter the reviewing authority (考核发证机关)."))
    if reviewed_on is None:
        error("reviewed_on", _("Enter the date of the review."))
    elif reviewed_on > today:
        error("reviewed_on", _("The review date cannot be in the future."))
    elif reviewed_on < cert.issued_on:
        error("reviewed_on", _("The review date cannot be before the issue date."))
    elif reviewed_on > cert.expires_on:
        error("reviewed_on", _("The certificate had expired by then: it is renewed, not reviewed."))
    previous_due = cert.review_due_on
    next_due = previous_due
    # Every field is checked, so one answer names every mistake; the date checks need a good date.
    date_ok = reviewed_on is not None and "reviewed_on" not in errors
    if kind == Kind.REVIEW and "certificate" not in errors:
        if previous_due is None:
            error("reviewed_on", _("No review is due on this certificate before it expires."))
        elif date_ok:
            review_rule = book.value(cert.issued_on, "special_cert_review_years")
            if reviewed_on > previous_due and review_rule is not None and review_rule.binding:
                error(
                    "reviewed_on",
                    _(
                        "The review was due on %(due)s: a certificate not reviewed on time is void "
                        "(%(source)s) and a later review does not restore it."
                    )
                    % {"due": previous_due, "source": review_rule.source},
                )
        minimum = book.value(cert.issued_on, "special_cert_review_min_hours")
        if hours is None or hours < 0:
            error("retraining_hours", _("Enter the hours of retraining before the review."))
        elif minimum is not None and hours < minimum.value and minimum.binding:
            error(
                "retraining_hours",
                _("At least %(hours)s hours of retraining come before a review (%(source)s).")
                % {"hours": minimum.value, "source": minimum.source},
            )
        interval = book.value(cert.issued_on, "special_cert_review_years")
        years = interval.value if interval else 3
        if extended:
            long_years = book.value(cert.issued_on, "special_cert_long_service_years")
            long_interval = book.value(cert.issued_on, "special_cert_review_years_long_service")
            if since is None:
                error("in_operation_since", _("Enter since when the holder has worked in this operation."))
            elif long_years is not None and date_ok and add_years(since, long_years.value) > reviewed_on:
                error(
                    "in_operation_since",
                    _(
                        "The longer interval needs %(years)s continuous years in the operation "
                        "without a violation (%(source)s)."
                    )
                    % {"years": long_years.value, "source": long_years.source},
                )
            if long_interval is not None:
                years = long_interval.value
        if previous_due is not None and not errors:
            next_due = next_review_due(cert, previous_due, years)
    if kind == Kind.PRACTICAL_REEXAM:
        extended = False
    if errors:
        raise ValidationError(errors)
    review = CertificateReview(
        tenant_id=cert.tenant_id,
        certificate=cert,
        kind=kind,
        reviewed_on=reviewed_on,
        authority=authority[:200],
        retraining_hours=hours or 0,
        extended=extended,
        in_operation_since=since if extended else None,
        previous_due_on=previous_due,
        next_due_on=next_due,
        recorded_by=by if getattr(by, "pk", None) else None,
    )
    review.save(force_insert=True)
    audit_record(action="create", obj=review, after=snapshot(review), org_path=person.org_unit.path)
    if kind == Kind.REVIEW:
        before = snapshot(cert)
        cert.review_due_on = next_due
        cert.save(update_fields=["review_due_on"])
        audit_record(
            action="review", obj=cert, before=before, after=snapshot(cert), org_path=person.org_unit.path
        )
    return review


def review_list(*, scope: Scope, cert: Certificate) -> list[CertificateReview]:
    """The certificate's reviews and re-exams, newest first (one query)."""
    return list(
        scope.filter_queryset(CertificateReview.objects.filter(certificate=cert)).select_related(
            "recorded_by"
        )
    )


# --- flags ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flag:
    key: str  # "practical_reexam" | "manager_apply" | "manager_assessment"
    text: str
    source: str
    binding: bool  # False: a warning to check (待核实)


def absence_flag(
    person: Person, cert: Certificate, reexams: list[CertificateReview], today: datetime.date, book: RuleBook
) -> Flag | None:
    """The practical re-exam a special-operation holder needs after an absence, if any."""
    if cert.kind != Certificate.Kind.SPECIAL_OPERATION or person.absent_since is None:
        return None
    if cert.status != Certificate.Status.VALID or cert.expires_on < today:
        return None
    rule = book.value(person.absent_since, "special_reexam_after_absence_months")
    if rule is None:
        return None
    until = person.returned_on if person.returned_on and person.returned_on >= person.absent_since else today
    if until < add_months(person.absent_since, rule.value):
        return None
    if any(
        r.certificate_id == cert.pk
        and r.kind == Kind.PRACTICAL_REEXAM
        and r.reviewed_on >= person.absent_since
        for r in reexams
    ):
        return None
    text = _(
        "Away from the operation since %(since)s (%(months)s months or more): a practical re-exam "
        "is needed before returning to it."
    ) % {"since": person.absent_since, "months": rule.value}
    return Flag("practical_reexam", text, rule.source, rule.binding)


def manager_flag(
    person: Person,
    certs: list[Certificate],
    today: datetime.date,
    book: RuleBook,
    sittings: list[ManagerAssessmentSitting] = (),
) -> Flag | None:
    """A manager's missing statutory assessment: due to apply, or past the deadline to pass. A
    passed sitting (``training.assessments``) counts as a recorded certificate does."""
    kind = MANAGER_POSTS.get(person.post_category)
    if kind is None or person.post_started_on is None or person.status == Person.Status.LEFT:
        return None
    started = person.post_started_on
    # Passed: a (not revoked) assessment of the post's kind that was in force at some time in the
    # post. One that ran out since is the expiry rule's business (shown as expired), not this one.
    if any(
        c.kind == kind
        and c.status == Certificate.Status.VALID
        and c.issued_on <= today
        and c.expires_on >= started
        for c in certs
    ) or assessments.passed_in_post(list(sittings), kind, started, today, book):
        return None
    deadline = book.value(started, "manager_pass_within_months")
    apply = book.value(started, "manager_apply_within_days")
    if deadline is not None and today > add_months(started, deadline.value):
        text = _(
            "In post since %(started)s without a passed assessment of safety knowledge and management "
            "ability: it was due within %(months)s months, by %(due)s."
        ) % {"started": started, "months": deadline.value, "due": add_months(started, deadline.value)}
        return Flag("manager_assessment", text, deadline.source, deadline.binding)
    if sittings and assessments.first_in_post(list(sittings), kind, started):
        return None  # applied and sat: a late first sitting is ``late_sitting_flag``'s business
    if apply is not None and today > started + datetime.timedelta(days=apply.value):
        text = _(
            "In post since %(started)s: the assessment is applied for within %(days)s days and passed "
            "by %(due)s."
        ) % {
            "started": started,
            "days": apply.value,
            "due": add_months(started, deadline.value) if deadline else "—",
        }
        return Flag("manager_apply", text, apply.source, False)
    return None


def late_sitting_flag(
    person: Person, sittings: list[ManagerAssessmentSitting], book: RuleBook
) -> Flag | None:
    """The first sitting in the post (or its application) came later than the days allowed."""
    late = assessments.late_application(person, sittings, book)
    if late is None:
        return None
    first, by, rule = late
    text = _(
        "In post since %(started)s: the assessment was to be applied for by %(by)s, the first sitting "
        "(or its application) was on %(day)s."
    ) % {"started": person.post_started_on, "by": by, "day": first.applied_on or first.sat_on}
    return Flag("manager_late_sitting", text, rule.source, rule.binding)


def person_flags(
    *,
    scope: Scope,
    person: Person,
    certs: list[Certificate],
    sittings: list[ManagerAssessmentSitting] | None = None,
    book: RuleBook | None = None,
) -> list[Flag]:
    """The flags of one person's certificates and assessment sittings (four queries: the rule
    book, the re-exams and the sittings, unless the caller has them)."""
    today = timezone.localdate()
    book = book or RuleBook.load()
    reexams = list(
        scope.filter_queryset(
            CertificateReview.objects.filter(certificate__person=person, kind=Kind.PRACTICAL_REEXAM)
        )
    )
    if sittings is None:
        sittings = assessments.person_sittings(scope=scope, person=person)
    flags = [f for c in certs if (f := absence_flag(person, c, reexams, today, book))]
    manager = manager_flag(person, certs, today, book, sittings)
    late = late_sitting_flag(person, sittings, book)
    return flags + [f for f in (late, manager) if f]


def _manager_reference(person: Person) -> tuple[str, str]:
    # One hold per person and post start: a new post is a new deadline.
    return ("training.ManagerAssessment", f"{person.pk}:{person.post_started_on}")


@transaction.atomic
def check_manager(*, scope: Scope, person: Person, today: datetime.date | None = None) -> Flag | None:
    """Place or lift the person's assessment hold by the flag of today; returns the flag."""
    today = today or timezone.localdate()
    # The person is in scope: their certificates and sittings are read without a second filter.
    certs = list(Certificate.dangerously_unscoped.filter(person_id=person.pk))
    sittings = list(ManagerAssessmentSitting.dangerously_unscoped.filter(person_id=person.pk))
    flag = manager_flag(person, certs, today, RuleBook.load(), sittings)
    if person.post_started_on is None:
        return flag
    if flag is not None and flag.key == "manager_assessment" and flag.binding:
        holds.place_hold(
            scope=scope,
            person=person,
            source=MANAGER_HOLD_SOURCE,
            reason=_("No passed managers' assessment within the deadline (%(source)s)")
            % {"source": flag.source},
            reference=_manager_reference(person),
        )
    elif holds.open_holds(person).filter(source=MANAGER_HOLD_SOURCE).exists():
        holds.lift_hold(
            scope=scope,
            person=person,
            source=MANAGER_HOLD_SOURCE,
            reference=_manager_reference(person),
            lift_reason=_("A passed assessment is recorded."),
        )
    return flag


def check_all_managers(today: datetime.date | None = None) -> int:
    """The daily job: every group's managers, in the platform scope (a hold follows from the rule,
    not from anyone's role; ``tenants.holds`` accepts the platform scope for that)."""
    from tenants.scope import dangerously_platform_scope

    with dangerously_platform_scope() as scope:
        return check_managers(scope=scope, today=today)


def check_managers(*, scope: Scope, today: datetime.date | None = None) -> int:
    """Every manager in the scope with a post start: holds placed or lifted. Returns how many are
    flagged past the deadline. Run daily (``training.tasks``), safe to run twice."""
    today = today or timezone.localdate()
    people = scope.filter_queryset(
        Person.objects.select_related("org_unit").filter(
            post_category__in=list(MANAGER_POSTS), post_started_on__isnull=False
        )
    ).exclude(status=Person.Status.LEFT)
    overdue = 0
    for person in people:
        flag = check_manager(scope=scope, person=person, today=today)
        overdue += bool(flag and flag.key == "manager_assessment")
    return overdue
