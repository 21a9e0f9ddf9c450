"""A real Celery worker, started here, takes a job from Redis and writes to PostgreSQL."""

import io
import time

import pytest
from openpyxl import Workbook

from compliance.jobs.models import Job
from tenants import people_io, roles
from tenants.models import Person
from tenants.scope import activate, dangerously_platform_scope
from tenants.selectors import scope_for_user

from ..factories import resident_id
from .workers import BROKER, Worker, broker, flush_broker


@pytest.fixture
def worker(tmp_path):
    flush_broker()
    worker = Worker(tmp_path, "worker").start()
    yield worker.process, worker.log_path
    worker.stop()
    flush_broker()


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
def test_import_job_runs_on_a_real_worker(world, worker, settings, tmp_path):
    process, log_path = worker
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"  # the worker's KUANGAN_VAR_DIR/private
    user = world.a.users[roles.SAFETY_MANAGER]
    scope = scope_for_user(user)
    # Send through Redis instead of the in-process eager path the rest of the suite uses.
    with broker(BROKER), activate(scope):
        job = people_io.people_import_start(scope=scope, user=user, org_unit=world.a.team, upload=_xlsx())
    deadline = time.monotonic() + 90
    with dangerously_platform_scope():
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.done or process.poll() is not None:
                break
            time.sleep(0.5)
        worker_log = log_path.read_text()
        assert job.status == Job.Status.SUCCEEDED, f"{job.status} {job.message}\n{worker_log[-3000:]}"
        assert job.result["imported"] == 3
        assert job.dispatched_at is not None and job.attempts == 1
        assert Person.objects.filter(employee_no__startswith="W-", tenant=world.a.tenant).count() == 3
    assert "run_job" in worker_log and "succeeded" in worker_log
