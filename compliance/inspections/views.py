"""Pages of inspections and their spot exams (逢查必考).

Paths stay where users and QR codes know them (/training/inspections/…, /training/spot/); the
URL namespace is "inspections".
"""

from __future__ import annotations

import time

import segno
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from compliance.pages import (
    SAFE_METHODS,
    ScopedPageMixin,
    apply_service_errors,
    filter_query,
    paginate,
    valid_filters,
)
from compliance.training import attempts
from tenants import selectors as tenant_selectors
from tenants.scope import activate

from . import record, selectors, services
from .forms import CodeForm, DrawForm, InspectionFilterForm, InspectionForm, PickForm
from .permissions import CONDUCT_INSPECTIONS, VIEW_INSPECTIONS

# The code-entry page needs no login: wrong codes are limited per browser session and per address.
SESSION_FAILURES_MAX = 5
SESSION_FAILURE_WINDOW = 15 * 60
ADDRESS_FAILURES_MAX = 30
ADDRESS_FAILURE_WINDOW = 60 * 60


def take_url(attempt) -> str:
    """The exam page of the attempts area (training.views.exams) for this attempt."""
    return reverse("training:exam-take", kwargs={"attempt_id": attempt.pk})


class _NotWorkerMixin(ScopedPageMixin):
    """Inspections name colleagues: not for worker logins."""

    def dispatch(self, request, *args, **kwargs):
        scope = getattr(request, "scope", None)
        if request.user.is_authenticated and scope is not None and selectors.worker_only(scope):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


# --- inspections ---------------------------------------------------------------------------------------
class InspectionListView(_NotWorkerMixin, TemplateView):
    template_name = "inspections/inspection_list.html"
    required_perm = VIEW_INSPECTIONS

    def get_context_data(self, **kwargs):
        form = InspectionFilterForm(self.request.GET or None)
        filters = valid_filters(form)
        unit = tenant_selectors.access_org_unit(self.scope, filters["unit"]) if filters.get("unit") else None
        qs = selectors.inspection_list(
            scope=self.scope,
            org_unit=unit,
            kind=filters.get("kind", ""),
            date_from=filters.get("date_from"),
            date_to=filters.get("date_to"),
            failed=bool(filters.get("failed")),
        )
        return super().get_context_data(
            filter_form=form,
            unit=unit,
            page=paginate(self.request, qs),
            query=filter_query(self.request),
            can_conduct=self.scope.has_perm(CONDUCT_INSPECTIONS),
            **kwargs,
        )


