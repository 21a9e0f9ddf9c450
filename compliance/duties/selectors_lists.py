"""Reads of responsibility lists and duty assessments. Every list runs a constant number of queries
whatever its rows: people, their posts, the lists in force and the signatures are each one query,
joined in Python.

A person's list for a post is the post's template at the deepest org unit on the person's own line
of the tree (their unit or one above it): a mine's adaptation wins over its subsidiary's, which wins
over the group's."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from tenants.models import OrgUnit, Person
from tenants.scope import Scope

from .models.lists import (
    Acknowledgement,
    DutyAssessment,
    DutyListSettings,
    DutyPost,
    ListItem,
    ListTemplate,
    ListVersion,
    PostHolder,
)
from .permissions_lists import MANAGE_DUTY_LISTS, VIEW_DUTY_LISTS

HOLD_SOURCE = "duties.assessment"


# --- settings and periods ----------------------------------------------------------------------
def settings_for(tenant_id) -> DutyListSettings:
    """The group's settings, or the defaults (unsaved) when it kept none. By tenant id: the caller
    already holds an object of that tenant, and the settings say nothing about anyone."""
    found = DutyListSettings.dangerously_unscoped.filter(tenant_id=tenant_id).first()
    return found or DutyListSettings(tenant_id=tenant_id)


def period_start(day: datetime.date, cycle: str) -> datetime.date:
    if cycle == DutyListSettings.Cycle.QUARTERLY:
        return datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return day.replace(day=1)


def period_label(start: datetime.date, cycle: str) -> str:
    if cycle == DutyListSettings.Cycle.QUARTERLY:
        return f"{start.year}年第{(start.month - 1) // 3 + 1}季度"
    return f"{start.year}年{start.month}月"


def _ancestor_paths(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


# --- catalogue and templates ----------------------------------------------------------------------
def posts(scope: Scope) -> QuerySet[DutyPost]:
    return scope.queryset(DutyPost).order_by("position", "code")


def templates(scope: Scope, *, post=None) -> QuerySet[ListTemplate]:
    qs = scope.queryset(ListTemplate).select_related("post", "org_unit", "base__org_unit", "current_version")
    if post is not None:
        qs = qs.filter(post=post)
    return qs.order_by("post__position", "post__code", "org_unit__path")


def template_versions(scope: Scope, template: ListTemplate) -> list[ListVersion]:
    return list(
        scope.queryset(ListVersion)
        .filter(template=template)
        .select_related("published_by", "base_version")
        .order_by("-number")
    )


def versions_with_items(scope: Scope) -> QuerySet[ListVersion]:
    # Items of the versions the scope returned (an item has no scope of its own beyond its version).
    items = ListItem.dangerously_unscoped.order_by("position")
    return scope.queryset(ListVersion).prefetch_related(Prefetch("items", queryset=items))


def assessments_with_scores(scope: Scope):
    from .models.lists import AssessmentScore

    # Scores of the assessments the scope returned.
    scores = AssessmentScore.dangerously_unscoped.select_related("item").order_by("item__position")
    return assessments(scope).prefetch_related(Prefetch("scores", queryset=scores))


def version_items(version: ListVersion | None) -> list[ListItem]:
    """The items of a version the caller already reached through its scope."""
    if version is None:
        return []
    # By the version's id and tenant: the caller holds the version (scoped read or its own list).
    return list(ListItem.dangerously_unscoped.filter(tenant_id=version.tenant_id, version_id=version.pk))


def base_template_for(*, tenant_id, post, org_unit: OrgUnit) -> ListTemplate | None:
    """The nearest template of ``post`` strictly above ``org_unit`` (what an adaptation there adapts)."""
    above = _ancestor_paths(org_unit.path)[:-1]
    return (
        ListTemplate.dangerously_unscoped.filter(tenant_id=tenant_id, post=post, org_unit__path__in=above)
        .select_related("org_unit", "current_version")
        .order_by("-org_unit__depth")
        .first()
    )


# --- who must sign what --------------------------------------------------------------------------
@dataclass
class ListDue:
    """One post a person holds, the list in force for them and where their signature stands."""

    holder: PostHolder
    template: ListTemplate | None
    version: ListVersion | None
    acknowledgement: Acknowledgement | None
    due_on: datetime.date | None
    overdue: bool
    items: list = field(default_factory=list)

    @property
    def person(self) -> Person:
        return self.holder.person

    @property
    def signed(self) -> bool:
        return self.acknowledgement is not None

    @property
    def status(self) -> str:
        if self.version is None:
            return "no_list"
        if self.signed:
            return "signed"
        return "overdue" if self.overdue else "due"


def _dues(
    tenant_ids, holders: list[PostHolder], *, today: datetime.date, with_items: bool = False
) -> list[ListDue]:
    """Join holders with their list in force and their signature of it: three queries."""
    if not holders:
        return []
    post_ids = {h.post_id for h in holders}
    # The templates of the holders' posts in their tenants. Reached from holders the caller's scope
    # returned; templates are group documents (see ListTemplate.scope_path), and a worker, whose
    # scope reads only rows about themself, needs their own post's list.
    all_templates = list(
        ListTemplate.dangerously_unscoped.filter(
            tenant_id__in=tenant_ids, post_id__in=post_ids
        ).select_related("org_unit", "current_version")
    )
    by_post: dict[tuple, dict[str, ListTemplate]] = defaultdict(dict)
    for t in all_templates:
        by_post[(t.tenant_id, t.post_id)][t.org_unit.path] = t
    chosen: dict = {}
    for h in holders:
        candidates = by_post.get((h.tenant_id, h.post_id), {})
        template = None
        for path in reversed(_ancestor_paths(h.person.org_unit.path)):
            if path in candidates:
                template = candidates[path]
                break
        chosen[h.pk] = template
    version_ids = {t.current_version_id for t in chosen.values() if t is not None and t.current_version_id}
    acks = {
        (a.person_id, a.version_id): a
        for a in Acknowledgement.dangerously_unscoped.filter(
            tenant_id__in=tenant_ids,
            person_id__in={h.person_id for h in holders},
            version_id__in=version_ids,
        )
    }
    items_by_version: dict = defaultdict(list)
    if with_items and version_ids:
        for item in ListItem.dangerously_unscoped.filter(
            tenant_id__in=tenant_ids, version_id__in=version_ids
        ):
            items_by_version[item.version_id].append(item)
    settings = {
        s.tenant_id: s for s in DutyListSettings.dangerously_unscoped.filter(tenant_id__in=tenant_ids)
    }
    out = []
    for h in holders:
        template = chosen[h.pk]
        version = template.current_version if template is not None else None
        ack = acks.get((h.person_id, version.pk)) if version is not None else None
        due_on = None
        overdue = False
        if version is not None and ack is None:
            window = (settings.get(h.tenant_id) or DutyListSettings()).acknowledge_within_days
            start = max(timezone.localdate(version.published_at), h.since)
            due_on = start + datetime.timedelta(days=window)
            overdue = today > due_on
        out.append(
            ListDue(
                holder=h,
                template=template,
                version=version,
                acknowledgement=ack,
                due_on=due_on,
                overdue=overdue,
                items=items_by_version.get(version.pk, []) if version is not None else [],
            )
        )
    return out


def _holders(scope: Scope) -> QuerySet[PostHolder]:
    return scope.queryset(PostHolder).select_related("person__org_unit", "post")


def my_lists(scope: Scope, *, today: datetime.date | None = None) -> list[ListDue]:
    """The lists of the login's own person, with their items (a worker's phone page)."""
    if scope.person_id is None:
        return []
    holders = list(
        _holders(scope).filter(person_id=scope.person_id).exclude(person__status=Person.Status.LEFT)
    )
    return _dues(scope.tenant_ids, holders, today=today or timezone.localdate(), with_items=True)


def person_lists(scope: Scope, person: Person, *, today: datetime.date | None = None) -> list[ListDue]:
    holders = list(_holders(scope).filter(person=person))
    return _dues(scope.tenant_ids, holders, today=today or timezone.localdate(), with_items=True)


def acknowledgement_rows(
    scope: Scope, *, unit: OrgUnit | None = None, status: str = "", today: datetime.date | None = None
) -> list[ListDue]:
    """Every post holder in scope (under ``unit``) with where their signature stands; ``status``
    keeps only "signed", "due" or "overdue" rows. Five queries whatever the number of people."""
    qs = _holders(scope).exclude(person__status=Person.Status.LEFT)
    if unit is not None:
        qs = qs.filter(person__org_unit__path__startswith=unit.path)
    rows = _dues(
        scope.tenant_ids,
        list(qs.order_by("person__org_unit__path", "person__employee_no")),
        today=today or timezone.localdate(),
    )
    if status:
        rows = [r for r in rows if r.status == status]
    return rows


def acknowledgement_rate(rows: list[ListDue]) -> dict:
    with_list = [r for r in rows if r.version is not None]
    signed = sum(1 for r in with_list if r.signed)
    overdue = sum(1 for r in with_list if r.overdue)
    total = len(with_list)
    return {
        "total": total,
        "signed": signed,
        "overdue": overdue,
        "due": total - signed - overdue,
        "rate": round(Decimal(100) * signed / total, 1) if total else None,
    }


def rate_by_mine(scope: Scope, rows: list[ListDue]) -> list[dict]:
    """The acknowledgement rate per mine in scope (people above any mine under "group")."""
    mines = list(scope.queryset(OrgUnit).filter(kind=OrgUnit.Kind.MINE).order_by("path"))
    out = []
    for mine in mines:
        mine_rows = [r for r in rows if r.person.org_unit.path.startswith(mine.path)]
        out.append({"unit": mine, **acknowledgement_rate(mine_rows)})
    return out


# --- assessments -------------------------------------------------------------------------------------
def assessments(scope: Scope, *, period: datetime.date | None = None, unit: OrgUnit | None = None):
    qs = scope.queryset(DutyAssessment).select_related(
        "person__org_unit", "template__post", "version", "assessor"
    )
    if period is not None:
        qs = qs.filter(period_start=period)
    if unit is not None:
        qs = qs.filter(person__org_unit__path__startswith=unit.path)
    return qs.order_by("-period_start", "person__org_unit__path", "person__employee_no")


def assessment_detail(scope: Scope, pk) -> DutyAssessment:
    from compliance.access import access_or_404

    from .models.lists import AssessmentScore

    qs = (
        scope.queryset(DutyAssessment)
        .select_related("person__org_unit", "template__post", "template__org_unit", "version", "assessor")
        .prefetch_related(
            Prefetch(
                "scores",
                queryset=AssessmentScore.dangerously_unscoped.select_related("item").order_by(
                    "item__position"
                ),
            )
        )
    )
    return access_or_404(scope, qs, pk)


def results_by_unit(scope: Scope, rows: list[DutyAssessment]) -> list[dict]:
    """Average score and failures per subsidiary, mine and team in scope, from the assessments given."""
    units = list(
        scope.queryset(OrgUnit)
        .filter(kind__in=[OrgUnit.Kind.SUBSIDIARY, OrgUnit.Kind.MINE, OrgUnit.Kind.TEAM])
        .order_by("path")
    )
    out = []
    for unit in units:
        mine_rows = [a for a in rows if a.person.org_unit.path.startswith(unit.path)]
        if not mine_rows:
            continue
        total = sum((a.score for a in mine_rows), Decimal(0))
        out.append(
            {
                "unit": unit,
                "count": len(mine_rows),
                "average": round(total / len(mine_rows), 1),
                "failed": sum(1 for a in mine_rows if not a.passed),
            }
        )
    return out


def can_manage_lists(scope: Scope) -> bool:
    return scope.has_perm(MANAGE_DUTY_LISTS)


def can_view_lists(scope: Scope) -> bool:
    return scope.has_perm(VIEW_DUTY_LISTS)
