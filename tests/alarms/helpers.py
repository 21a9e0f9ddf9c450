"""Building alarms for tests through the services, as a feed or a manager would."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

from django.utils import timezone

from compliance.alarms import services
from tenants import roles
from tenants.scope import activate, dangerously_platform_scope

_ids = itertools.count(1)


def incoming(**overrides) -> services.Incoming:
    values = {
        "source_id": f"SRC-{next(_ids):06d}",
        "system": "safety_monitoring",
        "kind": "gas",
        "point_code": "T0101",
        "location": "1301 回风巷",
        "value": Decimal("1.25"),
        "unit": "%",
        "limit": Decimal("1.00"),
        "occurred_at": timezone.now() - datetime.timedelta(minutes=5),
    }
    values.update(overrides)
    return services.Incoming(**values)


def ingest(tw, *items, mine=None, role=roles.SAFETY_MANAGER):
    """Store alarms at ``tw``'s mine as that tenant's safety manager; the stored alarms."""
    items = items or (incoming(),)
    with activate(tw.scope(role)) as scope:
        return [a for a, _new in services.alarms_ingest(scope=scope, mine=mine or tw.mine, items=items)]


def feed(tw, mine=None):
    with activate(tw.scope(roles.SAFETY_MANAGER)) as scope:
        return services.alarm_feed_create(
            scope=scope, mine=mine or tw.mine, name="KJ90X 安全监控", user=tw.users[roles.SAFETY_MANAGER]
        )


def step(tw, alarm, name, role=roles.SAFETY_MANAGER, **kwargs):
    with activate(tw.scope(role)) as scope:
        return getattr(services, f"alarm_{name}")(scope=scope, alarm=alarm, user=tw.users[role], **kwargs)


def handle(tw, alarm):
    alarm = step(tw, alarm, "acknowledge")
    alarm = step(tw, alarm, "check", findings="现场检测瓦斯浓度 0.3%，已恢复正常")
    return step(tw, alarm, "close", cause="采空区瓦斯涌出", measures="加强通风，调整风量")


def platform():
    return dangerously_platform_scope()
