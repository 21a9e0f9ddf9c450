"""Reads of outsourcing: scope first, filtered by it (belt and braces with the managers); lists in
a constant number of queries."""

from __future__ import annotations

import datetime

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from compliance.access import access_or_404
from compliance.registry import MineFigure, TodoItem
from tenants.models import MineProfile, OrgUnit, Person
from tenants.scope import Scope

from . import rules as rule_data
from .models import MINING_KINDS, Appraisal, Contractor, Engagement, Qualification, StaffAssignment
from .permissions import MANAGE_CONTRACTORS, VIEW_CONTRACTORS

K = rule_data.K


def _today() -> datetime.date:
    return timezone.localdate()


# --- contractors ---------------------------------------------------------------------------------
def contractor_list(
    *,
    scope: Scope,
    status: str = "",
    work_kind: str = "",
    q: str = "",
    expiring_within: int | None = None,
    proposed: bool = False,
) -> QuerySet[Contractor]:
    today = _today()
    valid = Qualification.objects.filter(
        contractor_id=OuterRef("pk"), valid_from__lte=today, valid_until__gte=today
    )
    qs = scope.filter_queryset(Contractor.objects.all()).annotate(
        valid_licence=Exists(valid.filter(kind=Qualification.Kind.SAFETY_LICENCE)),
        valid_qualification=Exists(valid.filter(kind=Qualification.Kind.CONSTRUCTION)),
        open_engagements=Count("engagements", filter=Q(engagements__ends_on__gte=today), distinct=True),
    )
    if status:
        qs = qs.filter(status=status)
    if work_kind:
        qs = qs.filter(work_kind=work_kind)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(credit_code__icontains=q))
    if expiring_within is not None:
        # The latest qualification of a kind ends within the days (or has ended): a renewed one
        # no longer counts.
        later = Qualification.objects.filter(
            contractor_id=OuterRef("contractor_id"),
            kind=OuterRef("kind"),
            valid_until__gt=OuterRef("valid_until"),
        )
        # 0: expired; N: still valid and ending within N days. Lapses of contractors already
        # phased out or blacklisted are nobody's work (the home page's to-dos count these same rows).
        if expiring_within == 0:
            ending = Q(valid_until__lt=today)
        else:
            ending = Q(valid_until__range=(today, today + datetime.timedelta(days=expiring_within)))
        qs = qs.filter(
            Exists(Qualification.objects.filter(ending, contractor_id=OuterRef("pk")).filter(~Exists(later)))
        ).exclude(status__in=[Contractor.Status.PHASED_OUT, Contractor.Status.BLACKLISTED])
    if proposed:
        qs = qs.filter(phase_out_proposed_on__isnull=False)
    return qs.order_by("name", "pk")


def access_contractor(scope: Scope, pk) -> Contractor:
    return access_or_404(scope, Contractor.objects.all(), pk)


def writable_contractors(scope: Scope) -> QuerySet[Contractor]:
    if not scope.has_perm(MANAGE_CONTRACTORS):
        return Contractor.objects.none()
    return scope.filter_queryset(Contractor.objects.all()).order_by("name")


def qualifications_of(scope: Scope, contractor: Contractor) -> list[Qualification]:
    return list(
        scope.filter_queryset(Qualification.objects.filter(contractor=contractor)).order_by(
            "kind", "-valid_until"
        )
    )


def access_qualification(scope: Scope, pk) -> Qualification:
    return access_or_404(scope, Qualification.objects.select_related("contractor"), pk)


# --- engagements ---------------------------------------------------------------------------------
def engagement_list(
    *,
    scope: Scope,
    mine: OrgUnit | None = None,
    contractor: Contractor | None = None,
    active_only: bool = False,
) -> QuerySet[Engagement]:
    qs = scope.filter_queryset(
        Engagement.objects.select_related("mine", "contractor", "project_manager", "tenant")
    ).annotate(staff_count=Count("staff", filter=Q(staff__left_on__isnull=True)))
    if mine is not None:
        qs = qs.filter(mine=mine)
    if contractor is not None:
        qs = qs.filter(contractor=contractor)
    if active_only:
        today = _today()
        qs = qs.filter(starts_on__lte=today, ends_on__gte=today)
    return qs.order_by("-starts_on", "pk")


def access_engagement(scope: Scope, pk) -> Engagement:
    return access_or_404(
        scope, Engagement.objects.select_related("mine", "contractor", "project_manager", "parent"), pk
    )


