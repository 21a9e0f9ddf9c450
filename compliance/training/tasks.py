"""Scheduled jobs of the training app (CELERY_BEAT_SCHEDULE in compliance/settings.py)."""

from celery import shared_task

# Task names are pinned: beat schedules and queued messages name them, and the
# package moved under compliance/ without renaming them.


@shared_task(name="training.tasks.close_expired_exam_attempts")
def close_expired_exam_attempts() -> int:
    """Every minute: grade attempts whose deadline passed while nobody was there to submit.

    Idempotent: an attempt already graded (by its worker, lazily, or by an earlier run) is
    skipped under its row lock.
    """
    from .attempts import close_expired_attempts

    return close_expired_attempts()


@shared_task(name="training.tasks.send_certificate_reminders")
def send_certificate_reminders() -> int:
    """Daily: in-app notifications (and email when configured) 90, 30 and 7 days before a
    certificate expires or falls due for review, to the person and their safety managers.

    Runs across all tenants in the platform scope (training.reminders.send_due_reminders says
    why); idempotent — a repeated or crashed run never notifies twice.
    """
    from .reminders import send_due_reminders

    return send_due_reminders()


@shared_task(name="training.tasks.check_manager_assessments")
def check_manager_assessments() -> int:
    """Daily: managers past the deadline for the regulator's assessment are held off post (where
    the rule is verified) and released once one is recorded. Idempotent."""
    from .reviews import check_all_managers

    return check_all_managers()
