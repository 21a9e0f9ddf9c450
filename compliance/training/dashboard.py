"""Oversight of training per mine (培训看板): read-only figures for HQ auditors, regulators and
group admins, each for their own scope.

Every figure is one grouped query over the whole scope, mapped to mines in Python by org path,
so the number of queries does not grow with the number of mines.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from compliance import registry
from compliance.reports import charts
from tenants.models import OrgUnit, Person
from tenants.scope import Scope

from .models import Attempt, Certificate

EXPIRY_WINDOW_DAYS = 90
MONTHS = 12
# The per-mine figures of spot exams another capability provides (compliance.registry).
SPOT_FIGURES = ("spot_total", "spot_graded", "spot_passed", "suspensions_open")


def pass_rate(passed: int, graded: int) -> float | None:
    return round(100 * passed / graded, 1) if graded else None


@dataclass
class MineFigures:
    mine: OrgUnit
    hours: dict | None = None  # {"people", "short", "compliant_pct"} from compliance.training.hours
    exams_graded: int = 0
    exams_passed: int = 0
    certs_expiring: int = 0
    certs_expired: int = 0
    spot_total: int = 0
    spot_graded: int = 0
    spot_passed: int = 0
    spot_url: str = ""  # the mine's inspections, where spot exams come from
    suspensions_open: int = 0

    @property
    def exam_pass_rate(self) -> float | None:
        return pass_rate(self.exams_passed, self.exams_graded)

    @property
    def spot_pass_rate(self) -> float | None:
        return pass_rate(self.spot_passed, self.spot_graded)


@dataclass
class MonthPoint:
    month: datetime.date
    exams_graded: int = 0
    exams_passed: int = 0
    spot_graded: int = 0
    spot_passed: int = 0

    @property
    def exam_pass_rate(self) -> float | None:
        return pass_rate(self.exams_passed, self.exams_graded)

    @property
    def spot_pass_rate(self) -> float | None:
        return pass_rate(self.spot_passed, self.spot_graded)


@dataclass
class Dashboard:
    rows: list[MineFigures]
    months: list[MonthPoint] = field(default_factory=list)
    year: int = 0


def dashboard_mines(*, scope: Scope):
    return (
        scope.filter_queryset(OrgUnit.objects.filter(kind=OrgUnit.Kind.MINE))
        .select_related("mine_profile", "tenant", "parent")
        .order_by("tenant__name", "path")
    )


def _mine_by_path(path: str, mines: dict[str, MineFigures]) -> MineFigures | None:
    prefix = ""
    for part in path.split("/")[:-1]:
        prefix += part + "/"
        if prefix in mines:
            return mines[prefix]
    return None


def _since(today: datetime.date) -> datetime.datetime:
    start = today - datetime.timedelta(days=365)
    return timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))


def _hours_summary(scope: Scope, mine_ids, year):
    from .hours import summary_by_mine

    return summary_by_mine(mine_ids, year, scope=scope)


def mine_figures(*, scope: Scope, today: datetime.date | None = None, year: int | None = None) -> Dashboard:
    today = today or timezone.localdate()
    year = year or today.year
    since = _since(today)
    rows = [MineFigures(mine=m) for m in dashboard_mines(scope=scope)]
    by_path = {r.mine.path: r for r in rows}
    by_id = {r.mine.pk: r for r in rows}
    if not rows:
        return Dashboard(rows=[], months=monthly_pass_rates(scope=scope, today=today), year=year)

    exams = (
        scope.filter_queryset(
            Attempt.objects.filter(
                passed__isnull=False, submitted_at__gte=since, occasion=Attempt.Occasion.REGULAR
            )
        )
        .values("person__org_unit__path")
        .annotate(graded=Count("id"), passed=Count("id", filter=Q(passed=True)))
        .order_by()
    )
    for row in exams:
        if fig := _mine_by_path(row["person__org_unit__path"], by_path):
            fig.exams_graded += row["graded"]
            fig.exams_passed += row["passed"]

    horizon = today + datetime.timedelta(days=EXPIRY_WINDOW_DAYS)
    # A certificate replaced by a later valid one of the same kind no longer counts as expired.
    # A correlated subquery on the person of each outer (scoped) row: it only says whether a newer
    # one exists.
    newer = Certificate.dangerously_unscoped.filter(
        person_id=OuterRef("person_id"),
        kind=OuterRef("kind"),
        operation_type=OuterRef("operation_type"),
        status=Certificate.Status.VALID,
        expires_on__gt=OuterRef("expires_on"),
    )
    certs = (
        scope.filter_queryset(
            Certificate.objects.filter(status=Certificate.Status.VALID, expires_on__lte=horizon)
        )
        .exclude(person__status=Person.Status.LEFT)
        .exclude(Exists(newer))
        .values("person__org_unit__path")
        .annotate(
            expiring=Count("id", filter=Q(expires_on__gte=today)),
            expired=Count("id", filter=Q(expires_on__lt=today)),
        )
        .order_by()
    )
    for row in certs:
        if fig := _mine_by_path(row["person__org_unit__path"], by_path):
            fig.certs_expiring += row["expiring"]
            fig.certs_expired += row["expired"]

    # Spot exams are inspections' (compliance.inspections): their per-mine figures come through
    # the registry, by key; without that capability the columns stay at zero.
    spot = registry.mine_figures(scope, [r.mine.pk for r in rows], providers=[registry.SPOT_EXAM_FIGURES])
    for mine_id, figures in spot.items():
        fig = by_id.get(mine_id)
        for figure in figures if fig is not None else ():
            if figure.key in SPOT_FIGURES:
                setattr(fig, figure.key, figure.value)
                if figure.key == "spot_total":
                    fig.spot_url = figure.url

    hours = _hours_summary(scope, [r.mine.pk for r in rows], year)
    for fig in rows:
        fig.hours = hours.get(fig.mine.pk)
    return Dashboard(
        rows=rows,
        months=monthly_pass_rates(scope=scope, today=today),
        year=year,
    )


def month_starts(today: datetime.date, count: int = MONTHS) -> list[datetime.date]:
    first = today.replace(day=1)
    months = []
    for _ in range(count):
        months.append(first)
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return list(reversed(months))


def monthly_pass_rates(*, scope: Scope, today: datetime.date | None = None) -> list[MonthPoint]:
    """Pass rates of exams and of spot exams in each of the last 12 months (two queries)."""
    today = today or timezone.localdate()
    months = month_starts(today)
    points = {m: MonthPoint(month=m) for m in months}
    start = timezone.make_aware(datetime.datetime.combine(months[0], datetime.time.min))
    graded = scope.filter_queryset(Attempt.objects.filter(passed__isnull=False, submitted_at__gte=start))
    for spot, qs in (
        (False, graded.filter(occasion=Attempt.Occasion.REGULAR)),
        (True, graded.exclude(occasion=Attempt.Occasion.REGULAR)),
    ):
        rows = (
            qs.annotate(month=TruncMonth("submitted_at"))
            .values("month")
            .annotate(n=Count("id"), passed=Count("id", filter=Q(passed=True)))
            .order_by()
        )
        for row in rows:
            month = row["month"]
            if isinstance(month, datetime.datetime):
                month = timezone.localtime(month).date() if timezone.is_aware(month) else month.date()
            point = points.get(month.replace(day=1))
            if point is None:
                continue
            if spot:
                point.spot_graded += row["n"]
                point.spot_passed += row["passed"]
            else:
                point.exams_graded += row["n"]
                point.exams_passed += row["passed"]
    return [points[m] for m in months]


def chart_svg(points: list[MonthPoint], *, title: str, exam_label: str, spot_label: str) -> str:
    """The monthly pass-rate chart as a standalone SVG with no script."""
    return charts.line_svg(
        [p.month.strftime("%Y-%m") for p in points],
        [(exam_label, [p.exam_pass_rate for p in points]), (spot_label, [p.spot_pass_rate for p in points])],
        title=title,
        y_range=(0, 100),
    )
