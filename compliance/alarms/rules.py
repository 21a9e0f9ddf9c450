"""The alarm rules as data: handling deadlines by alarm kind, and the repeated-alarm window.

DOMAIN.md: handling deadlines by alarm kind are tenant/province data; 矿安〔2025〕100号 (from
2025-11-01) sets warning levels and verify-and-report duties, but its values are not verified
here. So every shipped value is our practice default, **unverified**: an alarm past such a
deadline shows "overdue" as a warning naming the source to check (待核实), and its escalation
notifications say so. An operator who has checked a value against the text marks it verified
(``manage.py rules``), and from then on overdue is a plain breach.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q

from compliance.rules.base import register_rule_kind

from .models import AlarmDeadline, AlarmRule, Kind

SOURCE_100 = "矿安〔2025〕100号（企业实践默认值，待核实）"
SOURCE_PRACTICE = "企业实践（默认值，待核实）"

# kind → (acknowledge within minutes, close within hours, escalate to HQ hours past closing)
SHIPPED_DEADLINES: dict[str, tuple[int, int, int]] = {
    Kind.GAS: (10, 24, 24),
    Kind.CO: (10, 24, 24),
    Kind.WIND_SPEED: (30, 24, 24),
    Kind.FAN_POWER: (10, 8, 16),
    Kind.WATER_LEVEL: (30, 24, 24),
    Kind.DAM_DISPLACEMENT: (30, 24, 24),
    Kind.SLOPE_DISPLACEMENT: (30, 24, 24),
    Kind.SATURATION_LINE: (30, 24, 24),
    Kind.OVERCROWDING: (30, 8, 16),
    Kind.SENSOR_FAULT: (60, 24, 48),
    Kind.OTHER: (60, 48, 48),
}
SHIPPED_RULES: dict[str, int] = {AlarmRule.Key.REPEAT_DAYS: 7, AlarmRule.Key.REPEAT_COUNT: 3}


@dataclass(frozen=True)
class Deadline:
    kind: str
    acknowledge_minutes: int
    close_hours: int
    escalate_hq_hours: int
    source: str
    verified: bool

    def due(self, occurred_at: datetime.datetime) -> dict:
        """The alarm's deadline fields for an alarm of this kind that occurred at ``occurred_at``."""
        close = occurred_at + datetime.timedelta(hours=self.close_hours)
        return {
            "acknowledge_due_at": occurred_at + datetime.timedelta(minutes=self.acknowledge_minutes),
            "close_due_at": close,
            "escalate_hq_at": close + datetime.timedelta(hours=self.escalate_hq_hours),
            "deadline_verified": self.verified,
            "deadline_source": self.source[:300],
        }


def ship(deadline_model=AlarmDeadline, rule_model=AlarmRule) -> None:
    """Create the shipped rows that are missing (the data migration and the tests call it); a row
    the operator edited is left as it is."""
    national = deadline_model.objects.all()
    if any(f.name == "owner_tenant" for f in deadline_model._meta.get_fields()):
        national = national.filter(owner_tenant__isnull=True)  # (the model of migration 0002 has none)
    have = set(national.values_list("kind", flat=True))
    deadline_model.objects.bulk_create(
        [
            deadline_model(
                kind=kind, acknowledge_minutes=a, close_hours=c, escalate_hq_hours=e, source=SOURCE_100
            )
            for kind, (a, c, e) in SHIPPED_DEADLINES.items()
            if kind not in have
        ]
    )
    have = set(rule_model.objects.values_list("key", flat=True))
    rule_model.objects.bulk_create(
        [
            rule_model(key=key, value=value, source=SOURCE_PRACTICE)
            for key, value in SHIPPED_RULES.items()
            if key not in have
        ]
    )


def _row(row: AlarmDeadline) -> Deadline:
    return Deadline(
        row.kind, row.acknowledge_minutes, row.close_hours, row.escalate_hq_hours, row.source, row.verified
    )


def stricter(national: Deadline, group: Deadline) -> Deadline:
    """A group's deadline over the national one: each value the shorter of the two (a group may be
    stricter, never looser). Where the group's row tightens anything, its source and standing are
    the deadline's."""
    values = (
        min(national.acknowledge_minutes, group.acknowledge_minutes),
        min(national.close_hours, group.close_hours),
        min(national.escalate_hq_hours, group.escalate_hq_hours),
    )
    tightened = values != (national.acknowledge_minutes, national.close_hours, national.escalate_hq_hours)
    origin = group if tightened else national
    return Deadline(national.kind, *values, origin.source, origin.verified)


def deadlines(tenant_id=None) -> dict[str, Deadline]:
    """Every kind's deadline for the group ``tenant_id`` (one query): the national row, made
    stricter by the group's own; a kind with no national row falls back to the shipped value."""
    out = {kind: Deadline(kind, a, c, e, SOURCE_100, False) for kind, (a, c, e) in SHIPPED_DEADLINES.items()}
    condition = Q(owner_tenant__isnull=True)
    if tenant_id is not None:
        condition |= Q(owner_tenant_id=tenant_id)
    groups = []
    for row in AlarmDeadline.objects.filter(condition):
        if row.owner_tenant_id is None:
            out[row.kind] = _row(row)
        else:
            groups.append(row)
    for row in groups:
        out[row.kind] = stricter(out[row.kind], _row(row))
    return out


@dataclass(frozen=True)
class RepeatRule:
    days: int
    count: int
    source: str
    verified: bool


def repeat_rule() -> RepeatRule:
    """The repeated-alarm window (one query). Both values' standing: verified only if both are."""
    values = {key: (value, SOURCE_PRACTICE, False) for key, value in SHIPPED_RULES.items()}
    for row in AlarmRule.objects.all():
        values[row.key] = (row.value, row.source, row.verified)
    days, count = values[AlarmRule.Key.REPEAT_DAYS], values[AlarmRule.Key.REPEAT_COUNT]
    return RepeatRule(
        days=max(days[0], 1), count=max(count[0], 2), source=days[1], verified=days[2] and count[2]
    )


def register() -> None:
    register_rule_kind("alarms.deadline", AlarmDeadline, "alarm handling deadline", str)
    register_rule_kind("alarms.rule", AlarmRule, "alarm rule", str)
