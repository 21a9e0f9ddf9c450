"""Starting, running and reporting background jobs.

A job is created in the request's transaction and dispatched on commit. The task re-enters the
scope of the user who started it, so it sees exactly what they saw. Handlers must be idempotent
(a retried job whose work committed is a no-op) and do their writes in one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone, translation

from compliance.audit.context import ActorContext, acting_as
from tenants.scope import activate
from tenants.selectors import scope_for_user

from .models import Job

log = logging.getLogger(__name__)

Progress = Callable[[int, str], None]


@dataclass(frozen=True)
class JobHandler:
    """``prepare`` reads and validates (no writes; may report progress); ``apply`` writes.

    ``apply`` runs in one transaction together with marking the job done, so a crash or a
    retry never half-applies it.
    """

    prepare: Callable[[Job, Progress], object]
    apply: Callable[[Job, object], dict]


HANDLERS: dict[str, JobHandler] = {}


def job_handler(kind: str, *, prepare, apply) -> None:
    HANDLERS[kind] = JobHandler(prepare=prepare, apply=apply)


def private_path(name: str) -> Path:
    path = Path(settings.PRIVATE_MEDIA_ROOT) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def job_start(
    *,
    scope,
    user,
    kind: str,
    org_unit,
    params: dict | None = None,
    input_bytes: bytes | None = None,
    input_suffix: str = ".bin",
) -> Job:
    # The job speaks the language of whoever started it (its messages are stored as text).
    params = {"language": translation.get_language() or settings.LANGUAGE_CODE, **(params or {})}
    job = Job(tenant_id=org_unit.tenant_id, kind=kind, org_unit=org_unit, created_by=user, params=params)
    if input_bytes is not None:
        name = f"jobs/{job.id}{input_suffix}"
        private_path(name).write_bytes(input_bytes)
        job.input_file = name
    job.save()
    transaction.on_commit(lambda: _dispatch(job))
    return job


def _dispatch(job: Job) -> None:
    from .tasks import run_job

    run_job.delay(str(job.id), str(job.tenant_id), job.created_by_id)


def _set_progress(job_id, progress: int, message: str = "") -> None:
    # Progress is written outside the handler's transaction so other requests can see it.
    Job.dangerously_unscoped.filter(pk=job_id).update(progress=progress, message=message[:500])


def job_run(job_id: str, tenant_id: str, actor_id: int | None) -> None:
    user = get_user_model().objects.filter(pk=actor_id).first()
    if user is None:
        return
    scope = scope_for_user(user)
    # Job rows carry no personal data: reading the language before the scope is entered is safe.
    language = Job.dangerously_unscoped.filter(pk=job_id).values_list("params__language", flat=True).first()
    with (
        translation.override(language or settings.LANGUAGE_CODE),
        activate(scope),
        acting_as(ActorContext(user_id=user.pk, username=user.get_username(), role=scope.primary_role or "")),
    ):
        job = Job.objects.filter(pk=job_id, tenant_id=tenant_id).first()
        if job is None or job.done:
            return  # foreign, vanished or already finished: running twice is a no-op
        Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING)
        handler = HANDLERS[job.kind]
        try:
            plan = handler.prepare(job, lambda p, m="": _set_progress(job.pk, p, m))
            with transaction.atomic():
                # Re-check under a row lock: a second delivery of the same job waits here and
                # then finds it done.
                locked = Job.objects.select_for_update().get(pk=job.pk)
                if locked.done:
                    return
                result = handler.apply(locked, plan)
                Job.objects.filter(pk=job.pk).update(
                    status=Job.Status.SUCCEEDED,
                    progress=100,
                    message="",
                    result=result or {},
                    finished_at=timezone.now(),
                )
        except JobRejected as exc:
            # Every row was checked: the bar is full even though nothing was applied.
            Job.objects.filter(pk=job.pk).update(
                status=Job.Status.FAILED,
                progress=100,
                result=exc.result,
                message=str(exc)[:500],
                finished_at=timezone.now(),
            )
        except Exception as exc:  # recorded on the job; the worker moves on
            log.exception("job %s failed", job.pk)
            Job.objects.filter(pk=job.pk).update(
                status=Job.Status.FAILED, message=str(exc)[:500], finished_at=timezone.now()
            )


class JobRejected(Exception):
    """The input was refused as a whole (e.g. an import with bad rows); ``result`` says why."""

    def __init__(self, message: str, result: dict):
        super().__init__(message)
        self.result = result
