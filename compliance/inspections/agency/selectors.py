"""Every read of agency-owned records. The default manager already applies the rule (a regulator:
its own agency's; a tenant's login: those about the mines it sees); ``Scope.filter_agency_records``
is repeated here, belt and braces, as selectors do for tenant data."""

from __future__ import annotations

import datetime

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from compliance.access import first_or_404
from compliance.inspections.hazards import selectors as hazard_selectors
from compliance.inspections.hazards.models import Hazard
from compliance.inspections.hazards.permissions import KEEP_AGENCY_RECORDS, MANAGE_HAZARDS
from compliance.inspections.models import Suspension
from tenants.models import OrgUnit, Person
from tenants.scope import Scope

from .models import AgencyFinding, AgencyInspection, AgencySpotCheck, SupervisionListing


def keeps_records(scope: Scope) -> bool:
    """Whether the login writes agency records (a regulator of an agency)."""
    return scope.is_regulator and scope.agency_id is not None and scope.has_perm(KEEP_AGENCY_RECORDS)


def inspections(*, scope: Scope) -> QuerySet[AgencyInspection]:
    return scope.filter_agency_records(AgencyInspection.objects.all())


def inspection_list(
    *,
    scope: Scope,
    mine: OrgUnit | None = None,
    kind: str = "",
    inspected_from: datetime.date | None = None,
    inspected_to: datetime.date | None = None,
) -> QuerySet[AgencyInspection]:
    qs = inspections(scope=scope).select_related("agency", "mine", "mine__mine_profile", "tenant")
    if mine is not None:
        qs = qs.filter(mine=mine)
    if kind:
        qs = qs.filter(kind=kind)
    if inspected_from:
        qs = qs.filter(inspected_on__gte=inspected_from)
    if inspected_to:
        qs = qs.filter(inspected_on__lte=inspected_to)
    return qs.annotate(
        n_findings=Count("findings", distinct=True),
        n_major=Count("findings", filter=Q(findings__kind="hazard", findings__grade="major"), distinct=True),
    ).order_by("-inspected_on", "-created_at")


def access_inspection(scope: Scope, pk) -> AgencyInspection:
    return first_or_404(
        inspections(scope=scope).select_related(
            "agency", "mine", "mine__mine_profile", "tenant", "created_by"
        ),
        pk=pk,
    )


def findings(*, scope: Scope) -> QuerySet[AgencyFinding]:
    return scope.filter_agency_records(AgencyFinding.objects.all())


def findings_of(inspection: AgencyInspection) -> list[AgencyFinding]:
    """The inspection's findings with the hazard each became in the mine's register (if any):
    one query for the findings, one for their hazards."""
    rows = list(
        AgencyFinding.objects.filter(inspection=inspection)
        .select_related("criterion__catalogue")
        .order_by("created_at")
    )
    registered = {
        h.agency_finding_id: h
        for h in Hazard.dangerously_unscoped.filter(  # the rows of this inspection's own findings only
            tenant_id=inspection.tenant_id, agency_finding__in=[f.pk for f in rows]
        ).only("id", "number", "status", "agency_finding_id")
    }
    for row in rows:
        row.registered_hazard = registered.get(row.pk)
    return rows


def access_finding(scope: Scope, pk) -> AgencyFinding:
    return first_or_404(
        findings(scope=scope).select_related("inspection__mine", "agency", "criterion"), pk=pk
    )


def finding_list(*, scope: Scope, inspection: AgencyInspection | None = None) -> QuerySet[AgencyFinding]:
    # The hazard each finding became in the mine's register (reverse one-to-one, one join).
    qs = findings(scope=scope).select_related("criterion", "inspection", "hazard")
    if inspection is not None:
        qs = qs.filter(inspection=inspection)
    return qs.order_by("-created_at")


def can_register(scope: Scope, finding: AgencyFinding) -> bool:
    """A manager of the mine may register an agency's hazard finding into the mine's register."""
    return finding.kind == AgencyFinding.Kind.HAZARD and scope.has_perm(
        MANAGE_HAZARDS, finding.inspection.mine.path, finding.tenant_id
    )


