"""The demo builder: a month of alarms, most handled on time, a few late, a few open, a repeated
point; a second build changes nothing."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db.models import F

from compliance import registry
from compliance.alarms import demo
from compliance.alarms.models import Alarm

from .helpers import platform

pytestmark = pytest.mark.django_db


def test_a_month_of_alarms(world):
    spec = SimpleNamespace(credit_code=world.a.tenant.credit_code, name=world.a.tenant.name)
    assert "alarms" in {b.key for b in registry.demo_builders()}
    with platform() as scope:
        counts = demo.build(spec, scope=scope, log=lambda *_: None)
        assert counts["alarms"] == 2 * (demo.DAYS + 2)
        rows = Alarm.objects.filter(tenant=world.a.tenant)
        closed = rows.filter(status="closed")
        on_time = closed.filter(closed_at__lte=F("close_due_at")).count()
        assert on_time == counts["closed on time"] > closed.count() / 2
        assert closed.filter(closed_at__gt=F("close_due_at")).count() == counts["closed late"] > 0
        assert rows.exclude(status="closed").count() == counts["open"] == 4
        assert rows.filter(escalation__gt=0).exists()
        from compliance.alarms import selectors

        assert selectors.repeated_points(scope)
        assert demo.build(spec, scope=scope, log=lambda *_: None) is None


def test_seed_demo_has_a_month_of_alarms_per_group(seeded_demo):
    with platform():
        rows = Alarm.objects.all()
        groups = set(rows.values_list("tenant_id", flat=True))
        assert len(groups) >= 2
        closed_on_time = rows.filter(status="closed", closed_at__lte=F("close_due_at")).count()
        assert closed_on_time > rows.count() / 2
        assert rows.filter(status="closed", closed_at__gt=F("close_due_at")).exists()
        assert rows.exclude(status="closed").exists() and rows.filter(escalation__gt=0).exists()
