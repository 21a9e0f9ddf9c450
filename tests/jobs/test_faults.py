"""Faults: the broker down, a worker killed mid-job. Pages and the API keep working, a job waits as
pending and runs once the broker is back, and a killed worker leaves nothing half-applied and the
job completes exactly once.

The tests marked ``postgres`` and ``redis`` use a real Redis and real worker processes on the
PostgreSQL test database; the others check the same rules in-process on any database.
"""

from __future__ import annotations

import io
import itertools
import os
import signal
import socket
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test import TestCase
from django.utils import timezone
from openpyxl import Workbook

from compliance.audit.models import AuditEvent
from compliance.audit.services import audit_verify
from compliance.jobs.models import Job
from compliance.jobs.services import job_run, job_start, job_sweep
from compliance.jobs.tasks import sweep_jobs
from tenants import roles
from tenants.models import Person
from tenants.scope import activate, dangerously_platform_scope
from tenants.selectors import scope_for_user

from ..conftest import login
from ..factories import resident_id
from . import slow_handlers
from .workers import BROKER, Worker, broker, broker_queue, flush_broker, unused_port, wait_for

WAITING = "正在等待后台程序开始处理此任务。"  # "Waiting for the background worker to start this job."
UNREACHABLE = "暂时无法连接后台程序"  # "The background worker cannot be reached; …"


_SEQ = itertools.count(100, 10)  # resident IDs of the world fixture's people are below 100


