"""Forms of the question-bank and exam-paper pages. They parse input only; the rules live in
``training.bank``."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from compliance.files import ValidatedFileField
from compliance.pages import ScopedChoiceField, unit_label
from compliance.training import permissions as training_perms
from tenants import roles, selectors
from tenants.models import Person

from .bank import MAX_OPTIONS
from .models import ExamPaper, MineType, OperationType, PostCategory, Question

DIFFICULTY_CHOICES = [(1, _("1 · easy")), (2, _("2 · medium")), (3, _("3 · hard"))]


def _manageable_units(scope):
    return [
        (u, unit_label(u)) for u in selectors.writable_units(scope=scope, perm=training_perms.MANAGE_TRAINING)
    ]


def manageable_people(scope):
    """People under the units where the scope may manage training (the audience picker)."""
    prefixes = [g.path for g in scope.grants if training_perms.MANAGE_TRAINING in roles.perms_of(g.role)]
    if scope.read_only or not prefixes:
        return Person.objects.none()
    cond = Q(pk__in=[])
    for prefix in prefixes:
        cond |= Q(org_unit__path__startswith=prefix)
    qs = scope.filter_queryset(Person.objects.select_related("org_unit")).filter(cond)
    return qs.exclude(status=Person.Status.LEFT).order_by("org_unit__path", "employee_no")


class ScopedMultipleChoiceField(forms.Field):
    """Several references to tenant objects, looked up inside the scope in one query. A foreign or
    missing id is a 404, exactly as in the URL (``compliance.pages.ScopedChoiceField``)."""

    widget = forms.SelectMultiple

    def __init__(self, *, queryset_func, label_func=str, **kwargs):
        self.queryset_func = queryset_func
        self.label_func = label_func
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def set_choices(self, scope):
        self.scope = scope
        self.widget.choices = [(str(obj.pk), self.label_func(obj)) for obj in self.queryset_func(scope)]

    def to_python(self, value):
        if value in (None, "", []):
            return []
        values = value if isinstance(value, list | tuple) else [value]
        ids = []
        for item in values:
            try:
                ids.append(forms.UUIDField().clean(item))
            except ValidationError:
                raise Http404 from None  # a malformed id looks exactly like a missing one
        ids = list(dict.fromkeys(i for i in ids if i is not None))
        found = list(self.queryset_func(self.scope).filter(pk__in=ids))
        if len(found) != len(ids):
            raise Http404
        return found


# --- questions -----------------------------------------------------------------------------------------
class QuestionFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Stem, explanation or topic")}),
    )
    type = forms.ChoiceField(
        label=_("Question type"), choices=[("", _("All types"))] + Question.Type.choices, required=False
    )
    topic = forms.ChoiceField(label=_("Topic"), required=False)
    post_category = forms.ChoiceField(
        label=_("Post category"),
        choices=[("", _("All post categories"))] + PostCategory.choices,
        required=False,
    )
    mine_type = forms.ChoiceField(
        label=_("Mine type"), choices=[("", _("All mine types"))] + MineType.choices, required=False
    )
    difficulty = forms.TypedChoiceField(
        label=_("Difficulty"),
        choices=[("", _("Any difficulty"))] + DIFFICULTY_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
    )
    state = forms.ChoiceField(
        label=_("State"),
        choices=[("", _("In the bank")), ("retired", _("Retired"))],
        required=False,
    )

    def __init__(self, *args, topics=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = [("", _("All topics"))] + [(t, t) for t in topics]


class QuestionForm(forms.Form):
    org_unit = ScopedChoiceField(
        label=_("Bank of unit"),
        access=selectors.access_org_unit,
        choices_func=_manageable_units,
        help_text=_("Questions of a unit can be drawn by every paper of the group."),
    )
    type = forms.ChoiceField(label=_("Question type"), choices=Question.Type.choices)
    stem = forms.CharField(label=_("Stem"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    true_false_answer = forms.ChoiceField(
        label=_("Answer (true/false)"),
        choices=[("true", _("True (正确)")), ("false", _("False (错误)"))],
        widget=forms.RadioSelect,
        required=False,
        help_text=_("For a true/false question only; the option rows below are ignored for it."),
    )
    explanation = forms.CharField(
        label=_("Explanation"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    post_categories = forms.MultipleChoiceField(
        label=_("Post categories"),
        choices=PostCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("None ticked: for everyone."),
    )
    mine_types = forms.MultipleChoiceField(
        label=_("Mine types"),
        choices=MineType.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("None ticked: for every mine type."),
    )
    topic = forms.CharField(label=_("Topic"), max_length=64, required=False)
    difficulty = forms.TypedChoiceField(
        label=_("Difficulty"), choices=DIFFICULTY_CHOICES, coerce=int, initial=2
    )

    def __init__(self, *args, scope, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if creating:
            self.fields["org_unit"].set_choices(scope)
        else:
            del self.fields["org_unit"]

    def data_for_service(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k not in ("org_unit", "true_false_answer")}


class OptionForm(forms.Form):
    text = forms.CharField(label=_("Option"), max_length=500, required=False)
    is_correct = forms.BooleanField(label=_("Correct"), required=False)


OptionFormSet = forms.formset_factory(OptionForm, extra=MAX_OPTIONS, max_num=MAX_OPTIONS, validate_max=True)


class ImportForm(forms.Form):
    org_unit = ScopedChoiceField(
        label=_("Into the bank of"), access=selectors.access_org_unit, choices_func=_manageable_units
    )
    file = ValidatedFileField(
        label=_("Excel file (.xlsx)"), kinds=["xlsx"], max_bytes=lambda: settings.IMPORT_MAX_BYTES
    )

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].set_choices(scope, blank=False)


# --- papers ---------------------------------------------------------------------------------------------
class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class PaperForm(forms.Form):
    org_unit = ScopedChoiceField(
        label=_("Unit"), access=selectors.access_org_unit, choices_func=_manageable_units
    )
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=1, max_value=600, initial=120
    )
    pass_mark = forms.IntegerField(label=_("Pass mark (of 100)"), min_value=0, max_value=100, initial=80)
    attempts_allowed = forms.IntegerField(
        label=_("Attempts allowed"),
        min_value=1,
        max_value=10,
        initial=2,
        help_text=_("2 means one re-sit."),
    )
    shuffle_questions = forms.BooleanField(label=_("Shuffle questions"), required=False, initial=True)
    shuffle_options = forms.BooleanField(label=_("Shuffle options"), required=False, initial=True)
    show_answers = forms.ChoiceField(
        label=_("Answers and explanations"),
        choices=ExamPaper.ShowAnswers.choices,
        initial=ExamPaper.ShowAnswers.AFTER_LAST_ATTEMPT,
        help_text=_(
            "Shown to a taker only once they can no longer sit the paper. Spot-exam and re-test "
            "papers never show them."
        ),
    )
    audience_post_categories = forms.MultipleChoiceField(
        label=_("Audience: post categories"),
        choices=PostCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Everyone of these post categories under the paper's unit."),
    )
    audience_units = ScopedMultipleChoiceField(
        label=_("Audience: units"),
        queryset_func=lambda scope: selectors.writable_units(
            scope=scope, perm=training_perms.MANAGE_TRAINING
        ),
        label_func=unit_label,
        help_text=_("Everyone under these units."),
    )
    audience_people = ScopedMultipleChoiceField(
        label=_("Audience: named people"),
        queryset_func=manageable_people,
        label_func=lambda p: f"{p.employee_no} {p.name} · {p.org_unit.name}",
    )
    opens_at = forms.DateTimeField(label=_("Opens at"), required=False, widget=DateTimeInput())
    closes_at = forms.DateTimeField(label=_("Closes at"), required=False, widget=DateTimeInput())
    issues_certificate = forms.ChoiceField(
        label=_("Passing issues a training record"),
        choices=ExamPaper.CertificateKind.choices,
        required=False,
        help_text=_(
            "The group's own record. Statutory certificates (managers' assessment, special "
            "operations) are recorded from the issuing authority."
        ),
    )
    certificate_operation_type = forms.ChoiceField(
        label=_("Certificate operation type"),
        choices=[("", "—")] + OperationType.choices,
        required=False,
        help_text=_("Optional: the trade the training record is for."),
    )
    is_spot_exam = forms.BooleanField(
        label=_("Spot-exam paper (逢查必考)"),
        required=False,
        help_text=_("Drawn during inspections instead of being assigned to an audience."),
    )
    clears_suspension = forms.BooleanField(label=_("Passing clears a suspension from post"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, scope, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if creating:
            self.fields["org_unit"].set_choices(scope)
        else:
            del self.fields["org_unit"]
        self.fields["audience_units"].set_choices(scope)
        self.fields["audience_people"].set_choices(scope)

    def data_for_service(self) -> dict:
        skip = ("org_unit", "audience_units", "audience_people")
        return {k: v for k, v in self.cleaned_data.items() if k not in skip}


class SectionForm(forms.Form):
    question_type = forms.ChoiceField(
        label=_("Question type"), choices=[("", "—")] + Question.Type.choices, required=False
    )
    post_category = forms.ChoiceField(
        label=_("Post category"), choices=[("", _("Any"))] + PostCategory.choices, required=False
    )
    mine_type = forms.ChoiceField(
        label=_("Mine type"), choices=[("", _("Any"))] + MineType.choices, required=False
    )
    topic = forms.CharField(label=_("Topic"), max_length=64, required=False)
    difficulty = forms.TypedChoiceField(
        label=_("Difficulty"),
        choices=[("", _("Any"))] + DIFFICULTY_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
    )
    count = forms.IntegerField(label=_("Questions"), min_value=1, max_value=500, required=False)
    points = forms.DecimalField(
        label=_("Points each"), min_value=0, max_digits=5, decimal_places=2, required=False
    )

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {}) or {}
        return not data.get("question_type") and data.get("count") is None and data.get("points") is None


SectionFormSet = forms.formset_factory(SectionForm, extra=0, max_num=30, validate_max=True)


def section_rows(formset) -> list[dict]:
    """The filled-in blueprint lines of a (validated) section formset, in order."""
    return [dict(form.cleaned_data) for form in formset.forms if form.cleaned_data and not form.is_blank()]
