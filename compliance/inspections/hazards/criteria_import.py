"""The operator's import of a major-hazard criteria catalogue's text from Excel (the shared reader
of ``compliance.imports``: header in either language, every row checked, all or nothing).

Columns: 类别序号 / category number, 类别 / category, 代码 / code, 内容 / text, 来源 / source.
Rows update the catalogue's criteria by code (the shipped skeleton's codes are kept) and are
unverified unless ``verified_by`` names who checked them against the published text."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compliance.audit.services import audit_record
from compliance.imports.columns import INTEGER, Column
from compliance.imports.reader import header_index, missing_message, open_workbook, sheet_rows
from compliance.imports.rows import numbered, parse_cells, row_is_empty

from .models import CriteriaCatalogue, Criterion

COLUMNS = [
    Column("category_no", _("category number"), required=True, kind=INTEGER, low=1, high=99),
    Column("category", _("category"), required=True, max_length=200),
    Column("code", _("code"), required=True, max_length=20),
    Column("text", _("text"), required=True),
    Column("source", _("source"), max_length=300),
]


def import_criteria(*, catalogue: CriteriaCatalogue, content: bytes, verified_by: str = "") -> int:
    """Check every row, then write them all in one transaction; returns how many rows."""
    rows = list(sheet_rows(open_workbook(content).worksheets[0]))
    if not rows:
        raise ValidationError(_("The sheet is empty."))
    index, missing = header_index(rows[0], COLUMNS)
    if missing:
        raise ValidationError(missing_message(missing))
    errors, parsed, seen = [], [], set()
    for number, row in numbered(rows[1:]):
        if row_is_empty(row):
            continue
        values, problems = parse_cells(COLUMNS, row, index)
        if values["code"] in seen:
            problems.append(("code", str(_("This code appears twice in the file."))))
        seen.add(values["code"])
        errors += [f"{number}: {key}: {problem}" for key, problem in problems]
        parsed.append(values)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        for position, values in enumerate(parsed, start=1):
            Criterion.objects.update_or_create(
                catalogue=catalogue,
                code=values["code"],
                defaults={
                    "category_no": values["category_no"],
                    "category": values["category"],
                    "text": values["text"],
                    "source": values["source"] or catalogue.document_no,
                    "position": position,
                    "verified": bool(verified_by),
                    "verified_by": verified_by,
                    "verified_at": now if verified_by else None,
                },
            )
        audit_record(
            action="criteria_import",
            obj=catalogue,
            after={"rows": len(parsed), "verified_by": verified_by},
        )
    return len(parsed)
