"""The question bank, exam papers (blueprints) and attempts."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from compliance.training import permissions as training_perms
from tenants.models import OrgUnit, Person, TenantOwned

from .rules import MineType, OperationType, PostCategory

# --- question bank ------------------------------------------------------------------------------


class Question(TenantOwned):
    """One version of a question. Versions of the same question share ``family``."""

    class Type(models.TextChoices):
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        TRUE_FALSE = "true_false", _("True/false")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    family = models.UUIDField(default=uuid.uuid4, db_index=True, editable=False)
    version = models.PositiveSmallIntegerField(default=1, editable=False)
    is_current = models.BooleanField(default=True, editable=False)
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    type = models.CharField(_("type"), max_length=12, choices=Type.choices)
    stem = models.TextField(_("stem"))
    explanation = models.TextField(_("explanation"), blank=True)
    # Tags: empty list means "any".
    post_categories = models.JSONField(_("post categories"), default=list, blank=True)
    mine_types = models.JSONField(_("mine types"), default=list, blank=True)
    topic = models.CharField(_("topic"), max_length=64, blank=True)
    difficulty = models.PositiveSmallIntegerField(
        _("difficulty"), default=2, validators=[MinValueValidator(1), MaxValueValidator(3)]
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope_view_perm = training_perms.VIEW_QUESTION_BANK
    scope_path = "org_unit__path"
    # The group's content for the units below it: a manager there reads it (never writes it).
    scope_ancestor_perm = training_perms.MANAGE_TRAINING

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["topic", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["family", "version"], name="question_version_once"),
            models.UniqueConstraint(
                fields=["family"], condition=models.Q(is_current=True), name="question_one_current"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "is_current", "type"], name="question_draw")]

    def __str__(self) -> str:
        return self.stem[:40]


class QuestionOption(TenantOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(_("text"), max_length=500)
    is_correct = models.BooleanField(_("correct"), default=False)

    scope_view_perm = training_perms.VIEW_QUESTION_BANK
    scope_path = "question__org_unit__path"
    # The group's content for the units below it: a manager there reads it (never writes it).
    scope_ancestor_perm = training_perms.MANAGE_TRAINING

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["question", "position"], name="option_position_once")]


# --- exam papers (blueprints) -----------------------------------------------------------------


class ExamPaper(TenantOwned):
    class ShowAnswers(models.TextChoices):
        """When a taker sees the correct options and explanations of their attempts: never
        while they may still sit the paper (training.selectors.answers_revealed)."""

        AFTER_LAST_ATTEMPT = "after_last_attempt", _("After the last attempt")
        NEVER = "never", _("Never (score only)")

    class CertificateKind(models.TextChoices):
        """A group's own exam issues an internal training record only: statutory certificates
        (managers' assessment, special operations) come from the issuing authority (issue 14, 9)."""

        NONE = "", _("No certificate")
        INTERNAL = "internal", _("Internal training record")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), default=120, validators=[MinValueValidator(1), MaxValueValidator(600)]
    )
    pass_mark = models.PositiveSmallIntegerField(
        _("pass mark (of 100)"), default=80, validators=[MaxValueValidator(100)]
    )
    attempts_allowed = models.PositiveSmallIntegerField(
        _("attempts allowed"), default=2, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    shuffle_questions = models.BooleanField(_("shuffle questions"), default=True)
    shuffle_options = models.BooleanField(_("shuffle options"), default=True)
    show_answers = models.CharField(
        _("answer reveal"),
        max_length=24,
        choices=ShowAnswers.choices,
        default=ShowAnswers.AFTER_LAST_ATTEMPT,
    )
    # Audience: anyone matching a post category, anyone under an org unit, or a named person.
    audience_post_categories = models.JSONField(_("audience post categories"), default=list, blank=True)
    audience_units = models.ManyToManyField(
        OrgUnit, blank=True, related_name="+", verbose_name=_("audience units")
    )
    audience_people = models.ManyToManyField(
        Person, blank=True, related_name="assigned_papers", verbose_name=_("audience people")
    )
    opens_at = models.DateTimeField(_("opens at"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    issues_certificate = models.CharField(
        _("issues certificate"), max_length=24, choices=CertificateKind.choices, blank=True, default=""
    )
    certificate_operation_type = models.CharField(
        _("certificate operation type"), max_length=24, choices=OperationType.choices, blank=True
    )
    # A spot-exam paper (逢查必考) is drawn during inspections, not assigned to an audience.
    is_spot_exam = models.BooleanField(_("spot-exam paper"), default=False)
    # Passing this paper lifts a suspension from post (下岗) that named it.
    clears_suspension = models.BooleanField(_("passing clears a suspension"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_view_perm = training_perms.VIEW_TRAINING
    scope_path = "org_unit__path"
    # The group's content for the units below it: a manager there reads it (never writes it).
    scope_ancestor_perm = training_perms.MANAGE_TRAINING

    class Meta:
        verbose_name = _("exam paper")
        verbose_name_plural = _("exam papers")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(pass_mark__lte=100), name="paper_pass_mark_max"),
        ]

    def __str__(self) -> str:
        return self.title


class PaperSection(TenantOwned):
    """One line of a blueprint: draw ``count`` current questions matching these tags."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    paper = models.ForeignKey(ExamPaper, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveSmallIntegerField(default=0)
    question_type = models.CharField(_("question type"), max_length=12, choices=Question.Type.choices)
    post_category = models.CharField(
        _("post category"), max_length=24, choices=PostCategory.choices, blank=True
    )
    mine_type = models.CharField(_("mine type"), max_length=24, choices=MineType.choices, blank=True)
    topic = models.CharField(_("topic"), max_length=64, blank=True)
    difficulty = models.PositiveSmallIntegerField(
        _("difficulty"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(3)]
    )
    count = models.PositiveSmallIntegerField(_("number of questions"), validators=[MinValueValidator(1)])
    points = models.DecimalField(_("points each"), max_digits=5, decimal_places=2)

    scope_view_perm = training_perms.VIEW_TRAINING
    scope_path = "paper__org_unit__path"
    # The group's content for the units below it: a manager there reads it (never writes it).
    scope_ancestor_perm = training_perms.MANAGE_TRAINING

    class Meta:
        ordering = ["position"]


# --- attempts -------------------------------------------------------------------------------------


class Attempt(TenantOwned):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        SUBMITTED = "submitted", _("Submitted")
        EXPIRED = "expired", _("Submitted at the deadline")

    class Occasion(models.TextChoices):
        REGULAR = "", _("Own exam")
        SPOT_EXAM = "spot_exam", _("Spot exam")
        # The re-test that lifts a suspension, started from a re-test code on a phone with nobody
        # logged in (compliance.inspections): one attempt per code, beside the paper's own count.
        RETEST = "retest", _("Re-test")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    paper = models.ForeignKey(ExamPaper, on_delete=models.PROTECT, related_name="attempts")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="attempts")
    number = models.PositiveSmallIntegerField(_("attempt number"), default=1)
    started_at = models.DateTimeField(_("started at"))
    deadline = models.DateTimeField(_("deadline"), db_index=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=2, null=True, blank=True)
    max_score = models.DecimalField(_("maximum score"), max_digits=6, decimal_places=2)
    passed = models.BooleanField(_("passed"), null=True)
    # Why the attempt was sat: one of the person's own attempts at an assigned paper, or on the
    # spot for another capability (a spot exam of an inspection, which links to the attempt from
    # its side). An occasion's attempts do not count against ``attempts_allowed``.
    occasion = models.CharField(
        _("occasion"), max_length=16, choices=Occasion.choices, blank=True, default=Occasion.REGULAR
    )

    scope_view_perm = training_perms.VIEW_TRAINING
    scope_path = "person__org_unit__path"
    scope_owner = "person_id"

    class Meta:
        verbose_name = _("exam attempt")
        verbose_name_plural = _("exam attempts")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["paper", "person", "number"], name="attempt_number_once")
        ]
        indexes = [models.Index(fields=["status", "deadline"], name="attempt_open_by_deadline")]


class AttemptQuestion(TenantOwned):
    """A question as drawn for one attempt: its version, order, option order and saved answer."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="questions")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()
    points = models.DecimalField(max_digits=5, decimal_places=2)
    option_order = models.JSONField(default=list)  # option ids as shown
    selected = models.JSONField(default=list)  # option ids chosen, saved as they are chosen
    answered_at = models.DateTimeField(null=True, blank=True)
    correct = models.BooleanField(null=True)  # set when graded

    scope_view_perm = training_perms.VIEW_TRAINING
    scope_path = "attempt__person__org_unit__path"
    scope_owner = "attempt__person_id"

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["attempt", "question"], name="attempt_question_once")]
