"""Outsourcing (外包工程): contractors, their qualifications, engagements at a mine, the contractor
staff assigned to them and the mine's appraisals (DOMAIN.md, "Outsourcing").

A contractor is a record of the group (no org unit): every role of the group that reads
outsourcing sees the group's register, a regulator those of the groups with a mine in its region.
The same company may be kept by two groups; each record is its own (the credit code is unique per
group only). Engagements, staff and appraisals belong to a mine and are scoped by its path.

Contractor staff are people of the group (``tenants.Person``, employer = the contractor's name);
the link between a person and the contractor lives here (``StaffAssignment``), not in ``tenants``,
which knows no capability.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from compliance.rules.base import RuleSource
from tenants.models import OrgUnit, Person, TenantOwned, validate_credit_code

from .permissions import VIEW_CONTRACTORS


class WorkKind(models.TextChoices):
    MINING = "mining", _("Mining (采掘)")
    TUNNELLING = "tunnelling", _("Shaft and roadway construction (井巷)")
    BLASTING = "blasting", _("Blasting (爆破)")
    GEOLOGY = "geology", _("Geological exploration (地质勘探)")
    INSTALLATION = "installation", _("Installation and maintenance (安装检修)")
    TRANSPORT = "transport", _("Transport (运输)")
    OTHER = "other", pgettext_lazy("work kind", "Other")


# The kinds the "mining and tunnelling contractors" cap counts (blasting is excepted by the rule).
MINING_KINDS = (WorkKind.MINING, WorkKind.TUNNELLING)

# The safety-management agreement's required contents (总局令第62号): seven items.
AGREEMENT_ITEMS = [
    ("funding", _("Safety funding")),
    ("facilities", _("Safety facilities and equipment")),
    ("hazards", _("Hazards of the site and their control")),
    ("training", _("Safety training")),
    ("emergency", _("Emergency rescue")),
    ("inspection", _("Safety inspection and hidden dangers")),
    ("liability", _("Responsibilities and liability")),
]
AGREEMENT_KEYS = [key for key, _label in AGREEMENT_ITEMS]


class OutsourcingRule(RuleSource):
    """A national outsourcing rule value (no tenant: reference data every scope reads). A verified
    rule refuses an engagement or holds staff; an unverified one only warns (待核实)."""

    class Key(models.TextChoices):
        MAX_PER_SYSTEM = "max_per_system", _("Contractors per underground production system (at most)")
        MAX_MINING_LARGE = (
            "max_mining_large",
            _("Mining and tunnelling contractors at a large or medium mine (at most)"),
        )
        MAX_MINING_SMALL = (
            "max_mining_small",
            _("Mining and tunnelling contractors at a small mine (at most)"),
        )
        NO_SUBCONTRACT = "no_subcontract", _("No passing on or re-subcontracting (转包/分包)")
        NO_MAIN_VENTILATION = "no_main_ventilation", _("Main ventilation is never outsourced")
        COAL_LABOUR_ONLY = (
            "coal_labour_only",
            _("Coal: labour-only contracting of mining or tunnelling is a major hidden danger"),
        )
        REQUIRE_SAFETY_LICENCE = "require_safety_licence", _("A valid safety production licence is required")
        REQUIRE_QUALIFICATION = "require_qualification", _("A valid construction qualification is required")
        SMALL_COAL_BELOW = "small_coal_below", _("A coal mine is small below (10kt/year)")
        SMALL_NON_COAL_BELOW = "small_non_coal_below", _("A non-coal mine is small below (10kt/year)")
        POOR_BELOW = "poor_below", _("An appraisal is poor below (score)")
        POOR_IN_A_ROW = "poor_in_a_row", _("Poor appraisals in a row that propose phase-out")

    key = models.CharField(_("rule"), max_length=32, choices=Key.choices, unique=True)
    value = models.PositiveIntegerField(_("value"), help_text=_("A limit, or 1 for a rule that applies."))

    class Meta:
        verbose_name = _("outsourcing rule")
        verbose_name_plural = _("outsourcing rules")
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.get_key_display()}: {self.value}"


class Contractor(TenantOwned):
    """A contractor company (外包队伍) in the group's register."""

    class Status(models.TextChoices):
        APPROVED = "approved", _("Approved")
        SUSPENDED = "suspended", pgettext_lazy("contractor status", "Suspended")
        PHASED_OUT = "phased_out", _("Phased out (清退)")
        BLACKLISTED = "blacklisted", _("Blacklisted")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=200)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, validators=[validate_credit_code]
    )
    legal_representative = models.CharField(_("legal representative"), max_length=64)
    contact_name = models.CharField(_("contact person"), max_length=64, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    work_kind = models.CharField(_("kind of work"), max_length=16, choices=WorkKind.choices)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.APPROVED)
    status_reason = models.CharField(_("reason of the status"), max_length=300, blank=True)
    status_on = models.DateField(_("status since"), null=True, blank=True)
    # Two poor appraisals in a row (as the rule says) propose phase-out; a manager decides.
    phase_out_proposed_on = models.DateField(_("phase-out proposed on"), null=True, blank=True)
    # A lapse of a required qualification holds the staff; each lapse is numbered so the holds of
    # a later lapse are new ones (a hold is placed once per reference).
    lapsed_since = models.DateField(_("qualifications lapsed since"), null=True, blank=True, editable=False)
    lapse_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope_view_perm = VIEW_CONTRACTORS

    class Meta:
        verbose_name = _("contractor")
        verbose_name_plural = _("contractors")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "credit_code"], name="contractor_unique_credit_code"),
        ]

    def __str__(self) -> str:
        return self.name


