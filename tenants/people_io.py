"""People in and out of Excel (.xlsx), the exchange format safety managers already use.

An import validates every row and either imports all of them or reports every bad row with its
row number, column and reason, importing nothing. It runs as a background job.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from compliance.audit.services import PendingEvent, audit_record, audit_record_many
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

from . import roles, services
from .models import OrgUnit, Person
from .scope import Scope, current_scope

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IMPORT_KIND = "people_import"


COLUMNS = [
    Column("name", gettext_lazy("Name"), True, 12),
    Column("resident_id", gettext_lazy("Resident ID"), True, 22),
    Column("employee_no", gettext_lazy("Employee number"), True, 14),
    Column("phone", gettext_lazy("Phone"), False, 14),
    Column("org_unit", gettext_lazy("Team or mine"), False, 18),
    Column("post_category", gettext_lazy("Post category"), True, 18),
    Column("operation_type", gettext_lazy("Operation type"), False, 16),
    Column("job_title", gettext_lazy("Job title"), False, 14),
    Column("employer", gettext_lazy("Employer"), False, 16),
    Column("status", gettext_lazy("Status"), False, 10),
    Column("status_reason", gettext_lazy("Status reason"), False, 20),
]
CHOICE_FIELDS = {
    "post_category": Person.PostCategory,
    "operation_type": Person.OperationType,
    "status": Person.Status,
}


def import_template() -> bytes:
    wb = new_workbook()
    ws = wb.active
    ws.title = _("People")
    ws.append([str(c.label) for c in COLUMNS])
    for index, column in enumerate(COLUMNS, start=1):
        ws.column_dimensions[ws.cell(row=1, column=index).column_letter].width = column.width
    # The example lives on the second sheet so that a forgotten sample row is never imported.
    guide = wb.create_sheet(_("Allowed values"))
    guide.append([_("Example")] + ["张三", "11010519491231002X", "A0001", "13800000000"])
    for field, choices in CHOICE_FIELDS.items():
        guide.append(
            [str(next(c.label for c in COLUMNS if c.key == field))]
            + [str(label) for _v, label in choices.choices]
        )
    return workbook_bytes(wb)


# --- import ------------------------------------------------------------------------------------------
def people_import_start(*, scope: Scope, user, org_unit: OrgUnit, upload) -> Job:
    scope.require(roles.MANAGE_PEOPLE, org_unit)
    return start_import(scope=scope, user=user, kind=IMPORT_KIND, org_unit=org_unit, upload=upload)


@dataclass
class ImportPlan:
    people: list[Person]
    errors: list[dict]


def _cell(row, index, key) -> str:
    position = index.get(key)
    if position is None or position >= len(row) or row[position] is None:
        return ""
    value = from_text(row[position])
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


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
    label_of = {c.key: str(c.label) for c in COLUMNS}
    lookups = {field: choice_lookup(choices) for field, choices in CHOICE_FIELDS.items()}
    # Everything already registered in the tenant, in two queries, to find duplicates up front.
    existing = Person.dangerously_unscoped.filter(tenant_id=root.tenant_id)
    taken_numbers = set(existing.values_list("employee_no", flat=True))
    taken_ids = set(existing.values_list("resident_id_digest", flat=True))

    rows, index = read_rows(job, COLUMNS)
    people, errors = [], []
    seen_numbers: dict[str, int] = {}
    seen_ids: dict[str, int] = {}
    rows = list(rows)
    total = max(len(rows), 1)
    for offset, row in enumerate(rows):
        row_no = offset + 2  # row 1 is the header
        if not any(v not in (None, "") for v in row):
            continue
        values = {c.key: _cell(row, index, c.key) for c in COLUMNS}
        row_errors = []
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
        for field, lookup in lookups.items():
            if values[field]:
                code = lookup.get(values[field].lower())
                if code is None:
                    row_errors.append((field, _("Not an allowed value: %(v)s") % {"v": values[field]}))
                values[field] = code or ""
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
            errors.extend(
                {"row": row_no, "column": label_of.get(field, field), "message": str(message)}
                for field, message in row_errors
            )
        else:
            people.append(person)
        done = offset + 1
        if done % 50 == 0 or done == len(rows):
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
            {"errors": errors, "imported": 0},
        )
    if not people:
        raise JobRejected(_("The file has no rows to import."), {"errors": [], "imported": 0})
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
    return {"imported": len(plan.people), "errors": []}


# The uploaded sheet holds full resident ID numbers: downloading it needs the right to reveal them.
job_handler(
    IMPORT_KIND,
    prepare=people_import_prepare,
    apply=people_import_apply,
    input_perm=roles.REVEAL_RESIDENT_ID,
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
