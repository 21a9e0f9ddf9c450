"""Pages of inspections, spot exams (逢查必考) and the oversight dashboard (培训看板)."""

from __future__ import annotations

import time

import segno
from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from compliance.pages import (
    SAFE_METHODS,
    ScopedChoiceField,
    ScopedPageMixin,
    apply_service_errors,
    filter_query,
    paginate,
    unit_label,
    valid_filters,
)
from compliance.reports import charts
from compliance.training import dashboard, inspections
from compliance.training import permissions as training_perms
from compliance.training.models import Inspection
from tenants import roles, selectors
from tenants.models import OrgUnit
from tenants.scope import activate

# The code-entry page needs no login: wrong codes are limited per browser session and per address.
SESSION_FAILURES_MAX = 5
SESSION_FAILURE_WINDOW = 15 * 60
ADDRESS_FAILURES_MAX = 30
ADDRESS_FAILURE_WINDOW = 60 * 60


class DateInput(forms.DateInput):
    input_type = "date"


def _inspectable_units(scope):
    return [
        (u, unit_label(u))
        for u in selectors.writable_units(
            scope=scope,
            perm=roles.CONDUCT_INSPECTIONS,
            kinds=[OrgUnit.Kind.SUBSIDIARY, OrgUnit.Kind.MINE, OrgUnit.Kind.TEAM],
        )
    ]


