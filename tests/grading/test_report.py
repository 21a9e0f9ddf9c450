"""The PDF assessment report: started from the assessment as a background job, it embeds a CJK
font and gives back the Chinese of every item, deduction and reason, with photo thumbnails; its
progress is reported part by part; only those who may read the grading at the mine and follow its
jobs start it or download it — another tenant gets 404, a regulator 403."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from compliance import storage
from compliance.audit.models import AuditEvent
from compliance.grading import report
from compliance.grading.models import Assessment
from compliance.grading.scoring import level_name
from compliance.jobs.models import Job
from compliance.jobs.services import job_start
from compliance.reports import evidence
from tenants import roles
from tenants.scope import activate, dangerously_platform_scope
from tenants.selectors import scope_for_user

from ..conftest import login
from .pdf_factories import (
    PDF_BYTES,
    image_bytes,
    make_assessment,
    mark,
    store,
    tree_version,
    version_items,
)

pytestmark = pytest.mark.django_db

needs_poppler = pytest.mark.skipif(
    not shutil.which("pdffonts"), reason="poppler-utils (pdffonts, pdftotext, pdfimages) not installed"
)


@pytest.fixture
def scored(world):
    """Tenant A's coal mine, under review: two photo deductions, a PDF scan, a missing file, a
    not-applicable item and a reviewer's adjustment."""
    version = tree_version(tops=2, children=2, items_per_part=3)
    items = version_items(version)
    manager = world.a.users[roles.SAFETY_MANAGER]
    assessment = make_assessment(
        world.a.mine, version, manager, status="under_review", reviewer=world.a.users[roles.HQ_AUDITOR]
    )
    photo = store("1201.jpg", image_bytes(size=(2000, 1500)))
    tall = store("plan.png", image_bytes("PNG", size=(300, 900), color=(20, 150, 90)))
    scan = store("record.pdf", PDF_BYTES)
    mark(
        assessment,
        items[0],
        manager,
        deductions=[
            (2, "局部通风机未挂牌管理", "1201回采工作面", photo, "现场照片.jpg"),
            (1, "瓦斯检查记录不全", "调度室", scan, "瓦斯检查记录.pdf"),
        ],
    )
    mark(assessment, items[1], manager, not_applicable=True, reason="本矿无瓦斯抽采系统")
    mark(
        assessment,
        items[2],
        manager,
        deductions=[(1.5, "通风设施台账未更新", "", tall, "通风系统图.png")],
        review_score=Decimal(2),
        review_comment="审核认为扣分不足，核减至2分",
    )
    mark(
        assessment,
        items[4],
        manager,
        deductions=[(1, "标识牌缺失", "主井口", "grading/evidence/gone.jpg", "丢失.jpg")],
    )
    return assessment, items


def _start(client, assessment):
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(f"/grading/assessments/{assessment.pk}/report/")
    return response


def _job_of(response) -> Job:
    assert response.status_code == 302, response.status_code
    assert response["Location"].startswith("/jobs/")
    with dangerously_platform_scope():
        return Job.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])


def _tool(*args) -> str:
    return subprocess.run(list(args), capture_output=True, text=True, check=True).stdout


