"""Monitoring alarms (监测报警) and their handling record (有警必查、闭环处置).

- ``Alarm``: one alarm of a mine's monitoring system (安全监控、人员定位、水害、尾矿库、边坡 …): what,
  where (point code and place), the value against its limit, when; the system's own alarm id is
  unique per mine, so a retried post stores it once. Its handling is a state on the alarm
  (``machine``): open → acknowledged (who, when) → checked on site (findings) → closed (cause,
  measures), each step by a named person.
- ``AlarmEvent``: the alarm's history, one row per step (and per escalation), shown on its page.
- ``AlarmFeed``: the key of one mine's monitoring system for the intake API; bound to that mine
  and able to do nothing but post its alarms.
- ``AlarmDeadline`` / ``AlarmRule``: rules as data (``compliance.rules``) — the handling deadlines
  by alarm kind and the repeated-alarm window, each with its source and verified flag.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from compliance.rules.base import RuleSource
from tenants.models import OrgUnit, Tenant, TenantOwned

from .permissions import VIEW_ALARMS


class System(models.TextChoices):
    """The monitoring systems a mine runs (矿安〔2025〕100号 names their warning levels)."""

    SAFETY_MONITORING = "safety_monitoring", _("Safety monitoring (安全监控)")
    PERSONNEL_POSITIONING = "personnel_positioning", _("Personnel positioning (人员定位)")
    WATER_HAZARD = "water_hazard", _("Water hazard monitoring (水害监测)")
    TAILINGS = "tailings", _("Tailings pond monitoring (尾矿库监测)")
    SLOPE = "slope", _("Slope monitoring (边坡监测)")
    OTHER = "other", pgettext_lazy("monitoring system", "Other")


class Kind(models.TextChoices):
    GAS = "gas", _("Gas over limit (瓦斯超限)")
    CO = "co", _("CO over limit (一氧化碳超限)")
    WIND_SPEED = "wind_speed", _("Wind speed out of range (风速异常)")
    FAN_POWER = "fan_power", _("Power cut to a fan (通风机停电)")
    WATER_LEVEL = "water_level", _("Water level (水位异常)")
    DAM_DISPLACEMENT = "dam_displacement", _("Dam displacement (坝体位移)")
    SLOPE_DISPLACEMENT = "slope_displacement", _("Slope displacement (边坡位移)")
    SATURATION_LINE = "saturation_line", _("Saturation line (浸润线超限)")
    OVERCROWDING = "overcrowding", _("Too many people in an area (超员)")
    SENSOR_FAULT = "sensor_fault", _("Sensor fault or link down (设备故障/断线)")
    OTHER = "other", pgettext_lazy("alarm kind", "Other")


class AlarmDeadline(RuleSource):
    """How long an alarm of one kind may wait: to be acknowledged (minutes from its occurrence)
    and to be closed (hours from its occurrence); past closing by ``escalate_hq_hours`` more, it
    is escalated to group HQ as well. A row without an owner is the national default, read by
    every scope; a group's own row (``owner_tenant``) may only be stricter (DESIGN.md "Rules as
    data": a tenant may be stricter, never looser). Unverified values only warn."""

    owner_tenant = models.ForeignKey(
        Tenant,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("group"),
        help_text=_("Empty: the national default. A group's own deadline may only be stricter."),
    )
    kind = models.CharField(_("alarm kind"), max_length=24, choices=Kind.choices)
    acknowledge_minutes = models.PositiveIntegerField(_("acknowledge within (minutes)"))
    close_hours = models.PositiveIntegerField(_("close within (hours)"))
    escalate_hq_hours = models.PositiveIntegerField(_("escalate to group HQ after (hours past closing)"))

    class Meta:
        verbose_name = _("alarm handling deadline")
        verbose_name_plural = _("alarm handling deadlines")
        ordering = ["kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(owner_tenant__isnull=True),
                name="alarm_deadline_national_once",
            ),
            models.UniqueConstraint(
                fields=["owner_tenant", "kind"],
                condition=models.Q(owner_tenant__isnull=False),
                name="alarm_deadline_group_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.acknowledge_minutes} min / {self.close_hours} h"


class AlarmRule(RuleSource):
    """A value of the alarm rules that is not per kind (the repeated-alarm window)."""

    class Key(models.TextChoices):
        REPEAT_DAYS = "repeat_days", _("Repeated alarms: window (days)")
        REPEAT_COUNT = "repeat_count", _("Repeated alarms: alarms at one point within the window (at least)")

    key = models.CharField(_("rule"), max_length=24, choices=Key.choices, unique=True)
    value = models.PositiveIntegerField(_("value"))

    class Meta:
        verbose_name = _("alarm rule")
        verbose_name_plural = _("alarm rules")
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.get_key_display()}: {self.value}"


