"""The mine's monthly self-check report (自查报告): the hazards found in the month by source and
class, where each stands, the overdue ones, and a line for the principal's (主要负责人) signature.
Rendered as a PDF with the shared PDF piece (``compliance.reports.pdf``: locked fetcher, CJK font)."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import timezone

from compliance.reports import pdf
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
