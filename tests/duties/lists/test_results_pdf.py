"""A mine's duty-assessment results as a PDF (DESIGN.md "Long work"): the results page's button
starts a background job at the mine and opens its progress page; the job renders the results in
Chinese with the mine's name and its figures; a regulator starts none (as the grading report:
read-only, and it reads no lists), another tenant's mine is 404, a GET starts nothing."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from compliance.duties import results_report
from compliance.duties import services_lists as svc
from compliance.duties.models import ListItem
from compliance.jobs.models import Job
from tenants import roles
from tenants.scope import activate, dangerously_platform_scope
from tenants.selectors import scope_for_user

from ...conftest import login
from .helpers import setup_worker_list

pytestmark = pytest.mark.django_db
needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")


@pytest.fixture
def assessed(world):
    """Tenant A's worker assessed this period by their team leader: 7 of 10 on each item (70%)."""
    _post, version, holder = setup_worker_list(world.a)
    with dangerously_platform_scope():
        items = list(ListItem.objects.filter(version=version).order_by("position"))
    leader = scope_for_user(world.a.users[roles.TEAM_LEADER])
    with activate(leader):
        svc.duty_assess(
            scope=leader,
            holder=holder,
            day=timezone.localdate(),
            scores=[{"item": str(i.pk), "score": 7, "comment": "班前会记录不全"} for i in items],
        )
    return world


def _url(mine) -> str:
    return reverse("duties:mine-results-pdf", args=[mine.pk])


def _start(user, mine):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return login(user).post(_url(mine), {"period": timezone.localdate().isoformat()})


def _jobs() -> int:
    with dangerously_platform_scope():
        return Job.objects.filter(kind=results_report.RESULTS_KIND).count()


def _text(content: bytes, tmp_path) -> str:
    path = tmp_path / "results.pdf"
    path.write_bytes(content)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return "".join(out.split())


@needs_poppler
def test_a_manager_starts_the_job_and_it_renders_the_mines_results(assessed, tmp_path):
    world = assessed
    manager = world.a.users[roles.SAFETY_MANAGER]
    page = login(manager).get(reverse("duties:assessment-list")).content.decode()
    assert f'action="{_url(world.a.mine)}"' in page and 'method="post"' in page

    response = _start(manager, world.a.mine)
    assert response.status_code == 302 and response["Location"].startswith("/jobs/")
    with dangerously_platform_scope():
        job = Job.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])
    assert job.kind == results_report.RESULTS_KIND
    assert job.tenant_id == world.a.tenant.pk and job.org_unit_id == world.a.mine.pk
    assert job.created_by_id == manager.pk
    assert job.params["period"] == timezone.localdate().replace(day=1).isoformat()

    # The job's work, run directly in the starter's scope (as the worker does).
    with activate(scope_for_user(manager)):
        content = results_report.results_prepare(job, lambda *args: None)
    assert content.startswith(b"%PDF-")
    text = _text(content, tmp_path)
    # The mine, the period's title, and the person's row: post, score (70%) and result.
    for words in (world.a.mine.name, "履职考核结果", world.a.worker_person.name, "采煤工70.0合格"):
        assert words in text, words

    # Run eagerly on commit: finished, and the file is offered on the job page.
    assert job.status == Job.Status.SUCCEEDED, job.message
    download = login(manager).get(f"/jobs/{job.pk}/output/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert world.a.mine.name in _text(b"".join(download.streaming_content), tmp_path)


def test_regulators_start_no_results_job(assessed):
    """As the grading report: a job is a row in the group's records and a regulator is read-only;
    it does not read lists or assessments either. Nor does it see the button."""
    world = assessed
    for user in (world.regulator_in, world.regulator_out):
        assert _start(user, world.a.mine).status_code == 403
        assert not results_report.can_start_results(scope_for_user(user), world.a.mine)
    assert _jobs() == 0


def test_another_tenants_mine_is_404_and_a_worker_is_refused(assessed):
    world = assessed
    for role in (roles.TENANT_ADMIN, roles.HQ_AUDITOR, roles.SAFETY_MANAGER):
        assert _start(world.b.users[role], world.a.mine).status_code == 404, role
    assert _start(world.a.users[roles.WORKER], world.a.mine).status_code == 403
    assert _jobs() == 0


def test_a_get_starts_nothing(assessed):
    world = assessed
    assert login(world.a.users[roles.SAFETY_MANAGER]).get(_url(world.a.mine)).status_code == 405
    assert _jobs() == 0


def test_a_job_that_lost_the_mine_is_rejected_not_crashed(assessed):
    world = assessed
    manager = world.a.users[roles.SAFETY_MANAGER]
    with dangerously_platform_scope() as platform:
        job = results_report.results_start(scope=platform, user=manager, mine=world.a.mine)
    # Run in a scope that no longer reaches the mine (a team leader's: its team only).
    with activate(scope_for_user(world.a.users[roles.TEAM_LEADER])):
        with pytest.raises(results_report.JobRejected):
            results_report.results_prepare(job, lambda *args: None)


# DutiesConfig.ready_lists() imports results_report: a Celery worker never loads the URLconf.
def test_a_worker_knows_the_results_job_without_loading_any_page():
    import os
    import sys

    from django.conf import settings

    code = (
        "import django; django.setup(); "
        "from compliance.jobs.services import HANDLERS; "
        f"assert {results_report.RESULTS_KIND!r} in HANDLERS, sorted(HANDLERS)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "compliance.settings"}
    result = subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True)
    assert result.returncode == 0, result.stderr.decode()[-500:]
