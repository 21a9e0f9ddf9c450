"""Grade certificate pages: the list (filters, Excel export), a certificate with its history, and
the form that records an event on it (REVIEW_GRADING: downgrade, failed spot check, revocation,
re-check, lapse)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from compliance.grading import grades, production
from compliance.grading import permissions as grading_perms
from compliance.grading.models import GradeCertificate, GradeEvent, Level
from compliance.http import no_store
from compliance.pages import (
    ScopedChoiceField,
    ScopedPageMixin,
    apply_service_errors,
    filter_query,
    paginate,
    valid_filters,
)
from tenants import selectors

from .dashboard import oversight_units


class DateInput(forms.DateInput):
    input_type = "date"


class CertificateFilterForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Certificate number or mine"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Certificate number or mine")}),
    )
    level = forms.TypedChoiceField(
        label=gettext_lazy("Level"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", gettext_lazy("Any level")), *Level.choices],
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("Any status")), *GradeCertificate.Status.choices],
    )
    unit = ScopedChoiceField(
        label=gettext_lazy("Group or subsidiary"),
        access=selectors.access_org_unit,
        choices_func=oversight_units,
        required=False,
    )


class EventForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("What happened"),
        choices=[("", "—"), *[(k.value, k.label) for k in grades.MANUAL_KINDS]],
    )
    occurred_on = forms.DateField(label=gettext_lazy("Date"), widget=DateInput)
    to_level = forms.TypedChoiceField(
        label=gettext_lazy("New level"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—"), *Level.choices],
        help_text=gettext_lazy(
            "For a downgrade only. A failed spot check takes the level its score reaches."
        ),
    )
    check_score = forms.DecimalField(
        label=gettext_lazy("Check score"),
        required=False,
        min_value=0,
        max_value=100,
        decimal_places=2,
        help_text=gettext_lazy("For a failed spot check (required) or a re-check."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )


class CertificateListView(ScopedPageMixin, View):
    template_name = "grading/grades/certificate_list.html"
    required_perm = grading_perms.VIEW_GRADING

    def get(self, request):
        form = CertificateFilterForm(request.GET or None)
        form.fields["unit"].set_choices(self.scope)
        filters = valid_filters(form)
        qs = grades.certificate_list(
            scope=self.scope,
            unit=filters.get("unit"),
            level=filters.get("level"),
            status=filters.get("status", ""),
            search=filters.get("q", ""),
        )
        if request.GET.get("export") == "xlsx":
            response = HttpResponse(
                grades.certificates_xlsx(qs[: grades.EXPORT_MAX_ROWS]), content_type=grades.XLSX
            )
            response["Content-Disposition"] = 'attachment; filename="grade-certificates.xlsx"'
            return no_store(response)
        page = paginate(request, qs)
        return render(
            request,
            self.template_name,
            {"filter_form": form, "page": page, "query": filter_query(request, drop=("page", "export"))},
        )


class CertificateDetailView(ScopedPageMixin, View):
    template_name = "grading/grades/certificate_detail.html"
    required_perm = grading_perms.VIEW_GRADING

    def get(self, request, pk, form=None, status=200):
        cert = grades.access_certificate(self.scope, pk)
        can_review = (
            self.scope.has_perm(grading_perms.REVIEW_GRADING, cert.mine.path, cert.tenant_id)
            and cert.status == GradeCertificate.Status.VALID
        )
        context = {
            "cert": cert,
            "events": grades.certificate_events(cert),
            "mine_status": production.mine_status(cert.mine, scope=self.scope),
            "can_review": can_review,
            "event_form": form or EventForm(),
        }
        return render(request, self.template_name, context, status=status)


class CertificateEventView(CertificateDetailView):
    required_perm = grading_perms.REVIEW_GRADING

    def get(self, request, pk, form=None, status=200):
        if form is None:  # the event form lives on the detail page
            grades.access_certificate(self.scope, pk)
            return redirect("grading:certificate-detail", pk=pk)
        return super().get(request, pk, form=form, status=status)

    def post(self, request, pk):
        cert = grades.access_certificate(self.scope, pk)
        form = EventForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                event = grades.record_manual_event(
                    scope=self.scope, certificate=cert, kind=data["kind"], actor=request.user, data=data
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Recorded: %(event)s on certificate %(number)s.")
                    % {"event": GradeEvent.Kind(event.kind).label, "number": cert.number},
                )
                return redirect("grading:certificate-detail", pk=cert.pk)
        return self.get(request, pk, form=form, status=400)


urlpatterns = [
    path("certificates/", CertificateListView.as_view(), name="certificate-list"),
    path("certificates/<uuid:pk>/", CertificateDetailView.as_view(), name="certificate-detail"),
    path("certificates/<uuid:pk>/events/", CertificateEventView.as_view(), name="certificate-event"),
]
