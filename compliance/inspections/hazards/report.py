"""The mine's monthly self-check report (自查报告): the hazards found in the month by source and
class, where each stands, the overdue ones, and a line for the principal's (主要负责人) signature;
and the quarterly statistics (季度隐患排查治理统计) of a mine or of every mine under a unit, with the
same signature line and a chart by source. Rendered as PDFs with the shared PDF piece
(``compliance.reports.pdf``: locked fetcher, CJK font) and chart piece (``compliance.reports.charts``)."""

from __future__ import annotations

import datetime
import re

from django.db.models import Count, F, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance.reports import charts, pdf
from tenants.models import OrgUnit
from tenants.scope import Scope

from . import selectors
from .models import Hazard


def _month_end(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)


def self_check_context(*, scope: Scope, mine, month: datetime.date) -> dict:
    """Everything the report shows, in three queries whatever the number of hazards."""
    end = _month_end(month)
    found = list(
        selectors.hazards(scope=scope)
        .filter(mine=mine, found_on__gte=month, found_on__lte=end)
        .select_related("criterion")
        .order_by("found_on", "number")
    )
    today = min(timezone.localdate(), end)
    still_open = (
        selectors.hazards(scope=scope)
        .filter(mine=mine, found_on__lte=end)
        .aggregate(
            open=Count("pk", filter=Q(status__in=Hazard.OPEN)),
            overdue=Count("pk", filter=selectors.q_overdue(today)),
            major=Count("pk", filter=Q(status__in=Hazard.OPEN, grade=Hazard.Grade.MAJOR)),
        )
    )
    by_source: dict[str, int] = {}
    for h in found:
        label = h.get_source_display()
        by_source[label] = by_source.get(label, 0) + 1
    return {
        "mine": mine,
        "month": month,
        "end": end,
        "found": found,
        "major": [h for h in found if h.is_major],
        "closed": sum(1 for h in found if h.status == Hazard.Status.CLOSED),
        "by_source": sorted(by_source.items()),
        "still_open": still_open,
        "generated_at": timezone.localtime(),
    }


def self_check_pdf(*, scope: Scope, mine, month: datetime.date) -> bytes:
    html = render_to_string(
        "inspections/hazards/self_check_report.html", self_check_context(scope=scope, mine=mine, month=month)
    )
    return pdf.render_pdf(html)


# --- the quarterly statistics (季度隐患排查治理统计) ------------------------------------------------------
QUARTER = re.compile(r"(\d{4})-Q([1-4])")


def parse_quarter(value: str) -> tuple[datetime.date, datetime.date]:
    """``2026-Q3`` → (2026-07-01, 2026-09-30); ValueError for anything else."""
    match = QUARTER.fullmatch((value or "").strip().upper())
    if match is None:
        raise ValueError(value)
    year, quarter = int(match[1]), int(match[2])
    start = datetime.date(year, 3 * quarter - 2, 1)
    return start, _month_end(datetime.date(year, 3 * quarter, 1))


def previous_quarter(today: datetime.date) -> str:
    quarter = (today.month - 1) // 3  # 0 in January–March: the last quarter of the year before
    return f"{today.year - 1}-Q4" if quarter == 0 else f"{today.year}-Q{quarter}"


def quarterly_context(*, scope: Scope, unit, quarter: str) -> dict:
    """The quarter's figures for a mine, or for every mine under a subsidiary or group HQ: three
    queries whatever the number of hazards.

    Found: registered in the quarter (a worker's report still awaiting confirmation counts, one
    rejected as "not a hazard" does not). Closed: 销号 in the quarter, on time when it was accepted
    on or before its plan's deadline. Open and overdue at the quarter's end (or today, for the
    quarter under way) are read from the dates kept on the hazard — closed after that day counts
    as open on it, accepted after its deadline as overdue — with the deadline of its latest plan."""
    start, end = parse_quarter(quarter)
    as_of = min(timezone.localdate(), end)
    qs = (
        selectors.hazards(scope=scope)
        .filter(tenant_id=unit.tenant_id, mine__path__startswith=unit.path)
        .exclude(status=Hazard.Status.REJECTED)
    )
    in_quarter = Q(found_on__gte=start, found_on__lte=end)
    # Open on ``as_of``: registered by then and not closed by then (a report awaiting confirmation
    # is not on the register yet).
    open_then = (
        Q(found_on__lte=as_of)
        & ~Q(status=Hazard.Status.REPORTED)
        & (Q(closed_at__isnull=True) | Q(closed_at__date__gt=as_of))
    )
    # Overdue on ``as_of``: open, its deadline passed, not accepted by then (as ``selectors.LATE``).
    late_then = (
        open_then & Q(deadline__lt=as_of) & (Q(accepted_at__isnull=True) | Q(accepted_at__date__gt=as_of))
    )
    closed_in = Q(closed_at__date__gte=start, closed_at__date__lte=end)
    figures = qs.aggregate(
        found=Count("pk", filter=in_quarter),
        found_major=Count("pk", filter=in_quarter & Q(grade=Hazard.Grade.MAJOR)),
        closed=Count("pk", filter=closed_in),
        closed_on_time=Count(
            "pk", filter=closed_in & Q(deadline__isnull=False, accepted_at__date__lte=F("deadline"))
        ),
        open=Count("pk", filter=open_then),
        open_major=Count("pk", filter=open_then & Q(grade=Hazard.Grade.MAJOR)),
        overdue=Count("pk", filter=late_then),
    )
    figures["found_general"] = figures["found"] - figures["found_major"]
    figures["closed_late"] = figures["closed"] - figures["closed_on_time"]
    counts = dict(qs.filter(in_quarter).values_list("source").annotate(n=Count("pk")).order_by())
    by_source = [(str(label), counts.get(value, 0)) for value, label in Hazard.Source.choices]
    major = list(
        qs.filter(Q(grade=Hazard.Grade.MAJOR) & (in_quarter | open_then))
        .select_related("criterion", "mine")
        .order_by("found_on", "number")
    )
    return {
        "unit": unit,
        "quarter": quarter,
        "start": start,
        "end": end,
        "as_of": as_of,
        "figures": figures,
        "by_source": by_source,
        "major": major,
        "several_mines": unit.kind != OrgUnit.Kind.MINE,
        "generated_at": timezone.localtime(),
    }


def quarterly_chart(by_source) -> str:
    return charts.count_bar_svg(by_source, title=_("Hazards found by source"), series=_("Hazards"))


def quarterly_pdf(*, scope: Scope, unit, quarter: str) -> bytes:
    context = quarterly_context(scope=scope, unit=unit, quarter=quarter)
    html = render_to_string("inspections/hazards/quarterly_report.html", context)
    # The chart is handed to WeasyPrint as a named resource (the locked fetcher fetches nothing else).
    chart = quarterly_chart(context["by_source"]).encode()
    return pdf.render_pdf(html, resources={CHART: (chart, "image/svg+xml")})


CHART = "chart:by-source"