class InspectionForm(forms.Form):
    org_unit = ScopedChoiceField(
        label=gettext_lazy("Inspected unit"),
        access=selectors.access_org_unit,
        choices_func=_inspectable_units,
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind of inspection"), choices=Inspection.Kind.choices)
    date = forms.DateField(label=gettext_lazy("Date"), widget=DateInput())
    inspectors = forms.CharField(
        label=gettext_lazy("Inspectors"),
        max_length=300,
        help_text=gettext_lazy("Names, separated by commas."),
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].set_choices(scope)


class InspectionFilterForm(forms.Form):
    unit = forms.UUIDField(required=False, widget=forms.HiddenInput)
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of inspection"),
        choices=[("", gettext_lazy("All kinds"))] + Inspection.Kind.choices,
        required=False,
    )
    date_from = forms.DateField(label=gettext_lazy("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, widget=DateInput())


class _PaperForm(forms.Form):
    paper = forms.ChoiceField(label=gettext_lazy("Spot-exam paper"))

    def __init__(self, *args, inspection, **kwargs):
        super().__init__(*args, **kwargs)
        self.papers = {str(p.pk): p for p in inspections.spot_papers_for(inspection)}
        self.fields["paper"].choices = [
            (pk, f"{p.title} ({p.duration_minutes}′, {p.pass_mark})") for pk, p in self.papers.items()
        ]

    def clean_paper(self):
        return self.papers[self.cleaned_data["paper"]]


class DrawForm(_PaperForm):
    count = forms.IntegerField(
        label=gettext_lazy("How many people"), min_value=1, max_value=inspections.MAX_DRAW, initial=5
    )


class PickForm(_PaperForm):
    people = forms.MultipleChoiceField(
        label=gettext_lazy("People"), widget=forms.CheckboxSelectMultiple, required=True
    )

    def __init__(self, *args, inspection, **kwargs):
        super().__init__(*args, inspection=inspection, **kwargs)
        self.people = {str(p.pk): p for p in inspections.eligible_people(inspection)}
        self.fields["people"].choices = [
            (pk, f"{p.name} · {p.get_post_category_display()} · {p.org_unit.name}")
            for pk, p in self.people.items()
        ]

    def clean_people(self):
        return [self.people[pk] for pk in self.cleaned_data["people"]]


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Six-digit code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
    )
    s = forms.UUIDField(required=False, widget=forms.HiddenInput)


def take_url(attempt) -> str:
    """The exam page of the attempts area (training.views.exams) for this attempt."""
    return reverse("training:exam-take", kwargs={"attempt_id": attempt.pk})


class _NotWorkerMixin(ScopedPageMixin):
    """Inspections and the dashboard name colleagues and whole mines: not for worker logins."""

    def dispatch(self, request, *args, **kwargs):
        scope = getattr(request, "scope", None)
        if request.user.is_authenticated and scope is not None and inspections.worker_only(scope):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


# --- inspections ---------------------------------------------------------------------------------------
class InspectionListView(_NotWorkerMixin, TemplateView):
    template_name = "training/inspection_list.html"
    required_perm = training_perms.VIEW_TRAINING

    def get_context_data(self, **kwargs):
        form = InspectionFilterForm(self.request.GET or None)
        filters = valid_filters(form)
        unit = selectors.access_org_unit(self.scope, filters["unit"]) if filters.get("unit") else None
        qs = inspections.inspection_list(
            scope=self.scope,
            org_unit=unit,
            kind=filters.get("kind", ""),
            date_from=filters.get("date_from"),
            date_to=filters.get("date_to"),
        )
        return super().get_context_data(
            filter_form=form,
            unit=unit,
            page=paginate(self.request, qs),
            query=filter_query(self.request),
            can_conduct=self.scope.has_perm(roles.CONDUCT_INSPECTIONS),
            **kwargs,
        )


class InspectionCreateView(_NotWorkerMixin, View):
    required_perm = roles.CONDUCT_INSPECTIONS
    template_name = "training/inspection_form.html"

    def get(self, request):
        form = InspectionForm(
            initial={"org_unit": request.GET.get("unit"), "date": timezone.localdate()}, scope=self.scope
        )
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        form = InspectionForm(request.POST, scope=self.scope)
        if form.is_valid():
            data = form.cleaned_data
            try:
                inspection = inspections.create_inspection(
                    scope=self.scope,
                    org_unit=data["org_unit"],
                    user=request.user,
                    kind=data["kind"],
                    date=data["date"],
                    inspectors=data["inspectors"],
                    notes=data["notes"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Inspection recorded. Now draw or pick the people to test."))
                return redirect("training:inspection-detail", pk=inspection.pk)
        return render(request, self.template_name, {"form": form}, status=400)


class InspectionDetailView(_NotWorkerMixin, View):
    required_perm = training_perms.VIEW_TRAINING
    template_name = "training/inspection_detail.html"

    def get(self, request, pk, draw_form=None, pick_form=None, status=200):
        inspection = inspections.access_inspection(self.scope, pk)
        can_conduct = inspections.runs_inspection(self.scope, inspection)
        context = {
            "inspection": inspection,
            "checks": list(inspections.spot_checks_of(inspection)),
            "can_conduct": can_conduct,
            "now": timezone.now(),
        }
        if can_conduct:
            context["draw_form"] = draw_form or DrawForm(inspection=inspection)
            context["pick_form"] = pick_form or PickForm(inspection=inspection)
        return render(request, self.template_name, context, status=status)


class _ConductMixin(_NotWorkerMixin):
    required_perm = roles.CONDUCT_INSPECTIONS


class InspectionDrawView(_ConductMixin, View):
    def post(self, request, pk):
        inspection = inspections.access_inspection(self.scope, pk)
        inspections.require_runs(self.scope, inspection)
        form = DrawForm(request.POST, inspection=inspection)
        if form.is_valid():
            try:
                checks = inspections.draw_people(
                    scope=self.scope,
                    inspection=inspection,
                    paper=form.cleaned_data["paper"],
                    count=form.cleaned_data["count"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Drew %(n)s people.") % {"n": len(checks)})
                return redirect("training:inspection-detail", pk=inspection.pk)
        return InspectionDetailView(scope=self.scope).get(request, pk, draw_form=form, status=400)


class InspectionPickView(_ConductMixin, View):
    def post(self, request, pk):
        inspection = inspections.access_inspection(self.scope, pk)
        inspections.require_runs(self.scope, inspection)
        form = PickForm(request.POST, inspection=inspection)
        if form.is_valid():
            try:
                checks = inspections.pick_people(
                    scope=self.scope,
                    inspection=inspection,
                    paper=form.cleaned_data["paper"],
                    people=form.cleaned_data["people"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Added %(n)s people.") % {"n": len(checks)})
                return redirect("training:inspection-detail", pk=inspection.pk)
        return InspectionDetailView(scope=self.scope).get(request, pk, pick_form=form, status=400)


class SpotCodeView(_ConductMixin, View):
    """Issues a one-time code and shows it once, with a QR code to the code-entry page."""

    def post(self, request, pk):
        check = inspections.access_spot_check(self.scope, pk)
        try:
            code = inspections.issue_code(scope=self.scope, spot_check=check)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("training:inspection-detail", pk=check.inspection_id)
        link = request.build_absolute_uri(f"{reverse('training:spot-enter')}?s={check.pk}")
        qr = segno.make(link, error="m").svg_data_uri(scale=5, border=2)
        response = render(
            request,
            "training/spot_code.html",
            {"check": check, "code": code, "link": link, "qr": qr, "expires_at": check.code_expires_at},
        )
        response["Cache-Control"] = "no-store"
        return response


class SpotStartView(_ConductMixin, View):
    """Start the drawn person's exam on this device (the inspector's tablet)."""

    def post(self, request, pk):
        check = inspections.access_spot_check(self.scope, pk)
        try:
            attempt = inspections.start_on_device(scope=self.scope, spot_check=check, user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("training:inspection-detail", pk=check.inspection_id)
        return redirect(take_url(attempt))


def _client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


# Per address, in the shared cache (CACHES: Redis when configured), so that the count holds across
# the processes and servers a guesser's requests are spread over.
def _address_key(address: str) -> str:
    return f"spot-code-fail:{address}"


def address_blocked(address: str) -> bool:
    return cache.get(_address_key(address), 0) >= ADDRESS_FAILURES_MAX


def address_failed(address: str) -> None:
    key = _address_key(address)
    cache.add(key, 0, ADDRESS_FAILURE_WINDOW)
    try:
        cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.set(key, 1, ADDRESS_FAILURE_WINDOW)


class SpotEnterView(View):
    """Public: the drawn person types the one-time code on their own phone (no login)."""

    template_name = "training/spot_enter.html"

    def dispatch(self, request, *args, **kwargs):
        scope = getattr(request, "scope", None)
        if request.method not in SAFE_METHODS and scope is not None and scope.read_only:
            raise PermissionDenied  # a regulator's login never starts anything
        return super().dispatch(request, *args, **kwargs)

    def _render(self, request, form, error=None, status=200):
        return render(request, self.template_name, {"form": form, "error": error}, status=status)

    def get(self, request):
        return self._render(request, CodeForm(initial={"s": request.GET.get("s")}))

    def _recent_failures(self, request) -> list[float]:
        now = time.time()
        return [t for t in request.session.get("spot_code_failures", []) if now - t < SESSION_FAILURE_WINDOW]

    def post(self, request):
        form = CodeForm(request.POST)
        retry = CodeForm(initial={"s": request.POST.get("s")})
        address = _client_address(request)
        failures = self._recent_failures(request)
        if len(failures) >= SESSION_FAILURES_MAX or address_blocked(address):
            error = _("Too many wrong codes. Wait a while, or ask the inspector for help.")
            return self._render(request, retry, error, status=429)
        check = None
        if form.is_valid():
            check = inspections.redeem_code(
                code=form.cleaned_data["code"], spot_check_id=form.cleaned_data["s"]
            )
        if check is None:
            # One message for every failure: it never says whether the code was mistyped, used,
            # expired or voided.
            request.session["spot_code_failures"] = [*failures, time.time()]
            address_failed(address)
            error = _("This code is not valid. It may be mistyped, used or expired.")
            return self._render(request, retry, error, status=400)
        try:
            # Nobody is logged in: the spot exam is started as the person themself.
            with activate(inspections.person_scope(check.person)):
                attempt = inspections.start_spot_attempt(spot_check=check)
        except ValidationError as exc:
            return self._render(request, CodeForm(), " ".join(exc.messages), status=400)
        granted = [a for a in request.session.get("spot_attempts", []) if a != str(attempt.pk)]
        request.session["spot_attempts"] = [*granted, str(attempt.pk)]
        request.session.pop("spot_code_failures", None)
        return redirect(take_url(attempt))


# --- oversight dashboard ------------------------------------------------------------------------------
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
    path("inspections/", InspectionListView.as_view(), name="inspection-list"),
    path("inspections/new/", InspectionCreateView.as_view(), name="inspection-create"),
    path("inspections/<uuid:pk>/", InspectionDetailView.as_view(), name="inspection-detail"),
    path("inspections/<uuid:pk>/draw/", InspectionDrawView.as_view(), name="inspection-draw"),
    path("inspections/<uuid:pk>/pick/", InspectionPickView.as_view(), name="inspection-pick"),
    path("spot-exams/<uuid:pk>/code/", SpotCodeView.as_view(), name="spot-code"),
    path("spot-exams/<uuid:pk>/start/", SpotStartView.as_view(), name="spot-start"),
    path("spot/", SpotEnterView.as_view(), name="spot-enter"),
    path("dashboard/", DashboardView.as_view(), name="dashboard"),
    path("dashboard/chart.svg", DashboardChartView.as_view(), name="dashboard-chart"),
]
