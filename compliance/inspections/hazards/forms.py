"""Forms of the hazard pages (phone-ready: one column, native date and camera inputs)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy, pgettext_lazy

from compliance.pages import ScopedChoiceField, unit_label
from tenants import selectors as tenant_selectors
from tenants.models import OrgUnit

from . import selectors, services
from .models import Finding, Hazard
from .permissions import MANAGE_HAZARDS


class DateInput(forms.DateInput):
    input_type = "date"


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos from the phone's camera or gallery; checked by the service."""

    widget = MultiplePhotoInput(attrs={"accept": "image/jpeg,image/png", "capture": "environment"})

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(PhotosField, self).clean(d, initial) for d in data if d]
        return [data] if data else []


def _managed_mines(scope):
    return [
        (u, unit_label(u))
        for u in tenant_selectors.writable_units(scope=scope, perm=MANAGE_HAZARDS, kinds=[OrgUnit.Kind.MINE])
    ]


def _criteria(scope):
    return [
        (c, f"{c.catalogue.document_no} {c.code} {c.text[:40]}{'' if c.verified else '（待核实）'}")
        for c in selectors.criteria_choices()
    ]


class CriterionField(ScopedChoiceField):
    def __init__(self, **kwargs):
        super().__init__(access=selectors.access_criterion, choices_func=_criteria, required=False, **kwargs)


class HazardForm(forms.Form):
    mine = ScopedChoiceField(
        label=gettext_lazy("Mine"), access=tenant_selectors.access_mine, choices_func=_managed_mines
    )
    location = forms.CharField(label=gettext_lazy("Location"), max_length=200)
    description = forms.CharField(label=gettext_lazy("Description"), widget=forms.Textarea(attrs={"rows": 3}))
    source = forms.ChoiceField(
        label=gettext_lazy("Found by"),
        choices=[
            c
            for c in Hazard.Source.choices
            if c[0] not in (Hazard.Source.WORKER_REPORT, Hazard.Source.CONDITION)
        ],
    )
    found_on = forms.DateField(label=gettext_lazy("Found on"), widget=DateInput())
    grade = forms.ChoiceField(label=pgettext_lazy("hazard", "Class"), choices=Hazard.Grade.choices)
    criterion = CriterionField(label=gettext_lazy("Major-hazard criterion"))
    photos = PhotosField(label=gettext_lazy("Photos"), required=False)

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mine"].set_choices(scope)
        self.fields["criterion"].set_choices(scope)


class ReportForm(forms.Form):
    mine = ScopedChoiceField(label=gettext_lazy("Mine"), access=services.access_reportable_mine)
    location = forms.CharField(label=gettext_lazy("Where"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("What is wrong"), widget=forms.Textarea(attrs={"rows": 3})
    )
    photos = PhotosField(label=gettext_lazy("Photos"))

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["mine"]
        field.choices_func = lambda s: [(m, m.name) for m in services.reportable_mines(s)]
        field.set_choices(scope, blank=False)


class ClassifyForm(forms.Form):
    grade = forms.ChoiceField(label=pgettext_lazy("hazard", "Class"), choices=Hazard.Grade.choices)
    criterion = CriterionField(label=gettext_lazy("Major-hazard criterion"))
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["criterion"].set_choices(scope)


class NoteForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class PlanForm(forms.Form):
    responsible = forms.CharField(label=gettext_lazy("Responsible person"), max_length=100)
    measures = forms.CharField(label=gettext_lazy("Measures"), widget=forms.Textarea(attrs={"rows": 3}))
    deadline = forms.DateField(label=gettext_lazy("Deadline"), widget=DateInput())
    target = forms.CharField(
        label=gettext_lazy("Target"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    funds = forms.CharField(label=gettext_lazy("Funds"), required=False, max_length=200)
    materials = forms.CharField(
        label=gettext_lazy("Materials"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    organisation = forms.CharField(
        label=gettext_lazy("Organisation and responsible people"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    safety_measures = forms.CharField(
        label=gettext_lazy("Safety measures during rectification"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    contingency = forms.CharField(
        label=gettext_lazy("Contingency plan"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    stop_scope = forms.ChoiceField(
        label=gettext_lazy("Production stopped"), choices=Hazard.StopScope.choices, required=False
    )
    stop_area = forms.CharField(label=gettext_lazy("Stopped area"), required=False, max_length=200)

    MAJOR_ONLY = (
        "target",
        "funds",
        "materials",
        "organisation",
        "safety_measures",
        "contingency",
        "stop_scope",
        "stop_area",
    )


class RectifiedForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("What was done"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    photos = PhotosField(label=gettext_lazy("Photos"), required=False)


class AcceptForm(forms.Form):
    passed = forms.TypedChoiceField(
        label=gettext_lazy("Result"),
        choices=[("1", gettext_lazy("Passed")), ("0", gettext_lazy("Not passed: rectify again"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    photos = PhotosField(label=gettext_lazy("Photos"), required=False)


class FindingForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Finding.Kind.choices)
    text = forms.CharField(label=gettext_lazy("Finding"), widget=forms.Textarea(attrs={"rows": 2}))
    location = forms.CharField(label=gettext_lazy("Location"), required=False, max_length=200)
    grade = forms.ChoiceField(
        label=pgettext_lazy("hazard", "Class"), choices=Hazard.Grade.choices, required=False
    )
    criterion = CriterionField(label=gettext_lazy("Major-hazard criterion"))
    person = ScopedChoiceField(
        label=gettext_lazy("Person"), access=tenant_selectors.access_person, required=False
    )
    severity = forms.ChoiceField(
        label=gettext_lazy("Severity"), choices=[("", "—"), *Finding.Severity.choices], required=False
    )
    photos = PhotosField(label=gettext_lazy("Photos"), required=False)

    def __init__(self, *args, scope, inspection, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["criterion"].set_choices(scope)
        from tenants.models import Person

        people = Person.objects.filter(
            tenant_id=inspection.tenant_id, org_unit__path__startswith=inspection.org_unit.path
        ).order_by("name")[:500]
        self.fields["person"].choices_func = lambda s: [(p, p.name) for p in people]
        self.fields["person"].set_choices(scope)


class HazardFilterForm(forms.Form):
    mine = forms.UUIDField(required=False, widget=forms.HiddenInput)
    grade = forms.ChoiceField(
        required=False, choices=[("", gettext_lazy("Any class")), *Hazard.Grade.choices]
    )
    status = forms.ChoiceField(
        required=False,
        choices=[("", gettext_lazy("Any status")), ("open", gettext_lazy("Open")), *Hazard.Status.choices],
    )
    source = forms.ChoiceField(
        required=False, choices=[("", gettext_lazy("Any source")), *Hazard.Source.choices]
    )
    overdue = forms.BooleanField(required=False, label=gettext_lazy("Overdue only"))
    criterion = forms.UUIDField(required=False, widget=forms.HiddenInput)
    found_from = forms.DateField(required=False, widget=DateInput(), label=gettext_lazy("Found from"))
    found_to = forms.DateField(required=False, widget=DateInput(), label=gettext_lazy("Found until"))
