"""Inspections and their spot exams (逢查必考), and suspensions from post after a failed one.

These models moved here from the training app: their tables keep the names they had
(``training_inspection``, ``training_spotcheck``, ``training_suspension``), so the data, the
row-level security policies and the history stay as they were, and audit events about them keep
the object type they were written with (``audit_object_type``).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from compliance.training.models import Attempt, ExamPaper
from tenants import roles
from tenants.models import OrgUnit, Person, TenantOwned

from .permissions import VIEW_INSPECTIONS


class Inspection(TenantOwned):
    class Kind(models.TextChoices):
        GROUP_HQ = "group_hq", _("Group HQ inspection")
        SUBSIDIARY = "subsidiary", _("Subsidiary inspection")
        MINE_INTERNAL = "mine_internal", _("Mine internal inspection")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="inspections")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    date = models.DateField(_("date"))
    inspectors = models.CharField(_("inspectors"), max_length=300)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_view_perm = VIEW_INSPECTIONS
    scope_path = "org_unit__path"
    audit_object_type = "training.Inspection"

    class Meta:
        db_table = "training_inspection"
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-date", "-created_at"]


class SpotCheck(TenantOwned):
    """One person drawn (or picked) during an inspection to take a short paper there and then."""

    class Selection(models.TextChoices):
        RANDOM = "random", _("Drawn at random")
        PICKED = "picked", _("Picked by the inspector")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="spot_checks")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="spot_checks")
    paper = models.ForeignKey(ExamPaper, on_delete=models.PROTECT, related_name="spot_checks")
    selection = models.CharField(_("selection"), max_length=8, choices=Selection.choices)
    # One-time code the person types on their own phone (stored as a digest, like a password).
    code_digest = models.CharField(max_length=64, blank=True, editable=False)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    # The spot exam's one attempt, once started. The link lives here, not on the attempt, so
    # training knows nothing of inspections (it marks the attempt ``occasion="spot_exam"``).
    attempt = models.OneToOneField(
        Attempt, null=True, blank=True, on_delete=models.SET_NULL, related_name="spot_check"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope_view_perm = VIEW_INSPECTIONS
    scope_path = "inspection__org_unit__path"
    audit_object_type = "training.SpotCheck"

    class Meta:
        db_table = "training_spotcheck"
        verbose_name = _("spot exam")
        verbose_name_plural = _("spot exams")
        constraints = [models.UniqueConstraint(fields=["inspection", "person"], name="spotcheck_once")]


class Suspension(TenantOwned):
    """Suspended from post (下岗) pending retraining; cleared only by passing ``clearing_paper``.

    While open, a hold on the person (``tenants.PersonHold``, source ``SPOT_EXAM_HOLD``,
    referencing this suspension) keeps them off post."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="suspensions")
    reason = models.CharField(_("reason"), max_length=300)
    spot_check = models.ForeignKey(
        SpotCheck, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A spot exam failed before a regulator (逢查必考 by the agency): the suspension is the
    # agency's order, carried out on the tenant's side; it clears the same way.
    agency_spot_check = models.ForeignKey(
        "inspections.AgencySpotCheck", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ordered_by = models.ForeignKey(
        "tenants.RegulatorAgency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("ordered by"),
    )
    clearing_paper = models.ForeignKey(ExamPaper, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(_("suspended at"))
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)
    cleared_by_attempt = models.ForeignKey(
        Attempt, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A one-time re-test code for a person with no login, typed on the spot-exam page (stored as
    # a digest, like the spot exam's own code).
    retest_code_digest = models.CharField(max_length=64, blank=True, editable=False)
    retest_code_expires_at = models.DateTimeField(null=True, blank=True)

    scope_view_perm = roles.VIEW_PEOPLE
    scope_path = "person__org_unit__path"
    scope_owner = "person_id"
    audit_object_type = "training.Suspension"

    class Meta:
        db_table = "training_suspension"
        verbose_name = _("suspension from post")
        verbose_name_plural = _("suspensions from post")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(cleared_at__isnull=True), name="suspension_one_open"
            )
        ]


# Hidden dangers live in their own subpackage (split by area); imported here so Django finds them.
from .agency.models import (  # noqa: E402, F401
    AgencyFinding,
    AgencyInspection,
    AgencySpotCheck,
    SupervisionListing,
)
from .hazards.models import (  # noqa: E402, F401
    CriteriaCatalogue,
    Criterion,
    Finding,
    Hazard,
    HazardEvent,
)
