"""Team safety points (班组安全积分, DOMAIN.md "Team safety points").

- ``PointsSettings``: the group's cycle (month / quarter / year), starting balance and carry-over.
  No national standard: every number is the group's configuration.
- ``PointsRule``: the catalogue. Group rules sit at the group's head office; a mine adds its own and
  may make a group rule stricter under the same code, never milder (``services.rule_create``).
- ``Entry``: the ledger, append-only. A correction is a reversing entry with a reason; a row is never
  edited or deleted (``save``/``delete`` and the queryset refuse). Each source (an inspection
  finding, a hazard report, an import row …) is counted once: (tenant, source kind, reference) is
  unique.
- ``Balance``: one row per person and cycle, moved by ``UPDATE … SET balance = balance + x`` in the
  transaction of the entry, so it equals opening + the cycle's entries at every commit, also under
  concurrent writers (the UPDATE holds the row's lock until commit).
- ``Threshold``: below a balance, an action (warning talk, corrective training 矫正培训, hold). Rule
  data with source and verified flag: an unverified hold threshold only warns.
- ``ThresholdAction``: one per person, threshold and cycle — the to-do it opened and how it closed.
- ``Proposal``: an entry waiting for a manager: proposed by a source (a 三违 finding, a confirmed
  worker report) or recorded under a rule that needs approval.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from compliance.rules.base import RuleSource
from tenants.models import OrgUnit, Person, TenantOwned
from tenants.scope import ScopedManager, ScopedQuerySet

from .permissions import VIEW_POINTS, VIEW_POINTS_TEAMS


class Cycle(models.TextChoices):
    MONTH = "month", pgettext_lazy("points cycle", "Month")
    QUARTER = "quarter", pgettext_lazy("points cycle", "Quarter")
    YEAR = "year", pgettext_lazy("points cycle", "Year")


class PointsSettings(TenantOwned):
    """The group's points cycle. One row per group; absent, the defaults below apply."""

    cycle = models.CharField(_("points cycle"), max_length=8, choices=Cycle.choices, default=Cycle.YEAR)
    starting_balance = models.PositiveSmallIntegerField(_("starting balance"), default=12)
    # The surplus above the starting balance a person carries into the next cycle, at most this
    # many points (0: every cycle starts afresh). Deficits are never carried: a new cycle is a
    # new start, as the practice of "12 points a year" has it.
    carry_over_cap = models.PositiveSmallIntegerField(_("carry-over (at most)"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    scope_view_perm = VIEW_POINTS_TEAMS

    class Meta:
        verbose_name = _("points settings")
        verbose_name_plural = _("points settings")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="points_settings_once")]

    def __str__(self) -> str:
        return f"{self.get_cycle_display()} · {self.starting_balance}"


class Category(models.TextChoices):
    VIOLATION = "violation", _("Violation (三违)")
    DEDUCTION = "deduction", _("Other deduction")
    AWARD = "award", _("Award")


class ViolationKind(models.TextChoices):
    COMMAND = "command", _("Illegal command (违章指挥)")
    OPERATION = "operation", _("Illegal operation (违章作业)")
    DISCIPLINE = "discipline", _("Breach of labour discipline (违反劳动纪律)")


class Severity(models.TextChoices):
    # The values of inspections' Finding.Severity, so a finding names its rule by severity.
    GRAVE = "grave", pgettext_lazy("violation severity", "Grave (严重)")
    SERIOUS = "serious", pgettext_lazy("violation severity", "Serious (较重)")
    MINOR = "minor", pgettext_lazy("violation severity", "Minor (一般)")


class Recorder(models.TextChoices):
    TEAM_LEADER = "team_leader", _("Team leader or manager")
    MANAGER = "manager", _("Safety manager only")


