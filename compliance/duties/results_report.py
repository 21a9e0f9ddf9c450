"""The PDF of a mine's duty-assessment results for a period (履职考核结果): results per subsidiary,
mine and team, then per person, with the score and whether it passed.

A whole mine's results can take over a second to lay out, so it is a background job
(``compliance.jobs``, kind ``duty_results``), as the grading report and the inspection record:
``results_start`` creates it at the mine, the worker re-enters the starter's scope,
``results_prepare`` reads and renders, ``results_apply`` stores the file, which the job page offers
to whoever reads the lists there (``VIEW_DUTY_LISTS``, and ``VIEW_JOBS`` to reach the job).

Regulators do not read responsibility lists or assessments at all (``permissions_lists``), and a
read-only scope starts no job (a job is a row written into the group's records): as the grading
report. A person's own signed list (one person, a page or two) stays in the request
(``views.lists.PersonListPdfView``).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from compliance.jobs.models import Job
from compliance.jobs.services import JobRejected, job_handler, job_output_save, job_start
from compliance.reports import pdf
from tenants import roles
from tenants.models import OrgUnit
from tenants.scope import Scope, current_scope

from . import selectors_lists as sel
from .permissions_lists import VIEW_DUTY_LISTS

RESULTS_KIND = "duty_results"


def can_start_results(scope: Scope, mine: OrgUnit) -> bool:
    """Whether the results page offers the mine's PDF: a reader of the mine's lists who follows
    its jobs, in a scope that may write (a job row); never a worker (self-only: their own lists)."""
    return (
        not scope.read_only
        and not scope.self_only
        and scope.has_perm(VIEW_DUTY_LISTS, mine.path, mine.tenant_id)
        and scope.has_perm(roles.VIEW_JOBS, mine.path, mine.tenant_id)
    )


def results_filename(mine: OrgUnit, start: datetime.date) -> str:
    return _("Duty assessment results %(mine)s %(period)s.pdf") % {
        "mine": mine.name,
        "period": start.strftime("%Y-%m"),
    }


def results_start(*, scope: Scope, user, mine: OrgUnit, day: datetime.date | None = None) -> Job:
    """Start the PDF of ``mine``'s (already fetched inside ``scope``) results for the period
    containing ``day`` (today when none) as a job at the mine."""
    if not can_start_results(scope, mine):
        raise PermissionDenied(RESULTS_KIND)
    cycle = sel.settings_for(mine.tenant_id).assessment_cycle
    start = sel.period_start(day or timezone.localdate(), cycle)
    return job_start(
        scope=scope,
        user=user,
        kind=RESULTS_KIND,
        org_unit=mine,
        params={
            "mine": str(mine.pk),
            "period": start.isoformat(),
            "filename": results_filename(mine, start)[:200],
        },
    )


def results_context(scope: Scope, mine: OrgUnit, start: datetime.date) -> dict:
    """What the PDF shows (three queries whatever the number of assessments: the settings, the
    assessments with their people, posts and assessors, the units)."""
    cycle = sel.settings_for(mine.tenant_id).assessment_cycle
    start = sel.period_start(start, cycle)
    rows = list(sel.assessments(scope, period=start, unit=mine))
    return {
        "mine": mine,
        "period": sel.period_label(start, cycle),
        "rows": rows,
        "by_unit": sel.results_by_unit(scope, rows),
        "today": timezone.localdate(),
    }


def results_pdf(scope: Scope, mine: OrgUnit, start: datetime.date) -> bytes:
    # A document for the wall and the file: in Chinese whatever the starter's language.
    with translation.override("zh-hans"):
        html = render_to_string("duties/lists/mine_results_pdf.html", results_context(scope, mine, start))
    return pdf.render_pdf(html)


# --- the job --------------------------------------------------------------------------------------


def results_prepare(job: Job, progress) -> bytes:
    # The worker runs in the scope of whoever started the job: the mine is looked up there again,
    # so the PDF never shows what its starter could no longer see.
    scope = current_scope()
    mine = scope.queryset(OrgUnit).filter(kind=OrgUnit.Kind.MINE, pk=job.org_unit_id).first()
    if (
        mine is None
        or str(mine.pk) != job.params.get("mine")
        or not scope.has_perm(VIEW_DUTY_LISTS, mine.path, mine.tenant_id)
    ):
        raise JobRejected(_("The mine is no longer available to you."), {})
    try:
        start = datetime.date.fromisoformat(job.params.get("period") or "")
    except ValueError:
        start = timezone.localdate()
    progress(10, _("Reading the assessments"))
    content = results_pdf(scope, mine, start)
    progress(90, _("Writing the PDF"))
    return content


def results_apply(job: Job, content: bytes) -> dict:
    return job_output_save(
        job, content, suffix=".pdf", filename=job.params.get("filename") or "duty-results.pdf"
    ) | {"mine": job.params.get("mine"), "period": job.params.get("period")}


job_handler(
    RESULTS_KIND,
    prepare=results_prepare,
    apply=results_apply,
    output_perm=VIEW_DUTY_LISTS,
    label=gettext_lazy("Duty assessment results (PDF)"),
)
