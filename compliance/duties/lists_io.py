"""Responsibility-list templates from Excel (.xlsx), as a background job.

One row is one item (责任条目) of one post's list: the post, the duty, its scope, the assessment
criterion (考核标准), the evidence expected and the points. The rows of a post are that post's whole
list at the unit chosen at upload, in their order; each post of the file gets a new version,
published through ``services_lists.list_publish`` exactly as the publish form does it (numbering,
the republishing of the adaptations below, the re-signing it asks of every holder, the audit trail).

At a subsidiary or a mine the list adapts the nearest list above: those items are kept, first and
word for word, without being written in the file; a row repeating one of them word for word is
skipped, a row changing one is refused. An item whose duty is unchanged keeps its identity across
versions (as on the form).

Every row is checked first; one bad row means nothing is published and every problem is listed
with its row, column and reason.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from compliance.audit.services import audit_record
from compliance.imports import writer
from compliance.imports.columns import CHOICE, INTEGER, Column, squash
from compliance.imports.importers import Importer, register_importer, start_import
from compliance.imports.reader import read_rows
from compliance.imports.rows import (
    Problems,
    nothing_to_import,
    numbered,
    parse_cells,
    report_progress,
)
from compliance.imports.template import template_workbook
from compliance.jobs.models import Job
from compliance.jobs.services import JobRejected
from tenants.models import OrgUnit
from tenants.scope import Scope, current_scope

from . import selectors_lists as sel
from . import services_lists as svc
from .models.lists import DutyPost, ListTemplate
from .permissions_lists import MANAGE_DUTY_LISTS, VIEW_DUTY_LISTS

XLSX = writer.XLSX
IMPORT_KIND = "duty_list_import"
MAX_ROWS = 5000
TEXT_FIELDS = ("duty", "scope", "criterion", "evidence")

COLUMNS = [
    Column("post", gettext_lazy("Post"), True, 16, example="采煤工",
           help=gettext_lazy("A post of the group's catalogue, by its name or code (see the drop-down).")),
    Column("duty", gettext_lazy("Duty"), True, 48, max_length=2000, example="严格执行本岗位安全操作规程",
           help=gettext_lazy("What the holder of the post must do.")),
    Column("scope", gettext_lazy("Scope"), False, 16, max_length=300, example="本岗位",
           help=gettext_lazy("Where or over whom the duty applies. Optional.")),
    Column("criterion", gettext_lazy("Assessment criterion"), True, 36, max_length=2000,
           example="无违章作业记录", help=gettext_lazy("How the duty assessment (履职考核) scores it.")),
    Column("evidence", gettext_lazy("Evidence expected"), False, 20, max_length=300, example="班前会记录",
           help=gettext_lazy("What the assessor looks at. Optional.")),
    Column("max_score", gettext_lazy("Points"), False, 8, kind=INTEGER, low=1, high=100, example=10,
           help=gettext_lazy("1 to 100. Empty: 10.")),
]  # fmt: skip


def _columns_for(posts) -> list[Column]:
    """The columns with the caller's posts as the post column's drop-down."""
    choices = [(p.code, p.name) for p in posts]
    return [dataclasses.replace(c, kind=CHOICE, choices=choices) if c.key == "post" else c for c in COLUMNS]


def import_template() -> bytes:
    """The sheet to fill in (one item per row) and its guide; the post column's drop-down lists
    the group's posts."""
    scope = current_scope()
    return template_workbook(
        title=_("Responsibility lists"),
        columns=_columns_for(sel.posts(scope)),
        notes=[
            _(
                "The rows of a post are its whole list at the unit chosen at upload, in their order: "
                "each post in the file gets a new version, and its holders are asked to sign it again."
            ),
            _(
                "At a subsidiary or a mine the items of the list above are kept automatically; write "
                "only the unit's own items."
            ),
        ],
    )


def list_import_start(*, scope: Scope, user, org_unit: OrgUnit, upload) -> Job:
    scope.require(MANAGE_DUTY_LISTS, org_unit)
    if org_unit.kind == OrgUnit.Kind.TEAM:
        raise ValidationError(
            {"org_unit": [_("Lists are kept by the group, a subsidiary or a mine, not a team.")]}
        )
    return start_import(scope=scope, user=user, kind=IMPORT_KIND, org_unit=org_unit, upload=upload)


# --- checking -------------------------------------------------------------------------------------------
@dataclass
class PlannedList:
    post: DutyPost
    first_row: int
    inherited: list[dict]  # the items of the list above, kept first and unchanged
    own: list[dict] = field(default_factory=list)
    previous: dict = field(default_factory=dict)  # duty → key of the unit's own items in force

    @property
    def items(self) -> list[dict]:
        return self.inherited + self.own


@dataclass
class ImportPlan:
    unit: OrgUnit
    lists: list[PlannedList]


def _post_lookup(posts) -> dict[str, DutyPost]:
    lookup: dict[str, DutyPost] = {}
    for post in posts:
        lookup.setdefault(squash(post.code), post)
        lookup.setdefault(squash(post.name), post)
    return lookup


