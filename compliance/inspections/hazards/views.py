"""Pages of hidden dangers, mounted under /hazards/ (namespace "hazards"): the register with its
filters and Excel export, a hazard's page with its whole history and the step its state allows,
the rectification and acceptance forms (phone-ready), the worker's report from the phone, the
dashboard with its chart, the monthly self-check report (自查报告) PDF, and the findings of an
inspection."""

from __future__ import annotations

import datetime
import posixpath

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from compliance import storage
from compliance.errors import Conflict
from compliance.files import content_type_for
from compliance.inspections import selectors as inspection_selectors
from compliance.inspections.agency import selectors as agency_selectors
from compliance.pages import ScopedPageMixin, apply_service_errors, filter_query, paginate, valid_filters
from compliance.reports import charts
from compliance.reports.evidence import open_stored
from tenants import selectors as tenant_selectors
from tenants.models import OrgUnit

from . import export, machine, report, selectors, services
from .forms import (
    AcceptForm,
    ClassifyForm,
    FindingForm,
    HazardFilterForm,
    HazardForm,
    NoteForm,
    PlanForm,
    RectifiedForm,
    ReportForm,
)
from .models import Hazard
from .permissions import MANAGE_HAZARDS, REPORT_HAZARDS, VIEW_HAZARDS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class _NotWorkerMixin(ScopedPageMixin):
    """The register names whole mines: a worker sees only their own reports (the report page)."""

    def dispatch(self, request, *args, **kwargs):
        scope = getattr(request, "scope", None)
        if request.user.is_authenticated and scope is not None and inspection_selectors.worker_only(scope):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


# --- the register -----------------------------------------------------------------------------------
class HazardListView(_NotWorkerMixin, TemplateView):
    template_name = "inspections/hazards/hazard_list.html"
    required_perm = VIEW_HAZARDS

    def _rows(self):
        form = HazardFilterForm(self.request.GET or None)
        f = valid_filters(form)
        mine = tenant_selectors.access_org_unit(self.scope, f["mine"]) if f.get("mine") else None
        criterion = selectors.access_criterion(self.scope, f["criterion"]) if f.get("criterion") else None
        qs = selectors.hazard_list(
            scope=self.scope,
            mine=mine,
            grade=f.get("grade", ""),
            status=f.get("status", ""),
            source=f.get("source", ""),
            overdue=bool(f.get("overdue")),
            criterion=criterion,
            found_from=f.get("found_from"),
            found_to=f.get("found_to"),
        )
        return form, mine, criterion, qs

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "xlsx":
            _form, _mine, _criterion, qs = self._rows()
            response = HttpResponse(export.hazards_xlsx(qs[: export.MAX_ROWS]), content_type=XLSX)
            response["Content-Disposition"] = 'attachment; filename="hazards.xlsx"'
            return response
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        form, mine, criterion, qs = self._rows()
        return super().get_context_data(
            filter_form=form,
            mine=mine,
            criterion=criterion,
            page=paginate(self.request, qs, count_cap=selectors.REGISTER_COUNT_CAP),
            query=filter_query(self.request),
            today=timezone.localdate(),
            can_manage=self.scope.has_perm(MANAGE_HAZARDS),
            **kwargs,
        )


