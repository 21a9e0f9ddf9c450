from celery import shared_task
from django.conf import settings


# The soft limit raises SoftTimeLimitExceeded inside the job, which job_run records as a failure
# with nothing applied; the hard limit ends a worker process the soft one could not interrupt.
@shared_task(acks_late=True, soft_time_limit=settings.JOB_SOFT_TIME_LIMIT, time_limit=settings.JOB_TIME_LIMIT)
def run_job(job_id: str, tenant_id: str, actor_id: int | None) -> None:
    from .services import job_run

    job_run(job_id, tenant_id, actor_id)


@shared_task
def sweep_jobs() -> dict[str, int]:
    """Scheduled by beat (``CELERY_BEAT_SCHEDULE``): hands over jobs the broker or a worker lost."""
    from .services import job_sweep

    return job_sweep()


@shared_task
def ping() -> str:
    """Round trip through the broker, used by the health check and the broker test."""
    return "pong"
