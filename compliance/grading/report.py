"""The PDF assessment report (自评报告): the header of an assessment, its result with the rule that
decided the level, the part scores as a bar chart, then every part and item with the mine's and the
reviewer's figures, not-applicable reasons and each deduction with its evidence thumbnail.

It is a background job (``compliance.jobs``, kind ``grading_report``): ``report_start`` creates it
at the assessment's mine, the worker re-enters the starter's scope, ``report_prepare`` reads and
renders (reporting progress part by part) and ``report_apply`` stores the file, which the job page
offers to whoever holds ``VIEW_GRADING`` (and ``VIEW_JOBS``) at the mine.

Regulators do not generate reports: starting one writes a job row into the group's records, and a
regulator's scope is read-only by construction. They read the same figures on the assessment page.

The figures come from ``grading.scoring.evaluate`` — the same function as the page and the API —
so the report can never disagree with them. An approved assessment shows its frozen total, level
and rule, as approved.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from compliance.access import access_or_404
from compliance.grading import permissions as grading_perms
from compliance.jobs.models import Job
from compliance.jobs.services import JobRejected, job_handler, job_output_save, job_start
from compliance.reports import evidence as stored_evidence
from compliance.reports import pdf
from compliance.reports.signoff import sign_off, user_named
from tenants import roles
from tenants.scope import Scope, current_scope

from . import assessment_selectors as selectors
from .models import Assessment, Deduction, ItemScore
from .scoring import ItemMark, Result, StandardSpec, fmt, item_score, level_name

REPORT_KIND = "grading_report"
FIGURE_CELLS = 7  # width of each figure column, in monospace cells (the template matches it)


# --- starting -----------------------------------------------------------------------------------


def access_assessment(scope: Scope, pk) -> Assessment:
    """The assessment ``pk`` as the caller sees it; missing and foreign are the same 404."""
    return access_or_404(scope, Assessment.objects.select_related("mine", "version__standard"), pk)


def report_filename(assessment: Assessment) -> str:
    return _("Assessment report %(mine)s %(date)s.pdf") % {
        "mine": assessment.mine.name,
        "date": assessment.assessed_on.isoformat(),
    }


def can_start_report(scope: Scope, assessment: Assessment) -> bool:
    """Whether the page offers "Generate PDF report" (read-only scopes never start jobs)."""
    mine = assessment.mine
    return (
        not scope.read_only
        and scope.has_perm(grading_perms.VIEW_GRADING, mine.path, mine.tenant_id)
        and scope.has_perm(roles.VIEW_JOBS, mine.path, mine.tenant_id)
    )


def report_start(*, scope: Scope, user, assessment: Assessment) -> Job:
    """Start the PDF report of ``assessment`` (already fetched inside ``scope``) as a job at its
    mine. Needs to read the grading there and to follow the job (the progress page)."""
    if not can_start_report(scope, assessment):
        raise PermissionDenied(REPORT_KIND)
    return job_start(
        scope=scope,
        user=user,
        kind=REPORT_KIND,
        org_unit=assessment.mine,
        params={"assessment": str(assessment.pk), "filename": report_filename(assessment)[:200]},
    )


# --- the data -----------------------------------------------------------------------------------


@dataclass
class Evidence:
    name: str
    kind: str  # "image" (with a thumbnail), "pdf", "file" (listed by name) or "missing"
    src: str = ""  # the thumbnail's address inside the report (``evidence:<n>``)


@dataclass
class DeductionRow:
    points: str
    reason: str
    location: str
    evidence: Evidence | None


@dataclass
class ItemRow:
    code: str
    title: str
    max_points: str
    is_veto: bool
    not_applicable: bool
    reason: str  # why not applicable
    score: str  # the mine's
    review_score: str  # the reviewer's, "" when they gave none
    review_comment: str
    failed_veto: bool
    deductions: list[DeductionRow] = field(default_factory=list)

    @property
    def has_detail(self) -> bool:
        return bool(self.deductions or self.not_applicable or self.review_comment)

    @property
    def figures(self) -> str:
        """Maximum, the mine's score and the reviewer's as one fixed-width line (printed in the
        monospace face, right-aligned in FIGURE_CELLS cells each): one text box per item where
        three aligned boxes made WeasyPrint's layout of a 400-item report about 1.5 times slower."""
        mine = "—" if self.not_applicable else self.score
        return "".join(f"{value:>{FIGURE_CELLS}}" for value in (self.max_points, mine, self.review_score))


