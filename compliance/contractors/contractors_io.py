"""The contractor register (外包队伍台账) and an engagement's staff list from Excel (.xlsx), as
background jobs through the shared importer (``compliance.imports``).

**The register.** One sheet. A row is a contractor (name, unified social credit code
统一社会信用代码, legal representative, contact, phone, kind of work) and, in further columns,
optionally one of its qualifications (kind, grade, scope, number, issuer, valid from/until). A
contractor with several qualifications takes several rows with the same credit code: on the rows
after the first its contractor cells may be left empty or repeat the first row's; a different
value is an error naming the first row.

A credit code already in the group's register is an **update**, not an error: safety managers
keep one register sheet and import it again as it grows, so the contractor's details are replaced
by the row's (audited with before and after, only when something differs) and a qualification
already on record (same kind and number) is left as it is. Nothing else of the contractor
(status, engagements) changes.

**Staff.** One row per person for one engagement, at the upload page of that engagement. A person
is found by resident ID (身份证号) in the group; someone not yet registered is registered at the
engagement's mine (or the team named in the row) as ``person_create`` does it, with the
contractor as employer. Each person is then assigned through ``staff_assign``, so its checks, its
audit and the holds of a contractor whose required qualification lapsed apply row by row.

Both: every row is checked first and one bad row means nothing is written; every problem is
listed with its row and column, in the uploader's language. The writes go through the services,
in the job's one transaction; a refusal by a service is reported with its row too and undoes
every row.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from compliance.audit.services import audit_record
from compliance.imports import writer
from compliance.imports.columns import CHOICE, DATE, Column, cell_text
from compliance.imports.importers import Importer, register_importer, start_import
from compliance.imports.reader import read_rows
from compliance.imports.rows import Problems, cell_at, nothing_to_import, parse_cells, report_progress
from compliance.imports.rows import numbered as numbered_rows
from compliance.imports.template import template_workbook
from compliance.jobs.models import Job
from compliance.jobs.services import JobRejected
from tenants import personal_data, roles
from tenants import services as tenant_services
from tenants.models import OrgUnit, Person
from tenants.scope import Scope, current_scope

from . import services
from .models import Contractor, Engagement, Qualification, StaffAssignment, WorkKind
from .permissions import MANAGE_CONTRACTORS

XLSX = writer.XLSX
REGISTER_KIND = "contractors_import"
STAFF_KIND = "contractor_staff_import"
MAX_ROWS = 5000


def _refused(message) -> JobRejected:
    return JobRejected(message, {"errors": [{"row": None, "column": "", "message": str(message)}]})


def _too_many(rows) -> None:
    if len(rows) > MAX_ROWS:
        raise _refused(_("At most %(n)d rows per file.") % {"n": MAX_ROWS})


def _service_problems(row_no: int, exc: ValidationError, errors: Problems, columns, renamed=None) -> None:
    """A service's refusal, by field, as problems of the row; a field of no column of ``columns``
    is shown without one."""
    keys = {c.key for c in columns}
    for name, messages in exc.message_dict.items():
        name = (renamed or {}).get(name, name)
        for message in messages:
            errors.add(row_no, name if name in keys else "", message)


# --- the register --------------------------------------------------------------------------------------
CONTRACTOR_KEYS = services.CONTRACTOR_FIELDS
QUALIFICATION_KEYS = ("kind", "grade", "scope_text", "number", "issuer", "valid_from", "valid_until")

# Spellings of the registers kept today (the labels' own words are accepted anyway).
WORK_KIND_ALIASES = {"采矿": WorkKind.MINING, "采掘工程": WorkKind.MINING, "掘进": WorkKind.TUNNELLING,
                     "井巷": WorkKind.TUNNELLING, "地勘": WorkKind.GEOLOGY, "安装": WorkKind.INSTALLATION,
                     "检修": WorkKind.INSTALLATION}  # fmt: skip
QUALIFICATION_ALIASES = {"安全许可证": Qualification.Kind.SAFETY_LICENCE,
                         "资质": Qualification.Kind.CONSTRUCTION,
                         "施工资质": Qualification.Kind.CONSTRUCTION}  # fmt: skip

REGISTER_COLUMNS = [
    Column("name", gettext_lazy("Contractor name"), True, 24, example="贵州某某建设工程有限公司"),
    Column("credit_code", gettext_lazy("Unified social credit code"), True, 22,
           example="91520100MA6DK1234H", help=gettext_lazy(
               "18 characters, checked like the form checks it. A code already in the register "
               "updates that contractor; rows repeating a code add its further qualifications.")),
    Column("legal_representative", gettext_lazy("Legal representative"), True, 12, example="李四"),
    Column("contact_name", gettext_lazy("Contact person"), False, 12, example="王五"),
    Column("contact_phone", gettext_lazy("Contact phone"), False, 14, example="13800000000"),
    Column("work_kind", gettext_lazy("Kind of work"), True, 14, kind=CHOICE, choices=WorkKind,
           aliases=WORK_KIND_ALIASES),
    Column("kind", gettext_lazy("Qualification kind"), False, 18, kind=CHOICE, choices=Qualification.Kind,
           aliases=QUALIFICATION_ALIASES,
           help=gettext_lazy("Optional: leave the qualification columns empty to record none.")),
    Column("grade", gettext_lazy("Qualification grade"), False, 10, example="二级"),
    Column("scope_text", gettext_lazy("Qualification scope"), False, 20),
    Column("number", gettext_lazy("Qualification number"), False, 18),
    Column("issuer", gettext_lazy("Issued by"), False, 18),
    Column("valid_from", gettext_lazy("Valid from"), False, 12, example="2026-01-01", kind=DATE),
    Column("valid_until", gettext_lazy("Valid until"), False, 12, example="2028-12-31", kind=DATE),
]  # fmt: skip


def register_template() -> bytes:
    return template_workbook(
        title=_("Contractors"),
        columns=REGISTER_COLUMNS,
        notes=[
            _(
                "One row per contractor, with one qualification in the qualification columns if you "
                "like; a further row with the same credit code adds another qualification. A credit "
                "code already in the register updates that contractor."
            )
        ],
    )


def _writable(scope: Scope, org_unit: OrgUnit) -> bool:
    return scope.has_perm(MANAGE_CONTRACTORS, org_unit.path, org_unit.tenant_id)


def register_import_start(*, scope: Scope, user, org_unit: OrgUnit, upload) -> Job:
    scope.require(MANAGE_CONTRACTORS, org_unit)
    return start_import(scope=scope, user=user, kind=REGISTER_KIND, org_unit=org_unit, upload=upload)


@dataclass
class PlannedContractor:
    row: int
    data: dict
    existing: Contractor | None
    changed: bool = False
    qualifications: list[tuple[int, dict]] = field(default_factory=list)


def register_import_prepare(job: Job, progress) -> list[PlannedContractor]:
    scope = current_scope()
    root = OrgUnit.objects.filter(pk=job.org_unit_id).first()
    if root is None or not _writable(scope, root) or scope.tenant_id != root.tenant_id:
        raise _refused(_("You may no longer import into this unit."))
    lookups = {c.key: c.lookup() for c in REGISTER_COLUMNS if c.kind == CHOICE}
    rows, index = read_rows(job, REGISTER_COLUMNS)
    rows = list(rows)
    _too_many(rows)
    codes = {cell_text(cell_at(r, index, "credit_code")).upper() for r in rows} - {""}
    # The register's contractors of these codes and their qualifications, in two queries.
    known = {
        c.credit_code: c for c in Contractor.objects.filter(tenant_id=root.tenant_id, credit_code__in=codes)
    }
    recorded = set(
        Qualification.objects.filter(contractor__in=list(known.values())).values_list(
            "contractor_id", "kind", "number"
        )
    )

    planned: dict[str, PlannedContractor] = {}
    errors = Problems(REGISTER_COLUMNS)
    for done, (row_no, row) in enumerate(numbered_rows(rows), start=1):
        values, problems = parse_cells(REGISTER_COLUMNS, row, index, lookups, require=False)
        bad = {key for key, _m in problems}
        data = {k: values[k] for k in CONTRACTOR_KEYS}
        code = data["credit_code"].upper()
        first = planned.get(code) if code else None
        if first is not None:
            # A further qualification of a contractor of an earlier row.
            for key in CONTRACTOR_KEYS:
                if key != "credit_code" and data[key] and data[key] != first.data[key] and key not in bad:
                    problems.append(
                        (key, _("Differs from row %(r)d, which has the same credit code.") % {"r": first.row})
                    )
        elif not bad & set(CONTRACTOR_KEYS):
            existing = known.get(code)
            candidate = Contractor(tenant_id=root.tenant_id)
            if existing is not None:
                candidate.pk, candidate._state.adding = existing.pk, False
            try:
                services._clean_contractor(candidate, data, check_taken=False)
            except ValidationError as exc:
                problems.extend((k, m) for k, ms in exc.message_dict.items() for m in ms)
            else:
                clean = {k: getattr(candidate, k) for k in CONTRACTOR_KEYS}
                first = PlannedContractor(
                    row=row_no,
                    data=clean,
                    existing=existing,
                    changed=existing is not None and any(getattr(existing, k) != v for k, v in clean.items()),
                )
        qualification = {k: values[k] for k in QUALIFICATION_KEYS}
        if any(v not in ("", None) for v in qualification.values()) and not bad & set(QUALIFICATION_KEYS):
            try:
                qualification = services._validate_qualification(qualification)
            except ValidationError as exc:
                problems.extend((k, m) for k, ms in exc.message_dict.items() for m in ms)
            else:
                key = (qualification["kind"], qualification["number"])
                if first is not None and any(
                    (q["kind"], q["number"]) == key for _r, q in first.qualifications
                ):
                    problems.append(("number", _("The same qualification is on an earlier row.")))
                elif first is not None and not (
                    first.existing is not None and (first.existing.pk, *key) in recorded
                ):
                    first.qualifications.append((row_no, qualification))
        if problems:
            errors.extend(row_no, problems)
        elif first is not None:
            planned.setdefault(code, first)
        report_progress(progress, done, len(rows))
    if errors:
        raise errors.rejected(created=0, updated=0, qualifications=0)
    if not planned:
        raise nothing_to_import(created=0, updated=0, qualifications=0)
    return list(planned.values())


def register_import_apply(job: Job, plan: list[PlannedContractor]) -> dict:
    scope = current_scope()
    errors = Problems(REGISTER_COLUMNS)
    created = updated = recorded = 0
    for item in plan:
        try:
            if item.existing is None:
                contractor = services.contractor_create(scope=scope, data=item.data)
                created += 1
            else:
                contractor = item.existing
                if item.changed:
                    services.contractor_update(scope=scope, contractor=contractor, data=item.data)
                    updated += 1
        except ValidationError as exc:
            _service_problems(item.row, exc, errors, REGISTER_COLUMNS)
            continue
        for row_no, data in item.qualifications:
            try:
                services.qualification_record(scope=scope, contractor=contractor, data=data)
            except ValidationError as exc:
                _service_problems(row_no, exc, errors, REGISTER_COLUMNS)
            else:
                recorded += 1
    if errors:
        raise errors.rejected(created=0, updated=0, qualifications=0)  # the job's transaction rolls back
    audit_record(
        action="import",
        obj=job.org_unit,
        object_type="contractors.Contractor",
        object_repr=job.params.get("filename", ""),
        after={"job": str(job.pk), "created": created, "updated": updated, "qualifications": recorded},
    )
    return {"errors": [], "created": created, "updated": updated, "qualifications": recorded}


# --- staff of an engagement ----------------------------------------------------------------------------
STAFF_COLUMNS = [
    Column("name", gettext_lazy("Name"), True, 12, example="张三"),
    Column("resident_id", gettext_lazy("Resident ID"), True, 22, example="11010519491231002X",
           help=gettext_lazy("18 characters. Someone already registered in the group is found by it.")),
    Column("employee_no", gettext_lazy("Employee number"), False, 14, example="W-0001",
           help=gettext_lazy("Needed for someone not yet registered.")),
    Column("phone", gettext_lazy("Phone"), False, 14, example="13800000000"),
    Column("post_category", gettext_lazy("Post category"), False, 18, kind=CHOICE,
           choices=Person.PostCategory, help=gettext_lazy("Needed for someone not yet registered.")),
    Column("operation_type", gettext_lazy("Operation type"), False, 16, kind=CHOICE,
           choices=Person.OperationType),
    Column("job_title", gettext_lazy("Job title"), False, 14, example="掘进工"),
    Column("org_unit", gettext_lazy("Team or mine"), False, 18,
           help=gettext_lazy("For someone new: a team of the engagement's mine; empty: the mine.")),
    Column("assigned_on", gettext_lazy("Assigned on"), False, 12, example="2026-03-02", kind=DATE,
           help=gettext_lazy("Empty: today.")),
]  # fmt: skip
STAFF_KEYS = {c.key for c in STAFF_COLUMNS}
PERSON_KEYS = ("name", "employee_no", "phone", "post_category", "operation_type", "job_title")


def staff_template() -> bytes:
    return template_workbook(
        title=_("Contractor staff"),
        columns=STAFF_COLUMNS,
        notes=[
            _(
                "One row per person working for the contractor on this engagement. People already "
                "registered in the group are found by resident ID; others are registered at the "
                "engagement's mine with the contractor as employer."
            )
        ],
    )


def staff_import_start(*, scope: Scope, user, engagement: Engagement, upload) -> Job:
    """``engagement`` was reached through the scope (``selectors.access_engagement``)."""
    scope.require(MANAGE_CONTRACTORS, engagement.mine)
    return start_import(
        scope=scope,
        user=user,
        kind=STAFF_KIND,
        org_unit=engagement.mine,
        upload=upload,
        params={"engagement": str(engagement.pk)},
    )


def _staff_start_refused(**_kwargs) -> Job:
    # The shared import page knows no engagement: staff are imported from the engagement's page.
    raise PermissionDenied(MANAGE_CONTRACTORS)


@dataclass
class PlannedPerson:
    row: int
    person: Person | None  # already registered
    org_unit: OrgUnit | None = None  # to register at
    resident_id: str = ""
    fields: dict = field(default_factory=dict)
    assigned_on: datetime.date | None = None


@dataclass
class StaffPlan:
    engagement: Engagement
    people: list[PlannedPerson]


def _digest(text: str) -> str | None:
    try:
        return personal_data.digest(personal_data.normalize_resident_id(text))
    except ValidationError:
        return None


def staff_import_prepare(job: Job, progress) -> StaffPlan:
    scope = current_scope()
    engagement = (
        Engagement.objects.select_related("mine", "contractor")
        .filter(pk=job.params.get("engagement"), tenant_id=job.tenant_id)
        .first()
    )
    if engagement is None or not _writable(scope, engagement.mine):
        raise _refused(_("You may no longer import staff for this engagement."))
    mine = engagement.mine
    units = list(
        OrgUnit.objects.filter(path__startswith=mine.path, kind__in=[OrgUnit.Kind.MINE, OrgUnit.Kind.TEAM])
    )
    by_name: dict[str, list[OrgUnit]] = {}
    for unit in units:
        by_name.setdefault(unit.name.strip().lower(), []).append(unit)
    lookups = {c.key: c.lookup() for c in STAFF_COLUMNS if c.kind == CHOICE}
    rows, index = read_rows(job, STAFF_COLUMNS)
    rows = list(rows)
    _too_many(rows)

    # Everyone of the file already in the group, their open assignments and the employee numbers
    # taken, in three queries. Uniqueness is the group's, wider than the importer's subtree: only
    # existence is revealed, as ``person_create`` does.
    digests = {_digest(cell_text(cell_at(r, index, "resident_id"))) for r in rows} - {None}
    numbers = {cell_text(cell_at(r, index, "employee_no")) for r in rows} - {""}
    in_group = Person.dangerously_unscoped.filter(tenant_id=engagement.tenant_id)
    registered = {
        p.resident_id_digest: p
        for p in in_group.select_related("org_unit").filter(resident_id_digest__in=digests)
    }
    taken_numbers = set(in_group.filter(employee_no__in=numbers).values_list("employee_no", flat=True))
    open_at = dict(
        StaffAssignment.dangerously_unscoped.filter(
            person_id__in=[p.pk for p in registered.values()], left_on__isnull=True
        ).values_list("person_id", "engagement_id")
    )

    planned: list[PlannedPerson] = []
    seen_ids: dict[str, int] = {}
    seen_numbers: dict[str, int] = {}
    errors = Problems(STAFF_COLUMNS)
    for done, (row_no, row) in enumerate(numbered_rows(rows), start=1):
        values, problems = parse_cells(STAFF_COLUMNS, row, index, lookups, require=False)
        if not values["name"]:
            problems.append(("name", _("This field is required.")))
        digest = _digest(values["resident_id"])
        if digest is None:
            try:
                personal_data.normalize_resident_id(values["resident_id"])
            except ValidationError as exc:
                problems.extend(("resident_id", m) for m in exc.messages)
        elif digest in seen_ids:
            problems.append(
                ("resident_id", _("Same resident ID number as row %(r)d.") % {"r": seen_ids[digest]})
            )
        item = None
        person = registered.get(digest) if digest else None
        if digest and digest not in seen_ids and person is not None:
            seen_ids[digest] = row_no
            if values["name"] and values["name"] != person.name:
                problems.append(
                    ("name", _("This resident ID number is registered under another name.")),
                )
            elif not person.org_unit.path.startswith(mine.path):
                problems.append(
                    ("resident_id", _("The person must belong to the engagement's mine or one of its teams."))
                )
            elif person.pk in open_at:
                problems.append(
                    (
                        "resident_id",
                        _("Already assigned to this engagement.")
                        if open_at[person.pk] == engagement.pk
                        else _("This person is already assigned to an engagement."),
                    )
                )
            else:
                item = PlannedPerson(row=row_no, person=person)
        elif digest and digest not in seen_ids:
            seen_ids[digest] = row_no
            unit = mine
            if values["org_unit"]:
                matches = by_name.get(values["org_unit"].lower(), [])
                unit = matches[0] if len(matches) == 1 else None
                if unit is None:
                    problems.append(
                        (
                            "org_unit",
                            _("No single team or mine of this name under %(root)s.") % {"root": mine.name},
                        )
                    )
            if unit is not None and not scope.has_perm(roles.MANAGE_PEOPLE, unit.path, unit.tenant_id):
                problems.append(("org_unit", _("You may not register people in this unit.")))
            elif unit is not None:
                fields = {k: values[k] for k in PERSON_KEYS} | {"employer": engagement.contractor.name}
                try:
                    tenant_services.person_build(org_unit=unit, resident_id=values["resident_id"], **fields)
                except ValidationError as exc:
                    problems.extend(
                        (k if k in STAFF_KEYS else "", m) for k, ms in exc.message_dict.items() for m in ms
                    )
                number = values["employee_no"]
                if number in taken_numbers:
                    problems.append(("employee_no", _("This employee number is already used in this group.")))
                elif number and number in seen_numbers:
                    problems.append(
                        ("employee_no", _("Same employee number as row %(r)d.") % {"r": seen_numbers[number]})
                    )
                if number:
                    seen_numbers.setdefault(number, row_no)
                item = PlannedPerson(
                    row=row_no, person=None, org_unit=unit, resident_id=values["resident_id"], fields=fields
                )
        if problems:
            errors.extend(row_no, problems)
        elif item is not None:
            item.assigned_on = values["assigned_on"]
            planned.append(item)
        report_progress(progress, done, len(rows))
    if errors:
        raise errors.rejected(registered=0, assigned=0)
    if not planned:
        raise nothing_to_import(registered=0, assigned=0)
    return StaffPlan(engagement=engagement, people=planned)


def staff_import_apply(job: Job, plan: StaffPlan) -> dict:
    scope = current_scope()
    engagement = plan.engagement
    errors = Problems(STAFF_COLUMNS)
    new = assigned = 0
    for item in plan.people:
        try:
            person = item.person
            if person is None:
                person = tenant_services.person_create(
                    scope=scope, org_unit=item.org_unit, resident_id=item.resident_id, **item.fields
                )
                new += 1
            services.staff_assign(
                scope=scope, engagement=engagement, person=person, assigned_on=item.assigned_on
            )
        except ValidationError as exc:
            _service_problems(item.row, exc, errors, STAFF_COLUMNS, {"person": "resident_id"})
        else:
            assigned += 1
    if errors:
        raise errors.rejected(registered=0, assigned=0)  # the job's transaction rolls back
    audit_record(
        action="import",
        obj=engagement,
        object_repr=str(engagement),
        org_path=engagement.mine.path,
        after={
            "job": str(job.pk),
            "file": job.params.get("filename", ""),
            "registered": new,
            "assigned": assigned,
        },
    )
    # What the staff now meet at the gate: a lapsed required qualification holds them (see
    # ``services.sync_qualification_holds``, run by each assignment).
    warnings = [v.text() for v in services.qualification_problems(engagement.contractor)]
    return {"errors": [], "registered": new, "assigned": assigned, "warnings": warnings}


register_importer(
    Importer(
        kind=REGISTER_KIND,
        perm=MANAGE_CONTRACTORS,
        start=register_import_start,
        prepare=register_import_prepare,
        apply=register_import_apply,
        template=register_template,
        template_filename="contractors-template.xlsx",
        form="compliance.contractors.forms.RegisterImportForm",
        page_template="contractors/register_import.html",
        page_url_name="contractors:contractor-import",
        result_template="contractors/_register_import_result.html",
        input_perm=MANAGE_CONTRACTORS,
        label=gettext_lazy("Import of contractors"),
    )
)
register_importer(
    Importer(
        kind=STAFF_KIND,
        perm=MANAGE_CONTRACTORS,
        start=_staff_start_refused,
        prepare=staff_import_prepare,
        apply=staff_import_apply,
        template=staff_template,
        template_filename="contractor-staff-template.xlsx",
        form="compliance.contractors.forms.StaffImportForm",
        page_template="contractors/staff_import.html",
        page_url_name="contractors:staff-import",
        page_url_params=(("pk", "engagement"),),
        result_template="contractors/_staff_import_result.html",
        # The sheet holds full resident ID numbers: downloading it needs the right to reveal them.
        input_perm=roles.REVEAL_RESIDENT_ID,
        label=gettext_lazy("Import of contractor staff"),
    )
)
