"""Hidden dangers: every read that is more than a get. Each takes the scope and filters on it
(belt and braces with the scoped manager and, on PostgreSQL, row-level security); lists load
their related rows for the whole page (a constant number of queries)."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from compliance import registry
from compliance.access import first_or_404
from tenants.models import OrgUnit
from tenants.scope import Scope

from .models import Criterion, Finding, Hazard, HazardEvent
from .permissions import ACCEPT_HAZARDS, MANAGE_HAZARDS

S = Hazard.Status
OPEN = Hazard.OPEN
# Open and past the deadline: accepted ones wait only for the paperwork of closing.
LATE = (S.REGISTERED, S.RECTIFYING, S.AWAITING_ACCEPTANCE)
SELF_FOUND = (
    Hazard.Source.SELF_CHECK,
    Hazard.Source.INSPECTION,
    Hazard.Source.WORKER_REPORT,
    Hazard.Source.CONDITION,
)


# The register counts at most this many rows (page and API): a province's register holds a
# million, and counting them reads every one (docs/hazards.md "Scale").
REGISTER_COUNT_CAP = 10_000


def q_overdue(today: datetime.date) -> Q:
    return Q(status__in=LATE, deadline__lt=today)


def hazards(*, scope: Scope) -> QuerySet[Hazard]:
    # Through Scope.queryset: the manager's condition once, not twice (a regulator's region
    # test was evaluated twice over every row).
    return scope.queryset(Hazard)


def register_rows(scope: Scope) -> QuerySet[Hazard]:
    """The register's rows, found by the mines in the scope (``Scope.at_mines``: one query for the
    mines first). The database then knows the rows are most of the table and walks the register
    in its order (index ``hazard_found``); under the per-row scope condition it guessed a handful
    of rows and sorted the whole register for a regulator's first page (docs/hazards.md "Scale").
    A worker's own reports are at mines above their unit, not in their list of mines: read them
    by the scope's condition."""
    if scope.self_only_for(Hazard.scope_view_perm):
        return hazards(scope=scope)
    return scope.at_mines(Hazard, hazard_mines(scope))


def access_hazard(scope: Scope, pk) -> Hazard:
    """The hazard ``pk`` if the scope sees it, else 404 (missing and foreign alike)."""
    return first_or_404(
        hazards(scope=scope).select_related(
            "mine", "mine__mine_profile", "criterion__catalogue", "inspection", "tenant"
        ),
        pk=pk,
    )


def access_criterion(scope: Scope, pk) -> Criterion:
    return first_or_404(Criterion.objects.select_related("catalogue"), pk=pk)


def hazard_list(
    *,
    scope: Scope,
    mine: OrgUnit | None = None,
    grade: str = "",
    status: str = "",
    source: str = "",
    overdue: bool = False,
    criterion: Criterion | None = None,
    found_from: datetime.date | None = None,
    found_to: datetime.date | None = None,
    today: datetime.date | None = None,
) -> QuerySet[Hazard]:
    today = today or timezone.localdate()
    qs = register_rows(scope).select_related("mine", "criterion", "tenant")
    if mine is not None:
        qs = qs.filter(tenant_id=mine.tenant_id, mine__path__startswith=mine.path)
    if grade:
        qs = qs.filter(grade=grade)
    if status == "open":
        qs = qs.filter(status__in=OPEN)
    elif status:
        qs = qs.filter(status=status)
    if source:
        qs = qs.filter(source=source)
    if overdue:
        qs = qs.filter(q_overdue(today))
    if criterion is not None:
        qs = qs.filter(criterion=criterion)
    if found_from:
        qs = qs.filter(found_on__gte=found_from)
    if found_to:
        qs = qs.filter(found_on__lte=found_to)
    return qs.order_by("-found_on", "-created_at")


STEP_AUDIT_ACTION = {"fail": "hazard_fail", "cond_gone": "hazard_cond_gone", "escalate": "hazard_escalate"}


def history(hazard: Hazard) -> list[HazardEvent]:
    """The hazard's steps, oldest first, each with ``label``: the audit trail's words for it."""
    labels = registry.audit_action_labels()
    events = list(HazardEvent.objects.filter(hazard=hazard).order_by("at", "id"))
    for e in events:
        key = STEP_AUDIT_ACTION.get(e.action, f"hazard_{e.action}")
        e.label = labels.get(key) or (_("Reported to the regulator") if e.action == "reported" else e.action)
    return events


def findings_of(inspection) -> list[Finding]:
    return list(
        Finding.objects.filter(inspection=inspection)
        .select_related("person", "hazard")
        .order_by("created_at")
    )


def can_manage(scope: Scope, hazard: Hazard) -> bool:
    return scope.has_perm(MANAGE_HAZARDS, hazard.mine.path, hazard.tenant_id)


def can_accept(scope: Scope, hazard: Hazard) -> bool:
    return scope.has_perm(ACCEPT_HAZARDS, hazard.mine.path, hazard.tenant_id)


