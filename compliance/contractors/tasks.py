"""Scheduled jobs of outsourcing (CELERY_BEAT_SCHEDULE in compliance/settings.py). Names pinned."""

from celery import shared_task
from django.conf import settings


@shared_task(name="contractors.tasks.check_qualifications")
def check_qualifications() -> int:
    """Daily: reminders 90/30/7 days before a contractor's qualification expires, and holds on the
    staff of contractors whose required qualification lapsed (lifted when a valid one is there).
    Every tenant, in the platform scope; idempotent (contractors.reminders)."""
    from .reminders import send_due_reminders, sync_all_holds

    return send_due_reminders() + sync_all_holds()


@shared_task(
    name="contractors.tasks.make_scan_thumbnail",
    soft_time_limit=settings.JOB_SOFT_TIME_LIMIT,
    time_limit=settings.JOB_TIME_LIMIT,
)
def make_scan_thumbnail(name: str) -> None:
    """The thumbnail of a stored qualification scan (compliance.reports.evidence); safe to run twice."""
    from compliance.reports.evidence import store_thumbnail

    store_thumbnail(name)
