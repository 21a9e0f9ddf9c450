"""Training and exams: rule packs, courses and hours, the question bank, exam papers, attempts,
and certificates. Inspections and their spot exams (逢查必考) live in ``compliance.inspections``,
which starts attempts here with ``occasion="spot_exam"``.

Invariants kept here and in ``training.services``:
- A question is never edited in place: an edit makes a new version (same ``family``), and an
  attempt points at the version it showed.
- An attempt's deadline is fixed by the server when it starts; answers saved after it are refused
  and grading uses only what was saved in time.
- Correct answers live on ``QuestionOption.is_correct`` and never leave the server while the
  taker may still sit the paper (serializers for workers never name that field; the one rule
  that lets keys out is ``training.selectors.answers_revealed``).
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from compliance.rules.base import RuleSource
from compliance.training import permissions as training_perms
from tenants.models import MineProfile, OrgUnit, Person, Tenant, TenantOwned

PostCategory = Person.PostCategory
OperationType = Person.OperationType
MineType = MineProfile.MineType


class MineGroup(models.TextChoices):
    """Rules split first by coal vs non-coal (DOMAIN.md)."""

    ANY = "", _("Any mine type")
    COAL = "coal", _("Coal mines")
    NON_COAL = "non_coal", _("Non-coal mines")


def mine_group_of(mine_type: str | None) -> str:
    if not mine_type:
        return MineGroup.ANY
    return MineGroup.COAL if mine_type.startswith("coal") else MineGroup.NON_COAL


# --- rule packs: national, provincial or a tenant's own (training.packs resolves them) ---------


class RulePack(RuleSource):
    """The training rules in force between two dates, with the document that issued them.

    A pack is **national** (no region, no owner), **provincial** (``region_prefix``: the mines whose
    region code starts with it) or a **tenant's own** (``owner_tenant``: that group's mines, seen by
    that group only). For a mine on a day the most specific pack in force applies (tenant, then the
    longest matching region prefix, then national), and a provincial or tenant pack may be
    stricter, never looser, than the national pack in force (``training.packs``). ``source`` and
    ``verified`` cover the pack's own values (pass mark, attempts, periods); each hours rule
    carries its own.
    """

    class Level(models.TextChoices):
        NATIONAL = "national", _("National")
        PROVINCIAL = "provincial", _("Provincial")
        TENANT = "tenant", _("Group's own")

    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    document_no = models.CharField(_("issuing document"), max_length=200)
    # Region-code prefix (GB/T 2260) of a provincial (or prefectural) pack; empty otherwise.
    region_prefix = models.CharField(
        _("region-code prefix"),
        max_length=6,
        blank=True,
        default="",
        validators=[RegexValidator(r"^[0-9]*$", _("Only digits."), code="invalid_region_prefix")],
    )
    # A group's own pack: tenant data, read only inside that group's scope (training.packs).
    owner_tenant = models.ForeignKey(
        Tenant, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("group")
    )
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    pass_mark = models.PositiveSmallIntegerField(_("pass mark (of 100)"), default=80)
    attempts_allowed = models.PositiveSmallIntegerField(_("attempts allowed"), default=2)
    special_cert_valid_years = models.PositiveSmallIntegerField(
        _("special-operation certificate valid (years)"), default=6
    )
    special_cert_review_years = models.PositiveSmallIntegerField(
        _("special-operation certificate review interval (years)"), default=3
    )
    manager_cert_valid_years = models.PositiveSmallIntegerField(
        _("manager certificate valid (years)"), default=3
    )
    retrain_after_absence_days = models.PositiveSmallIntegerField(
        _("retrain after an absence of (days)"), default=365
    )
    # 煤矿安全培训规定 (第92号令): new underground coal workers practise under a mentor (师带徒).
    supervised_practice_months = models.PositiveSmallIntegerField(
        _("supervised practice of new underground coal workers (months)"), default=4
    )
    reminder_days = models.JSONField(_("reminder days before a due date"), default=list)
    # Certificate rules of 令第30号 and of the managers' assessment (issue 14, points 7 and 9). Each
    # value's source and verified flag is a ``PackValueSource`` row: a value is binding (voids,
    # holds) only once verified.
    special_cert_review_years_long_service = models.PositiveSmallIntegerField(
        _("special-operation review interval after long clean service (years)"), default=6
    )
    special_cert_long_service_years = models.PositiveSmallIntegerField(
        _("continuous years in the operation for the longer review interval"), default=10
    )
    special_cert_review_min_hours = models.PositiveSmallIntegerField(
        _("retraining hours before a special-operation review"), default=8
    )
    special_reexam_after_absence_months = models.PositiveSmallIntegerField(
        _("practical re-exam after an absence from the operation of (months)"), default=6
    )
    manager_apply_within_days = models.PositiveSmallIntegerField(
        _("managers apply for assessment within (days of taking the post)"), default=30
    )
    manager_pass_within_months = models.PositiveSmallIntegerField(
        _("managers pass the assessment within (months of taking the post)"), default=6
    )
    manager_resits_allowed = models.PositiveSmallIntegerField(_("managers' assessment re-sits"), default=1)
    manager_wait_after_fail_months = models.PositiveSmallIntegerField(
        _("wait after failing the re-sit (months)"), default=12
    )
    internal_record_valid_years = models.PositiveSmallIntegerField(
        _("internal training record valid (years)"), default=1
    )

    class Meta:
        verbose_name = _("training rule pack")
        verbose_name_plural = _("training rule packs")
        ordering = ["-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=models.Q(owner_tenant__isnull=True), name="rulepack_code_shared"
            ),
            models.UniqueConstraint(
                fields=["owner_tenant", "code"],
                condition=models.Q(owner_tenant__isnull=False),
                name="rulepack_code_per_tenant",
            ),
            # A group's own pack covers the group's mines; a provincial one every group's.
            models.CheckConstraint(
                condition=models.Q(owner_tenant__isnull=True) | models.Q(region_prefix=""),
                name="rulepack_tenant_or_region",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.document_no})"

    @property
    def level(self) -> str:
        if self.owner_tenant_id:
            return self.Level.TENANT
        return self.Level.PROVINCIAL if self.region_prefix else self.Level.NATIONAL

    def get_level_display(self) -> str:
        return str(self.Level(self.level).label)

    @property
    def specificity(self) -> int:
        """Higher wins: a group's own pack, then the longest region prefix, then national."""
        if self.owner_tenant_id:
            return 100
        return len(self.region_prefix)

    def in_force(self, day) -> bool:
        return self.effective_from <= day and (self.effective_to is None or self.effective_to >= day)

    @classmethod
    def for_date(cls, day) -> RulePack:
        """The **national** pack in force on ``day`` (the latest one that started on or before it).
        Provincial and group packs are resolved per mine by ``training.packs``."""
        pack = (
            cls.objects.filter(owner_tenant__isnull=True, region_prefix="", effective_from__lte=day)
            .filter(models.Q(effective_to__isnull=True) | models.Q(effective_to__gte=day))
            .order_by("-effective_from")
            .first()
        )
        if pack is None:
            raise cls.DoesNotExist(f"no training rule pack in force on {day}")
        return pack