def hazard_mines(scope: Scope) -> QuerySet[OrgUnit]:
    """The mines in the scope (filters, the dashboard)."""
    return scope.filter_queryset(OrgUnit.objects.filter(kind=OrgUnit.Kind.MINE)).order_by("path")


def criteria_choices():
    return Criterion.objects.select_related("catalogue").order_by(
        "catalogue__family", "-catalogue__effective_from", "position"
    )


# --- the registries: to-dos, mine figures, production stops -----------------------------------------
def todo_items(scope: Scope) -> list[registry.TodoItem]:
    """Overdue hazards, acceptances waiting, worker reports to confirm, rectification plans missing:
    one query whatever the number of hazards."""
    if not scope.has_perm(MANAGE_HAZARDS) and not scope.has_perm(ACCEPT_HAZARDS):
        return []
    today = timezone.localdate()
    counts = hazards(scope=scope).aggregate(
        overdue=Count("pk", filter=q_overdue(today)),
        acceptance=Count("pk", filter=Q(status=S.AWAITING_ACCEPTANCE)),
        reports=Count("pk", filter=Q(status=S.REPORTED)),
        plans=Count("pk", filter=Q(status=S.REGISTERED)),
        closing=Count("pk", filter=Q(status=S.ACCEPTED)),
    )
    url = reverse("hazards:hazard-list")
    return [
        registry.TodoItem(
            "overdue", _("Hazards past their deadline"), counts["overdue"], f"{url}?overdue=on", "overdue"
        ),
        registry.TodoItem(
            "acceptance",
            _("Hazards waiting for acceptance"),
            counts["acceptance"],
            f"{url}?status={S.AWAITING_ACCEPTANCE}",
        ),
        registry.TodoItem(
            "reports", _("Worker reports to confirm"), counts["reports"], f"{url}?status={S.REPORTED}"
        ),
        registry.TodoItem(
            "plans",
            _("Hazards without a rectification plan"),
            counts["plans"],
            f"{url}?status={S.REGISTERED}",
        ),
        registry.TodoItem(
            "closing", _("Accepted hazards to close"), counts["closing"], f"{url}?status={S.ACCEPTED}", "info"
        ),
    ]


def _per_mine(rows: QuerySet[Hazard]) -> dict:
    """Open, overdue, major open and regulator-found open hazards per mine of ``rows``: every
    figure counts open hazards only, so only those are read (a few per cent of the register).
    Counting a column of the index (the mine, never null), not the id, lets the database answer
    from the index ``hazard_open_found`` alone (as ``_monthly`` from ``hazard_found``)."""
    today = timezone.localdate()
    grouped = (
        rows.filter(status__in=OPEN)
        .values("mine_id")
        .annotate(
            open=Count("mine"),
            overdue=Count("mine", filter=q_overdue(today)),
            major=Count("mine", filter=Q(grade=Hazard.Grade.MAJOR)),
            regulator=Count("mine", filter=Q(source=Hazard.Source.REGULATOR)),
        )
        .order_by()
    )
    return {row["mine_id"]: row for row in grouped}


def mine_figures(scope: Scope, mine_ids) -> dict:
    """Open, overdue and major open hazards per mine, and those found by a regulator (挂牌督办
    follows them): one query."""
    out = {}
    url = reverse("hazards:hazard-list")
    mine_ids = list(mine_ids)
    per_mine = _per_mine(hazards(scope=scope).filter(mine_id__in=mine_ids))
    # A mine with no hazard recorded has zeros, not no figures: group HQ's table (tenants.home)
    # would show it as "not reported". The registry passes only mines this scope may see.
    zero = {"open": 0, "overdue": 0, "major": 0, "regulator": 0}
    for mine_id in mine_ids:
        row = per_mine.get(mine_id, zero)
        out[mine_id] = [
            registry.MineFigure(
                "hazards.open",
                gettext_lazy("Open hazards"),
                row["open"],
                url=f"{url}?mine={mine_id}&status=open",
            ),
            registry.MineFigure(
                "hazards.overdue",
                gettext_lazy("Overdue hazards"),
                row["overdue"],
                status="warning" if row["overdue"] else "ok",
                url=f"{url}?mine={mine_id}&overdue=on",
            ),
            registry.MineFigure(
                "hazards.major",
                gettext_lazy("Open major hazards"),
                row["major"],
                status="violation" if row["major"] else "ok",
                rule=_(
                    "A major hazard stops the mine or the affected area until accepted (应急管理部令第4号)."
                ),
                url=f"{url}?mine={mine_id}&grade=major&status=open",
            ),
            registry.MineFigure(
                "hazards.regulator",
                gettext_lazy("Open hazards found by a regulator"),
                row["regulator"],
                status="watch" if row["regulator"] else "ok",
                url=f"{url}?mine={mine_id}&source=regulator&status=open",
            ),  # fmt: skip
        ]
    return out


def _stop_binds(h: Hazard) -> bool:
    """A stop binds when a verified criterion makes the hazard major, or when a person classed it
    major without one. A hazard another capability reported (source "condition") with no criterion
    linked rests on that capability's rule alone, which no criterion here verifies (e.g. "15-1" has
    no item yet in 应急管理部令第21号): a warning, as DESIGN.md "Rules as data" asks."""
    if h.criterion is not None:
        return h.criterion.verified
    return h.source != Hazard.Source.CONDITION


