"""Pages: responsibility lists (全员安全生产责任制), signatures and duty assessments (履职考核).

Managers and auditors work on desktop tables; a worker reads and signs their own list on the phone
(``my-lists``). Thin: each view parses input, calls one service or selector and renders."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from compliance.access import access_or_404
from compliance.duties import lists_io, results_report
from compliance.duties import selectors_lists as sel
from compliance.duties import services_lists as svc
from compliance.duties.forms_lists import (
    AckFilterForm,
    HolderForm,
    PeriodForm,
    PostForm,
    PublishForm,
    SettingsForm,
    SignForm,
    item_lines,
    parse_item_lines,
)
from compliance.duties.models.lists import ListTemplate, PostHolder
from compliance.duties.permissions_lists import (
    ACKNOWLEDGE_DUTY_LIST,
    ASSESS_DUTIES,
    MANAGE_DUTY_LISTS,
    VIEW_DUTY_LISTS,
)
from compliance.imports.views import ImportTemplateView, ImportView
from compliance.pages import ScopedPageMixin, apply_service_errors, filter_query, paginate, valid_filters
from compliance.reports import charts
from tenants import roles
from tenants import selectors as tenant_selectors
from tenants.models import Person


class _ManagerPage(ScopedPageMixin):
    """Lists of other people: not for a login that reads only its own records (a worker)."""

    required_perm = VIEW_DUTY_LISTS

    def dispatch(self, request, *args, **kwargs):
        scope = getattr(request, "scope", None)
        if request.user.is_authenticated and scope is not None and scope.self_only:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def access_template(scope, pk) -> ListTemplate:
    return access_or_404(scope, sel.templates(scope), pk)


def access_holder(scope, pk) -> PostHolder:
    return access_or_404(scope, scope.queryset(PostHolder).select_related("person__org_unit", "post"), pk)


# --- templates -------------------------------------------------------------------------------------------
class ListTemplatesView(_ManagerPage, TemplateView):
    template_name = "duties/lists/template_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            templates=list(sel.templates(self.scope)),
            can_manage=self.scope.has_perm(MANAGE_DUTY_LISTS),
            **kwargs,
        )


class ListTemplateDetailView(_ManagerPage, TemplateView):
    template_name = "duties/lists/template_detail.html"

    def get_context_data(self, **kwargs):
        template = access_template(self.scope, kwargs["pk"])
        adaptations = [t for t in sel.templates(self.scope, post=template.post) if t.base_id == template.pk]
        return super().get_context_data(
            template=template,
            items=sel.version_items(template.current_version),
            versions=sel.template_versions(self.scope, template),
            adaptations=adaptations,
            can_manage=self.scope.has_perm(MANAGE_DUTY_LISTS),
            **kwargs,
        )


class ListPublishView(_ManagerPage, View):
    required_perm = MANAGE_DUTY_LISTS
    template_name = "duties/lists/publish_form.html"

    def _context(self, form, post, unit):
        inherited, own = [], []
        if post is not None and unit is not None:
            template = (
                ListTemplate.objects.filter(post=post, org_unit=unit)
                .select_related("current_version")
                .first()
            )
            base = (
                template.base
                if template is not None and template.base_id
                else sel.base_template_for(tenant_id=post.tenant_id, post=post, org_unit=unit)
            )
            start = svc.adaptation_start_items(template=template, base=base)
            inherited = [i for i in start if i["inherited"]] if base is not None else []
            own = [i for i in start if not (base is not None and i["inherited"])]
        return {"form": form, "inherited": inherited, "own": own}

    def _selected(self, data):
        form = PublishForm(data, scope=self.scope)
        post = unit = None
        try:
            post = form.fields["post"].clean(data.get("post")) if data.get("post") else None
            unit = form.fields["org_unit"].clean(data.get("org_unit")) if data.get("org_unit") else None
        except (ValidationError, Http404):
            post = unit = None
        return form, post, unit

    def get(self, request):
        _form, post, unit = self._selected(request.GET)
        context = self._context(None, post, unit)
        form = PublishForm(
            initial={
                "post": post.pk if post else None,
                "org_unit": unit.pk if unit else None,
                "lines": item_lines(context["own"]),
            },
            scope=self.scope,
        )
        context["form"] = form
        return render(request, self.template_name, context)

    def post(self, request):
        form = PublishForm(request.POST, scope=self.scope)
        if form.is_valid():
            post, unit = form.cleaned_data["post"], form.cleaned_data["org_unit"]
            context = self._context(form, post, unit)
            previous = {i["duty"]: i["key"] for i in context["own"]}
            own = [i | {"key": previous.get(i["duty"])} for i in parse_item_lines(form.cleaned_data["lines"])]
            try:
                version = svc.list_publish(
                    scope=self.scope,
                    post=post,
                    org_unit=unit,
                    items=context["inherited"] + own,
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Version %(n)d published.") % {"n": version.number})
                return redirect("duties:list-template-detail", pk=version.template_id)
            return render(request, self.template_name, context, status=400)
        return render(request, self.template_name, {"form": form, "inherited": [], "own": []}, status=400)


# --- posts and holders --------------------------------------------------------------------------------------
class PostListView(_ManagerPage, View):
    template_name = "duties/lists/post_list.html"

    def _render(self, request, form, status=200):
        return render(
            request,
            self.template_name,
            {
                "posts": list(sel.posts(self.scope)),
                "form": form,
                "can_manage": self.scope.has_perm(MANAGE_DUTY_LISTS),
            },
            status=status,
        )

    def get(self, request):
        return self._render(request, PostForm())

    def post(self, request):
        form = PostForm(request.POST)
        if form.is_valid():
            try:
                svc.duty_post_create(scope=self.scope, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Post added."))
                return redirect("duties:post-list")
        return self._render(request, form, status=400)


class HolderListView(_ManagerPage, View):
    template_name = "duties/lists/holder_list.html"

    def _render(self, request, form, status=200):
        rows = sel.acknowledgement_rows(self.scope)
        return render(
            request,
            self.template_name,
            {
                "page": paginate(request, rows),
                "query": filter_query(request),
                "form": form,
                "can_manage": self.scope.has_perm(MANAGE_DUTY_LISTS),
            },
            status=status,
        )

    def get(self, request):
        return self._render(request, HolderForm(initial={"since": timezone.localdate()}, scope=self.scope))

    def post(self, request):
        form = HolderForm(request.POST, scope=self.scope)
        if form.is_valid():
            person = (
                self.scope.queryset(Person)
                .select_related("org_unit")
                .filter(employee_no=form.cleaned_data["employee_no"].strip())
                .first()
            )
            if person is None:
                form.add_error("employee_no", _("No person with this employee number in your units."))
            else:
                try:
                    svc.post_holder_assign(
                        scope=self.scope,
                        person=person,
                        post=form.cleaned_data["post"],
                        since=form.cleaned_data["since"],
                    )
                except ValidationError as exc:
                    apply_service_errors(form, exc)
                else:
                    messages.success(request, _("Post assigned."))
                    return redirect("duties:holder-list")
        return self._render(request, form, status=400)


# --- signatures -----------------------------------------------------------------------------------------
class AckListView(_ManagerPage, TemplateView):
    """Who has signed the list of their post, who is late: the safety manager's list, with the
    rate per mine (chart and table)."""

    template_name = "duties/lists/ack_list.html"

    def get_context_data(self, **kwargs):
        form = AckFilterForm(self.request.GET or None)
        filters = valid_filters(form)
        unit = tenant_selectors.access_org_unit(self.scope, filters["unit"]) if filters.get("unit") else None
        rows = sel.acknowledgement_rows(self.scope, unit=unit)
        shown = [r for r in rows if r.status == filters["status"]] if filters.get("status") else rows
        return super().get_context_data(
            filter_form=form,
            unit=unit,
            page=paginate(self.request, shown),
            query=filter_query(self.request),
            summary=sel.acknowledgement_rate(rows),
            **kwargs,
        )


def _board(scope):
    rows = sel.acknowledgement_rows(scope)
    cycle = sel.settings_for(scope.tenant_id).assessment_cycle if scope.tenant_id else "monthly"
    today = timezone.localdate()
    start = sel.period_start(today, cycle)
    previous = sel.period_start(start - datetime.timedelta(days=1), cycle)
    assessed = list(sel.assessments(scope).filter(period_start__in=[start, previous]))
    current = [a for a in assessed if a.period_start == start] or [
        a for a in assessed if a.period_start == previous
    ]
    period = current[0].period_start if current else start
    return {
        "summary": sel.acknowledgement_rate(rows),
        "by_mine": sel.rate_by_mine(scope, rows),
        "period": sel.period_label(period, cycle),
        "results": [r for r in sel.results_by_unit(scope, current) if r["unit"].kind == "mine"],
    }


class DashboardView(_ManagerPage, TemplateView):
    """Acknowledgement rate and assessment results per mine: charts with the same figures as tables."""

    template_name = "duties/lists/dashboard.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**_board(self.scope), **kwargs)


@method_decorator(charts.chart_csp, name="get")
class DashboardChartView(_ManagerPage, View):
    """The dashboard's charts as SVG images (``?kind=ack`` or ``?kind=score``)."""

    def get(self, request):
        board = _board(self.scope)
        if request.GET.get("kind") == "score":
            rows = [(r["unit"].name, int(r["average"])) for r in board["results"]]
            svg = charts.count_bar_svg(rows, title=_("Average assessment score per mine"), series=_("Score"))
        else:
            rows = [(r["unit"].name, int(r["rate"] or 0)) for r in board["by_mine"] if r["total"]]
            svg = charts.count_bar_svg(
                rows, title=_("Acknowledgement rate per mine (%)"), series=_("Signed (%)")
            )
        return charts.svg_response(svg)


