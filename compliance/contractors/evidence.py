"""Where outsourcing keeps the scanned copies of qualifications: its area of the shared evidence
store (``compliance.reports.evidence``), ``contractors/<tenant>/<contractor>/<hex><suffix>`` in the
private storage; the contractor page checks the scope, then streams the file."""

from __future__ import annotations

from compliance.reports.evidence import EvidenceArea

EVIDENCE_DIR = "contractors"


def _referenced() -> set[str]:
    """Every stored name a qualification refers to, in every tenant (the orphan sweep's list)."""
    from tenants.scope import dangerously_platform_scope

    from .models import Qualification

    with dangerously_platform_scope():
        return set(
            Qualification.dangerously_unscoped.exclude(scan="").values_list("scan", flat=True).iterator()
        )


AREA = EvidenceArea(
    directory=EVIDENCE_DIR,
    depth=2,
    referenced=_referenced,
    thumbnail_task="compliance.contractors.tasks.make_scan_thumbnail",
)


def store(tenant_id, contractor_id, upload) -> tuple[str, str]:
    """Write an (already validated) upload; its stored name and the name to show."""
    return AREA.store(upload, str(tenant_id), str(contractor_id))
