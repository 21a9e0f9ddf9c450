"""The forms of the outsourcing pages: parse input only; the services hold the rules."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from compliance.files import ValidatedFileField
from compliance.pages import ScopedChoiceField, unit_label
from tenants import selectors as tenant_selectors
from tenants.models import OrgUnit

from . import selectors
from .models import AGREEMENT_ITEMS, Contractor, Qualification, WorkKind
from .permissions import MANAGE_CONTRACTORS


class DateInput(forms.DateInput):
    input_type = "date"


def _visible_mines(scope):
    return [(m, unit_label(m)) for m in tenant_selectors.org_unit_list(scope=scope, kind=OrgUnit.Kind.MINE)]


def _writable_mines(scope):
    mines = tenant_selectors.writable_units(scope=scope, perm=MANAGE_CONTRACTORS, kinds=[OrgUnit.Kind.MINE])
    return [(m, m.name) for m in mines]


def _contractors(scope):
    return [(c, c.name) for c in selectors.contractor_list(scope=scope)]


def _approved_contractors(scope):
    return [
        (c, c.name) for c in selectors.writable_contractors(scope).filter(status=Contractor.Status.APPROVED)
    ]


def _people(scope):
    return [(p, f"{p.name} ({p.employee_no})") for p in tenant_selectors.people_list(scope=scope)[:500]]


class ContractorFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or credit code"), required=False, max_length=64)
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", "—"), *Contractor.Status.choices], required=False
    )
    work_kind = forms.ChoiceField(
        label=_("Kind of work"), choices=[("", "—"), *WorkKind.choices], required=False
    )
    expiring = forms.TypedChoiceField(
        label=_("Qualification expiring"),
        coerce=int,
        empty_value=None,
        required=False,
        choices=[
            ("", "—"),
            ("0", _("Expired")),
            ("7", _("Within 7 days")),
            ("30", _("Within 30 days")),
            ("90", _("Within 90 days")),
        ],
    )
    proposed = forms.BooleanField(label=_("Proposed for phase-out"), required=False)


class ContractorForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    credit_code = forms.CharField(label=_("Unified social credit code"), max_length=18)
    legal_representative = forms.CharField(label=_("Legal representative"), max_length=64)
    contact_name = forms.CharField(label=_("Contact person"), max_length=64, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=20, required=False)
    work_kind = forms.ChoiceField(label=_("Kind of work"), choices=[("", "—"), *WorkKind.choices])


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Contractor.Status.choices)
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
    on = forms.DateField(label=_("Date"), widget=DateInput, required=False)


class QualificationForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *Qualification.Kind.choices])
    grade = forms.CharField(label=_("Grade"), max_length=32, required=False)
    scope_text = forms.CharField(label=_("Scope"), max_length=300, required=False)
    number = forms.CharField(label=_("Number"), max_length=64)
    issuer = forms.CharField(label=_("Issued by"), max_length=200)
    valid_from = forms.DateField(label=_("Valid from"), widget=DateInput)
    valid_until = forms.DateField(label=_("Valid until"), widget=DateInput)
    scan = ValidatedFileField(
        label=_("Scanned copy"),
        kinds=("pdf", "jpeg", "png"),
        max_bytes=lambda: settings.GRADING_EVIDENCE_MAX_BYTES,
        required=False,
    )


class EngagementFilterForm(forms.Form):
    mine = ScopedChoiceField(
        label=_("Mine"), access=tenant_selectors.access_mine, choices_func=_visible_mines, required=False
    )
    contractor = ScopedChoiceField(
        label=_("Contractor"), access=selectors.access_contractor, choices_func=_contractors, required=False
    )
    active = forms.BooleanField(label=_("Active today"), required=False)


class EngagementForm(forms.Form):
    mine = ScopedChoiceField(
        label=_("Mine"), access=tenant_selectors.access_mine, choices_func=_writable_mines
    )
    contractor = ScopedChoiceField(
        label=_("Contractor"), access=selectors.access_contractor, choices_func=_approved_contractors
    )
    work_kind = forms.ChoiceField(label=_("Kind of work"), choices=[("", "—"), *WorkKind.choices])
    scope_of_work = forms.CharField(label=_("Scope of work"), max_length=500)
    underground_system = forms.CharField(
        label=_("Underground production system"),
        max_length=64,
        required=False,
        help_text=_("Empty: not underground."),
    )
    labour_only = forms.BooleanField(label=_("Labour-only contracting (劳务承包)"), required=False)
    main_ventilation = forms.BooleanField(label=_("Includes the main ventilation system"), required=False)
    starts_on = forms.DateField(label=_("Starts on"), widget=DateInput)
    ends_on = forms.DateField(label=_("Ends on"), widget=DateInput)
    contract_number = forms.CharField(label=_("Contract number"), max_length=64)
    agreement_items = forms.MultipleChoiceField(
        label=_("The safety agreement covers"),
        choices=AGREEMENT_ITEMS,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    project_manager = ScopedChoiceField(
        label=_("Project manager"), access=tenant_selectors.access_person, choices_func=_people
    )
    project_manager_certificate = forms.CharField(
        label=_("Project manager's safety certificate number"), max_length=64
    )
    parent = ScopedChoiceField(
        label=_("Under the engagement of (sub-contracting)"),
        access=selectors.access_engagement,
        choices_func=lambda scope: [(e, str(e)) for e in selectors.engagement_list(scope=scope)[:200]],
        required=False,
    )

    def set_choices(self, scope):
        for name in ("mine", "contractor", "project_manager", "parent"):
            self.fields[name].set_choices(scope)


class ExtendForm(forms.Form):
    ends_on = forms.DateField(label=_("New end date"), widget=DateInput)


class AssignForm(forms.Form):
    person = ScopedChoiceField(label=_("Person"), access=tenant_selectors.access_person, choices_func=_people)
    assigned_on = forms.DateField(label=_("Assigned on"), widget=DateInput, required=False)


class AppraisalForm(forms.Form):
    period = forms.DateField(
        label=_("Month"), widget=forms.DateInput(attrs={"type": "month"}), input_formats=["%Y-%m", "%Y-%m-%d"]
    )
    score = forms.IntegerField(label=_("Score"), min_value=0, max_value=100)
    findings = forms.CharField(
        label=_("Findings"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000
    )


def _writable_units(scope):
    return [(u, unit_label(u)) for u in tenant_selectors.writable_units(scope=scope, perm=MANAGE_CONTRACTORS)]


class RegisterImportForm(forms.Form):
    """The contractor register from Excel; the unit is where the import job is filed (the
    register itself is the group's)."""

    org_unit = ScopedChoiceField(
        label=_("Filed under unit"), access=tenant_selectors.access_org_unit, choices_func=_writable_units
    )
    file = ValidatedFileField(
        label=_("Excel file (.xlsx)"), kinds=["xlsx"], max_bytes=lambda: settings.IMPORT_MAX_BYTES
    )

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].set_choices(scope, blank=False)


class StaffImportForm(forms.Form):
    """An engagement's staff from Excel (the engagement is the page's)."""

    file = ValidatedFileField(
        label=_("Excel file (.xlsx)"), kinds=["xlsx"], max_bytes=lambda: settings.IMPORT_MAX_BYTES
    )

    def __init__(self, *args, scope=None, **kwargs):
        super().__init__(*args, **kwargs)
