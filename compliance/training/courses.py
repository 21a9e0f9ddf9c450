"""Writes of courses, training sessions and attendance: validate, save, audit — in one transaction.

Reads (lists, access helpers) live here too, at the bottom, since they are few. Every function
takes the scope first and filters on it itself.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext as _

from compliance.access import access_or_404
from compliance.audit.services import PendingEvent, audit_record, audit_record_many
from compliance.training import permissions as training_perms
from tenants import roles
from tenants.models import OrgUnit, Person
from tenants.scope import Scope
from tenants.services import snapshot

from . import prejob
from .models import Attendance, Course, TrainingSession

COURSE_FIELDS = ("kind", "operation_type", "title", "hours", "description")
SESSION_FIELDS = ("starts_on", "ends_on", "hours", "instructor", "location")
MAX_HOURS = Decimal("9999.9")


def _hours(value, field: str = "hours") -> Decimal:
    try:
        hours = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({field: [_("Enter the hours as a number, e.g. 8 or 1.5.")]}) from None
    if hours <= 0 or hours > MAX_HOURS:
        raise ValidationError({field: [_("Hours must be more than 0 and at most 9999.9.")]})
    return hours


def _full_clean(obj, exclude=("tenant",)) -> None:
    obj.full_clean(exclude=list(exclude), validate_unique=False)


# --- courses -----------------------------------------------------------------------------------------
def _course_errors(course: Course) -> dict:
    errors: dict[str, list] = {}
    if course.kind == Course.Kind.SPECIAL_OPERATION and not course.operation_type:
        errors["operation_type"] = [_("A special-operation course needs an operation type.")]
    elif course.kind != Course.Kind.SPECIAL_OPERATION and course.operation_type:
        errors["operation_type"] = [_("Only special-operation courses have an operation type.")]
    if not course.title:
        errors["title"] = [_("Give the course a title.")]
    # Unique per unit: look across the tenant (only existence is revealed).
    if (
        course.title
        and Course.dangerously_unscoped.filter(
            tenant_id=course.tenant_id, org_unit_id=course.org_unit_id, title=course.title
        )
        .exclude(pk=course.pk)
        .exists()
    ):
        errors["title"] = [_("This unit already has a course with this title.")]
    return errors


def _fill(obj, fields: dict, allowed) -> None:
    for name, value in fields.items():
        if name in allowed:
            setattr(obj, name, value.strip() if isinstance(value, str) else value)


def _save_course(course: Course) -> None:
    errors = {}
    try:
        course.hours = _hours(course.hours)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    errors = _course_errors(course) | errors
    try:
        _full_clean(course)
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, messages)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            course.save()
    except IntegrityError as exc:  # a concurrent insert won the race
        raise ValidationError({"title": [_("This unit already has a course with this title.")]}) from exc


@transaction.atomic
def course_create(*, scope: Scope, org_unit: OrgUnit, **fields) -> Course:
    scope.require(training_perms.MANAGE_TRAINING, org_unit)
    course = Course(tenant_id=org_unit.tenant_id, org_unit=org_unit)
    fields.setdefault("operation_type", "")
    fields.setdefault("description", "")
    _fill(course, fields, COURSE_FIELDS)
    _save_course(course)
    audit_record(action="create", obj=course, after=snapshot(course))
    return course


@transaction.atomic
def course_update(*, scope: Scope, course: Course, **fields) -> Course:
    scope.require(training_perms.MANAGE_TRAINING, course.org_unit)
    before = snapshot(course)
    _fill(course, fields, COURSE_FIELDS)
    _save_course(course)
    audit_record(action="update", obj=course, before=before, after=snapshot(course))
    return course


# --- sessions --------------------------------------------------------------------------------------
def _session_errors(session: TrainingSession, course: Course) -> dict:
    errors: dict[str, list] = {}
    if session.org_unit.tenant_id != course.tenant_id or not session.org_unit.path.startswith(
        course.org_unit.path
    ):
        errors["org_unit"] = [_("A session is held by the course's unit or a unit under it.")]
    if session.starts_on and session.ends_on and session.ends_on < session.starts_on:
        errors["ends_on"] = [_("The end date cannot be before the start date.")]
    return errors


def _save_session(session: TrainingSession) -> None:
    errors = {}
    try:
        session.hours = _hours(session.hours)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    for name in ("starts_on", "ends_on"):
        if not isinstance(getattr(session, name), datetime.date):
            errors[name] = [_("Enter a valid date.")]
    if not errors:
        errors = _session_errors(session, session.course)
    try:
        _full_clean(session)
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, messages)
    if errors:
        raise ValidationError(errors)
    session.save()


@transaction.atomic
def session_create(
    *, scope: Scope, course: Course, org_unit: OrgUnit | None = None, **fields
) -> TrainingSession:
    if org_unit is None and not scope.has_perm(
        training_perms.MANAGE_TRAINING, course.org_unit.path, course.tenant_id
    ):
        # A course of the group (a unit above the caller's) is held by one of the caller's units.
        raise ValidationError({"org_unit": [_("Choose the unit that holds the session.")]})
    org_unit = org_unit or course.org_unit
    scope.require(training_perms.MANAGE_TRAINING, org_unit)
    fields.setdefault("hours", course.hours)
    session = TrainingSession(tenant_id=org_unit.tenant_id, course=course, org_unit=org_unit)
    _fill(session, fields, SESSION_FIELDS)
    _save_session(session)
    audit_record(action="create", obj=session, after=snapshot(session))
    return session


@transaction.atomic
def session_update(*, scope: Scope, session: TrainingSession, **fields) -> TrainingSession:
    scope.require(training_perms.MANAGE_TRAINING, session.org_unit)
    before = snapshot(session)
    _fill(session, fields, SESSION_FIELDS)
    _save_session(session)
    over = session.attendances.filter(hours__gt=session.hours).count()
    if over:
        raise ValidationError(
            {"hours": [_("%(n)d attendees have more hours than this; lower theirs first.") % {"n": over}]}
        )
    audit_record(action="update", obj=session, before=before, after=snapshot(session))
    return session


@transaction.atomic
def session_delete(*, scope: Scope, session: TrainingSession) -> None:
    scope.require(training_perms.MANAGE_TRAINING, session.org_unit)
    audit_record(
        action="delete",
        obj=session,
        before=snapshot(session) | {"attendances": session.attendances.count()},
    )
    session.delete()


# --- attendance ------------------------------------------------------------------------------------
def attendance_build(*, session: TrainingSession, person: Person, hours=None) -> Attendance:
    """An unsaved, validated attendance (the Excel import checks a whole file before saving)."""
    errors: dict[str, list] = {}
    if person.tenant_id != session.tenant_id or not person.org_unit.path.startswith(session.org_unit.path):
        errors["person"] = [_("%(name)s is not in the unit that held this session.") % {"name": person.name}]
    if person.status == Person.Status.LEFT:
        errors.setdefault("person", []).append(_("%(name)s has left.") % {"name": person.name})
    value = session.hours if hours in (None, "") else hours
    try:
        value = _hours(value)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    else:
        if value > session.hours:
            errors["hours"] = [
                _("Hours attended cannot exceed the session's %(h)s hours.") % {"h": session.hours}
            ]
    if errors:
        raise ValidationError(errors)
    return Attendance(tenant_id=session.tenant_id, session=session, person=person, hours=value)


@transaction.atomic
def attendance_add(*, scope: Scope, session: TrainingSession, people, hours=None) -> list[Attendance]:
    """Record that these people attended; hours default to the session's."""
    scope.require(training_perms.MANAGE_TRAINING, session.org_unit)
    people = list(people)
    if not people:
        raise ValidationError({"people": [_("Choose at least one person.")]})
    already = set(
        # Attendance of a session and people already fetched in scope; only their ids are read.
        Attendance.dangerously_unscoped.filter(session=session, person__in=people).values_list(
            "person_id", flat=True
        )
    )
    errors: dict[str, list] = {}
    rows = []
    for person in people:
        if person.pk in already:
            errors.setdefault("people", []).append(
                _("%(name)s is already on the attendance list.") % {"name": person.name}
            )
            continue
        try:
            rows.append(attendance_build(session=session, person=person, hours=hours))
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault("people" if key == "person" else key, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    Attendance.objects.bulk_create(rows)
    audit_record_many(
        [
            PendingEvent(
                action="create",
                obj=a,
                object_repr=f"{a.person.name} · {session.course.title}",
                org_path=a.person.org_unit.path,
                after={"session": str(session.pk), "person": str(a.person_id), "hours": str(a.hours)},
            )
            for a in rows
        ]
    )
    # Hours that may clear a pre-job hold (岗前培训): the gate is asked again for those it holds.
    prejob.recheck(scope, [a.person_id for a in rows])
    return rows


@transaction.atomic
def attendance_update(*, scope: Scope, attendance: Attendance, hours) -> Attendance:
    session = attendance.session
    scope.require(training_perms.MANAGE_TRAINING, session.org_unit)
    before = {"hours": str(attendance.hours)}
    attendance.hours = attendance_build(session=session, person=attendance.person, hours=hours).hours
    attendance.save(update_fields=["hours"])
    audit_record(
        action="update",
        obj=attendance,
        object_repr=f"{attendance.person.name} · {session.course.title}",
        org_path=attendance.person.org_unit.path,
        before=before,
        after={"hours": str(attendance.hours)},
    )
    prejob.recheck(scope, [attendance.person_id])
    return attendance


@transaction.atomic
def attendance_remove(*, scope: Scope, attendance: Attendance) -> None:
    scope.require(training_perms.MANAGE_TRAINING, attendance.session.org_unit)
    audit_record(
        action="delete",
        obj=attendance,
        object_repr=f"{attendance.person.name} · {attendance.session.course.title}",
        org_path=attendance.person.org_unit.path,
        before={
            "session": str(attendance.session_id),
            "person": str(attendance.person_id),
            "hours": str(attendance.hours),
        },
    )
    attendance.delete()


# --- reads -----------------------------------------------------------------------------------------
def access_course(scope: Scope, pk) -> Course:
    return access_or_404(scope, Course.objects.select_related("org_unit"), pk)


def access_session(scope: Scope, pk) -> TrainingSession:
    return access_or_404(scope, TrainingSession.objects.select_related("course", "org_unit"), pk)


def access_attendance(scope: Scope, pk) -> Attendance:
    return access_or_404(
        scope, Attendance.objects.select_related("session__org_unit", "person__org_unit"), pk
    )


def course_list(
    *, scope: Scope, org_unit: OrgUnit | None = None, kind: str = "", search: str = ""
) -> QuerySet:
    qs = scope.filter_queryset(Course.objects.select_related("org_unit", "tenant")).annotate(
        session_count=Count("sessions")
    )
    if org_unit is not None:
        qs = qs.filter(org_unit__path__startswith=org_unit.path)
    if kind:
        qs = qs.filter(kind=kind)
    if search:
        qs = qs.filter(title__icontains=search)
    return qs.order_by("title", "org_unit__path")


def session_list(
    *,
    scope: Scope,
    org_unit: OrgUnit | None = None,
    course: Course | None = None,
    year: int | None = None,
) -> QuerySet:
    qs = scope.filter_queryset(
        TrainingSession.objects.select_related("course", "org_unit", "tenant")
    ).annotate(attendee_count=Count("attendances"), hours_total=Sum("attendances__hours"))
    if scope.person_id and scope.roles == {roles.WORKER}:
        # A worker sees only the sessions they attended (and, through the scope, only their row).
        qs = qs.filter(attendances__person_id=scope.person_id)
    if org_unit is not None:
        qs = qs.filter(org_unit__path__startswith=org_unit.path)
    if course is not None:
        qs = qs.filter(course=course)
    if year:
        qs = qs.filter(starts_on__year=year)
    return qs.order_by("-starts_on", "course__title")


def session_attendances(*, scope: Scope, session: TrainingSession) -> QuerySet:
    return scope.filter_queryset(
        Attendance.objects.filter(session=session).select_related("person", "person__org_unit")
    ).order_by("person__employee_no")


def session_candidates(*, scope: Scope, session: TrainingSession) -> QuerySet:
    """People of the session's unit subtree not yet on its attendance list."""
    return (
        scope.filter_queryset(Person.objects.select_related("org_unit"))
        .filter(org_unit__path__startswith=session.org_unit.path)
        .exclude(status=Person.Status.LEFT)
        .exclude(attendances__session=session)
        .order_by("employee_no")
    )


def my_attendances(*, scope: Scope, person: Person, year: int | None = None) -> QuerySet:
    qs = scope.filter_queryset(
        Attendance.objects.filter(person=person).select_related("session", "session__course")
    )
    if year:
        qs = qs.filter(session__starts_on__year=year)
    return qs.order_by("-session__starts_on")


def course_units(*, scope: Scope, perm: str = training_perms.MANAGE_TRAINING):
    from tenants.selectors import writable_units

    return writable_units(scope=scope, perm=perm)
