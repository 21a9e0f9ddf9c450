"""Certificates (statutory, recorded from the issuing authority; internal, issued on passing the
group's exam), their reviews and reminders, and supervised practice (师带徒)."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from compliance.training import permissions as training_perms
from tenants.models import Person, TenantOwned

from .exams import Attempt
from .rules import OperationType

# --- certificates --------------------------------------------------------------------------------


def _verify_token() -> str:
    return secrets.token_urlsafe(24)


class Certificate(TenantOwned):
    class Kind(models.TextChoices):
        # Statutory: entered from the issuing authority (the regulator's assessment, the special-
        # operation certificate); never created or renewed by the group's own exam.
        PRINCIPAL = "principal", _("Principal person in charge")
        SAFETY_MANAGEMENT = "safety_management", _("Safety management staff")
        SPECIAL_OPERATION = "special_operation", _("Special operation")
        # The group's own record of a passed exam.
        INTERNAL = "internal", _("Internal training record")

    STATUTORY_KINDS = (Kind.PRINCIPAL, Kind.SAFETY_MANAGEMENT, Kind.SPECIAL_OPERATION)

    class Source(models.TextChoices):
        EXAM = "exam", _("Passed an exam here")
        EXTERNAL = "external", _("Recorded from outside")

    class Status(models.TextChoices):
        VALID = "valid", _("Valid")
        REVOKED = "revoked", _("Revoked")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="certificates")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    operation_type = models.CharField(
        _("operation type"), max_length=24, choices=OperationType.choices, blank=True
    )
    number = models.CharField(_("certificate number"), max_length=64)
    issued_on = models.DateField(_("issued on"))
    expires_on = models.DateField(_("expires on"))
    review_due_on = models.DateField(_("review due on"), null=True, blank=True)
    issuer = models.CharField(_("issued by"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    attempt = models.OneToOneField(
        Attempt, null=True, blank=True, on_delete=models.PROTECT, related_name="certificate"
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.VALID)
    # Opaque, unguessable: the public verification page is found only through the QR code.
    verify_token = models.CharField(max_length=64, unique=True, default=_verify_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_view_perm = training_perms.VIEW_TRAINING
    scope_path = "person__org_unit__path"
    scope_owner = "person_id"

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["expires_on"]
        constraints = [models.UniqueConstraint(fields=["tenant", "number"], name="certificate_number_once")]

    def __str__(self) -> str:
        return self.number


class CertificateReview(TenantOwned):
    """A review (复审) of a special-operation certificate, or a practical re-exam after an absence,
    as recorded from the issuing authority (令第30号)."""

    class Kind(models.TextChoices):
        REVIEW = "review", _("Review")
        PRACTICAL_REEXAM = "practical_reexam", _("Practical re-exam after an absence")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="reviews")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.REVIEW)
    reviewed_on = models.DateField(_("reviewed on"))
    authority = models.CharField(_("reviewing authority"), max_length=200)
    retraining_hours = models.DecimalField(
        _("retraining hours before the review"), max_digits=5, decimal_places=1, default=0
    )
    # 令第30号: ten continuous years in the operation without a violation → next review in 6 years.
    extended = models.BooleanField(_("longer interval granted"), default=False)
    in_operation_since = models.DateField(_("in the operation since"), null=True, blank=True)
    previous_due_on = models.DateField(_("review was due on"), null=True, blank=True)
    next_due_on = models.DateField(_("next review due on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope_view_perm = training_perms.VIEW_TRAINING
    scope_path = "certificate__person__org_unit__path"
    scope_owner = "certificate__person_id"

    class Meta:
        verbose_name = _("certificate review")
        verbose_name_plural = _("certificate reviews")
        ordering = ["-reviewed_on", "-created_at"]


class Reminder(TenantOwned):
    """That a reminder went out, so the daily job never sends the same one twice."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE, related_name="reminders")
    due_kind = models.CharField(max_length=12)  # "expiry" | "review"
    due_on = models.DateField()
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    scope_view_perm = training_perms.VIEW_TRAINING
    scope_path = "certificate__person__org_unit__path"

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["certificate", "due_kind", "due_on", "days_before"], name="reminder_once"
            )
        ]


# --- supervised practice (师带徒) ---------------------------------------------------------------


class SupervisedPractice(TenantOwned):
    """A new underground coal worker's practice under a mentor (师带徒, 煤矿安全培训规定 第92号令):
    until ``ends_on`` (``starts_on`` + the pack's ``supervised_practice_months``) the worker is
    not counted as qualified to work alone (``training.practice``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="supervised_practices")
    mentor = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="apprentices", verbose_name=_("mentor")
    )
    starts_on = models.DateField(_("practice starts on"))
    ends_on = models.DateField(_("practice ends on"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_view_perm = training_perms.VIEW_TRAINING
    scope_path = "person__org_unit__path"
    scope_owner = "person_id"

    class Meta:
        verbose_name = _("supervised practice")
        verbose_name_plural = _("supervised practices")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gt=models.F("starts_on")), name="practice_dates"
            ),
            models.CheckConstraint(condition=~models.Q(mentor=models.F("person")), name="practice_not_self"),
        ]
        indexes = [models.Index(fields=["person", "ends_on"], name="practice_by_person")]


# --- the managers' statutory assessment (安全生产知识和管理能力考核) ------------------------------


class ManagerAssessmentSitting(TenantOwned):
    """One sitting of the regulator's assessment of a 主要负责人 or 安全生产管理人员, as entered
    from the assessing authority (statutory, issue 14 point 9): never created by a group's exam.

    The sittings in date order decide the one re-sit and the year's wait
    (安全生产资格考试与证书管理暂行办法, 安监总培训〔2013〕104号; ``training.assessments``); a passed
    one is a passed assessment for the deadline of ``manager_pass_within_months``."""

    class Kind(models.TextChoices):
        # The same values as Certificate.Kind: the sitting is for the certificate of that kind.
        PRINCIPAL = "principal", _("Principal person in charge")
        SAFETY_MANAGEMENT = "safety_management", _("Safety management staff")

    class Result(models.TextChoices):
        PASSED = "passed", pgettext_lazy("assessment result", "Passed")
        FAILED = "failed", pgettext_lazy("assessment result", "Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="assessment_sittings")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    applied_on = models.DateField(_("applied on"), null=True, blank=True)
    sat_on = models.DateField(_("date of the sitting"))
    authority = models.CharField(_("assessing authority"), max_length=200)
    result = models.CharField(_("result"), max_length=8, choices=Result.choices)
    score = models.DecimalField(_("score"), max_digits=4, decimal_places=1, null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope_view_perm = training_perms.VIEW_TRAINING
    scope_path = "person__org_unit__path"
    scope_owner = "person_id"

    class Meta:
        verbose_name = _("managers' assessment sitting")
        verbose_name_plural = _("managers' assessment sittings")
        ordering = ["sat_on", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "person", "kind", "sat_on"], name="assessment_sitting_once_a_day"
            ),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=0, score__lte=100),
                name="assessment_sitting_score",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sat_on} {self.get_result_display()}"
