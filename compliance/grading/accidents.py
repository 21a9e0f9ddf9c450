"""The accident register (事故登记) of each mine, and what a fatal accident does to its grade.

Accidents feed the level rules (``grading.history``: no fatal accident within the look-back).
Recording a fatal accident also applies the **accident rule** of the grade's standard edition
(``AccidentRule``, rule data with its source, issue 14 point 3) to the mine's valid grade at once
— a downgrade or a revocation, as an event that links the accident — in the same transaction,
both audited. An unverified accident rule changes nothing: its consequence is shown as a 待核实
warning (``consequence_warning``) naming the source to check.

An accident's class is checked against its figures (国务院令第493号 Art. 3): a class lower than
its deaths, serious injuries or direct economic loss imply is refused.

An accident whose casualties were a contractor's staff (外包队伍人员) counts against the mine like
any other; ``contractor_name`` records the outsourcing company by name (issue 16), so the register,
the regulator and the outsourcing side can tell outsourced work apart.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from compliance.access import access_or_404
from compliance.audit.services import audit_record
from compliance.grading import permissions as grading_perms
from tenants.models import MineProfile, OrgUnit
from tenants.scope import Scope
from tenants.services import snapshot

from . import grades
from .models import ACCIDENT_CLASS_ORDER, Accident, AccidentClass, AccidentRule, GradeCertificate, GradeEvent
from .scoring import accident_class_name, level_name

COAL_TYPES = (MineProfile.MineType.COAL_UNDERGROUND, MineProfile.MineType.COAL_OPEN_PIT)

# 国务院令第493号《生产安全事故报告和调查处理条例》第三条: the least figure of each class, by
# deaths, serious injuries and direct economic loss (万元); "以上包括本数". The gravest class any
# figure reaches is the accident's least class.
CLASS_THRESHOLDS = (
    # (class, deaths, serious injuries, direct loss in 万元)
    (AccidentClass.GRAVE, 30, 100, Decimal(10000)),
    (AccidentClass.MAJOR, 10, 50, Decimal(5000)),
    (AccidentClass.LARGE, 3, 10, Decimal(1000)),
)
CLASS_SOURCE = "国务院令第493号 第三条"
CONTRACTOR_NAME_MAX = Accident._meta.get_field("contractor_name").max_length


def mine_family(mine: OrgUnit) -> str:
    profile = getattr(mine, "mine_profile", None)
    return "coal" if profile is not None and profile.mine_type in COAL_TYPES else "non_coal"


def least_class(deaths: int, serious_injuries: int, direct_loss: Decimal) -> str:
    """The class an accident's figures imply (国务院令第493号 Art. 3)."""
    for cls, min_deaths, min_serious, min_loss in CLASS_THRESHOLDS:
        if deaths >= min_deaths or serious_injuries >= min_serious or direct_loss >= min_loss:
            return cls
    return AccidentClass.GENERAL


# --- the accident rule of a grade ------------------------------------------------------------------


@dataclass(frozen=True)
class Consequence:
    """What an accident rule does to one certificate: ``to_level`` or None for revoked."""

    rule: AccidentRule
    certificate: GradeCertificate
    to_level: int | None

    @property
    def binding(self) -> bool:
        return self.rule.binding

    def words(self) -> str:
        outcome = (
            _("the grade falls to %(level)s") % {"level": level_name(self.to_level)}
            if self.to_level is not None
            else _("the grade is revoked")
        )
        return outcome


def _version_of(cert: GradeCertificate, on_date: datetime.date):
    if cert.assessment_id is not None:
        return cert.assessment.version_id
    from .selectors import version_for

    profile = getattr(cert.mine, "mine_profile", None)
    version = version_for(profile.mine_type, on_date) if profile is not None else None
    return version.pk if version is not None else None


def consequence(accident: Accident) -> Consequence | None:
    """The accident rule's outcome for the mine's valid grade (awarded on or before the accident),
    or None: not fatal, no valid grade, no rule, or a downgrade to a level it is already at or
    below (the look-back of the level rules still bars the better levels)."""
    from .rules import accident_rule

    if not accident.is_fatal:
        return None
    # The mine was reached through the caller's scope; its valid certificate is read on the
    # rule's behalf.
    cert = (
        GradeCertificate.dangerously_unscoped.filter(
            tenant_id=accident.tenant_id, mine_id=accident.mine_id, status=GradeCertificate.Status.VALID
        )
        .select_related("mine", "mine__mine_profile", "assessment")
        .first()
    )
    if cert is None or cert.awarded_on > accident.occurred_on:
        return None
    version_id = _version_of(cert, accident.occurred_on)
    rule = accident_rule(version_id, cert.level, accident.accident_class) if version_id else None
    if rule is None:
        return None
    if rule.to_level is not None and cert.level >= rule.to_level:
        return None
    return Consequence(rule=rule, certificate=cert, to_level=rule.to_level)


