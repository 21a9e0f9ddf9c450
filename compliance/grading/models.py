"""Safety-production standardization grading (安全生产标准化).

Reference data — a grading ``Standard`` with dated ``StandardVersion``s, their ``Part`` tree, scored
``Item``s and ``LevelRule``s — is shipped for the national standards and may be added by a tenant
for its own internal standards (``Standard.owner_tenant``); a national standard is never editable by
a tenant.

Tenant records: a mine's self-``Assessment`` scores every item by ``Deduction``s (or marks it not
applicable) in ``ItemScore`` rows; the group HQ reviews it and may adjust item scores, keeping both
figures. Approved results award ``GradeCertificate``s, whose later history (downgrade, revocation,
lapse, re-check) is a list of ``GradeEvent``s. ``Accident``s feed the level rules.

Invariants kept here and in the services:
- Scores are never stored as the source of truth: an item's score is its maximum less its
  deductions (never below zero); part scores, total and level are computed from the items by
  ``grading.scoring`` every time, and frozen onto the assessment only when it is approved.
- An item save carries the row version it was based on; a save based on an older version is
  refused (optimistic concurrency), never silently overwritten.
- Level rules, veto items and preconditions are data of the standard version, not code.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from compliance.grading import permissions as grading_perms
from compliance.rules.base import RuleSource
from tenants.models import OrgUnit, Tenant, TenantOwned


class Level(models.IntegerChoices):
    """Grade levels: 1 is the best. No level is ``None`` everywhere."""

    ONE = 1, _("Level 1")
    TWO = 2, _("Level 2")
    THREE = 3, _("Level 3")


class AccidentClass(models.TextChoices):
    """生产安全事故等级 (国务院令第493号)."""

    GENERAL = "general", _("General accident")  # 一般
    LARGE = "large", _("Larger accident")  # 较大
    MAJOR = "major", _("Major accident")  # 重大
    GRAVE = "grave", _("Extraordinarily grave accident")  # 特别重大


# --- standards (reference data) ------------------------------------------------------------


class Standard(models.Model):
    """A grading standard (e.g. 煤矿安全生产标准化管理体系, AQ/T 2050.1). National when
    ``owner_tenant`` is empty; otherwise a tenant's internal standard, seen only by that tenant."""

    class Method(models.TextChoices):
        # Coal: each part scored out of 100, total = weighted average of the top-level parts.
        WEIGHTED_PARTS = "weighted_parts", _("Weighted part scores (coal)")
        # Metal/non-metal: raw points over the applicable maximum, as a percentage.
        PERCENTAGE = "percentage", _("Points as a percentage of the applicable maximum (non-coal)")

    code = models.SlugField(_("code"), max_length=60)
    name = models.CharField(_("name"), max_length=200)
    method = models.CharField(_("scoring method"), max_length=20, choices=Method.choices)
    # MineProfile.MineType values this standard applies to.
    mine_types = models.JSONField(_("mine types"), default=list)
    owner_tenant = models.ForeignKey(
        Tenant,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grading_standards",
        verbose_name=_("owned by group"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("grading standard")
        verbose_name_plural = _("grading standards")
        ordering = ["owner_tenant_id", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=models.Q(owner_tenant__isnull=True), name="standard_national_code"
            ),
            models.UniqueConstraint(fields=["owner_tenant", "code"], name="standard_tenant_code"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_national(self) -> bool:
        return self.owner_tenant_id is None


class StandardVersion(RuleSource):
    """One issue of a standard, in force between two dates, with the document that issued it.

    Its ``RuleSource`` fields are the provenance of the one rule value the version holds itself,
    the re-check interval (``recheck_months``): an unverified interval never lapses a grade on its
    own (DESIGN.md, "Rules as data"). The level and accident rules carry their own."""

    standard = models.ForeignKey(Standard, on_delete=models.PROTECT, related_name="versions")
    label = models.CharField(_("version"), max_length=40)
    document_no = models.CharField(_("issuing document"), max_length=200)
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    # Precondition codes checked before any level is given (grading.rules.PRECONDITIONS).
    preconditions = models.JSONField(_("preconditions"), default=list, blank=True)
    # Re-check due this many months after an award (None: no fixed validity).
    recheck_months = models.PositiveSmallIntegerField(_("re-check due after (months)"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("standard version")
        verbose_name_plural = _("standard versions")
        ordering = ["standard_id", "-effective_from"]
        constraints = [models.UniqueConstraint(fields=["standard", "label"], name="standard_version_label")]

    def __str__(self) -> str:
        return f"{self.standard} ({self.label})"


class Part(models.Model):
    """A part (部分), element (要素) or quality-control speciality (专业) of a standard version.

    Parts form a tree of at most two levels; items hang on leaf parts. ``weight`` weighs a part
    among its siblings (coal); ``max_points`` is informative (sum of its items' maxima)."""

    version = models.ForeignKey(StandardVersion, on_delete=models.CASCADE, related_name="parts")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    weight = models.DecimalField(_("weight"), max_digits=7, decimal_places=4, default=1)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("standard part")
        verbose_name_plural = _("standard parts")
        ordering = ["position", "code"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="part_code_per_version")]

    def __str__(self) -> str:
        return self.name


class Item(models.Model):
    """A scored item (评分项): maximum points, scoring guidance, and whether it is a veto item."""

    version = models.ForeignKey(StandardVersion, on_delete=models.CASCADE, related_name="items")
    part = models.ForeignKey(Part, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("code"), max_length=40)
    title = models.CharField(_("item"), max_length=500)
    max_points = models.DecimalField(_("maximum points"), max_digits=7, decimal_places=2)
    guidance = models.TextField(_("scoring guidance"), blank=True)
    # 否决项: failing it (any deduction) voids the level whatever the total.
    is_veto = models.BooleanField(_("veto item"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("standard item")
        verbose_name_plural = _("standard items")
        ordering = ["position", "code"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="item_code_per_version")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Superseded(models.Model):
    """A rule value corrected by the operator is not edited: a new row replaces it (``replaces``)
    and the old one is kept for history with ``superseded_at`` set. Only rows without it are in
    force; grades decided before the correction keep their frozen outcome and reason."""

    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)
    replaces = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("replaces")
    )

    class Meta:
        abstract = True


class LevelRule(RuleSource, Superseded):
    """What a level needs, as data: a minimum total, minimum part scores, a clean accident record
    and a clean grading history. Checked from level 1 down; the first rule met gives the level."""

    version = models.ForeignKey(StandardVersion, on_delete=models.CASCADE, related_name="level_rules")
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    min_total = models.DecimalField(_("minimum total"), max_digits=5, decimal_places=2)
    # Every part that holds items (each element or speciality) must reach this (None: no such
    # rule). Coal 二级/三级 name their three management parts in ``part_minimums`` instead
    # (定级办法 Art. 4: "各管理部分得分").
    min_every_part = models.DecimalField(
        _("minimum of every part"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    # {part code: minimum} for named parts.
    part_minimums = models.JSONField(_("minimums of named parts"), default=dict, blank=True)
    # {accident class: years}: no fatal accident of that class within that many years.
    fatal_lookback_years = models.JSONField(_("no fatal accident within (years)"), default=dict, blank=True)
    # No failed check or downgrade at this level within this many days (None: not checked).
    clean_history_days = models.PositiveSmallIntegerField(
        _("no failed check or downgrade within (days)"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("level rule")
        verbose_name_plural = _("level rules")
        ordering = ["level"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "level"],
                condition=models.Q(superseded_at__isnull=True),
                name="level_rule_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.version}: {self.get_level_display()}"


ACCIDENT_CLASS_ORDER = ("general", "large", "major", "grave")


class AccidentRule(RuleSource, Superseded):
    """What a fatal accident does to a valid grade of ``level``, per standard version (edition):
    the grade falls to ``to_level``, or is revoked when it is empty. A row covers accidents of
    ``accident_class`` and worse, unless a row for a worse class of the same level exists."""

    version = models.ForeignKey(StandardVersion, on_delete=models.CASCADE, related_name="accident_rules")
    level = models.PositiveSmallIntegerField(_("level of the grade"), choices=Level.choices)
    accident_class = models.CharField(
        _("accident of this class or worse"), max_length=10, choices=AccidentClass.choices
    )
    to_level = models.PositiveSmallIntegerField(
        _("falls to level (empty: revoked)"), choices=Level.choices, null=True, blank=True
    )

    class Meta:
        verbose_name = _("accident rule")
        verbose_name_plural = _("accident rules")
        ordering = ["version_id", "level", "accident_class"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "level", "accident_class"],
                condition=models.Q(superseded_at__isnull=True),
                name="accident_rule_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.version}: {self.get_level_display()} + {self.get_accident_class_display()}"


class PolicyRule(RuleSource, Superseded):
    """A national grading rule value that belongs to no standard version: how long a stopped coal
    mine keeps its grade, the non-coal deadline for 三级 (a window from ``starts_on``), the coal
    waiting year before applying for 一级."""

    class Key(models.TextChoices):
        STOPPED_PRODUCTION_MONTHS = (
            "stopped_production_months",
            _("Grade lost after stopped production (months)"),
        )
        NON_COAL_LEVEL3_YEARS = "non_coal_level3_years", _("Non-coal mines reach Level 3 within (years)")
        LEVEL1_WAIT_YEARS = "level1_wait_years", _("Years at Level 2 before applying for Level 1 (coal)")
        REGULATOR_MAJORS_MONTHS = (
            "regulator_majors_months",
            _("Look-back for major hazards found by regulators but not reported by the mine (months)"),
        )

    key = models.CharField(_("rule"), max_length=40, choices=Key.choices)
    value = models.PositiveSmallIntegerField(_("value"))
    # The start of a policy window (the 2023 non-coal target), when the rule has one.
    starts_on = models.DateField(_("counted from"), null=True, blank=True)

    class Meta:
        verbose_name = _("grading policy rule")
        verbose_name_plural = _("grading policy rules")
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=models.Q(superseded_at__isnull=True), name="policy_rule_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_key_display()}: {self.value}"


# --- tenant records ------------------------------------------------------------------------


class Assessment(TenantOwned):
    """A self-assessment of one mine against one standard version, then the HQ review."""

    class Status(models.TextChoices):
        # A context of their own: "Submitted" is also an exam attempt's status, worded differently.
        DRAFT = "draft", pgettext_lazy("assessment status", "Draft")
        SUBMITTED = "submitted", pgettext_lazy("assessment status", "Submitted")
        UNDER_REVIEW = "under_review", pgettext_lazy("assessment status", "Under review")
        APPROVED = "approved", pgettext_lazy("assessment status", "Approved")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    mine = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="assessments")
    version = models.ForeignKey(StandardVersion, on_delete=models.PROTECT, related_name="assessments")
    status = models.CharField(_("status"), max_length=14, choices=Status.choices, default=Status.DRAFT)
    assessed_on = models.DateField(_("assessment date"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("started by")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reviewer"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    # Frozen on approval from the reviewed figures (the live figures are always computed).
    total = models.DecimalField(_("total"), max_digits=6, decimal_places=2, null=True, blank=True)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices, null=True, blank=True)
    blocking_rule = models.TextField(_("rule that decided the level"), blank=True)

    scope_view_perm = grading_perms.VIEW_GRADING
    scope_path = "mine__path"

    class Meta:
        verbose_name = _("self-assessment")
        verbose_name_plural = _("self-assessments")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "status"], name="assessment_tenant_status")]


class ItemScore(TenantOwned):
    """The mine's scoring of one item (deductions or not applicable), and the reviewer's figure."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="item_scores")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    not_applicable = models.BooleanField(_("not applicable"), default=False)
    reason = models.TextField(_("reason"), blank=True)  # why not applicable
    # Sum of the deductions, kept with them so scoring reads one row per item.
    deducted = models.DecimalField(_("points deducted"), max_digits=7, decimal_places=2, default=0)
    # The HQ reviewer's score for the item, when they adjusted it; the mine's stays as it was.
    review_score = models.DecimalField(
        _("reviewer's score"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    review_comment = models.TextField(_("reviewer's comment"), blank=True)
    # Optimistic concurrency: every save increments it; a save based on another number is refused.
    row_version = models.PositiveIntegerField(default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(null=True, blank=True)

    scope_view_perm = grading_perms.VIEW_GRADING
    scope_path = "assessment__mine__path"

    class Meta:
        verbose_name = _("item score")
        verbose_name_plural = _("item scores")
        constraints = [models.UniqueConstraint(fields=["assessment", "item"], name="item_score_once")]


class Deduction(TenantOwned):
    """One finding (扣分) on an item: points, reason, location, and an optional evidence file."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    item_score = models.ForeignKey(ItemScore, on_delete=models.CASCADE, related_name="deductions")
    points = models.DecimalField(_("points"), max_digits=7, decimal_places=2)
    reason = models.TextField(_("reason"))
    location = models.CharField(_("location"), max_length=200, blank=True)
    # Name in the private storage (compliance.storage; photo or PDF, checked by compliance.files);
    # served by a scope-checked view only.
    evidence = models.CharField(_("evidence"), max_length=300, blank=True)
    evidence_name = models.CharField(_("evidence file name"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    position = models.PositiveSmallIntegerField(default=0)

    scope_view_perm = grading_perms.VIEW_GRADING
    scope_path = "item_score__assessment__mine__path"

    class Meta:
        verbose_name = _("deduction")
        verbose_name_plural = _("deductions")
        ordering = ["position", "created_at"]


class Accident(TenantOwned):
    """A production-safety accident at a mine (minimal register; it feeds the level rules)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    mine = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="accidents")
    occurred_on = models.DateField(_("date"))
    accident_class = models.CharField(_("class"), max_length=10, choices=AccidentClass.choices)
    deaths = models.PositiveSmallIntegerField(_("deaths"), default=0)
    injuries = models.PositiveSmallIntegerField(_("injuries"), default=0)
    # 国务院令第493号 Art. 3 classes an accident by deaths, serious injuries (重伤, incl. acute
    # industrial poisoning) and direct economic loss, whichever is gravest.
    serious_injuries = models.PositiveSmallIntegerField(_("serious injuries"), default=0)
    direct_loss = models.DecimalField(
        _("direct economic loss (10k yuan)"), max_digits=12, decimal_places=2, default=0
    )
    description = models.TextField(_("description"))
    # A recorded name, not a link: grading may not depend on the contractors capability
    # (import-linter), and the register must keep the name as it was when the accident happened.
    contractor_name = models.CharField(
        _("contractor (外包单位)"),
        max_length=200,
        blank=True,
        help_text=_(
            "The outsourcing company whose staff were the casualties; blank when they were the "
            "mine's own employees."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope_view_perm = grading_perms.VIEW_GRADING
    scope_path = "mine__path"

    class Meta:
        verbose_name = _("accident")
        verbose_name_plural = _("accidents")
        ordering = ["-occurred_on"]
        indexes = [models.Index(fields=["mine", "occurred_on"], name="accident_mine_date")]

    @property
    def is_fatal(self) -> bool:
        return self.deaths > 0


class GradeCertificate(TenantOwned):
    """A standardization grade awarded to a mine. ``level`` and ``status`` are the current state
    after every event; the award itself is the first event."""

    class Status(models.TextChoices):
        VALID = "valid", _("Valid")
        REVOKED = "revoked", _("Revoked")
        LAPSED = "lapsed", _("Lapsed")
        SUPERSEDED = "superseded", _("Superseded")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    mine = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="grade_certificates")
    assessment = models.ForeignKey(
        Assessment, null=True, blank=True, on_delete=models.PROTECT, related_name="certificates"
    )
    number = models.CharField(_("certificate number"), max_length=40)
    awarded_level = models.PositiveSmallIntegerField(_("awarded level"), choices=Level.choices)
    level = models.PositiveSmallIntegerField(_("current level"), choices=Level.choices)
    awarded_on = models.DateField(_("award date"))
    recheck_due = models.DateField(_("re-check or expiry due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.VALID)

    scope_view_perm = grading_perms.VIEW_GRADING
    scope_path = "mine__path"

    class Meta:
        verbose_name = _("grade certificate")
        verbose_name_plural = _("grade certificates")
        ordering = ["-awarded_on"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="grade_certificate_number"),
            # At most one valid grade per mine at a time.
            models.UniqueConstraint(
                fields=["mine"], condition=models.Q(status="valid"), name="grade_certificate_one_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "recheck_due"], name="grade_cert_status_due")]


class GradeEvent(TenantOwned):
    """Something that happened to a grade, with its reason: awarded, downgraded, revoked, lapsed,
    re-checked, or a level-1 check failed."""

    class Kind(models.TextChoices):
        AWARDED = "awarded", _("Awarded")
        DOWNGRADED = "downgraded", _("Downgraded")
        REVOKED = "revoked", _("Revoked")
        LAPSED = "lapsed", _("Lapsed")
        RECHECKED = "rechecked", _("Re-checked")
        CHECK_FAILED = "check_failed", _("Spot check failed")
        SUPERSEDED = "superseded", _("Superseded by a newer grade")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    certificate = models.ForeignKey(GradeCertificate, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=14, choices=Kind.choices)
    occurred_on = models.DateField(_("date"))
    from_level = models.PositiveSmallIntegerField(
        _("from level"), choices=Level.choices, null=True, blank=True
    )
    to_level = models.PositiveSmallIntegerField(_("to level"), choices=Level.choices, null=True, blank=True)
    reason = models.TextField(_("reason"))
    # A spot-check score that caused the event, when there was one.
    check_score = models.DecimalField(_("check score"), max_digits=5, decimal_places=2, null=True, blank=True)
    accident = models.ForeignKey(Accident, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The rule that caused an event the system recorded itself (e.g. "regulator_majors": regulators
    # found more major hazards than the mine reported), so a daily rule acts once per cause.
    cause = models.CharField(_("cause"), max_length=24, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_view_perm = grading_perms.VIEW_GRADING
    scope_path = "certificate__mine__path"

    class Meta:
        verbose_name = _("grade event")
        verbose_name_plural = _("grade events")
        ordering = ["occurred_on", "created_at"]
