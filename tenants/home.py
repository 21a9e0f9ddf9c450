"""The home page as a to-do list: what this scope should do next, from every capability.

Capabilities register ``TodoProvider``s (compliance.registry) from their ``AppConfig.ready()``;
the base reads them and knows none. Each provider runs a constant number of queries, so the page
does too, whatever the number of people, mines or certificates behind the counts.

Group HQ also sees each subsidiary's status: its mines with the figures every capability keeps per
mine (``registry.mine_figures``, one call for all the group's mines), worst flag first in sight.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.translation import pgettext_lazy

from compliance.notifications.services import own_notifications
from compliance.registry import MineFigure, TodoItem, mine_figures, todo_providers

from . import roles
from .models import OrgUnit, PersonHold
from .scope import Scope

# Most urgent first: what stops someone working, then what is late, then what falls due.
SEVERITY_ORDER = {"blocked": 0, "overdue": 1, "due": 2, "info": 3}
LATEST_UNREAD = 5


@dataclass(frozen=True)
class Todo:
    provider: str  # the provider's key
    section: str  # the provider's label (the capability's name), shown beside the item
    item: TodoItem

    @property
    def testid(self) -> str:
        return f"todo-{self.item.key}"


def _sort_key(todo: Todo, order: int):
    deadline = todo.item.deadline
    if isinstance(deadline, datetime.datetime):
        deadline = deadline.date()
    return (
        SEVERITY_ORDER.get(todo.item.severity, len(SEVERITY_ORDER)),
        deadline is None,
        deadline or datetime.date.max,
        order,
        todo.item.key,
    )


def todo_list(scope: Scope) -> list[Todo]:
    """Every provider's items for this scope with a count above zero, most urgent first."""
    keyed = []
    for order, provider in enumerate(todo_providers()):
        for item in provider.items(scope):
            if item.count:
                keyed.append((Todo(provider.key, str(provider.label), item), order))
    keyed.sort(key=lambda pair: _sort_key(*pair))
    return [todo for todo, _order in keyed]


def my_open_holds(scope: Scope) -> list[PersonHold]:
    """The open holds on the login's own person (why they may not be on post), oldest first."""
    if not scope.person_id:
        return []
    return list(
        scope.filter_queryset(PersonHold.objects.filter(person_id=scope.person_id, lifted_at__isnull=True))
        .order_by("placed_at")
        .only("reason", "placed_at", "source")
    )


def latest_unread(user, limit: int = LATEST_UNREAD) -> list:
    return list(own_notifications(user).filter(read_at__isnull=True)[:limit])


# --- group HQ: each subsidiary's status ------------------------------------------------------------
# A mine figure's flag (registry.MineFigure.status), mildest first: a mine's and a subsidiary's
# flag is the worst of their figures'.
FLAGS = ("ok", "watch", "warning", "violation")
FLAG_LABELS = {
    "ok": pgettext_lazy("figure status", "OK"),  # 正常
    "watch": pgettext_lazy("figure status", "Watch"),  # 关注
    "warning": pgettext_lazy("figure status", "Warning"),  # 警告
    "violation": pgettext_lazy("figure status", "Violation"),  # 违规
}
# The row of the mines right under group HQ, in no subsidiary.
_DIRECT = pgettext_lazy("org unit", "Directly under group HQ")  # 集团直属


def _worst(statuses) -> str | None:
    ranked = [FLAGS.index(s) for s in statuses if s in FLAGS]
    return FLAGS[max(ranked)] if ranked else None


@dataclass(frozen=True)
class FigureCell:
    figure: MineFigure

    @property
    def flag_label(self):
        return FLAG_LABELS.get(self.figure.status, self.figure.status)


@dataclass(frozen=True)
class MineStatus:
    mine: OrgUnit
    cells: list[FigureCell | None]  # one per column; None: no provider gave this figure here

    @property
    def statuses(self) -> set[str]:
        return {c.figure.status for c in self.cells if c is not None}

    @property
    def worst(self) -> str | None:
        return _worst(self.statuses)

    @property
    def worst_label(self):
        return FLAG_LABELS.get(self.worst, "")


