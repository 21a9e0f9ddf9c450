"""Reads of team safety points: scope first, filtered by it (belt and braces with the managers);
lists in a constant number of queries."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from compliance.access import access_or_404
from compliance.registry import TodoItem
from tenants.models import OrgUnit, Person
from tenants.scope import Scope

from .models import ActionKind, Balance, Entry, PointsRule, Proposal, Threshold, ThresholdAction
from .permissions import APPROVE_POINTS, RECORD_POINTS, VIEW_POINTS, VIEW_POINTS_TEAMS
from .services import cycle_start_for, settings_of


def _today() -> datetime.date:
    return timezone.localdate()


# --- single objects ---------------------------------------------------------------------------------
def access_entry(scope: Scope, pk) -> Entry:
    return access_or_404(scope, Entry.objects.select_related("person", "team", "rule", "reverses"), pk)


def access_action(scope: Scope, pk) -> ThresholdAction:
    return access_or_404(scope, ThresholdAction.objects.select_related("person", "team"), pk)


def access_proposal(scope: Scope, pk) -> Proposal:
    return access_or_404(scope, Proposal.objects.select_related("person", "team", "rule"), pk)


def access_rule(scope: Scope, pk) -> PointsRule:
    return access_or_404(scope, PointsRule.objects.select_related("org_unit"), pk, active=True)


def access_recordable_person(scope: Scope, pk) -> Person:
    """A person this login may record points for, else 404 (missing and foreign alike)."""
    person = access_or_404(scope, Person.objects.select_related("org_unit"), pk)
    if not scope.has_perm(RECORD_POINTS, person.org_unit.path, person.tenant_id):
        raise PermissionDenied(RECORD_POINTS)
    return person


# --- lists ------------------------------------------------------------------------------------------
def entry_list(
    *, scope: Scope, person: Person | None = None, team: OrgUnit | None = None, q: str = ""
) -> QuerySet[Entry]:
    qs = scope.filter_queryset(Entry.objects.all()).select_related("person", "team", "rule", "reverses")
    if person is not None:
        qs = qs.filter(person_id=person.pk)
    if team is not None:
        qs = qs.filter(team__path__startswith=team.path)
    if q:
        qs = qs.filter(Q(person__name__icontains=q) | Q(person__employee_no__icontains=q))
    return qs.order_by("-occurred_on", "-created_at")


def with_reversed(qs: QuerySet[Entry]) -> QuerySet[Entry]:
    """``is_reversed`` on each entry: whether a correction of it exists (the list then offers no
    second one). By the entry's id only: the reversal is in the same ledger, of the same person."""
    return qs.annotate(is_reversed=Exists(Entry.dangerously_unscoped.filter(reverses_id=OuterRef("pk"))))


def balance_list(*, scope: Scope, cycle_start: datetime.date | None = None) -> QuerySet[Balance]:
    qs = scope.filter_queryset(Balance.objects.all()).select_related("person", "team")
    if cycle_start is not None:
        qs = qs.filter(cycle_start=cycle_start)
    return qs.order_by("balance", "person__employee_no")


def rules_for(*, scope: Scope) -> QuerySet[PointsRule]:
    return scope.filter_queryset(PointsRule.objects.filter(active=True)).select_related("org_unit")


def recordable_people(scope: Scope):
    """(person, label) of the people this login may record points for, for a drop-down."""
    people = scope.filter_queryset(Person.objects.exclude(status=Person.Status.LEFT)).select_related(
        "org_unit"
    )
    return [
        (p, f"{p.name}（{p.employee_no}，{p.org_unit.name}）")
        for p in people.order_by("org_unit__path", "employee_no")[:2000]
        if scope.has_perm(RECORD_POINTS, p.org_unit.path, p.tenant_id)
    ]


def current_cycle(tenant_id) -> datetime.date:
    return cycle_start_for(settings_of(tenant_id), _today())


def thresholds_of(tenant_id) -> list[Threshold]:
    # The group's configuration, by the tenant of the caller's own person or unit.
    return list(Threshold.dangerously_unscoped.filter(tenant_id=tenant_id).order_by("-below"))


