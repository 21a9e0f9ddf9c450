"""The rule from the national conference speech, as data (issue 17): when regulators find more
major hazards at a mine than the mine itself reported within the look-back (``PolicyRule``
``regulator_majors_months``), its standardization grade falls one level — 三级 is revoked.

The counts come from the hidden-danger capability through ``compliance.registry.major_hazard_tally``
(grading imports no capability). Shipped unverified: the consequence shows as a 待核实 warning on
the mine's grading page and in its figures, and nothing changes. Once an operator verifies the rule,
the daily job ``apply`` records the downgrade (or revocation) itself, once per certificate within
the look-back (``GradeEvent.cause``), audited like any grade event."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from compliance import registry
from tenants.scope import Scope, dangerously_platform_scope

from .models import GradeCertificate, GradeEvent, PolicyRule
from .rules import policy_rules

CAUSE = "regulator_majors"
Kind = GradeEvent.Kind


@dataclass(frozen=True)
class Finding:
    """The rule's reading at one mine whose regulators found more than it reported."""

    mine_id: object
    self_reported: int
    regulator_found: int
    since: datetime.date
    rule: PolicyRule

    @property
    def binding(self) -> bool:
        return self.rule.binding

    def words(self) -> str:
        return _(
            "Since %(since)s regulators found %(found)s major hazards here, the mine reported %(own)s: "
            "the grade falls one level (Level 3 is revoked). Rule: %(source)s."
        ) % {
            "since": self.since.isoformat(),
            "found": self.regulator_found,
            "own": self.self_reported,
            "source": self.rule.source,
        }


def _since(rule: PolicyRule, today: datetime.date) -> datetime.date:
    from .grades import add_months

    return add_months(today, -rule.value)


def findings(scope: Scope, mine_ids: Iterable, *, today: datetime.date | None = None) -> dict:
    """{mine id: Finding} for the mines where regulators found more major hazards than the mine
    reported within the look-back; {} when the rule is not in force. A constant number of queries."""
    rule = policy_rules().get(PolicyRule.Key.REGULATOR_MAJORS_MONTHS)
    if rule is None:
        return {}
    since = _since(rule, today or timezone.localdate())
    return {
        mine_id: Finding(mine_id, tally.self_reported, tally.regulator_found, since, rule)
        for mine_id, tally in registry.major_hazard_tally(scope, mine_ids, since).items()
        if tally.regulator_found > tally.self_reported
    }


def apply(today: datetime.date | None = None) -> int:
    """Daily, across all groups (platform scope): downgrade every valid grade of a mine the rule
    finds — only when the rule is verified; once per certificate within the look-back. Returns the
    number of grades changed."""
    from .grades import record_event

    today = today or timezone.localdate()
    changed = 0
    with dangerously_platform_scope() as platform:
        rule = policy_rules().get(PolicyRule.Key.REGULATOR_MAJORS_MONTHS)
        if rule is None or not rule.binding:
            return 0
        certs = list(
            GradeCertificate.objects.filter(status=GradeCertificate.Status.VALID).values_list("pk", "mine_id")
        )
        found = findings(platform, {mine_id for _pk, mine_id in certs}, today=today)
        for pk, mine_id in certs:
            finding = found.get(mine_id)
            if finding is None:
                continue
            with transaction.atomic():
                cert = (
                    GradeCertificate.objects.select_for_update()
                    .filter(pk=pk, status=GradeCertificate.Status.VALID)
                    .first()
                )
                if cert is None or cert.events.filter(cause=CAUSE, occurred_on__gte=finding.since).exists():
                    continue
                with translation.override(settings.LANGUAGE_CODE):  # stored text: the site's language
                    reason = finding.words()
                try:
                    if cert.level >= 3:
                        event = record_event(cert, Kind.REVOKED, actor=None, reason=reason, occurred_on=today)
                    else:
                        event = record_event(
                            cert, Kind.DOWNGRADED, actor=None, reason=reason, occurred_on=today,
                            to_level=cert.level + 1,
                        )  # fmt: skip
                except ValidationError:
                    continue  # the certificate cannot take the event (e.g. awarded today): nothing changes
                GradeEvent.objects.filter(pk=event.pk).update(cause=CAUSE)
                changed += 1
    return changed
