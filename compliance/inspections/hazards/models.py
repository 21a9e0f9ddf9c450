"""Hidden dangers (事故隐患), the findings of an inspection, and the major-hazard criteria as data.

- ``CriteriaCatalogue`` / ``Criterion``: the national major-hazard criteria (重大事故隐患判定标准)
  as reference data with their source, dates and verified flag (``compliance.rules.RuleSource``):
  coal 应急管理部令第4号 and its successor 第21号, metal/non-metal 矿安〔2022〕88号. Global rows, written
  only by the platform operator (the data migration, ``manage.py hazard_criteria_import``).
- ``Finding``: one line of an inspection's record — a hazard, a violation by a person (三违, kept
  with the person and its severity for the points capability), or a note.
- ``Hazard``: the register's row, its class (一般/重大), its place in the closed loop
  (``machine``), the rectification plan (五落实), acceptance and closure.
- ``HazardEvent``: the hazard's whole history, one row per step, shown on its page.
"""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from compliance.rules.base import RuleSource
from tenants.models import OrgUnit, Person, RegulatorAgency, TenantOwned

from .permissions import VIEW_HAZARDS


# --- the major-hazard criteria (reference data) -------------------------------------------------------
class CriteriaCatalogue(RuleSource):
    """One edition of a major-hazard criteria standard for one kind of mine."""

    class Family(models.TextChoices):
        COAL = "coal", _("Coal mines")
        METAL_UNDERGROUND = "metal_underground", _("Underground metal/non-metal mines")
        METAL_OPEN_PIT = "metal_open_pit", _("Open-pit metal/non-metal mines")
        TAILINGS_POND = "tailings_pond", _("Tailings ponds")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    document_no = models.CharField(_("document number"), max_length=100)
    family = models.CharField(_("kind of mine"), max_length=24, choices=Family.choices)
    effective_from = models.DateField(_("in force from"))
    effective_to = models.DateField(_("in force until"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("major-hazard criteria")
        verbose_name_plural = _("major-hazard criteria")
        ordering = ["family", "-effective_from"]

    def __str__(self) -> str:
        return f"{self.title}（{self.document_no}）"

    def in_force_on(self, day: datetime.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


class Criterion(RuleSource):
    """One condition of a catalogue: "this is a major hazard". Category items (no ``text`` of their
    own beyond the category title) stand for the category as a whole until the items are imported."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    catalogue = models.ForeignKey(CriteriaCatalogue, on_delete=models.CASCADE, related_name="criteria")
    category_no = models.PositiveSmallIntegerField(_("category number"))
    category = models.CharField(_("category"), max_length=200)
    code = models.CharField(_("code"), max_length=20, help_text=_("e.g. 4-15-1: catalogue, category, item"))
    text = models.TextField(_("text"))
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("major-hazard criterion")
        verbose_name_plural = _("major-hazard criteria items")
        ordering = ["catalogue", "category_no", "position", "code"]
        constraints = [models.UniqueConstraint(fields=["catalogue", "code"], name="criterion_code_once")]

    def __str__(self) -> str:
        return f"{self.code} {self.text[:60]}"


# --- findings of an inspection ----------------------------------------------------------------------
class Finding(TenantOwned):
    """A line of an inspection's record."""

    class Kind(models.TextChoices):
        HAZARD = "hazard", _("Hazard")
        VIOLATION = "violation", _("Violation by a person (三违)")
        NOTE = "note", _("Note")

    class Severity(models.TextChoices):
        # 三违 severity as the points capability will read it (一般/较严重/严重).
        MINOR = "minor", _("Minor")
        SERIOUS = "serious", _("Serious")
        GRAVE = "grave", _("Grave")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    inspection = models.ForeignKey(
        "inspections.Inspection", on_delete=models.CASCADE, related_name="findings"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    text = models.TextField(_("finding"))
    person = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="violations",
        verbose_name=_("person"),
    )
    severity = models.CharField(_("severity"), max_length=12, choices=Severity.choices, blank=True)
    hazard = models.OneToOneField(
        "Hazard", null=True, blank=True, on_delete=models.SET_NULL, related_name="finding"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope_view_perm = VIEW_HAZARDS
    scope_path = "inspection__org_unit__path"

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["created_at"]


# --- the hazard ---------------------------------------------------------------------------------------
class Hazard(TenantOwned):
    class Grade(models.TextChoices):
        GENERAL = "general", _("General hazard (一般)")
        MAJOR = "major", _("Major hazard (重大)")

    class Source(models.TextChoices):
        INSPECTION = "inspection", _("Inspection finding")
        SELF_CHECK = "self_check", _("Mine self-check")
        WORKER_REPORT = "worker_report", _("Worker report (随手拍)")
        REGULATOR = "regulator", _("Regulator")
        CONDITION = "condition", _("Recorded condition")

    class Status(models.TextChoices):
        REPORTED = "reported", _("Reported, awaiting confirmation")
        REGISTERED = "registered", _("Registered")
        RECTIFYING = "rectifying", _("Under rectification")
        AWAITING_ACCEPTANCE = "awaiting_acceptance", _("Awaiting acceptance")
        ACCEPTED = "accepted", _("Accepted")
        CLOSED = "closed", _("Closed (销号)")
        REJECTED = "rejected", _("Not a hazard")

    class StopScope(models.TextChoices):
        NONE = "", _("No stop")
        AREA = "area", _("The affected area")
        MINE = "mine", _("The whole mine")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.CharField(_("number"), max_length=24, editable=False)
    mine = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="hazards", verbose_name=_("mine")
    )
    location = models.CharField(_("location"), max_length=200)
    description = models.TextField(_("description"))
    photos = models.JSONField(_("photos"), default=list, blank=True)  # stored evidence names
    grade = models.CharField(_("class"), max_length=8, choices=Grade.choices, default=Grade.GENERAL)
    criterion = models.ForeignKey(
        Criterion, null=True, blank=True, on_delete=models.PROTECT, related_name="hazards",
        verbose_name=_("major-hazard criterion"),
    )  # fmt: skip
    source = models.CharField(_("found by"), max_length=16, choices=Source.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.REGISTERED)
    found_on = models.DateField(_("found on"))
    found_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    found_by_name = models.CharField(_("found by (name)"), max_length=100, blank=True)
    # A worker's own report (随手拍): the worker reads it through this link (``scope_owner``).
    reported_by_person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="reported_hazards"
    )
    inspection = models.ForeignKey(
        "inspections.Inspection", null=True, blank=True, on_delete=models.SET_NULL, related_name="hazards"
    )
    # A regulator's finding the mine registered into its own loop (source "regulator").
    agency_finding = models.OneToOneField(
        "inspections.AgencyFinding",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="hazard",
    )
    # A condition recorded by another capability (registry.report_condition): its stable key.
    condition_key = models.CharField(max_length=200, blank=True, editable=False)
    condition_gone_on = models.DateField(_("condition gone on"), null=True, blank=True)
    # 重大: reported to the regulator of the mine's region when registered.
    reported_agency = models.ForeignKey(
        RegulatorAgency, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reported_at = models.DateTimeField(_("reported to the regulator at"), null=True, blank=True)

    # Rectification (治理): 五落实 — for a major hazard every field of the plan is required.
    responsible = models.CharField(_("responsible person"), max_length=100, blank=True)
    measures = models.TextField(_("measures"), blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    target = models.TextField(_("target"), blank=True)
    funds = models.CharField(_("funds"), max_length=200, blank=True)
    materials = models.TextField(_("materials"), blank=True)
    organisation = models.TextField(_("organisation and responsible people"), blank=True)
    safety_measures = models.TextField(_("safety measures during rectification"), blank=True)
    contingency = models.TextField(_("contingency plan"), blank=True)
    stop_scope = models.CharField(
        _("production stopped"), max_length=8, choices=StopScope.choices, blank=True, default=""
    )
    stop_area = models.CharField(_("stopped area"), max_length=200, blank=True)
    rectified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rectified_at = models.DateTimeField(_("rectified at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Overdue escalation (督办): 0 none, 1 the subsidiary, 2 group HQ.
    escalation = models.PositiveSmallIntegerField(_("escalated to"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_view_perm = VIEW_HAZARDS
    scope_path = "mine__path"
    scope_owner = "reported_by_person_id"

    OPEN = (Status.REGISTERED, Status.RECTIFYING, Status.AWAITING_ACCEPTANCE, Status.ACCEPTED)

    class Meta:
        verbose_name = _("hazard")
        verbose_name_plural = _("hazards")
        ordering = ["-found_on", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="hazard_number_once"),
            models.UniqueConstraint(
                fields=["tenant", "condition_key"],
                condition=~models.Q(condition_key=""),
                name="hazard_condition_once",
            ),
        ]
        # Under row-level security the tenant condition is not an index condition, and a
        # regulator's reads name no tenant: the register's order and the dashboard's months are
        # served by ``found_on`` first, with the columns the filters and figures read included, so
        # they are answered from the index alone (docs/hazards.md "Scale": a million rows).
        _figures = ["tenant", "mine", "status", "grade", "source", "deadline"]
        indexes = [
            models.Index(fields=["tenant", "status", "deadline"], name="hazard_status_deadline"),
            models.Index(fields=["tenant", "mine", "found_on"], name="hazard_mine_found"),
            models.Index(
                fields=["found_on", "created_at"], include=[*_figures, "accepted_at"], name="hazard_found"
            ),
            # Open hazards (Hazard.OPEN), a few per cent of the register: the figures per mine and
            # the overdue list.
            models.Index(
                fields=["found_on", "created_at"],
                include=_figures,
                condition=models.Q(
                    status__in=["registered", "rectifying", "awaiting_acceptance", "accepted"]
                ),
                name="hazard_open_found",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.description[:40]}"

    @property
    def is_major(self) -> bool:
        return self.grade == self.Grade.MAJOR

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    def overdue_on(self, day: datetime.date) -> bool:
        return (
            self.is_open
            and self.deadline is not None
            and self.deadline < day
            and self.status != self.Status.ACCEPTED
        )


class HazardEvent(TenantOwned):
    """One step of a hazard's history: who did what, from which state to which, with what."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=24)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    note = models.TextField(blank=True)
    photos = models.JSONField(default=list, blank=True)
    at = models.DateTimeField()

    scope_view_perm = VIEW_HAZARDS
    scope_path = "hazard__mine__path"
    scope_owner = "hazard__reported_by_person_id"

    class Meta:
        verbose_name = _("hazard history entry")
        verbose_name_plural = _("hazard history")
        ordering = ["at", "id"]
