"""The forms of the points pages: parse input only; the services hold the rules."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compliance.files import ValidatedFileField
from compliance.pages import ScopedChoiceField, unit_label
from tenants import selectors as tenant_selectors
from tenants.models import OrgUnit

from . import selectors
from .models import ActionKind, Cycle
from .permissions import RECORD_POINTS


class DateInput(forms.DateInput):
    input_type = "date"


def _rules(scope):
    return [(r, f"{r.code} {r.title}（{r.points:+d}）") for r in selectors.rules_for(scope=scope)]


class EntryForm(forms.Form):
    person = ScopedChoiceField(
        label=_("Person"), access=selectors.access_recordable_person, choices_func=selectors.recordable_people
    )
    rule = ScopedChoiceField(label=_("Rule"), access=selectors.access_rule, choices_func=_rules)
    occurred_on = forms.DateField(label=_("Date"), widget=DateInput)
    reason = forms.CharField(
        label=_("What happened"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The person reads this on their page."),
    )  # fmt: skip
    evidence_url = forms.CharField(label=_("Evidence (link)"), max_length=500, required=False)

    def __init__(self, *args, scope, **kwargs):
        kwargs.setdefault("initial", {"occurred_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["person"].set_choices(scope)
        self.fields["rule"].set_choices(scope)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the correction"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class CloseForm(forms.Form):
    note = forms.CharField(label=_("What was done"), max_length=300)


class DecideForm(forms.Form):
    accept = forms.TypedChoiceField(
        label=_("Decision"),
        coerce=lambda v: v == "1",
        choices=[("1", _("Accept")), ("0", _("Reject"))],
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


def _mines(scope):
    return [(m, m.name) for m in selectors.ranking_mines(scope)]


class RankingForm(forms.Form):
    mine = ScopedChoiceField(label=_("Mine"), access=selectors.access_ranking_mine, choices_func=_mines)
    month = forms.DateField(
        label=_("Month"),
        required=False,
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mine"].set_choices(scope, blank=False)


def _import_units(scope):
    units = tenant_selectors.writable_units(
        scope=scope, perm=RECORD_POINTS, kinds=[OrgUnit.Kind.MINE, OrgUnit.Kind.TEAM]
    )
    return [(u, unit_label(u)) for u in units]


class ImportForm(forms.Form):
    """The Excel import of entries: the mine or team whose people the file names, and the file."""

    org_unit = ScopedChoiceField(
        label=_("Mine or team"), access=tenant_selectors.access_org_unit, choices_func=_import_units
    )
    file = ValidatedFileField(
        label=_("Excel file (.xlsx)"), kinds=["xlsx"], max_bytes=lambda: settings.IMPORT_MAX_BYTES
    )

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].set_choices(scope, blank=False)


class ThresholdForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), choices=ActionKind.choices)
    below = forms.IntegerField(label=_("When the balance falls below"), min_value=-100, max_value=100)


class DefaultsForm(forms.Form):
    confirm = forms.BooleanField(label=_("Install the default catalogue and thresholds"))


class SettingsForm(forms.Form):
    cycle = forms.ChoiceField(label=_("Points cycle"), choices=Cycle.choices)
    starting_balance = forms.IntegerField(label=_("Starting balance"), min_value=1, max_value=1000)
    carry_over_cap = forms.IntegerField(label=_("Carry-over (at most)"), min_value=0, max_value=1000)