def consequence_warning(accident: Accident) -> str:
    """The 待核实 warning of an unverified accident rule that would change the mine's grade
    (empty when none): the consequence and the source to check."""
    outcome = consequence(accident)
    if outcome is None or outcome.binding:
        return ""
    return _(
        "To be verified: by the rule %(source)s %(outcome)s; the rule is not verified, so the grade "
        "is unchanged until it is."
    ) % {"source": outcome.rule.source, "outcome": outcome.words()}


# --- reads ---------------------------------------------------------------------------------------


def accident_list(
    *,
    scope: Scope,
    mine: OrgUnit | None = None,
    unit: OrgUnit | None = None,
    outsourced: bool | None = None,
) -> QuerySet[Accident]:
    """The accidents in scope, newest first; ``outsourced`` True keeps those whose casualties were
    a contractor's staff, False the mine's own employees', None both."""
    qs = scope.filter_queryset(Accident.objects.select_related("mine", "mine__parent", "tenant"))
    if mine is not None:
        qs = qs.filter(mine=mine)
    if unit is not None:
        qs = qs.filter(tenant_id=unit.tenant_id, mine__path__startswith=unit.path)
    if outsourced is not None:
        qs = by_outsourced(qs, outsourced)
    return qs.order_by("-occurred_on", "-created_at")


def by_outsourced(qs: QuerySet[Accident], outsourced: bool) -> QuerySet[Accident]:
    """Accidents whose casualties were a contractor's staff (True) or the mine's own (False)."""
    return qs.exclude(contractor_name="") if outsourced else qs.filter(contractor_name="")


def access_accident(scope: Scope, pk) -> Accident:
    return access_or_404(scope, Accident.objects.select_related("mine", "mine__mine_profile", "tenant"), pk)


def accident_events(accident: Accident) -> list[GradeEvent]:
    """The grade events this accident caused (the accident was reached through the scope)."""
    return list(
        # The events of an accident the caller reached through its scope (same tenant).
        GradeEvent.dangerously_unscoped.filter(tenant_id=accident.tenant_id, accident=accident)
        .select_related("certificate")
        .order_by("created_at")
    )


def events_by_accident(rows) -> dict:
    """{accident id: [grade event ids]} for a page of accidents (one query)."""
    out: dict = {}
    ids = [a.pk for a in rows]
    if not ids:
        return out
    # The accidents were reached through the caller's scope; their events are read by their ids.
    for accident_id, event_id in (
        GradeEvent.dangerously_unscoped.filter(accident_id__in=ids)
        .order_by("created_at")
        .values_list("accident_id", "id")
    ):
        out.setdefault(accident_id, []).append(event_id)
    return out


# --- writes --------------------------------------------------------------------------------------


