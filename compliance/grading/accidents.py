"""The accident register (事故登记) of each mine, and what a fatal accident does to its grade.

Accidents feed the level rules (``grading.history``: no fatal accident within the look-back).
Recording a fatal accident also applies ``FATAL_ACCIDENT_CONSEQUENCES`` to the mine's valid
grade certificate at once — a downgrade or a revocation, as an event that links the accident —
in the same transaction, both audited.
"""

from __future__ import annotations

import datetime

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
from .models import Accident, AccidentClass, GradeCertificate, GradeEvent
from .scoring import accident_class_name, level_name

REVOKE = "revoke"

# What a fatal accident (deaths > 0) does to the mine's valid grade, by mine family and accident
# class: a level number — the grade falls to that level (a grade already at or below it is kept:
# the accident still bars the better levels through the look-back of the level rules) — or
# REVOKE. Configurable data, not a rule of the code: DOMAIN.md records "一级 → 三级 seen" for a
# fatal accident at a coal mine and revocation for graver ones, but no confirmed national table,
# and provinces apply their own; change the figures here (or override this table in a
# deployment), not the service. Non-fatal accidents change no grade.
FATAL_ACCIDENT_CONSEQUENCES: dict[str, dict[str, int | str]] = {
    "coal": {
        AccidentClass.GENERAL: 3,  # 一般事故 with deaths: down to 三级
        AccidentClass.LARGE: REVOKE,  # 较大 and above: the grade is revoked
        AccidentClass.MAJOR: REVOKE,
        AccidentClass.GRAVE: REVOKE,
    },
    "non_coal": {
        AccidentClass.GENERAL: 3,
        AccidentClass.LARGE: REVOKE,
        AccidentClass.MAJOR: REVOKE,
        AccidentClass.GRAVE: REVOKE,
    },
}

COAL_TYPES = (MineProfile.MineType.COAL_UNDERGROUND, MineProfile.MineType.COAL_OPEN_PIT)


def mine_family(mine: OrgUnit) -> str:
    profile = getattr(mine, "mine_profile", None)
    return "coal" if profile is not None and profile.mine_type in COAL_TYPES else "non_coal"


def consequence(mine: OrgUnit, accident_class: str) -> int | str | None:
    """The level a fatal accident of this class takes the mine's grade to, REVOKE, or None."""
    return FATAL_ACCIDENT_CONSEQUENCES.get(mine_family(mine), {}).get(accident_class)


# --- reads ---------------------------------------------------------------------------------------


def accident_list(
    *, scope: Scope, mine: OrgUnit | None = None, unit: OrgUnit | None = None
) -> QuerySet[Accident]:
    qs = scope.filter_queryset(Accident.objects.select_related("mine", "mine__parent", "tenant"))
    if mine is not None:
        qs = qs.filter(mine=mine)
    if unit is not None:
        qs = qs.filter(tenant_id=unit.tenant_id, mine__path__startswith=unit.path)
    return qs.order_by("-occurred_on", "-created_at")


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
    for name in ("deaths", "injuries"):
        value = data.get(name, 0)
        try:
            value = int(value if value not in (None, "") else 0)
        except (TypeError, ValueError):
            value = -1
        if value < 0 or value > 32767:
            errors.setdefault(name, []).append(_("Enter a whole number, 0 or more."))
        counts[name] = value
    description = (data.get("description") or "").strip()
    if not description:
        errors.setdefault("description", []).append(_("Describe what happened."))
    if errors:
        raise ValidationError(errors)
    return {
        "occurred_on": occurred_on,
        "accident_class": accident_class,
        "description": description[:10000],
        **counts,
    }


@transaction.atomic
def record_accident(*, scope: Scope, mine: OrgUnit, data: dict, actor=None) -> Accident:
    """Register an accident at ``mine`` (MANAGE_GRADING there). A fatal one applies
    ``FATAL_ACCIDENT_CONSEQUENCES`` to the mine's valid grade, if it has one awarded on or before
    the accident's date: an accident before the award was there to be weighed by the level rules
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
    """Downgrade or revoke the mine's valid grade per the table; None when nothing changes."""
    mine = accident.mine
    outcome = consequence(mine, accident.accident_class)
    if outcome is None or not accident.is_fatal:
        return None
    # The mine was reached through the caller's scope (MANAGE_GRADING on it): its valid
    # certificate is read and changed on the rule's behalf, not by the caller's review right.
    cert = (
        GradeCertificate.dangerously_unscoped.filter(
            tenant_id=accident.tenant_id, mine_id=mine.pk, status=GradeCertificate.Status.VALID
        )
        .select_related("mine")
        .first()
    )
    if cert is None or cert.awarded_on > accident.occurred_on:
        return None
    values = {
        "cls": accident_class_name(accident.accident_class),
        "date": accident.occurred_on.isoformat(),
        "deaths": accident.deaths,
    }
    with translation.override(settings.LANGUAGE_CODE):  # stored text: in the site's language
        if outcome == REVOKE:
            reason = _("Fatal %(cls)s on %(date)s (%(deaths)s dead): the grade is revoked.") % values
        else:
            if cert.level >= int(outcome):
                return None  # already at or below the level the rule gives
            reason = _("Fatal %(cls)s on %(date)s (%(deaths)s dead): the grade falls to %(level)s.") % (
                values | {"level": level_name(int(outcome))}
            )
    occurred_on = max(accident.occurred_on, cert.awarded_on)
    if outcome == REVOKE:
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
        to_level=int(outcome),
        accident=accident,
    )
