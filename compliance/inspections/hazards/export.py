"""The hazard register as Excel (the shared writer: text never becomes a formula)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from compliance.imports.writer import new_workbook, workbook_bytes

MAX_ROWS = 20000  # one download; narrower filters for more


def hazards_xlsx(rows) -> bytes:
    today = timezone.localdate()
    wb = new_workbook(write_only=True)
    ws = wb.create_sheet(_("Hazards"))
    ws.append(
        [
            _("Number"), _("Group"), _("Mine"), _("Location"), _("Description"), pgettext("hazard", "Class"),
            _("Major-hazard criterion"), _("Found by"), _("Found on"), _("Status"), _("Responsible person"),
            _("Deadline"), _("Overdue"), _("Escalated to"),
        ]
    )  # fmt: skip
    for h in rows:
        ws.append(
            [
                h.number, h.tenant.name, h.mine.name, h.location, h.description, h.get_grade_display(),
                h.criterion.code if h.criterion_id else "", h.get_source_display(), h.found_on,
                h.get_status_display(), h.responsible, h.deadline, _("yes") if h.overdue_on(today) else "",
                h.escalation or "",
            ]
        )  # fmt: skip
    return workbook_bytes(wb)
