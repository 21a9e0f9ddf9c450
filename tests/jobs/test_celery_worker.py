"""A real Celery worker, started here, takes a job from Redis and writes to PostgreSQL."""

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection
from openpyxl import Workbook

from compliance.jobs import services as job_services
from compliance.jobs.models import Job
from tenants import people_io, roles
from tenants.models import Person
from tenants.scope import activate, dangerously_platform_scope
from tenants.selectors import scope_for_user

from ..factories import resident_id

BROKER = "redis://127.0.0.1:6379/15"


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def worker(tmp_path):
    import redis

    redis.Redis.from_url(BROKER).flushdb()
    env = os.environ | {
        "DATABASE_URL": _database_url(),  # the test database, which this test commits to
        "CELERY_BROKER_URL": BROKER,
        "KUANGAN_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "compliance.settings",
    }
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "compliance",
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "info",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield process, tmp_path / "worker.log"
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def _xlsx() -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号", "工号", "岗位类别"])
    for n in range(3):
        ws.append([f"远程{n}", resident_id(seq=700 + n), f"W-{n}", "其他从业人员"])
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "remote.xlsx"
    out.size = len(out.getvalue())
    return out


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_import_job_runs_on_a_real_worker(world, worker, settings, tmp_path, monkeypatch):
    process, log_path = worker
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"  # the worker's KUANGAN_VAR_DIR/private
    producer = Celery("producer", broker=BROKER)
    # Send through Redis instead of the in-process eager path the rest of the suite uses.
    monkeypatch.setattr(
        job_services,
        "_dispatch",
        lambda job: producer.send_task(
            "compliance.jobs.tasks.run_job", args=[str(job.pk), str(job.tenant_id), job.created_by_id]
        ),
    )
    user = world.a.users[roles.SAFETY_MANAGER]
    scope = scope_for_user(user)
    with activate(scope):
        job = people_io.people_import_start(scope=scope, user=user, org_unit=world.a.team, upload=_xlsx())
    deadline = time.monotonic() + 90
    with dangerously_platform_scope():
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.done or process.poll() is not None:
                break
            time.sleep(0.5)
        worker_log = Path(log_path).read_text()
        assert job.status == Job.Status.SUCCEEDED, f"{job.status} {job.message}\n{worker_log[-3000:]}"
        assert job.result["imported"] == 3
        assert Person.objects.filter(employee_no__startswith="W-", tenant=world.a.tenant).count() == 3
    assert "run_job" in worker_log and "succeeded" in worker_log
