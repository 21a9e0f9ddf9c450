"""Pages of courses, training sessions with attendance, the sessions import, and hours against
the rules (the training landing page) — thin: parse input, call a selector or service, render."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from compliance.files import ValidatedFileField
from compliance.http import no_store
from compliance.imports.views import ImportTemplateView, ImportView
from compliance.imports.writer import new_workbook, workbook_bytes
from compliance.pages import (
    ScopedChoiceField,
    ScopedPageMixin,
    apply_service_errors,
    filter_query,
    paginate,
    unit_label,
    valid_filters,
)
from compliance.training import courses, hours, sessions_io
from compliance.training import permissions as training_perms
from compliance.training.models import Course
from tenants import roles, selectors
from tenants.models import Person

XLSX = sessions_io.XLSX


def _writable_units(scope):
    return [
        (u, unit_label(u)) for u in selectors.writable_units(scope=scope, perm=training_perms.MANAGE_TRAINING)
    ]


def _visible_units(scope):
    units = selectors.org_unit_list(scope=scope)
    return [(u, unit_label(u)) for u in units]


def is_worker_only(scope) -> bool:
    """A login whose only role is the self-only worker: sees their own training, nothing else."""
    return bool(scope.person_id) and scope.roles == {roles.WORKER}


class DateInput(forms.DateInput):
    input_type = "date"


# --- forms -----------------------------------------------------------------------------------------
class CourseForm(forms.Form):
    org_unit = ScopedChoiceField(
        label=gettext_lazy("Unit"), access=selectors.access_org_unit, choices_func=_writable_units
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Course.Kind.choices)
    operation_type = forms.ChoiceField(
        label=gettext_lazy("Operation type"),
        choices=[("", "—")] + Person.OperationType.choices,
        required=False,
        help_text=gettext_lazy("Only for special-operation training."),
    )
    hours = forms.DecimalField(label=gettext_lazy("Hours"), max_digits=5, decimal_places=1, min_value=0.1)
    description = forms.CharField(label=gettext_lazy("Description"), widget=forms.Textarea, required=False)

    def __init__(self, *args, scope, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["org_unit"]
        else:
            self.fields["org_unit"].set_choices(scope, blank=False)


def _course_choices(scope):
    units = [g.path for g in scope.grants if training_perms.MANAGE_TRAINING in roles.perms_of(g.role)]
    rows = courses.course_list(scope=scope)
    return [
        (c, f"{c.title} · {c.org_unit.name}")
        for c in rows
        # A session is held at the caller's unit under the course's: the course may be the
        # caller's own or one of a unit above it (the group's courses).
        if not scope.read_only
        and any(c.org_unit.path.startswith(p) or p.startswith(c.org_unit.path) for p in units)
    ]


class SessionForm(forms.Form):
    course = ScopedChoiceField(
        label=gettext_lazy("Course"), access=courses.access_course, choices_func=_course_choices
    )
    org_unit = ScopedChoiceField(
        label=gettext_lazy("Held by"),
        access=selectors.access_org_unit,
        choices_func=_writable_units,
        required=False,
        help_text=gettext_lazy(
            "Empty: the course's unit. Attendees come from this unit and the units under it."
        ),
    )
    starts_on = forms.DateField(label=gettext_lazy("Starts on"), widget=DateInput())
    ends_on = forms.DateField(label=gettext_lazy("Ends on"), widget=DateInput())
    hours = forms.DecimalField(
        label=gettext_lazy("Hours"),
        max_digits=5,
        decimal_places=1,
        min_value=0.1,
        required=False,
        help_text=gettext_lazy("Empty: the course's hours."),
    )
    instructor = forms.CharField(label=gettext_lazy("Instructor"), max_length=64, required=False)
    location = forms.CharField(label=gettext_lazy("Location"), max_length=200, required=False)

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].set_choices(scope)
        self.fields["org_unit"].set_choices(scope)


class AttendanceForm(forms.Form):
    people = forms.TypedMultipleChoiceField(
        label=gettext_lazy("People"), widget=forms.CheckboxSelectMultiple, coerce=str
    )
    hours = forms.DecimalField(
        label=gettext_lazy("Hours attended"),
        max_digits=5,
        decimal_places=1,
        min_value=0.1,
        required=False,
        help_text=gettext_lazy("Empty: the session's hours."),
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = {str(p.pk): p for p in candidates}
        self.fields["people"].choices = [
            (pk, f"{p.name}（{p.employee_no}）· {p.org_unit.name}") for pk, p in self.candidates.items()
        ]

    def chosen_people(self) -> list[Person]:
        return [self.candidates[pk] for pk in self.cleaned_data["people"]]


class AttendanceHoursForm(forms.Form):
    hours = forms.DecimalField(
        label=gettext_lazy("Hours attended"), max_digits=5, decimal_places=1, min_value=0.1
    )


class SessionImportForm(forms.Form):
    org_unit = ScopedChoiceField(
        label=gettext_lazy("For unit"), access=selectors.access_org_unit, choices_func=_writable_units
    )
    file = ValidatedFileField(
        label=gettext_lazy("Excel file (.xlsx)"), kinds=["xlsx"], max_bytes=lambda: settings.IMPORT_MAX_BYTES
    )

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].set_choices(scope, blank=False)


LEVELS = [
    ("team", gettext_lazy("Per team")),
    ("mine", gettext_lazy("Per mine")),
    ("subsidiary", gettext_lazy("Per subsidiary")),
    ("group", gettext_lazy("Per group")),
]


class HoursFilterForm(forms.Form):
    year = forms.IntegerField(
        label=gettext_lazy("Year"), min_value=hours.MIN_YEAR, max_value=hours.MAX_YEAR, required=False
    )
    unit = forms.UUIDField(label=gettext_lazy("Unit"), required=False)
    level = forms.ChoiceField(label=gettext_lazy("Summary"), choices=LEVELS, required=False)
    short_only = forms.BooleanField(label=gettext_lazy("Only people short of hours"), required=False)
    flagged_only = forms.BooleanField(label=gettext_lazy("Only people to retrain"), required=False)

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].widget = forms.Select(
            choices=[("", gettext_lazy("Everything I may see"))]
            + [(str(u.pk), label) for u, label in _visible_units(scope)]
        )


def _hours_filters(request, scope) -> dict:
    form = HoursFilterForm(request.GET or None, scope=scope)
    data = valid_filters(form)
    unit = selectors.access_org_unit(scope, data["unit"]) if data.get("unit") else None
    return {
        "form": form,
        "year": data.get("year") or hours.today().year,
        "unit": unit,
        "level": data.get("level") or "mine",
        "short_only": bool(data.get("short_only")),
        "flagged_only": bool(data.get("flagged_only")),
    }


# --- hours -----------------------------------------------------------------------------------------
class HoursView(ScopedPageMixin, TemplateView):
    """The training landing page: hours against the rules, per unit and per person."""

    template_name = "training/hours_report.html"
    required_perm = training_perms.VIEW_TRAINING

    def get_context_data(self, **kwargs):
        f = _hours_filters(self.request, self.scope)
        rules = hours.rules_for_year(f["year"])
        people = hours.people_hours(
            scope=self.scope,
            year=f["year"],
            org_unit=f["unit"],
            short_only=f["short_only"],
            flagged_only=f["flagged_only"],
            people=Person.objects.select_related("org_unit", "tenant"),
            rules=rules,
        )
        page = paginate(self.request, people)
        for person in page:
            # From the packs resolved once for the page: no query per row.
            person.rule_note = hours.unverified_note(rules, person)
        summaries = hours.summary_by_unit(
            scope=self.scope, year=f["year"], level=f["level"], org_unit=f["unit"], rules=rules
        )
        # A summary row may name a unit above the caller's reach (a team leader sees the mine
        # their team is in): its drill-down is everything the caller may see, not that unit,
        # which is outside the scope and would answer 404.
        reachable = {value for value, _label in f["form"].fields["unit"].widget.choices if value}
        for summary in summaries:
            summary.drill_unit = (
                summary.unit if summary.unit is not None and str(summary.unit.pk) in reachable else None
            )
        return super().get_context_data(
            filter_form=f["form"],
            year=f["year"],
            unit=f["unit"],
            pack=rules.pack,
            overrides=rules.overrides,
            summaries=summaries,
            level_label=dict(LEVELS)[f["level"]],
            page=page,
            query=filter_query(self.request),
            can_manage=self.scope.has_perm(training_perms.MANAGE_TRAINING),
            **kwargs,
        )


class HoursExportView(ScopedPageMixin, View):
    required_perm = training_perms.VIEW_TRAINING

    def get(self, request):
        if is_worker_only(self.scope):
            raise Http404
        f = _hours_filters(request, self.scope)
        people = hours.people_hours(
            scope=self.scope,
            year=f["year"],
            org_unit=f["unit"],
            short_only=f["short_only"],
            flagged_only=f["flagged_only"],
            people=Person.objects.select_related("org_unit", "tenant"),
        )
        wb = new_workbook(write_only=True)
        ws = wb.create_sheet(_("Training hours"))
        ws.append(
            [
                _("Employee number"),
                _("Name"),
                _("Team or mine"),
                _("Post category"),
                _("Mine type"),
                _("New this year"),
                _("Hours required"),
                _("Hours done"),
                _("Hours short"),
                _("Retraining"),
            ]
        )
        for p in people:
            ws.append(
                [
                    p.employee_no,
                    p.name,
                    p.org_unit.name,
                    p.get_post_category_display(),
                    hours.mine_type_label(p.mine_type),
                    _("Yes") if p.is_new else _("No"),
                    float(p.required),
                    float(p.hours_done),
                    float(p.shortfall),
                    "；".join(hours.retraining_labels(p)),
                ]
            )
        response = HttpResponse(workbook_bytes(wb), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="training-hours-{f["year"]}.xlsx"'
        return no_store(response)


class MyTrainingView(ScopedPageMixin, TemplateView):
    """A worker's own attendance and hours against what they owe this year."""

    template_name = "training/hours_mine.html"
    required_perm = training_perms.VIEW_TRAINING

    def get_context_data(self, **kwargs):
        form = HoursFilterForm(self.request.GET or None, scope=self.scope)
        year = (form.cleaned_data.get("year") if form.is_valid() else None) or hours.today().year
        me = selectors.access_person(self.scope, self.scope.person_id) if self.scope.person_id else None
        if me is None:  # a login with no person record (an admin, a regulator): nothing of its own
            return super().get_context_data(me=None, year=year, row=None, attendances=[], **kwargs)
        return super().get_context_data(
            me=me,
            year=year,
            row=hours.person_hours(scope=self.scope, person=me, year=year),
            attendances=courses.my_attendances(scope=self.scope, person=me, year=year),
            **kwargs,
        )


