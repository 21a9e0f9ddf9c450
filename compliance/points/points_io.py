"""Manual points entries from Excel (.xlsx), as a background job through the shared importer.

One row is one entry: the person (by employee number), the rule (by code), the date, what happened
and an optional evidence link. Every row is checked first; one bad row means nothing is recorded
and every problem is listed with its row, column and reason. Each row is then recorded through
``services.entry_record`` exactly as the form records it (permissions, approval, balances,
thresholds, audit), with the source ``import`` and the reference ``<job>:<row>``: a job run twice
counts nothing twice.
"""

from __future__ import annotations

import dataclasses

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from compliance.audit.services import audit_record
from compliance.imports.columns import CHOICE, DATE, Column, squash
from compliance.imports.importers import Importer, register_importer, start_import
from compliance.imports.reader import read_rows
from compliance.imports.rows import Problems, nothing_to_import, numbered, parse_cells, report_progress
from compliance.imports.template import template_workbook
from compliance.jobs.models import Job
from compliance.jobs.services import JobRejected
from tenants.models import OrgUnit, Person
from tenants.scope import Scope, current_scope

from . import selectors, services
from .models import Recorder, SourceKind
from .permissions import APPROVE_POINTS, RECORD_POINTS, VIEW_POINTS

IMPORT_KIND = "points_import"
MAX_ROWS = 5000

COLUMNS = [
    Column("employee_no", gettext_lazy("Employee number"), True, 14, max_length=32, example="QN-0001",
           help=gettext_lazy("The person's employee number in the group.")),
    Column("rule", gettext_lazy("Rule"), True, 16, example="SW-ZY-3",
           help=gettext_lazy("A rule of the catalogue, by its code (see the drop-down).")),
    Column("occurred_on", gettext_lazy("Date"), True, 12, kind=DATE, example="2026-06-12",
           help=gettext_lazy("The day it happened; not in the future.")),
    Column("reason", gettext_lazy("What happened"), True, 40, max_length=2000, example="未按规定佩戴安全帽",
           help=gettext_lazy("The person reads this on their page.")),
    Column("evidence_url", gettext_lazy("Evidence (link)"), False, 24, max_length=500,
           help=gettext_lazy("A web address of a photo or document. Optional.")),
]  # fmt: skip


def _columns_for(codes) -> list[Column]:
    choices = [(code, code) for code in codes]
    return [dataclasses.replace(c, kind=CHOICE, choices=choices) if c.key == "rule" else c for c in COLUMNS]


def import_template() -> bytes:
    scope = current_scope()
    codes = sorted({r.code for r in selectors.rules_for(scope=scope)})
    return template_workbook(
        title=_("Points entries"),
        columns=_columns_for(codes),
        notes=[
            _("One row is one entry. Corrections are not imported: reverse an entry on its page."),
            _("A rule that needs approval becomes a proposal when you may not approve it."),
        ],
    )


def import_start(*, scope: Scope, user, org_unit: OrgUnit, upload) -> Job:
    scope.require(RECORD_POINTS, org_unit)
    return start_import(scope=scope, user=user, kind=IMPORT_KIND, org_unit=org_unit, upload=upload)


