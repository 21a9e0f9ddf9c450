"""The points ledger as an Excel workbook, through the shared writer (``compliance.imports.writer``:
text never becomes a formula)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from compliance.audit.services import audit_record
from compliance.imports.writer import new_workbook, workbook_bytes

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_LIMIT = 20_000


@transaction.atomic
def ledger_xlsx(scope, rows) -> bytes:
    """The ledger rows the list shows (its filter applied), at most EXPORT_LIMIT; the export of
    people's records is audited (DESIGN.md "Audit trail")."""
    wb = new_workbook(write_only=True)
    ws = wb.create_sheet(_("Points ledger"))
    ws.append(
        [
            _("Date"),
            _("Employee number"),
            _("Name"),
            _("Team"),
            _("Rule"),
            _("Points"),
            _("Reason"),
            _("Source"),
            _("Reversal"),
        ]
    )
    count = 0
    for e in rows[:EXPORT_LIMIT]:
        ws.append(
            [
                e.occurred_on,
                e.person.employee_no,
                e.person.name,
                e.team.name,
                f"{e.rule.code} {e.rule.title}",
                e.points,
                e.reason,
                e.get_source_kind_display(),
                _("Yes") if e.reverses_id else "",
            ]
        )
        count += 1
    audit_record(
        action="points_export",
        tenant_id=scope.tenant_id,
        object_type="points.Entry",
        object_repr=_("Points ledger"),
        after={"rows": count},
    )
    return workbook_bytes(wb)