# --- courses ----------------------------------------------------------------------------------------
class CourseListView(ScopedPageMixin, TemplateView):
    template_name = "training/course_list.html"
    required_perm = training_perms.VIEW_TRAINING

    def get_context_data(self, **kwargs):
        kind = self.request.GET.get("kind", "")
        search = self.request.GET.get("q", "").strip()
        rows = courses.course_list(
            scope=self.scope, kind=kind if kind in Course.Kind.values else "", search=search
        )
        page = paginate(self.request, rows)
        for course in page:
            # A course of a unit above the caller's (the group HQ's) is theirs to use, not to edit.
            course.can_edit = self.scope.has_perm(
                training_perms.MANAGE_TRAINING, course.org_unit.path, course.tenant_id
            )
        return super().get_context_data(
            page=page,
            query=filter_query(self.request),
            kinds=Course.Kind.choices,
            filters={"kind": kind, "q": search},
            can_manage=self.scope.has_perm(training_perms.MANAGE_TRAINING),
            **kwargs,
        )


class CourseFormView(ScopedPageMixin, View):
    required_perm = training_perms.MANAGE_TRAINING
    template_name = "training/course_form.html"

    def _course(self, pk):
        if pk is None:
            return None
        course = courses.access_course(self.scope, pk)
        self.scope.require(training_perms.MANAGE_TRAINING, course.org_unit)
        return course

    def get(self, request, pk=None):
        course = self._course(pk)
        initial = {f: getattr(course, f) for f in courses.COURSE_FIELDS} if course else {"hours": 8}
        form = CourseForm(initial=initial, scope=self.scope, editing=course is not None)
        return render(request, self.template_name, {"form": form, "course": course})

    def post(self, request, pk=None):
        course = self._course(pk)
        form = CourseForm(request.POST, scope=self.scope, editing=course is not None)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                if course is None:
                    course = courses.course_create(scope=self.scope, **data)
                else:
                    course = courses.course_update(scope=self.scope, course=course, **data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Saved %(name)s.") % {"name": course.title})
                return redirect("training:course-list")
        return render(request, self.template_name, {"form": form, "course": course}, status=400)


# --- sessions ---------------------------------------------------------------------------------------
class SessionListView(ScopedPageMixin, TemplateView):
    template_name = "training/session_list.html"
    required_perm = training_perms.VIEW_TRAINING

    def get_context_data(self, **kwargs):
        form = HoursFilterForm(self.request.GET or None, scope=self.scope)
        data = valid_filters(form)
        unit = selectors.access_org_unit(self.scope, data["unit"]) if data.get("unit") else None
        rows = courses.session_list(scope=self.scope, org_unit=unit, year=data.get("year"))
        return super().get_context_data(
            filter_form=form,
            unit=unit,
            page=paginate(self.request, rows),
            query=filter_query(self.request),
            can_manage=self.scope.has_perm(training_perms.MANAGE_TRAINING),
            **kwargs,
        )


class SessionCreateView(ScopedPageMixin, View):
    required_perm = training_perms.MANAGE_TRAINING
    template_name = "training/session_form.html"

    def get(self, request):
        form = SessionForm(initial={"course": request.GET.get("course")}, scope=self.scope)
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        form = SessionForm(request.POST, scope=self.scope)
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
            try:
                session = courses.session_create(scope=self.scope, **data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Session saved; now add who attended."))
                return redirect("training:session-detail", pk=session.pk)
        return render(request, self.template_name, {"form": form}, status=400)


class SessionDetailView(ScopedPageMixin, View):
    """A session with its attendance list; a manager adds people from the session's unit subtree
    (hours default to the session's) and removes them."""

    required_perm = training_perms.VIEW_TRAINING
    template_name = "training/session_detail.html"

    def _context(self, session, form=None):
        can_manage = self.scope.has_perm(
            training_perms.MANAGE_TRAINING, session.org_unit.path, session.tenant_id
        )
        if can_manage and form is None:
            form = AttendanceForm(candidates=courses.session_candidates(scope=self.scope, session=session))
        return {
            "session": session,
            "attendances": courses.session_attendances(scope=self.scope, session=session),
            "form": form if can_manage else None,
            "can_manage": can_manage,
        }

    def get(self, request, pk):
        if is_worker_only(self.scope):
            raise Http404
        session = courses.access_session(self.scope, pk)
        return render(request, self.template_name, self._context(session))

    def post(self, request, pk):
        session = courses.access_session(self.scope, pk)
        self.scope.require(training_perms.MANAGE_TRAINING, session.org_unit)
        form = AttendanceForm(
            request.POST, candidates=courses.session_candidates(scope=self.scope, session=session)
        )
        if form.is_valid():
            try:
                added = courses.attendance_add(
                    scope=self.scope,
                    session=session,
                    people=form.chosen_people(),
                    hours=form.cleaned_data["hours"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Added %(n)d people.") % {"n": len(added)})
                return redirect("training:session-detail", pk=session.pk)
        return render(request, self.template_name, self._context(session, form), status=400)


class AttendanceEditView(ScopedPageMixin, View):
    required_perm = training_perms.MANAGE_TRAINING

    def post(self, request, pk):
        attendance = courses.access_attendance(self.scope, pk)
        form = AttendanceHoursForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError(form.errors.get("hours") or _("Enter the hours."))
            courses.attendance_update(
                scope=self.scope, attendance=attendance, hours=form.cleaned_data["hours"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Saved."))
        return redirect("training:session-detail", pk=attendance.session_id)


class AttendanceRemoveView(ScopedPageMixin, View):
    required_perm = training_perms.MANAGE_TRAINING

    def post(self, request, pk):
        attendance = courses.access_attendance(self.scope, pk)
        courses.attendance_remove(scope=self.scope, attendance=attendance)
        messages.success(request, _("Removed %(name)s.") % {"name": attendance.person.name})
        return redirect("training:session-detail", pk=attendance.session_id)


urlpatterns = [
    path("hours/", HoursView.as_view(), name="hours"),
    path("hours/export/", HoursExportView.as_view(), name="hours-export"),
    path("me/", MyTrainingView.as_view(), name="my-training"),
    path("courses/", CourseListView.as_view(), name="course-list"),
    path("courses/new/", CourseFormView.as_view(), name="course-create"),
    path("courses/<uuid:pk>/edit/", CourseFormView.as_view(), name="course-edit"),
    path("sessions/", SessionListView.as_view(), name="session-list"),
    path("sessions/new/", SessionCreateView.as_view(), name="session-create"),
    path("sessions/import/", ImportView.as_view(kind=sessions_io.IMPORT_KIND), name="session-import"),
    path(
        "sessions/import/template/",
        ImportTemplateView.as_view(kind=sessions_io.IMPORT_KIND),
        name="session-import-template",
    ),
    path("sessions/<uuid:pk>/", SessionDetailView.as_view(), name="session-detail"),
    path("attendance/<uuid:pk>/hours/", AttendanceEditView.as_view(), name="attendance-edit"),
    path("attendance/<uuid:pk>/remove/", AttendanceRemoveView.as_view(), name="attendance-remove"),
]
