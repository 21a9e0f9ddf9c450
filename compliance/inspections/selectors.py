"""Inspections and spot exams (逢查必考): reads, and who runs an inspection.

An inspection team visits an org unit (usually a mine), draws people on post there — key posts
first — or picks them, and each takes a short spot-exam paper on the inspector's tablet or on
their own phone with a one-time code (``services``). A failed spot exam suspends the person
from post (下岗) until they pass the designated clearing paper.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compliance.access import access_or_404
from compliance.training.models import Attempt, ExamPaper
from tenants import roles
from tenants.models import OrgUnit, Person
from tenants.scope import Grant, Scope

from .models import Inspection, SpotCheck, Suspension
from .permissions import CONDUCT_INSPECTIONS, VIEW_INSPECTIONS

MAX_DRAW = 50
SPOT_TOTAL = _("Spot exams")
SPOT_GRADED = _("Spot exams graded")
SPOT_PASSED = _("Spot exams passed")
SUSPENSIONS_OPEN = _("Open suspensions")
# Key posts are drawn first (random among them), then everybody else (DOMAIN.md).
KEY_POSTS = (
    Person.PostCategory.PRINCIPAL,
    Person.PostCategory.SAFETY_MANAGEMENT,
    Person.PostCategory.SPECIAL_OPERATION,
)

# Who runs an inspection: the level its kind names. A group HQ inspection is run from the group
# HQ, a subsidiary's from the subsidiary (or above), a mine's own from the mine (or above). The
# inspected mine's own safety staff hold CONDUCT_INSPECTIONS over their mine too, but an HQ
# inspection of that mine — its draws, codes and spot-exam attempts — is not theirs to touch.
RUN_FROM = {
    Inspection.Kind.GROUP_HQ: frozenset({OrgUnit.Kind.HQ}),
    Inspection.Kind.SUBSIDIARY: frozenset({OrgUnit.Kind.HQ, OrgUnit.Kind.SUBSIDIARY}),
    Inspection.Kind.MINE_INTERNAL: frozenset({OrgUnit.Kind.HQ, OrgUnit.Kind.SUBSIDIARY, OrgUnit.Kind.MINE}),
}


def worker_only(scope: Scope) -> bool:
    """Whether the scope reads only its own records: inspections name colleagues, so no."""
    return bool(scope.grants) and all(roles.SELF_ONLY in roles.perms_of(g.role) for g in scope.grants)


# --- who runs an inspection ----------------------------------------------------------------------
def _conduct_grants(scope: Scope) -> list[tuple[Grant, str]]:
    """The scope's grants that carry CONDUCT_INSPECTIONS, each with the kind of its unit (one
    query, none for a scope without such a grant)."""
    if scope.read_only:
        return []
    grants = [g for g in scope.grants if g.region is None and CONDUCT_INSPECTIONS in roles.perms_of(g.role)]
    if not grants:
        return []
    # The units the scope's own memberships were granted at, looked up by their paths. Safe
    # unscoped: the filter names only the tenants and paths of this scope's own grants, and only
    # those units' kinds are read.
    kinds = {
        (tenant_id, path): kind
        for tenant_id, path, kind in OrgUnit.dangerously_unscoped.filter(
            tenant_id__in={g.tenant_id for g in grants}, path__in={g.path for g in grants}
        ).values_list("tenant_id", "path", "kind")
    }
    return [(g, kinds[(g.tenant_id, g.path)]) for g in grants if (g.tenant_id, g.path) in kinds]


def runs_inspection(scope: Scope, inspection: Inspection) -> bool:
    """Whether ``scope`` runs ``inspection`` (see RUN_FROM): draws, picks, issues codes, starts
    spot exams on a tablet and works on their attempts."""
    if scope.is_platform:
        return True
    run_from = RUN_FROM.get(inspection.kind, frozenset())
    path = inspection.org_unit.path
    return any(
        grant.tenant_id == inspection.tenant_id and grant.covers(path) and kind in run_from
        for grant, kind in _conduct_grants(scope)
    )


def require_runs(scope: Scope, inspection: Inspection) -> None:
    if not runs_inspection(scope, inspection):
        raise PermissionDenied(CONDUCT_INSPECTIONS)


def runs_condition(scope: Scope, prefix: str = "") -> Q:
    """The inspections ``scope`` runs, as a condition on Inspection — or, with ``prefix`` (e.g.
    ``"spot_check__inspection__"``), on a row that leads to one. Matches nothing for a scope
    that runs none."""
    condition = Q(pk__in=[])
    for grant, unit_kind in _conduct_grants(scope):
        kinds = [kind for kind, run_from in RUN_FROM.items() if unit_kind in run_from]
        if kinds:
            condition |= Q(
                **{
                    f"{prefix}tenant_id": grant.tenant_id,
                    f"{prefix}org_unit__path__startswith": grant.path,
                    f"{prefix}kind__in": kinds,
                }
            )
    return condition


# --- reads ------------------------------------------------------------------------------------------
def inspection_list(
    *,
    scope: Scope,
    org_unit: OrgUnit | None = None,
    kind: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    failed: bool = False,
) -> QuerySet[Inspection]:
    """Inspections in the scope with their spot-exam tallies, in one query; ``failed``: only those
    where someone failed a spot exam."""
    qs = scope.filter_queryset(Inspection.objects.select_related("org_unit", "tenant", "leader")).annotate(
        spot_total=Count("spot_checks", distinct=True),
        spot_graded=Count("spot_checks", filter=Q(spot_checks__attempt__passed__isnull=False), distinct=True),
        spot_passed=Count("spot_checks", filter=Q(spot_checks__attempt__passed=True), distinct=True),
        spot_failed=Count("spot_checks", filter=Q(spot_checks__attempt__passed=False), distinct=True),
    )
    if org_unit is not None:
        # The inspections of a mine: at the mine, under it, or of a unit above it (it was visited).
        qs = qs.filter(tenant_id=org_unit.tenant_id, org_unit__path__startswith=org_unit.path)
    if kind:
        qs = qs.filter(kind=kind)
    if date_from:
        qs = qs.filter(date__gte=date_from)
    if date_to:
        qs = qs.filter(date__lte=date_to)
    if failed:
        qs = qs.filter(Exists(SpotCheck.objects.filter(inspection_id=OuterRef("pk"), attempt__passed=False)))
    return qs.order_by("-date", "-created_at")


def access_inspection(scope: Scope, pk) -> Inspection:
    return access_or_404(scope, Inspection.objects.select_related("org_unit", "tenant", "leader"), pk)


def access_spot_check(scope: Scope, pk) -> SpotCheck:
    return access_or_404(
        scope, SpotCheck.objects.select_related("inspection", "inspection__org_unit", "person", "paper"), pk
    )


def access_suspension(scope: Scope, pk) -> Suspension:
    return access_or_404(
        scope, Suspension.objects.select_related("person", "person__org_unit", "clearing_paper"), pk
    )


def spot_checks_of(inspection: Inspection) -> QuerySet[SpotCheck]:
    """Everyone drawn in an inspection with their paper and result, and the open suspension this
    spot exam placed, if any (one query)."""
    suspension = Suspension.objects.filter(spot_check=OuterRef("pk"), cleared_at__isnull=True).values("pk")[
        :1
    ]
    return (
        SpotCheck.objects.filter(inspection=inspection)
        .select_related("person", "person__org_unit", "paper", "attempt")
        .annotate(open_suspension_id=Subquery(suspension))
        .order_by("created_at", "person__employee_no")
    )


def spot_papers_for(inspection_or_unit) -> list[ExamPaper]:
    """Active spot-exam papers usable at a unit: the group's papers made at the unit, above it
    (e.g. by the group HQ) or under it."""
    unit = getattr(inspection_or_unit, "org_unit", inspection_or_unit)
    # A paper made at the group HQ applies to the mines below it, though a mine-level inspector's
    # scope does not cover the HQ itself: look across this one tenant and keep only papers on the
    # unit's own line of the tree (its ancestors or its subtree).
    papers = ExamPaper.dangerously_unscoped.filter(
        tenant_id=unit.tenant_id, is_spot_exam=True, is_active=True
    ).select_related("org_unit")
    return [
        p
        for p in papers.order_by("title")
        if unit.path.startswith(p.org_unit.path) or p.org_unit.path.startswith(unit.path)
    ]


def eligible_people(inspection: Inspection) -> QuerySet[Person]:
    """People on post under the inspected unit who have not been drawn in this inspection yet."""
    drawn = SpotCheck.dangerously_unscoped.filter(inspection=inspection, person=OuterRef("pk"))
    # The inspector holds CONDUCT_INSPECTIONS over the unit (checked by every caller that writes):
    # the people under it are theirs to test.
    return (
        Person.dangerously_unscoped.filter(
            tenant_id=inspection.tenant_id,
            org_unit__path__startswith=inspection.org_unit.path,
            status=Person.Status.ON_POST,
        )
        .exclude(Exists(drawn))
        .select_related("org_unit")
        .order_by("employee_no")
    )


def spot_attempt_access(scope: Scope, prefix: str = "") -> Q:
    """Attempts the team running their spot exam's inspection may work on (the tablet), as a
    condition on training's Attempt — registered with ``compliance.registry`` so training's
    attempt access lets them in without knowing inspections."""
    return runs_condition(scope, f"{prefix}spot_check__inspection__")


def open_suspension(person: Person) -> Suspension | None:
    return Suspension.dangerously_unscoped.filter(person_id=person.pk, cleared_at__isnull=True).first()


def _fits_audience(paper: ExamPaper, person: Person) -> bool:
    if person.post_category in (paper.audience_post_categories or []):
        return True
    return any(person.org_unit.path.startswith(u.path) for u in paper.audience_units.all())


def clearing_paper_for(person: Person, spot_paper: ExamPaper) -> ExamPaper:
    """An active paper of the group that clears a suspension — one meant for this person if
    there is one — else the spot paper itself."""
    papers = list(
        ExamPaper.dangerously_unscoped.filter(
            tenant_id=person.tenant_id, clears_suspension=True, is_active=True
        ).prefetch_related("audience_units")
    )
    papers.sort(key=lambda p: p.created_at)
    for paper in papers:
        if _fits_audience(paper, person):
            return paper
    return papers[0] if papers else spot_paper


# --- the person page (一人一档) ------------------------------------------------------------------
PANEL_ROWS = 20


def person_panel(scope: Scope, person: Person) -> dict | None:
    """The spot-exam results and holds of one person, for the person page: None if the viewer
    may not read inspections. Three queries whatever the number of rows."""
    if not scope.has_perm(VIEW_INSPECTIONS, person.org_unit.path, person.tenant_id):
        return None
    from tenants import holds

    checks = list(
        scope.filter_queryset(SpotCheck.objects.filter(person_id=person.pk))
        .select_related("inspection", "inspection__org_unit", "paper", "attempt")
        .order_by("-inspection__date", "-created_at")[:PANEL_ROWS]
    )
    suspensions = list(
        scope.filter_queryset(Suspension.objects.filter(person_id=person.pk))
        .select_related("clearing_paper")
        .order_by("-started_at")[:PANEL_ROWS]
    )
    return {
        "spot_checks": checks,
        "suspensions": suspensions,
        "holds": holds.holds_of(scope=scope, person=person, limit=PANEL_ROWS),
        "show_inspection_links": not worker_only(scope),
    }


# --- per-mine figures (the training dashboard, oversight) ----------------------------------------
FIGURES_WINDOW = datetime.timedelta(days=365)


def mine_figures(scope: Scope, mine_ids) -> dict:
    """Spot exams of the last 12 months per mine — drawn, graded and passed — and the people
    suspended from post now, for the mines of ``mine_ids`` the scope may see (others are left
    out; three queries; the people's paths decide the mine). Keys "spot_total", "spot_graded",
    "spot_passed", "suspensions_open"."""
    from django.urls import reverse

    from compliance.registry import MineFigure

    mine_ids = list(mine_ids)
    if not mine_ids:
        return {}
    mines = dict(
        scope.filter_queryset(OrgUnit.objects.filter(pk__in=mine_ids, kind=OrgUnit.Kind.MINE)).values_list(
            "path", "pk"
        )
    )
    if not mines:
        return {}
    since = timezone.localdate() - FIGURES_WINDOW
    rows = (
        scope.filter_queryset(SpotCheck.objects.filter(inspection__date__gte=since))
        .values("person__org_unit__path")
        .annotate(
            total=Count("id"),
            graded=Count("id", filter=Q(attempt__passed__isnull=False)),
            passed=Count("id", filter=Q(attempt__passed=True)),
        )
        .order_by()
    )
    tally = {
        pk: {"spot_total": 0, "spot_graded": 0, "spot_passed": 0, "suspensions_open": 0}
        for pk in mines.values()
    }
    for row in rows:
        path = row["person__org_unit__path"]
        if (mine_id := _mine_of(path, mines)) is not None:
            tally[mine_id]["spot_total"] += row["total"]
            tally[mine_id]["spot_graded"] += row["graded"]
            tally[mine_id]["spot_passed"] += row["passed"]
    # People suspended from post after a failed spot exam, whenever it was (one query).
    suspended = (
        scope.filter_queryset(Suspension.objects.filter(cleared_at__isnull=True))
        .values("person__org_unit__path")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in suspended:
        if (mine_id := _mine_of(row["person__org_unit__path"], mines)) is not None:
            tally[mine_id]["suspensions_open"] += row["n"]
    listing = reverse("inspections:inspection-list")
    people = reverse("person-list")
    labels = {
        "spot_total": SPOT_TOTAL,
        "spot_graded": SPOT_GRADED,
        "spot_passed": SPOT_PASSED,
        "suspensions_open": SUSPENSIONS_OPEN,
    }
    return {
        mine_id: [
            MineFigure(
                key=key,
                label=labels[key],
                value=value,
                status="watch" if key == "suspensions_open" and value else "ok",
                url=f"{people}?unit={mine_id}&status=suspended"
                if key == "suspensions_open"
                else f"{listing}?unit={mine_id}",
            )
            for key, value in figures.items()
        ]
        for mine_id, figures in tally.items()
    }


def _mine_of(path: str, mines: dict):
    prefix = ""
    for part in path.split("/")[:-1]:
        prefix += part + "/"
        if prefix in mines:
            return mines[prefix]
    return None


# --- the result page of an attempt (training's, through the registry) ------------------------------
def attempt_result_note(attempt, scope: Scope) -> dict | None:
    """What a graded attempt means for the person's post: a failed spot exam suspended them
    (and which re-test lifts it), or this attempt lifted a suspension. None otherwise. One query
    (two for a suspension). The caller already holds the attempt (its taker, the inspection
    team, or the taker's one-time code): its suspension is read by the attempt's id."""
    if attempt.passed is None:
        return None
    if attempt.passed:
        lifted = Suspension.dangerously_unscoped.filter(
            tenant_id=attempt.tenant_id, cleared_by_attempt_id=attempt.pk
        ).first()
        return {"lifted": lifted} if lifted is not None else None
    if attempt.occasion != Attempt.Occasion.SPOT_EXAM:
        return None
    # The group's spot exam or a regulator's (its suspension is then the agency's order).
    suspension = (
        Suspension.dangerously_unscoped.filter(tenant_id=attempt.tenant_id)
        .filter(Q(spot_check__attempt_id=attempt.pk) | Q(agency_spot_check__attempt_id=attempt.pk))
        .select_related("clearing_paper")
        .first()
    )
    if suspension is None:
        return None
    paper = suspension.clearing_paper
    return {
        "suspension": suspension,
        "paper": paper,
        # A re-test listed among the person's exams (a spot-exam paper is not: it is sat by code).
        "in_my_exams": not paper.is_spot_exam,
        "is_taker": scope.person_id == attempt.person_id,
    }


def is_uuid(value) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