@dataclass
class PartBlock:
    number: str  # printed number ("1.2"), not the part's internal code
    name: str
    depth: int
    score: str
    review_score: str
    applicable_max: str
    items: list[ItemRow] = field(default_factory=list)


@dataclass
class ChartRow:
    name: str
    depth: int
    score: str
    width: str  # per cent of the bar's track, for CSS
    review_score: str
    review_width: str


def _part_numbers(parts) -> dict:
    """The printed number of each part in the order of the standard ("1", "1.2"): the parts' codes
    are internal keys ("policy"), never shown in a Chinese document."""
    numbers: dict = {}
    counters: dict = {}
    for part in parts:
        parent = part.parent_id
        counters[parent] = counters.get(parent, 0) + 1
        prefix = f"{numbers[parent]}." if parent is not None and parent in numbers else ""
        numbers[part.id] = f"{prefix}{counters[parent]}"
    return numbers


def conclusion(headline: dict, total: str) -> str:
    """The report's conclusion in one sentence: the level reached (or not, with the rule that
    decided it), and whether it stands (approved) or waits for approval."""
    level = headline["level_name"]
    rule = headline["blocking_rule"] or ""
    if headline["frozen"]:
        if headline["level"] is None:
            message = _("Approved: total %(total)s; no level is reached (%(rule)s).")
            return message % {"total": total, "rule": rule}
        return _("Approved: total %(total)s, %(level)s.") % {"total": total, "level": level}
    if headline["level"] is None:
        return _(
            "Not yet approved: on the present figures the total is %(total)s and no level is "
            "reached (%(rule)s)."
        ) % {"total": total, "rule": rule}
    return _(
        "Not yet approved: on the present figures the total is %(total)s, which reaches %(level)s; "
        "the level stands only once approved."
    ) % {"total": total, "level": level}


def marks_of(assessment: Assessment) -> tuple[dict[int, ItemMark], list[ItemScore]]:
    """Every item score of the assessment (one query), as scoring marks and as rows (with the
    reasons and comments the marks leave out)."""
    rows = list(
        ItemScore.objects.filter(assessment=assessment).only(
            "id",
            "item_id",
            "not_applicable",
            "reason",
            "deducted",
            "review_score",
            "review_comment",
            "row_version",
        )
    )
    marks = {
        r.item_id: ItemMark(
            not_applicable=r.not_applicable,
            deducted=r.deducted,
            review_score=r.review_score,
            touched=r.row_version > 0,
        )
        for r in rows
    }
    return marks, rows


def _width(score: Decimal | None) -> str:
    if score is None:
        return "0"
    return f"{max(Decimal(0), min(score, Decimal(100))):.1f}"


def _evidence(deduction: Deduction, images: dict[str, bytes]) -> Evidence | None:
    """The evidence of a deduction; a photo's thumbnail goes into ``images`` under the address
    the template shows it by (``evidence:<n>``, handed to the locked fetcher of ``reports.pdf``)."""
    if not deduction.evidence:
        return None
    name = deduction.evidence_name or stored_evidence.display_name(deduction.evidence)
    if not stored_evidence.exists(deduction.evidence):
        return Evidence(name, "missing")
    suffix = stored_evidence.suffix_of(deduction.evidence)
    if suffix in stored_evidence.IMAGE_SUFFIXES:
        data = stored_evidence.thumbnail(deduction.evidence)
        if not data:
            return Evidence(name, "file")
        src = f"evidence:{len(images)}"
        images[src] = data
        return Evidence(name, "image", src)
    return Evidence(name, "pdf" if suffix == ".pdf" else "file")


def _headline(assessment: Assessment, counting: Result) -> dict:
    """The result the report leads with: the figures that count now (``counting_result``): the
    mine's own before the review, the reviewer's once it began, the frozen ones once approved."""
    return {
        "total": fmt(counting.total),
        "level": counting.level,
        "level_name": level_name(counting.level),
        "blocking_rule": counting.blocking_rule,
        "frozen": assessment.status == Assessment.Status.APPROVED,
        "result": counting,
    }


