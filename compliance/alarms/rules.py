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
    have = set(deadline_model.objects.values_list("kind", flat=True))
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


def deadlines() -> dict[str, Deadline]:
    """Every kind's deadline (one query); a kind with no row falls back to the shipped value."""
    out = {kind: Deadline(kind, a, c, e, SOURCE_100, False) for kind, (a, c, e) in SHIPPED_DEADLINES.items()}
    for row in AlarmDeadline.objects.all():
        out[row.kind] = Deadline(
            row.kind,
            row.acknowledge_minutes,
            row.close_hours,
            row.escalate_hq_hours,
            row.source,
            row.verified,
        )
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
