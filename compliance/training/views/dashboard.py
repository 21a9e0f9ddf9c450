"""The oversight dashboard of training per mine (培训看板) and its chart."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.urls import path
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from compliance.pages import ScopedPageMixin
from compliance.reports import charts
from compliance.training import dashboard
from compliance.training import permissions as training_perms
from tenants import roles


def worker_only(scope) -> bool:
    """Whether the scope reads only its own records: the dashboard names whole mines, so no."""
    return bool(scope.grants) and all(roles.SELF_ONLY in roles.perms_of(g.role) for g in scope.grants)


class _NotWorkerMixin(ScopedPageMixin):
    """The dashboard names whole mines: not for worker logins."""

    def dispatch(self, request, *args, **kwargs):
        scope = getattr(request, "scope", None)
        if request.user.is_authenticated and scope is not None and worker_only(scope):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class _DashboardMixin(_NotWorkerMixin):
    required_perm = training_perms.VIEW_TRAINING


def _year(request) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


class DashboardView(_DashboardMixin, TemplateView):
    template_name = "training/dashboard.html"

    def get_context_data(self, **kwargs):
        year = _year(self.request)
        board = dashboard.mine_figures(scope=self.scope, year=year)
        return super().get_context_data(
            board=board,
            year=year,
            expiry_days=dashboard.EXPIRY_WINDOW_DAYS,
            today=timezone.localdate(),
            **kwargs,
        )


@method_decorator(charts.chart_csp, name="get")
class DashboardChartView(_DashboardMixin, View):
    """The monthly pass-rate chart as an SVG image (used in an <img>, so it never runs script;
    pygal's styles are inside the SVG, allowed for this response only)."""

    def get(self, request):
        points = dashboard.monthly_pass_rates(scope=self.scope)
        svg = dashboard.chart_svg(
            points,
            title=_("Pass rates over the last 12 months (%)"),
            exam_label=_("Exams"),
            spot_label=_("Spot exams"),
        )
        return charts.svg_response(svg)


urlpatterns = [
    path("dashboard/", DashboardView.as_view(), name="dashboard"),
    path("dashboard/chart.svg", DashboardChartView.as_view(), name="dashboard-chart"),
]