# --- spot exams (逢查必考 by the regulator) --------------------------------------------------------------
def spot_checks(*, scope: Scope) -> QuerySet[AgencySpotCheck]:
    return scope.filter_agency_records(AgencySpotCheck.objects.all())


def spot_checks_of(inspection: AgencyInspection) -> QuerySet[AgencySpotCheck]:
    """Everyone drawn in the agency's inspection with their paper, their attempt and the open
    suspension the failure placed, if any (one query)."""
    return _with_open_suspension(
        AgencySpotCheck.objects.filter(inspection=inspection).select_related(
            "person", "person__org_unit", "paper", "attempt"
        )
    ).order_by("created_at", "person__employee_no")


def _with_open_suspension(qs: QuerySet[AgencySpotCheck]) -> QuerySet[AgencySpotCheck]:
    # The suspension is a row of the mine's tenant, linked to the agency-owned spot exams listed:
    # both the agency (its region's tenant data, read-only) and the group read it.
    suspension = Suspension.dangerously_unscoped.filter(
        agency_spot_check=OuterRef("pk"), cleared_at__isnull=True
    ).values("pk")[:1]
    return qs.annotate(open_suspension_id=Subquery(suspension))


def spot_check_list(*, scope: Scope) -> QuerySet[AgencySpotCheck]:
    qs = spot_checks(scope=scope).select_related("person", "paper", "attempt")
    return _with_open_suspension(qs).order_by("-created_at")


def access_spot_check(scope: Scope, pk) -> AgencySpotCheck:
    return first_or_404(
        spot_checks(scope=scope).select_related("inspection", "inspection__mine", "person", "paper"), pk=pk
    )


def spot_candidates(inspection: AgencyInspection) -> QuerySet[Person]:
    """People on post at the inspected mine not yet drawn in this inspection. The mine is one of
    the agency's region (the inspection could only be recorded there): its people are the ones a
    regulator tests on the spot."""
    drawn = AgencySpotCheck.dangerously_unscoped.filter(inspection=inspection, person=OuterRef("pk"))
    return (
        Person.dangerously_unscoped.filter(
            tenant_id=inspection.tenant_id,
            org_unit__path__startswith=inspection.mine.path,
            status=Person.Status.ON_POST,
        )
        .exclude(Exists(drawn))
        .select_related("org_unit")
        .order_by("employee_no")
    )


def listings(*, scope: Scope) -> QuerySet[SupervisionListing]:
    return scope.filter_agency_records(SupervisionListing.objects.all())


def listing_list(
    *, scope: Scope, status: str = "", mine: OrgUnit | None = None, overdue: bool = False
) -> QuerySet[SupervisionListing]:
    qs = listings(scope=scope).select_related("agency", "mine", "hazard", "tenant")
    if status:
        qs = qs.filter(status=status)
    if mine is not None:
        qs = qs.filter(mine=mine)
    if overdue:
        qs = qs.filter(status=SupervisionListing.Status.LISTED, deadline__lt=timezone.localdate())
    return qs.order_by("status", "deadline", "-listed_on")


def access_listing(scope: Scope, pk) -> SupervisionListing:
    return first_or_404(
        listings(scope=scope).select_related("agency", "mine", "hazard", "tenant", "closed_by"), pk=pk
    )


def listings_of(scope: Scope, hazard: Hazard) -> list[SupervisionListing]:
    """The supervision listings of one hazard the caller sees (the hazard's page)."""
    return list(listings(scope=scope).filter(hazard=hazard).select_related("agency").order_by("-listed_on"))


def region_mines(scope: Scope) -> QuerySet[OrgUnit]:
    """The mines a regulator may record an inspection at: those of its region (its scope)."""
    return (
        scope.filter_queryset(OrgUnit.objects.filter(kind=OrgUnit.Kind.MINE))
        .select_related("tenant")
        .order_by("name")
    )


