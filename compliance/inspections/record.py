"""The printable record of an inspection and its spot exams (检查记录及逢查必考记录): who was drawn
(name, post, team), how (drawn at random or picked), the paper, the score against the pass mark,
and what followed a failure — suspended from post (下岗) since when, the re-test paper that lifts
it, and that re-test's result — then a tally, a conclusion and the sign-off block every report
carries (``compliance.reports.signoff``).

A background job (``compliance.jobs``, kind ``inspection_record``), as the grading report:
``record_start`` creates it at the inspected unit, the worker re-enters the starter's scope,
``record_prepare`` reads and renders, ``record_apply`` stores the PDF, which the job page offers to
whoever reads inspections (and follows jobs) there. Read-only scopes (regulators) start no job:
they read the same rows on the inspection page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from compliance.jobs.models import Job
from compliance.jobs.services import JobRejected, job_handler, job_output_save, job_start
from compliance.reports import pdf
from compliance.reports.signoff import person_named, sign_off, user_named
from compliance.training.models import Attempt
from tenants import roles
from tenants.scope import Scope, current_scope

from . import selectors
from .models import Inspection, Suspension
from .permissions import VIEW_INSPECTIONS

RECORD_KIND = "inspection_record"


def can_start_record(scope: Scope, inspection: Inspection) -> bool:
    """Whether the inspection page offers "Print the inspection record"."""
    unit = inspection.org_unit
    return (
        not scope.read_only
        and not selectors.worker_only(scope)
        and scope.has_perm(VIEW_INSPECTIONS, unit.path, inspection.tenant_id)
        and scope.has_perm(roles.VIEW_JOBS, unit.path, inspection.tenant_id)
    )


def record_filename(inspection: Inspection) -> str:
    return _("Inspection record %(unit)s %(date)s.pdf") % {
        "unit": inspection.org_unit.name,
        "date": inspection.date.isoformat(),
    }


def record_start(*, scope: Scope, user, inspection: Inspection) -> Job:
    """Start the PDF record of ``inspection`` (already fetched inside ``scope``) as a job at the
    inspected unit."""
    if not can_start_record(scope, inspection):
        raise PermissionDenied(RECORD_KIND)
    return job_start(
        scope=scope,
        user=user,
        kind=RECORD_KIND,
        org_unit=inspection.org_unit,
        params={"inspection": str(inspection.pk), "filename": record_filename(inspection)[:200]},
    )


# --- the data -----------------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    post: str
    unit: str
    selection: str
    paper: str
    score: str  # "" when not taken
    pass_mark: str
    result: str  # passed / not passed / not taken
    failed: bool
    consequence: str  # what followed, in words
    retest: str  # the re-test: paper and result, or "" when none was needed


def _score(attempt) -> str:
    if attempt is None or attempt.score is None:
        return ""
    score = f"{attempt.score.normalize():f}"
    return score if attempt.max_score == 100 else f"{score} / {attempt.max_score.normalize():f}"


def _day(moment) -> str:
    return timezone.localdate(moment).isoformat() if moment else ""


def record_context(inspection: Inspection) -> dict:
    """Everything the record shows, in four queries whatever the number of people drawn: the
    spot checks (with person, paper, attempt), their suspensions, and the re-test attempts."""
    checks = list(selectors.spot_checks_of(inspection))
    suspensions = {
        s.spot_check_id: s
        for s in Suspension.objects.filter(spot_check__in=[c.pk for c in checks]).select_related(
            "clearing_paper", "cleared_by_attempt"
        )
    }
    # The re-tests: attempts at a suspension's clearing paper by its person, since it started.
    retests: dict = {}
    if suspensions:
        wanted = {(s.person_id, s.clearing_paper_id): s.started_at for s in suspensions.values()}
        for attempt in Attempt.objects.filter(
            person_id__in={p for p, _paper in wanted}, paper_id__in={p for _person, p in wanted}
        ).order_by("started_at"):
            since = wanted.get((attempt.person_id, attempt.paper_id))
            if since is not None and attempt.started_at >= since:
                retests[(attempt.person_id, attempt.paper_id)] = attempt  # the latest wins
    rows: list[Row] = []
    tally = {"drawn": 0, "taken": 0, "passed": 0, "failed": 0, "suspended": 0, "cleared": 0}
    for check in checks:
        attempt = check.attempt
        person = check.person
        post = person_named(person).post
        if person.operation_type and person.get_operation_type_display() not in post:
            post = f"{post} · {person.get_operation_type_display()}"
        tally["drawn"] += 1
        graded = attempt is not None and attempt.passed is not None
        failed = graded and attempt.passed is False
        if graded:
            tally["taken"] += 1
            tally["passed" if attempt.passed else "failed"] += 1
        consequence = retest = ""
        suspension = suspensions.get(check.pk)
        if suspension is not None:
            tally["suspended"] += 1
            consequence = _("Suspended from post since %(date)s, until the re-test is passed.") % {
                "date": _day(suspension.started_at)
            }
            again = retests.get((suspension.person_id, suspension.clearing_paper_id))
            if suspension.cleared_at:
                tally["cleared"] += 1
                consequence = _(
                    "Suspended from post %(start)s; back on post %(end)s after passing the re-test."
                ) % {
                    "start": _day(suspension.started_at),
                    "end": _day(suspension.cleared_at),
                }
            if again is None:
                retest = _("%(paper)s: not taken yet") % {"paper": suspension.clearing_paper.title}
            elif again.passed is None:
                retest = _("%(paper)s: in progress") % {"paper": suspension.clearing_paper.title}
            else:
                retest = _("%(paper)s: %(score)s, %(result)s (%(date)s)") % {
                    "paper": suspension.clearing_paper.title,
                    "score": _score(again),
                    "result": pgettext("exam", "Passed") if again.passed else pgettext("exam", "Not passed"),
                    "date": _day(again.submitted_at),
                }
        elif failed:
            consequence = _("Not passed; no suspension is recorded.")
        rows.append(
            Row(
                name=person.name,
                post=post,
                unit=person.org_unit.name,
                selection=check.get_selection_display(),
                paper=check.paper.title,
                score=_score(attempt),
                pass_mark=f"{check.paper.pass_mark}",
                result=(pgettext("exam", "Passed") if attempt.passed else pgettext("exam", "Not passed"))
                if graded
                else _("Not taken"),
                failed=failed,
                consequence=consequence,
                retest=retest,
            )
        )
    leader = user_named(inspection.leader, tenant_id=inspection.tenant_id)
    return {
        "inspection": inspection,
        "group": inspection.tenant.name,
        "kind": inspection.get_kind_display(),
        "leader": leader,
        "rows": rows,
        "tally": tally,
        "conclusion": conclusion(tally),
        "signoff": sign_off(
            prepared=leader if inspection.leader_id else None,
            prepared_on=inspection.date,
            seal_unit=inspection.tenant.name
            if inspection.kind == Inspection.Kind.GROUP_HQ
            else inspection.org_unit.name,
        ),
        "generated_at": timezone.localtime(),
    }


def conclusion(tally: dict) -> str:
    if not tally["drawn"]:
        return _("Nobody was drawn for a spot exam in this inspection.")
    text = (
        _(
            "%(drawn)d people were drawn for a spot exam; %(taken)d took it, %(passed)d passed and "
            "%(failed)d did not."
        )
        % tally
    )
    if tally["suspended"]:
        text += (
            " "
            + _(
                "%(suspended)d were suspended from post until they pass the re-test; %(cleared)d of them "
                "have passed it and are back on post."
            )
            % tally
        )
    if tally["drawn"] > tally["taken"]:
        text += " " + _("%(n)d have not taken the exam yet.") % {"n": tally["drawn"] - tally["taken"]}
    return text


def record_html(context: dict) -> str:
    return render_to_string("inspections/record_pdf.html", context)


def record_pdf(inspection: Inspection) -> bytes:
    return pdf.render_pdf(record_html(record_context(inspection)))


# --- the job --------------------------------------------------------------------------------------


def record_prepare(job: Job, progress) -> bytes:
    # The worker runs in the scope of whoever started the job: the inspection is looked up there
    # again, so a record never shows what its starter could no longer see.
    scope = current_scope()
    inspection = (
        scope.filter_queryset(Inspection.objects.select_related("org_unit", "tenant", "leader"))
        .filter(pk=job.params.get("inspection"), org_unit_id=job.org_unit_id)
        .first()
    )
    if inspection is None or not scope.has_perm(
        VIEW_INSPECTIONS, inspection.org_unit.path, inspection.tenant_id
    ):
        raise JobRejected(_("The inspection is no longer available to you."), {})
    progress(10, _("Reading the inspection"))
    return record_pdf(inspection)


def record_apply(job: Job, content: bytes) -> dict:
    return job_output_save(
        job, content, suffix=".pdf", filename=job.params.get("filename") or "inspection.pdf"
    ) | {"inspection": job.params.get("inspection")}


job_handler(RECORD_KIND, prepare=record_prepare, apply=record_apply, output_perm=VIEW_INSPECTIONS)
