"""Grading oversight pages: the dashboard (with its chart as an SVG of its own), the mine list
behind every number, and one mine's grading status. Read-only for everyone (VIEW_GRADING)."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from compliance.grading import accidents, dashboard, production, regulator_findings
from compliance.grading import permissions as grading_perms
from compliance.grading.models import Assessment, GradeCertificate
from compliance.pages import (
    ScopedChoiceField,
    ScopedPageMixin,
    filter_query,
    paginate,
    unit_label,
    valid_filters,
)
from compliance.reports import charts
from tenants import selectors
from tenants.models import OrgUnit


def oversight_units(scope):
    """Group and subsidiaries in the caller's scope: what a grading list or the dashboard can be
    narrowed to."""
    units = selectors.org_unit_list(scope=scope).filter(kind__in=[OrgUnit.Kind.HQ, OrgUnit.Kind.SUBSIDIARY])
    return [(u, unit_label(u)) for u in units]


class UnitForm(forms.Form):
    unit = ScopedChoiceField(
        label=gettext_lazy("Group or subsidiary"),
        access=selectors.access_org_unit,
        choices_func=oversight_units,
        required=False,
    )


def _choices(empty, pairs):
    return [("", empty), *pairs]


class MineFilterForm(UnitForm):
    level = forms.ChoiceField(
        label=gettext_lazy("Level"),
        required=False,
        choices=_choices(
            gettext_lazy("Any level"),
            [
                ("1", gettext_lazy("Level 1")),
                ("2", gettext_lazy("Level 2")),
                ("3", gettext_lazy("Level 3")),
                ("none", gettext_lazy("No valid grade")),
            ],
        ),
    )
    permitted = forms.ChoiceField(
        label=gettext_lazy("Permitted to produce"),
        required=False,
        choices=_choices(
            gettext_lazy("Production: any"),
            [
                ("no", gettext_lazy("Coal: not permitted to produce")),
                ("yes", gettext_lazy("Coal: permitted to produce")),
            ],
        ),
    )
    recheck = forms.ChoiceField(
        label=gettext_lazy("Re-check"),
        required=False,
        choices=_choices(
            gettext_lazy("Re-check: any"),
            [
                ("due", gettext_lazy("Re-check due within 90 days")),
                ("overdue", gettext_lazy("Re-check overdue or lapsed")),
            ],
        ),
    )
    deadline = forms.ChoiceField(
        label=gettext_lazy("Deadline for Level 3"),
        required=False,
        choices=_choices(
            gettext_lazy("Deadline: any"), [("overdue", gettext_lazy("Non-coal: past the deadline"))]
        ),
    )
    assessment = forms.ChoiceField(
        label=gettext_lazy("Assessment in progress"),
        required=False,
        choices=_choices(
            gettext_lazy("Assessment: any"),
            [(s, Assessment.Status(s).label) for s in production.IN_PROGRESS],
        ),
    )


class _GradingPage(ScopedPageMixin):
    required_perm = grading_perms.VIEW_GRADING


def _unit(request, scope):
    form = UnitForm(request.GET or None)
    form.fields["unit"].set_choices(scope)
    return form, (form.cleaned_data.get("unit") if form.is_valid() else None)


class DashboardView(_GradingPage, View):
    template_name = "grading/dashboard/dashboard.html"

    def get(self, request):
        form, unit = _unit(request, self.scope)
        board = dashboard.board(scope=self.scope, unit=unit)
        base = {"unit": str(unit.pk)} if unit is not None else {}
        mines_url = reverse("grading:mine-list")
        for figure in (*board.levels, *board.figures, *board.assessments):
            figure.href = f"{mines_url}?{urlencode(base | figure.params)}"
        return render(
            request,
            self.template_name,
            {
                "board": board,
                "filter_form": form,
                "unit": unit,
                "base_params": base,
                "query": filter_query(request, drop=("page", "export")),
            },
        )


@method_decorator(charts.chart_csp, name="get")
class DashboardChartView(_GradingPage, View):
    """Mines by level as an SVG image (used in an <img>, so it never runs script; pygal's styles
    are inside the SVG, allowed for this response only). The same figures are a table on the page."""

    def get(self, request):
        _form, unit = _unit(request, self.scope)
        board = dashboard.board(scope=self.scope, unit=unit)
        svg = dashboard.chart_svg(board.level_counts(), title=_("Mines by level"), series=_("Mines"))
        return charts.svg_response(svg)


class MineListView(_GradingPage, View):
    """The mines behind every number of the dashboard, with their grading status in words."""

    template_name = "grading/dashboard/mine_list.html"

    def get(self, request):
        form = MineFilterForm(request.GET or None)
        form.fields["unit"].set_choices(self.scope)
        filters = valid_filters(form)
        today = timezone.localdate()
        qs = dashboard.mine_list(
            scope=self.scope,
            unit=filters.get("unit"),
            today=today,
            **{k: filters.get(k, "") for k in ("level", "permitted", "recheck", "deadline", "assessment")},
        )
        page = paginate(request, qs)
        rows = production.statuses(page, today, scope=self.scope)
        return render(
            request,
            self.template_name,
            {
                "filter_form": form,
                "page": page,
                "rows": rows,
                "query": filter_query(request, drop=("page", "export")),
            },
        )


class MineStatusView(_GradingPage, View):
    """One mine: its level, certificate, production permission in words and its countdowns,
    its certificates and its accidents."""

    template_name = "grading/dashboard/mine_status.html"

    def get(self, request, pk):
        mine = selectors.access_mine(self.scope, pk)
        status = production.mine_status(mine, scope=self.scope)
        certificates = list(
            self.scope.filter_queryset(GradeCertificate.objects.filter(mine=mine)).order_by(
                "-awarded_on", "-number"
            )
        )
        accident_rows = list(accidents.accident_list(scope=self.scope, mine=mine)[:20])
        return render(
            request,
            self.template_name,
            {
                "mine": mine,
                "status": status,
                "certificates": certificates,
                "accidents": accident_rows,
                "regulator_majors": regulator_findings.findings(self.scope, [mine.pk]).get(mine.pk),
                "can_record_accident": self.scope.has_perm(
                    grading_perms.MANAGE_GRADING, mine.path, mine.tenant_id
                ),
            },
        )


urlpatterns = [
    path("dashboard/", DashboardView.as_view(), name="dashboard"),
    path("dashboard/chart.svg", DashboardChartView.as_view(), name="dashboard-chart"),
    path("mines/", MineListView.as_view(), name="mine-list"),
    path("mines/<uuid:pk>/", MineStatusView.as_view(), name="mine-status"),
]
