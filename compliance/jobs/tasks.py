from celery import shared_task


@shared_task(acks_late=True)
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