def major_hazard_tally(scope: Scope, mine_ids, since: datetime.date) -> dict:
    """Major hazards found since ``since`` per mine (compliance.registry.major_hazard_tally): those
    the mine's side found (self-check, inspection, worker, condition) and those a regulator found —
    registered with source "regulator", or still only the regulator's finding (not yet registered).
    Two queries for any number of mines. Regulators' findings count as far as the caller reads
    them: the group reads every agency's about its mines, an agency its own."""
    from compliance.registry import MajorHazardTally

    mine_ids = list(mine_ids)
    counts: dict = {}
    rows = (
        hazard_selectors.hazards(scope=scope)
        .filter(mine_id__in=mine_ids, grade=Hazard.Grade.MAJOR, found_on__gte=since)
        .exclude(status__in=(Hazard.Status.REPORTED, Hazard.Status.REJECTED))
        .values("mine_id")
        .annotate(
            regulator=Count("pk", filter=Q(source=Hazard.Source.REGULATOR)),
            own=Count("pk", filter=~Q(source=Hazard.Source.REGULATOR)),
        )
        .order_by()
    )
    for row in rows:
        counts[row["mine_id"]] = [row["own"], row["regulator"]]
    pending = (
        findings(scope=scope)
        .filter(
            inspection__mine_id__in=mine_ids,
            kind=AgencyFinding.Kind.HAZARD,
            grade=Hazard.Grade.MAJOR,
            inspection__inspected_on__gte=since,
            hazard__isnull=True,
        )
        .values("inspection__mine_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in pending:
        counts.setdefault(row["inspection__mine_id"], [0, 0])[1] += row["n"]
    return {mine_id: MajorHazardTally(own, found) for mine_id, (own, found) in counts.items()}


def todo_items(scope: Scope) -> list:
    """The home page's to-dos (compliance.registry): for the mine's managers, the regulators'
    hazard findings still to register and the hazards under supervision; for the regulator, its
    listings past their deadline and those whose hazard has passed acceptance (to close). Two
    queries whatever the number of records."""
    from django.db.models import Min
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from compliance import registry

    today = timezone.localdate()
    listed = SupervisionListing.Status.LISTED
    accepted = (Hazard.Status.ACCEPTED, Hazard.Status.CLOSED)
    supervision_url = reverse("agency:listing-list")
    if keeps_records(scope):
        counts = listings(scope=scope).aggregate(
            overdue=Count("pk", filter=Q(status=listed, deadline__lt=today)),
            to_close=Count("pk", filter=Q(status=listed, hazard__status__in=accepted)),
        )
        return [
            registry.TodoItem(
                "supervision-overdue",
                _("Supervised hazards past their deadline"),
                counts["overdue"],
                f"{supervision_url}?overdue=on",
                "overdue",
            ),  # fmt: skip
            registry.TodoItem(
                "supervision-close",
                _("Supervised hazards accepted: close the listing"),
                counts["to_close"],
                f"{supervision_url}?status={listed}",
                "info",
            ),  # fmt: skip
        ]
    if not scope.has_perm(MANAGE_HAZARDS):
        return []
    pending = findings(scope=scope).filter(kind=AgencyFinding.Kind.HAZARD, hazard__isnull=True).count()
    supervised = listings(scope=scope).filter(status=listed).aggregate(n=Count("pk"), first=Min("deadline"))
    return [
        registry.TodoItem(
            "agency-findings",
            _("Regulators' hazard findings to register"),
            pending,
            reverse("agency:inspection-list"),
            "due",
        ),  # fmt: skip
        registry.TodoItem(
            "supervised",
            _("Hazards under supervision (挂牌督办)"),
            supervised["n"],
            f"{supervision_url}?status={listed}",
            "overdue" if supervised["first"] and supervised["first"] < today else "due",
            deadline=supervised["first"],
        ),  # fmt: skip
    ]
