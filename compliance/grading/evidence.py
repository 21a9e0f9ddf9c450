"""Where grading keeps the evidence of deductions (扣分证据): its area of the shared evidence
store (``compliance.reports.evidence``), ``grading/<tenant>/<assessment>/<hex><suffix>`` in the
private storage. The assessment pages check the scope, then stream the file; the PDF report
embeds photos' thumbnails, made by ``grading.tasks.make_evidence_thumbnail`` once a save commits;
``grading.tasks.sweep_orphan_evidence`` removes daily what no deduction names.
"""

from __future__ import annotations

from compliance.reports.evidence import EvidenceArea

EVIDENCE_DIR = "grading"


def _referenced() -> set[str]:
    """Every stored name a deduction refers to, in every tenant: the sweep is a daily job for
    all of them and reads only these names."""
    from tenants.scope import dangerously_platform_scope

    from .models import Deduction

    with dangerously_platform_scope():
        return set(
            Deduction.dangerously_unscoped.exclude(evidence="").values_list("evidence", flat=True).iterator()
        )


AREA = EvidenceArea(
    directory=EVIDENCE_DIR,
    depth=2,
    referenced=_referenced,
    thumbnail_task="compliance.grading.tasks.make_evidence_thumbnail",
)


def store(tenant_id, assessment_id, upload) -> tuple[str, str]:
    """Write an (already validated) upload of an assessment; its stored name and the name to show."""
    return AREA.store(upload, str(tenant_id), str(assessment_id))


def sweep_orphans(now: float | None = None) -> int:
    return AREA.sweep_orphans(now=now)
