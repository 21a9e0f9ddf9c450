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

import datetime
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from compliance.audit.services import PendingEvent, audit_record_many
from compliance.jobs.excel import (
    Column,
    choice_lookup,
    from_text,
    new_workbook,
    read_rows,
    start_import,
    workbook_bytes,
)
from compliance.jobs.models import Job
from compliance.jobs.services import JobRejected, job_handler
from compliance.training import permissions as training_perms
from tenants.models import OrgUnit, Person
from tenants.scope import Scope, current_scope
from tenants.services import snapshot

from . import courses
from .models import Attendance, Course, TrainingSession

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IMPORT_KIND = "training_sessions_import"
MAX_ROWS = 20000


COLUMNS = [
    Column("course", gettext_lazy("Course title"), True, 24),
    Column("kind", gettext_lazy("Course kind"), False, 16),
    Column("operation_type", gettext_lazy("Operation type"), False, 14),
    Column("starts_on", gettext_lazy("Start date"), True, 12),
    Column("ends_on", gettext_lazy("End date"), False, 12),
    Column("hours", pgettext_lazy("import column", "Hours"), True, 8),
    Column("instructor", gettext_lazy("Instructor"), False, 12),
    Column("location", gettext_lazy("Location"), False, 16),
    Column("employee_no", gettext_lazy("Employee number"), True, 12),
    Column("name", gettext_lazy("Name"), False, 10),
    Column("attended", gettext_lazy("Hours attended"), False, 10),
]
CHOICES = {"kind": Course.Kind, "operation_type": Person.OperationType}


def import_template() -> bytes:
    wb = new_workbook()
    ws = wb.active
    ws.title = _("Sessions")
    ws.append([str(c.label) for c in COLUMNS])
    for index, column in enumerate(COLUMNS, start=1):
        ws.column_dimensions[ws.cell(row=1, column=index).column_letter].width = column.width
    # Examples and allowed values on a second sheet: a forgotten sample row is never imported.
    guide = wb.create_sheet(_("Allowed values"))
    guide.append(
        [_("Example")]
        + [
            "2026年度安全再培训",
            str(Course.Kind.ANNUAL.label),
            "",
            "2026-03-02",
            "2026-03-03",
            16,
            "王老师",
            "矿会议室",
            "A-001",
            "张三",
            16,
        ]
    )
    for key, choices in CHOICES.items():
        guide.append(
            [str(next(c.label for c in COLUMNS if c.key == key))]
            + [str(label) for _v, label in choices.choices]
        )
    guide.append([_("Dates"), "2026-03-02", "2026/3/2"])
    return workbook_bytes(wb)


def sessions_import_start(*, scope: Scope, user, org_unit: OrgUnit, upload) -> Job:
    scope.require(training_perms.MANAGE_TRAINING, org_unit)
    return start_import(scope=scope, user=user, kind=IMPORT_KIND, org_unit=org_unit, upload=upload)


def _raw(row, index, key):
    position = index.get(key)
    if position is None or position >= len(row):
        return None
    return row[position]


def _text(value) -> str:
    value = from_text(value)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _date(value) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = _text(value).replace("/", "-").replace(".", "-")
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


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
    label_of = {c.key: str(c.label) for c in COLUMNS}
    lookups = {key: choice_lookup(choices) for key, choices in CHOICES.items()}

    rows, index = read_rows(job, COLUMNS)
    rows = list(rows)
    if len(rows) > MAX_ROWS:
        message = _("At most %(n)d rows per file.") % {"n": MAX_ROWS}
        raise JobRejected(message, {"errors": [{"row": None, "column": "", "message": message}]})

    # Everything needed to check the file, in a fixed number of queries.
    numbers = {_text(_raw(r, index, "employee_no")) for r in rows} - {""}
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
    errors = []
    total = max(len(rows), 1)
    for offset, row in enumerate(rows):
        row_no = offset + 2
        if not any(v not in (None, "") for v in row):
            continue
        problems: list[tuple[str, str]] = []
        title = _text(_raw(row, index, "course"))[:200]
        kind_text = _text(_raw(row, index, "kind"))
        op_text = _text(_raw(row, index, "operation_type"))
        kind = lookups["kind"].get(kind_text.lower()) if kind_text else Course.Kind.ANNUAL
        operation_type = lookups["operation_type"].get(op_text.lower()) if op_text else ""
        if kind is None:
            problems.append(("kind", _("Not an allowed value: %(v)s") % {"v": kind_text}))
        if operation_type is None:
            problems.append(("operation_type", _("Not an allowed value: %(v)s") % {"v": op_text}))
        if not title:
            problems.append(("course", _("Name the course.")))
        starts_on = _date(_raw(row, index, "starts_on"))
        if starts_on is None:
            problems.append(("starts_on", _("Enter a date such as 2026-03-02.")))
        ends_raw = _raw(row, index, "ends_on")
        ends_on = _date(ends_raw) if _text(ends_raw) else starts_on
        if ends_on is None:
            problems.append(("ends_on", _("Enter a date such as 2026-03-02.")))
        elif starts_on and ends_on < starts_on:
            problems.append(("ends_on", _("The end date cannot be before the start date.")))
        try:
            session_hours = courses._hours(_text(_raw(row, index, "hours")))
        except ValidationError as exc:
            session_hours = None
            problems.extend(("hours", m) for m in exc.messages)
        attended = None
        attended_text = _text(_raw(row, index, "attended"))
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
        number = _text(_raw(row, index, "employee_no"))
        name = _text(_raw(row, index, "name"))
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
            key = (course.pk, starts_on, ends_on, session_hours, _text(_raw(row, index, "instructor"))[:64],
                   _text(_raw(row, index, "location"))[:200])  # fmt: skip
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
        if problems:
            errors.extend(
                {"row": row_no, "column": label_of.get(k, k), "message": str(m)} for k, m in problems
            )
        done = offset + 1
        if done % 100 == 0 or done == len(rows):
            progress(
                int(90 * done / total), _("Checked %(n)d of %(total)d rows") % {"n": done, "total": total}
            )
    if errors:
        raise JobRejected(
            ngettext(
                "%(n)d problem found; nothing was imported.",
                "%(n)d problems found; nothing was imported.",
                len(errors),
            )
            % {"n": len(errors)},
            {"errors": errors, "sessions": 0, "attendances": 0},
        )
    planned = [p for p in sessions.values() if p.attendances]
    if not planned:
        raise JobRejected(
            _("The file has no rows to import."), {"errors": [], "sessions": 0, "attendances": 0}
        )
    return ImportPlan(courses=list(new_courses.values()), sessions=planned)


def sessions_import_apply(job: Job, plan: ImportPlan) -> dict:
    Course.objects.bulk_create(plan.courses)
    new_sessions = [p.session for p in plan.sessions if not p.existing]
    TrainingSession.objects.bulk_create(new_sessions)
    attendances = [a for p in plan.sessions for a in p.attendances]
    Attendance.objects.bulk_create(attendances)
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


job_handler(
    IMPORT_KIND,
    prepare=sessions_import_prepare,
    apply=sessions_import_apply,
    input_perm=training_perms.MANAGE_TRAINING,
)
