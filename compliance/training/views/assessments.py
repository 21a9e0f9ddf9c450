"""A manager's sittings of the regulator's assessment (安全生产知识和管理能力考核): where they
stand, the deadline, and the form to record a sitting from the assessing authority. Opened from
the certificates panel of the person page."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from compliance.pages import ScopedPageMixin, apply_service_errors
from compliance.training import assessments
from compliance.training import permissions as training_perms
from compliance.training.certificate_rules import RuleBook
from compliance.training.models import ManagerAssessmentSitting
from tenants import selectors

from .certificates import DateInput


class SittingForm(forms.Form):
    sat_on = forms.DateField(label=gettext_lazy("Date of the sitting"), widget=DateInput)
    applied_on = forms.DateField(
        label=gettext_lazy("Applied on"),
        widget=DateInput,
        required=False,
        help_text=gettext_lazy("As the authority's record gives it; the 30 days are judged on it."),
    )
    authority = forms.CharField(label=gettext_lazy("Assessing authority"), max_length=200)
    result = forms.ChoiceField(
        label=gettext_lazy("Result"),
        choices=ManagerAssessmentSitting.Result.choices,
        widget=forms.RadioSelect,
    )
    score = forms.DecimalField(
        label=gettext_lazy("Score"), required=False, min_value=0, max_value=100, decimal_places=1
    )


class AssessmentSittingsView(ScopedPageMixin, View):
    """Readable with VIEW_TRAINING over the person (a worker: their own); recording needs
    MANAGE_TRAINING at the person's unit (checked by the service)."""

    template_name = "training/assessment_sittings.html"
    required_perm = training_perms.VIEW_TRAINING

    def _person(self, pk):
        person = selectors.access_person(self.scope, pk)
        if not self.scope.has_perm(training_perms.VIEW_TRAINING, person.org_unit.path, person.tenant_id):
            raise Http404
        return person

    def _render(self, request, person, form, status=200):
        sittings = assessments.person_sittings(scope=self.scope, person=person)
        summary = assessments.summary(person=person, sittings=sittings, book=RuleBook.load())
        if summary is None:
            raise Http404  # neither a manager nor anyone with a sitting on record
        can_record = self.scope.has_perm(
            training_perms.MANAGE_TRAINING, person.org_unit.path, person.tenant_id
        )
        context = {
            "person": person,
            "assessment": summary,
            # A person who left a manager's post keeps their sittings readable, with no new ones.
            "form": form
            if can_record and (assessments.SITTING_KINDS.get(person.post_category) or form.errors)
            else None,
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request, pk):
        return self._render(request, self._person(pk), SittingForm())

    def post(self, request, pk):
        person = self._person(pk)
        form = SittingForm(request.POST)
        if form.is_valid():
            try:
                sitting, warnings = assessments.sitting_record(
                    scope=self.scope, person=person, data=form.cleaned_data, by=request.user
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Sitting of %(day)s recorded: %(result)s.")
                    % {"day": sitting.sat_on.isoformat(), "result": sitting.get_result_display()},
                )
                for warning in warnings:
                    messages.warning(request, warning)
                return redirect("training:assessment-sittings", pk=person.pk)
        return self._render(request, person, form, status=400)


urlpatterns = [
    path("people/<uuid:pk>/assessment/", AssessmentSittingsView.as_view(), name="assessment-sittings"),
]
