"""Training sessions and their attendance from Excel (.xlsx), as a background job.

One row is one person at one session. Rows with the same course, dates, hours, instructor and
location make one session, held by the unit chosen at upload. People are matched by employee
number among the people of that unit's subtree the importer may see. A course is looked up by
title at that unit or a unit above it (the nearest wins); a title found nowhere makes a new
course at the unit (kind from the optional column, annual retraining by default).

Every row is checked first; one bad row means nothing is imported and every problem is listed
with its row, column and reason. Importing the same file twice is refused row by row ("already
recorded"), never doubled.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from compliance.audit.services import PendingEvent, audit_record_many
from compliance.imports import writer
from compliance.imports.columns import CHOICE, DATE, Column, cell_text
from compliance.imports.importers import Importer, register_importer, start_import
from compliance.imports.reader import read_rows
from compliance.imports.rows import (
    Problems,
    cell_at,
    nothing_to_import,
    parse_cells,
    report_progress,
    row_is_empty,
)
from compliance.imports.template import template_workbook
from compliance.jobs.models import Job
from compliance.jobs.services import JobRejected
from compliance.training import permissions as training_perms
from tenants.models import OrgUnit, Person
from tenants.scope import Scope, current_scope
from tenants.services import snapshot

from . import courses, prejob
from .models import Attendance, Course, TrainingSession

XLSX = writer.XLSX
IMPORT_KIND = "training_sessions_import"
MAX_ROWS = 20000


COLUMNS = [
    Column("course", gettext_lazy("Course title"), True, 24, example="2026年度安全再培训",
           help=gettext_lazy("A course of the unit or a unit above it; a new title makes a new course.")),
    Column("kind", gettext_lazy("Course kind"), False, 16, kind=CHOICE, choices=Course.Kind,
           help=gettext_lazy("For a new course. Empty: annual retraining.")),
    Column("operation_type", gettext_lazy("Operation type"), False, 14, kind=CHOICE,
           choices=Person.OperationType),
    Column("starts_on", gettext_lazy("Start date"), True, 12, example="2026-03-02", kind=DATE),
    Column("ends_on", gettext_lazy("End date"), False, 12, example="2026-03-03", kind=DATE,
           help=gettext_lazy("Empty: the start date.")),
    Column("hours", pgettext_lazy("import column", "Hours"), True, 8, example=16),
    Column("instructor", gettext_lazy("Instructor"), False, 12, example="王老师"),
    Column("location", gettext_lazy("Location"), False, 16, example="矿会议室"),
    Column("employee_no", gettext_lazy("Employee number"), True, 12, example="A-001",
           help=gettext_lazy("Of a person in the unit chosen at upload or a unit under it.")),
    Column("name", gettext_lazy("Name"), False, 10, example="张三",
           help=gettext_lazy("Optional; checked against the employee number.")),
    Column("attended", gettext_lazy("Hours attended"), False, 10, example=16,
           help=gettext_lazy("Empty: the session's hours.")),
]  # fmt: skip
CHOICES = {c.key: c.choices for c in COLUMNS if c.kind == CHOICE}


def import_template() -> bytes:
    return template_workbook(
        title=_("Sessions"),
        columns=COLUMNS,
        notes=[
            _(
                "Rows with the same course, dates, hours, instructor and location make one session. "
                "People are found by employee number in the chosen unit and the units under it."
            )
        ],
    )


def sessions_import_start(*, scope: Scope, user, org_unit: OrgUnit, upload) -> Job:
    scope.require(training_perms.MANAGE_TRAINING, org_unit)
    return start_import(scope=scope, user=user, kind=IMPORT_KIND, org_unit=org_unit, upload=upload)


# --- checking -------------------------------------------------------------------------------------------
@dataclass
class PlannedSession:
    session: TrainingSession
    existing: bool
    attendances: list = field(default_factory=list)


@dataclass
class ImportPlan:
    courses: list[Course]
    sessions: list[PlannedSession]


def sessions_import_prepare(job: Job, progress) -> ImportPlan:
    scope = current_scope()
    root = OrgUnit.objects.filter(pk=job.org_unit_id).first()
    if root is None or not scope.has_perm(training_perms.MANAGE_TRAINING, root.path, root.tenant_id):
        raise JobRejected(_("You may no longer import into this unit."), {"errors": []})
    lookups = {c.key: c.lookup() for c in COLUMNS if c.kind == CHOICE}

    rows, index = read_rows(job, COLUMNS)
    rows = list(rows)
    if len(rows) > MAX_ROWS:
        message = _("At most %(n)d rows per file.") % {"n": MAX_ROWS}
        raise JobRejected(message, {"errors": [{"row": None, "column": "", "message": message}]})

    # Everything needed to check the file, in a fixed number of queries.
    numbers = {cell_text(cell_at(r, index, "employee_no")) for r in rows} - {""}
    people = {
        p.employee_no: p
        for p in Person.objects.select_related("org_unit").filter(
            tenant_id=root.tenant_id, org_unit__path__startswith=root.path, employee_no__in=numbers
        )
    }
    ancestors = [uuid.UUID(seg) for seg in root.path.split("/") if seg]
    known_courses: dict[str, Course] = {}
    for course in (
        Course.objects.select_related("org_unit")
        .filter(tenant_id=root.tenant_id, org_unit_id__in=ancestors)
        .order_by("org_unit__depth")
    ):
        known_courses[course.title.strip().lower()] = course  # deeper units overwrite: nearest wins
    existing_sessions = {
        (s.course_id, s.starts_on, s.ends_on, s.hours, s.instructor, s.location): s
        for s in TrainingSession.objects.filter(org_unit=root, course__in=list(known_courses.values()))
    }
    already = set(
        Attendance.objects.filter(session__in=list(existing_sessions.values())).values_list(
            "session_id", "person_id"
        )
    )

    new_courses: dict[str, Course] = {}
    sessions: dict[tuple, PlannedSession] = {}
    seen: dict[tuple, int] = {}
    errors = Problems(COLUMNS)
    for offset, row in enumerate(rows):
        row_no = offset + 2
        if row_is_empty(row):
            continue
        values, problems = parse_cells(COLUMNS, row, index, lookups, require=False)
        bad = {key for key, _m in problems}
        title = values["course"][:200]
        kind = None if "kind" in bad else values["kind"] or Course.Kind.ANNUAL
        operation_type = None if "operation_type" in bad else values["operation_type"]
        if not title:
            problems.append(("course", _("Name the course.")))
        starts_on = values["starts_on"]
        if starts_on is None and "starts_on" not in bad:
            problems.append(("starts_on", _("Enter a date such as 2026-03-02.")))
        ends_on = None if "ends_on" in bad else values["ends_on"] or starts_on
        if ends_on is None and "ends_on" not in bad:
            problems.append(("ends_on", _("Enter a date such as 2026-03-02.")))
        elif ends_on is not None and starts_on and ends_on < starts_on:
            problems.append(("ends_on", _("The end date cannot be before the start date.")))
        try:
            session_hours = courses._hours(values["hours"])
        except ValidationError as exc:
            session_hours = None
            problems.extend(("hours", m) for m in exc.messages)
        attended = None
        attended_text = values["attended"]
        if attended_text:
            try:
                attended = courses._hours(attended_text)
            except ValidationError as exc:
                problems.extend(("attended", m) for m in exc.messages)
            else:
                if session_hours is not None and attended > session_hours:
                    problems.append(
                        (
                            "attended",
                            _("Hours attended cannot exceed the session's %(h)s hours.")
                            % {"h": session_hours},
                        )
                    )
        number, name = values["employee_no"], values["name"]
        person = people.get(number)
        if not number:
            problems.append(("employee_no", _("Give the employee number.")))
        elif person is None:
            problems.append(
                ("employee_no", _("Nobody with this employee number under %(root)s.") % {"root": root.name})
            )
        elif name and name != person.name:
            problems.append(
                (
                    "name",
                    _("Employee number %(no)s belongs to %(name)s.") % {"no": number, "name": person.name},
                )
            )
        elif person.status == Person.Status.LEFT:
            problems.append(("employee_no", _("%(name)s has left.") % {"name": person.name}))

        course = None
        if title and kind is not None and operation_type is not None:
            course = known_courses.get(title.lower()) or new_courses.get(title.lower())
            if course is None:
                course = Course(
                    tenant_id=root.tenant_id,
                    org_unit=root,
                    kind=kind,
                    operation_type=operation_type,
                    title=title,
                    hours=session_hours or Decimal("1"),
                )
                course_errors = courses._course_errors(course)
                if course_errors:
                    problems.extend(
                        ("course" if k == "title" else k, m) for k, ms in course_errors.items() for m in ms
                    )
                    course = None
                else:
                    new_courses[title.lower()] = course

        if not problems and course is not None:
            key = (course.pk, starts_on, ends_on, session_hours, values["instructor"][:64],
                   values["location"][:200])  # fmt: skip
            planned = sessions.get(key)
            if planned is None:
                found = existing_sessions.get(key) if course.title.lower() in known_courses else None
                planned = PlannedSession(
                    session=found
                    or TrainingSession(
                        tenant_id=root.tenant_id,
                        course=course,
                        org_unit=root,
                        starts_on=starts_on,
                        ends_on=ends_on,
                        hours=session_hours,
                        instructor=key[4],
                        location=key[5],
                    ),
                    existing=found is not None,
                )
                sessions[key] = planned
            session = planned.session
            if planned.existing and (session.pk, person.pk) in already:
                problems.append(("employee_no", _("Already recorded at this session.")))
            elif (key, person.pk) in seen:
                problems.append(
                    (
                        "employee_no",
                        _("Same person and session as row %(r)d.") % {"r": seen[(key, person.pk)]},
                    )
                )
            else:
                seen[(key, person.pk)] = row_no
                try:
                    planned.attendances.append(
                        courses.attendance_build(session=session, person=person, hours=attended)
                    )
                except ValidationError as exc:
                    for k, ms in exc.message_dict.items():
                        problems.extend(("attended" if k == "hours" else "employee_no", m) for m in ms)
        errors.extend(row_no, problems)
        report_progress(progress, offset + 1, len(rows), every=100)
    if errors:
        raise errors.rejected(sessions=0, attendances=0)
    planned = [p for p in sessions.values() if p.attendances]
    if not planned:
        raise nothing_to_import(sessions=0, attendances=0)
    return ImportPlan(courses=list(new_courses.values()), sessions=planned)


def sessions_import_apply(job: Job, plan: ImportPlan) -> dict:
    Course.objects.bulk_create(plan.courses)
    new_sessions = [p.session for p in plan.sessions if not p.existing]
    TrainingSession.objects.bulk_create(new_sessions)
    attendances = [a for p in plan.sessions for a in p.attendances]
    Attendance.objects.bulk_create(attendances)
    # Imported hours may clear pre-job holds (岗前培训); the job runs in the importer's scope.
    prejob.recheck(current_scope(), {a.person_id for a in attendances})
    events = [PendingEvent(action="create", obj=c, after=snapshot(c)) for c in plan.courses]
    events += [PendingEvent(action="create", obj=s, after=snapshot(s)) for s in new_sessions]
    events += [
        PendingEvent(
            action="create",
            obj=a,
            object_repr=f"{a.person.name} · {a.session.course.title}",
            org_path=a.person.org_unit.path,
            after={"session": str(a.session_id), "person": str(a.person_id), "hours": str(a.hours)},
        )
        for a in attendances
    ]
    events.append(
        PendingEvent(
            action="import",
            obj=job.org_unit,
            object_type="training.TrainingSession",
            object_repr=job.params.get("filename", ""),
            after={"job": str(job.pk), "sessions": len(new_sessions), "attendances": len(attendances)},
        )
    )
    audit_record_many(events)
    return {
        "errors": [],
        "courses": len(plan.courses),
        "sessions": len(plan.sessions),
        "attendances": len(attendances),
    }


register_importer(
    Importer(
        kind=IMPORT_KIND,
        perm=training_perms.MANAGE_TRAINING,
        start=sessions_import_start,
        prepare=sessions_import_prepare,
        apply=sessions_import_apply,
        template=import_template,
        template_filename="training-sessions-template.xlsx",
        form="compliance.training.views.courses.SessionImportForm",
        page_template="training/session_import.html",
        page_url_name="training:session-import",
        input_perm=training_perms.MANAGE_TRAINING,
        label=gettext_lazy("Import of training sessions"),
    )
)
