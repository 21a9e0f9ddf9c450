"""Starting, running and reporting background jobs.

A job is created in the request's transaction and dispatched on commit. The task re-enters the
scope of the user who started it, so it sees exactly what they saw. Handlers must be idempotent
(a retried job whose work committed is a no-op) and do their writes in one transaction.
"""

from __future__ import annotations

import logging
import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from compliance import storage
from compliance.audit.context import ActorContext, acting_as
from compliance.audit.services import audit_record
from compliance.files import content_type_for
from tenants.scope import activate, dangerously_platform_scope
from tenants.selectors import scope_for_user

from .models import Job

log = logging.getLogger(__name__)

Progress = Callable[[int, str], None]


@dataclass(frozen=True)
class JobHandler:
    """``prepare`` reads and validates (no writes; may report progress); ``apply`` writes.

    ``apply`` runs in one transaction together with marking the job done, so a crash or a
    retry never half-applies it. ``input_perm`` is the permission (at the job's unit) needed to
    download the uploaded input file; None: nobody may. ``output_perm`` likewise for the file
    the job produced (e.g. a PDF report, saved by ``job_output_save`` in ``apply``).
    """

    prepare: Callable[[Job, Progress], object]
    apply: Callable[[Job, object], dict]
    input_perm: str | None = None
    output_perm: str | None = None
    label: object = ""  # what the jobs page calls this kind ("导入人员"); the kind when empty


HANDLERS: dict[str, JobHandler] = {}


def job_handler(
    kind: str,
    *,
    prepare,
    apply,
    input_perm: str | None = None,
    output_perm: str | None = None,
    label: object = "",
) -> None:
    HANDLERS[kind] = JobHandler(
        prepare=prepare, apply=apply, input_perm=input_perm, output_perm=output_perm, label=label
    )


def job_kind_label(kind: str) -> str:
    handler = HANDLERS.get(kind)
    return str(handler.label) if handler is not None and handler.label else kind


def job_list(*, scope, user=None, kind: str = "", status: str = ""):
    """Jobs in the scope, newest first, with their unit and who started them (one query);
    ``user``: only the jobs that login started."""
    qs = scope.filter_queryset(Job.objects.select_related("org_unit", "created_by", "created_by__person"))
    if user is not None:
        qs = qs.filter(created_by=user)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def job_input_bytes(job: Job) -> bytes:
    """The file the job was started with, read from the private storage (a handler's ``prepare``
    may run on another machine than the request that stored it)."""
    content = storage.read_bytes(job.input_file) if job.input_file else None
    if content is None:
        raise FileNotFoundError(f"the input file of job {job.pk} is gone")
    return content


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
        job.input_file = storage.save(f"jobs/{job.id}{input_suffix}", input_bytes)
    job.save()
    transaction.on_commit(lambda: _dispatch(job))
    return job


def _dispatch(job: Job) -> bool:
    """Hand the job to the broker; False if it cannot be reached. Never raises for a broker fault:
    the request that started the job goes on, the job stays pending with a note, and
    ``job_sweep`` hands it over once the broker is back. Publishing gives up quickly
    (``CELERY_TASK_PUBLISH_RETRY_POLICY`` and the socket timeouts in settings)."""
    from .tasks import run_job

    try:
        run_job.apply_async((str(job.id), str(job.tenant_id), job.created_by_id))
    except Exception as exc:
        if run_job.app.conf.task_always_eager:
            raise  # no broker involved: the job itself failed in-process, a bug to see
        log.warning("job %s left pending for the sweeper: broker unreachable (%r)", job.pk, exc)
        with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
            note = _("The background worker cannot be reached; the job will start when it is back.")
        # Bookkeeping of this one job, by primary key: safe in any scope.
        with dangerously_platform_scope():
            Job.dangerously_unscoped.filter(pk=job.pk, status=Job.Status.PENDING).update(message=note)
        return False
    with dangerously_platform_scope():
        Job.dangerously_unscoped.filter(pk=job.pk).update(
            dispatched_at=timezone.now(),
            # A waiting job's only message is the note above: handed over, it no longer applies.
            message=Case(When(status=Job.Status.PENDING, then=Value("")), default=F("message")),
        )
    return True