# --- the worker's own page ---------------------------------------------------------------------------
@dataclass
class MyPoints:
    person: Person
    cycle_start: datetime.date
    opening: int
    balance: int
    entries: list[Entry]
    thresholds: list[Threshold]
    actions: list[ThresholdAction]


def my_points(*, scope: Scope) -> MyPoints:
    """The balance the person sees is the ledger's sum — opening + the sum of the cycle's entries,
    computed from the entries rather than read from the balance row — so it is exact at every
    moment."""
    if scope.person_id is None:
        raise PermissionDenied(VIEW_POINTS)
    person = access_or_404(scope, Person.objects.select_related("org_unit"), scope.person_id)
    settings = settings_of(person.tenant_id)
    cycle = cycle_start_for(settings, _today())
    row = scope.filter_queryset(Balance.objects.filter(person_id=person.pk, cycle_start=cycle)).first()
    cycle_entries = entry_list(scope=scope, person=person).filter(cycle_start=cycle)
    entries = list(cycle_entries[:200])
    opening = row.opening if row else settings.starting_balance
    # The sum in the database, not over the page of rows shown: exact however long the history.
    balance = opening + (cycle_entries.aggregate(total=Sum("points"))["total"] or 0)
    actions = list(
        scope.filter_queryset(ThresholdAction.objects.filter(person_id=person.pk, cycle_start=cycle))
    )
    return MyPoints(person, cycle, opening, balance, entries, thresholds_of(person.tenant_id), actions)


# --- managers' lists ----------------------------------------------------------------------------------
def near_threshold(*, scope: Scope, margin: int = 3) -> list[Balance]:
    """People of this cycle whose balance is within ``margin`` points of the highest threshold, or
    below it; lowest first."""
    tenant_id = scope.tenant_id
    if tenant_id is None:
        return []
    thresholds = thresholds_of(tenant_id)
    if not thresholds:
        return []
    limit = max(t.below for t in thresholds) + margin
    rows = balance_list(scope=scope, cycle_start=current_cycle(tenant_id)).filter(balance__lt=limit)
    return list(rows[:500])


def open_actions(*, scope: Scope) -> QuerySet[ThresholdAction]:
    return (
        scope.filter_queryset(ThresholdAction.objects.filter(status=ThresholdAction.Status.OPEN))
        .select_related("person", "team", "threshold")
        .order_by("-opened_at")
    )


def pending_proposals(*, scope: Scope) -> QuerySet[Proposal]:
    return (
        scope.filter_queryset(Proposal.objects.filter(status=Proposal.Status.PENDING))
        .select_related("person", "team", "rule")
        .order_by("-created_at")
    )


# --- team figures (what a regulator reads too) --------------------------------------------------------
@dataclass
class TeamRow:
    team: OrgUnit
    members: int
    points: int  # the net points of the month's entries counted for the team
    deductions: int  # entries taking points off
    violations: int  # of which 三违
    per_member: float
    rank: int = 0


def ranking_mines(scope: Scope) -> QuerySet[OrgUnit]:
    return scope.filter_queryset(OrgUnit.objects.filter(kind=OrgUnit.Kind.MINE)).order_by("path")


def access_ranking_mine(scope: Scope, pk) -> OrgUnit:
    return access_or_404(scope, OrgUnit.objects.filter(kind=OrgUnit.Kind.MINE), pk)


