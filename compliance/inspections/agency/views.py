"""Pages of agency-owned records, mounted under /agency/ (namespace "agency"): a regulator's
inspections with their findings and its supervision listings (挂牌督办) — written by the agency,
read by the mine's group. A regulator's writes here are not refused by its read-only scope
(``agency_records``); the services write agency-owned rows only."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from compliance.inspections import selectors as inspection_selectors
from compliance.inspections.hazards import selectors as hazard_selectors
from compliance.inspections.hazards.permissions import VIEW_HAZARDS
from compliance.pages import ScopedPageMixin, apply_service_errors, filter_query, paginate, valid_filters
from tenants import selectors as tenant_selectors

from . import selectors, services
from .forms import (
    CloseListingForm,
    FindingForm,
    InspectionFilterForm,
    InspectionForm,
    ListingFilterForm,
    ListingForm,
    SpotDrawForm,
)


class _AgencyPage(ScopedPageMixin):
    """Read by the agency and by the mine's group (not a worker: these name whole mines)."""

    required_perm = VIEW_HAZARDS
    agency_records = True

    def dispatch(self, request, *args, **kwargs):
        scope = getattr(request, "scope", None)
        if request.user.is_authenticated and scope is not None and inspection_selectors.worker_only(scope):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def require_keeper(self):
        if not selectors.keeps_records(self.scope):
            raise PermissionDenied


# --- inspections ----------------------------------------------------------------------------------
class InspectionListView(_AgencyPage, TemplateView):
    template_name = "inspections/agency/inspection_list.html"

    def get_context_data(self, **kwargs):
        form = InspectionFilterForm(self.request.GET or None)
        f = valid_filters(form)
        mine = tenant_selectors.access_mine(self.scope, f["mine"]) if f.get("mine") else None
        qs = selectors.inspection_list(
            scope=self.scope,
            mine=mine,
            kind=f.get("kind", ""),
            inspected_from=f.get("inspected_from"),
            inspected_to=f.get("inspected_to"),
        )
        return super().get_context_data(
            filter_form=form,
            mine=mine,
            page=paginate(self.request, qs),
            query=filter_query(self.request),
            keeper=selectors.keeps_records(self.scope),
            **kwargs,
        )


class InspectionCreateView(_AgencyPage, View):
    template_name = "inspections/agency/inspection_form.html"

    def get(self, request):
        self.require_keeper()
        form = InspectionForm(
            initial={"mine": request.GET.get("mine"), "inspected_on": timezone.localdate()}, scope=self.scope
        )
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        self.require_keeper()
        form = InspectionForm(request.POST, scope=self.scope)
        if form.is_valid():
            d = form.cleaned_data
            try:
                inspection = services.inspection_record(scope=self.scope, user=request.user, **d)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Inspection recorded."))
                return redirect("agency:inspection-detail", pk=inspection.pk)
        return render(request, self.template_name, {"form": form}, status=400)


