"""The mine-manager posts roster as Excel (the shared writer: a name or a filing reference never
becomes a formula). One row per post of each mine in scope: who holds it and since when, full-time
or not, vacant or not, and where the appointment's filing (报备) stands."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _

from compliance.imports.writer import XLSX, new_workbook, workbook_bytes  # noqa: F401  (XLSX: for the view)

from .models import Post, PostFiling
from .selectors import RosterLine


def filing_status(filing: PostFiling | None, today: datetime.date) -> str:
    if filing is None:
        return _("No filing recorded")
    if filing.filed_on is not None:
        if filing.filed_on > filing.due_on:
            return _("Filed late on %(date)s") % {"date": filing.filed_on.isoformat()}
        return _("Filed on %(date)s") % {"date": filing.filed_on.isoformat()}
    if today > filing.due_on:
        return _("Overdue since %(date)s") % {"date": filing.due_on.isoformat()}
    return _("Due by %(date)s") % {"date": filing.due_on.isoformat()}


def roster_xlsx(lines: list[RosterLine], *, today: datetime.date) -> bytes:
    yes, no = _("Yes"), _("No")
    wb = new_workbook(write_only=True)
    ws = wb.create_sheet(_("Mine-manager posts"))
    ws.append(
        [
            _("Group"), _("Mine"), _("Post"), _("Holder of the post"),
            _("Employee number"), _("Appointed on"), _("Full-time"), _("Vacant"), _("Filing"),
        ]
    )  # fmt: skip
    for line in lines:
        mine, holder = line.roster.mine, line.holder
        ws.append(
            [
                mine.tenant.name,
                mine.name,
                Post(line.post).label,
                holder.person.name if holder else "",
                holder.person.employee_no if holder else "",
                holder.started_on if holder else None,
                (yes if holder.full_time else no) if holder else "",
                yes if line.vacant else no,
                filing_status(line.filing, today) if holder else "",
            ]
        )
    return workbook_bytes(wb)
