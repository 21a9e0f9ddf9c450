"""Forms of the inspection pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from compliance.pages import ScopedChoiceField
from tenants import selectors as tenant_selectors
from tenants.models import OrgUnit

from . import selectors
from .models import Inspection
from .permissions import CONDUCT_INSPECTIONS


class DateInput(forms.DateInput):
    input_type = "date"


def _unit_label(unit: OrgUnit) -> str:
    return f"{'　' * unit.depth}{unit.name}"


def _inspectable_units(scope):
    return [
        (u, _unit_label(u))
        for u in tenant_selectors.writable_units(
            scope=scope,
            perm=CONDUCT_INSPECTIONS,
            kinds=[OrgUnit.Kind.SUBSIDIARY, OrgUnit.Kind.MINE, OrgUnit.Kind.TEAM],
        )
    ]


class InspectionForm(forms.Form):
    org_unit = ScopedChoiceField(
        label=gettext_lazy("Inspected unit"),
        access=tenant_selectors.access_org_unit,
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
    failed = forms.BooleanField(label=gettext_lazy("Only with failed spot exams"), required=False)


class _PaperForm(forms.Form):
    paper = forms.ChoiceField(label=gettext_lazy("Spot-exam paper"))

    def __init__(self, *args, inspection, **kwargs):
        super().__init__(*args, **kwargs)
        self.papers = {str(p.pk): p for p in selectors.spot_papers_for(inspection)}
        self.fields["paper"].choices = [
            (pk, f"{p.title} ({p.duration_minutes}′, {p.pass_mark})") for pk, p in self.papers.items()
        ]

    def clean_paper(self):
        return self.papers[self.cleaned_data["paper"]]


class DrawForm(_PaperForm):
    count = forms.IntegerField(
        label=gettext_lazy("How many people"), min_value=1, max_value=selectors.MAX_DRAW, initial=5
    )


class PickForm(_PaperForm):
    people = forms.MultipleChoiceField(
        label=gettext_lazy("People"), widget=forms.CheckboxSelectMultiple, required=True
    )

    def __init__(self, *args, inspection, **kwargs):
        super().__init__(*args, inspection=inspection, **kwargs)
        self.people = {str(p.pk): p for p in selectors.eligible_people(inspection)}
        self.fields["people"].choices = [
            (pk, f"{p.name} · {p.get_post_category_display()} · {p.org_unit.name}")
            for pk, p in self.people.items()
        ]

    def clean_people(self):
        return [self.people[pk] for pk in self.cleaned_data["people"]]

    def picker(self) -> dict:
        """The people as rows of the picker (name, post, team; checked as posted) and the posts
        and teams among them, for its filters."""
        chosen = set(self.data.getlist("people")) if self.is_bound else set()
        rows = [
            {
                "pk": pk,
                "person": p,
                "post": p.get_post_category_display(),
                "team": p.org_unit.name,
                "checked": pk in chosen,
            }
            for pk, p in self.people.items()
        ]
        return {
            "rows": rows,
            "posts": sorted({r["post"] for r in rows}),
            "teams": sorted({r["team"] for r in rows}),
        }


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Six-digit code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
    )
    s = forms.UUIDField(required=False, widget=forms.HiddenInput)