class AlarmFeed(TenantOwned):
    """A mine's monitoring system as a client of the intake API (报警数据接入). Only the SHA-256 of
    its key is stored; the key is shown once. It is bound to one mine: it posts that mine's alarms
    and nothing else, whatever the body says."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    mine = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("mine"))
    name = models.CharField(_("name"), max_length=100)
    key_prefix = models.CharField(_("key starts with"), max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.CharField(_("made by"), max_length=150, blank=True, editable=False)
    created_at = models.DateTimeField(_("made"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    scope_view_perm = VIEW_ALARMS
    scope_path = "mine__path"

    class Meta:
        verbose_name = _("alarm feed")
        verbose_name_plural = _("alarm feeds")
        ordering = ["-created_at"]
        base_manager_name = "dangerously_unscoped"

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class Alarm(TenantOwned):
    """One alarm and its handling record."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open (未处置)")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged (已确认)")
        CHECKED = "checked", _("Checked on site (已核查)")
        CLOSED = "closed", pgettext_lazy("alarm status", "Closed (已闭环)")

    class Source(models.TextChoices):
        FEED = "feed", _("Intake API")
        IMPORT = "import", _("Import of the system's export")

    OPEN_STATES = (Status.OPEN, Status.ACKNOWLEDGED, Status.CHECKED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    mine = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("mine"))
    system = models.CharField(_("system"), max_length=24, choices=System.choices)
    kind = models.CharField(_("alarm kind"), max_length=24, choices=Kind.choices)
    # The point (测点) as the system names it, e.g. "T0101" — repeated alarms are counted by it.
    point_code = models.CharField(_("point code"), max_length=64)
    location = models.CharField(_("location"), max_length=200, blank=True)
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=4, null=True, blank=True)
    unit = models.CharField(_("unit"), max_length=16, blank=True)
    limit = models.DecimalField(_("limit"), max_digits=14, decimal_places=4, null=True, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    # The system's own id of the alarm: with the mine, what makes a retry the same alarm.
    source_id = models.CharField(_("system's alarm id"), max_length=64)
    source = models.CharField(_("came in by"), max_length=8, choices=Source.choices, default=Source.FEED)
    feed = models.ForeignKey(AlarmFeed, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    acknowledged_by = models.CharField(_("acknowledged by"), max_length=100, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    checked_by = models.CharField(_("checked by"), max_length=100, blank=True)
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    findings = models.TextField(_("findings on site"), blank=True)
    cause = models.TextField(_("cause"), blank=True)
    measures = models.TextField(_("measures"), blank=True)
    closed_by = models.CharField(_("closed by"), max_length=100, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    # The deadlines from the rule of the alarm's kind when it came in, with that rule's standing:
    # an unverified deadline makes "overdue" a warning (待核实), never more.
    acknowledge_due_at = models.DateTimeField(_("acknowledge by"))
    close_due_at = models.DateTimeField(_("close by"))
    escalate_hq_at = models.DateTimeField(_("escalate to group HQ at"))
    deadline_verified = models.BooleanField(_("deadline verified"), default=False)
    deadline_source = models.CharField(_("deadline source"), max_length=300, blank=True)
    # 0: not escalated; 1: the subsidiary; 2: group HQ as well.
    escalation = models.PositiveSmallIntegerField(_("escalation"), default=0)

    scope_view_perm = VIEW_ALARMS
    scope_path = "mine__path"

    class Meta:
        verbose_name = _("alarm")
        verbose_name_plural = _("alarms")
        ordering = ["-occurred_at"]
        base_manager_name = "dangerously_unscoped"
        constraints = [
            # Idempotent intake: INSERT … ON CONFLICT DO NOTHING on this key.
            models.UniqueConstraint(fields=["tenant", "mine", "source_id"], name="alarm_source_id_once"),
        ]
        indexes = [
            models.Index(fields=["tenant", "mine", "-occurred_at"], name="alarm_mine_time"),
            models.Index(fields=["tenant", "status", "close_due_at"], name="alarm_open_due"),
            models.Index(fields=["tenant", "mine", "point_code", "-occurred_at"], name="alarm_point"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.point_code} {self.occurred_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.CLOSED

    def overdue_at(self, now) -> bool:
        """Past a deadline that is still running: not acknowledged in time, or not closed in time."""
        if self.status == self.Status.CLOSED:
            return False
        if self.status == self.Status.OPEN and self.acknowledge_due_at < now:
            return True
        return self.close_due_at < now

    @property
    def closed_on_time(self) -> bool | None:
        if self.closed_at is None:
            return None
        return self.closed_at <= self.close_due_at


class AlarmEvent(TenantOwned):
    """One step of an alarm's handling (or an escalation), as its page shows it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=16)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    note = models.TextField(blank=True)
    at = models.DateTimeField()

    scope_view_perm = VIEW_ALARMS
    scope_path = "alarm__mine__path"

    class Meta:
        verbose_name = _("alarm step")
        verbose_name_plural = _("alarm steps")
        ordering = ["at"]
        base_manager_name = "dangerously_unscoped"

    # The page's words for the step and the states (the row keeps the codes).
    STEP_LABELS = {
        "acknowledge": _("Acknowledge"),
        "check": _("Check on site"),
        "close": _("Close the loop"),
    }

    @property
    def action_label(self) -> str:
        if self.action == "escalate":
            return str(_("Escalated to group HQ") if self.note == "2" else _("Escalated to the subsidiary"))
        return str(self.STEP_LABELS.get(self.action, self.action))

    @staticmethod
    def _status_label(code: str) -> str:
        return str(Alarm.Status(code).label) if code in Alarm.Status.values else code

    @property
    def from_label(self) -> str:
        return self._status_label(self.from_status)

    @property
    def to_label(self) -> str:
        return self._status_label(self.to_status)