def staff_list(
    *, scope: Scope, contractor: Contractor | None = None, engagement: Engagement | None = None, mine=None
) -> QuerySet[StaffAssignment]:
    qs = scope.filter_queryset(
        StaffAssignment.objects.select_related(
            "person", "person__org_unit", "engagement", "engagement__mine", "contractor"
        )
    )
    if contractor is not None:
        qs = qs.filter(contractor=contractor)
    if engagement is not None:
        qs = qs.filter(engagement=engagement)
    if mine is not None:
        qs = qs.filter(engagement__mine=mine)
    return qs.order_by("left_on", "-assigned_on", "pk")


def access_assignment(scope: Scope, pk) -> StaffAssignment:
    return access_or_404(
        scope,
        StaffAssignment.objects.select_related("person", "engagement", "engagement__mine", "contractor"),
        pk,
    )


def appraisal_list(
    *, scope: Scope, contractor: Contractor | None = None, engagement: Engagement | None = None
) -> QuerySet[Appraisal]:
    qs = scope.filter_queryset(
        Appraisal.objects.select_related("engagement", "engagement__mine", "contractor")
    )
    if contractor is not None:
        qs = qs.filter(contractor=contractor)
    if engagement is not None:
        qs = qs.filter(engagement=engagement)
    return qs.order_by("-period", "pk")


# --- a mine's outsourcing: caps used and head counts ---------------------------------------------
def caps_used(scope: Scope, mine_ids, *, today=None, all_rules=None) -> dict:
    """{mine id: {"systems": {system: (contractors, max)}, "mining": (n, max), "small": bool}} for
    the engagements active today (three queries whatever the mines)."""
    today = today or _today()
    mine_ids = list(mine_ids)
    all_rules = all_rules or rule_data.rules()
    profiles = {
        p.org_unit_id: p for p in scope.filter_queryset(MineProfile.objects.filter(org_unit_id__in=mine_ids))
    }
    rows = (
        scope.filter_queryset(Engagement.objects.filter(mine_id__in=mine_ids))
        .filter(starts_on__lte=today, ends_on__gte=today)
        .values_list("mine_id", "contractor_id", "work_kind", "underground_system")
    )
    systems: dict = {}
    mining: dict = {}
    for mine_id, contractor_id, kind, system in rows:
        if system:
            systems.setdefault(mine_id, {}).setdefault(system, set()).add(contractor_id)
        if kind in MINING_KINDS:
            mining.setdefault(mine_id, set()).add(contractor_id)
    from .services import mine_is_small

    out = {}
    per_system = all_rules[K.MAX_PER_SYSTEM].value
    for mine_id in mine_ids:
        small = mine_is_small(profiles.get(mine_id), all_rules)
        cap = all_rules[K.MAX_MINING_SMALL if small else K.MAX_MINING_LARGE].value
        out[mine_id] = {
            "systems": {s: (len(c), per_system) for s, c in sorted(systems.get(mine_id, {}).items())},
            "mining": (len(mining.get(mine_id, ())), cap),
            "small": small,
        }
    return out


def headcounts(scope: Scope, mine: OrgUnit) -> dict[str, int]:
    """People on post under the mine: own employees and contractor staff apart (one query)."""
    people = scope.filter_queryset(
        Person.objects.filter(org_unit__path__startswith=mine.path, status=Person.Status.ON_POST)
    )
    # Inside a count over people the scope sees: whether each has an open assignment (their own row).
    open_assignment = StaffAssignment.dangerously_unscoped.filter(
        person_id=OuterRef("pk"), left_on__isnull=True
    )
    counts = people.aggregate(
        contractor=Count("pk", filter=Exists(open_assignment)),
        total=Count("pk"),
    )
    return {"employees": counts["total"] - counts["contractor"], "contractor_staff": counts["contractor"]}


def mine_list(*, scope: Scope) -> QuerySet[OrgUnit]:
    return (
        scope.filter_queryset(OrgUnit.objects.filter(kind=OrgUnit.Kind.MINE))
        .select_related("mine_profile")
        .order_by("path")
    )


