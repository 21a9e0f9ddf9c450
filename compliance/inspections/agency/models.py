"""Agency-owned records: ``AgencyInspection`` (a regulator's inspection of a mine), its
``AgencyFinding`` lines, its ``AgencySpotCheck`` spot exams (逢查必考 by the regulator), and
``SupervisionListing`` (挂牌督办: the agency supervises the
rectification of one major hazard of the mine's register until it closes the listing).

Tables live in the inspections app; each has the agency-owned row-level security policy
(``compliance.rls.enable_agency_rls``)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from compliance.inspections.hazards.models import Criterion, Hazard
from compliance.inspections.hazards.permissions import VIEW_HAZARDS
from compliance.training.models import Attempt, ExamPaper
from tenants.models import AgencyOwned, OrgUnit, Person


class AgencyInspection(AgencyOwned):
    """执法检查: an agency's inspection of one mine on one day."""

    class Kind(models.TextChoices):
        ROUTINE = "routine", _("Routine inspection")
        RANDOM = "random", _("Random spot check")
        SPECIAL = "special", _("Special inspection")
        FOLLOW_UP = "follow_up", _("Follow-up inspection")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    mine = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("mine"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.ROUTINE)
    inspected_on = models.DateField(_("inspected on"))
    inspectors = models.CharField(_("inspectors"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope_view_perm = VIEW_HAZARDS
    scope_path = "mine__path"

    class Meta:
        verbose_name = _("regulator's inspection")
        verbose_name_plural = _("regulators' inspections")
        ordering = ["-inspected_on", "-created_at"]
        indexes = [models.Index(fields=["agency", "-inspected_on"], name="agencyinsp_agency_day")]

    def __str__(self) -> str:
        return f"{self.inspected_on} {self.get_kind_display()}"


class AgencyFinding(AgencyOwned):
    """One line of an agency's inspection record: a hazard (its class, the criterion it meets and
    the deadline the agency orders), a violation of the law by the enterprise, or a note. A hazard
    finding enters the mine's own register when the mine registers it (``Hazard.agency_finding``)."""

    class Kind(models.TextChoices):
        HAZARD = "hazard", _("Hazard")
        VIOLATION = "violation", _("Violation")
        NOTE = "note", _("Note")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    inspection = models.ForeignKey(AgencyInspection, on_delete=models.CASCADE, related_name="findings")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    grade = models.CharField(_("class"), max_length=8, choices=Hazard.Grade.choices, blank=True)
    criterion = models.ForeignKey(
        Criterion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("criterion"),
    )
    location = models.CharField(_("location"), max_length=200, blank=True)
    text = models.TextField(_("finding"))
    deadline = models.DateField(_("rectify by"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_view_perm = VIEW_HAZARDS
    scope_path = "inspection__mine__path"

    class Meta:
        verbose_name = _("regulator's finding")
        verbose_name_plural = _("regulators' findings")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def is_major(self) -> bool:
        return self.kind == self.Kind.HAZARD and self.grade == Hazard.Grade.MAJOR


class SupervisionListing(AgencyOwned):
    """挂牌督办: the agency lists a major hazard of the mine's register for supervision, with a
    deadline, and closes the listing (摘牌) once the mine's acceptance has passed."""

    class Status(models.TextChoices):
        LISTED = "listed", _("Under supervision")
        CLOSED = "closed", _("Closed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    hazard = models.ForeignKey(
        Hazard, on_delete=models.PROTECT, related_name="supervision_listings", verbose_name=_("hazard")
    )
    mine = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("mine"))
    authority = models.CharField(_("listed by"), max_length=200)
    document_no = models.CharField(_("document number"), max_length=100, blank=True)
    listed_on = models.DateField(_("listed on"))
    deadline = models.DateField(_("deadline"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.LISTED)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closing_note = models.TextField(_("closing note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope_view_perm = VIEW_HAZARDS
    scope_path = "mine__path"

    class Meta:
        verbose_name = _("supervision listing")
        verbose_name_plural = _("supervision listings")
        ordering = ["-listed_on", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "hazard"],
                condition=models.Q(status="listed"),
                name="supervision_one_open_per_agency",
            )
        ]

    def __str__(self) -> str:
        return f"{self.authority} {self.listed_on}"


class AgencySpotCheck(AgencyOwned):
    """逢查必考 by the regulator: one person of the mine drawn during the agency's inspection to sit
    a spot-exam paper of the mine's group there and then, on their own phone with a one-time code.

    The attempt is training's, like any spot exam's (``occasion="spot_exam"``); the link lives
    here. A failed attempt suspends the person from post with a hold recorded as ordered by the
    agency (``inspections.services.apply_attempt_result``) — the one effect of an agency's record
    on the tenant's side."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    inspection = models.ForeignKey(AgencyInspection, on_delete=models.CASCADE, related_name="spot_checks")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("person"))
    paper = models.ForeignKey(ExamPaper, on_delete=models.PROTECT, related_name="+", verbose_name=_("paper"))
    # A one-time code the person types on their phone (a digest, like the group's spot exams).
    code_digest = models.CharField(max_length=64, blank=True, editable=False)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    attempt = models.OneToOneField(
        Attempt, null=True, blank=True, on_delete=models.SET_NULL, related_name="agency_spot_check"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope_view_perm = VIEW_HAZARDS
    scope_path = "inspection__mine__path"

    class Meta:
        verbose_name = _("regulator's spot exam")
        verbose_name_plural = _("regulators' spot exams")
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["inspection", "person"], name="agencyspotcheck_once")]

    def __str__(self) -> str:
        return f"{self.inspection.inspected_on} · {self.person.name}"
