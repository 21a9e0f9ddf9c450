"""Rule packs (national, provincial or a tenant's own), their hours rules, the sources of single
values and the national catalogue of special operations: rules as data."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from compliance.rules.base import RuleSource
from tenants.models import MineProfile, Person, Tenant

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
