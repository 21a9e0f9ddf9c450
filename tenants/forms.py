from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from compliance.files import ValidatedFileField
from compliance.pages import ScopedChoiceField, unit_label

from . import roles, selectors
from .models import MineProfile, OrgUnit, Person
from .services import JURISDICTION_FIELDS


def _units(perm, kinds=None):
    def choices(scope):
        return [(u, unit_label(u)) for u in selectors.writable_units(scope=scope, perm=perm, kinds=kinds)]

    return choices


class DateInput(forms.DateInput):
    input_type = "date"


class OrgUnitForm(forms.Form):
    parent = ScopedChoiceField(
        label=_("Parent unit"),
        access=selectors.access_org_unit,
        choices_func=_units(
            roles.MANAGE_ORG, [OrgUnit.Kind.HQ, OrgUnit.Kind.SUBSIDIARY, OrgUnit.Kind.MINE, OrgUnit.Kind.TEAM]
        ),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[c for c in OrgUnit.Kind.choices if c[0] != OrgUnit.Kind.HQ]
    )
    name = forms.CharField(label=_("Unit name"), max_length=200)
    mine_type = forms.ChoiceField(
        label=_("Mine type"),
        choices=[("", "—")] + MineProfile.MineType.choices,
        required=False,
        help_text=_("For a mine only."),
    )
    region_code = forms.CharField(
        label=_("Region code"),
        max_length=6,
        required=False,
        help_text=_("For a mine only: 6 digits, e.g. 520201."),
    )

    def mine_profile(self) -> dict | None:
        """The profile fields a new mine needs first (the rest is filled in on its profile page)."""
        if self.cleaned_data["kind"] != OrgUnit.Kind.MINE:
            return None
        return {"mine_type": self.cleaned_data["mine_type"], "region_code": self.cleaned_data["region_code"]}


class RenameForm(forms.Form):
    name = forms.CharField(label=_("Unit name"), max_length=200)


