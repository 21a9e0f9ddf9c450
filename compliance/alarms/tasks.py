"""Celery entry points of monitoring alarms (thin: the work is in ``escalation``). Names pinned."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="alarms.tasks.escalate_overdue_alarms")
def escalate_overdue_alarms() -> int:
    """Every few minutes: alarms past their handling deadline escalate to the subsidiary, then
    group HQ, with notifications. All tenants, platform scope; safe to run twice."""
    from .escalation import escalate_overdue

    return escalate_overdue()