def _stop_source(h: Hazard) -> str:
    """The document behind the stop: the criterion's, else what the reporting capability named."""
    if h.criterion is not None:
        return h.criterion.source
    return h.found_by_name if h.source == Hazard.Source.CONDITION else ""


def production_stops(scope: Scope, mine_ids) -> dict:
    """Stops from major hazards under rectification: the mine or the named area, until accepted.
    A stop resting only on an unverified rule is a warning (待核实), not binding (``_stop_binds``).
    One query."""
    out: dict = defaultdict(list)
    rows = (
        hazards(scope=scope)
        .filter(
            mine_id__in=list(mine_ids),
            grade=Hazard.Grade.MAJOR,
            status__in=(S.REGISTERED, S.RECTIFYING, S.AWAITING_ACCEPTANCE),
        )
        .select_related("criterion")
        .order_by("found_on")
    )
    for h in rows:
        out[h.mine_id].append(
            registry.ProductionStop(
                mine_id=h.mine_id,
                reason=_("Major hazard %(number)s until accepted: %(text)s")
                % {"number": h.number, "text": h.description[:60]},
                area=h.stop_area if h.stop_scope == Hazard.StopScope.AREA else "",
                since=h.found_on,
                binding=_stop_binds(h),
                source=_stop_source(h),
                url=reverse("hazards:hazard-detail", kwargs={"pk": h.pk}),
            )
        )
    return dict(out)


# --- the dashboard --------------------------------------------------------------------------------------
DASHBOARD_MONTHS = 6
MONTHLY = ("found", "major", "regulator", "self_found", "closed", "on_time")


def _window_start(today: datetime.date, months: int) -> datetime.date:
    return (today.replace(day=1) - datetime.timedelta(days=31 * (months - 1))).replace(day=1)


def _monthly(rows: QuerySet[Hazard], *, months: int, today: datetime.date) -> list[dict]:
    """Hazards found per month over the last ``months`` months (this one included), by class and
    by who found them, and how many of them are closed (on time): one grouped query over the
    window's rows only."""
    first = _window_start(today, months)
    grouped = (
        rows.filter(found_on__gte=first)
        .annotate(month=TruncMonth("found_on"))
        .values("month")
        .annotate(
            found=Count("mine"),
            major=Count("mine", filter=Q(grade=Hazard.Grade.MAJOR)),
            regulator=Count("mine", filter=Q(source=Hazard.Source.REGULATOR)),
            self_found=Count("mine", filter=Q(source__in=SELF_FOUND)),
            closed=Count("mine", filter=Q(status=S.CLOSED)),
            on_time=Count(
                "pk", filter=Q(status=S.CLOSED, deadline__isnull=False, accepted_at__date__lte=F("deadline"))
            ),
        )
        .order_by("month")
    )
    by_month = {row["month"].strftime("%Y-%m") if row["month"] else "": row for row in grouped}
    out = []
    day = first
    while day <= today:
        key = day.strftime("%Y-%m")
        row = by_month.get(key, {})
        out.append({"month": key, **{k: row.get(k, 0) for k in MONTHLY}})
        day = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return out


def dashboard_monthly(
    *, scope: Scope, months: int = DASHBOARD_MONTHS, today: datetime.date | None = None
) -> list[dict]:
    """The dashboard's months alone (its chart): the mines, then one grouped query."""
    today = today or timezone.localdate()
    return _monthly(scope.at_mines(Hazard, hazard_mines(scope)), months=months, today=today)


def dashboard(*, scope: Scope, months: int = DASHBOARD_MONTHS, today: datetime.date | None = None) -> dict:
    """Open/overdue/major per mine (and their sums), found per month, closure on time and
    self-found versus regulator-found over those months: three queries whatever the number of
    hazards (the mines, the open hazards per mine, the months).

    The open figures are the register's state now; the others count the hazards found in the
    window (``months``), so the page reads a few per cent of a register that only grows — over
    every hazard ever found, a million rows took seconds (docs/hazards.md "Scale")."""
    today = today or timezone.localdate()
    mines = {m.pk: m for m in hazard_mines(scope)}
    rows = scope.at_mines(Hazard, mines.values())
    per_mine = _per_mine(rows)
    by_mine = [
        {"mine": mines[mid], **{k: row[k] for k in ("open", "overdue", "major", "regulator")}}
        for mid, row in sorted(per_mine.items(), key=lambda kv: mines[kv[0]].path)
        if mid in mines
    ]
    monthly = _monthly(rows, months=months, today=today)
    totals = {k: sum(row[k] for row in by_mine) for k in ("open", "overdue", "major")}
    for key in ("closed", "on_time", "regulator", "self_found"):
        totals[key] = sum(row[key] for row in monthly)
    totals["on_time_rate"] = round(100 * totals["on_time"] / totals["closed"]) if totals["closed"] else None
    return {"by_mine": by_mine, "monthly": monthly, "totals": totals, "months": months}
