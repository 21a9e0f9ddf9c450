"""Certificate pages: list, record a statutory one from the issuing authority, detail, record a
review, revoke, PDF, expiring soon, and the public verification page the QR code points at."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from compliance.http import no_store
from compliance.pages import (
    ScopedChoiceField,
    ScopedPageMixin,
    apply_service_errors,
    filter_query,
    paginate,
    unit_label,
    valid_filters,
)
from compliance.training import certificates as certs
from compliance.training import permissions as training_perms
from compliance.training import reviews
from compliance.training.models import Certificate, CertificateReview
from tenants import roles, selectors
from tenants.models import OrgUnit, Person

STATUS_CHOICES = [
    ("", gettext_lazy("Any status")),
    (certs.Display.VALID, gettext_lazy("Valid")),
    (certs.Display.VOID, gettext_lazy("Void (review missed)")),
    (certs.Display.EXPIRED, gettext_lazy("Expired")),
    (certs.Display.REVOKED, gettext_lazy("Revoked")),
]


def _oversight_units(scope):
    """Group, subsidiaries and mines the caller may see: the units a list can be narrowed to."""
    units = selectors.org_unit_list(scope=scope).filter(
        kind__in=[OrgUnit.Kind.HQ, OrgUnit.Kind.SUBSIDIARY, OrgUnit.Kind.MINE]
    )
    return [(u, unit_label(u)) for u in units]


def _manageable_people(scope):
    prefixes = [g.path for g in scope.grants if training_perms.MANAGE_TRAINING in roles.perms_of(g.role)]
    cond = Q(pk__in=[])
    for prefix in prefixes:
        cond |= Q(org_unit__path__startswith=prefix)
    people = selectors.people_list(scope=scope).filter(cond).order_by("name", "employee_no")
    return [(p, f"{p.name}（{p.employee_no}）") for p in people]


class DateInput(forms.DateInput):
    input_type = "date"


class CertificateFilterForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Name or certificate number"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Name or certificate number")}),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        required=False,
        choices=[("", gettext_lazy("Any kind")), *Certificate.Kind.choices],
    )
    operation_type = forms.ChoiceField(
        label=gettext_lazy("Operation type"),
        required=False,
        choices=[("", gettext_lazy("Any operation type")), *Person.OperationType.choices],
    )
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False, choices=STATUS_CHOICES)
    unit = ScopedChoiceField(
        label=gettext_lazy("Group, subsidiary or mine"),
        access=selectors.access_org_unit,
        choices_func=_oversight_units,
        required=False,
    )


class UnitFilterForm(forms.Form):
    unit = ScopedChoiceField(
        label=gettext_lazy("Group, subsidiary or mine"),
        access=selectors.access_org_unit,
        choices_func=_oversight_units,
        required=False,
    )


class ExternalCertificateForm(forms.Form):
    person = ScopedChoiceField(
        label=gettext_lazy("Person"), access=selectors.access_person, choices_func=_manageable_people
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        choices=[
            ("", "—"),
            *[(k, v) for k, v in Certificate.Kind.choices if k in Certificate.STATUTORY_KINDS],
        ],
    )
    operation_type = forms.ChoiceField(
        label=gettext_lazy("Operation type"),
        choices=[("", "—"), *Person.OperationType.choices],
        required=False,
        help_text=gettext_lazy(
            "For a special-operation certificate only: an operation of the national catalogue for the "
            "holder's mine (coal or metal/non-metal)."
        ),
    )
    number = forms.CharField(label=gettext_lazy("Certificate number"), max_length=64)
    issued_on = forms.DateField(label=gettext_lazy("Issued on"), widget=DateInput)
    expires_on = forms.DateField(
        label=gettext_lazy("Expires on"),
        widget=DateInput,
        required=False,
        help_text=gettext_lazy("Empty: from the rules in force on the issue date."),
    )
    review_due_on = forms.DateField(
        label=gettext_lazy("Review due on"),
        widget=DateInput,
        required=False,
        help_text=gettext_lazy("Special operations only. Empty: from the rules in force on the issue date."),
    )
    issuer = forms.CharField(label=gettext_lazy("Issued by"), max_length=200, required=False)


class ReviewForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        choices=CertificateReview.Kind.choices,
        initial=CertificateReview.Kind.REVIEW,
    )
    reviewed_on = forms.DateField(label=gettext_lazy("Reviewed on"), widget=DateInput)
    authority = forms.CharField(label=gettext_lazy("Reviewing authority"), max_length=200)
    retraining_hours = forms.DecimalField(
        label=gettext_lazy("Retraining hours before the review"),
        max_digits=5,
        decimal_places=1,
        min_value=0,
        required=False,
    )
    extended = forms.BooleanField(
        label=gettext_lazy("Longer interval granted (10 continuous years in the operation, no violation)"),
        required=False,
    )
    in_operation_since = forms.DateField(
        label=gettext_lazy("In the operation since"),
        widget=DateInput,
        required=False,
        help_text=gettext_lazy("Needed for the longer interval."),
    )


class RevokeForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500)


# --- pages ---------------------------------------------------------------------------------------


class CertificateListView(ScopedPageMixin, View):
    template_name = "training/certificate_list.html"
    required_perm = training_perms.VIEW_TRAINING

    def get(self, request):
        form = CertificateFilterForm(request.GET or None)
        form.fields["unit"].set_choices(self.scope)
        filters = valid_filters(form)
        qs = certs.certificate_list(
            scope=self.scope,
            org_unit=filters.get("unit"),
            kind=filters.get("kind", ""),
            operation_type=filters.get("operation_type", ""),
            status=filters.get("status", ""),
            search=filters.get("q", ""),
        )
        page = paginate(request, qs)
        certs.annotate_display(page)
        return render(
            request,
            self.template_name,
            {
                "filter_form": form,
                "page": page,
                "query": filter_query(request, drop=("page", "export")),
                "can_manage": self.scope.has_perm(training_perms.MANAGE_TRAINING),
            },
        )


class CertificateCreateView(ScopedPageMixin, View):
    """Record a certificate issued elsewhere (its number is entered)."""

    template_name = "training/certificate_form.html"
    required_perm = training_perms.MANAGE_TRAINING

    def get(self, request):
        form = ExternalCertificateForm(initial={"person": request.GET.get("person")})
        form.fields["person"].set_choices(self.scope)
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        form = ExternalCertificateForm(request.POST)
        form.fields["person"].set_choices(self.scope)
        if form.is_valid():
            data = dict(form.cleaned_data)
            person = data.pop("person")
            try:
                cert = certs.record_external(scope=self.scope, person=person, data=data, by=request.user)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Recorded certificate %(number)s.") % {"number": cert.number})
                return redirect("training:certificate-detail", pk=cert.pk)
        return render(request, self.template_name, {"form": form}, status=400)


class CertificateDetailView(ScopedPageMixin, View):
    template_name = "training/certificate_detail.html"
    required_perm = training_perms.VIEW_TRAINING

    def get(self, request, pk, form=None, status=200):
        cert = certs.access_certificate(self.scope, pk)
        person = cert.person
        today = timezone.localdate()
        book = certs.RuleBook.load()
        display = certs.display_status(cert, today, book)
        is_special = cert.kind == Certificate.Kind.SPECIAL_OPERATION
        cert_reviews = reviews.review_list(scope=self.scope, cert=cert) if is_special else []
        can_manage = self.scope.has_perm(training_perms.MANAGE_TRAINING, person.org_unit.path, cert.tenant_id)
        context = {
            "cert": cert,
            "kind": certs.kind_label(cert),
            "display": display,
            "display_label": certs.display_status_label(display),
            "warning": certs.review_warning(cert, today, book),
            "is_special": is_special,
            "reviews": cert_reviews,
            "flags": [
                f for f in [reviews.absence_flag(person, cert, cert_reviews, today, book)] if f is not None
            ],
            "revoked_reason": certs.revocation_reason(cert),
            "verify_link": certs.verify_url(cert, request_origin=request.build_absolute_uri("/")),
            "can_manage": can_manage and cert.status == Certificate.Status.VALID,
            "can_view_person": self.scope.has_perm(roles.VIEW_PEOPLE, person.org_unit.path, cert.tenant_id),
            "revoke_form": form or RevokeForm(),
        }
        return render(request, self.template_name, context, status=status)


class CertificateRevokeView(CertificateDetailView):
    required_perm = training_perms.MANAGE_TRAINING

    def post(self, request, pk):
        cert = certs.access_certificate(self.scope, pk)
        form = RevokeForm(request.POST)
        if form.is_valid():
            try:
                certs.revoke(scope=self.scope, cert=cert, reason=form.cleaned_data["reason"], by=request.user)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Certificate %(number)s revoked.") % {"number": cert.number})
                return redirect("training:certificate-detail", pk=cert.pk)
        return self.get(request, pk, form=form, status=400)

    def get(self, request, pk, form=None, status=200):
        if form is None:  # the revoke form lives on the detail page
            certs.access_certificate(self.scope, pk)
            return redirect("training:certificate-detail", pk=pk)
        return super().get(request, pk, form=form, status=status)


class CertificateReviewView(ScopedPageMixin, View):
    """Record a review (复审) or a practical re-exam of a special-operation certificate."""

    template_name = "training/certificate_review_form.html"
    required_perm = training_perms.MANAGE_TRAINING

    def _render(self, request, cert, form, status=200):
        context = {"cert": cert, "kind": certs.kind_label(cert), "form": form}
        return render(request, self.template_name, context, status=status)

    def get(self, request, pk):
        return self._render(request, certs.access_certificate(self.scope, pk), ReviewForm())

    def post(self, request, pk):
        cert = certs.access_certificate(self.scope, pk)
        form = ReviewForm(request.POST)
        if form.is_valid():
            try:
                reviews.record_review(scope=self.scope, cert=cert, data=form.cleaned_data, by=request.user)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Review of %(number)s recorded.") % {"number": cert.number})
                return redirect("training:certificate-detail", pk=cert.pk)
        return self._render(request, cert, form, status=400)


class CertificatePdfView(ScopedPageMixin, View):
    required_perm = training_perms.VIEW_TRAINING

    def get(self, request, pk):
        cert = certs.access_certificate(self.scope, pk)
        pdf = certs.certificate_pdf(
            cert, verify_link=certs.verify_url(cert, request_origin=request.build_absolute_uri("/"))
        )
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="certificate-{cert.number}.pdf"'
        response["Cache-Control"] = "private, no-store"
        return response


class CertificateExpiringView(ScopedPageMixin, View):
    """Everything expiring or due for review in the next 90 days, soonest first; Excel export."""

    template_name = "training/certificate_expiring.html"
    required_perm = training_perms.VIEW_TRAINING

    def get(self, request):
        form = UnitFilterForm(request.GET or None)
        form.fields["unit"].set_choices(self.scope)
        unit = form.cleaned_data.get("unit") if form.is_valid() else None
        # ?days=7 or 30 narrows the window (the home page's "due in 7 / 30 days" link here).
        days = _window(request.GET.get("days"))
        rows = certs.expiring(scope=self.scope, org_unit=unit, days=days)
        if request.GET.get("export") == "xlsx":
            response = HttpResponse(certs.expiring_xlsx(rows), content_type=certs.XLSX)
            response["Content-Disposition"] = 'attachment; filename="certificates-expiring.xlsx"'
            return no_store(response)
        return render(
            request,
            self.template_name,
            {
                "filter_form": form,
                "unit": unit,
                "rows": rows,
                "days": days,
                "query": filter_query(request, drop=("page", "export")),
            },
        )


def _window(value) -> int:
    try:
        days = int(value)
    except (TypeError, ValueError):
        return certs.EXPIRING_WINDOW_DAYS
    return days if days in certs.EXPIRING_WINDOWS else certs.EXPIRING_WINDOW_DAYS


class CertificateVerifyView(View):
    """PUBLIC, no login: what the QR code on a printed certificate opens.

    Shows only: valid / expired / revoked, the kind (and operation type), a masked name, and the
    issue and expiry dates — never the certificate number, ID number, employer or anything else.
    The token in the URL is 192 random bits, so it cannot be guessed or enumerated; an unknown
    token is the same plain 404 as a malformed one.
    """

    template_name = "training/certificate_verify.html"

    def get(self, request, token):
        cert = certs.find_by_token(token)
        if cert is None:
            response = render(request, self.template_name, {"cert": None}, status=404)
        else:
            display = certs.display_status(cert)
            response = render(
                request,
                self.template_name,
                {
                    "cert": True,
                    "status": display,
                    "status_label": certs.display_status_label(display),
                    "kind": certs.kind_label(cert),
                    "statutory": certs.is_statutory(cert),
                    "masked_name": certs.mask_name(cert.person.name),
                    "issued_on": cert.issued_on,
                    "expires_on": cert.expires_on,
                },
            )
        response["Cache-Control"] = "no-store"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response


urlpatterns = [
    path("certificates/", CertificateListView.as_view(), name="certificate-list"),
    path("certificates/new/", CertificateCreateView.as_view(), name="certificate-create"),
    path("certificates/expiring/", CertificateExpiringView.as_view(), name="certificate-expiring"),
    path("certificates/<uuid:pk>/", CertificateDetailView.as_view(), name="certificate-detail"),
    path("certificates/<uuid:pk>/revoke/", CertificateRevokeView.as_view(), name="certificate-revoke"),
    path("certificates/<uuid:pk>/review/", CertificateReviewView.as_view(), name="certificate-review"),
    path("certificates/<uuid:pk>/pdf/", CertificatePdfView.as_view(), name="certificate-pdf"),
    path("verify/<str:token>/", CertificateVerifyView.as_view(), name="certificate-verify"),
]
