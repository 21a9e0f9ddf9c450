"""The accident register pages: the list (per mine or over a subsidiary), recording one
(MANAGE_GRADING on the mine), and an accident with the grade events it caused."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from compliance.grading import accidents
from compliance.grading import permissions as grading_perms
from compliance.grading.accidents import CONTRACTOR_NAME_MAX
from compliance.grading.models import AccidentClass
from compliance.pages import (
    ScopedChoiceField,
    ScopedPageMixin,
    apply_service_errors,
    filter_query,
    paginate,
    valid_filters,
)
from tenants import selectors
from tenants.models import OrgUnit

from .dashboard import oversight_units


def _visible_mines(scope):
    mines = selectors.org_unit_list(scope=scope, kind=OrgUnit.Kind.MINE)
    return [(m, m.name) for m in mines]


def _writable_mines(scope):
    mines = selectors.writable_units(
        scope=scope, perm=grading_perms.MANAGE_GRADING, kinds=[OrgUnit.Kind.MINE]
    )
    return [(m, m.name) for m in mines]


class DateInput(forms.DateInput):
    input_type = "date"


OUTSOURCED_CHOICES = [
    ("", gettext_lazy("Employees and contractors")),
    ("yes", gettext_lazy("Contractor staff only")),
    ("no", gettext_lazy("Own employees only")),
]


class AccidentFilterForm(forms.Form):
    mine = ScopedChoiceField(
        label=gettext_lazy("Mine"), access=selectors.access_mine, choices_func=_visible_mines, required=False
    )
    unit = ScopedChoiceField(
        label=gettext_lazy("Group or subsidiary"),
        access=selectors.access_org_unit,
        choices_func=oversight_units,
        required=False,
    )
    outsourced = forms.ChoiceField(
        label=gettext_lazy("Whose casualties"), choices=OUTSOURCED_CHOICES, required=False
    )


class AccidentForm(forms.Form):
    mine = ScopedChoiceField(
        label=gettext_lazy("Mine"), access=selectors.access_mine, choices_func=_writable_mines
    )
    occurred_on = forms.DateField(label=gettext_lazy("Date"), widget=DateInput)
    accident_class = forms.ChoiceField(
        label=gettext_lazy("Class"), choices=[("", "—"), *AccidentClass.choices]
    )
    deaths = forms.IntegerField(label=gettext_lazy("Deaths"), min_value=0, max_value=32767, initial=0)
    injuries = forms.IntegerField(label=gettext_lazy("Injuries"), min_value=0, max_value=32767, initial=0)
    serious_injuries = forms.IntegerField(
        label=gettext_lazy("Serious injuries"), min_value=0, max_value=32767, initial=0, required=False
    )
    direct_loss = forms.DecimalField(
        label=gettext_lazy("Direct economic loss (10k yuan)"),
        min_value=0,
        max_digits=12,
        decimal_places=2,
        initial=0,
        required=False,
        help_text=gettext_lazy(
            "The class is checked against these figures (State Council Decree No. 493, Art. 3)."
        ),
    )
    description = forms.CharField(
        label=gettext_lazy("Description"), widget=forms.Textarea(attrs={"rows": 4}), max_length=10000
    )
    contractor_name = forms.CharField(
        label=gettext_lazy("Contractor (fill in when the casualties were contractor staff)"),
        max_length=CONTRACTOR_NAME_MAX,
        required=False,
    )


class AccidentListView(ScopedPageMixin, View):
    template_name = "grading/accidents/accident_list.html"
    required_perm = grading_perms.VIEW_GRADING

    def get(self, request):
        form = AccidentFilterForm(request.GET or None)
        form.fields["mine"].set_choices(self.scope)
        form.fields["unit"].set_choices(self.scope)
        filters = valid_filters(form)
        qs = accidents.accident_list(
            scope=self.scope,
            mine=filters.get("mine"),
            unit=filters.get("unit"),
            outsourced={"yes": True, "no": False}.get(filters.get("outsourced") or ""),
        )
        page = paginate(request, qs)
        return render(
            request,
            self.template_name,
            {
                "filter_form": form,
                "page": page,
                "mine": filters.get("mine"),
                "query": filter_query(request, drop=("page", "export")),
                "can_record": self.scope.has_perm(grading_perms.MANAGE_GRADING),
            },
        )


class AccidentCreateView(ScopedPageMixin, View):
    template_name = "grading/accidents/accident_form.html"
    required_perm = grading_perms.MANAGE_GRADING

    def get(self, request):
        form = AccidentForm(initial={"mine": request.GET.get("mine")})
        form.fields["mine"].set_choices(self.scope)
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        form = AccidentForm(request.POST)
        form.fields["mine"].set_choices(self.scope)
        if form.is_valid():
            data = dict(form.cleaned_data)
            mine = data.pop("mine")
            try:
                accident = accidents.record_accident(
                    scope=self.scope, mine=mine, data=data, actor=request.user
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Accident recorded."))
                return redirect("grading:accident-detail", pk=accident.pk)
        return render(request, self.template_name, {"form": form}, status=400)


class AccidentDetailView(ScopedPageMixin, View):
    template_name = "grading/accidents/accident_detail.html"
    required_perm = grading_perms.VIEW_GRADING

    def get(self, request, pk):
        accident = accidents.access_accident(self.scope, pk)
        return render(
            request,
            self.template_name,
            {
                "accident": accident,
                "events": accidents.accident_events(accident),
                "warning": accidents.consequence_warning(accident),
            },
        )


urlpatterns = [
    path("accidents/", AccidentListView.as_view(), name="accident-list"),
    path("accidents/new/", AccidentCreateView.as_view(), name="accident-create"),
    path("accidents/<uuid:pk>/", AccidentDetailView.as_view(), name="accident-detail"),
]
