"""The outsourcing pages: contractors (list, page, qualifications, status), engagements (list,
new, page with staff, appraisals and extension), a mine's outsourcing (caps used, head counts)
and the dashboard. Thin: parse, call one service or selector, render."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from compliance import storage
from compliance.contractors import contractors_io, dashboard, files, forms, selectors, services
from compliance.contractors.models import AGREEMENT_ITEMS
from compliance.contractors.permissions import MANAGE_CONTRACTORS, VIEW_CONTRACTORS
from compliance.files import content_type_for
from compliance.http import no_store
from compliance.imports.views import ImportTemplateView
from compliance.pages import ScopedPageMixin, apply_service_errors, filter_query, paginate, valid_filters
from compliance.reports import evidence as shared_evidence
from tenants import selectors as tenant_selectors


# --- contractors ---------------------------------------------------------------------------------
class ContractorListView(ScopedPageMixin, View):
    required_perm = VIEW_CONTRACTORS

    def get(self, request):
        form = forms.ContractorFilterForm(request.GET or None)
        f = valid_filters(form)
        rows = selectors.contractor_list(
            scope=self.scope,
            status=f.get("status") or "",
            work_kind=f.get("work_kind") or "",
            q=f.get("q") or "",
            expiring_within=f.get("expiring"),
            proposed=bool(f.get("proposed")),
        )
        return render(
            request,
            "contractors/contractor_list.html",
            {
                "filter_form": form,
                "page": paginate(request, rows),
                "query": filter_query(request),
                "can_manage": self.scope.has_perm(MANAGE_CONTRACTORS),
            },
        )


class ContractorCreateView(ScopedPageMixin, View):
    required_perm = MANAGE_CONTRACTORS

    def get(self, request):
        return render(
            request, "contractors/form.html", {"form": forms.ContractorForm(), "title": _("New contractor")}
        )

    def post(self, request):
        form = forms.ContractorForm(request.POST)
        if form.is_valid():
            try:
                contractor = services.contractor_create(scope=self.scope, data=form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Contractor saved."))
                return redirect("contractors:contractor-detail", pk=contractor.pk)
        return render(
            request, "contractors/form.html", {"form": form, "title": _("New contractor")}, status=400
        )


class ContractorDetailView(ScopedPageMixin, View):
    required_perm = VIEW_CONTRACTORS

    def get(self, request, pk):
        contractor = selectors.access_contractor(self.scope, pk)
        qualifications = selectors.qualifications_of(self.scope, contractor)
        today = timezone.localdate()
        return render(
            request,
            "contractors/contractor_detail.html",
            {
                "contractor": contractor,
                "qualifications": qualifications,
                "problems": services.qualification_problems(
                    contractor, today=today, qualifications=qualifications
                ),
                "engagements": list(selectors.engagement_list(scope=self.scope, contractor=contractor)[:100]),
                "staff": list(selectors.staff_list(scope=self.scope, contractor=contractor)[:200]),
                "appraisals": list(selectors.appraisal_list(scope=self.scope, contractor=contractor)[:24]),
                "today": today,
                "soon": today + datetime.timedelta(days=90),
                "can_manage": self.scope.has_perm(MANAGE_CONTRACTORS, None, contractor.tenant_id),
                "status_form": forms.StatusForm(initial={"status": contractor.status}),
            },
        )


class ContractorEditView(ScopedPageMixin, View):
    required_perm = MANAGE_CONTRACTORS

    def get(self, request, pk):
        contractor = selectors.access_contractor(self.scope, pk)
        form = forms.ContractorForm(initial={f: getattr(contractor, f) for f in services.CONTRACTOR_FIELDS})
        return render(request, "contractors/form.html", {"form": form, "title": contractor.name})

    def post(self, request, pk):
        contractor = selectors.access_contractor(self.scope, pk)
        form = forms.ContractorForm(request.POST)
        if form.is_valid():
            try:
                services.contractor_update(scope=self.scope, contractor=contractor, data=form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Contractor saved."))
                return redirect("contractors:contractor-detail", pk=contractor.pk)
        return render(request, "contractors/form.html", {"form": form, "title": contractor.name}, status=400)


class ContractorStatusView(ScopedPageMixin, View):
    required_perm = MANAGE_CONTRACTORS

    def post(self, request, pk):
        contractor = selectors.access_contractor(self.scope, pk)
        form = forms.StatusForm(request.POST)
        if form.is_valid():
            try:
                services.contractor_set_status(
                    scope=self.scope,
                    contractor=contractor,
                    status=form.cleaned_data["status"],
                    reason=form.cleaned_data["reason"],
                    on=form.cleaned_data["on"],
                )
            except ValidationError as exc:
                for errors in exc.message_dict.values():
                    for error in errors:
                        messages.error(request, error)
            else:
                messages.success(request, _("Status saved."))
        else:
            messages.error(request, _("Choose a status."))
        return redirect("contractors:contractor-detail", pk=contractor.pk)


class ContractorFileView(ScopedPageMixin, View):
    """The contractor file (外包队伍档案) as a PDF, rendered in the request (a few pages)."""

    required_perm = VIEW_CONTRACTORS

    def get(self, request, pk):
        contractor = selectors.access_contractor(self.scope, pk)
        response = HttpResponse(
            files.contractor_file_pdf(self.scope, contractor), content_type="application/pdf"
        )
        response["Content-Disposition"] = 'attachment; filename="contractor-file.pdf"'
        return no_store(response)


class ContractorExportView(ScopedPageMixin, View):
    """The register, with the list's filters, as an Excel workbook."""

    required_perm = VIEW_CONTRACTORS

    def get(self, request):
        form = forms.ContractorFilterForm(request.GET or None)
        f = valid_filters(form)
        rows = selectors.contractor_list(
            scope=self.scope,
            status=f.get("status") or "",
            work_kind=f.get("work_kind") or "",
            q=f.get("q") or "",
            expiring_within=f.get("expiring"),
            proposed=bool(f.get("proposed")),
        )
        response = HttpResponse(files.register_xlsx(rows), content_type=files.XLSX)
        response["Content-Disposition"] = 'attachment; filename="contractors.xlsx"'
        return no_store(response)


