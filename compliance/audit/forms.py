from django import forms
from django.utils.translation import gettext_lazy as _

from compliance.pages import ScopedChoiceField, unit_label
from tenants.models import OrgUnit
from tenants.selectors import access_org_unit, org_unit_list

from .display import action_choices, object_kind_choices


def _units(scope):
    # Teams are left out: events sit at the unit that keeps the record, a team's are few, and a
    # regulator's region would otherwise list thousands.
    return [(u, unit_label(u)) for u in org_unit_list(scope=scope).exclude(kind=OrgUnit.Kind.TEAM)]


class AuditFilterForm(forms.Form):
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    actor = forms.CharField(
        label=_("Actor"),
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name or login")}),
    )
    action = forms.ChoiceField(label=_("Action"), required=False)
    object_type = forms.ChoiceField(label=_("Object kind"), required=False)
    unit = ScopedChoiceField(label=_("Unit"), required=False, access=access_org_unit, choices_func=_units)
    q = forms.CharField(
        label=_("Object"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Object name")}),
    )

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("All actions")), *action_choices()]
        self.fields["object_type"].choices = [("", _("All kinds")), *object_kind_choices()]
        self.fields["unit"].set_choices(scope)
        self.fields["unit"].widget.choices[0] = ("", _("All units"))