class MyListsView(ScopedPageMixin, TemplateView):
    """The worker's phone page: the lists of their posts, each item, and the signature."""

    template_name = "duties/lists/my_lists.html"
    required_perm = ACKNOWLEDGE_DUTY_LIST

    def get_context_data(self, **kwargs):
        return super().get_context_data(dues=sel.my_lists(self.scope), form=SignForm(), **kwargs)


class ListSignView(ScopedPageMixin, View):
    required_perm = ACKNOWLEDGE_DUTY_LIST

    def post(self, request, version_id):
        dues = [d for d in sel.my_lists(self.scope) if d.version is not None and d.version.pk == version_id]
        if not dues:
            raise Http404
        form = SignForm(request.POST)
        if form.is_valid():
            try:
                svc.list_acknowledge(
                    scope=self.scope, version=dues[0].version, signed_name=form.cleaned_data["signed_name"]
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Signed. Thank you."))
                return redirect("duties:my-lists")
        return render(
            request,
            "duties/lists/my_lists.html",
            {"dues": sel.my_lists(self.scope), "form": form, "failed_version": version_id},
            status=400,
        )


# --- assessments ---------------------------------------------------------------------------------
class AssessmentListView(_ManagerPage, TemplateView):
    template_name = "duties/lists/assessment_list.html"

    def get_context_data(self, **kwargs):
        form = PeriodForm(self.request.GET or None)
        filters = valid_filters(form)
        settings = sel.settings_for(self.scope.tenant_id) if self.scope.tenant_id else None
        cycle = settings.assessment_cycle if settings else "monthly"
        day = filters.get("period") or timezone.localdate()
        start = sel.period_start(day, cycle)
        unit = tenant_selectors.access_org_unit(self.scope, filters["unit"]) if filters.get("unit") else None
        rows = list(sel.assessments(self.scope, period=start, unit=unit))
        done = {(a.person_id, a.template_id) for a in rows}
        holders = sel.acknowledgement_rows(self.scope, unit=unit)
        pending = [h for h in holders if h.template is not None and (h.person.pk, h.template.pk) not in done]
        return super().get_context_data(
            filter_form=form,
            period=sel.period_label(start, cycle),
            period_day=start,
            rows=rows,
            by_unit=sel.results_by_unit(self.scope, rows),
            # Each mine's PDF is a job: only a scope that may start one sees the button (the
            # start checks the mine again).
            can_print=not self.scope.read_only and self.scope.has_perm(roles.VIEW_JOBS),
            pending=pending[:200],
            pending_count=len(pending),
            can_assess=self.scope.has_perm(ASSESS_DUTIES),
            **kwargs,
        )


class AssessmentCreateView(_ManagerPage, View):
    required_perm = ASSESS_DUTIES
    template_name = "duties/lists/assessment_form.html"

    def _context(self, holder, day, errors=None, values=None):
        due = sel.person_lists(self.scope, holder.person)
        due = next((d for d in due if d.holder.pk == holder.pk), None)
        return {
            "holder": holder,
            "due": due,
            "day": day,
            "errors": errors or [],
            "values": values or {},
        }

    def get(self, request, holder_id):
        holder = access_holder(self.scope, holder_id)
        return render(request, self.template_name, self._context(holder, timezone.localdate()))

    def post(self, request, holder_id):
        holder = access_holder(self.scope, holder_id)
        try:
            day = datetime.date.fromisoformat(request.POST.get("day") or "")
        except ValueError:
            day = timezone.localdate()
        context = self._context(holder, day)
        items = context["due"].items if context["due"] else []
        scores = [
            {
                "item": str(i.pk),
                "score": request.POST.get(f"score-{i.pk}"),
                "comment": request.POST.get(f"comment-{i.pk}", ""),
                "evidence": request.POST.get(f"evidence-{i.pk}", ""),
            }
            for i in items
        ]
        try:
            assessment = svc.duty_assess(
                scope=self.scope,
                holder=holder,
                day=day,
                scores=scores,
                comment=request.POST.get("comment", ""),
            )
        except ValidationError as exc:
            errors = (
                [m for msgs in exc.message_dict.values() for m in msgs]
                if hasattr(exc, "error_dict")
                else exc.messages
            )
            context.update(errors=errors, values=request.POST)
            return render(request, self.template_name, context, status=400)
        messages.success(request, _("Assessment saved."))
        return redirect("duties:assessment-detail", pk=assessment.pk)


class AssessmentDetailView(_ManagerPage, TemplateView):
    template_name = "duties/lists/assessment_detail.html"

    def get_context_data(self, **kwargs):
        assessment = sel.assessment_detail(self.scope, kwargs["pk"])
        return super().get_context_data(
            assessment=assessment,
            period=sel.period_label(assessment.period_start, assessment.cycle),
            **kwargs,
        )


class ListSettingsView(_ManagerPage, View):
    template_name = "duties/lists/settings_form.html"

    def get(self, request):
        settings = sel.settings_for(self.scope.tenant_id) if self.scope.tenant_id else None
        if settings is None:
            raise Http404
        form = SettingsForm(
            initial={
                "assessment_cycle": settings.assessment_cycle,
                "acknowledge_within_days": settings.acknowledge_within_days,
                "pass_score": settings.pass_score,
                "hold_on_failed_assessment": settings.hold_on_failed_assessment,
            }
        )
        return render(
            request, self.template_name, {"form": form, "can_manage": self.scope.has_perm(MANAGE_DUTY_LISTS)}
        )

    def post(self, request):
        if not self.scope.has_perm(MANAGE_DUTY_LISTS):
            raise PermissionDenied
        form = SettingsForm(request.POST)
        if form.is_valid():
            try:
                svc.duty_settings_update(scope=self.scope, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Settings saved."))
                return redirect("duties:list-settings")
        return render(request, self.template_name, {"form": form, "can_manage": True}, status=400)


# --- PDFs -----------------------------------------------------------------------------------------
def _pdf_response(body: bytes, filename: str):
    from django.http import HttpResponse

    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


class PersonListPdfView(ScopedPageMixin, View):
    """A person's lists with their items and signatures (签字确认), printable; a worker their own.
    One person's few lists lay out well under a second: made in the request, unlike a mine's
    results (``results_report``, a job)."""

    required_perm = VIEW_DUTY_LISTS

    def get(self, request, person_id):
        from django.template.loader import render_to_string
        from django.utils import translation

        from compliance.reports import pdf

        person = tenant_selectors.access_person(self.scope, person_id)
        dues = sel.person_lists(self.scope, person)
        with translation.override("zh-hans"):
            html = render_to_string(
                "duties/lists/person_list_pdf.html",
                {"person": person, "dues": dues, "today": timezone.localdate()},
            )
        return _pdf_response(pdf.render_pdf(html), "duty-list.pdf")


class MineResultsPdfView(_ManagerPage, View):
    """Start the PDF of a mine's duty-assessment results for a period (``period``: any day of it)
    as a background job and open its progress page, which offers the file when it is ready
    (``results_report``). POST only: starting a job writes a row."""

    def post(self, request, mine_id):
        mine = tenant_selectors.access_mine(self.scope, mine_id)
        filters = valid_filters(PeriodForm(request.POST))
        job = results_report.results_start(
            scope=self.scope, user=request.user, mine=mine, day=filters.get("period")
        )
        return redirect("job-detail", pk=job.pk)


urlpatterns = [
    path("lists/people/<uuid:person_id>/pdf/", PersonListPdfView.as_view(), name="person-list-pdf"),
    path("lists/mines/<uuid:mine_id>/results/pdf/", MineResultsPdfView.as_view(), name="mine-results-pdf"),
    path("lists/", ListTemplatesView.as_view(), name="list-templates"),
    path("lists/publish/", ListPublishView.as_view(), name="list-publish"),
    path("lists/import/", ImportView.as_view(kind=lists_io.IMPORT_KIND), name="list-import"),
    path(
        "lists/import/template/",
        ImportTemplateView.as_view(kind=lists_io.IMPORT_KIND),
        name="list-import-template",
    ),
    path("lists/posts/", PostListView.as_view(), name="post-list"),
    path("lists/holders/", HolderListView.as_view(), name="holder-list"),
    path("lists/acknowledgements/", AckListView.as_view(), name="ack-list"),
    path("lists/dashboard/", DashboardView.as_view(), name="list-dashboard"),
    path("lists/dashboard/chart.svg", DashboardChartView.as_view(), name="list-dashboard-chart"),
    path("lists/mine/", MyListsView.as_view(), name="my-lists"),
    path("lists/mine/<uuid:version_id>/sign/", ListSignView.as_view(), name="list-sign"),
    path("lists/assessments/", AssessmentListView.as_view(), name="assessment-list"),
    path("lists/assessments/new/<uuid:holder_id>/", AssessmentCreateView.as_view(), name="assessment-create"),
    path("lists/assessments/<uuid:pk>/", AssessmentDetailView.as_view(), name="assessment-detail"),
    path("lists/settings/", ListSettingsView.as_view(), name="list-settings"),
    path("lists/<uuid:pk>/", ListTemplateDetailView.as_view(), name="list-template-detail"),
]
