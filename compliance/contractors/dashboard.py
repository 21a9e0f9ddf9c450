"""The outsourcing dashboard: qualifications expiring, caps used per mine, contractors phased out —
each a table, with one chart (contractors by status and qualification state). Constant queries."""

from __future__ import annotations

import datetime

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance.reports import charts

from . import selectors
from .models import Contractor, Qualification


def _expiring(scope, today):
    return list(
        scope.filter_queryset(
            Qualification.objects.filter(valid_until__lte=today + datetime.timedelta(days=90)).select_related(
                "contractor"
            )
        )
        .exclude(contractor__status__in=[Contractor.Status.PHASED_OUT, Contractor.Status.BLACKLISTED])
        .order_by("valid_until", "pk")[:100]
    )


def context(scope) -> dict:
    today = timezone.localdate()
    mines = list(selectors.mine_list(scope=scope)[:200])
    caps = selectors.caps_used(scope, [m.pk for m in mines], today=today)
    status_counts = dict(
        scope.filter_queryset(Contractor.objects.all())
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {
        "today": today,
        "expiring": _expiring(scope, today),
        "mine_caps": [(m, caps[m.pk]) for m in mines],
        "phased_out": list(
            scope.filter_queryset(
                Contractor.objects.filter(
                    status__in=[Contractor.Status.PHASED_OUT, Contractor.Status.BLACKLISTED]
                )
            ).order_by("-status_on", "name")[:100]
        ),
        "proposed": list(
            scope.filter_queryset(
                Contractor.objects.filter(
                    phase_out_proposed_on__isnull=False, status=Contractor.Status.APPROVED
                )
            ).order_by("name")[:100]
        ),
        "status_rows": [(label, status_counts.get(value, 0)) for value, label in Contractor.Status.choices],
    }


def chart_response(scope):
    counts = dict(
        scope.filter_queryset(Contractor.objects.all())
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    rows = [(str(label), counts.get(value, 0)) for value, label in Contractor.Status.choices]
    svg = charts.count_bar_svg(rows, title=_("Contractors by status"), series=_("Contractors"))
    return charts.svg_response(svg)
