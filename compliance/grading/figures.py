"""Standardization grading's figures for a mine's profile (oversight assembles them from every
capability): the current grade, whether the mine may produce (its grade and the production stops
of the registry), and its re-check. One query for any number of mines (the grading annotation),
and one registry call for their stops."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from compliance.registry import MineFigure, MineFigureProvider, register_mine_figures
from tenants.models import MineProfile, OrgUnit
from tenants.scope import Scope

from . import regulator_findings
from .production import RECHECK_WINDOW_DAYS, MineStatus, stops_of, with_grading_status
from .rules import policy_rules


def _production(status: MineStatus) -> MineFigure:
    label = gettext_lazy("May produce")
    rule = " ".join(
        [status.production_words]
        + [
            _("To be verified: %(text)s (%(source)s)") % {"text": w.text, "source": w.source}
            for w in status.warnings
        ]
    ).strip()
    if status.stopped_by_hazard:
        # A binding stop of the whole mine: linked to what stops it (the first stop with a page).
        url = next((s.url for s in status.mine_stops if s.url), "")
        return MineFigure("grading.production", label, _("No"), "violation", rule, url)
    if status.is_coal:
        if status.permitted:
            watch = status.area_stops or status.unverified_stops
            return MineFigure("grading.production", label, _("Yes"), "watch" if watch else "ok", rule)
        # Not permitted: a violation while it produces, something to watch while it does not.
        producing = status.production_status == MineProfile.ProductionStatus.PRODUCING
        return MineFigure("grading.production", label, _("No"), "violation" if producing else "watch", rule)
    if status.level3_overdue:
        return MineFigure("grading.production", label, _("Level 3 overdue"), "violation", rule)
    if status.level3_days_left is not None:
        return MineFigure("grading.production", label, _("Yes"), "watch", rule)
    if status.area_stops or status.unverified_stops:
        return MineFigure("grading.production", label, _("Yes"), "watch", rule)
    return MineFigure("grading.production", label, _("Yes") if rule else "—", "ok", rule)


def _recheck(status: MineStatus) -> MineFigure:
    label = gettext_lazy("Re-check due")
    due = status.recheck_due
    value = due.isoformat() if due else "—"
    if status.recheck_overdue and not status.recheck_verified and status.level is not None:
        return MineFigure(
            "grading.recheck",
            label,
            value,
            "watch",
            _("The re-check is past due by an interval still to be verified: the grade still counts."),
        )
    if status.recheck_overdue:
        return MineFigure(
            "grading.recheck",
            label,
            value,
            "warning",
            _("The re-check is past due: the grade counts as none."),
        )
    days = status.recheck_days_left
    if days is not None and days <= RECHECK_WINDOW_DAYS:
        return MineFigure(
            "grading.recheck", label, value, "watch",
            _("The re-check falls due within %(days)s days.") % {"days": RECHECK_WINDOW_DAYS},
        )  # fmt: skip
    return MineFigure("grading.recheck", label, value, "ok", "")


def mine_figures(scope: Scope, mine_ids: Iterable, *, today: datetime.date | None = None) -> dict:
    """{mine pk: [MineFigure, ...]} for the mines of ``mine_ids`` the scope may see (others are left
    out), in one query."""
    today = today or timezone.localdate()
    qs = scope.filter_queryset(OrgUnit.objects.filter(pk__in=list(mine_ids), kind=OrgUnit.Kind.MINE))
    out = {}
    policies = policy_rules()
    mines = list(with_grading_status(qs.select_related("mine_profile")))
    found = regulator_findings.findings(scope, [m.pk for m in mines], today=today)
    stops = stops_of([m.pk for m in mines], scope=scope)
    for mine in mines:
        status = MineStatus(mine, today, policies, stops.get(mine.pk, []))
        url = reverse("grading:mine-status", args=[mine.pk])
        out[mine.pk] = [
            MineFigure(
                "grading.grade",
                gettext_lazy("Standardization grade"),
                status.level_label if status.level is not None else _("None"),
                "ok" if status.level is not None else "warning",
                status.grade_words,
                url,
            ),
            _production(status),
            _recheck(status),
        ]
        if mine.pk in found:
            out[mine.pk].append(_regulator_majors(found[mine.pk], url))
    return out


def _regulator_majors(finding: regulator_findings.Finding, url: str) -> MineFigure:
    """Regulators found more major hazards than the mine reported: the grade falls (a 待核实
    warning while the rule is unverified)."""
    rule = finding.words()
    if not finding.binding:
        rule = _("To be verified: %(text)s (%(source)s)") % {"text": rule, "source": finding.rule.source}
    return MineFigure(
        "grading.regulator_majors",
        gettext_lazy("Majors found by regulators"),
        f"{finding.regulator_found} / {finding.self_reported}",
        "violation" if finding.binding else "warning",
        rule,
        url,
    )


def register() -> None:
    register_mine_figures(
        MineFigureProvider("grading", gettext_lazy("Standardization"), mine_figures, order=20)
    )
