"""Forms of the responsibility-list pages."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy

from compliance.files import ValidatedFileField
from compliance.pages import ScopedChoiceField, unit_label
from tenants import selectors as tenant_selectors
from tenants.models import OrgUnit

from . import selectors_lists as sel
from .models.lists import DutyListSettings, DutyPost
from .permissions_lists import MANAGE_DUTY_LISTS

# One item per line, fields separated by "|" (or the full-width "｜" a Chinese keyboard types).
ITEM_LINE_HELP = gettext_lazy(
    "One item per line: duty | scope | assessment criterion | evidence expected | points (default 10)."
)


class DateInput(forms.DateInput):
    input_type = "date"


def access_post(scope, pk) -> DutyPost:
    from compliance.access import access_or_404

    return access_or_404(scope, sel.posts(scope), pk)


def _post_choices(scope):
    return [(p, p.name) for p in sel.posts(scope)]


def _list_units(scope):
    return [
        (u, unit_label(u))
        for u in tenant_selectors.writable_units(
            scope=scope,
            perm=MANAGE_DUTY_LISTS,
            kinds=[OrgUnit.Kind.HQ, OrgUnit.Kind.SUBSIDIARY, OrgUnit.Kind.MINE],
        )
    ]


def parse_item_lines(text: str) -> list[dict]:
    items = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.replace("｜", "|").split("|")]
        parts += [""] * (5 - len(parts))
        items.append(
            {
                "duty": parts[0],
                "scope": parts[1],
                "criterion": parts[2],
                "evidence": parts[3],
                "max_score": parts[4] or None,
            }
        )
    return items


def item_lines(items) -> str:
    return "\n".join(
        " | ".join([i["duty"], i["scope"], i["criterion"], i["evidence"], str(i["max_score"])]) for i in items
    )


class PublishForm(forms.Form):
    post = ScopedChoiceField(label=gettext_lazy("Post"), access=access_post, choices_func=_post_choices)
    org_unit = ScopedChoiceField(
        label=gettext_lazy("Kept by"),
        access=tenant_selectors.access_org_unit,
        choices_func=_list_units,
        help_text=gettext_lazy(
            "The group's own list, or a subsidiary's or mine's adaptation of the list above it."
        ),
    )
    lines = forms.CharField(
        label=gettext_lazy("Items"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=ITEM_LINE_HELP,
    )
    note = forms.CharField(label=gettext_lazy("What changed"), max_length=300, required=False)

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["post"].set_choices(scope)
        self.fields["org_unit"].set_choices(scope)


class ImportForm(forms.Form):
    """The Excel import of list templates: the unit whose lists the file publishes, and the file."""

    org_unit = ScopedChoiceField(
        label=gettext_lazy("Kept by"),
        access=tenant_selectors.access_org_unit,
        choices_func=_list_units,
        help_text=gettext_lazy(
            "The group's own lists, or a subsidiary's or mine's adaptations of the lists above it."
        ),
    )
    file = ValidatedFileField(
        label=gettext_lazy("Excel file (.xlsx)"), kinds=["xlsx"], max_bytes=lambda: settings.IMPORT_MAX_BYTES
    )

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].set_choices(scope, blank=False)


class PostForm(forms.Form):
    code = forms.SlugField(label=gettext_lazy("Code"), max_length=40)
    name = forms.CharField(label=gettext_lazy("Post"), max_length=64)
    level = forms.ChoiceField(label=gettext_lazy("Level"), choices=DutyPost.Level.choices)
    is_mine_principal = forms.BooleanField(label=gettext_lazy("Principal of the mine"), required=False)
    position = forms.IntegerField(label=gettext_lazy("Order"), min_value=0, max_value=999, initial=0)


class HolderForm(forms.Form):
    employee_no = forms.CharField(label=gettext_lazy("Employee number"), max_length=32)
    post = ScopedChoiceField(label=gettext_lazy("Post"), access=access_post, choices_func=_post_choices)
    since = forms.DateField(label=gettext_lazy("On the post since"), widget=DateInput())

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["post"].set_choices(scope)


class AckFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[
            ("", gettext_lazy("All")),
            ("overdue", gettext_lazy("Overdue")),
            ("due", gettext_lazy("To sign")),
            ("signed", gettext_lazy("Signed")),
        ],
    )
    unit = forms.UUIDField(required=False, widget=forms.HiddenInput)


class PeriodForm(forms.Form):
    period = forms.DateField(
        label=gettext_lazy("Period"),
        required=False,
        widget=DateInput(),
        help_text=gettext_lazy("Any day of it."),
    )
    unit = forms.UUIDField(required=False, widget=forms.HiddenInput)


class SignForm(forms.Form):
    signed_name = forms.CharField(label=gettext_lazy("Sign with your full name"), max_length=64)


class SettingsForm(forms.Form):
    assessment_cycle = forms.ChoiceField(
        label=gettext_lazy("Assessment cycle"), choices=DutyListSettings.Cycle.choices
    )
    acknowledge_within_days = forms.IntegerField(
        label=gettext_lazy("Days to acknowledge a list"), min_value=1, max_value=365
    )
    pass_score = forms.IntegerField(label=gettext_lazy("Pass mark (percent)"), min_value=1, max_value=100)
    hold_on_failed_assessment = forms.BooleanField(
        label=gettext_lazy("A failed assessment suspends from post"),
        required=False,
        help_text=gettext_lazy("Off: a failed assessment is shown as a warning only."),
    )
