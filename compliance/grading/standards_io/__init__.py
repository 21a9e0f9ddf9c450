"""A full grading standard (one version) in and out of Excel (.xlsx).

One workbook, four sheets, found by name (either language) or else by position:

1. 标准与版本 — one field per row (column A the field, column B the value): 标准代码, 标准名称,
   评分方法, 适用矿山类型, 版本, 发布文号, 施行日期, 废止日期, 前置条件, 复查周期（月）, 说明.
2. 部分 — 代码, 名称, 上级代码, 权重, 序号 (parts and elements; at most two levels).
3. 条目 — 编号, 所属部分, 项目, 标准分值, 评分方法, 否决项, 序号 (items hang on parts without children).
4. 等级规则 — 等级, 总分不低于, 每部分不低于, 指定部分最低分 ("disaster=90；basics=85"),
   死亡事故追溯年限 ("一般=1；较大=2"), 无降级或抽查不合格（天）.

Every cell is checked and every problem reported with its sheet, row and column; if there is one,
nothing is imported. A group's import runs as a background job (``compliance.jobs``) like the
question bank's; the platform operator's national import (no group, so no job row) runs in the
request — a standard is a few hundred rows. The export writes the same sheets, so an exported
version imports again as the same structure.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from compliance.grading import permissions as grading_perms
from compliance.grading import standards
from compliance.grading.models import StandardVersion
from compliance.imports.importers import Importer, register_importer, start_import
from compliance.imports.reader import job_input_bytes
from compliance.imports.rows import rejected
from compliance.jobs.models import Job
from compliance.jobs.services import JobRejected
from tenants.scope import Scope, current_scope

from .columns import IMPORT_KIND, SHEETS, XLSX, _zh
from .reading import parse_workbook
from .writing import import_template, version_export, workbook_of

# What the standards pages, the import machinery and the tests use.
__all__ = [
    "IMPORT_KIND",
    "SHEETS",
    "XLSX",
    "_zh",
    "import_template",
    "national_import",
    "parse_workbook",
    "standard_import_apply",
    "standard_import_prepare",
    "standard_import_start",
    "version_export",
    "workbook_of",
]


# --- a group's import, as a background job ---------------------------------------------------------
def standard_import_start(*, scope: Scope, user, upload, org_unit=None) -> Job:
    """Start importing the group's own standard from an uploaded workbook (MANAGE_STANDARDS at the
    group's root unit, where the job is kept whatever ``org_unit`` the import page passes)."""
    _owner, root = standards.owner_for(scope, national=False)
    return start_import(scope=scope, user=user, kind=IMPORT_KIND, org_unit=root, upload=upload)


def _rejected(errors: list[dict]) -> JobRejected:
    return rejected(errors, imported=0)


def standard_import_prepare(job: Job, progress) -> dict:
    scope = current_scope()
    try:
        standards.owner_for(scope, national=False)
    except PermissionDenied:
        raise JobRejected(_("You may no longer import standards for this group."), {"errors": []}) from None
    structure, errors = parse_workbook(job_input_bytes(job), progress)
    if errors:
        raise _rejected(errors)
    problems = standards.import_problems(scope, structure, national=False)
    if problems:
        raise _rejected([{"row": None, "column": "", "message": p} for p in problems])
    progress(90, _("Checked the whole standard"))
    return structure


def standard_import_apply(job: Job, structure: dict) -> dict:
    try:
        created = standards.standard_import(scope=current_scope(), data=structure, national=False)
    except ValidationError as exc:  # changed between the check and now (e.g. an assessment started)
        raise _rejected([{"row": None, "column": "", "message": m} for m in exc.messages]) from None
    version = created[0]
    return {
        "standard_id": version.standard_id,
        "version_id": version.pk,
        "items_imported": version.items.count(),
        "errors": [],
    }


register_importer(
    Importer(
        kind=IMPORT_KIND,
        perm=grading_perms.MANAGE_STANDARDS,
        start=standard_import_start,
        prepare=standard_import_prepare,
        apply=standard_import_apply,
        template=import_template,
        template_filename="standard-template.xlsx",
        form="compliance.grading.views.standards.ImportForm",
        page_template="grading/standards/import.html",
        page_url_name="grading:standard-import",
        job_url_name="grading:standard-import-job",
        input_perm=grading_perms.MANAGE_STANDARDS,
        label=gettext_lazy("Import of a grading standard"),
    )
)


# --- the platform operator's national import (in the request) --------------------------------------
def national_import(*, scope: Scope, content: bytes) -> tuple[list[StandardVersion], list[dict]]:
    """(versions created, []) or ([], every problem). ``scope`` must be the platform scope."""
    standards.owner_for(scope, national=True)
    structure, errors = parse_workbook(content)
    if errors:
        return [], errors
    try:
        return standards.standard_import(scope=scope, data=structure, national=True), []
    except ValidationError as exc:
        return [], [{"row": None, "column": "", "message": m} for m in exc.messages]