def import_prepare(job: Job, progress) -> list[dict]:
    scope = current_scope()
    unit = OrgUnit.objects.filter(pk=job.org_unit_id).first()
    if unit is None or not scope.has_perm(RECORD_POINTS, unit.path, unit.tenant_id):
        raise JobRejected(_("You may no longer import into this unit."), {"errors": []})
    rows, index = read_rows(job, COLUMNS)
    rows = list(numbered(rows))
    if len(rows) > MAX_ROWS:
        message = _("At most %(n)d rows per file.") % {"n": MAX_ROWS}
        raise JobRejected(message, {"errors": [{"row": None, "column": "", "message": message}]})
    rules: dict[str, list] = {}
    for rule in selectors.rules_for(scope=scope):
        rules.setdefault(squash(rule.code), []).append(rule)
    # Every person of the file in one query, under the chosen unit and in the scope.
    wanted = {str(row[index["employee_no"]]).strip() for _n, row in rows if "employee_no" in index}
    people = {
        p.employee_no: p
        for p in scope.filter_queryset(
            Person.objects.filter(employee_no__in=wanted, org_unit__path__startswith=unit.path)
        ).select_related("org_unit")
    }
    errors = Problems(COLUMNS)
    planned = []
    today = services._today()
    for done, (row_no, row) in enumerate(rows, start=1):
        report_progress(progress, done, len(rows))
        values, problems = parse_cells(COLUMNS, row, index)
        errors.extend(row_no, problems)
        if problems:
            continue
        person = people.get(values["employee_no"])
        if person is None:
            errors.add(row_no, "employee_no", _("Nobody under this unit has this employee number."))
            continue
        if not scope.has_perm(RECORD_POINTS, person.org_unit.path, person.tenant_id):
            errors.add(row_no, "employee_no", _("You may not record points for this person."))
            continue
        # The mine's own rule under a code before the group's.
        fitting = [r for r in rules.get(squash(values["rule"]), []) if services._rule_applies(r, person)]
        rule = max(fitting, key=lambda r: len(r.org_unit.path)) if fitting else None
        if rule is None:
            errors.add(row_no, "rule", _("This rule is not in use for this person's mine."))
            continue
        if rule.recorder == Recorder.MANAGER and not scope.has_perm(
            APPROVE_POINTS, person.org_unit.path, person.tenant_id
        ):
            errors.add(row_no, "rule", _("Only a safety manager records under this rule."))
            continue
        if values["occurred_on"] and values["occurred_on"] > today:
            errors.add(row_no, "occurred_on", _("The date cannot be in the future."))
            continue
        if not (values["reason"] or "").strip():
            errors.add(row_no, "reason", _("Say what happened: the person reads it on their page."))
            continue
        planned.append({**values, "row": row_no, "person": person, "rule": rule})
    if errors:
        raise errors.rejected(imported=0)
    if not planned:
        raise nothing_to_import(imported=0)
    return planned


def import_apply(job: Job, planned: list[dict]) -> dict:
    scope = current_scope()
    recorded = proposed = 0
    warnings: list[str] = []
    for item in planned:
        try:
            done = services.entry_record(
                scope=scope,
                person=item["person"],
                rule=item["rule"],
                occurred_on=item["occurred_on"],
                reason=item["reason"],
                evidence_url=item["evidence_url"],
                source_kind=SourceKind.IMPORT,
                source_ref=f"{job.pk}:{item['row']}",
            )
        except ValidationError as exc:  # changed since the check: nothing is recorded
            problems = Problems(COLUMNS)
            for field, messages in (
                exc.message_dict.items() if hasattr(exc, "error_dict") else [("", exc.messages)]
            ):
                for message in messages:
                    problems.add(item["row"], field if field in {c.key for c in COLUMNS} else "", message)
            raise problems.rejected(imported=0) from exc
        recorded += done.entry is not None
        proposed += done.proposal is not None
        warnings.extend(f"{item['row']}: {w}" for w in done.warnings)
    filename = job.params.get("filename", "")
    # About the file (each entry has its own event): no object to link to.
    audit_record(
        action="import",
        tenant_id=job.tenant_id,
        object_type="points.Entry",
        object_repr=filename,
        after={"job": str(job.pk), "recorded": recorded, "proposed": proposed},
    )
    return {"imported": recorded, "proposed": proposed, "warnings": warnings[:200], "errors": []}


register_importer(
    Importer(
        kind=IMPORT_KIND,
        perm=RECORD_POINTS,
        start=import_start,
        prepare=import_prepare,
        apply=import_apply,
        template=import_template,
        template_filename="points-template.xlsx",
        form="compliance.points.forms.ImportForm",
        page_template="points/import.html",
        page_url_name="points:import",
        input_perm=VIEW_POINTS,
        label=gettext_lazy("Import of safety points"),
    )
)
