"""Celery entry points of hidden dangers (thin: the work is in ``services`` and ``escalation``)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings


@shared_task(
    name="compliance.inspections.hazards.tasks.make_photo_thumbnail",
    soft_time_limit=settings.JOB_SOFT_TIME_LIMIT,
    time_limit=settings.JOB_TIME_LIMIT,
)
def make_photo_thumbnail(name: str) -> None:
    """The thumbnail of a stored hazard photo, started when its save commits. Safe to run twice."""
    from compliance.reports.evidence import store_thumbnail

    store_thumbnail(name)


@shared_task(name="inspections.hazards.tasks.escalate_overdue_hazards")
def escalate_overdue_hazards() -> int:
    """Daily: hazards past their deadline escalate to the subsidiary, then group HQ (督办), with
    notifications. Across all tenants in the platform scope; idempotent (a level is raised once,
    a notification is deduplicated by its key)."""
    from .escalation import escalate_overdue

    return escalate_overdue()
