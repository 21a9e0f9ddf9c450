"""Pages: the mine-manager posts (rosters, appointments, filings) and leaders on shift (coverage,
a mine's month, the pithead notice). Thin: parse, call one service or selector, render."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from compliance.duties import posts_export, selectors, services
from compliance.duties.models import Education, Post, Shift
from compliance.duties.permissions import MANAGE_POSTS, VIEW_POSTS
from compliance.http import no_store
from compliance.pages import ScopedChoiceField, ScopedPageMixin, apply_service_errors, filter_query, paginate
from compliance.reports import charts
from tenants import selectors as tenant_selectors
from tenants.models import Person


class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def _mine_people(mine):
    def choices(scope):
        qs = (
            scope.queryset(Person)
            .filter(org_unit__path__startswith=mine.path)
            .exclude(status=Person.Status.LEFT)
        )
        return [(p, f"{p.name}（{p.employee_no}）") for p in qs.order_by("employee_no")]

    return choices


def _mine_leaders(mine):
    def choices(scope):
        return [
            (a.person, f"{a.person.name}（{a.get_post_display()}）")
            for a in selectors.leader_choices(scope, mine)
        ]

    return choices


class AppointmentForm(forms.Form):
    post = forms.ChoiceField(label=gettext_lazy("Post"), choices=Post.choices)
    person = ScopedChoiceField(label=gettext_lazy("Person"), access=selectors.access_person)
    started_on = forms.DateField(label=gettext_lazy("Appointed on"), widget=DateInput())
    full_time = forms.BooleanField(label=gettext_lazy("Full-time"), required=False, initial=True)
    education = forms.TypedChoiceField(label=gettext_lazy("Education"), choices=Education.choices, coerce=int)
    mining_field = forms.BooleanField(label=gettext_lazy("Education in a mining field"), required=False)
    years_experience = forms.IntegerField(label=gettext_lazy("Years of mine work"), min_value=0, max_value=60)
    assessment_passed_on = forms.DateField(
        label=gettext_lazy("Statutory assessment passed on"), required=False, widget=DateInput()
    )

    def __init__(self, *args, scope, mine, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices_func = _mine_people(mine)
        self.fields["person"].set_choices(scope)


class DepartureForm(forms.Form):
    ended_on = forms.DateField(label=gettext_lazy("Left on"), widget=DateInput())
    reason = forms.CharField(label=gettext_lazy("Reason for leaving"), max_length=200, required=False)


class FilingForm(forms.Form):
    filed_on = forms.DateField(label=gettext_lazy("Filed on"), widget=DateInput())
    reference = forms.CharField(label=gettext_lazy("Filing reference"), max_length=100, required=False)


class PlanForm(forms.Form):
    on_date = forms.DateField(label=gettext_lazy("Date"), widget=DateInput())
    shift = forms.TypedChoiceField(label=gettext_lazy("Shift"), choices=Shift.choices, coerce=int)
    leader = ScopedChoiceField(label=gettext_lazy("Leader"), access=selectors.access_person)

    def __init__(self, *args, scope, mine, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leader"].choices_func = _mine_leaders(mine)
        self.fields["leader"].set_choices(scope)


class RecordForm(forms.Form):
    on_date = forms.DateField(label=gettext_lazy("Date"), widget=DateInput())
    shift = forms.TypedChoiceField(label=gettext_lazy("Shift"), choices=Shift.choices, coerce=int)
    crew_down_at = forms.DateTimeField(label=gettext_lazy("Crew went down at"), widget=DateTimeInput())
    crew_up_at = forms.DateTimeField(label=gettext_lazy("Crew came up at"), widget=DateTimeInput())
    leader = ScopedChoiceField(label=gettext_lazy("Leader"), access=selectors.access_person, required=False)
    leader_down_at = forms.DateTimeField(
        label=gettext_lazy("Leader went down at"), widget=DateTimeInput(), required=False
    )
    leader_up_at = forms.DateTimeField(
        label=gettext_lazy("Leader came up at"), widget=DateTimeInput(), required=False
    )

    def __init__(self, *args, scope, mine, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leader"].choices_func = _mine_leaders(mine)
        self.fields["leader"].set_choices(scope)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Personnel-location export (.xlsx or .csv)"),
        help_text=gettext_lazy(
            "Columns: 日期, 班次, 人员下井时间, 人员升井时间, 带班领导工号, 领导下井时间, 领导升井时间."
        ),
    )


def _month(request) -> tuple[int, int]:
    today = timezone.localdate()
    try:
        year, month = (int(x) for x in request.GET.get("month", "").split("-"))
        datetime.date(year, month, 1)
        if not 2000 <= year <= 2100:
            raise ValueError
    except (ValueError, TypeError):
        year, month = today.year, today.month
    return year, month


def _unit(scope, request):
    pk = request.GET.get("unit")
    return tenant_selectors.access_org_unit(scope, pk) if pk else None


# --- rosters ------------------------------------------------------------------------------------------
class RosterListView(ScopedPageMixin, TemplateView):
    """Every mine in scope with its holders of the five posts, vacancies and warnings (the
    regulator's roster list too)."""

    template_name = "duties/posts/roster_list.html"
    required_perm = VIEW_POSTS

    def get_context_data(self, **kwargs):
        unit = _unit(self.scope, self.request)
        today = timezone.localdate()
        if self.request.GET.get("vacant"):
            # Mines with a vacancy: filtered before paging, so the pager counts what the home
            # page's to-do counts (the rosters of all mines in scope: a constant number of queries).
            mine_list = list(selectors.mines(self.scope, unit=unit))
            all_rows = selectors.rosters(self.scope, mine_list, today=today)
            page = paginate(self.request, [r for r in all_rows if r.vacancies])
            rows = list(page)
        else:
            page = paginate(self.request, selectors.mines(self.scope, unit=unit))
            rows = selectors.rosters(self.scope, list(page), today=today)
        return super().get_context_data(
            page=page,
            rows=rows,
            unit=unit,
            posts=[(p, Post(p).label) for p in selectors.FIVE_POSTS],
            query=filter_query(self.request),
            **kwargs,
        )


class RosterExportView(ScopedPageMixin, View):
    """The roster list as an Excel workbook: every mine in scope (under the page's unit) × its
    posts, in a constant number of queries."""

    required_perm = VIEW_POSTS

    def get(self, request):
        today = timezone.localdate()
        lines = selectors.roster_lines(self.scope, unit=_unit(self.scope, request), today=today)
        response = HttpResponse(posts_export.roster_xlsx(lines, today=today), content_type=posts_export.XLSX)
        response["Content-Disposition"] = 'attachment; filename="mine-manager-posts.xlsx"'
        return no_store(response)


class MineRosterView(ScopedPageMixin, TemplateView):
    template_name = "duties/posts/mine_roster.html"
    required_perm = VIEW_POSTS

    def get_context_data(self, **kwargs):
        mine = selectors.access_mine(self.scope, kwargs["pk"])
        today = timezone.localdate()
        [roster] = selectors.rosters(self.scope, [mine], today=today)
        holders = [(p, Post(p).label, roster.holders.get(p)) for p in roster.required]
        extra = [(p, Post(p).label, a) for p, a in roster.holders.items() if p not in roster.required]
        return super().get_context_data(
            mine=mine,
            roster=roster,
            holders=holders + extra,
            history=selectors.appointments(self.scope, mine=mine, current=False).order_by("-ended_on")[:50],
            filings=selectors.filings(self.scope, mine=mine)[:50],
            today=today,
            can_manage=self.scope.has_perm(MANAGE_POSTS, mine.path, mine.tenant_id),
            **kwargs,
        )


class AppointmentCreateView(ScopedPageMixin, TemplateView):
    template_name = "duties/posts/appointment_form.html"
    required_perm = MANAGE_POSTS

    def _mine(self):
        return selectors.access_mine(self.scope, self.kwargs["pk"])

    def get(self, request, *args, **kwargs):
        mine = self._mine()
        form = AppointmentForm(scope=self.scope, mine=mine, initial={"post": request.GET.get("post", "")})
        return self.render_to_response({"form": form, "mine": mine})

    def post(self, request, *args, **kwargs):
        mine = self._mine()
        form = AppointmentForm(request.POST, scope=self.scope, mine=mine)
        if form.is_valid():
            try:
                services.appointment_create(scope=self.scope, mine=mine, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Appointed; the filing is due as shown."))
                return redirect("duties:mine-roster", pk=mine.pk)
        return self.render_to_response({"form": form, "mine": mine}, status=400)


class AppointmentDetailView(ScopedPageMixin, TemplateView):
    template_name = "duties/posts/appointment_detail.html"
    required_perm = VIEW_POSTS

    def get_context_data(self, **kwargs):
        appt = selectors.access_appointment(self.scope, kwargs["pk"])
        return super().get_context_data(
            appt=appt,
            filings=list(appt.filings.all()),
            form=kwargs.get("form") or DepartureForm(),
            today=timezone.localdate(),
            can_manage=self.scope.has_perm(MANAGE_POSTS, appt.mine.path, appt.tenant_id),
        )


class AppointmentEndView(ScopedPageMixin, View):
    required_perm = MANAGE_POSTS

    def post(self, request, pk):
        appt = selectors.access_appointment(self.scope, pk)
        form = DepartureForm(request.POST)
        if form.is_valid():
            try:
                services.appointment_end(
                    scope=self.scope,
                    appointment=appt,
                    ended_on=form.cleaned_data["ended_on"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Departure recorded; the filing is due as shown."))
                return redirect("duties:mine-roster", pk=appt.mine_id)
        view = AppointmentDetailView(request=request, kwargs={"pk": pk})
        view.scope = self.scope
        return view.render_to_response(view.get_context_data(pk=pk, form=form), status=400)


class FilingListView(ScopedPageMixin, TemplateView):
    template_name = "duties/posts/filing_list.html"
    required_perm = VIEW_POSTS

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        mine = (
            selectors.access_mine(self.scope, self.request.GET["mine"])
            if self.request.GET.get("mine")
            else None
        )
        late = True if self.request.GET.get("late") else None
        qs = selectors.filings(self.scope, mine=mine, late=late, today=today)
        return super().get_context_data(
            page=paginate(self.request, qs),
            today=today,
            mine=mine,
            late=late,
            query=filter_query(self.request),
            can_manage=self.scope.has_perm(MANAGE_POSTS),
            form=FilingForm(initial={"filed_on": today}),
        )


class FilingRecordView(ScopedPageMixin, View):
    required_perm = MANAGE_POSTS

    def post(self, request, pk):
        filing = selectors.access_filing(self.scope, pk)
        form = FilingForm(request.POST)
        if form.is_valid():
            try:
                services.filing_record(scope=self.scope, filing=filing, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
        if form.errors:
            for field, errors in form.errors.items():
                for error in errors:
                    messages.error(
                        request, f"{form.fields[field].label if field in form.fields else ''} {error}"
                    )
        else:
            messages.success(request, _("Filing recorded."))
        return redirect(reverse("duties:filing-list") + f"?mine={filing.mine_id}")


# --- dashboards ---------------------------------------------------------------------------------------
class DashboardView(ScopedPageMixin, TemplateView):
    """Vacancies and shift coverage per mine: a chart and the same figures as a table."""

    template_name = "duties/posts/dashboard.html"
    required_perm = VIEW_POSTS

    def get_context_data(self, **kwargs):
        unit = _unit(self.scope, self.request)
        year, month = _month(self.request)
        first, last = selectors.month_bounds(year, month)
        page = paginate(self.request, selectors.mines(self.scope, unit=unit))
        mine_list = list(page)
        rosters = {r.mine.pk: r for r in selectors.rosters(self.scope, mine_list, today=timezone.localdate())}
        cover = selectors.coverage(self.scope, mine_list, first=first, last=last)
        rows = [(c, rosters[c.mine.pk]) for c in cover]
        return super().get_context_data(
            rows=rows,
            page=page,
            unit=unit,
            month=f"{year:04d}-{month:02d}",
            query=filter_query(self.request),
        )


@method_decorator(charts.chart_csp, name="get")
class DashboardChartView(ScopedPageMixin, View):
    required_perm = VIEW_POSTS

    def get(self, request):
        unit = _unit(self.scope, request)
        page = paginate(request, selectors.mines(self.scope, unit=unit))
        mine_list = list(page)
        rosters = selectors.rosters(self.scope, mine_list, today=timezone.localdate())
        svg = charts.count_bar_svg(
            [(r.mine.name, len(r.vacancies)) for r in rosters],
            title=_("Vacant posts per mine"),
            series=_("Vacant posts"),
        )
        return charts.svg_response(svg)


# --- shifts -------------------------------------------------------------------------------------------
class CoverageView(ScopedPageMixin, TemplateView):
    """Shift coverage per mine for a month (the province-scale page of the benchmark)."""

    template_name = "duties/posts/coverage.html"
    required_perm = VIEW_POSTS

    def get_context_data(self, **kwargs):
        unit = _unit(self.scope, self.request)
        year, month = _month(self.request)
        first, last = selectors.month_bounds(year, month)
        page = paginate(self.request, selectors.mines(self.scope, unit=unit))
        return super().get_context_data(
            rows=selectors.coverage(self.scope, list(page), first=first, last=last),
            page=page,
            unit=unit,
            month=f"{year:04d}-{month:02d}",
            query=filter_query(self.request),
        )


class MineShiftsView(ScopedPageMixin, TemplateView):
    template_name = "duties/posts/mine_shifts.html"
    required_perm = VIEW_POSTS

    def get_context_data(self, **kwargs):
        mine = kwargs.get("mine") or selectors.access_mine(self.scope, kwargs["pk"])
        year, month = _month(self.request)
        first, last = selectors.month_bounds(year, month)
        today = timezone.localdate()
        plans = {
            (p.on_date, p.shift): p
            for p in selectors.shift_plans(self.scope, mine=mine, first=first, last=last)
        }
        records = {
            (r.on_date, r.shift): r
            for r in selectors.shift_records(self.scope, mine=mine, first=first, last=last)
        }
        days = []
        day = first
        while day <= last:
            days.append((day, [(s, plans.get((day, s)), records.get((day, s))) for s in Shift.values]))
            day += datetime.timedelta(days=1)
        can_manage = self.scope.has_perm(MANAGE_POSTS, mine.path, mine.tenant_id)
        return super().get_context_data(
            mine=mine,
            month=f"{year:04d}-{month:02d}",
            days=days,
            leaders=selectors.leader_months(self.scope, mine, year=year, month=month, today=today),
            coverage=selectors.coverage(self.scope, [mine], first=first, last=last)[0],
            can_manage=can_manage,
            plan_form=kwargs.get("plan_form")
            or (PlanForm(scope=self.scope, mine=mine) if can_manage else None),
            record_form=kwargs.get("record_form")
            or (RecordForm(scope=self.scope, mine=mine) if can_manage else None),
            import_form=kwargs.get("import_form") or (ImportForm() if can_manage else None),
            import_errors=kwargs.get("import_errors"),
        )


class _MineWriteView(ScopedPageMixin, View):
    """A write on one mine's shifts from the month page; errors show on that page (400)."""

    required_perm = MANAGE_POSTS

    def _mine(self):
        return selectors.access_mine(self.scope, self.kwargs["pk"])

    def _again(self, mine, status=400, **forms_):
        view = MineShiftsView(request=self.request, kwargs={"pk": mine.pk})
        view.scope = self.scope
        return view.render_to_response(view.get_context_data(pk=mine.pk, mine=mine, **forms_), status=status)

    def _back(self, mine, day):
        return redirect(reverse("duties:mine-shifts", kwargs={"pk": mine.pk}) + f"?month={day:%Y-%m}")


class PlanSetView(_MineWriteView):
    def post(self, request, pk):
        mine = self._mine()
        form = PlanForm(request.POST, scope=self.scope, mine=mine)
        if form.is_valid():
            try:
                services.shift_plan_set(scope=self.scope, mine=mine, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                return self._back(mine, form.cleaned_data["on_date"])
        return self._again(mine, plan_form=form)


class RecordSaveView(_MineWriteView):
    def post(self, request, pk):
        mine = self._mine()
        form = RecordForm(request.POST, scope=self.scope, mine=mine)
        if form.is_valid():
            try:
                services.shift_record_save(scope=self.scope, mine=mine, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                return self._back(mine, form.cleaned_data["on_date"])
        return self._again(mine, record_form=form)


class ShiftImportView(_MineWriteView):
    def post(self, request, pk):
        mine = self._mine()
        form = ImportForm(request.POST, request.FILES)
        errors = []
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if upload.size > 5 * 1024 * 1024:
                    raise ValidationError({"file": [_("The file is larger than 5 MB.")]})
                rows = services.shift_records_parse(
                    scope=self.scope, mine=mine, content=upload.read(), filename=upload.name
                )
                records = services.shift_records_import(scope=self.scope, mine=mine, rows=rows)
            except ValidationError as exc:
                errors = exc.message_dict.get("rows", [])
                for message in exc.message_dict.get("file", []):
                    form.add_error("file", message)
            else:
                messages.success(request, _("%(n)d shift records imported.") % {"n": len(records)})
                return self._back(mine, records[0].on_date)
        return self._again(mine, import_form=form, import_errors=errors)


class PitheadNoticeView(ScopedPageMixin, TemplateView):
    """带班领导公示: today's and tomorrow's leaders by shift and the month's plan, large type, for
    printing or a wall screen at the pithead (refreshes itself)."""

    template_name = "duties/posts/pithead_notice.html"
    required_perm = VIEW_POSTS

    def get_context_data(self, **kwargs):
        mine = selectors.access_mine(self.scope, kwargs["pk"])
        today = timezone.localdate()
        year, month = _month(self.request)
        first, last = selectors.month_bounds(year, month)
        plans = list(
            selectors.shift_plans(self.scope, mine=mine, first=min(first, today), last=max(last, today))
        )
        by_day: dict = {}
        for plan in plans:
            by_day.setdefault(plan.on_date, {})[plan.shift] = plan.leader
        tomorrow = today + datetime.timedelta(days=1)
        month_days = []
        day = first
        while day <= last:
            month_days.append((day, [by_day.get(day, {}).get(s) for s in Shift.values]))
            day += datetime.timedelta(days=1)
        return super().get_context_data(
            mine=mine,
            today=today,
            shifts=Shift.choices,
            today_leaders=[(label, by_day.get(today, {}).get(s)) for s, label in Shift.choices],
            tomorrow=tomorrow,
            tomorrow_leaders=[(label, by_day.get(tomorrow, {}).get(s)) for s, label in Shift.choices],
            month_days=month_days,
            month=f"{year:04d}-{month:02d}",
            wall=bool(self.request.GET.get("wall")),
        )


urlpatterns = [
    path("posts/", RosterListView.as_view(), name="post-roster"),
    path("posts/export/", RosterExportView.as_view(), name="post-roster-export"),
    path("posts/dashboard/", DashboardView.as_view(), name="posts-dashboard"),
    path("posts/dashboard/chart.svg", DashboardChartView.as_view(), name="posts-dashboard-chart"),
    path("posts/mine/<uuid:pk>/", MineRosterView.as_view(), name="mine-roster"),
    path("posts/mine/<uuid:pk>/appoint/", AppointmentCreateView.as_view(), name="appointment-create"),
    path("posts/appointments/<uuid:pk>/", AppointmentDetailView.as_view(), name="appointment-detail"),
    path("posts/appointments/<uuid:pk>/end/", AppointmentEndView.as_view(), name="appointment-end"),
    path("posts/filings/", FilingListView.as_view(), name="filing-list"),
    path("posts/filings/<uuid:pk>/file/", FilingRecordView.as_view(), name="filing-record"),
    path("shifts/", CoverageView.as_view(), name="shift-coverage"),
    path("shifts/mine/<uuid:pk>/", MineShiftsView.as_view(), name="mine-shifts"),
    path("shifts/mine/<uuid:pk>/plan/", PlanSetView.as_view(), name="shift-plan-set"),
    path("shifts/mine/<uuid:pk>/record/", RecordSaveView.as_view(), name="shift-record-save"),
    path("shifts/mine/<uuid:pk>/import/", ShiftImportView.as_view(), name="shift-import"),
    path("shifts/mine/<uuid:pk>/notice/", PitheadNoticeView.as_view(), name="pithead-notice"),
]
