"""Who is who: tenants (mining groups), their org tree, mines, people and roles; regulators."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from guardian.models import UserObjectPermissionBase
from stdnum.cn import uscc

from . import roles
from .scope import AgencyScopedManager, ScopedManager

region_code_validator = RegexValidator(
    r"^[1-9][0-9]{5}$", _("A region code must have exactly 6 digits."), code="invalid_region_code"
)


def validate_credit_code(value: str) -> None:
    if not uscc.is_valid(value or ""):
        raise ValidationError(
            _("Invalid unified social credit code: 18 characters with a valid check character."),
            code="invalid_credit_code",
        )


class Tenant(models.Model):
    """A mining group (集团). Created by the platform operator."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=200, unique=True)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("mining group")
        verbose_name_plural = _("mining groups")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RegulatorAgency(models.Model):
    """监管监察部门: sees, read-only, every mine whose region code starts with its prefix."""

    class Level(models.TextChoices):
        NATIONAL = "national", _("National")
        PROVINCIAL = "provincial", _("Provincial")
        PREFECTURE = "prefecture", _("Prefecture")
        COUNTY = "county", _("County")

    PREFIX_LENGTH = {Level.NATIONAL: 0, Level.PROVINCIAL: 2, Level.PREFECTURE: 4, Level.COUNTY: 6}

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=200, unique=True)
    level = models.CharField(_("level"), max_length=12, choices=Level.choices)
    region_prefix = models.CharField(
        _("jurisdiction (region-code prefix)"),
        max_length=6,
        blank=True,
        validators=[RegexValidator(r"^[0-9]*$", _("Only digits."), code="invalid_region_prefix")],
        help_text=_("2 digits for a province, 4 for a prefecture, 6 for a county, empty for national."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("regulator agency")
        verbose_name_plural = _("regulator agencies")
        ordering = ["region_prefix", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        expected = self.PREFIX_LENGTH.get(self.level)
        if expected is not None and len(self.region_prefix or "") != expected:
            raise ValidationError(
                {
                    "region_prefix": _("At level %(level)s the region prefix must have %(n)d digits.")
                    % {"level": self.get_level_display(), "n": expected}
                }
            )


class AgencyMembership(models.Model):
    """A regulator user's link to their agency. A user is in one agency or one tenant, never both."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agency_membership"
    )
    agency = models.ForeignKey(RegulatorAgency, on_delete=models.CASCADE, related_name="memberships")

    class Meta:
        verbose_name = _("regulator user")
        verbose_name_plural = _("regulator users")

    def __str__(self) -> str:
        return f"{self.user} @ {self.agency}"


class TenantOwned(models.Model):
    """Base of every tenant-owned table: non-null indexed tenant, fail-closed default manager."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, editable=False, db_index=True)

    objects = ScopedManager()
    # Loud escape hatch: every use carries a comment saying why it is safe.
    dangerously_unscoped = models.Manager()

    scope_view_perm: str | None = None
    scope_path: str | None = None
    scope_owner: str | None = None

    class Meta:
        abstract = True
        # Django's internal reads (related-object access, refresh_from_db, saves) start from an
        # object the caller already holds; the default manager stays scoped.
        base_manager_name = "dangerously_unscoped"


class AgencyOwned(models.Model):
    """Base of a regulator agency's own records (its inspections and findings at a mine, its
    supervision listings, 挂牌督办): written only by that agency's logins, read by that agency and
    by the tenant whose mine the record concerns, invisible to every other agency (DESIGN.md
    "Agency-owned records"; the same rule in PostgreSQL: ``compliance.rls.enable_agency_rls``).

    ``tenant`` is the tenant of the mine the record is about (set from the mine, never from input);
    a subclass names, like a tenant-owned model, ``scope_view_perm`` and ``scope_path`` for the
    tenant's readers."""

    agency = models.ForeignKey(
        RegulatorAgency, on_delete=models.PROTECT, editable=False, db_index=True, related_name="+"
    )
    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, editable=False, db_index=True, related_name="+"
    )

    objects = AgencyScopedManager()
    # Loud escape hatch: every use carries a comment saying why it is safe.
    dangerously_unscoped = models.Manager()

    scope_view_perm: str | None = None
    scope_path: str | None = None
    scope_owner: str | None = None

    class Meta:
        abstract = True
        base_manager_name = "dangerously_unscoped"


class OrgUnit(TenantOwned):
    """A node of the org tree: group HQ → subsidiary (子公司) → mine (矿山) → team (班组)."""

    class Kind(models.TextChoices):
        HQ = "hq", _("Group headquarters")
        SUBSIDIARY = "subsidiary", _("Subsidiary")
        MINE = "mine", _("Mine")
        TEAM = "team", _("Team")

    # What may sit under what.
    ALLOWED_PARENTS = {
        Kind.HQ: set(),
        Kind.SUBSIDIARY: {Kind.HQ, Kind.SUBSIDIARY},
        Kind.MINE: {Kind.HQ, Kind.SUBSIDIARY},
        Kind.TEAM: {Kind.MINE, Kind.TEAM},
    }

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    # Materialized path of unit ids ("<hq>/<sub>/<mine>/"): "this unit and everything under it"
    # is one indexed prefix condition.
    path = models.CharField(max_length=400, editable=False, db_index=True)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_view_perm = roles.VIEW_ORG
    scope_path = "path"

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "parent", "name"], name="orgunit_unique_name_per_parent"
            ),
            models.UniqueConstraint(
                fields=["tenant"], condition=models.Q(parent__isnull=True), name="orgunit_one_root_per_tenant"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "kind"], name="orgunit_tenant_kind")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_mine(self) -> bool:
        return self.kind == self.Kind.MINE


