"""Scheduled jobs of the grading app (CELERY_BEAT_SCHEDULE in compliance/settings.py)."""

from celery import shared_task

# Task names are pinned: beat schedules and queued messages name them, and the
# package moved under compliance/ without renaming them.
from django.conf import settings


@shared_task(name="grading.tasks.lapse_overdue_grades")
def lapse_overdue_grades() -> int:
    """Daily: grade certificates whose re-check fell due and was not recorded, and those of coal
    mines stopped past the verified limit, become LAPSED, each with an event and an audit record
    (grading.grades.lapse_overdue, lapse_stopped). Unverified rules lapse nothing.

    Runs across all tenants in the platform scope; idempotent — a repeated or concurrent run
    lapses nothing twice.
    """
    from .grades import lapse_overdue, lapse_stopped

    return lapse_overdue() + lapse_stopped()


@shared_task(name="grading.tasks.apply_regulator_findings")
def apply_regulator_findings() -> int:
    """Daily: a mine whose regulators found more major hazards than it reported within the
    look-back loses one grade level (grading.regulator_findings.apply) — only once the rule is
    verified; idempotent (once per certificate within the look-back)."""
    from .regulator_findings import apply

    return apply()


@shared_task(name="grading.tasks.sweep_orphan_evidence")
def sweep_orphan_evidence() -> int:
    """Daily: evidence files no deduction refers to (a save rolled back after writing its file)
    are deleted after a day's grace (grading.evidence.sweep_orphans, through the private storage)."""
    from .evidence import sweep_orphans

    return sweep_orphans()


@shared_task(
    name="grading.tasks.make_evidence_thumbnail",
    soft_time_limit=settings.JOB_SOFT_TIME_LIMIT,
    time_limit=settings.JOB_TIME_LIMIT,
)
def make_evidence_thumbnail(name: str) -> None:
    """The thumbnail of a stored evidence photo (compliance.reports.evidence), started when its save commits.
    Reads and writes only the files under the name ``store`` gave (no tenant rows); safe to run
    twice (it overwrites)."""
    from compliance.reports.evidence import store_thumbnail

    store_thumbnail(name)