@needs_poppler
def test_the_report_is_made_in_the_background_and_its_chinese_comes_back(world, scored, tmp_path):
    assessment, items = scored
    client = login(world.a.users[roles.SAFETY_MANAGER])
    job = _job_of(_start(client, assessment))
    assert job.kind == report.REPORT_KIND and job.status == Job.Status.SUCCEEDED, job.message
    assert job.org_unit_id == world.a.mine.pk and job.progress == 100

    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert f'href="/jobs/{job.pk}/output/"' in page and 'data-testid="job-output"' in page
    response = client.get(f"/jobs/{job.pk}/output/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    path = tmp_path / "report.pdf"
    path.write_bytes(b"".join(response.streaming_content))

    fonts = _tool("pdffonts", str(path)).splitlines()[2:]
    assert any("WenQuanYi" in line or "CJK" in line for line in fonts), fonts
    assert all(" yes " in line for line in fonts if line.strip()), "every font embedded"
    text = "".join(_tool("pdftotext", str(path), "-").split())  # lines wrap inside table cells
    for expected in (
        items[0].title,
        items[5].title,
        "重大灾害防治",
        "通风",
        "局部通风机未挂牌管理",
        "1201回采工作面",
        "本矿无瓦斯抽采系统",
        "审核认为扣分不足，核减至2分",
        "瓦斯检查记录.pdf",  # PDF evidence is listed by name
        "丢失.jpg",  # a missing file is named, not silently dropped
        "煤安监行管〔2020〕16号",
        world.a.tenant.name,
        world.a.mine.name,
    ):
        assert "".join(expected.split()) in text, expected
    # Two photos, embedded as thumbnails no larger than THUMB_PIXELS.
    images = _tool("pdfimages", "-list", str(path)).splitlines()[2:]
    assert len(images) == 2, images
    assert all(max(int(line.split()[3]), int(line.split()[4])) <= evidence.THUMB_PIXELS for line in images)


@needs_poppler
def test_the_result_leads_with_the_level_in_words_and_the_rule_that_decided_it(world, scored, tmp_path):
    assessment, items = scored
    with dangerously_platform_scope():
        context = report.report_context(assessment)
        pdf = report.report_pdf(assessment)
    result = context["headline"]["result"]
    # The reviewer adjusted an item: the headline follows the reviewer's figures while under review.
    assert context["review_result"] is result
    assert result.total < context["mine_result"].total
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    text = "".join(_tool("pdftotext", str(path), "-").split())
    assert "".join(level_name(result.level).split()) in text
    assert result.blocking_rule and "".join(result.blocking_rule.split()) in text
    # The chart: every part's name and score (mine's / reviewer's where they differ).
    for part in result.parts:
        assert "".join(part.name.split()) in text


def test_an_approved_assessment_shows_its_frozen_result(world, scored):
    assessment, _items = scored
    with dangerously_platform_scope():
        Assessment.objects.filter(pk=assessment.pk).update(
            status=Assessment.Status.APPROVED,
            total=Decimal("88.5"),
            level=2,
            blocking_rule="冻结时的判定依据",
        )
        html = report.report_html(report.report_context(assessment))
    assert "88.5" in html and "冻结时的判定依据" in html and str(level_name(2)) in html


def test_a_failed_veto_item_is_named_with_no_level(world):
    version = tree_version(tops=1, children=1, items_per_part=2, veto=True)
    items = version_items(version)
    manager = world.a.users[roles.SAFETY_MANAGER]
    assessment = make_assessment(world.a.mine, version, manager)
    mark(assessment, items[0], manager, deductions=[(1, "主要负责人未签署安全承诺", "", "", "")])
    with dangerously_platform_scope():
        context = report.report_context(assessment)
    assert context["headline"]["level"] is None
    assert [i.code for i in context["failed_vetoes"]] == [items[0].code]
    html = report.report_html(context)
    assert items[0].title in html and str(level_name(None)) in html


def test_progress_is_reported_part_by_part(world, scored):
    assessment, _items = scored
    user = world.a.users[roles.SAFETY_MANAGER]
    heard: list[tuple[int, str]] = []
    with activate(scope_for_user(user)):
        job = job_start(
            scope=scope_for_user(user),
            user=user,
            kind=report.REPORT_KIND,
            org_unit=world.a.mine,
            params={"assessment": str(assessment.pk)},
        )
        pdf = report.report_prepare(job, lambda p, m="": heard.append((p, m)))
    assert pdf.startswith(b"%PDF-")
    percents = [p for p, _m in heard]
    assert percents == sorted(percents) and 0 < percents[0] and percents[-1] < 100
    parts = [m for _p, m in heard if "重大灾害防治" in m or "通风" in m or "专业管理" in m]
    assert len(parts) >= 3, heard  # one message per part, naming it


def test_the_report_reads_a_fixed_number_of_queries_whatever_its_size(world):
    manager = world.a.users[roles.SAFETY_MANAGER]

    def count(items_per_part: int, evidence: bool) -> int:
        version = tree_version(tops=2, children=3, items_per_part=items_per_part)
        items = version_items(version)
        assessment = make_assessment(world.a.mine, version, manager)
        for n, item in enumerate(items):
            photo = store(f"q{items_per_part}-{n}.jpg", image_bytes(size=(64, 48))) if evidence else ""
            mark(assessment, item, manager, deductions=[(1, "扣分", "井下", photo, "照片.jpg")])
        with dangerously_platform_scope(), CaptureQueriesContext(connection) as ctx:
            report.report_context(assessment)
        return len([q for q in ctx.captured_queries if "set_config(" not in q["sql"]])

    assert count(1, evidence=False) == count(8, evidence=True)


def test_evidence_outside_the_private_root_or_not_an_image_is_only_named(world, settings):
    version = tree_version(tops=1, children=1, items_per_part=3)
    items = version_items(version)
    manager = world.a.users[roles.SAFETY_MANAGER]
    assessment = make_assessment(world.a.mine, version, manager)
    outside = Path(settings.PRIVATE_MEDIA_ROOT).parent / "secret.jpg"
    outside.parent.mkdir(parents=True, exist_ok=True)
    outside.write_bytes(image_bytes(size=(40, 30)))
    fake = store("fake.jpg", b"\xff\xd8\xff" + b"not really a jpeg" * 10)
    mark(
        assessment,
        items[0],
        manager,
        deductions=[
            (1, "越界路径", "", "../secret.jpg", "secret.jpg"),
            (1, "损坏的照片", "", fake, "损坏.jpg"),
        ],
    )
    with dangerously_platform_scope():
        context = report.report_context(assessment)
    kinds = [d.evidence.kind for d in context["parts"][1].items[0].deductions]
    assert kinds == ["missing", "file"]
    assert context["images"] == {}


# --- who may start and download --------------------------------------------------------------------


@pytest.fixture
def finished(world, scored):
    assessment, _items = scored
    return assessment, _job_of(_start(login(world.a.users[roles.SAFETY_MANAGER]), assessment))


def _jobs(world) -> int:
    with dangerously_platform_scope():
        return Job.objects.filter(kind=report.REPORT_KIND).count()


def test_another_tenant_can_neither_start_nor_download_the_report(world, finished):
    assessment, job = finished
    before = _jobs(world)
    for role in (roles.TENANT_ADMIN, roles.HQ_AUDITOR, roles.SAFETY_MANAGER):
        client = login(world.b.users[role])
        assert _start(client, assessment).status_code == 404, role
        assert client.get(f"/jobs/{job.pk}/output/").status_code == 404, role
        assert client.get(f"/jobs/{job.pk}/").status_code == 404, role
    assert _jobs(world) == before


def test_regulators_read_results_on_the_page_but_do_not_generate_reports(world, finished):
    """Documented decision (grading/report.py): a report is a job written into the group's records
    and a regulator is read-only by construction; it has no access to the group's jobs either."""
    assessment, job = finished
    before = _jobs(world)
    for user in (world.regulator_in, world.regulator_out):
        client = login(user)
        assert _start(client, assessment).status_code == 403
        assert client.get(f"/jobs/{job.pk}/output/").status_code == 403
    assert _jobs(world) == before


# A team leader reads grading only under its team (the assessment is the mine's: not found); a
# worker has no grading at all.
@pytest.mark.parametrize("role, status", [(roles.TEAM_LEADER, 404), (roles.WORKER, 403)])
def test_roles_without_the_mines_grading_cannot_start_it(world, scored, role, status):
    assessment, _items = scored
    assert _start(login(world.a.users[role]), assessment).status_code == status
    assert _jobs(world) == 0


def test_the_hq_auditor_downloads_the_managers_report_and_it_is_audited(world, finished):
    _assessment, job = finished

    def exports() -> int:
        with dangerously_platform_scope():
            return AuditEvent.objects.filter(
                tenant=world.a.tenant, action="export", object_type="jobs.Job", object_id=str(job.pk)
            ).count()

    response = login(world.a.users[roles.HQ_AUDITOR]).get(f"/jobs/{job.pk}/output/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert exports() == 1


def test_an_unfinished_job_has_nothing_to_download(world, scored):
    assessment, _items = scored
    manager = world.a.users[roles.SAFETY_MANAGER]
    with dangerously_platform_scope() as platform:
        job = report.report_start(scope=platform, user=manager, assessment=assessment)
    client = login(manager)
    assert client.get(f"/jobs/{job.pk}/output/").status_code == 404
    assert 'data-testid="job-output"' not in client.get(f"/jobs/{job.pk}/").content.decode()


def test_a_job_that_lost_the_assessment_is_rejected_not_crashed(world, scored):
    """The worker looks the assessment up again in the starter's scope: a manager moved off the
    mine meanwhile gets a clear message, not another mine's report."""
    assessment, _items = scored
    manager = world.a.users[roles.SAFETY_MANAGER]
    with dangerously_platform_scope() as platform:
        job = report.report_start(scope=platform, user=manager, assessment=assessment)
    with activate(scope_for_user(world.a.users[roles.TEAM_LEADER])):
        with pytest.raises(report.JobRejected):
            report.report_prepare(job, lambda p, m="": None)


def test_the_output_file_stays_under_the_private_root(world, finished):
    _assessment, job = finished
    stored = storage.read_bytes(job.result["output_file"])
    assert stored is not None and stored.startswith(b"%PDF-")
    with dangerously_platform_scope():
        Job.objects.filter(pk=job.pk).update(result={**job.result, "output_file": "../../etc/hostname"})
    assert login(world.a.users[roles.SAFETY_MANAGER]).get(f"/jobs/{job.pk}/output/").status_code == 404


# GradingConfig.ready() imports grading.report: a worker never loads the URLconf.
def test_a_worker_knows_the_report_job_without_loading_any_page():
    code = (
        "import django; django.setup(); "
        "from compliance.jobs.services import HANDLERS; "
        f"assert {report.REPORT_KIND!r} in HANDLERS, sorted(HANDLERS)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "compliance.settings"}
    result = subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True)
    assert result.returncode == 0, result.stderr.decode()[-500:]


def test_the_page_button_is_offered_only_to_those_who_may_start_a_report(world, scored):
    from django.template.loader import render_to_string

    assessment, _items = scored
    url = f"/grading/assessments/{assessment.pk}/report/"
    for user, offered in (
        (world.a.users[roles.SAFETY_MANAGER], True),
        (world.a.users[roles.HQ_AUDITOR], True),
        (world.regulator_in, False),
    ):
        scope = scope_for_user(user)
        can = report.can_start_report(scope, assessment)
        html = render_to_string("grading/report/_button.html", {"assessment": assessment, "can_report": can})
        assert can is offered and (url in html) is offered, user


@needs_poppler
def test_the_report_names_people_signs_off_and_concludes_without_internal_codes(world, scored, tmp_path):
    """Issue 13, "Honest documents": people by name and post (never a login name), the sign-off
    block (编制 / 审核 / 批准, 签字, 日期, 盖章) and a conclusion; a part's internal code (here
    "P1.2", in the national standards "policy") never reaches the Chinese document."""
    from compliance.grading.models import Part

    assessment, _items = scored
    manager, auditor = world.a.users[roles.SAFETY_MANAGER], world.a.users[roles.HQ_AUDITOR]
    manager.first_name, auditor.first_name = "陈立新", "刘志强"
    manager.save(update_fields=["first_name"])
    auditor.save(update_fields=["first_name"])
    with dangerously_platform_scope():
        parts = list(Part.objects.filter(version=assessment.version))
        for n, part in enumerate(parts):  # codes are keys, as in the national standards
            part.code = f"policy{'x' * n}"
            part.save(update_fields=["code"])
        codes = {"policy"}
        path = tmp_path / "signed.pdf"
        path.write_bytes(report.report_pdf(assessment))
    text = "".join(_tool("pdftotext", str(path), "-").split())
    assert "陈立新" in text and "刘志强" in text
    assert "安全管理人员" in text and "集团安监审计" in text  # their posts (role at their unit)
    assert manager.username not in text and auditor.username not in text
    for words in ("结论", "尚未批准", "编制", "审核", "批准", "签字", "日期", "（盖章）", world.a.mine.name):
        assert words in text, words
    assert not any(code in text for code in codes)