def _set_progress(job_id, progress: int, message: str = "") -> None:
    # Progress is written outside the handler's transaction so other requests can see it; only
    # while running, so a late duplicate delivery never touches a finished job.
    Job.dangerously_unscoped.filter(pk=job_id, status=Job.Status.RUNNING).update(
        progress=progress, message=message[:500]
    )


def _finish_unless_done(job_id, **fields) -> None:
    """Record a failure, unless another delivery of the job finished it meanwhile (the update
    re-checks the status after any lock it waited for)."""
    Job.objects.filter(pk=job_id, status__in=Job.ACTIVE).update(
        status=Job.Status.FAILED, finished_at=timezone.now(), **fields
    )


def job_run(job_id: str, tenant_id: str, actor_id: int | None) -> None:
    user = get_user_model().objects.filter(pk=actor_id).first()
    if user is None:
        return
    scope = scope_for_user(user)
    with (
        activate(scope),
        acting_as(ActorContext(user_id=user.pk, username=user.get_username(), role=scope.primary_role or "")),
    ):
        job = Job.objects.filter(pk=job_id, tenant_id=tenant_id).first()
        if job is None or job.done:
            return  # foreign, vanished or already finished: running twice is a no-op
        # The job speaks the language of whoever started it (its messages are stored as text).
        with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
            _run(job)


def _run(job: Job) -> None:
    # Claim the job: only an unfinished job with attempts left is (re)started.
    claimed = Job.objects.filter(
        pk=job.pk, status__in=Job.ACTIVE, attempts__lt=settings.JOB_MAX_ATTEMPTS
    ).update(status=Job.Status.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1)
    if not claimed:
        _give_up(job)  # finished meanwhile (then a no-op), or it never got through its attempts
        return
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
        _finish_unless_done(job.pk, progress=100, result=exc.result, message=str(exc)[:500])
    except SoftTimeLimitExceeded:
        # Raised in prepare (no writes) or in apply, whose transaction it has rolled back.
        log.warning("job %s stopped at its time limit", job.pk)
        _finish_unless_done(
            job.pk,
            message=_(
                "The job ran longer than the limit of %(n)d seconds and was stopped; nothing was changed."
            )
            % {"n": settings.JOB_SOFT_TIME_LIMIT},
        )
    except Exception as exc:  # recorded on the job; the worker moves on
        log.exception("job %s failed", job.pk)
        _finish_unless_done(job.pk, message=str(exc)[:500])


def _give_up(job: Job) -> None:
    _finish_unless_done(
        job.pk,
        message=_("The job was started %(n)d times and never finished; it has been stopped.")
        % {"n": settings.JOB_MAX_ATTEMPTS},
    )


class JobRejected(Exception):
    """The input was refused as a whole (e.g. an import with bad rows); ``result`` says why."""

    def __init__(self, message: str, result: dict):
        super().__init__(message)
        self.result = result


SWEEP_BATCH = 500  # jobs handed over per sweep: a long outage drains over a few sweeps


