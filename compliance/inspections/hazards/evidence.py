"""Where hazards keep their photos (the finding, the rectified site, the acceptance): their area of
the shared evidence store (``compliance.reports.evidence``), ``hazards/<tenant>/<yyyymm>/<hex>``
in the private storage. Pages check the scope, then stream the file."""

from __future__ import annotations

from django.conf import settings

from compliance.reports.evidence import EvidenceArea

EVIDENCE_DIR = "hazards"


def max_bytes() -> int:
    # One photo from a phone; the grading evidence limit is the platform's figure for a photo.
    return getattr(settings, "HAZARD_PHOTO_MAX_BYTES", settings.GRADING_EVIDENCE_MAX_BYTES)


def _referenced() -> set[str]:
    """Every stored name a hazard or a step of its history names, in every tenant (the sweep)."""
    from tenants.scope import dangerously_platform_scope

    from .models import Hazard, HazardEvent

    names: set[str] = set()
    with dangerously_platform_scope():
        for photos in (
            Hazard.dangerously_unscoped.exclude(photos=[]).values_list("photos", flat=True).iterator()
        ):
            names.update(photos)
        for photos in (
            HazardEvent.dangerously_unscoped.exclude(photos=[]).values_list("photos", flat=True).iterator()
        ):
            names.update(photos)
    return names


AREA = EvidenceArea(
    directory=EVIDENCE_DIR,
    depth=2,
    referenced=_referenced,
    thumbnail_task="compliance.inspections.hazards.tasks.make_photo_thumbnail",
)


def store(tenant_id, month: str, upload) -> str:
    """Write an (already validated) photo; its stored name."""
    name, _shown = AREA.store(upload, str(tenant_id), month)
    return name
