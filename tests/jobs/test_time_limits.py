"""A job that runs past its time limit is failed with a message saying so, and changes nothing."""

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings as conf

from compliance.audit.models import AuditEvent
from compliance.jobs import services, tasks
from compliance.jobs.models import Job
from tenants import people_io, roles
from tenants.models import Person
from tenants.scope import dangerously_platform_scope

from .test_people_import import _imported, good_row, manager, upload, xlsx  # noqa: F401

pytestmark = pytest.mark.django_db


def test_the_job_task_has_a_soft_and_a_hard_time_limit_below_the_sweepers_timeouts():
    assert tasks.run_job.soft_time_limit == conf.JOB_SOFT_TIME_LIMIT
    assert conf.JOB_SOFT_TIME_LIMIT < tasks.run_job.time_limit == conf.JOB_TIME_LIMIT
    assert conf.JOB_TIME_LIMIT < conf.JOB_RUNNING_TIMEOUT
    assert conf.JOB_TIME_LIMIT < conf.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]


@pytest.mark.parametrize("step", ["prepare", "apply"])
def test_a_job_stopped_at_its_time_limit_is_failed_and_changes_nothing(world, manager, monkeypatch, step):  # noqa: F811
    real = services.HANDLERS[people_io.IMPORT_KIND]

    def prepare(job, progress):
        if step == "prepare":
            raise SoftTimeLimitExceeded
        return real.prepare(job, progress)

    def apply(job, plan):
        real.apply(job, plan)  # every row written and audited, then the limit strikes
        raise SoftTimeLimitExceeded

    monkeypatch.setitem(
        services.HANDLERS, people_io.IMPORT_KIND, services.JobHandler(prepare=prepare, apply=apply)
    )
    events = AuditEvent.objects.count
    with dangerously_platform_scope():
        before = events()
    job = upload(manager, world.a.mine, xlsx([good_row(1), good_row(2)]))
    assert job.status == Job.Status.FAILED and job.finished_at is not None
    assert job.message == f"任务运行超过 {conf.JOB_SOFT_TIME_LIMIT} 秒的时限，已被停止；没有做任何更改。"
    assert _imported() == 0
    with dangerously_platform_scope():
        assert events() == before and not Person.objects.filter(employee_no__startswith="IMP-").exists()
    # A late duplicate delivery of the message finds the job done and does nothing.
    services.job_run(str(job.pk), str(job.tenant_id), world.a.users[roles.SAFETY_MANAGER].pk)
    with dangerously_platform_scope():
        assert Job.objects.get(pk=job.pk).status == Job.Status.FAILED
