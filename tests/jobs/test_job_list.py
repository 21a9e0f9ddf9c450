"""The jobs page: my imports and reports with their status, problems and downloads; everyone's in
my scope on request, never another tenant's; page numbers; constant queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance.jobs.models import Job
from tenants import roles
from tenants.scope import dangerously_platform_scope

from ..conftest import login

pytestmark = pytest.mark.django_db


def _job(tw, role, *, name, status=Job.Status.SUCCEEDED, result=None, kind="people_import", unit=None):
    with dangerously_platform_scope():
        job = Job.objects.create(
            tenant=tw.tenant,
            kind=kind,
            org_unit=unit or tw.team,
            created_by=tw.users[role],
            params={"filename": name},
        )
        Job.objects.filter(pk=job.pk).update(status=status, result=result or {}, finished_at=timezone.now())
    return job


def test_my_jobs_with_status_problems_and_download(world):
    manager = world.a.users[roles.SAFETY_MANAGER]
    _job(world.a, roles.SAFETY_MANAGER, name="人员名单.xlsx")
    _job(
        world.a,
        roles.SAFETY_MANAGER,
        name="错误名单.xlsx",
        status=Job.Status.FAILED,
        result={"errors": [{"row": 2, "column": "姓名", "message": "必填"}] * 3},
    )
    _job(
        world.a,
        roles.SAFETY_MANAGER,
        name="report.pdf",
        kind="grading_report",
        unit=world.a.mine,
        result={"output_file": "jobs/x-output.pdf", "output_name": "大河边煤矿自评报告.pdf"},
    )
    _job(world.a, roles.TENANT_ADMIN, name="别人的.xlsx")
    page = login(manager).get("/jobs/").content.decode()
    assert page.count('data-testid="job-row"') == 3
    assert "人员名单.xlsx" in page and "别人的.xlsx" not in page
    assert "3 problems" in page or "3 个问题" in page
    assert "大河边煤矿自评报告.pdf" in page and 'data-testid="job-row-output"' in page
    assert "Import of people" in page or "导入人员" in page or "人员导入" in page


def test_everyone_in_my_scope_never_another_tenant(world):
    _job(world.a, roles.TENANT_ADMIN, name="甲方的.xlsx")
    _job(world.b, roles.TENANT_ADMIN, name="乙方的.xlsx")
    page = login(world.a.users[roles.HQ_AUDITOR]).get("/jobs/?whose=all").content.decode()
    assert "甲方的.xlsx" in page and "乙方的.xlsx" not in page
    # A manager of one mine does not see a job of the other mine.
    _job(world.a, roles.TENANT_ADMIN, name="二矿的.xlsx", unit=world.a.other_mine)
    page = login(world.a.users[roles.SAFETY_MANAGER]).get("/jobs/?whose=all").content.decode()
    assert "二矿的.xlsx" not in page


def test_workers_and_regulators_have_no_jobs_page(world):
    assert login(world.a.users[roles.WORKER]).get("/jobs/").status_code == 403
    assert login(world.regulator_in).get("/jobs/").status_code == 403


def test_page_numbers_and_constant_queries(world):
    manager = world.a.users[roles.SAFETY_MANAGER]
    client = login(manager)
    for i in range(2):
        _job(world.a, roles.SAFETY_MANAGER, name=f"f{i}.xlsx")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/jobs/").status_code == 200
    for i in range(2, 60):
        _job(world.a, roles.SAFETY_MANAGER, name=f"f{i}.xlsx")
    with CaptureQueriesContext(connection) as many:
        response = client.get("/jobs/")
    assert len(many.captured_queries) == len(few.captured_queries)
    assert response.context["page"].paginator.count == 60
    assert 'href="?page=2"' in response.content.decode()