class MineProfile(TenantOwned):
    """The regulator-facing facts of a mine."""

    class MineType(models.TextChoices):
        COAL_UNDERGROUND = "coal_underground", _("Underground coal mine")
        COAL_OPEN_PIT = "coal_open_pit", _("Open-pit coal mine")
        METAL_UNDERGROUND = "metal_underground", _("Underground metal/non-metal mine")
        METAL_OPEN_PIT = "metal_open_pit", _("Open-pit metal/non-metal mine")
        TAILINGS_POND = "tailings_pond", _("Tailings pond")

    class ProductionStatus(models.TextChoices):
        PRODUCING = "producing", _("Producing")
        CONSTRUCTION = "construction", _("Under construction")
        SUSPENDED = "suspended", _("Suspended for rectification")
        CLOSED = "closed", _("Closed")

    LICENCES = [
        ("mining_licence", _("Mining licence")),
        ("safety_licence", _("Safety production licence")),
        ("business_licence", _("Business licence")),
    ]

    org_unit = models.OneToOneField(OrgUnit, on_delete=models.CASCADE, related_name="mine_profile")
    mine_type = models.CharField(_("mine type"), max_length=24, choices=MineType.choices)
    region_code = models.CharField(
        _("region code"), max_length=6, validators=[region_code_validator], db_index=True
    )
    mining_licence_no = models.CharField(_("mining licence number"), max_length=64, blank=True)
    mining_licence_expires = models.DateField(_("mining licence expires"), null=True, blank=True)
    safety_licence_no = models.CharField(_("safety production licence number"), max_length=64, blank=True)
    safety_licence_expires = models.DateField(_("safety production licence expires"), null=True, blank=True)
    business_licence_no = models.CharField(_("business licence number"), max_length=64, blank=True)
    business_licence_expires = models.DateField(_("business licence expires"), null=True, blank=True)
    production_status = models.CharField(
        _("production status"),
        max_length=16,
        choices=ProductionStatus.choices,
        default=ProductionStatus.PRODUCING,
    )
    # The day the current production status began: grading computes from it how long a mine has
    # been stopped (a coal grade is lost after 6 months, 定级办法). Set when the status changes.
    production_status_since = models.DateField(_("production status since"), null=True, blank=True)
    rated_capacity = models.DecimalField(
        _("rated capacity (10kt/year)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    production_started_on = models.DateField(_("production start date"), null=True, blank=True)

    scope_view_perm = roles.VIEW_ORG
    scope_path = "org_unit__path"

    class Meta:
        verbose_name = _("mine profile")
        verbose_name_plural = _("mine profiles")

    def __str__(self) -> str:
        return str(self.org_unit)

    @property
    def is_coal(self) -> bool:
        return self.mine_type.startswith("coal")

    def licences(self):
        """(label, number, expiry) for each of the three licences."""
        return [
            (label, getattr(self, f"{key}_no"), getattr(self, f"{key}_expires"))
            for key, label in self.LICENCES
        ]


class Person(TenantOwned):
    """A person on the books of a mine: own staff now, contractor staff later."""

    class PostCategory(models.TextChoices):
        PRINCIPAL = "principal", _("Principal person in charge")
        SAFETY_MANAGEMENT = "safety_management", _("Safety management staff")
        SPECIAL_OPERATION = "special_operation", _("Special-operation worker")
        OTHER = "other", _("Other worker")

    class OperationType(models.TextChoices):
        ELECTRICIAN = "electrician", _("Mine electrician")
        HOIST = "hoist", _("Hoist operator")
        GAS_INSPECTION = "gas_inspection", _("Gas inspector")
        BLASTING = "blasting", _("Blaster")
        VENTILATION = "ventilation", _("Ventilation operator")
        SAFETY_CHECK = "safety_check", _("Safety inspector")
        DRAINAGE = "drainage", _("Drainage operator")
        WATER_EXPLORATION = "water_exploration", _("Water exploration and drainage worker")
        SHEARER = "shearer", _("Shearer (roadheader) operator")
        TAILINGS = "tailings", _("Tailings operator")
        MONITORING = "monitoring", _("Safety monitoring and control operator")
        GAS_DRAINAGE = "gas_drainage", _("Gas drainage operator")
        OUTBURST_PREVENTION = "outburst_prevention", _("Outburst prevention operator")
        PROPPING = "propping", _("Propping (support) operator")
        # Not in the national catalogue of special operations (令第30号 附件): 掘进机 is one item
        # with 采煤机 (SHEARER), and 液压支架工 is a mine-internal post. Kept only while the demo's
        # job table still names them; compliance.training refuses them on a statutory certificate.
        ROADHEADER = "roadheader", _("Roadheader driver")
        HYDRAULIC_SUPPORT = "hydraulic_support", _("Hydraulic support operator")

    class Status(models.TextChoices):
        ON_POST = "on_post", _("On post")
        SUSPENDED = "suspended", _("Suspended from post")
        LEFT = "left", pgettext_lazy("person status", "Left")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="people", verbose_name=_("team or mine")
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="person"
    )
    name = models.CharField(_("name"), max_length=64)
    resident_id_cipher = models.TextField(editable=False)
    resident_id_digest = models.CharField(max_length=64, editable=False)
    resident_id_masked = models.CharField(_("resident ID"), max_length=18, editable=False)
    phone = models.CharField(
        _("phone"),
        max_length=20,
        blank=True,
        validators=[RegexValidator(r"^[0-9+\-]{5,20}$", _("Digits only, 5 to 20."), code="invalid_phone")],
    )
    employee_no = models.CharField(_("employee number"), max_length=32)
    employer = models.CharField(_("employer"), max_length=200, blank=True, help_text=_("Empty: own staff."))
    post_category = models.CharField(_("post category"), max_length=24, choices=PostCategory.choices)
    operation_type = models.CharField(
        _("operation type"), max_length=24, choices=OperationType.choices, blank=True
    )
    job_title = models.CharField(_("job title"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ON_POST)
    status_reason = models.CharField(_("status reason"), max_length=200, blank=True)
    # Retraining (DOMAIN.md: back after >= 1 year away, or changing post -> retrain before resuming).
    post_started_on = models.DateField(
        _("took the current post on"),
        null=True,
        blank=True,
        help_text=_("For new workers and changes of post."),
    )
    absent_since = models.DateField(_("away from work since"), null=True, blank=True)
    returned_on = models.DateField(_("back at work on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope_view_perm = roles.VIEW_PEOPLE
    scope_path = "org_unit__path"
    scope_owner = "id"

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["employee_no"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "employee_no"], name="person_unique_employee_no"),
            models.UniqueConstraint(
                fields=["tenant", "resident_id_digest"], name="person_unique_resident_id"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "post_category"], name="person_tenant_post")]

    def __str__(self) -> str:
        return f"{self.name} ({self.employee_no})"

    def clean(self) -> None:
        errors = {}
        if self.post_category == self.PostCategory.SPECIAL_OPERATION and not self.operation_type:
            errors["operation_type"] = _("A special-operation worker needs an operation type.")
        if self.post_category != self.PostCategory.SPECIAL_OPERATION and self.operation_type:
            errors["operation_type"] = _("Only special-operation workers have an operation type.")
        if self.status == self.Status.SUSPENDED and not self.status_reason:
            errors["status_reason"] = _("Give the reason for the suspension from post.")
        if self.returned_on and not self.absent_since:
            errors["absent_since"] = _("Give the date the absence started.")
        elif self.returned_on and self.absent_since and self.returned_on < self.absent_since:
            errors["returned_on"] = _("The return cannot be before the absence started.")
        if errors:
            raise ValidationError(errors)


class Membership(TenantOwned):
    """A role granted to a login at an org unit; it covers that unit's whole subtree."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=roles.ROLE_CHOICES)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_view_perm = roles.VIEW_MEMBERSHIPS
    scope_path = "org_unit__path"

    class Meta:
        verbose_name = _("role membership")
        verbose_name_plural = _("role memberships")
        ordering = ["org_unit__path", "role"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user", "org_unit", "role"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} @ {self.org_unit}"


class OrgUnitUserObjectPermission(UserObjectPermissionBase):
    """Ad-hoc grant on one org unit (django-guardian, direct foreign key)."""

    content_object = models.ForeignKey(OrgUnit, on_delete=models.CASCADE)


class PasswordChangeRequired(models.Model):
    """A login whose password a group admin has reset: it must choose its own before anything
    else (compliance.accounts). The row goes when the login changes its password.

    Not tenant-owned (like the login itself): it is read at login and on token use, before any
    scope exists, and says nothing about a group's records."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="password_change_required",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("password change required")
        verbose_name_plural = _("password changes required")

    def __str__(self) -> str:
        return str(self.user)


class PersonHold(TenantOwned):
    """A hold on a person: while one is open the person cannot be put on post.

    Placed and lifted only through ``tenants.holds`` by a capability (a failed spot exam today;
    later a lapsed contractor qualification or a points threshold). ``source`` says which rule
    placed it (e.g. ``"inspections.spot_exam"``); ``reference`` the record behind it — a model
    label and id, or free text. One hold per (source, reference): placing it again changes
    nothing."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="holds")
    source = models.CharField(_("source"), max_length=64)
    reason = models.CharField(_("reason"), max_length=300)
    reference_type = models.CharField(max_length=64, blank=True)
    reference_id = models.CharField(max_length=64, blank=True)
    reference_text = models.CharField(max_length=200, blank=True)
    placed_at = models.DateTimeField(_("placed at"))
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lift_reason = models.CharField(_("lift reason"), max_length=300, blank=True)

    scope_view_perm = roles.VIEW_PEOPLE
    scope_path = "person__org_unit__path"
    scope_owner = "person_id"

    class Meta:
        verbose_name = _("hold on a person")
        verbose_name_plural = _("holds on people")
        ordering = ["-placed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "source", "reference_type", "reference_id", "reference_text"],
                name="personhold_once_per_reference",
            )
        ]
        indexes = [models.Index(fields=["person", "lifted_at"], name="personhold_open_by_person")]

    def __str__(self) -> str:
        return f"{self.person_id} · {self.source} · {self.reason}"

    @property
    def is_open(self) -> bool:
        return self.lifted_at is None