class PointsRule(TenantOwned):
    """One line of the catalogue: a code, what it is for, and its points."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("group or mine")
    )
    code = models.CharField(_("code"), max_length=32)
    title = models.CharField(_("description"), max_length=200)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    violation_kind = models.CharField(
        _("kind of violation"), max_length=12, choices=ViolationKind.choices, blank=True
    )
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, blank=True)
    points = models.SmallIntegerField(_("points"), help_text=_("Negative for a deduction."))
    recorder = models.CharField(
        _("who may record"), max_length=12, choices=Recorder.choices, default=Recorder.TEAM_LEADER
    )
    needs_approval = models.BooleanField(_("needs approval"), default=False)
    active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_view_perm = VIEW_POINTS
    scope_path = "org_unit__path"
    # A mine's managers read the group's rules placed at the head office above them.
    scope_ancestor_perm = VIEW_POINTS

    class Meta:
        verbose_name = _("points rule")
        verbose_name_plural = _("points rules")
        ordering = ["category", "code"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "org_unit", "code"], name="points_rule_code_once"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title} ({self.points:+d})"

    def clean(self) -> None:
        errors = {}
        if self.points == 0:
            errors["points"] = _("A rule moves the balance: give a number other than 0.")
        elif self.category == Category.AWARD and self.points < 0:
            errors["points"] = _("An award adds points: give a positive number.")
        elif self.category != Category.AWARD and self.points > 0:
            errors["points"] = _("A deduction takes points off: give a negative number.")
        if self.category == Category.VIOLATION:
            if not self.violation_kind:
                errors["violation_kind"] = _("Choose the kind of violation.")
            if not self.severity:
                errors["severity"] = _("Choose the severity of the violation.")
        elif self.violation_kind or self.severity:
            errors["category"] = _("Only a violation (三违) has a kind and a severity.")
        if errors:
            raise ValidationError(errors)


class SourceKind(models.TextChoices):
    MANUAL = "manual", _("Recorded by hand")
    IMPORT = "import", _("Excel import")
    FINDING = "finding", _("Inspection finding (三违)")
    HAZARD_REPORT = "hazard_report", _("Confirmed hazard report")
    SPOT_EXAM = "spot_exam", _("Spot exam")
    TRAINING = "training", _("Training completion")
    DUTY = "duty", _("Duty assessment")
    REVERSAL = "reversal", _("Reversal")


class LedgerQuerySet(ScopedQuerySet):
    """The ledger is append-only: a queryset never updates or deletes its rows."""

    def update(self, **kwargs):
        raise ValidationError(_("Points entries are never changed: record a reversing entry."))

    def delete(self):
        raise ValidationError(_("Points entries are never deleted: record a reversing entry."))


class LedgerManager(ScopedManager.from_queryset(LedgerQuerySet)):
    pass


class Entry(TenantOwned):
    """A line of the ledger (积分记录)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("person"))
    # Where the person worked when it happened: rankings count it for that team for good.
    team = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("team"))
    mine = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("mine"))
    occurred_on = models.DateField(_("date"))
    cycle_start = models.DateField(_("cycle"), editable=False)
    rule = models.ForeignKey(PointsRule, on_delete=models.PROTECT, related_name="+", verbose_name=_("rule"))
    points = models.SmallIntegerField(_("points"))
    reason = models.TextField(_("reason"))
    evidence_url = models.URLField(_("evidence (link)"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_kind = models.CharField(_("source"), max_length=16, choices=SourceKind.choices)
    source_ref = models.CharField(_("source reference"), max_length=64, blank=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversal"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LedgerManager()
    dangerously_unscoped = models.Manager.from_queryset(LedgerQuerySet)()

    scope_view_perm = VIEW_POINTS
    scope_path = "team__path"
    scope_owner = "person_id"

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        ordering = ["-occurred_on", "-created_at"]
        base_manager_name = "dangerously_unscoped"
        constraints = [
            # A source is counted once, however often it is edited or confirmed again.
            models.UniqueConstraint(
                fields=["tenant", "source_kind", "source_ref"],
                condition=~models.Q(source_ref=""),
                name="points_entry_source_once",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "person", "cycle_start"], name="points_entry_person"),
            models.Index(fields=["tenant", "mine", "occurred_on"], name="points_entry_mine_day"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_on} {self.points:+d} {self.reason[:40]}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("Points entries are never changed: record a reversing entry."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Points entries are never deleted: record a reversing entry."))


class Balance(TenantOwned):
    """A person's balance in one cycle: opening + the cycle's entries, kept by the ledger's writes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    cycle_start = models.DateField(_("cycle"))
    opening = models.SmallIntegerField(_("opening balance"))
    balance = models.IntegerField(_("balance"))
    # The team of the person's latest entry (lists by team; the ranking counts entries).
    team = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    mine = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    scope_view_perm = VIEW_POINTS
    scope_path = "team__path"
    scope_owner = "person_id"

    class Meta:
        verbose_name = _("points balance")
        verbose_name_plural = _("points balances")
        ordering = ["balance"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "person", "cycle_start"], name="points_balance_once"),
        ]
        indexes = [models.Index(fields=["tenant", "mine", "cycle_start", "balance"], name="points_bal_mine")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.cycle_start}: {self.balance}"


class ActionKind(models.TextChoices):
    TALK = "talk", _("Warning talk")
    TRAINING = "training", _("Corrective training (矫正培训)")
    HOLD = "hold", _("Hold off post")


class Threshold(TenantOwned, RuleSource):
    """Below ``below`` points in a cycle, ``action`` follows. Shipped unverified (no national
    standard); a group admin who sets it makes it the group's rule (verified)."""

    action = models.CharField(_("action"), max_length=12, choices=ActionKind.choices)
    below = models.SmallIntegerField(_("when the balance falls below"))
    updated_at = models.DateTimeField(auto_now=True)

    scope_view_perm = VIEW_POINTS_TEAMS

    class Meta:
        verbose_name = _("points threshold")
        verbose_name_plural = _("points thresholds")
        ordering = ["-below"]
        constraints = [models.UniqueConstraint(fields=["tenant", "action"], name="points_threshold_once")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} < {self.below}"


class ThresholdAction(TenantOwned):
    """What a crossed threshold opened for a person in a cycle, and how it was closed."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("threshold action", "Open")
        DONE = "done", pgettext_lazy("threshold action", "Done")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    mine = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    threshold = models.ForeignKey(Threshold, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("action"), max_length=12, choices=ActionKind.choices)
    cycle_start = models.DateField(_("cycle"))
    balance_at = models.IntegerField(_("balance when crossed"))
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="+")
    # False: the threshold was not verified, so a hold was not placed (待核实, a warning only).
    binding = models.BooleanField(default=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    scope_view_perm = VIEW_POINTS
    scope_path = "team__path"
    scope_owner = "person_id"

    class Meta:
        verbose_name = _("threshold action")
        verbose_name_plural = _("threshold actions")
        ordering = ["status", "-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "person", "threshold", "cycle_start"], name="points_action_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} · {self.person_id}"


class Proposal(TenantOwned):
    """An entry waiting for a manager's decision."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("points proposal", "Pending")
        ACCEPTED = "accepted", pgettext_lazy("points proposal", "Accepted")
        REJECTED = "rejected", pgettext_lazy("points proposal", "Rejected")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    mine = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(PointsRule, on_delete=models.PROTECT, related_name="+")
    occurred_on = models.DateField(_("date"))
    reason = models.TextField(_("reason"))
    evidence_url = models.URLField(_("evidence (link)"), max_length=500, blank=True)
    source_kind = models.CharField(_("source"), max_length=16, choices=SourceKind.choices)
    source_ref = models.CharField(max_length=64, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    entry = models.OneToOneField(Entry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    scope_view_perm = VIEW_POINTS
    scope_path = "team__path"
    scope_owner = "person_id"

    class Meta:
        verbose_name = _("points proposal")
        verbose_name_plural = _("points proposals")
        ordering = ["status", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "source_kind", "source_ref"],
                condition=~models.Q(source_ref=""),
                name="points_proposal_source_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} · {self.person_id} · {self.status}"