def _start_of(post: DutyPost, unit: OrgUnit, row_no: int) -> PlannedList:
    """What the new version of ``post``'s list at ``unit`` starts from, as ``list_publish`` sees it."""
    template = (
        ListTemplate.objects.filter(post=post, org_unit=unit).select_related("base__current_version").first()
    )
    base = (
        template.base
        if template is not None
        else sel.base_template_for(tenant_id=post.tenant_id, post=post, org_unit=unit)
    )
    start = svc.adaptation_start_items(template=template, base=base)
    inherited = [i for i in start if i["inherited"]] if base is not None else []
    # An unchanged duty keeps its item's identity (its key), as on the publish form.
    previous = {i["duty"]: i["key"] for i in start if not (base is not None and i["inherited"])}
    return PlannedList(post=post, first_row=row_no, inherited=inherited, previous=previous)


def _same(item: dict, values: dict) -> bool:
    return all(str(item[f]) == str(values[f]) for f in (*TEXT_FIELDS, "max_score"))


def list_import_prepare(job: Job, progress) -> ImportPlan:
    scope = current_scope()
    unit = OrgUnit.objects.filter(pk=job.org_unit_id).first()
    if unit is None or not scope.has_perm(MANAGE_DUTY_LISTS, unit.path, unit.tenant_id):
        raise JobRejected(_("You may no longer import into this unit."), {"errors": []})
    posts = _post_lookup(sel.posts(scope))

    rows, index = read_rows(job, COLUMNS)
    rows = list(numbered(rows))
    if len(rows) > MAX_ROWS:
        message = _("At most %(n)d rows per file.") % {"n": MAX_ROWS}
        raise JobRejected(message, {"errors": [{"row": None, "column": "", "message": message}]})
    errors = Problems(COLUMNS)
    lists: dict = {}
    seen: dict = {}  # (post, duty) → row
    for done, (row_no, row) in enumerate(rows, start=1):
        report_progress(progress, done, len(rows))
        values, problems = parse_cells(COLUMNS, row, index)
        errors.extend(row_no, problems)
        name = values["post"]
        post = posts.get(squash(name)) if name else None
        if name and post is None:
            errors.add(row_no, "post", _("No post of the catalogue is called %(v)s.") % {"v": name})
        if post is None or problems:
            continue
        values["max_score"] = values["max_score"] or 10
        planned = lists.get(post.pk)
        if planned is None:
            planned = lists[post.pk] = _start_of(post, unit, row_no)
        above = next((i for i in planned.inherited if i["duty"] == values["duty"]), None)
        if above is not None:
            if not _same(above, values):
                errors.add(row_no, "duty", _("This item of the list above cannot be changed here."))
            continue  # kept anyway, first and word for word
        if (post.pk, values["duty"]) in seen:
            errors.add(row_no, "duty", _("Same duty as row %(r)d.") % {"r": seen[(post.pk, values["duty"])]})
            continue
        seen[(post.pk, values["duty"])] = row_no
        item = {f: values[f] for f in (*TEXT_FIELDS, "max_score")}
        planned.own.append(item | {"key": planned.previous.get(values["duty"])})
    for planned in lists.values():
        if len(planned.items) > svc.MAX_ITEMS:
            errors.add(
                planned.first_row,
                "post",
                _("%(post)s: at most %(n)d items in a list.")
                % {"post": planned.post.name, "n": svc.MAX_ITEMS},
            )
        elif not planned.own:
            errors.add(
                planned.first_row,
                "duty",
                _("%(post)s: the file adds nothing to the list above.") % {"post": planned.post.name},
            )
    if errors:
        raise errors.rejected(imported=0)
    if not lists:
        raise nothing_to_import(imported=0)
    return ImportPlan(unit=unit, lists=list(lists.values()))


def list_import_apply(job: Job, plan: ImportPlan) -> dict:
    scope = current_scope()
    filename = job.params.get("filename", "")
    versions = []
    for planned in plan.lists:
        try:
            version = svc.list_publish(
                scope=scope,
                post=planned.post,
                org_unit=plan.unit,
                items=planned.items,
                note=_("Imported from %(file)s") % {"file": filename},
            )
        except ValidationError as exc:  # the lists changed since the check: nothing is published
            problems = Problems(COLUMNS)
            for messages in exc.message_dict.values():
                for message in messages:
                    problems.add(planned.first_row, "post", f"{planned.post.name}: {message}")
            raise problems.rejected(imported=0) from exc
        versions.append({"post": planned.post.name, "version": version.number, "items": len(planned.items)})
    # About the file, not one list (each publication has its own event): no object to link to.
    audit_record(
        action="import",
        tenant_id=plan.unit.tenant_id,
        object_type="duties.ListTemplate",
        object_repr=filename,
        org_path=plan.unit.path,
        after={"job": str(job.pk), "lists": versions},
    )
    return {"lists_published": len(versions), "versions": versions, "errors": []}


register_importer(
    Importer(
        kind=IMPORT_KIND,
        perm=MANAGE_DUTY_LISTS,
        start=list_import_start,
        prepare=list_import_prepare,
        apply=list_import_apply,
        template=import_template,
        template_filename="responsibility-lists-template.xlsx",
        form="compliance.duties.forms_lists.ImportForm",
        page_template="duties/lists/import.html",
        page_url_name="duties:list-import",
        result_template="duties/lists/_import_result.html",
        input_perm=VIEW_DUTY_LISTS,
        label=gettext_lazy("Import of responsibility lists"),
    )
)