def report_context(assessment: Assessment, *, progress=None) -> dict:
    """Everything the report template shows, in a fixed number of queries whatever the size of
    the standard: the assessment, the standard (three), item scores (twice: the marks as the
    page reads them, and the reasons), deductions, the mine's history (twice: the mine's figures
    and the counting ones). The figures are those of the assessment page and the API
    (``grading.assessment_selectors``). ``progress(percent, message)`` hears of each part."""
    progress = progress or (lambda p, m="": None)
    assessment = (
        Assessment.objects.select_related(
            "tenant",
            "mine",
            "mine__parent",
            "mine__mine_profile",
            "version__standard",
            "created_by",
            "reviewer",
        )
        .filter(pk=assessment.pk)
        .get()
    )
    version = assessment.version
    spec = StandardSpec.load(version)
    counting = selectors.counting_result(assessment, spec=spec)
    reviewing = assessment.status in (Assessment.Status.UNDER_REVIEW, Assessment.Status.APPROVED)
    on_date = timezone.localdate(assessment.approved_at) if assessment.approved_at else None
    mine_result = (
        selectors.result(assessment, reviewed=False, on_date=on_date, spec=spec) if reviewing else counting
    )
    review_result = counting if reviewing else None
    headline = _headline(assessment, counting)
    marks, score_rows = marks_of(assessment)
    progress(10, _("Scores computed"))

    deductions: dict = defaultdict(list)
    for d in Deduction.objects.filter(item_score__assessment=assessment).order_by(
        "item_score_id", "position", "created_at"
    ):
        deductions[d.item_score_id].append(d)
    row_of = {r.item_id: r for r in score_rows}
    review_parts = {p.id: p for p in review_result.parts} if review_result else {}
    failed_veto_ids = {i.id for i in counting.failed_vetoes}

    items_by_part: dict = defaultdict(list)
    for item in spec.items:
        items_by_part[item.part_id].append(item)
    depth = {}
    for part in mine_result.parts:
        depth[part.id] = 0 if part.parent_id is None else depth.get(part.parent_id, 0) + 1
    numbers = _part_numbers(mine_result.parts)

    blocks: list[PartBlock] = []
    chart: list[ChartRow] = []
    images: dict[str, bytes] = {}
    total_parts = max(len(mine_result.parts), 1)
    for index, part in enumerate(mine_result.parts, start=1):
        reviewed_part = review_parts.get(part.id)
        review_score = reviewed_part.score if reviewed_part else None
        chart.append(
            ChartRow(
                part.name,
                depth[part.id],
                fmt(part.score),
                _width(part.score),
                fmt(review_score) if reviewed_part else "",
                _width(review_score),
            )
        )
        block = PartBlock(
            numbers[part.id],
            part.name,
            depth[part.id],
            fmt(part.score),
            fmt(review_score) if reviewed_part else "",
            fmt(part.applicable_max),
        )
        for item in items_by_part.get(part.id, []):
            mark = marks.get(item.id)
            row = row_of.get(item.id)
            mine_points = item_score(item, mark, reviewed=False)
            reviewer_points = (
                item_score(item, mark, reviewed=True)
                if mark is not None and mark.review_score is not None
                else None
            )
            block.items.append(
                ItemRow(
                    code=item.code,
                    title=item.title,
                    max_points=fmt(item.max_points),
                    is_veto=item.is_veto,
                    not_applicable=bool(mark and mark.not_applicable),
                    reason=row.reason if row is not None else "",
                    score=fmt(mine_points) if mine_points is not None else "",
                    review_score=fmt(reviewer_points) if reviewer_points is not None else "",
                    review_comment=row.review_comment if row is not None else "",
                    failed_veto=item.id in failed_veto_ids,
                    deductions=[
                        DeductionRow(fmt(d.points), d.reason, d.location, _evidence(d, images))
                        for d in (deductions.get(row.pk, []) if row is not None else [])
                    ],
                )
            )
        blocks.append(block)
        progress(
            10 + int(50 * index / total_parts),
            _("Part %(n)d of %(total)d: %(name)s")
            % {
                "n": index,
                "total": total_parts,
                "name": part.name,
            },
        )

    thresholds = sorted({r.min_total for r in spec.rules if r.min_total is not None})
    started_by = user_named(assessment.created_by, tenant_id=assessment.tenant_id)
    reviewer = user_named(assessment.reviewer, tenant_id=assessment.tenant_id)
    percent = " %" if spec.method == "percentage" else ""
    return {
        "assessment": assessment,
        "group": assessment.tenant.name,
        "subsidiary": assessment.mine.parent.name if assessment.mine.parent_id else "",
        "mine": assessment.mine,
        "mine_type": _mine_type(assessment),
        "version": version,
        "standard": version.standard,
        "status": assessment.get_status_display(),
        "started_by": started_by,
        "reviewer": reviewer,
        "headline": headline,
        "conclusion": conclusion(headline, f"{headline['total']}{percent}"),
        "signoff": sign_off(
            prepared=started_by,
            prepared_on=timezone.localdate(assessment.submitted_at) if assessment.submitted_at else None,
            reviewed=reviewer if assessment.reviewer_id else None,
            reviewed_on=timezone.localdate(assessment.approved_at) if assessment.approved_at else None,
            seal_unit=assessment.mine.name,
        ),
        "mine_result": mine_result,
        "mine_total": fmt(mine_result.total),
        "review_result": review_result,
        "review_total": fmt(review_result.total) if review_result else "",
        "rule_warnings": selectors.rule_warnings(assessment, counting),
        "failed_vetoes": counting.failed_vetoes,
        "failed_preconditions": counting.failed_preconditions,
        "chart": chart,
        "thresholds": [{"value": fmt(t), "left": _width(t)} for t in thresholds],
        "parts": blocks,
        "percentage": spec.method == "percentage",
        "applicable_max": fmt(mine_result.applicable_max),
        "earned": fmt(mine_result.earned),
        "generated_at": timezone.localtime(),
        "images": images,
    }