def team_ranking(*, scope: Scope, mine: OrgUnit, month: datetime.date) -> list[TeamRow]:
    """The mine's teams in a month, best first: net points per member (entries counted for the
    team they were recorded at). Team-level figures only: what a regulator may read. Three queries."""
    if not scope.has_perm(VIEW_POINTS_TEAMS, mine.path, mine.tenant_id):
        raise PermissionDenied(VIEW_POINTS_TEAMS)
    first = month.replace(day=1)
    after = (first + datetime.timedelta(days=32)).replace(day=1)
    # The mine's rows, by its tenant and id, once the scope is known to read the mine's team
    # figures (checked above): a regulator reads the sums, never the entries themselves.
    teams = list(
        OrgUnit.dangerously_unscoped.filter(
            tenant_id=mine.tenant_id, kind=OrgUnit.Kind.TEAM, path__startswith=mine.path
        ).order_by("path")
    )
    members = dict(
        Person.dangerously_unscoped.filter(tenant_id=mine.tenant_id, org_unit__in=teams)
        .exclude(status=Person.Status.LEFT)
        .values("org_unit_id")
        .annotate(n=Count("pk"))
        .values_list("org_unit_id", "n")
    )
    sums = {
        row["team_id"]: row
        for row in Entry.dangerously_unscoped.filter(
            tenant_id=mine.tenant_id, mine_id=mine.pk, occurred_on__gte=first, occurred_on__lt=after
        )
        .values("team_id")
        .annotate(
            net=Sum("points"),
            deductions=Count("pk", filter=Q(points__lt=0, reverses__isnull=True)),
            violations=Count("pk", filter=Q(rule__category="violation", reverses__isnull=True)),
        )
    }
    rows = []
    for team in teams:
        s = sums.get(team.pk, {})
        n = members.get(team.pk, 0)
        points = s.get("net") or 0
        rows.append(
            TeamRow(
                team=team,
                members=n,
                points=points,
                deductions=s.get("deductions", 0),
                violations=s.get("violations", 0),
                per_member=round(points / n, 2) if n else 0.0,
            )
        )
    rows.sort(key=lambda r: (-r.per_member, r.violations, r.team.name))
    for index, row in enumerate(rows, start=1):
        row.rank = index
    return rows


# --- the home page's to-dos ---------------------------------------------------------------------------
def todo_items(scope: Scope) -> list[TodoItem]:
    if not scope.has_perm(APPROVE_POINTS):
        return []
    # order_by(): the list's ordering would split the groups (one count per ordering value).
    counts = open_actions(scope=scope).order_by().values("action").annotate(n=Count("pk"))
    by_action = {row["action"]: row["n"] for row in counts}
    url = reverse("points:watch")
    items = [
        TodoItem(
            "points-talk",
            gettext_lazy("Warning talks to hold"),
            by_action.get(ActionKind.TALK, 0),
            f"{url}?show=talk",
        ),
        TodoItem(
            "points-training",
            gettext_lazy("Corrective training to run"),
            by_action.get(ActionKind.TRAINING, 0),
            f"{url}?show=training",
        ),
        TodoItem(
            "points-hold",
            gettext_lazy("People held off post for points"),
            by_action.get(ActionKind.HOLD, 0),
            f"{url}?show=hold",
            severity="blocked",
        ),
        TodoItem(
            "points-proposals",
            gettext_lazy("Proposed points to decide"),
            pending_proposals(scope=scope).count(),
            f"{url}?show=proposals",
        ),
    ]
    return items


def describe_threshold(threshold: Threshold) -> str:
    texts = {
        ActionKind.TALK: _("below %(n)s points: a warning talk with your manager"),
        ActionKind.TRAINING: _("below %(n)s points: corrective training (矫正培训)"),
        ActionKind.HOLD: _("below %(n)s points: off post until the corrective training is passed"),
    }
    return texts[threshold.action] % {"n": threshold.below}


# --- the person's page (一人一档) ------------------------------------------------------------------
def person_panel(scope: Scope, person) -> dict | None:
    """The person's balance this cycle, open threshold actions and latest entries (four queries);
    None without entries or for a scope that does not read them."""
    if not scope.has_perm(VIEW_POINTS):
        return None
    cycle = current_cycle(person.tenant_id)
    row = scope.filter_queryset(Balance.objects.filter(person_id=person.pk, cycle_start=cycle)).first()
    entries = list(entry_list(scope=scope, person=person)[:5])
    if row is None and not entries:
        return None
    actions = list(
        scope.filter_queryset(
            ThresholdAction.objects.filter(person_id=person.pk, status=ThresholdAction.Status.OPEN)
        )
    )
    return {"balance": row, "entries": entries, "actions": actions}