# --- registry providers -------------------------------------------------------------------------
def mine_figures(scope, mine_ids) -> dict:
    """Per mine: the caps used, and qualifications of its contractors expiring in 30 days or lapsed
    (four queries)."""
    if not scope.has_perm(VIEW_CONTRACTORS):
        return {}
    mine_ids = list(mine_ids)
    today = _today()
    all_rules = rule_data.rules()
    used = caps_used(scope, mine_ids, today=today, all_rules=all_rules)
    expiring: dict = {}
    rows = (
        scope.filter_queryset(Engagement.objects.filter(mine_id__in=mine_ids, ends_on__gte=today))
        .values_list("mine_id", "contractor_id")
        .distinct()
    )
    by_contractor: dict = {}
    for mine_id, contractor_id in rows:
        by_contractor.setdefault(contractor_id, set()).add(mine_id)
    for contractor_id, valid_until in scope.filter_queryset(
        Qualification.objects.filter(
            contractor_id__in=list(by_contractor), valid_until__lte=today + datetime.timedelta(days=30)
        )
    ).values_list("contractor_id", "valid_until"):
        for mine_id in by_contractor[contractor_id]:
            expiring.setdefault(mine_id, []).append(valid_until)
    out = {}
    for mine_id in mine_ids:
        caps = used[mine_id]
        figures = []
        n, cap = caps["mining"]
        figures.append(
            MineFigure(
                key="contractors.mining_cap",
                label=gettext_lazy("Mining and tunnelling contractors"),
                value=f"{n}/{cap}",
                status="violation" if n > cap else "watch" if n == cap else "ok",
                rule=all_rules[K.MAX_MINING_SMALL if caps["small"] else K.MAX_MINING_LARGE].source,
            )
        )
        worst = max((c / m for c, m in caps["systems"].values() if m), default=0)
        figures.append(
            MineFigure(
                key="contractors.system_cap",
                label=gettext_lazy("Contractors per underground system (most used)"),
                value=max((f"{c}/{m}" for c, m in caps["systems"].values()), default="0"),
                status="violation" if worst > 1 else "watch" if worst == 1 else "ok",
            )
        )
        dates = expiring.get(mine_id, [])
        lapsed = sum(1 for d in dates if d < today)
        figures.append(
            MineFigure(
                key="contractors.qualifications_expiring",
                label=gettext_lazy("Contractor qualifications expiring in 30 days or expired"),
                value=len(dates),
                status="violation" if lapsed else "warning" if dates else "ok",
            )
        )
        out[mine_id] = figures
    return out


def todo_items(scope) -> list[TodoItem]:
    """Contractors with a qualification due in 90/30/7 days or expired; appraisals due this month;
    phase-outs proposed (six queries)."""
    if not scope.has_perm(MANAGE_CONTRACTORS):
        return []
    from django.urls import reverse

    today = _today()
    # Contractors, as the register filtered by ?expiring= lists them (cumulative: 30 days includes 7).
    counts = {n: contractor_list(scope=scope, expiring_within=n).count() for n in (0, 7, 30, 90)}
    month = today.replace(day=1)
    last_month = (month - datetime.timedelta(days=1)).replace(day=1)
    # Inside a count over engagements the scope sees: whether each was appraised last month.
    appraised = Appraisal.dangerously_unscoped.filter(engagement_id=OuterRef("pk"), period=last_month)
    due_appraisals = (
        scope.filter_queryset(Engagement.objects.filter(starts_on__lt=month, ends_on__gte=last_month))
        .filter(~Exists(appraised))
        .count()
    )
    proposed = scope.filter_queryset(
        Contractor.objects.filter(phase_out_proposed_on__isnull=False, status=Contractor.Status.APPROVED)
    ).count()
    url = reverse("contractors:contractor-list")
    return [
        TodoItem(
            "qualifications-expired",
            _("Contractors with a qualification expired"),
            counts[0],
            f"{url}?expiring=0",
            "blocked",
            hint=_("Record a valid one to lift the holds on the staff."),
        ),
        TodoItem(
            "qualifications-7",
            _("Contractors with a qualification expiring within 7 days"),
            counts[7],
            f"{url}?expiring=7",
            "overdue",
        ),
        TodoItem(
            "qualifications-30",
            _("Contractors with a qualification expiring within 30 days"),
            counts[30],
            f"{url}?expiring=30",
            "due",
        ),
        TodoItem(
            "qualifications-90",
            _("Contractors with a qualification expiring within 90 days"),
            counts[90],
            f"{url}?expiring=90",
            "info",
        ),
        TodoItem(
            "appraisals-due",
            _("Monthly contractor appraisals due"),
            due_appraisals,
            reverse("contractors:engagement-list"),
            "due",
        ),
        TodoItem(
            "phase-out-proposed",
            _("Contractors proposed for phase-out"),
            proposed,
            f"{url}?proposed=1",
            "due",
        ),
    ]


def person_panel(scope, person) -> dict | None:
    """A contractor staff member's engagement on their page (one query)."""
    if not scope.has_perm(VIEW_CONTRACTORS):
        return None
    assignments = list(
        scope.filter_queryset(
            StaffAssignment.objects.filter(person_id=person.pk).select_related(
                "contractor", "engagement", "engagement__mine"
            )
        ).order_by("left_on", "-assigned_on")[:10]
    )
    if not assignments:
        return None
    return {"assignments": assignments}