class Qualification(TenantOwned):
    """A 安全生产许可证 or a construction/mining 资质 of a contractor, with its scanned copy."""

    class Kind(models.TextChoices):
        SAFETY_LICENCE = "safety_licence", _("Safety production licence (安全生产许可证)")
        CONSTRUCTION = "construction", _("Construction or mining qualification (资质)")
        OTHER = "other", pgettext_lazy("qualification kind", "Other")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    contractor = models.ForeignKey(Contractor, on_delete=models.CASCADE, related_name="qualifications")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    grade = models.CharField(_("grade"), max_length=32, blank=True)
    scope_text = models.CharField(_("scope"), max_length=300, blank=True)
    number = models.CharField(_("number"), max_length=64)
    issuer = models.CharField(_("issued by"), max_length=200)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    scan = models.CharField(_("scanned copy"), max_length=300, blank=True, editable=False)
    scan_name = models.CharField(max_length=200, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_view_perm = VIEW_CONTRACTORS

    class Meta:
        verbose_name = _("qualification")
        verbose_name_plural = _("qualifications")
        ordering = ["kind", "-valid_until"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "contractor", "kind", "number"], name="qualification_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    def valid_on(self, day) -> bool:
        return self.valid_from <= day <= self.valid_until


class Engagement(TenantOwned):
    """An outsourced project (外包工程项目) of a contractor at a mine."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    mine = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="engagements")
    contractor = models.ForeignKey(Contractor, on_delete=models.PROTECT, related_name="engagements")
    work_kind = models.CharField(_("kind of work"), max_length=16, choices=WorkKind.choices)
    scope_of_work = models.CharField(_("scope of work"), max_length=500)
    underground_system = models.CharField(
        _("underground production system"), max_length=64, blank=True, help_text=_("Empty: not underground.")
    )
    labour_only = models.BooleanField(_("labour-only contracting (劳务承包)"), default=False)
    main_ventilation = models.BooleanField(_("includes the main ventilation system"), default=False)
    # Work passed on by a contractor (转包/分包): refused while the rule is verified.
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("under the engagement of"),
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    contract_number = models.CharField(_("contract number"), max_length=64)
    agreement_items = models.JSONField(_("safety agreement covers"), default=list, blank=True)
    project_manager = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        related_name="managed_engagements",
        verbose_name=_("project manager"),
    )
    project_manager_certificate = models.CharField(
        _("project manager's safety certificate number"), max_length=64
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope_view_perm = VIEW_CONTRACTORS
    scope_path = "mine__path"

    class Meta:
        verbose_name = _("engagement")
        verbose_name_plural = _("engagements")
        ordering = ["-starts_on", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "contract_number"], name="engagement_unique_contract"),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="engagement_dates"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "mine", "ends_on"], name="engagement_mine_end")]

    def __str__(self) -> str:
        return f"{self.contract_number} {self.scope_of_work[:40]}"

    @property
    def agreement_complete(self) -> bool:
        return set(AGREEMENT_KEYS) <= set(self.agreement_items or [])

    def active_on(self, day) -> bool:
        return self.starts_on <= day <= self.ends_on


class StaffAssignment(TenantOwned):
    """A person of the group working for a contractor, assigned to one of its engagements."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="contractor_assignments")
    contractor = models.ForeignKey(Contractor, on_delete=models.PROTECT, related_name="staff")
    engagement = models.ForeignKey(Engagement, on_delete=models.PROTECT, related_name="staff")
    assigned_on = models.DateField(_("assigned on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_view_perm = VIEW_CONTRACTORS
    scope_path = "engagement__mine__path"
    scope_owner = "person_id"

    class Meta:
        verbose_name = _("contractor staff assignment")
        verbose_name_plural = _("contractor staff assignments")
        ordering = ["-assigned_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(left_on__isnull=True), name="assignment_one_open"
            ),
        ]


class Appraisal(TenantOwned):
    """The mine's monthly (or per-project) appraisal (考核评价) of a contractor on an engagement."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="appraisals")
    contractor = models.ForeignKey(Contractor, on_delete=models.PROTECT, related_name="appraisals")
    period = models.DateField(_("month"), help_text=_("The first day of the month appraised."))
    score = models.PositiveSmallIntegerField(_("score"))
    poor = models.BooleanField(_("poor"), default=False, editable=False)
    findings = models.TextField(_("findings"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope_view_perm = VIEW_CONTRACTORS
    scope_path = "engagement__mine__path"

    class Meta:
        verbose_name = _("appraisal")
        verbose_name_plural = _("appraisals")
        ordering = ["-period"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "engagement", "period"], name="appraisal_once_a_month"),
        ]
