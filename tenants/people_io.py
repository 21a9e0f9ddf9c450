"""People in and out of Excel (.xlsx), the exchange format safety managers already use.

An import validates every row and either imports all of them or reports every bad row with its
row number, column and reason, importing nothing. It runs as a background job.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from compliance.audit.services import PendingEvent, audit_record, audit_record_many
from compliance.imports import writer
from compliance.imports.columns import CHOICE, DATE, Column
from compliance.imports.importers import Importer, register_importer, start_import
from compliance.imports.reader import read_rows
from compliance.imports.rows import Problems, nothing_to_import, parse_cells, report_progress, row_is_empty
from compliance.imports.template import template_workbook
from compliance.imports.writer import new_workbook, workbook_bytes
from compliance.jobs.models import Job
from compliance.jobs.services import JobRejected

from . import holds, roles, services
from .models import OrgUnit, Person
from .scope import Scope, current_scope

XLSX = writer.XLSX
IMPORT_KIND = "people_import"


COLUMNS = [
    Column("name", gettext_lazy("Name"), True, 12, example="张三"),
    Column(
        "resident_id",
        gettext_lazy("Resident ID"),
        True,
        22,
        example="11010519491231002X",
        help=gettext_lazy("18 characters."),
    ),
    Column("employee_no", gettext_lazy("Employee number"), True, 14, example="A0001"),
    Column("phone", gettext_lazy("Phone"), False, 14, example="13800000000"),
    Column(
        "org_unit",
        gettext_lazy("Team or mine"),
        False,
        18,
        help=gettext_lazy("The name of a team or mine under the unit chosen at upload; empty: that unit."),
    ),
    Column(
        "post_category", gettext_lazy("Post category"), True, 18, kind=CHOICE, choices=Person.PostCategory
    ),
    Column(
        "operation_type", gettext_lazy("Operation type"), False, 16, kind=CHOICE, choices=Person.OperationType
    ),
    Column("job_title", gettext_lazy("Job title"), False, 14),
    Column("employer", gettext_lazy("Employer"), False, 16),
    Column(
        "status",
        gettext_lazy("Status"),
        False,
        10,
        kind=CHOICE,
        choices=Person.Status,
        help=gettext_lazy("Empty: on post."),
    ),
    Column("status_reason", gettext_lazy("Status reason"), False, 20),
    Column(
        "post_started_on",
        gettext_lazy("Took the current post on"),
        False,
        14,
        example="2026-03-02",
        kind=DATE,
        help=gettext_lazy(
            "For new workers and changes of post: a person new to the post this year is held off "
            "post until the pre-job training hours of the post are met."
        ),
    ),
]
CHOICE_FIELDS = {c.key: c.choices for c in COLUMNS if c.kind == CHOICE}


def import_template() -> bytes:
    return template_workbook(title=_("People"), columns=COLUMNS)


# --- import ------------------------------------------------------------------------------------------
def people_import_start(*, scope: Scope, user, org_unit: OrgUnit, upload) -> Job:
    scope.require(roles.MANAGE_PEOPLE, org_unit)
    return start_import(scope=scope, user=user, kind=IMPORT_KIND, org_unit=org_unit, upload=upload)


@dataclass
class ImportPlan:
    people: list[Person]
    errors: list[dict]


def people_import_prepare(job: Job, progress) -> ImportPlan:
    scope = current_scope()
    root = OrgUnit.objects.filter(pk=job.org_unit_id).first()
    if root is None or not scope.has_perm(roles.MANAGE_PEOPLE, root.path, root.tenant_id):
        raise JobRejected(_("You may no longer import into this unit."), {"errors": []})
    units = list(
        OrgUnit.objects.filter(path__startswith=root.path, kind__in=[OrgUnit.Kind.MINE, OrgUnit.Kind.TEAM])
    )
    by_name: dict[str, list[OrgUnit]] = {}
    for unit in units:
        by_name.setdefault(unit.name.strip().lower(), []).append(unit)
    lookups = {c.key: c.lookup() for c in COLUMNS if c.kind == CHOICE}
    # Everything already registered in the tenant, in two queries, to find duplicates up front.
    existing = Person.dangerously_unscoped.filter(tenant_id=root.tenant_id)
    taken_numbers = set(existing.values_list("employee_no", flat=True))
    taken_ids = set(existing.values_list("resident_id_digest", flat=True))

    rows, index = read_rows(job, COLUMNS)
    people, problems = [], Problems(COLUMNS)
    seen_numbers: dict[str, int] = {}
    seen_ids: dict[str, int] = {}
    rows = list(rows)
    for offset, row in enumerate(rows):
        row_no = offset + 2  # row 1 is the header
        if row_is_empty(row):
            continue
        # Required cells are the service's to check (person_build), like a form's.
        values, row_errors = parse_cells(COLUMNS, row, index, lookups, require=False)
        unit = root if root.kind in (OrgUnit.Kind.MINE, OrgUnit.Kind.TEAM) else None
        if values["org_unit"]:
            matches = by_name.get(values["org_unit"].lower(), [])
            if len(matches) == 1:
                unit = matches[0]
            else:
                unit = None
                row_errors.append(
                    (
                        "org_unit",
                        _("No single team or mine of this name under %(root)s.") % {"root": root.name},
                    )
                )
        elif unit is None:
            row_errors.append(("org_unit", _("Name the team or mine.")))
        if not values["status"]:
            values["status"] = Person.Status.ON_POST
        person = None
        if not row_errors and unit is not None:
            if not scope.has_perm(roles.MANAGE_PEOPLE, unit.path, unit.tenant_id):
                row_errors.append(("org_unit", _("You may not register people in this unit.")))
            else:
                fields = {k: v for k, v in values.items() if k not in ("org_unit", "resident_id")}
                try:
                    person = services.person_build(org_unit=unit, resident_id=values["resident_id"], **fields)
                except ValidationError as exc:
                    for field, messages in exc.message_dict.items():
                        row_errors.extend((field, m) for m in messages)
        if person is not None:
            if person.employee_no in taken_numbers:
                row_errors.append(("employee_no", _("This employee number is already used in this group.")))
            elif person.employee_no in seen_numbers:
                row_errors.append(
                    (
                        "employee_no",
                        _("Same employee number as row %(r)d.") % {"r": seen_numbers[person.employee_no]},
                    )
                )
            if person.resident_id_digest in taken_ids:
                row_errors.append(
                    (
                        "resident_id",
                        _("A person with this resident ID number is already registered in this group."),
                    )
                )
            elif person.resident_id_digest in seen_ids:
                row_errors.append(
                    (
                        "resident_id",
                        _("Same resident ID number as row %(r)d.")
                        % {"r": seen_ids[person.resident_id_digest]},
                    )
                )
            seen_numbers.setdefault(person.employee_no, row_no)
            seen_ids.setdefault(person.resident_id_digest, row_no)
        if row_errors:
            problems.extend(row_no, row_errors)
        else:
            people.append(person)
        report_progress(progress, offset + 1, len(rows))
    if problems:
        raise problems.rejected(imported=0)
    if not people:
        raise nothing_to_import(imported=0)
    return ImportPlan(people=people, errors=[])


def people_import_apply(job: Job, plan: ImportPlan) -> dict:
    Person.objects.bulk_create(plan.people)
    events = [PendingEvent(action="create", obj=p, after=services.snapshot(p)) for p in plan.people]
    events.append(
        PendingEvent(
            action="import",
            obj=job.org_unit,
            object_type="tenants.Person",
            object_repr=job.params.get("filename", ""),
            after={"job": str(job.pk), "rows": len(plan.people)},
        )
    )
    audit_record_many(events)
    # As person_create does for one person: the post gates (e.g. pre-job training, 岗前培训) hold
    # new people whose rule is not met, in this transaction, so a refused gate imports nothing.
    holds.run_post_gates_many(current_scope(), plan.people)
    return {"imported": len(plan.people), "errors": []}


register_importer(
    Importer(
        kind=IMPORT_KIND,
        perm=roles.MANAGE_PEOPLE,
        start=people_import_start,
        prepare=people_import_prepare,
        apply=people_import_apply,
        template=import_template,
        template_filename="people-template.xlsx",
        form="tenants.forms.ImportForm",
        page_template="tenants/person_import.html",
        page_url_name="person-import",
        result_template="tenants/_person_import_result.html",
        # The uploaded sheet holds full resident ID numbers: downloading it needs the right to
        # reveal them.
        input_perm=roles.REVEAL_RESIDENT_ID,
        label=gettext_lazy("Import of people"),
    )
)


# --- export ---------------------------------------------------------------------------------------------
def people_export(*, scope: Scope, people) -> bytes:
    """The rows the caller sees, with resident IDs masked; audited as an export of personal data."""
    scope.require(roles.EXPORT_PEOPLE)
    wb = new_workbook(write_only=True)
    ws = wb.create_sheet(_("People"))
    ws.append([str(c.label) for c in COLUMNS])
    count = 0
    for person in people.select_related("org_unit"):
        ws.append(
            [
                person.name,
                person.resident_id_masked,
                person.employee_no,
                person.phone,
                person.org_unit.name,
                person.get_post_category_display(),
                person.get_operation_type_display() if person.operation_type else "",
                person.job_title,
                person.employer,
                person.get_status_display(),
                person.status_reason,
                person.post_started_on,
            ]
        )
        count += 1
    content = workbook_bytes(wb)
    audit_record(
        action="export",
        tenant_id=scope.tenant_id,
        object_type="tenants.Person",
        object_repr=_("People list"),
        after={"rows": count},
        org_path=_export_path(scope),
    )
    return content


def _export_path(scope: Scope) -> str:
    paths = [g.path for g in scope.grants if roles.EXPORT_PEOPLE in roles.perms_of(g.role)]
    return min(paths, key=len) if paths else ""
