"""A job's uploaded file is stored outside the web root and comes back only through the download
view and endpoint, after the scope check: 404 for another tenant, 403 without the permission."""

from __future__ import annotations

import io
import posixpath

import pytest
from django.test import Client, TestCase
from openpyxl import Workbook

from compliance import storage
from compliance.audit.models import AuditEvent
from compliance.jobs.models import Job
from tenants import people_io, roles
from tenants.scope import dangerously_platform_scope

from ..conftest import login
from ..factories import resident_id

pytestmark = pytest.mark.django_db


def sheet() -> bytes:
    wb = Workbook()
    wb.active.append(["姓名", "身份证号", "工号", "岗位类别"])
    wb.active.append(["下载", resident_id(seq=851), "DL-1", "其他从业人员"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def uploaded(world):
    """Tenant A's safety manager imported 人员名单.xlsx; the job and the bytes sent."""
    content = sheet()
    file = io.BytesIO(content)
    file.name = "人员名单.xlsx"
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = login(world.a.users[roles.SAFETY_MANAGER]).post(
            "/people/import/", {"org_unit": str(world.a.mine.pk), "file": file}
        )
    assert response.status_code == 302
    with dangerously_platform_scope():
        job = Job.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])
    assert job.status == Job.Status.SUCCEEDED and job.input_file
    return job, content


def urls(job) -> list[str]:
    return [f"/jobs/{job.pk}/input/", f"/api/v1/jobs/{job.pk}/input/"]


def downloads(world) -> int:
    with dangerously_platform_scope():
        return AuditEvent.objects.filter(
            tenant=world.a.tenant, action="export", object_type="jobs.Job"
        ).count()


@pytest.mark.parametrize("role", [roles.TENANT_ADMIN, roles.SAFETY_MANAGER])
def test_permitted_roles_download_the_file_as_an_attachment_and_it_is_audited(world, uploaded, role):
    job, content = uploaded
    client = login(world.a.users[role])
    for url in urls(job):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"".join(response.streaming_content) == content
        assert response["Content-Type"] == people_io.XLSX
        assert response["Content-Disposition"].startswith("attachment;")
        assert "filename*=utf-8''%E4%BA%BA%E5%91%98%E5%90%8D%E5%8D%95.xlsx" in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response["Cache-Control"]
    assert downloads(world) == 2


def test_the_job_page_links_the_file_only_for_those_who_may_download_it(world, uploaded):
    job, _content = uploaded
    link = f'href="/jobs/{job.pk}/input/"'
    assert link in login(world.a.users[roles.TENANT_ADMIN]).get(f"/jobs/{job.pk}/").content.decode()
    assert link not in login(world.a.users[roles.HQ_AUDITOR]).get(f"/jobs/{job.pk}/").content.decode()


def test_seeing_the_job_is_not_enough_403(world, uploaded):
    """The HQ auditor sees the job but may not reveal resident IDs, which the sheet holds in full."""
    job, _content = uploaded
    client = login(world.a.users[roles.HQ_AUDITOR])
    assert client.get(f"/api/v1/jobs/{job.pk}/").status_code == 200
    assert [client.get(url).status_code for url in urls(job)] == [403, 403]
    assert downloads(world) == 0


@pytest.mark.parametrize("who", [roles.TEAM_LEADER, roles.WORKER, "regulator"])
def test_roles_that_do_not_see_jobs_get_403_on_the_page_and_404_in_the_api(world, uploaded, who):
    """The page refuses by permission; the API answers as it does for the job itself (which such
    a caller cannot see: GET /api/v1/jobs/{id}/ is 404 too). A regulator's jurisdiction covers
    the mine, yet jobs are not its business."""
    job, content = uploaded
    client = login(world.regulator_in if who == "regulator" else world.a.users[who])
    assert client.get(f"/api/v1/jobs/{job.pk}/").status_code == 404
    responses = [client.get(url) for url in urls(job)]
    assert [r.status_code for r in responses] == [403, 404]
    assert all(content not in r.content for r in responses)
    assert downloads(world) == 0


@pytest.mark.parametrize("role", [roles.TENANT_ADMIN, roles.SAFETY_MANAGER])
def test_another_tenant_gets_404(world, uploaded, role):
    job, content = uploaded
    client = login(world.b.users[role])
    for url in urls(job):
        response = client.get(url)
        assert response.status_code == 404 and content not in response.content, url
    assert downloads(world) == 0


def test_anonymous_gets_nothing(uploaded):
    job, content = uploaded
    page, api = (Client().get(url) for url in urls(job))
    assert page.status_code == 302 and "/accounts/login/" in page["Location"]
    assert api.status_code in (401, 403) and content not in api.content


def test_a_job_without_a_file_is_404(world):
    from compliance.jobs.services import job_start

    with dangerously_platform_scope() as platform:
        job = job_start(
            scope=platform,
            user=world.a.users[roles.TENANT_ADMIN],
            kind=people_io.IMPORT_KIND,
            org_unit=world.a.mine,
        )
    client = login(world.a.users[roles.TENANT_ADMIN])
    assert [client.get(url).status_code for url in urls(job)] == [404, 404]


def test_no_other_url_serves_the_stored_file(world, uploaded, settings):
    """Not as a static file, not by its path under the private root, not by any guess."""
    job, content = uploaded
    assert storage.read_bytes(job.input_file) == content  # it is there, in the private storage …
    name = posixpath.basename(job.input_file)
    guesses = [
        f"/static/{job.input_file}",
        f"/static/{name}",
        f"/static/private/{job.input_file}",
        f"/static/../private/{job.input_file}",
        f"/static/%2e%2e/private/{job.input_file}",
        f"/static/..%2fprivate%2f{job.input_file}",
        f"/private/{job.input_file}",
        f"/media/{job.input_file}",
        f"/var/private/{job.input_file}",
        f"/{job.input_file}",
        f"/jobs/{name}",
        f"/jobs/{job.pk}/{name}",
    ]
    for client in (Client(), login(world.a.users[roles.TENANT_ADMIN])):
        for url in guesses:
            response = client.get(url)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            assert response.status_code == 404 and content not in body, url
