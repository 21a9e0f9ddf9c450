"""The demo's monitoring alarms (``seed_demo``): a month of alarms at up to three mines per group,
of the kinds each mine's type raises, most handled on time, a few closed late, a few open (one
of them overdue and escalated), and one point that alarms again and again (flagged for the
risk register). Made through the services, so deadlines, history and audit are real; only the
handling times are then moved back to the days the demo tells of (the services stamp "now").
Idempotent: a group that already has alarms is left alone.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone, translation

from tenants import roles
from tenants.models import Membership, OrgUnit, Tenant

from . import escalation, services
from .models import Alarm, AlarmEvent, Kind, System

# By mine type: (system, kind, point code, place, value, unit, limit)
COAL = [
    (System.SAFETY_MONITORING, Kind.GAS, "T0101", "11302 回采工作面上隅角", "1.12", "%CH4", "1.00"),
    (System.SAFETY_MONITORING, Kind.GAS, "T0104", "11302 回风巷", "0.92", "%CH4", "0.80"),
    (System.SAFETY_MONITORING, Kind.CO, "CO0203", "2 号煤仓", "36", "ppm", "24"),
    (System.SAFETY_MONITORING, Kind.WIND_SPEED, "FS0301", "主运输大巷", "0.12", "m/s", "0.25"),
    (System.SAFETY_MONITORING, Kind.FAN_POWER, "KG0402", "11305 掘进工作面局部通风机", "", "", ""),
    (System.PERSONNEL_POSITIONING, Kind.OVERCROWDING, "RY0012", "11302 回采工作面", "28", "人", "25"),
]
METAL = [
    (System.SAFETY_MONITORING, Kind.CO, "CO1101", "-320 m 中段爆破区", "30", "ppm", "24"),
    (System.PERSONNEL_POSITIONING, Kind.OVERCROWDING, "RY1005", "-280 m 中段", "42", "人", "40"),
    (System.WATER_HAZARD, Kind.WATER_LEVEL, "SW1201", "主水仓", "3.6", "m", "3.2"),
    (System.SAFETY_MONITORING, Kind.SENSOR_FAULT, "T1108", "-320 m 回风井", "", "", ""),
]
OPEN_PIT = [
    (System.SLOPE, Kind.SLOPE_DISPLACEMENT, "BP2101", "东帮 +860 台阶", "32", "mm", "30"),
    (System.SLOPE, Kind.SLOPE_DISPLACEMENT, "BP2104", "北帮 +820 台阶", "28", "mm", "25"),
    (System.SAFETY_MONITORING, Kind.SENSOR_FAULT, "GNSS06", "东帮监测站", "", "", ""),
]
TAILINGS = [
    (System.TAILINGS, Kind.DAM_DISPLACEMENT, "WK3101", "初期坝坝顶", "21", "mm", "20"),
    (System.TAILINGS, Kind.SATURATION_LINE, "JR3203", "堆积坝 +1120 平台", "6.1", "m", "6.5"),
    (System.TAILINGS, Kind.WATER_LEVEL, "KS3301", "库区水位", "1118.6", "m", "1118.0"),
]
POINTS_BY_TYPE = {"coal_underground": COAL, "coal_open_pit": OPEN_PIT, "metal_underground": METAL,
                  "metal_open_pit": OPEN_PIT, "tailings_pond": TAILINGS}  # fmt: skip

FINDINGS = "现场检测复核，报警点附近浓度已回落至正常范围，设备运行正常"
CAUSES = ["采空区瓦斯涌出，风量不足", "放炮后有害气体短时积聚", "传感器零点漂移", "局部通风机开关跳闸"]
MEASURES = [
    "调整风量，加强巡检，传感器已校准",
    "延长通风时间后复检合格",
    "更换传感器并做调校记录",
    "恢复供电，检查开关保护整定",
]
DAYS = 30


def _user(tenant, role):
    membership = (
        Membership.objects.filter(tenant=tenant, role=role).select_related("user").order_by("pk").first()
    )
    return membership.user if membership is not None else None


def _backdate(alarm: Alarm, occurred: datetime.datetime, minutes_to_close: int) -> None:
    """Move the handling stamps back to the demo's day (the services stamp "now")."""
    ack = occurred + datetime.timedelta(minutes=min(6, minutes_to_close // 4 or 1))
    check = occurred + datetime.timedelta(minutes=max(minutes_to_close // 2, 8))
    closed = occurred + datetime.timedelta(minutes=minutes_to_close)
    # Demo data only: the stamps of the steps the services just made, in the demo's own rows.
    Alarm.objects.filter(pk=alarm.pk).update(acknowledged_at=ack, checked_at=check, closed_at=closed)
    for action, at in (("acknowledge", ack), ("check", check), ("close", closed)):
        AlarmEvent.objects.filter(alarm=alarm, action=action).update(at=at)


def _incoming(mine, suffix: str, point, occurred, ended: bool = False) -> services.Incoming:
    system, kind, code, place, value, unit, limit = point
    return services.Incoming(
        source_id=f"DEMO-{mine.pk.hex[:6]}-{suffix}",
        system=system,
        kind=kind,
        point_code=code,
        location=place,
        value=Decimal(value) if value else None,
        unit=unit,
        limit=Decimal(limit) if limit else None,
        occurred_at=occurred,
        ended_at=occurred + datetime.timedelta(minutes=12) if ended else None,
    )


def build(spec, *, scope, today: datetime.date | None = None, log=print) -> dict | None:
    """The demo builder (compliance.registry): None when the group already had this part."""
    tenant = Tenant.objects.filter(credit_code=spec.credit_code).first()
    if tenant is None or Alarm.objects.filter(tenant=tenant).exists():
        return None
    manager = _user(tenant, roles.SAFETY_MANAGER)
    if manager is None:
        log(f"no safety manager, alarms skipped: {spec.name}")
        return None
    now = timezone.now()
    mines = list(
        OrgUnit.objects.filter(tenant=tenant, kind=OrgUnit.Kind.MINE)
        .select_related("mine_profile")
        .order_by("name")[:3]  # not by path (random ids): the same mines every build
    )
    counts = {"alarms": 0, "closed on time": 0, "closed late": 0, "open": 0}
    with translation.override(settings.LANGUAGE_CODE):
        for m, mine in enumerate(mines):
            profile = getattr(mine, "mine_profile", None)
            points = POINTS_BY_TYPE.get(profile.mine_type if profile else "", COAL)
            items = []
            for day in range(DAYS, 0, -1):
                # Days 4–6: the first point again and again (flagged as repeated).
                point = points[0] if day in (4, 5, 6) else points[(day * 7 + m) % len(points)]
                occurred = now - datetime.timedelta(days=day, hours=(day * 5) % 9, minutes=(day * 13) % 60)
                items.append(_incoming(mine, f"{day:03d}", point, occurred, ended=True))
            # Today's: one just in (open), one taken on 30 hours ago and still open (overdue).
            for n, hours in enumerate((0.2, 30)):
                items.append(
                    _incoming(
                        mine, f"open{n}", points[n % len(points)], now - datetime.timedelta(hours=hours)
                    )
                )
            stored = services.alarms_ingest(scope=scope, mine=mine, items=items)
            for i, (alarm, _new) in enumerate(stored):
                counts["alarms"] += 1
                if alarm.source_id.endswith("open0"):
                    counts["open"] += 1
                    continue
                if alarm.source_id.endswith("open1"):
                    services.alarm_acknowledge(
                        scope=scope, alarm=alarm, user=manager, note="已通知跟班队长到现场"
                    )
                    counts["open"] += 1
                    continue
                services.alarm_acknowledge(scope=scope, alarm=alarm, user=manager)
                alarm = services.alarm_check(scope=scope, alarm=alarm, user=manager, findings=FINDINGS)
                alarm = services.alarm_close(
                    scope=scope, alarm=alarm, user=manager, cause=CAUSES[i % len(CAUSES)],
                    measures=MEASURES[i % len(MEASURES)],
                )  # fmt: skip
                late = i % 9 == 4  # a few closed past their deadline
                hours = (alarm.close_due_at - alarm.occurred_at).total_seconds() / 3600
                minutes = int((hours + 6) * 60) if late else 45 + (i * 17) % 180
                _backdate(alarm, alarm.occurred_at, minutes)
                counts["closed late" if late else "closed on time"] += 1
        counts["escalated"] = escalation.escalate_overdue(now)
    log(f"alarms created: {spec.name} ({counts})")
    return counts
