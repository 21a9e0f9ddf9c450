"""Forms of the agency-record pages (one column, native date inputs)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy, pgettext_lazy

from compliance.inspections.forms import DrawForm
from compliance.inspections.hazards.forms import CriterionField, DateInput
from compliance.inspections.hazards.models import Hazard
from compliance.pages import ScopedChoiceField, unit_label
from tenants import selectors as tenant_selectors

from . import selectors
from .models import AgencyFinding, AgencyInspection, SupervisionListing


def _region_mines(scope):
    return [(m, f"{m.tenant.name} · {unit_label(m)}") for m in selectors.region_mines(scope)]


class InspectionForm(forms.Form):
    mine = ScopedChoiceField(
        label=gettext_lazy("Mine"), access=tenant_selectors.access_mine, choices_func=_region_mines
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=AgencyInspection.Kind.choices)
    inspected_on = forms.DateField(label=gettext_lazy("Inspected on"), widget=DateInput())
    inspectors = forms.CharField(label=gettext_lazy("Inspectors"), max_length=200)
    summary = forms.CharField(
        label=gettext_lazy("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mine"].set_choices(scope)


class FindingForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=AgencyFinding.Kind.choices)
    text = forms.CharField(label=gettext_lazy("Finding"), widget=forms.Textarea(attrs={"rows": 3}))
    location = forms.CharField(label=gettext_lazy("Location"), max_length=200, required=False)
    grade = forms.ChoiceField(
        label=pgettext_lazy("hazard", "Class"), required=False, choices=[("", "—"), *Hazard.Grade.choices]
    )
    criterion = CriterionField(label=gettext_lazy("Major-hazard criterion"))
    deadline = forms.DateField(label=gettext_lazy("Rectify by"), required=False, widget=DateInput())

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["criterion"].set_choices(scope)


class ListingForm(forms.Form):
    authority = forms.CharField(label=gettext_lazy("Listed by"), max_length=200, required=False)
    document_no = forms.CharField(label=gettext_lazy("Document number"), max_length=100, required=False)
    listed_on = forms.DateField(label=gettext_lazy("Listed on"), widget=DateInput())
    deadline = forms.DateField(label=gettext_lazy("Deadline"), widget=DateInput())


class CloseListingForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class InspectionFilterForm(forms.Form):
    mine = forms.UUIDField(required=False, widget=forms.HiddenInput)
    kind = forms.ChoiceField(
        required=False, choices=[("", gettext_lazy("Any kind")), *AgencyInspection.Kind.choices]
    )
    inspected_from = forms.DateField(required=False, widget=DateInput(), label=gettext_lazy("Inspected from"))
    inspected_to = forms.DateField(required=False, widget=DateInput(), label=gettext_lazy("Inspected until"))


class ListingFilterForm(forms.Form):
    mine = forms.UUIDField(required=False, widget=forms.HiddenInput)
    status = forms.ChoiceField(
        required=False, choices=[("", gettext_lazy("Any status")), *SupervisionListing.Status.choices]
    )
    overdue = forms.BooleanField(required=False, label=gettext_lazy("Overdue only"))


class SpotDrawForm(DrawForm):
    """逢查必考 by the regulator: a spot-exam paper of the mine's group and how many to draw."""

    def __init__(self, *args, inspection, **kwargs):
        super().__init__(*args, inspection=inspection.mine, **kwargs)