def _validate(mine: OrgUnit, data: dict) -> dict:
    errors: dict[str, list] = {}
    occurred_on = data.get("occurred_on")
    if mine is None or mine.kind != OrgUnit.Kind.MINE:
        errors.setdefault("mine", []).append(_("Choose a mine."))
    if not isinstance(occurred_on, datetime.date):
        errors.setdefault("occurred_on", []).append(_("Enter the date of the accident."))
    elif occurred_on > timezone.localdate():
        errors.setdefault("occurred_on", []).append(_("The date cannot be in the future."))
    accident_class = data.get("accident_class") or ""
    if accident_class not in AccidentClass.values:
        errors.setdefault("accident_class", []).append(_("Choose the class of the accident."))
    counts = {}
    for name in ("deaths", "injuries", "serious_injuries"):
        value = data.get(name, 0)
        try:
            value = int(value if value not in (None, "") else 0)
        except (TypeError, ValueError):
            value = -1
        if value < 0 or value > 32767:
            errors.setdefault(name, []).append(_("Enter a whole number, 0 or more."))
        counts[name] = value
    raw_loss = data.get("direct_loss", 0)
    try:
        loss = Decimal(str(raw_loss if raw_loss not in (None, "") else 0))
    except (InvalidOperation, ValueError):
        loss = Decimal(-1)
    if not loss.is_finite() or loss < 0 or loss >= Decimal("1e10"):
        errors.setdefault("direct_loss", []).append(
            _("Enter the direct economic loss in 10k yuan, 0 or more.")
        )
    description = (data.get("description") or "").strip()
    if not description:
        errors.setdefault("description", []).append(_("Describe what happened."))
    contractor_name = data.get("contractor_name") or ""
    contractor_name = contractor_name.strip() if isinstance(contractor_name, str) else None
    if contractor_name is None or len(contractor_name) > CONTRACTOR_NAME_MAX:
        errors.setdefault("contractor_name", []).append(
            _("Enter the contractor's name, at most %(max)s characters.") % {"max": CONTRACTOR_NAME_MAX}
        )
    if not errors:
        implied = least_class(counts["deaths"], counts["serious_injuries"], loss)
        if ACCIDENT_CLASS_ORDER.index(accident_class) < ACCIDENT_CLASS_ORDER.index(implied):
            errors["accident_class"] = [
                _(
                    "By %(rule)s, %(deaths)s dead, %(serious)s seriously injured and a direct loss of "
                    "%(loss)s (10k yuan) make this at least a %(cls)s; a lower class is not accepted."
                )
                % {
                    "rule": CLASS_SOURCE,
                    "deaths": counts["deaths"],
                    "serious": counts["serious_injuries"],
                    "loss": f"{loss.normalize():f}",
                    "cls": accident_class_name(implied),
                }
            ]
    if errors:
        raise ValidationError(errors)
    return {
        "occurred_on": occurred_on,
        "accident_class": accident_class,
        "description": description[:10000],
        "contractor_name": contractor_name,
        "direct_loss": loss.quantize(Decimal("0.01")),
        **counts,
    }


@transaction.atomic
def record_accident(*, scope: Scope, mine: OrgUnit, data: dict, actor=None) -> Accident:
    """Register an accident at ``mine`` (MANAGE_GRADING there). A fatal one applies the accident
    rule of the grade's edition to the mine's valid grade, if it has one awarded on or before the
    accident's date: an accident before the award was there to be weighed by the level rules
    when the grade was decided (a late-recorded one is downgraded by hand, REVIEW_GRADING)."""
    if mine is not None:
        scope.require(grading_perms.MANAGE_GRADING, mine)
    values = _validate(mine, data)
    accident = Accident(tenant_id=mine.tenant_id, mine=mine, **values)
    accident.save(force_insert=True)
    audit_record(action="create", obj=accident, after=snapshot(accident), org_path=mine.path)
    if accident.is_fatal:
        apply_fatal_accident(accident, actor=actor)
    return accident


def apply_fatal_accident(accident: Accident, *, actor=None) -> GradeEvent | None:
    """Downgrade or revoke the mine's valid grade by the accident rule; None when nothing changes
    — also when the rule is unverified (it only warns, ``consequence_warning``)."""
    outcome = consequence(accident)
    if outcome is None or not outcome.binding:
        return None
    cert = outcome.certificate
    values = {
        "cls": accident_class_name(accident.accident_class),
        "date": accident.occurred_on.isoformat(),
        "deaths": accident.deaths,
        "source": outcome.rule.source,
    }
    with translation.override(settings.LANGUAGE_CODE):  # stored text: in the site's language
        if outcome.to_level is None:
            reason = _("Fatal %(cls)s on %(date)s (%(deaths)s dead): the grade is revoked.") % values
        else:
            reason = _("Fatal %(cls)s on %(date)s (%(deaths)s dead): the grade falls to %(level)s.") % (
                values | {"level": level_name(outcome.to_level)}
            )
        reason += " " + _("Rule: %(source)s.") % values
    occurred_on = max(accident.occurred_on, cert.awarded_on)
    if outcome.to_level is None:
        return grades.record_event(
            cert,
            GradeEvent.Kind.REVOKED,
            actor=actor,
            reason=reason,
            occurred_on=occurred_on,
            accident=accident,
        )
    return grades.record_event(
        cert,
        GradeEvent.Kind.DOWNGRADED,
        actor=actor,
        reason=reason,
        occurred_on=occurred_on,
        to_level=outcome.to_level,
        accident=accident,
    )