class HoursRule(RuleSource):
    """Required training hours for a post category (and mine group, or one mine type) under a
    rule pack. The most specific row wins: mine type, then mine group, then any mine.
    ``source``/``verified``: a shortfall or the pre-job gate (岗前) of an unverified rule only
    warns (待核实)."""

    pack = models.ForeignKey(RulePack, on_delete=models.CASCADE, related_name="hours_rules")
    post_category = models.CharField(_("post category"), max_length=24, choices=PostCategory.choices)
    mine_group = models.CharField(
        _("mine group"), max_length=12, choices=MineGroup.choices, blank=True, default=""
    )
    mine_type = models.CharField(
        _("mine type"), max_length=24, choices=MineType.choices, blank=True, default=""
    )
    initial_hours = models.PositiveSmallIntegerField(_("initial training hours"))
    annual_hours = models.PositiveSmallIntegerField(_("annual retraining hours"))

    class Meta:
        verbose_name = _("hours rule")
        verbose_name_plural = _("hours rules")
        constraints = [
            models.UniqueConstraint(
                fields=["pack", "post_category", "mine_group", "mine_type"], name="hoursrule_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_post_category_display()} {self.initial_hours}/{self.annual_hours}"

    @property
    def owner_tenant_id(self):
        """The group whose pack this row is in (None for shared packs): its audit chain."""
        return self.pack.owner_tenant_id

    def clean(self) -> None:
        if self.mine_type:
            # A mine type names its group; keep the two consistent so lookups by either agree.
            self.mine_group = mine_group_of(self.mine_type)


class PackValueSource(RuleSource):
    """Where one value of a rule pack comes from, and whether it is verified (rules as data).

    One row per (pack, field). A value with no row counts as unverified: it may warn, never void a
    certificate or place a hold."""

    pack = models.ForeignKey(RulePack, on_delete=models.CASCADE, related_name="value_sources")
    field = models.CharField(_("rule value"), max_length=64)

    class Meta:
        verbose_name = _("rule pack value source")
        verbose_name_plural = _("rule pack value sources")
        constraints = [models.UniqueConstraint(fields=["pack", "field"], name="packvaluesource_once")]

    def __str__(self) -> str:
        return f"{self.pack.code}.{self.field}"


class SpecialOperationType(RuleSource):
    """One entry of the national catalogue of special operations (特种作业目录, 令第30号 附件) for
    mines: the operation types a statutory special-operation certificate may name, per mine group.
    A mine-internal post (e.g. 液压支架工) is not in it and is refused as a special operation."""

    mine_group = models.CharField(_("mine group"), max_length=12, choices=MineGroup.choices)
    operation_type = models.CharField(_("operation type"), max_length=24, choices=OperationType.choices)
    item = models.CharField(_("catalogue item"), max_length=8)
    name = models.CharField(_("name in the catalogue"), max_length=100)

    class Meta:
        verbose_name = _("special operation (national catalogue)")
        verbose_name_plural = _("special operations (national catalogue)")
        ordering = ["item"]
        constraints = [
            models.UniqueConstraint(fields=["mine_group", "operation_type"], name="specialoperation_once")
        ]

    def __str__(self) -> str:
        return f"{self.item} {self.name}"


# --- courses, sessions, attendance ------------------------------------------------------------


class Course(TenantOwned):
    class Kind(models.TextChoices):
        INITIAL = "initial", _("Initial training")
        ANNUAL = "annual", _("Annual retraining")
        NEW_WORKER = "new_worker", _("New worker training")
        SPECIAL_OPERATION = "special_operation", _("Special-operation training")
        SPECIAL_TOPIC = "special_topic", _("Special topic")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    operation_type = models.CharField(
        _("operation type"), max_length=24, choices=OperationType.choices, blank=True
    )
    title = models.CharField(_("title"), max_length=200)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_view_perm = training_perms.VIEW_TRAINING
    scope_path = "org_unit__path"

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "org_unit", "title"], name="course_unique_title")
        ]

    def __str__(self) -> str:
        return self.title


class TrainingSession(TenantOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    instructor = models.CharField(_("instructor"), max_length=64, blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_view_perm = training_perms.VIEW_TRAINING
    scope_path = "org_unit__path"

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="session_dates"
            )
        ]


class Attendance(TenantOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="attendances")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="attendances")
    hours = models.DecimalField(_("hours attended"), max_digits=5, decimal_places=1)

    scope_view_perm = training_perms.VIEW_TRAINING
    scope_path = "person__org_unit__path"
    scope_owner = "person_id"

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        constraints = [models.UniqueConstraint(fields=["session", "person"], name="attendance_once")]


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