class MoveForm(forms.Form):
    """Where to move a unit: the units the user manages that may hold its kind, not its own
    branch and not where it already is."""

    parent = ScopedChoiceField(label=_("New parent unit"), access=selectors.access_org_unit)

    def __init__(self, *args, unit: OrgUnit, scope, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = list(OrgUnit.ALLOWED_PARENTS.get(unit.kind, ()))

        def choices(scope):
            units = selectors.writable_units(scope=scope, perm=roles.MANAGE_ORG, kinds=kinds)
            return [
                (u, unit_label(u))
                for u in units.exclude(path__startswith=unit.path).exclude(pk=unit.parent_id)
            ]

        self.fields["parent"].choices_func = choices
        self.fields["parent"].set_choices(scope)


class MineProfileForm(forms.ModelForm):
    """The profile of a mine. Its region code and type are open only to who may change them
    (tenants.services.JURISDICTION_FIELDS), with a reason."""

    JURISDICTION_FIELDS = JURISDICTION_FIELDS

    reason = forms.CharField(
        label=_("Reason for changing the region code or mine type"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Required when the region code or mine type changes; the regulators of the old and the "
            "new region are told."
        ),
    )

    def __init__(self, *args, can_change_jurisdiction: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_change_jurisdiction:
            for name in self.JURISDICTION_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].help_text = _("Only the group admin can change this, giving a reason.")
            del self.fields["reason"]

    def clean(self):
        cleaned = super().clean()
        # A disabled field keeps the stored value whatever is posted. A different value posted
        # anyway goes on to the service, which refuses it with its message, field by field,
        # instead of it vanishing without a word.
        for name in self.JURISDICTION_FIELDS:
            posted = self.data.get(name)
            if (
                self.fields[name].disabled
                and posted is not None
                and posted != str(self.initial.get(name, ""))
            ):
                cleaned[name] = posted
        return cleaned

    class Meta:
        model = MineProfile
        fields = [
            "mine_type",
            "region_code",
            "production_status",
            "production_status_since",
            "rated_capacity",
            "production_started_on",
            "mining_licence_no",
            "mining_licence_expires",
            "safety_licence_no",
            "safety_licence_expires",
            "business_licence_no",
            "business_licence_expires",
        ]
        widgets = {
            name: DateInput()
            for name in (
                "production_started_on",
                "mining_licence_expires",
                "safety_licence_expires",
                "business_licence_expires",
            )
        }


class PersonForm(forms.Form):
    org_unit = ScopedChoiceField(
        label=_("Team or mine"),
        access=selectors.access_org_unit,
        choices_func=_units(roles.MANAGE_PEOPLE, [OrgUnit.Kind.MINE, OrgUnit.Kind.TEAM]),
    )
    name = forms.CharField(label=_("Name"), max_length=64)
    resident_id = forms.CharField(
        label=_("Resident ID"),
        max_length=18,
        required=False,
        help_text=_("18 characters. Stored encrypted; shown masked."),
    )
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    employee_no = forms.CharField(label=_("Employee number"), max_length=32)
    employer = forms.CharField(
        label=_("Employer"), max_length=200, required=False, help_text=_("Empty: own staff.")
    )
    post_category = forms.ChoiceField(label=_("Post category"), choices=Person.PostCategory.choices)
    operation_type = forms.ChoiceField(
        label=_("Operation type"),
        choices=[("", "—")] + Person.OperationType.choices,
        required=False,
        help_text=_("Only for special-operation workers."),
    )
    job_title = forms.CharField(label=_("Job title"), max_length=64, required=False)
    status = forms.ChoiceField(
        label=_("Status"), choices=Person.Status.choices, initial=Person.Status.ON_POST
    )
    status_reason = forms.CharField(label=_("Status reason"), max_length=200, required=False)
    post_started_on = forms.DateField(
        label=_("Took the current post on"),
        required=False,
        widget=DateInput(),
        help_text=_("A new post needs training before the person starts in it."),
    )
    absent_since = forms.DateField(label=_("Away from work since"), required=False, widget=DateInput())
    returned_on = forms.DateField(
        label=_("Back at work on"),
        required=False,
        widget=DateInput(),
        help_text=_("Back after a long absence (1 year by default): retraining is needed before resuming."),
    )

    def __init__(self, *args, scope, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].set_choices(scope)
        self.fields["resident_id"].required = creating
        if not creating:
            self.fields["resident_id"].help_text = _("Leave empty to keep the registered number.")


class PersonFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name, employee number or job title")}
        ),
    )
    post_category = forms.ChoiceField(
        label=_("Post category"),
        choices=[("", _("All post categories"))] + Person.PostCategory.choices,
        required=False,
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All statuses"))] + Person.Status.choices, required=False
    )
    # The source of an open hold (e.g. "inspections.spot_exam"); set by links, not shown.
    hold = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    unit = forms.UUIDField(required=False, widget=forms.HiddenInput)


class LoginCreateForm(forms.Form):
    username = forms.CharField(label=_("Login name"), max_length=150)
    password = forms.CharField(label=_("Initial password"), widget=forms.PasswordInput, min_length=8)


class MembershipForm(forms.Form):
    person = ScopedChoiceField(label=_("Person with a login"), access=selectors.access_person)
    org_unit = ScopedChoiceField(
        label=_("At unit"), access=selectors.access_org_unit, choices_func=_units(roles.MANAGE_MEMBERSHIPS)
    )
    role = forms.ChoiceField(label=_("Role"), choices=roles.ROLE_CHOICES)

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices_func = lambda s: [
            (p, f"{p.name} ({p.user.username})")
            for p in selectors.people_list(scope=s).filter(user__isnull=False).select_related("user")
        ]
        self.fields["person"].set_choices(scope)
        self.fields["org_unit"].set_choices(scope)


class ImportForm(forms.Form):
    org_unit = ScopedChoiceField(
        label=_("Into unit"), access=selectors.access_org_unit, choices_func=_units(roles.MANAGE_PEOPLE)
    )
    file = ValidatedFileField(
        label=_("Excel file (.xlsx)"), kinds=["xlsx"], max_bytes=lambda: settings.IMPORT_MAX_BYTES
    )

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].set_choices(scope, blank=False)
