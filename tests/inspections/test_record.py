"""The printable record of an inspection and its spot exams (issue 13, "Honest documents"): a
background job started from the inspection page, whose PDF names who was drawn (name and post),
their scores against the pass mark, what followed a failure (suspended from post, the re-test and
its result), a conclusion and the sign-off block; read-only scopes start no job, another tenant
gets 404; the record reads a constant number of queries."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from compliance.inspections import record, services
from compliance.jobs.models import Job
from tenants import roles
from tenants.scope import dangerously_platform_scope

from ..conftest import login
from .test_inspections import add_person, as_role, make_bank, make_inspection, make_paper
from .test_inspections_suspension import _take

pytestmark = pytest.mark.django_db
needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")


@pytest.fixture
def inspected(world):
    """Tenant A's mine inspected: two people drawn, one passes, one fails and is suspended, then
    passes the re-test."""
    a = world.a
    make_bank(a)
    paper = make_paper(a, title="逢查必考卷")
    clearing = make_paper(a, title="下岗复训考试", spot=False, clears=True)
    inspection = make_inspection(a)
    passing, failing = a.people[1], a.people[2]
    with as_role(a) as scope:
        checks = services.pick_people(
            scope=scope, inspection=inspection, paper=paper, people=[passing, failing]
        )
    by_person = {c.person_id: c for c in checks}
    _take(paper, passing, right=True, spot_check=by_person[passing.pk])
    _take(paper, failing, right=False, spot_check=by_person[failing.pk])
    return world, inspection, passing, failing, clearing


def _text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "record.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return "".join(out.split())


@needs_poppler
def test_the_record_is_a_job_started_from_the_inspection_page(inspected, tmp_path):
    world, inspection, passing, failing, _clearing = inspected
    manager = world.a.users[roles.SAFETY_MANAGER]
    manager.first_name = "陈立新"
    manager.save(update_fields=["first_name"])
    client = login(manager)
    page = client.get(f"/training/inspections/{inspection.pk}/").content.decode()
    assert f'action="/training/inspections/{inspection.pk}/record/"' in page
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(f"/training/inspections/{inspection.pk}/record/")
    assert response.status_code == 302
    with dangerously_platform_scope():
        job = Job.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])
    assert job.kind == record.RECORD_KIND and job.status == Job.Status.SUCCEEDED, job.message
    assert job.org_unit_id == inspection.org_unit_id
    download = client.get(f"/jobs/{job.pk}/output/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    text = _text(b"".join(download.streaming_content), tmp_path)
    for words in (
        "检查及逢查必考记录",
        world.a.mine.name,
        "2026-03-05",
        passing.name,
        failing.name,
        "逢查必考卷",
        "100",  # the passing score
        "合格",
        "不合格",
        "下岗",  # the failure's consequence
        "下岗复训考试：尚未参加",  # the re-test it needs
        "结论",
        "共抽考2人",
        "编制",
        "审核",
        "批准",
        "签字",
        "（盖章）",
        "陈立新",  # the leader by name, not login
    ):
        assert words in text, words
    assert manager.username not in text


@needs_poppler
def test_a_passed_re_test_shows_the_person_back_on_post(inspected, tmp_path):
    world, inspection, _passing, failing, clearing = inspected
    _take(clearing, failing, right=True, assign=False)
    with dangerously_platform_scope(), translation.override("zh-hans"):
        context = record.record_context(inspection)
        text = _text(record.record_pdf(inspection), tmp_path)
    assert context["tally"] == {
        "drawn": 2,
        "taken": 2,
        "passed": 1,
        "failed": 1,
        "suspended": 1,
        "cleared": 1,
    }
    assert "恢复上岗" in text and "下岗复训考试：100分，合格" in text


def test_read_only_scopes_and_other_tenants_start_no_record(inspected):
    world, inspection, *_ = inspected
    # Tenant B's safety manager: the same 404 as for a missing inspection.
    assert (
        login(world.b.users[roles.SAFETY_MANAGER])
        .post(f"/training/inspections/{inspection.pk}/record/")
        .status_code
        == 404
    )
    # A worker: inspections name colleagues (403), and no button anywhere.
    assert (
        login(world.a.users[roles.WORKER]).post(f"/training/inspections/{inspection.pk}/record/").status_code
        == 403
    )
    with dangerously_platform_scope():
        assert not Job.objects.filter(kind=record.RECORD_KIND).exists()


def test_the_record_reads_a_constant_number_of_queries(world):
    a = world.a
    make_bank(a)
    paper = make_paper(a)
    clearing = make_paper(a, title="下岗复训考试", spot=False, clears=True)  # noqa: F841 (a suspension's paper)
    counts = []
    more = [add_person(a, a.mine, "other", seq=900 + n) for n in range(4)]
    for people in (a.people[1:2], more):
        inspection = make_inspection(a)
        with as_role(a) as scope:
            checks = services.pick_people(
                scope=scope, inspection=inspection, paper=paper, people=list(people)
            )
        for check in checks:
            _take(paper, check.person, right=False, spot_check=check)
        with as_role(a), CaptureQueriesContext(connection) as ctx:
            record.record_context(inspection)
        counts.append(len(ctx))
    assert counts[0] == counts[1], counts