class InspectionDetailView(_AgencyPage, View):
    template_name = "inspections/agency/inspection_detail.html"

    def _page(self, request, inspection, form=None, draw_form=None, status=200):
        keeper = selectors.keeps_records(self.scope)
        rows = selectors.findings_of(inspection)
        context = {
            "inspection": inspection,
            "findings": rows,
            "spot_checks": list(selectors.spot_checks_of(inspection)),
            "keeper": keeper,
            "can_register": not keeper
            and any(selectors.can_register(self.scope, f) for f in rows if f.registered_hazard is None),
            "form": form or (FindingForm(scope=self.scope) if keeper else None),
            "draw_form": draw_form or (SpotDrawForm(inspection=inspection) if keeper else None),
            "now": timezone.now(),
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request, pk):
        return self._page(request, selectors.access_inspection(self.scope, pk))

    def post(self, request, pk):
        self.require_keeper()
        inspection = selectors.access_inspection(self.scope, pk)
        form = FindingForm(request.POST, scope=self.scope)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.finding_add(
                    scope=self.scope,
                    inspection=inspection,
                    kind=d["kind"],
                    text=d["text"],
                    location=d.get("location", ""),
                    grade=d.get("grade", ""),
                    criterion=d.get("criterion"),
                    deadline=d.get("deadline"),
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Finding recorded."))
                return redirect("agency:inspection-detail", pk=inspection.pk)
        return self._page(request, inspection, form, status=400)


class SpotDrawView(_AgencyPage, View):
    """逢查必考 by the regulator: draw people on post at the mine to sit a spot exam there."""

    def post(self, request, pk):
        self.require_keeper()
        inspection = selectors.access_inspection(self.scope, pk)
        form = SpotDrawForm(request.POST, inspection=inspection)
        if form.is_valid():
            try:
                checks = services.spot_draw(
                    scope=self.scope,
                    inspection=inspection,
                    paper=form.cleaned_data["paper"],
                    count=form.cleaned_data["count"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Drew %(n)s people.") % {"n": len(checks)})
                return redirect("agency:inspection-detail", pk=inspection.pk)
        return InspectionDetailView(scope=self.scope)._page(request, inspection, draw_form=form, status=400)


class SpotCodeView(_AgencyPage, View):
    """Issues the drawn person's one-time code and shows it once, with a QR code to the public
    spot-exam page (the same page as the group's own spot exams)."""

    def post(self, request, pk):
        self.require_keeper()
        check = selectors.access_spot_check(self.scope, pk)
        try:
            code = services.spot_code_issue(scope=self.scope, spot_check=check)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("agency:inspection-detail", pk=check.inspection_id)
        link = request.build_absolute_uri(f"{reverse('inspections:spot-enter')}?s={check.pk}")
        context = {
            "check": check,
            "code": code,
            "link": link,
            "qr": segno.make(link, error="m").svg_data_uri(scale=5, border=2),
            "expires_at": check.code_expires_at,
            "back": reverse("agency:inspection-detail", args=[check.inspection_id]),
        }
        response = render(request, "inspections/spot_code.html", context)
        response["Cache-Control"] = "no-store"
        return response


class FindingRegisterView(_AgencyPage, View):
    """The mine's manager registers the agency's hazard finding into the mine's register."""

    def post(self, request, pk):
        finding = selectors.access_finding(self.scope, pk)
        if not selectors.can_register(self.scope, finding):
            raise PermissionDenied
        try:
            hazard = services.finding_register(scope=self.scope, finding=finding, user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("agency:inspection-detail", pk=finding.inspection_id)
        messages.success(request, _("Hazard %(number)s registered.") % {"number": hazard.number})
        return redirect("hazards:hazard-detail", pk=hazard.pk)


# --- supervision listings (挂牌督办) ------------------------------------------------------------------
class ListingListView(_AgencyPage, TemplateView):
    template_name = "inspections/agency/listing_list.html"

    def get_context_data(self, **kwargs):
        form = ListingFilterForm(self.request.GET or None)
        f = valid_filters(form)
        mine = tenant_selectors.access_mine(self.scope, f["mine"]) if f.get("mine") else None
        qs = selectors.listing_list(
            scope=self.scope, status=f.get("status", ""), mine=mine, overdue=bool(f.get("overdue"))
        )
        return super().get_context_data(
            filter_form=form,
            mine=mine,
            page=paginate(self.request, qs),
            query=filter_query(self.request),
            today=timezone.localdate(),
            **kwargs,
        )


class ListingCreateView(_AgencyPage, View):
    """List a major hazard of the region's register (``?hazard=<id>``) for supervision."""

    template_name = "inspections/agency/listing_form.html"

    def _hazard(self, request):
        self.require_keeper()
        return hazard_selectors.access_hazard(
            self.scope, request.GET.get("hazard") or request.POST.get("hazard")
        )

    def get(self, request):
        hazard = self._hazard(request)
        form = ListingForm(initial={"listed_on": timezone.localdate()})
        return render(request, self.template_name, {"form": form, "hazard": hazard})

    def post(self, request):
        hazard = self._hazard(request)
        form = ListingForm(request.POST)
        if form.is_valid():
            try:
                listing = services.supervision_list(
                    scope=self.scope, hazard=hazard, user=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("The hazard is listed for supervision."))
                return redirect("agency:listing-detail", pk=listing.pk)
        return render(request, self.template_name, {"form": form, "hazard": hazard}, status=400)


class ListingDetailView(_AgencyPage, View):
    template_name = "inspections/agency/listing_detail.html"

    def _page(self, request, listing, form=None, status=200):
        keeper = selectors.keeps_records(self.scope)
        context = {
            "listing": listing,
            "keeper": keeper,
            "form": form or (CloseListingForm() if keeper and listing.status == "listed" else None),
            "today": timezone.localdate(),
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request, pk):
        return self._page(request, selectors.access_listing(self.scope, pk))

    def post(self, request, pk):
        self.require_keeper()
        listing = selectors.access_listing(self.scope, pk)
        form = CloseListingForm(request.POST)
        if form.is_valid():
            try:
                services.supervision_close(
                    scope=self.scope, listing=listing, user=request.user, note=form.cleaned_data["note"]
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("The listing is closed."))
                return redirect("agency:listing-detail", pk=listing.pk)
        return self._page(request, listing, form, status=400)


urlpatterns = [
    path("inspections/", InspectionListView.as_view(), name="inspection-list"),
    path("inspections/new/", InspectionCreateView.as_view(), name="inspection-create"),
    path("inspections/<uuid:pk>/", InspectionDetailView.as_view(), name="inspection-detail"),
    path("inspections/<uuid:pk>/spot-draw/", SpotDrawView.as_view(), name="spot-draw"),
    path("spot-exams/<uuid:pk>/code/", SpotCodeView.as_view(), name="spot-code"),
    path("findings/<uuid:pk>/register/", FindingRegisterView.as_view(), name="finding-register"),
    path("supervision/", ListingListView.as_view(), name="listing-list"),
    path("supervision/new/", ListingCreateView.as_view(), name="listing-create"),
    path("supervision/<uuid:pk>/", ListingDetailView.as_view(), name="listing-detail"),
]