class HazardCreateView(_NotWorkerMixin, View):
    required_perm = MANAGE_HAZARDS
    template_name = "inspections/hazards/hazard_form.html"

    def get(self, request):
        form = HazardForm(
            initial={"mine": request.GET.get("mine"), "found_on": timezone.localdate()}, scope=self.scope
        )
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        form = HazardForm(request.POST, request.FILES, scope=self.scope)
        if form.is_valid():
            d = form.cleaned_data
            try:
                hazard = services.hazard_register(
                    scope=self.scope,
                    mine=d["mine"],
                    user=request.user,
                    location=d["location"],
                    description=d["description"],
                    source=d["source"],
                    found_on=d["found_on"],
                    grade=d["grade"],
                    criterion=d.get("criterion"),
                    photos=request.FILES.getlist("photos"),
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Hazard %(number)s registered.") % {"number": hazard.number})
                return redirect("hazards:hazard-detail", pk=hazard.pk)
        return render(request, self.template_name, {"form": form}, status=400)


class HazardReportView(ScopedPageMixin, View):
    """A worker's report from the phone (随手拍): a photo, where, what; a manager confirms it."""

    required_perm = REPORT_HAZARDS
    template_name = "inspections/hazards/hazard_report.html"

    def get(self, request):
        mine_reports = selectors.hazard_list(scope=self.scope).filter(found_by=request.user)[:20]
        return render(
            request, self.template_name, {"form": ReportForm(scope=self.scope), "mine_reports": mine_reports}
        )

    def post(self, request):
        form = ReportForm(request.POST, request.FILES, scope=self.scope)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.hazard_report(
                    scope=self.scope,
                    mine=d["mine"],
                    user=request.user,
                    location=d["location"],
                    description=d["description"],
                    photos=request.FILES.getlist("photos"),
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Thank you: your report was sent to the mine's safety managers."))
                return redirect("hazards:hazard-report")
        return render(request, self.template_name, {"form": form, "mine_reports": []}, status=400)


# --- one hazard ---------------------------------------------------------------------------------------
class HazardDetailView(ScopedPageMixin, View):
    required_perm = VIEW_HAZARDS
    template_name = "inspections/hazards/hazard_detail.html"

    def get(self, request, pk, forms=None, status=200):
        hazard = selectors.access_hazard(self.scope, pk)
        can_manage = selectors.can_manage(self.scope, hazard)
        can_accept = selectors.can_accept(self.scope, hazard)
        actions = machine.actions_from(hazard.status) if (can_manage or can_accept) else []
        forms = forms or {}
        context = {
            "hazard": hazard,
            "events": selectors.history(hazard),
            "actions": actions,
            "can_manage": can_manage,
            "can_accept": can_accept and hazard.rectified_by_id != request.user.pk,
            "today": timezone.localdate(),
            "classify_form": forms.get("classify")
            or ClassifyForm(
                initial={"grade": hazard.grade, "criterion": hazard.criterion_id}, scope=self.scope
            ),
            "note_form": forms.get("note") or NoteForm(),
            "listings": agency_selectors.listings_of(self.scope, hazard),
            "can_list": agency_selectors.keeps_records(self.scope) and hazard.is_major and hazard.is_open,
        }
        return render(request, self.template_name, context, status=status)


class _StepView(ScopedPageMixin, View):
    """POST one step of the loop from the hazard's page; errors come back on that page."""

    required_perm = VIEW_HAZARDS
    form_class = NoteForm
    form_key = "note"

    def run(self, hazard, data):
        raise NotImplementedError

    def form(self, request):
        return self.form_class(request.POST, request.FILES)

    def post(self, request, pk):
        hazard = selectors.access_hazard(self.scope, pk)
        form = self.form(request)
        if form.is_valid():
            try:
                self.run(hazard, form.cleaned_data)
            except Conflict as exc:
                messages.error(request, exc.message)
                return redirect("hazards:hazard-detail", pk=hazard.pk)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("hazards:hazard-detail", pk=hazard.pk)
        return HazardDetailView(request=request, scope=self.scope).get(
            request, pk, forms={self.form_key: form}, status=400
        )


class ConfirmView(_StepView):
    form_class = ClassifyForm
    form_key = "classify"

    def form(self, request):
        return ClassifyForm(request.POST, scope=self.scope)

    def run(self, hazard, d):
        services.hazard_confirm(
            scope=self.scope,
            hazard=hazard,
            user=self.request.user,
            grade=d["grade"],
            criterion=d.get("criterion"),
            note=d["note"],
        )


class ClassifyView(ConfirmView):
    def run(self, hazard, d):
        services.hazard_classify(
            scope=self.scope,
            hazard=hazard,
            user=self.request.user,
            grade=d["grade"],
            criterion=d.get("criterion"),
        )


class RejectView(_StepView):
    def run(self, hazard, d):
        services.hazard_reject(scope=self.scope, hazard=hazard, user=self.request.user, note=d["note"])


class CloseView(_StepView):
    def run(self, hazard, d):
        services.hazard_close(scope=self.scope, hazard=hazard, user=self.request.user, note=d["note"])


class _FormPage(ScopedPageMixin, View):
    """A step with its own page (rectification plan, rectified, acceptance): phone-ready."""

    required_perm = VIEW_HAZARDS
    template_name = "inspections/hazards/hazard_step.html"
    form_class = NoteForm
    title = ""
    action = ""

    def initial(self, hazard) -> dict:
        return {}

    def run(self, hazard, data, files):
        raise NotImplementedError

    def _render(self, request, hazard, form, status=200):
        return render(
            request,
            self.template_name,
            {"hazard": hazard, "form": form, "title": self.title, "step": self.action},
            status=status,
        )

    def _hazard(self, pk):
        hazard = selectors.access_hazard(self.scope, pk)
        if not machine.allowed(hazard, self.action):
            raise Http404  # the state moved on: this form no longer applies
        return hazard

    def get(self, request, pk):
        hazard = self._hazard(pk)
        return self._render(request, hazard, self.form_class(initial=self.initial(hazard)))

    def post(self, request, pk):
        hazard = self._hazard(pk)
        form = self.form_class(request.POST, request.FILES)
        if form.is_valid():
            try:
                self.run(hazard, form.cleaned_data, request.FILES.getlist("photos"))
            except Conflict as exc:
                messages.error(request, exc.message)
                return redirect("hazards:hazard-detail", pk=hazard.pk)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("hazards:hazard-detail", pk=hazard.pk)
        return self._render(request, hazard, form, status=400)


class PlanView(_FormPage):
    form_class = PlanForm
    action = "plan"

    @property
    def title(self):
        return _("Rectification plan")

    def initial(self, hazard):
        return {name: getattr(hazard, name) for name in services.PLAN_FIELDS}

    def run(self, hazard, d, files):
        services.hazard_plan(scope=self.scope, hazard=hazard, user=self.request.user, **d)


class RectifiedView(_FormPage):
    form_class = RectifiedForm
    action = "rectified"

    @property
    def title(self):
        return _("Rectification done")

    def run(self, hazard, d, files):
        services.hazard_rectified(
            scope=self.scope, hazard=hazard, user=self.request.user, note=d["note"], photos=files
        )


class AcceptView(_FormPage):
    form_class = AcceptForm
    action = "accept"

    @property
    def title(self):
        return _("Acceptance")

    def run(self, hazard, d, files):
        services.hazard_accept(
            scope=self.scope,
            hazard=hazard,
            user=self.request.user,
            passed=d["passed"],
            note=d["note"],
            photos=files,
        )


class PhotoView(ScopedPageMixin, View):
    """A photo of the hazard or of a step of its history, to anyone who may read the hazard."""

    required_perm = VIEW_HAZARDS

    def get(self, request, pk, index, event=None):
        hazard = selectors.access_hazard(self.scope, pk)
        if event is None:
            names = hazard.photos or []
        else:
            entry = next((e for e in selectors.history(hazard) if e.pk == event), None)
            names = entry.photos if entry is not None else []
        if not 0 <= index < len(names):
            raise Http404
        stored = open_stored(names[index])
        if stored is None:
            raise Http404
        return storage.file_response(
            stored,
            content_type=content_type_for(names[index]),
            as_attachment=False,
            filename=posixpath.basename(names[index]),
        )


# --- dashboard and report -------------------------------------------------------------------------------
class DashboardView(_NotWorkerMixin, TemplateView):
    template_name = "inspections/hazards/dashboard.html"
    required_perm = VIEW_HAZARDS

    def get_context_data(self, **kwargs):
        # A subsidiary or group HQ manager prints the quarter of all the unit's mines at once.
        units = self.scope.queryset(OrgUnit).filter(kind__in=(OrgUnit.Kind.HQ, OrgUnit.Kind.SUBSIDIARY))
        return super().get_context_data(
            board=selectors.dashboard(scope=self.scope), report_units=list(units.order_by("path")), **kwargs
        )


@method_decorator(charts.chart_csp, name="get")
class DashboardChartView(_NotWorkerMixin, View):
    required_perm = VIEW_HAZARDS

    def get(self, request):
        monthly = selectors.dashboard_monthly(scope=self.scope)
        months = [row["month"] for row in monthly]
        svg = charts.line_svg(
            months,
            [
                (_("Found by the mines"), [row["self_found"] for row in monthly]),
                (_("Found by regulators"), [row["regulator"] for row in monthly]),
                (_("Major"), [row["major"] for row in monthly]),
            ],
            title=_("Hazards found per month"),
        )
        return charts.svg_response(svg)


def _month(value: str) -> datetime.date:
    try:
        return datetime.datetime.strptime(value, "%Y-%m").date()
    except (TypeError, ValueError):
        return (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


class SelfCheckReportView(_NotWorkerMixin, View):
    """The mine's monthly self-check report (自查报告) as a PDF, to be signed by the principal."""

    required_perm = VIEW_HAZARDS

    def get(self, request):
        pk = request.GET.get("mine")
        if not pk:
            raise Http404
        try:
            mine = tenant_selectors.access_mine(self.scope, pk)
        except (ValueError, ValidationError) as exc:
            raise Http404 from exc
        month = _month(request.GET.get("month", ""))
        pdf = report.self_check_pdf(scope=self.scope, mine=mine, month=month)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="self-check-{month:%Y-%m}.pdf"'
        return response


class QuarterlyReportView(_NotWorkerMixin, View):
    """The quarterly hidden-danger statistics (季度隐患排查治理统计) of a mine (``?mine=``) or of every
    mine under a subsidiary or group HQ (``?unit=``) as a PDF, to be signed by the principal.
    ``?quarter=2026-Q3``; without one, the last whole quarter."""

    required_perm = VIEW_HAZARDS

    def get(self, request):
        mine_pk, unit_pk = request.GET.get("mine"), request.GET.get("unit")
        if not (mine_pk or unit_pk):
            raise Http404
        try:
            if mine_pk:
                unit = tenant_selectors.access_mine(self.scope, mine_pk)
            else:
                unit = tenant_selectors.access_org_unit(self.scope, unit_pk)
        except (ValueError, ValidationError) as exc:
            raise Http404 from exc
        if unit.kind == OrgUnit.Kind.TEAM:
            raise Http404  # hazards are registered at the mine: a team has no statistics of its own
        quarter = request.GET.get("quarter") or report.previous_quarter(timezone.localdate())
        try:
            report.parse_quarter(quarter)
        except ValueError:
            return HttpResponseBadRequest(
                _("The quarter must be written as year, Q and its number, e.g. 2026-Q3."),
                content_type="text/plain; charset=utf-8",
            )
        pdf = report.quarterly_pdf(scope=self.scope, unit=unit, quarter=quarter.strip().upper())
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="hazards-{quarter.strip().upper()}.pdf"'
        return response


# --- findings of an inspection ----------------------------------------------------------------------
class FindingsView(_NotWorkerMixin, View):
    required_perm = VIEW_HAZARDS
    template_name = "inspections/hazards/findings.html"

    def _page(self, request, inspection, form=None, status=200):
        can_conduct = inspection_selectors.runs_inspection(self.scope, inspection)
        context = {
            "inspection": inspection,
            "findings": selectors.findings_of(inspection),
            "can_conduct": can_conduct,
            "form": form or (FindingForm(scope=self.scope, inspection=inspection) if can_conduct else None),
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request, pk):
        return self._page(request, inspection_selectors.access_inspection(self.scope, pk))

    def post(self, request, pk):
        inspection = inspection_selectors.access_inspection(self.scope, pk)
        form = FindingForm(request.POST, request.FILES, scope=self.scope, inspection=inspection)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.finding_add(
                    scope=self.scope,
                    inspection=inspection,
                    user=request.user,
                    kind=d["kind"],
                    text=d["text"],
                    person=d.get("person"),
                    severity=d.get("severity", ""),
                    location=d.get("location", ""),
                    grade=d.get("grade") or Hazard.Grade.GENERAL,
                    criterion=d.get("criterion"),
                    photos=request.FILES.getlist("photos"),
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Finding recorded."))
                return redirect("hazards:inspection-findings", pk=inspection.pk)
        return self._page(request, inspection, form, status=400)


urlpatterns = [
    path("", HazardListView.as_view(), name="hazard-list"),
    path("new/", HazardCreateView.as_view(), name="hazard-create"),
    path("report/", HazardReportView.as_view(), name="hazard-report"),
    path("dashboard/", DashboardView.as_view(), name="dashboard"),
    path("dashboard/chart.svg", DashboardChartView.as_view(), name="dashboard-chart"),
    path("self-check-report/", SelfCheckReportView.as_view(), name="self-check-report"),
    path("quarterly-report/", QuarterlyReportView.as_view(), name="quarterly-report"),
    path("inspections/<uuid:pk>/findings/", FindingsView.as_view(), name="inspection-findings"),
    path("<uuid:pk>/", HazardDetailView.as_view(), name="hazard-detail"),
    path("<uuid:pk>/confirm/", ConfirmView.as_view(), name="hazard-confirm"),
    path("<uuid:pk>/classify/", ClassifyView.as_view(), name="hazard-classify"),
    path("<uuid:pk>/reject/", RejectView.as_view(), name="hazard-reject"),
    path("<uuid:pk>/plan/", PlanView.as_view(), name="hazard-plan"),
    path("<uuid:pk>/rectified/", RectifiedView.as_view(), name="hazard-rectified"),
    path("<uuid:pk>/accept/", AcceptView.as_view(), name="hazard-accept"),
    path("<uuid:pk>/close/", CloseView.as_view(), name="hazard-close"),
    path("<uuid:pk>/photos/<int:index>/", PhotoView.as_view(), name="hazard-photo"),
    path(
        "<uuid:pk>/history/<uuid:event>/photos/<int:index>/", PhotoView.as_view(), name="hazard-event-photo"
    ),
]