def _mine_type(assessment: Assessment) -> str:
    profile = getattr(assessment.mine, "mine_profile", None)
    return profile.get_mine_type_display() if profile is not None else ""


def report_html(context: dict) -> str:
    return render_to_string("grading/report/assessment.html", context)


def report_pdf(assessment: Assessment, *, progress=None) -> bytes:
    """The report as PDF bytes, in the active language (the job's: that of whoever started it).
    WeasyPrint fetches nothing but the thumbnails made for this report (``compliance.reports.pdf``)."""
    progress = progress or (lambda p, m="": None)
    context = report_context(assessment, progress=progress)
    html = report_html(context)
    progress(65, _("Laying out the pages"))
    document = pdf.render(
        html, resources={src: (data, "image/jpeg") for src, data in context["images"].items()}
    )
    progress(90, _("Writing the PDF (%(n)d pages)") % {"n": len(document.pages)})
    return document.write_pdf()


# --- the job --------------------------------------------------------------------------------------


def report_prepare(job: Job, progress) -> bytes:
    # The worker runs in the scope of whoever started the job: the assessment is looked up there
    # again, so a report never shows what its starter could no longer see.
    scope = current_scope()
    assessment = (
        scope.filter_queryset(Assessment.objects.select_related("mine"))
        .filter(pk=job.params.get("assessment"), mine_id=job.org_unit_id)
        .first()
    )
    if assessment is None or not scope.has_perm(
        grading_perms.VIEW_GRADING, assessment.mine.path, assessment.tenant_id
    ):
        raise JobRejected(_("The assessment is no longer available to you."), {})
    progress(2, _("Reading the assessment"))
    return report_pdf(assessment, progress=progress)


def report_apply(job: Job, content: bytes) -> dict:
    return job_output_save(
        job, content, suffix=".pdf", filename=job.params.get("filename") or "report.pdf"
    ) | {"assessment": job.params.get("assessment")}


job_handler(
    REPORT_KIND,
    prepare=report_prepare,
    apply=report_apply,
    output_perm=grading_perms.VIEW_GRADING,
    label=gettext_lazy("Self-assessment report (PDF)"),
)
