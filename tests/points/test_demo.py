"""The points demo: the catalogue, months of entries whose balances are the ledger's sums, and one
person held off post pending corrective training."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from compliance.points.models import ActionKind, Balance, Entry, PointsRule, ThresholdAction
from compliance.points.services import HOLD_SOURCE
from tenants.models import Person, PersonHold
from tenants.scope import dangerously_platform_scope

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_ledger_balances_and_a_person_held_for_training(seeded_demo):
    assert "points created:" in seeded_demo.log
    with dangerously_platform_scope():
        assert PointsRule.objects.filter(code="SW-ZH-1").count() == 2  # both groups
        assert Entry.objects.count() > 50
        months = {d.month for d in Entry.objects.values_list("occurred_on", flat=True)}
        assert len(months) >= 3
        sums = {
            (r["person_id"], r["cycle_start"]): r["s"]
            for r in Entry.objects.values("person_id", "cycle_start").annotate(s=Sum("points"))
        }
        for row in Balance.objects.all():
            assert row.balance == row.opening + sums[(row.person_id, row.cycle_start)]
        hold = PersonHold.objects.filter(source=HOLD_SOURCE, lifted_at__isnull=True).first()
        assert hold is not None
        assert Person.objects.get(pk=hold.person_id).status == Person.Status.SUSPENDED
        assert ThresholdAction.objects.filter(
            person_id=hold.person_id, action=ActionKind.TRAINING, status="open"
        ).exists()
