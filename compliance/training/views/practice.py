"""Page to record a new underground coal worker's supervised practice (师带徒) with the mentor;
the person page's training panel shows it and links here."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from compliance.pages import ScopedChoiceField, ScopedPageMixin, apply_service_errors
from compliance.training import permissions as training_perms
from compliance.training import practice
from tenants import selectors

from .certificates import DateInput, _manageable_people


class PracticeForm(forms.Form):
    person = ScopedChoiceField(
        label=gettext_lazy("Worker"), access=selectors.access_person, choices_func=_manageable_people
    )
    mentor = ScopedChoiceField(
        label=gettext_lazy("Mentor"), access=selectors.access_person, choices_func=_manageable_people
    )
    starts_on = forms.DateField(label=gettext_lazy("Practice starts on"), widget=DateInput)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)

    def set_choices(self, scope):
        self.fields["person"].set_choices(scope)
        self.fields["mentor"].set_choices(scope)


class PracticeCreateView(ScopedPageMixin, View):
    template_name = "training/practice_form.html"
    required_perm = training_perms.MANAGE_TRAINING

    def get(self, request):
        initial = {"starts_on": timezone.localdate()}
        if request.GET.get("person"):
            # Named from the person page: looked up in the scope (a foreign or bad id is a 404).
            initial["person"] = str(selectors.access_person(self.scope, request.GET["person"]).pk)
        form = PracticeForm(initial=initial)
        form.set_choices(self.scope)
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        form = PracticeForm(request.POST)
        form.set_choices(self.scope)
        if form.is_valid():
            data = form.cleaned_data
            try:
                record = practice.practice_record(
                    scope=self.scope,
                    person=data["person"],
                    mentor=data["mentor"],
                    starts_on=data["starts_on"],
                    note=data["note"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Supervised practice recorded until %(day)s.") % {"day": record.ends_on.isoformat()},
                )
                return redirect("person-detail", pk=record.person_id)
        return render(request, self.template_name, {"form": form}, status=400)


urlpatterns = [path("practices/new/", PracticeCreateView.as_view(), name="practice-create")]
