"""Forms of the alarm pages (phone-ready: one column, big buttons; errors field by field)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from compliance.pages import ScopedChoiceField, unit_label
from tenants import selectors as tenant_selectors

from . import selectors
from .models import Alarm, Kind


class AlarmFilterForm(forms.Form):
    # A UUID, looked up in the scope by the view (a foreign one is 404, as in the URL); the select
    # offers the scope's mines.
    mine = forms.UUIDField(required=False, label=gettext_lazy("Mine"), widget=forms.Select)
    kind = forms.ChoiceField(
        required=False,
        label=gettext_lazy("Alarm kind"),
        choices=[("", gettext_lazy("Any kind")), *Kind.choices],
    )
    status = forms.ChoiceField(
        required=False,
        label=gettext_lazy("Status"),
        choices=[
            ("", gettext_lazy("Any status")),
            (selectors.UNCLOSED, gettext_lazy("Not closed")),
            *Alarm.Status.choices,
        ],
    )
    overdue = forms.BooleanField(required=False, label=gettext_lazy("Overdue only"))
    point = forms.CharField(
        required=False,
        max_length=64,
        label=gettext_lazy("Point code"),
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Point code")}),
    )

    def __init__(self, *args, mines=(), **kwargs):
        super().__init__(*args, **kwargs)
        # A UUIDField keeps no choices of its own: the select's options are the widget's.
        self.fields["mine"].widget.choices = [
            ("", gettext_lazy("Every mine")),
            *[(str(m.pk), m.name) for m in mines],
        ]


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class CheckForm(forms.Form):
    findings = forms.CharField(
        label=gettext_lazy("Findings on site"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )


class CloseForm(forms.Form):
    cause = forms.CharField(
        label=gettext_lazy("Cause"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000
    )
    measures = forms.CharField(
        label=gettext_lazy("Measures"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )


def _feed_mines(scope):
    return [(m, unit_label(m)) for m in selectors.feed_mines(scope)]


class FeedForm(forms.Form):
    mine = ScopedChoiceField(
        label=gettext_lazy("Mine"), access=tenant_selectors.access_mine, choices_func=_feed_mines
    )
    name = forms.CharField(label=gettext_lazy("Name of the system"), max_length=100)

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mine"].set_choices(scope)


class ImportForm(forms.Form):
    """The export of a monitoring system (.xlsx), for one mine."""

    org_unit = ScopedChoiceField(
        label=gettext_lazy("Mine"), access=tenant_selectors.access_mine, choices_func=_feed_mines
    )
    file = forms.FileField(label=gettext_lazy("File (.xlsx)"))

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].set_choices(scope)


class DeadlineForm(forms.Form):
    """The group's own deadline for one kind (stricter than the national one; the service checks)."""

    kind = forms.ChoiceField(label=gettext_lazy("Alarm kind"), choices=Kind.choices)
    acknowledge_minutes = forms.IntegerField(label=gettext_lazy("acknowledge within (minutes)"), min_value=1)
    close_hours = forms.IntegerField(label=gettext_lazy("close within (hours)"), min_value=1)
    escalate_hq_hours = forms.IntegerField(
        label=gettext_lazy("escalate to group HQ after (hours past closing)"), min_value=1
    )
    source = forms.CharField(label=gettext_lazy("source"), max_length=300)