class InspectionCreateView(_NotWorkerMixin, View):
    required_perm = CONDUCT_INSPECTIONS
    template_name = "inspections/inspection_form.html"

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
                inspection = services.create_inspection(
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
                return redirect("inspections:inspection-detail", pk=inspection.pk)
        return render(request, self.template_name, {"form": form}, status=400)


class InspectionDetailView(_NotWorkerMixin, View):
    required_perm = VIEW_INSPECTIONS
    template_name = "inspections/inspection_detail.html"

    def get(self, request, pk, draw_form=None, pick_form=None, status=200):
        inspection = selectors.access_inspection(self.scope, pk)
        can_conduct = selectors.runs_inspection(self.scope, inspection)
        context = {
            "inspection": inspection,
            "checks": list(selectors.spot_checks_of(inspection)),
            "can_conduct": can_conduct,
            "can_record": record.can_start_record(self.scope, inspection),
            "now": timezone.now(),
        }
        if can_conduct:
            context["draw_form"] = draw_form or DrawForm(inspection=inspection)
            context["pick_form"] = pick_form or PickForm(inspection=inspection)
        return render(request, self.template_name, context, status=status)


class _ConductMixin(_NotWorkerMixin):
    required_perm = CONDUCT_INSPECTIONS


class InspectionDrawView(_ConductMixin, View):
    def post(self, request, pk):
        inspection = selectors.access_inspection(self.scope, pk)
        selectors.require_runs(self.scope, inspection)
        form = DrawForm(request.POST, inspection=inspection)
        if form.is_valid():
            try:
                checks = services.draw_people(
                    scope=self.scope,
                    inspection=inspection,
                    paper=form.cleaned_data["paper"],
                    count=form.cleaned_data["count"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Drew %(n)s people.") % {"n": len(checks)})
                return redirect("inspections:inspection-detail", pk=inspection.pk)
        return InspectionDetailView(scope=self.scope).get(request, pk, draw_form=form, status=400)


class InspectionPickView(_ConductMixin, View):
    def post(self, request, pk):
        inspection = selectors.access_inspection(self.scope, pk)
        selectors.require_runs(self.scope, inspection)
        form = PickForm(request.POST, inspection=inspection)
        if form.is_valid():
            try:
                checks = services.pick_people(
                    scope=self.scope,
                    inspection=inspection,
                    paper=form.cleaned_data["paper"],
                    people=form.cleaned_data["people"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Added %(n)s people.") % {"n": len(checks)})
                return redirect("inspections:inspection-detail", pk=inspection.pk)
        return InspectionDetailView(scope=self.scope).get(request, pk, pick_form=form, status=400)


class SpotCodeView(_ConductMixin, View):
    """Issues a one-time code and shows it once, with a QR code to the code-entry page."""

    def post(self, request, pk):
        check = selectors.access_spot_check(self.scope, pk)
        try:
            code = services.issue_code(scope=self.scope, spot_check=check)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("inspections:inspection-detail", pk=check.inspection_id)
        link = request.build_absolute_uri(f"{reverse('inspections:spot-enter')}?s={check.pk}")
        qr = segno.make(link, error="m").svg_data_uri(scale=5, border=2)
        response = render(
            request,
            "inspections/spot_code.html",
            {"check": check, "code": code, "link": link, "qr": qr, "expires_at": check.code_expires_at},
        )
        response["Cache-Control"] = "no-store"
        return response


class RetestCodeView(_ConductMixin, View):
    """Issues a one-time re-test code for a suspended person with no login, shown once with a QR
    code to the spot-exam page, where the person types it and sits the re-test."""

    def post(self, request, pk):
        suspension = selectors.access_suspension(self.scope, pk)
        back = request.POST.get("inspection")
        try:
            code = services.issue_retest_code(scope=self.scope, suspension=suspension)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("person-detail", pk=suspension.person_id)
        link = request.build_absolute_uri(reverse("inspections:spot-enter"))
        qr = segno.make(link, error="m").svg_data_uri(scale=5, border=2)
        response = render(
            request,
            "inspections/retest_code.html",
            {
                "suspension": suspension,
                "code": code,
                "link": link,
                "qr": qr,
                "expires_at": suspension.retest_code_expires_at,
                "inspection_id": back if back and selectors.is_uuid(back) else None,
            },
        )
        response["Cache-Control"] = "no-store"
        return response


class SpotStartView(_ConductMixin, View):
    """Start the drawn person's exam on this device (the inspector's tablet)."""

    def post(self, request, pk):
        check = selectors.access_spot_check(self.scope, pk)
        try:
            attempt = services.start_on_device(scope=self.scope, spot_check=check, user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("inspections:inspection-detail", pk=check.inspection_id)
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

    template_name = "inspections/spot_enter.html"

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
        check = retest = None
        if form.is_valid():
            check = services.redeem_code(code=form.cleaned_data["code"], spot_check_id=form.cleaned_data["s"])
            if check is None and not form.cleaned_data["s"]:
                # Not a spot exam's code: a suspended person's re-test code (复考码)?
                retest = services.redeem_retest_code(code=form.cleaned_data["code"])
        if retest is not None:
            try:
                with activate(services.person_scope(retest.person)):
                    attempt = services.start_retest_attempt(suspension=retest)
            except ValidationError as exc:
                return self._render(request, CodeForm(), " ".join(exc.messages), status=400)
            return self._grant(request, attempt)
        if check is None:
            # One message for every failure: it never says whether the code was mistyped, used,
            # expired or voided.
            request.session["spot_code_failures"] = [*failures, time.time()]
            address_failed(address)
            error = _("This code is not valid. It may be mistyped, used or expired.")
            return self._render(request, retry, error, status=400)
        try:
            # Nobody is logged in: the spot exam is started as the person themself.
            with activate(services.person_scope(check.person)):
                attempt = services.start_spot_attempt(spot_check=check)
        except ValidationError as exc:
            return self._render(request, CodeForm(), " ".join(exc.messages), status=400)
        return self._grant(request, attempt)

    @staticmethod
    def _grant(request, attempt):
        granted = [a for a in request.session.get(attempts.SESSION_KEY, []) if a != str(attempt.pk)]
        request.session[attempts.SESSION_KEY] = [*granted, str(attempt.pk)]
        request.session.pop("spot_code_failures", None)
        return redirect(take_url(attempt))


urlpatterns = [
    path("inspections/", InspectionListView.as_view(), name="inspection-list"),
    path("inspections/new/", InspectionCreateView.as_view(), name="inspection-create"),
    path("inspections/<uuid:pk>/", InspectionDetailView.as_view(), name="inspection-detail"),
    path("inspections/<uuid:pk>/draw/", InspectionDrawView.as_view(), name="inspection-draw"),
    path("inspections/<uuid:pk>/pick/", InspectionPickView.as_view(), name="inspection-pick"),
    path("spot-exams/<uuid:pk>/code/", SpotCodeView.as_view(), name="spot-code"),
    path("spot-exams/<uuid:pk>/start/", SpotStartView.as_view(), name="spot-start"),
    path("suspensions/<uuid:pk>/retest-code/", RetestCodeView.as_view(), name="retest-code"),
    path("spot/", SpotEnterView.as_view(), name="spot-enter"),
]