def job_sweep(*, now=None) -> dict[str, int]:
    """Hand over again every job that the broker or a worker lost. Run by beat every
    ``JOB_SWEEP_INTERVAL`` seconds; safe to run at any time and twice (``job_run`` runs a job's
    work at most once). A job is due when it is

    * pending and was never handed over (the broker was down) ``JOB_PENDING_GRACE`` seconds after
      it was created;
    * pending and handed over ``JOB_REDISPATCH_AFTER`` seconds ago without being started (the
      message was lost, e.g. Redis restarted without persistence);
    * running for ``JOB_RUNNING_TIMEOUT`` seconds and not handed over since (its worker died).
      One that has used up ``JOB_MAX_ATTEMPTS`` is marked failed instead.
    """
    now = now or timezone.now()
    grace = now - timedelta(seconds=settings.JOB_PENDING_GRACE)
    lost = now - timedelta(seconds=settings.JOB_REDISPATCH_AFTER)
    stuck = now - timedelta(seconds=settings.JOB_RUNNING_TIMEOUT)
    counts = {"dispatched": 0, "failed": 0, "unreachable": 0}
    # Every tenant's jobs: the sweeper reads ids and states only, and each job re-enters the
    # scope of the user who started it when it runs (job_run).
    with dangerously_platform_scope():
        due = Job.objects.filter(
            Q(status=Job.Status.PENDING, dispatched_at__isnull=True, created_at__lt=grace)
            | Q(status=Job.Status.PENDING, dispatched_at__lt=lost)
            | (
                Q(status=Job.Status.RUNNING, started_at__lt=stuck)
                & (Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=stuck))
            )
        ).order_by("created_at")[:SWEEP_BATCH]
        for job in due:
            with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
                if job.status == Job.Status.RUNNING and job.attempts >= settings.JOB_MAX_ATTEMPTS:
                    _give_up(job)
                    counts["failed"] += 1
                elif _dispatch(job):
                    counts["dispatched"] += 1
                else:
                    counts["unreachable"] += 1
                    break  # the broker is down: the next sweep tries again
    if any(counts.values()):
        log.warning("job sweep: %s", counts)
    return counts


def job_input_allowed(*, scope, job: Job) -> bool:
    handler = HANDLERS.get(job.kind)
    perm = handler.input_perm if handler is not None else None
    return perm is not None and scope.has_perm(perm, job.org_unit.path, job.tenant_id)


def job_input_open(*, scope, job: Job) -> tuple[File, str, str]:
    """The uploaded input file of ``job`` (already fetched inside ``scope``), for download:
    (the stored file, open; file name; content type). Needs the kind's ``input_perm`` at the job's
    unit; an input may hold personal data, so each download is audited as an export."""
    if not job_input_allowed(scope=scope, job=job):
        raise PermissionDenied("job input")
    stored = storage.open_stored(job.input_file)
    if stored is None:
        raise Http404
    filename = job.params.get("filename") or posixpath.basename(job.input_file)
    audit_record(
        action="export",
        obj=job,
        object_repr=filename,
        after={"job": str(job.pk), "file": "input", "bytes": stored.size},
    )
    return stored, filename, content_type_for(job.input_file)


# --- output files --------------------------------------------------------------------------


def job_output_save(job: Job, content: bytes, *, suffix: str, filename: str) -> dict:
    """Store the file a job produced (called from ``apply``); merge the returned keys into the
    job's result. The name is the job's own, so a retried ``apply`` overwrites, never adds."""
    name = storage.save(f"jobs/{job.pk}-output{suffix}", content, overwrite=True)
    return {"output_file": name, "output_name": filename[:200], "output_bytes": len(content)}


def job_output_allowed(*, scope, job: Job) -> bool:
    handler = HANDLERS.get(job.kind)
    perm = handler.output_perm if handler is not None else None
    return (
        job.status == Job.Status.SUCCEEDED
        and bool((job.result or {}).get("output_file"))
        and perm is not None
        and scope.has_perm(perm, job.org_unit.path, job.tenant_id)
    )


def job_output_open(*, scope, job: Job) -> tuple[File, str, str]:
    """The file ``job`` (already fetched inside ``scope``) produced, for download: (the stored
    file, open; file name; content type). Needs the kind's ``output_perm`` at the job's unit;
    audited as an export."""
    if not job_output_allowed(scope=scope, job=job):
        if job.status == Job.Status.SUCCEEDED and (job.result or {}).get("output_file"):
            raise PermissionDenied("job output")
        raise Http404
    name = job.result["output_file"]
    stored = storage.open_stored(name)
    if stored is None:
        raise Http404
    filename = job.result.get("output_name") or posixpath.basename(name)
    audit_record(
        action="export",
        obj=job,
        object_repr=filename,
        after={"job": str(job.pk), "file": "output", "bytes": stored.size},
    )
    return stored, filename, content_type_for(name)
