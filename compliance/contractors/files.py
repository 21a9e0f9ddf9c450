"""The contractor file (外包队伍档案) as a PDF, and the register as an Excel workbook — through the
shared machinery (``compliance.reports.pdf``, ``compliance.imports.writer``)."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance.imports.writer import new_workbook, workbook_bytes
from compliance.reports.pdf import render_pdf

from . import selectors, services

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def contractor_file_pdf(scope, contractor) -> bytes:
    """A few pages, rendered in the request: the company, its qualifications and their state, its
    engagements, staff and appraisals as the scope sees them."""
    qualifications = selectors.qualifications_of(scope, contractor)
    today = timezone.localdate()
    html = render_to_string(
        "contractors/contractor_file.html",
        {
            "contractor": contractor,
            "qualifications": qualifications,
            "problems": services.qualification_problems(
                contractor, today=today, qualifications=qualifications
            ),
            "engagements": list(selectors.engagement_list(scope=scope, contractor=contractor)[:200]),
            "staff": list(selectors.staff_list(scope=scope, contractor=contractor)[:500]),
            "appraisals": list(selectors.appraisal_list(scope=scope, contractor=contractor)[:60]),
            "today": today,
            "generated_at": timezone.localtime(),
        },
    )
    return render_pdf(html)


def register_xlsx(rows) -> bytes:
    """The register with its filters applied: one row per contractor (a constant number of queries:
    ``selectors.contractor_list`` annotates the qualification state)."""
    wb = new_workbook()
    ws = wb.active
    ws.title = _("Contractors")
    ws.append(
        [
            _("Name"),
            _("Unified social credit code"),
            _("Legal representative"),
            _("Contact person"),
            _("Contact phone"),
            _("Kind of work"),
            _("Status"),
            _("Reason of the status"),
            _("Safety production licence"),
            _("Qualification"),
            _("Engagements"),
        ]
    )
    valid, missing = _("Valid"), _("Missing or expired")
    for c in rows:
        ws.append(
            [
                c.name,
                c.credit_code,
                c.legal_representative,
                c.contact_name,
                c.contact_phone,
                c.get_work_kind_display(),
                c.get_status_display(),
                c.status_reason,
                valid if c.valid_licence else missing,
                valid if c.valid_qualification else missing,
                c.open_engagements,
            ]
        )
    return workbook_bytes(wb)
