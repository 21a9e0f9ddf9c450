"""Scheduled jobs of the grading app (CELERY_BEAT_SCHEDULE in compliance/settings.py)."""

from celery import shared_task


@shared_task
def lapse_overdue_grades() -> int:
    """Daily: grade certificates whose re-check fell due and was not recorded become LAPSED, each
    with an event and an audit record (grading.grades.lapse_overdue).

    Runs across all tenants in the platform scope; idempotent — a repeated or concurrent run
    lapses nothing twice.
    """
    from .grades import lapse_overdue

    return lapse_overdue()


@shared_task
def sweep_orphan_evidence() -> int:
    """Daily: evidence files no deduction refers to (a save rolled back after writing its file)
    are deleted after a day's grace (grading.evidence.sweep_orphans)."""
    from .evidence import sweep_orphans

    return sweep_orphans()
