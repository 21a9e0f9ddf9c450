"""Certificates: issue on a passed exam, record from outside, revoke, verify, print (reminders of
their due dates: ``training.reminders``).

Validity follows the rule pack in force on the issue date (``RulePack.for_date``):
- special operations (特种作业操作证): valid ``special_cert_valid_years`` (6), reviewed every
  ``special_cert_review_years`` (3) — the review falls due ``issued + 3 years``;
- 主要负责人 and 安全生产管理人员: valid ``manager_cert_valid_years`` (3), no review in between
  (they are re-assessed when the certificate runs out).

Statutory certificates (those three kinds) are entered from the issuing authority
(``record_external``); the group's own exam issues an internal training record only, valid
``internal_record_valid_years`` (issue 14, point 9). A special-operation certificate past its
review date with no review recorded is void (失效, 令第30号 第二十六条), computed on the day it is
shown — where that rule is verified; an unverified one shows "review overdue (待核实)" instead.
Reviews: ``training.reviews``.

Every write is audited in the caller's transaction.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from compliance.access import access_or_404
from compliance.audit.services import audit_record
from compliance.numbering import save_numbered
from compliance.reports import pdf
from compliance.reports.signoff import person_named
from compliance.training import permissions as training_perms
from tenants.models import OrgUnit, Person
from tenants.scope import Scope, dangerously_platform_scope
from tenants.services import snapshot

from .certificate_rules import RuleBook, mine_group_of_person, special_operation_error
from .models import Certificate, ExamPaper, RulePack

Kind = Certificate.Kind
NUMBER_PREFIX = "KA"
EXPIRING_WINDOW_DAYS = 90
EXPIRING_WINDOWS = (7, 30, 90)  # the reminders' thresholds; the expiring page takes ?days= one of them


# --- dates ---------------------------------------------------------------------------------------


def add_years(day: datetime.date, years: int) -> datetime.date:
    """The same day ``years`` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def validity(kind: str, issued_on: datetime.date) -> tuple[datetime.date, datetime.date | None]:
    """(expires_on, review_due_on) of a certificate of ``kind`` issued on ``issued_on``."""
    pack = RulePack.for_date(issued_on)
    if kind == Kind.INTERNAL:
        return add_years(issued_on, pack.internal_record_valid_years), None
    if kind == Kind.SPECIAL_OPERATION:
        expires = add_years(issued_on, pack.special_cert_valid_years)
        review = add_years(issued_on, pack.special_cert_review_years)
        return expires, (review if review < expires else None)
    return add_years(issued_on, pack.manager_cert_valid_years), None


class Display:
    """What a certificate's state is today, as shown in lists, the PDF and the public page."""

    VALID = "valid"
    VOID = "void"  # 失效: a special-operation certificate not reviewed on time
    EXPIRED = "expired"
    REVOKED = "revoked"


REVIEW_RULE = "special_cert_review_years"


def review_missed(cert: Certificate, today: datetime.date) -> bool:
    """A special-operation certificate whose review date has passed with no review recorded (a
    recorded review moves ``review_due_on`` on)."""
    return bool(
        cert.kind == Kind.SPECIAL_OPERATION
        and cert.review_due_on is not None
        and cert.review_due_on < today
        and cert.status == Certificate.Status.VALID
        and cert.expires_on >= today
    )


def review_rule(cert: Certificate, book: RuleBook | None = None):
    """The review rule the certificate is judged by (the pack of its issue date), or None."""
    return (book or RuleBook.load()).value(cert.issued_on, REVIEW_RULE)


def display_status(
    cert: Certificate, today: datetime.date | None = None, book: RuleBook | None = None
) -> str:
    """Today's state. ``book`` saves two queries per row when many certificates are shown."""
    today = today or timezone.localdate()
    if cert.status == Certificate.Status.REVOKED:
        return Display.REVOKED
    if cert.expires_on < today:
        return Display.EXPIRED
    if review_missed(cert, today):
        rule = review_rule(cert, book)
        if rule is not None and rule.binding:
            return Display.VOID
    return Display.VALID


def review_warning(
    cert: Certificate, today: datetime.date | None = None, book: RuleBook | None = None
) -> str:
    """The warning shown instead of "void" when the review rule is not verified (待核实), or ""."""
    today = today or timezone.localdate()
    if not review_missed(cert, today):
        return ""
    rule = review_rule(cert, book)
    if rule is not None and rule.binding:
        return ""
    return _("Review overdue: void once the rule is verified (待核实, check %(source)s).") % {
        "source": (rule.source if rule else "") or _("the rule pack")
    }