@dataclass(frozen=True)
class SubsidiaryStatus:
    unit: OrgUnit | None  # None: the mines right under group HQ, in no subsidiary
    name: str  # with the subsidiaries above it, for one nested in another
    mines: list[MineStatus]

    @property
    def with_violation(self) -> int:
        return sum(1 for m in self.mines if "violation" in m.statuses)

    @property
    def with_warning(self) -> int:
        return sum(1 for m in self.mines if "warning" in m.statuses)

    @property
    def worst(self) -> str | None:
        return _worst(m.worst for m in self.mines)

    @property
    def worst_label(self):
        return FLAG_LABELS.get(self.worst, "")


@dataclass(frozen=True)
class GroupStatus:
    columns: list[tuple]  # (figure key, label), in provider order
    subsidiaries: list[SubsidiaryStatus]


def _columns(figure_lists) -> dict:
    """{figure key: label} in provider order: each mine's figures come in that order, but a
    provider may give a figure for some mines only, so a key first seen on a later mine goes
    right after the key before it there."""
    columns: list = []
    labels: dict = {}
    for figures in figure_lists:
        previous = None
        for figure in figures:
            if figure.key not in labels:
                labels[figure.key] = figure.label
                at = columns.index(previous) + 1 if previous is not None else 0
                columns.insert(at, figure.key)
            previous = figure.key
    return {key: labels[key] for key in columns}


def sees_group_status(scope: Scope) -> bool:
    return scope.kind == "tenant" and bool(scope.roles & roles.GROUP_ROLES)


def group_status(scope: Scope) -> GroupStatus | None:
    """Group HQ's view of its subsidiaries (子公司): one row each, with the mines it holds directly
    (a mine belongs to the nearest subsidiary above it) and their figures from every capability.
    None for any other scope. Queries: the units (one) and one ``mine_figures`` call for all the
    mines, so a constant number whatever the number of subsidiaries and mines."""
    if not sees_group_status(scope):
        return None
    units = list(
        scope.filter_queryset(
            OrgUnit.objects.filter(kind__in=(OrgUnit.Kind.SUBSIDIARY, OrgUnit.Kind.MINE))
        ).only("id", "name", "kind", "path", "tenant_id")
    )
    subsidiaries = {u.id.hex: u for u in units if u.kind == OrgUnit.Kind.SUBSIDIARY}
    mines = sorted((u for u in units if u.kind == OrgUnit.Kind.MINE), key=lambda m: m.name)
    figures = mine_figures(scope, [m.pk for m in mines])

    columns = _columns(figures.get(m.pk, []) for m in mines)

    def above(unit: OrgUnit) -> list[OrgUnit]:
        """The subsidiaries on the unit's path (itself excluded), highest first."""
        return [subsidiaries[s] for s in unit.path.split("/")[:-2] if s in subsidiaries]

    by_subsidiary: dict[str | None, list[MineStatus]] = {hex_id: [] for hex_id in subsidiaries}
    for mine in mines:
        own = {f.key: f for f in figures.get(mine.pk, [])}
        status = MineStatus(mine, [FigureCell(own[k]) if k in own else None for k in columns])
        parents = above(mine)
        by_subsidiary.setdefault(parents[-1].id.hex if parents else None, []).append(status)

    rows = []
    for hex_id, mine_rows in by_subsidiary.items():
        if hex_id is None:
            rows.append(SubsidiaryStatus(None, str(_DIRECT), mine_rows))
            continue
        unit = subsidiaries[hex_id]
        rows.append(SubsidiaryStatus(unit, " › ".join(u.name for u in [*above(unit), unit]), mine_rows))
    # Subsidiaries by name (nested ones under theirs), the mines under no subsidiary last.
    rows.sort(key=lambda r: (r.unit is None, r.name))
    return GroupStatus(list(columns.items()), rows)
