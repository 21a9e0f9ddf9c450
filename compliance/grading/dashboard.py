"""Grading oversight (标准化看板) for a subsidiary, the group or a regulator: read-only figures over
the caller's scope — mines by level, re-checks due or overdue, mines not permitted to produce,
non-coal mines past their deadline for 三级, assessments in progress.

Every figure is a count of mines, taken by one aggregate over the annotated mine queryset of
``grading.production`` with the same filters the mine list applies, so each number is exactly the
length of the list it links to, and the number of queries does not grow with the number of mines.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance.reports import charts
from tenants.models import OrgUnit
from tenants.scope import Scope

from . import production
from .models import Assessment
from .scoring import level_name

# The mine-list filters, by name and value: (filter key, value) → the condition it applies.
LEVEL_VALUES = ("1", "2", "3", "none")
PERMITTED_VALUES = ("no", "yes")
RECHECK_VALUES = ("due", "overdue")
DEADLINE_VALUES = ("overdue",)
ASSESSMENT_VALUES = tuple(production.IN_PROGRESS)


def mine_filter(
    *,
    today: datetime.date,
    level: str = "",
    permitted: str = "",
    recheck: str = "",
    deadline: str = "",
    assessment: str = "",
    policies: dict | None = None,
) -> Q:
    """The condition of the mine list's filters (on ``production.with_grading_status``);
    ``policies``: the policy rules in force (read here when not given)."""
    cond = Q()
    if (level in LEVEL_VALUES or permitted or deadline) and policies is None:
        policies = production.policy_rules()
    if level in LEVEL_VALUES:
        cond &= production.q_level(None if level == "none" else int(level), today, policies)
    if permitted == "no":
        cond &= production.q_not_permitted(today, policies)
    elif permitted == "yes":
        cond &= production.q_coal() & production.q_graded(today, policies)
    if recheck == "due":
        cond &= production.q_recheck_due(today)
    elif recheck == "overdue":
        cond &= production.q_recheck_overdue(today)
    if deadline == "overdue":
        cond &= production.q_non_coal_overdue(today, policies)
    if assessment in ASSESSMENT_VALUES:
        cond &= production.q_assessment(assessment)
    return cond


def mine_list(*, scope: Scope, unit: OrgUnit | None = None, today: datetime.date | None = None, **filters):
    today = today or timezone.localdate()
    qs = production.graded_mines(scope=scope)
    if unit is not None:
        qs = qs.filter(tenant_id=unit.tenant_id, path__startswith=unit.path)
    return qs.filter(mine_filter(today=today, **filters))


@dataclass
class Figure:
    key: str  # aggregate name
    label: str
    params: dict  # the mine-list filter it links to
    value: int = 0
    alarm: bool = False  # shown as a warning when above zero
    href: str = ""  # the mine list behind the number (set by the page)


@dataclass
class Board:
    total: int
    levels: list[Figure]
    figures: list[Figure]
    assessments: list[Figure]
    today: datetime.date

    def level_counts(self) -> list[tuple[str, int]]:
        return [(f.label, f.value) for f in self.levels]


def _figures(today: datetime.date) -> tuple[list[Figure], list[Figure], list[Figure]]:
    levels = [Figure(f"level_{v}", level_name(int(v)), {"level": v}) for v in ("1", "2", "3")]
    levels.append(Figure("level_none", _("No valid grade"), {"level": "none"}))
    figures = [
        Figure(
            "not_permitted",
            _("Coal mines not permitted to produce"),
            {"permitted": "no"},
            alarm=True,
        ),
        Figure(
            "recheck_due",
            _("Re-checks due within %(days)s days") % {"days": production.RECHECK_WINDOW_DAYS},
            {"recheck": "due"},
        ),
        Figure(
            "recheck_overdue", _("Re-checks overdue or grades lapsed"), {"recheck": "overdue"}, alarm=True
        ),
        Figure(
            "deadline_overdue",
            _("Producing non-coal mines past their deadline for Level 3"),
            {"deadline": "overdue"},
            alarm=True,
        ),
    ]
    assessments = [
        Figure(f"assessment_{status}", str(Assessment.Status(status).label), {"assessment": status})
        for status in production.IN_PROGRESS
    ]
    return levels, figures, assessments


def board(*, scope: Scope, unit: OrgUnit | None = None, today: datetime.date | None = None) -> Board:
    """Every figure of the dashboard in two queries (the policy rules, then the counts)."""
    today = today or timezone.localdate()
    policies = production.policy_rules()
    levels, figures, assessments = _figures(today)
    # Only what the counts read (``production.with_grade``): the list's other annotations would be
    # computed for every mine and never used.
    qs = production.with_grade(production.scoped_mines(scope=scope)).order_by()
    if unit is not None:
        qs = qs.filter(tenant_id=unit.tenant_id, path__startswith=unit.path)
    aggregates = {"total": Count("pk")}
    for figure in (*levels, *figures, *assessments):
        aggregates[figure.key] = Count(
            "pk", filter=mine_filter(today=today, policies=policies, **figure.params)
        )
    # DISTINCT (a no-op on unique mines) makes Django count over an inner query that computes the
    # status subqueries once per mine; without it, every filtered count repeats the subqueries it
    # refers to (regulator, 2,000 mines: ≈ 240 → 140 ms, measured with bench/grading.py).
    counts = qs.distinct().aggregate(**aggregates)
    for figure in (*levels, *figures, *assessments):
        figure.value = counts[figure.key] or 0
    return Board(counts["total"] or 0, levels, figures, assessments, today)


def chart_svg(rows: list[tuple[str, int]], *, title: str, series: str) -> str:
    """Mines by level as a standalone bar chart (SVG, no script)."""
    return charts.count_bar_svg(rows, title=title, series=series)