def void_q(book: RuleBook, today: datetime.date) -> Q:
    """The query condition of ``display_status(...) == VOID``."""
    return (
        Q(kind=Kind.SPECIAL_OPERATION, status=Certificate.Status.VALID, review_due_on__lt=today)
        & Q(expires_on__gte=today)
        & book.binding_days(REVIEW_RULE, "issued_on")
    )


def display_status_label(status: str) -> str:
    return {
        Display.VALID: _("Valid"),
        Display.VOID: _("Void (review missed)"),
        Display.EXPIRED: _("Expired"),
        Display.REVOKED: _("Revoked"),
    }[status]


def is_statutory(cert: Certificate) -> bool:
    return cert.kind in Certificate.STATUTORY_KINDS


def kind_label(cert: Certificate) -> str:
    label = str(cert.get_kind_display())
    if cert.operation_type:
        label += f"（{cert.get_operation_type_display()}）"
    return label


def mask_name(name: str) -> str:
    """张三丰 → 张*丰, 李四 → 李*, 王 → *: enough to match a face, not enough to find a person."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


# --- numbering -----------------------------------------------------------------------------------


def _create_numbered(cert: Certificate) -> Certificate:
    # Numbers are unique per tenant, so the whole tenant's numbers count (not only what the caller
    # may see); only the next free number leaves the database.
    save_numbered(
        cert,
        numbers=Certificate.dangerously_unscoped.filter(tenant_id=cert.tenant_id),
        prefix=f"{NUMBER_PREFIX}-{cert.issued_on.year}-",
        width=6,
        # The attempt's certificate issued meanwhile (one per attempt) is not retried forever.
        conflict_is_final=lambda: (
            bool(cert.attempt_id)
            and Certificate.dangerously_unscoped.filter(attempt_id=cert.attempt_id).exists()
        ),
    )
    return cert


# --- issuing --------------------------------------------------------------------------------------


@transaction.atomic
def issue_for_passed_attempt(attempt) -> Certificate | None:
    """Issue the internal training record the attempt's paper is configured to issue, once per
    attempt. A group's own exam never creates or renews a statutory certificate (issue 14, 9):
    whatever the paper says, what it issues is ``Kind.INTERNAL``.

    Runs inside the grading transaction, in whatever scope graded it (the worker's own, an
    inspector's, or the platform scope of the scheduled job closing expired attempts).
    """
    paper: ExamPaper = attempt.paper
    if not attempt.passed or not paper.issues_certificate:
        return None
    # Idempotent: looked up by the attempt itself (one certificate per attempt, a unique key).
    existing = Certificate.dangerously_unscoped.filter(attempt_id=attempt.pk).first()
    if existing is not None:
        return existing
    kind = Kind.INTERNAL
    operation_type = paper.certificate_operation_type or ""
    issued_on = timezone.localdate(attempt.submitted_at or timezone.now())
    expires_on, review_due_on = validity(kind, issued_on)
    cert = Certificate(
        tenant_id=attempt.tenant_id,
        person_id=attempt.person_id,
        kind=kind,
        operation_type=operation_type,
        issued_on=issued_on,
        expires_on=expires_on,
        review_due_on=review_due_on,
        issuer=_issuer_name(attempt.person),
        source=Certificate.Source.EXAM,
        attempt_id=attempt.pk,
    )
    try:
        _create_numbered(cert)
    except IntegrityError:
        # Another transaction issued it for this attempt in the meantime.
        return Certificate.dangerously_unscoped.get(attempt_id=attempt.pk)
    audit_record(action="create", obj=cert, after=snapshot(cert), org_path=_person_path(cert.person_id))
    return cert


def _issuer_name(person: Person) -> str:
    # The group that ran the exam (the tenant's name); the person's tenant is the attempt's.
    return person.tenant.name[:200]


def _person_path(person_id) -> str:
    # The org path of the certificate's person, for the audit event (the person was already
    # reached through the caller's scope or the attempt being graded).
    return (
        Person.dangerously_unscoped.filter(pk=person_id).values_list("org_unit__path", flat=True).first()
        or ""
    )


EXTERNAL_FIELDS = ("kind", "operation_type", "number", "issued_on", "expires_on", "review_due_on", "issuer")


@transaction.atomic
def record_external(*, scope: Scope, person: Person, data: dict, by=None) -> Certificate:
    """A statutory certificate issued by the authority (the regulator's assessment of a manager, a
    special-operation certificate): its number is entered. A special-operation type must be in the
    national catalogue for the person's mine group (coal or non-coal).

    ``expires_on`` and ``review_due_on`` default to the dates the rules give for the issue date.
    """
    scope.require(training_perms.MANAGE_TRAINING, person.org_unit)
    kind = data.get("kind") or ""
    operation_type = data.get("operation_type") or ""
    number = (data.get("number") or "").strip()
    issued_on = data.get("issued_on")
    errors: dict[str, list] = {}
    if kind == Kind.INTERNAL:
        errors.setdefault("kind", []).append(
            _(
                "An internal training record is issued by passing the group's own exam; only "
                "statutory certificates are entered here."
            )
        )
    elif kind not in Kind.values:
        errors.setdefault("kind", []).append(_("Choose the kind of certificate."))
    if kind == Kind.SPECIAL_OPERATION and not operation_type:
        errors.setdefault("operation_type", []).append(
            _("A special-operation certificate needs an operation type.")
        )
    elif kind == Kind.SPECIAL_OPERATION:
        refused = special_operation_error(operation_type, mine_group_of_person(person))
        if refused:
            errors.setdefault("operation_type", []).append(refused)
    if kind and kind != Kind.SPECIAL_OPERATION and operation_type:
        errors.setdefault("operation_type", []).append(
            _("Only special-operation certificates have an operation type.")
        )
    if not number:
        errors.setdefault("number", []).append(_("Enter the certificate number."))
    # Numbers are unique per tenant: the whole tenant is checked, and only whether the number is
    # taken leaves.
    elif Certificate.dangerously_unscoped.filter(tenant_id=person.tenant_id, number=number).exists():
        # Uniqueness is per tenant: checked against the whole tenant, only yes/no leaves here.
        errors.setdefault("number", []).append(_("A certificate with this number is already recorded."))
    if issued_on is None:
        errors.setdefault("issued_on", []).append(_("Enter the issue date."))
    elif issued_on > timezone.localdate():
        errors.setdefault("issued_on", []).append(_("The issue date cannot be in the future."))
    expires_on = data.get("expires_on")
    review_due_on = data.get("review_due_on")
    if issued_on is not None and kind in Certificate.STATUTORY_KINDS and "issued_on" not in errors:
        try:
            default_expiry, default_review = validity(kind, issued_on)
        except RulePack.DoesNotExist:
            errors.setdefault("issued_on", []).append(_("No training rules are in force on this date."))
        else:
            expires_on = expires_on or default_expiry
            if kind == Kind.SPECIAL_OPERATION:
                review_due_on = review_due_on or default_review
            elif review_due_on:
                errors.setdefault("review_due_on", []).append(
                    _("Only special-operation certificates have a review date.")
                )
        if expires_on and expires_on <= issued_on:
            errors.setdefault("expires_on", []).append(_("The expiry date must be after the issue date."))
        if review_due_on and expires_on and not (issued_on < review_due_on <= expires_on):
            errors.setdefault("review_due_on", []).append(
                _("The review date must lie between the issue date and the expiry date.")
            )
    if errors:
        raise ValidationError(errors)
    cert = Certificate(
        tenant_id=person.tenant_id,
        person=person,
        kind=kind,
        operation_type=operation_type if kind == Kind.SPECIAL_OPERATION else "",
        number=number,
        issued_on=issued_on,
        expires_on=expires_on,
        review_due_on=review_due_on,
        issuer=(data.get("issuer") or "").strip()[:200],
        source=Certificate.Source.EXTERNAL,
    )
    cert.full_clean(
        exclude=["tenant", "person", "attempt"], validate_unique=False, validate_constraints=False
    )
    try:
        with transaction.atomic():
            cert.save(force_insert=True)
    except IntegrityError as exc:  # the same number recorded at the same moment
        raise ValidationError({"number": [_("A certificate with this number is already recorded.")]}) from exc
    audit_record(action="create", obj=cert, after=snapshot(cert), org_path=person.org_unit.path)
    if kind in (Kind.PRINCIPAL, Kind.SAFETY_MANAGEMENT):
        from .reviews import check_manager  # reviews builds on this module

        check_manager(scope=scope, person=person)  # a passed assessment lifts the deadline's hold
    return cert


@transaction.atomic
def revoke(*, scope: Scope, cert: Certificate, reason: str, by=None) -> Certificate:
    """Withdraw a certificate (e.g. issued in error, or cancelled by the regulator)."""
    person = cert.person
    scope.require(training_perms.MANAGE_TRAINING, person.org_unit)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for revoking the certificate.")]})
    if cert.status == Certificate.Status.REVOKED:
        raise ValidationError(_("This certificate is already revoked."))
    before = snapshot(cert)
    cert.status = Certificate.Status.REVOKED
    cert.save(update_fields=["status"])
    audit_record(
        action="revoke",
        obj=cert,
        before=before,
        after=snapshot(cert) | {"reason": reason[:500]},
        org_path=person.org_unit.path,
    )
    return cert


def revocation_reason(cert: Certificate) -> str:
    """The reason given when ``cert`` was revoked (kept in the audit trail)."""
    from compliance.audit.models import AuditEvent

    if cert.status != Certificate.Status.REVOKED:
        return ""
    # ``cert`` was reached through the caller's scope; its own revoke event is read by its id.
    event = (
        AuditEvent.dangerously_unscoped.filter(
            tenant_id=cert.tenant_id,
            object_type=Certificate._meta.label,
            object_id=str(cert.pk),
            action="revoke",
        )
        .order_by("-seq")
        .only("after")
        .first()
    )
    return ((event.after or {}).get("reason") or "") if event else ""


# --- reads ---------------------------------------------------------------------------------------


def access_certificate(scope: Scope, pk) -> Certificate:
    return access_or_404(
        scope,
        Certificate.objects.select_related("person", "person__org_unit", "tenant", "attempt__paper"),
        pk,
    )


def certificate_list(
    *,
    scope: Scope,
    org_unit: OrgUnit | None = None,
    kind: str = "",
    operation_type: str = "",
    status: str = "",
    search: str = "",
    today: datetime.date | None = None,
) -> QuerySet[Certificate]:
    today = today or timezone.localdate()
    qs = scope.filter_queryset(Certificate.objects.select_related("person", "person__org_unit", "tenant"))
    void = void_q(RuleBook.load(), today) if status in (Display.VOID, Display.VALID) else Q()
    if org_unit is not None:
        qs = qs.filter(person__org_unit__path__startswith=org_unit.path)
    if kind:
        qs = qs.filter(kind=kind)
    if operation_type:
        qs = qs.filter(operation_type=operation_type)
    if status == Display.REVOKED:
        qs = qs.filter(status=Certificate.Status.REVOKED)
    elif status == Display.EXPIRED:
        qs = qs.filter(status=Certificate.Status.VALID, expires_on__lt=today)
    elif status == Display.VOID:
        qs = qs.filter(void)
    elif status == Display.VALID:
        qs = qs.filter(status=Certificate.Status.VALID, expires_on__gte=today).exclude(void)
    if search:
        qs = qs.filter(Q(person__name__icontains=search) | Q(number__icontains=search))
    return qs.order_by("expires_on", "number")


def person_certificates(*, scope: Scope, person: Person) -> list[Certificate]:
    """A person's certificates, newest first (one query)."""
    rows = list(
        scope.filter_queryset(Certificate.objects.filter(person=person)).order_by("-issued_on", "number")
    )
    annotate_display(rows)
    return rows


def annotate_display(rows, today: datetime.date | None = None) -> None:
    """Set ``display``, ``display_label`` and ``warning`` on each certificate (two queries)."""
    today = today or timezone.localdate()
    book = RuleBook.load()
    for cert in rows:
        cert.display = display_status(cert, today, book)
        cert.display_label = display_status_label(cert.display)
        cert.warning = review_warning(cert, today, book)


@dataclass
class DueRow:
    cert: Certificate
    due_kind: str  # "expiry" | "review"
    due_on: datetime.date
    days_left: int

    @property
    def due_label(self) -> str:
        return _("Expiry") if self.due_kind == "expiry" else _("Review")


def expiring(
    *,
    scope: Scope,
    org_unit: OrgUnit | None = None,
    today: datetime.date | None = None,
    days: int = EXPIRING_WINDOW_DAYS,
) -> list[DueRow]:
    """Every valid certificate whose expiry or review falls due within ``days`` from today,
    soonest first — one query."""
    today = today or timezone.localdate()
    until = today + datetime.timedelta(days=days)
    qs = _due_within(scope=scope, org_unit=org_unit, today=today, until=until).select_related(
        "person", "person__org_unit", "tenant"
    )
    rows = []
    for cert in qs:
        for due_kind, due_on in (("expiry", cert.expires_on), ("review", cert.review_due_on)):
            if due_on is not None and today <= due_on <= until:
                rows.append(DueRow(cert, due_kind, due_on, (due_on - today).days))
    rows.sort(key=lambda r: (r.days_left, r.cert.person.name, r.cert.number, r.due_kind))
    return rows


def _due_within(
    *, scope: Scope, org_unit, today: datetime.date, until: datetime.date
) -> QuerySet[Certificate]:
    qs = scope.filter_queryset(Certificate.objects.filter(status=Certificate.Status.VALID)).filter(
        Q(expires_on__range=(today, until)) | Q(review_due_on__range=(today, until))
    )
    qs = qs.exclude(person__status=Person.Status.LEFT).exclude(void_q(RuleBook.load(), today))
    if org_unit is not None:
        qs = qs.filter(person__org_unit__path__startswith=org_unit.path)
    return qs


def expiring_counts(
    *, scope: Scope, windows: tuple[int, ...], today: datetime.date | None = None
) -> dict[int, int]:
    """How many rows ``expiring(days=d)`` lists for each window ``d`` (an expiry and a review of
    one certificate are two rows, as on the page) — two queries whatever the number of rows."""
    today = today or timezone.localdate()
    until = today + datetime.timedelta(days=max(windows))
    aggregates = {}
    for d in windows:
        end = today + datetime.timedelta(days=d)
        aggregates[f"e{d}"] = Count("pk", filter=Q(expires_on__range=(today, end)))
        aggregates[f"r{d}"] = Count("pk", filter=Q(review_due_on__range=(today, end)))
    totals = _due_within(scope=scope, org_unit=None, today=today, until=until).aggregate(**aggregates)
    return {d: (totals[f"e{d}"] or 0) + (totals[f"r{d}"] or 0) for d in windows}


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def expiring_xlsx(rows: list[DueRow]) -> bytes:
    from compliance.imports.writer import new_workbook, workbook_bytes

    wb = new_workbook()
    ws = wb.active
    ws.title = _("Expiring")[:31]
    ws.append(
        [
            _("Name"),
            _("Employee number"),
            _("Team or mine"),
            _("Kind"),
            _("Certificate number"),
            _("Due"),
            _("Due on"),
            _("Days left"),
        ]
    )
    for row in rows:
        cert = row.cert
        ws.append(
            [
                cert.person.name,
                cert.person.employee_no,
                cert.person.org_unit.name,
                kind_label(cert),
                cert.number,
                str(row.due_label),
                row.due_on,
                row.days_left,
            ]
        )
    return workbook_bytes(wb)


# --- public verification -------------------------------------------------------------------------


def find_by_token(token: str) -> Certificate | None:
    """The certificate a verification token names, in whichever tenant it is.

    The public page has no login and so no scope. The token is 192 random bits, so holding it
    is the permission: this single lookup by the exact token runs in the platform scope (also
    past row-level security on PostgreSQL) and the caller shows only the public fields.
    """
    token = (token or "").strip()
    if not token or len(token) > 64:
        return None
    with dangerously_platform_scope():
        return (
            Certificate.dangerously_unscoped.select_related("person")
            .only(
                "id",
                "kind",
                "operation_type",
                "issued_on",
                "expires_on",
                "review_due_on",
                "status",
                "verify_token",
                "person__id",
                "person__name",
            )
            .filter(verify_token=token)
            .first()
        )


def verify_url(cert: Certificate, *, request_origin: str) -> str:
    """The absolute address the QR code carries: SITE_URL when configured (the public name of the
    site), else ``request_origin``, the scheme and host the request came in on."""
    path = reverse("training:certificate-verify", args=[cert.verify_token])
    base = getattr(settings, "SITE_URL", "").rstrip("/") or request_origin.rstrip("/")
    return f"{base}{path}"


# --- PDF -----------------------------------------------------------------------------------------


def qr_data_uri(url: str) -> str:
    import segno

    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


def certificate_html(cert: Certificate, *, verify_link: str) -> str:
    """The printable record (Chinese), with a QR code to the public verification page (a data:
    URI, the one thing the locked fetcher of ``compliance.reports.pdf`` reads besides).

    Neither kind imitates a government certificate: the group's own exam prints as its internal
    training record (企业内部培训考核合格证明, issued by the group); a statutory certificate recorded
    from outside prints as its registration (证书登记信息: issuing authority, number, dates)."""
    book = RuleBook.load()
    status = display_status(cert, book=book)
    with translation.override("zh-hans"):
        return render_to_string(
            "training/certificate_pdf.html",
            {
                "cert": cert,
                "statutory": is_statutory(cert),
                "post": person_named(cert.person).post,
                "kind": kind_label(cert),
                "status": status,
                "status_label": display_status_label(status),
                "warning": review_warning(cert, book=book),
                "qr": qr_data_uri(verify_link),
                "verify_link": verify_link,
            },
        )


def certificate_pdf(cert: Certificate, *, verify_link: str) -> bytes:
    return pdf.render_pdf(certificate_html(cert, verify_link=verify_link))