class QualificationCreateView(ScopedPageMixin, View):
    required_perm = MANAGE_CONTRACTORS

    def get(self, request, pk):
        contractor = selectors.access_contractor(self.scope, pk)
        return render(
            request,
            "contractors/form.html",
            {
                "form": forms.QualificationForm(),
                "title": _("Record a qualification"),
                "object": contractor,
                "multipart": True,
            },
        )

    def post(self, request, pk):
        contractor = selectors.access_contractor(self.scope, pk)
        form = forms.QualificationForm(request.POST, request.FILES)
        if form.is_valid():
            data = dict(form.cleaned_data)
            scan = data.pop("scan", None)
            try:
                services.qualification_record(
                    scope=self.scope, contractor=contractor, data=data, scan=scan or None
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Qualification recorded."))
                return redirect("contractors:contractor-detail", pk=contractor.pk)
        context = {
            "form": form,
            "title": _("Record a qualification"),
            "object": contractor,
            "multipart": True,
        }
        return render(request, "contractors/form.html", context, status=400)


class QualificationScanView(ScopedPageMixin, View):
    required_perm = VIEW_CONTRACTORS

    def get(self, request, pk):
        qualification = selectors.access_qualification(self.scope, pk)
        stored = shared_evidence.open_stored(qualification.scan) if qualification.scan else None
        if stored is None:
            raise Http404
        name = qualification.scan_name or shared_evidence.display_name(qualification.scan)
        return storage.file_response(
            stored, filename=name, content_type=content_type_for(qualification.scan), as_attachment=False
        )


# --- engagements ---------------------------------------------------------------------------------
class EngagementListView(ScopedPageMixin, View):
    required_perm = VIEW_CONTRACTORS

    def get(self, request):
        form = forms.EngagementFilterForm(request.GET or None)
        form.fields["mine"].set_choices(self.scope)
        form.fields["contractor"].set_choices(self.scope)
        f = valid_filters(form)
        rows = selectors.engagement_list(
            scope=self.scope,
            mine=f.get("mine"),
            contractor=f.get("contractor"),
            active_only=bool(f.get("active")),
        )
        return render(
            request,
            "contractors/engagement_list.html",
            {
                "filter_form": form,
                "page": paginate(request, rows),
                "query": filter_query(request),
                "can_manage": self.scope.has_perm(MANAGE_CONTRACTORS),
                "today": timezone.localdate(),
            },
        )


class EngagementCreateView(ScopedPageMixin, View):
    required_perm = MANAGE_CONTRACTORS
    title = _("New engagement")

    def get(self, request):
        form = forms.EngagementForm(
            initial={
                "mine": request.GET.get("mine"),
                "contractor": request.GET.get("contractor"),
                "agreement_items": [k for k, _l in AGREEMENT_ITEMS],
            }
        )
        form.set_choices(self.scope)
        return render(request, "contractors/form.html", {"form": form, "title": _("New engagement")})

    def post(self, request):
        form = forms.EngagementForm(request.POST)
        form.set_choices(self.scope)
        if form.is_valid():
            data = dict(form.cleaned_data)
            mine, contractor, parent = data.pop("mine"), data.pop("contractor"), data.pop("parent")
            try:
                result = services.engagement_create(
                    scope=self.scope,
                    mine=mine,
                    contractor=contractor,
                    data=data,
                    parent=parent,
                    actor=request.user,
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                for warning in result.warnings:
                    messages.warning(request, warning)
                messages.success(request, _("Engagement saved."))
                return redirect("contractors:engagement-detail", pk=result.engagement.pk)
        return render(
            request, "contractors/form.html", {"form": form, "title": _("New engagement")}, status=400
        )


class EngagementDetailView(ScopedPageMixin, View):
    required_perm = VIEW_CONTRACTORS

    def get(self, request, pk):
        engagement = selectors.access_engagement(self.scope, pk)
        return self.show(request, engagement)

    def show(
        self, request, engagement, *, assign_form=None, appraisal_form=None, extend_form=None, status=200
    ):
        can_manage = self.scope.has_perm(MANAGE_CONTRACTORS, engagement.mine.path, engagement.tenant_id)
        assign_form = assign_form or forms.AssignForm()
        if can_manage:
            assign_form.fields["person"].set_choices(self.scope)
        return render(
            request,
            "contractors/engagement_detail.html",
            {
                "engagement": engagement,
                "agreement": [(label, key in engagement.agreement_items) for key, label in AGREEMENT_ITEMS],
                "staff": list(selectors.staff_list(scope=self.scope, engagement=engagement)[:300]),
                "appraisals": list(selectors.appraisal_list(scope=self.scope, engagement=engagement)[:36]),
                "can_manage": can_manage,
                "assign_form": assign_form,
                "appraisal_form": appraisal_form or forms.AppraisalForm(),
                "extend_form": extend_form or forms.ExtendForm(initial={"ends_on": engagement.ends_on}),
            },
            status=status,
        )


class EngagementExtendView(EngagementDetailView):
    required_perm = MANAGE_CONTRACTORS

    def post(self, request, pk):
        engagement = selectors.access_engagement(self.scope, pk)
        form = forms.ExtendForm(request.POST)
        if form.is_valid():
            try:
                result = services.engagement_extend(
                    scope=self.scope, engagement=engagement, ends_on=form.cleaned_data["ends_on"]
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                for warning in result.warnings:
                    messages.warning(request, warning)
                messages.success(request, _("Engagement extended."))
                return redirect("contractors:engagement-detail", pk=engagement.pk)
        return self.show(request, engagement, extend_form=form, status=400)


class StaffAssignView(EngagementDetailView):
    required_perm = MANAGE_CONTRACTORS

    def post(self, request, pk):
        engagement = selectors.access_engagement(self.scope, pk)
        form = forms.AssignForm(request.POST)
        form.fields["person"].set_choices(self.scope)
        if form.is_valid():
            try:
                services.staff_assign(
                    scope=self.scope,
                    engagement=engagement,
                    person=form.cleaned_data["person"],
                    assigned_on=form.cleaned_data["assigned_on"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Person assigned."))
                return redirect("contractors:engagement-detail", pk=engagement.pk)
        return self.show(request, engagement, assign_form=form, status=400)


class StaffReleaseView(ScopedPageMixin, View):
    required_perm = MANAGE_CONTRACTORS

    def post(self, request, pk):
        assignment = selectors.access_assignment(self.scope, pk)
        services.staff_release(scope=self.scope, assignment=assignment)
        messages.success(request, _("Assignment ended."))
        return redirect("contractors:engagement-detail", pk=assignment.engagement_id)


class StaffImportView(ScopedPageMixin, View):
    """An engagement's staff from Excel: upload → the import job (see ``contractors_io``)."""

    required_perm = MANAGE_CONTRACTORS

    def _render(self, request, engagement, form, status=200):
        return render(
            request,
            "contractors/staff_import.html",
            {"engagement": engagement, "form": form},
            status=status,
        )

    def _engagement(self, pk):
        engagement = selectors.access_engagement(self.scope, pk)
        self.scope.require(MANAGE_CONTRACTORS, engagement.mine)
        return engagement

    def get(self, request, pk):
        engagement = self._engagement(pk)
        return self._render(request, engagement, forms.StaffImportForm(scope=self.scope))

    def post(self, request, pk):
        engagement = self._engagement(pk)
        form = forms.StaffImportForm(request.POST, request.FILES, scope=self.scope)
        if form.is_valid():
            try:
                job = contractors_io.staff_import_start(
                    scope=self.scope,
                    user=request.user,
                    engagement=engagement,
                    upload=form.cleaned_data["file"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                return redirect("job-detail", pk=job.pk)
        return self._render(request, engagement, form, status=400)


class StaffImportTemplateView(ImportTemplateView):
    kind = contractors_io.STAFF_KIND


class AppraisalCreateView(EngagementDetailView):
    required_perm = MANAGE_CONTRACTORS

    def post(self, request, pk):
        engagement = selectors.access_engagement(self.scope, pk)
        form = forms.AppraisalForm(request.POST)
        if form.is_valid():
            try:
                services.appraisal_record(
                    scope=self.scope, engagement=engagement, actor=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Appraisal recorded."))
                return redirect("contractors:engagement-detail", pk=engagement.pk)
        return self.show(request, engagement, appraisal_form=form, status=400)


# --- mines and the dashboard ---------------------------------------------------------------------
class MineOutsourcingView(ScopedPageMixin, View):
    required_perm = VIEW_CONTRACTORS

    def get(self, request, pk):
        mine = tenant_selectors.access_mine(self.scope, pk)
        caps = selectors.caps_used(self.scope, [mine.pk])[mine.pk]
        return render(
            request,
            "contractors/mine_outsourcing.html",
            {
                "mine": mine,
                "caps": caps,
                "headcounts": selectors.headcounts(self.scope, mine),
                "engagements": list(
                    selectors.engagement_list(scope=self.scope, mine=mine, active_only=True)[:100]
                ),
                "can_manage": self.scope.has_perm(MANAGE_CONTRACTORS, mine.path, mine.tenant_id),
            },
        )


class DashboardView(ScopedPageMixin, View):
    required_perm = VIEW_CONTRACTORS

    def get(self, request):
        return render(request, "contractors/dashboard.html", dashboard.context(self.scope))


class DashboardChartView(ScopedPageMixin, View):
    required_perm = VIEW_CONTRACTORS

    def get(self, request):
        return dashboard.chart_response(self.scope)