def sheet(prefix: str, rows: int = 3) -> bytes:
    """Three new people; each sheet's resident IDs and employee numbers are its own."""
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号", "工号", "岗位类别"])
    seq = next(_SEQ)
    for n in range(rows):
        ws.append([f"{prefix}{n}", resident_id(seq=seq + n), f"{prefix}-{n}", "其他从业人员"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(name: str, content: bytes) -> io.BytesIO:
    file = io.BytesIO(content)
    file.name = name
    return file


def people(prefix: str) -> int:
    with dangerously_platform_scope():
        return Person.objects.filter(employee_no__startswith=f"{prefix}-").count()


def job(pk) -> Job:
    with dangerously_platform_scope():
        return Job.objects.get(pk=pk)


def job_id(response) -> str:
    if response.status_code == 302:
        return response["Location"].rstrip("/").split("/")[-1]
    return response.json()["id"]


def backdate(pk, **fields) -> None:
    """Let time pass for one job: each field set that many seconds into the past."""
    now = timezone.now()
    with dangerously_platform_scope():
        Job.objects.filter(pk=pk).update(**{f: now - timedelta(seconds=s) for f, s in fields.items()})


def start(world, prefix: str, *, kind: str = "people_import", params: dict | None = None) -> Job:
    user = world.a.users[roles.SAFETY_MANAGER]
    scope = scope_for_user(user)
    with activate(scope):
        return job_start(
            scope=scope,
            user=user,
            kind=kind,
            org_unit=world.a.team,
            params={"filename": f"{prefix}.xlsx", **(params or {})},
            input_bytes=sheet(prefix),
            input_suffix=".xlsx",
        )


# --- broker down, in-process -----------------------------------------------------------------------
@pytest.mark.django_db
def test_with_nothing_listening_an_import_answers_at_once_and_waits_as_pending(world):
    manager = login(world.a.users[roles.SAFETY_MANAGER])
    with broker(f"redis://127.0.0.1:{unused_port()}/0"):
        with TestCase.captureOnCommitCallbacks() as after_commit:
            response = manager.post(
                "/people/import/", {"org_unit": str(world.a.team.pk), "file": upload("d.xlsx", sheet("D"))}
            )
        # Only the dispatch is timed (it runs after the commit): reading the upload and rendering
        # are the same with or without a broker, and slow on a loaded test machine.
        began = time.monotonic()
        for callback in after_commit:
            callback()
        seconds = time.monotonic() - began
    assert response.status_code == 302 and seconds < 1.0, seconds
    pending = job(job_id(response))
    assert pending.status == Job.Status.PENDING and pending.dispatched_at is None
    assert UNREACHABLE in pending.message
    page = manager.get(f"/jobs/{pending.pk}/").content.decode()
    assert WAITING in page and UNREACHABLE in page

    # The broker is back (here: tasks run in-process). A fresh job is left alone; one pending
    # past the grace period is handed over, runs, and a second sweep finds nothing to do.
    assert job_sweep() == {"dispatched": 0, "failed": 0, "unreachable": 0}
    backdate(pending.pk, created_at=60)
    with broker(f"redis://127.0.0.1:{unused_port()}/0"):  # still down: the sweep changes nothing
        assert sweep_jobs() == {"dispatched": 0, "failed": 0, "unreachable": 1}
    assert job(pending.pk).status == Job.Status.PENDING and UNREACHABLE in job(pending.pk).message
    assert sweep_jobs() == {"dispatched": 1, "failed": 0, "unreachable": 0}
    done = job(pending.pk)
    assert done.status == Job.Status.SUCCEEDED and done.message == "" and done.dispatched_at
    assert people("D") == 3
    assert job_sweep()["dispatched"] == 0 and people("D") == 3


@pytest.mark.django_db(transaction=True)
def test_a_broker_that_accepts_and_never_answers_costs_a_request_a_bounded_wait(world):
    from django.conf import settings

    manager = login(world.a.users[roles.SAFETY_MANAGER])
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(16)  # connections complete in the kernel; nothing ever answers
        with broker(f"redis://127.0.0.1:{hung.getsockname()[1]}/0"):
            began = time.monotonic()
            response = manager.post(
                "/api/v1/people/import/",
                {"org_unit": str(world.a.team.pk), "file": upload("h.xlsx", sheet("H"))},
            )
            seconds = time.monotonic() - began
    limit = settings.CELERY_BROKER_TRANSPORT_OPTIONS["socket_timeout"] + 1.5
    assert response.status_code == 202 and seconds < limit, seconds
    assert response.json()["status"] == "pending"


# --- the sweeper and the job's own guards, in-process ------------------------------------------------
@pytest.mark.django_db
def test_sweeper_hands_over_lost_and_stuck_jobs_and_only_those(world, settings):
    with TestCase.captureOnCommitCallbacks(execute=False):  # as if the broker had lost them all
        fresh, lost, queued, stuck, started_recently, hopeless = (
            start(world, p) for p in ("FR", "LO", "QU", "ST", "SR", "HO")
        )
    with dangerously_platform_scope():
        Job.objects.filter(pk=queued.pk).update(dispatched_at=timezone.now())
        Job.objects.filter(pk__in=[stuck.pk, started_recently.pk, hopeless.pk]).update(
            status=Job.Status.RUNNING, dispatched_at=timezone.now(), started_at=timezone.now(), attempts=1
        )
        Job.objects.filter(pk=hopeless.pk).update(attempts=settings.JOB_MAX_ATTEMPTS)
    backdate(lost.pk, created_at=60)
    backdate(
        stuck.pk,
        started_at=settings.JOB_RUNNING_TIMEOUT + 60,
        dispatched_at=settings.JOB_RUNNING_TIMEOUT + 60,
    )
    backdate(
        hopeless.pk,
        started_at=settings.JOB_RUNNING_TIMEOUT + 60,
        dispatched_at=settings.JOB_RUNNING_TIMEOUT + 60,
    )

    assert job_sweep() == {"dispatched": 2, "failed": 1, "unreachable": 0}
    assert job(lost.pk).status == job(stuck.pk).status == Job.Status.SUCCEEDED
    assert people("LO") == people("ST") == 3
    assert job(stuck.pk).attempts == 2
    assert job(fresh.pk).status == job(queued.pk).status == Job.Status.PENDING
    assert job(started_recently.pk).status == Job.Status.RUNNING
    gave_up = job(hopeless.pk)
    assert gave_up.status == Job.Status.FAILED and "3" in gave_up.message and people("HO") == 0

    # A queued message that never arrived (Redis restarted without persistence) is sent again.
    backdate(queued.pk, dispatched_at=settings.JOB_REDISPATCH_AFTER + 60)
    assert job_sweep() == {"dispatched": 1, "failed": 0, "unreachable": 0}
    assert people("QU") == 3
    assert job_sweep() == {"dispatched": 0, "failed": 0, "unreachable": 0}


@pytest.mark.django_db
def test_a_late_duplicate_never_reopens_or_repeats_a_finished_job(world):
    with TestCase.captureOnCommitCallbacks(execute=True):
        finished = start(world, "DU")
    assert job(finished.pk).status == Job.Status.SUCCEEDED
    with dangerously_platform_scope():
        events = AuditEvent.objects.filter(tenant=world.a.tenant).count()
    job_run(str(finished.pk), str(finished.tenant_id), finished.created_by_id)
    again = job(finished.pk)
    assert again.status == Job.Status.SUCCEEDED and again.attempts == 1 and again.result["imported"] == 3
    with dangerously_platform_scope():
        assert AuditEvent.objects.filter(tenant=world.a.tenant).count() == events
    assert people("DU") == 3


@pytest.mark.django_db
def test_a_pending_job_page_says_it_waits_for_the_worker(world):
    with TestCase.captureOnCommitCallbacks(execute=False):
        pending = start(world, "PE")
    html = login(world.a.users[roles.SAFETY_MANAGER]).get(f"/jobs/{pending.pk}/").content.decode()
    assert WAITING in html and 'data-status="pending"' in html


# --- with Redis and real workers ---------------------------------------------------------------------
def uncommitted_writes(table: str) -> int:
    """How many other sessions hold an open transaction that has written to ``table``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE c.relname = %s AND l.mode = 'RowExclusiveLock' AND l.pid <> pg_backend_pid()",
            [table],
        )
        return cursor.fetchone()[0]


@pytest.fixture
def workers(tmp_path):
    flush_broker()
    started: list[Worker] = []

    def make(name: str, **kwargs) -> Worker:
        worker = Worker(tmp_path, name, **kwargs).start()
        started.append(worker)
        return worker

    yield make
    for worker in started:
        worker.stop()
    flush_broker()


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_with_redis_down_pages_and_api_work_and_the_job_runs_once_redis_is_back(world, workers):
    manager = login(world.a.users[roles.SAFETY_MANAGER])
    form = {"org_unit": str(world.a.team.pk)}
    with broker(f"redis://127.0.0.1:{unused_port()}/0"):
        began = time.monotonic()
        page = manager.post("/people/import/", {**form, "file": upload("p.xlsx", sheet("RP"))})
        page_seconds = time.monotonic() - began
        began = time.monotonic()
        api = manager.post("/api/v1/people/import/", {**form, "file": upload("a.xlsx", sheet("RA"))})
        api_seconds = time.monotonic() - began
        assert manager.get("/people/").status_code == 200
        assert manager.get("/api/v1/people/").status_code == 200
        assert WAITING in manager.get(f"/jobs/{job_id(page)}/").content.decode()
    print(f"\nbroker down: import page answered in {page_seconds:.3f}s, API in {api_seconds:.3f}s")
    assert page.status_code == 302 and page_seconds < 1.0
    assert api.status_code == 202 and api.json()["status"] == "pending" and api_seconds < 1.0
    ids = [job_id(page), job_id(api)]
    for pk in ids:
        assert job(pk).status == Job.Status.PENDING and job(pk).dispatched_at is None

    worker = workers("back")
    with broker(BROKER):
        assert job_sweep()["dispatched"] == 0  # within the grace period: left alone
        for pk in ids:
            backdate(pk, created_at=60)
        began = time.monotonic()
        assert sweep_jobs()["dispatched"] == 2
        wait_for(lambda: all(job(pk).done for pk in ids), timeout=90, worker=worker)
        print(f"broker back: both jobs done {time.monotonic() - began:.1f}s after the sweep")
        assert job_sweep() == {"dispatched": 0, "failed": 0, "unreachable": 0}  # safe to run again
    for pk in ids:
        assert job(pk).status == Job.Status.SUCCEEDED, worker.log[-3000:]
        assert job(pk).message == "" and job(pk).attempts == 1
    assert people("RP") == people("RA") == 3


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_inside_apply_leaves_nothing_and_the_job_completes_exactly_once(
    world, workers, tmp_path, settings
):
    visibility = 3  # seconds until Redis hands an unacknowledged message to another worker
    env = {"CELERY_VISIBILITY_TIMEOUT": str(visibility)}
    include = ["tests.jobs.slow_handlers"]
    marker = tmp_path / "inside-apply"
    first = workers("first", env=env, include=include)
    with dangerously_platform_scope():
        events = AuditEvent.objects.filter(tenant=world.a.tenant).count()

    with broker(BROKER):
        slow = start(world, "KL", kind=slow_handlers.KIND, params={"marker": str(marker)})
        wait_for(marker.exists, timeout=60, worker=first)
        inside = time.monotonic()
        # Inside apply: the rows and audit events are written (the worker's transaction holds
        # the write locks of those tables) but not committed, so nobody else sees them.
        assert uncommitted_writes("tenants_person") and uncommitted_writes("audit_auditevent")
        assert people("KL") == 0
        first.kill()
        wait_for(lambda: not uncommitted_writes("tenants_person"), timeout=10)  # rolled back
        print(f"\nworker killed {time.monotonic() - inside:.2f}s into the apply step")

        with dangerously_platform_scope():
            assert AuditEvent.objects.filter(tenant=world.a.tenant).count() == events
        assert people("KL") == 0
        killed = job(slow.pk)
        assert killed.status == Job.Status.RUNNING and killed.attempts == 1
        assert broker_queue() == (0, 1)  # delivered, never acknowledged (acks are late)

        # Both ways back: the sweeper sends the stuck job again, and Redis redelivers the
        # unacknowledged message to the next worker. The job must still run only once.
        settings.JOB_RUNNING_TIMEOUT = 0
        assert job_sweep()["dispatched"] == 1
        time.sleep(max(0.0, visibility + 1 - (time.monotonic() - inside)))
        began = time.monotonic()
        second = workers("second", env=env, include=include)
        wait_for(lambda: job(slow.pk).done, timeout=90, worker=second)
        wait_for(lambda: broker_queue() == (0, 0) and second.received() == 2, timeout=30, worker=second)
        print(f"restarted worker completed the job in {time.monotonic() - began:.1f}s")

    done = job(slow.pk)
    assert done.status == Job.Status.SUCCEEDED, second.log[-3000:]
    assert done.attempts == 2 and done.result["imported"] == 3
    assert people("KL") == 3
    with dangerously_platform_scope():
        ids = [
            str(pk)
            for pk in Person.objects.filter(employee_no__startswith="KL-").values_list("pk", flat=True)
        ]
        assert AuditEvent.objects.filter(action="create", object_id__in=ids).count() == 3
        assert AuditEvent.objects.filter(action="import", after__job=str(slow.pk)).count() == 1
        assert AuditEvent.objects.filter(tenant=world.a.tenant).count() == events + 4
        assert audit_verify().intact


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_pool_process_killed_inside_apply_is_replaced_and_the_job_redelivered(world, workers, tmp_path):
    """The prefork pool (the production default): the worker's parent sees its child die and,
    with reject_on_worker_lost, puts the unacknowledged message back at once."""
    marker = tmp_path / "inside-apply"
    worker = workers("prefork", pool="prefork", include=["tests.jobs.slow_handlers"])
    with broker(BROKER):
        slow = start(world, "PK", kind=slow_handlers.KIND, params={"marker": str(marker)})
        wait_for(marker.exists, timeout=60, worker=worker)
        assert uncommitted_writes("tenants_person") and people("PK") == 0
        began = time.monotonic()
        os.kill(int(marker.read_text()), signal.SIGKILL)  # the pool process running the job
        wait_for(lambda: job(slow.pk).done, timeout=90, worker=worker)
        print(f"\npool process killed; the job was redelivered and done in {time.monotonic() - began:.1f}s")
    done = job(slow.pk)
    assert done.status == Job.Status.SUCCEEDED and done.attempts == 2, worker.log[-3000:]
    assert people("PK") == 3
    with dangerously_platform_scope():
        assert AuditEvent.objects.filter(action="import", after__job=str(slow.pk)).count() == 1
    assert "WorkerLostError" in worker.log


@pytest.mark.django_db
def test_the_sweeper_is_scheduled_in_django_celery_beat():
    """Beat's database scheduler installs CELERY_BEAT_SCHEDULE's entries when it starts, each as
    below (the scheduler itself closes database connections, which a test transaction cannot
    survive)."""
    from django.conf import settings
    from django_celery_beat.models import PeriodicTask
    from django_celery_beat.schedulers import DatabaseScheduler

    from compliance.celery import app

    assert "jobs-sweep" in app.conf.beat_schedule
    DatabaseScheduler.Entry.from_entry("jobs-sweep", app=app, **app.conf.beat_schedule["jobs-sweep"])
    task = PeriodicTask.objects.get(name="jobs-sweep")
    assert task.task == "compliance.jobs.tasks.sweep_jobs" and task.enabled
    assert task.interval.every == settings.JOB_SWEEP_INTERVAL and task.interval.period == "seconds"
    assert task.expire_seconds == settings.JOB_SWEEP_INTERVAL
