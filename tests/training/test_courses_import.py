"""Excel import of training sessions and attendance: all rows or none, every bad row reported,
people matched by employee number within the importer's unit, run as a job."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.utils import translation
from openpyxl import Workbook, load_workbook

from compliance.audit.models import AuditEvent
from compliance.jobs.models import Job
from compliance.training import sessions_io
from compliance.training.models import Attendance, Course, TrainingSession
from tenants import roles
from tenants.scope import dangerously_platform_scope

from ..conftest import login
from .test_hours import YEAR, course

pytestmark = pytest.mark.django_db

with translation.override("zh-hans"):
    HEADER = [str(c.label) for c in sessions_io.COLUMNS]


def xlsx(rows, header=HEADER) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "sessions.xlsx"
    return out


def row(
    employee_no,
    name="",
    *,
    title="年度再培训",
    starts=f"{YEAR}-03-02",
    ends="",
    hours=16,
    attended=None,
    kind="",
):
    # 课程名称, 课程类别, 作业类别, 开始日期, 结束日期, 学时, 授课人, 地点, 工号, 姓名, 实到学时
    return [title, kind, "", starts, ends, hours, "王老师", "会议室", employee_no, name, attended]


def upload(client, org_unit, file) -> Job:
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post("/training/sessions/import/", {"org_unit": str(org_unit.pk), "file": file})
    assert response.status_code == 302, response.content.decode()[:500]
    job_id = response["Location"].rstrip("/").split("/")[-1]
    with dangerously_platform_scope():
        return Job.objects.get(pk=job_id)


@pytest.fixture
def manager(world):
    return login(world.a.users[roles.SAFETY_MANAGER])


def test_the_template_has_the_chinese_headers(manager):
    response = manager.get("/training/sessions/import/template/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).worksheets[0]
    header = [c.value for c in ws[1]]
    for name in ("课程名称", "开始日期", "结束日期", "学时", "授课人", "地点", "工号", "姓名", "实到学时"):
        assert name in header, header
    assert ws.max_row == 1  # no sample row on the first sheet


def test_import_makes_courses_sessions_and_attendance(world, manager):
    worker, special, principal, _other = world.a.people
    existing = course(world.a.mine, title="瓦斯防治专题", kind="special_topic", hours_=4)
    job = upload(
        manager,
        world.a.mine,
        xlsx(
            [
                row(worker.employee_no, worker.name),
                row(special.employee_no, attended=12),
                row(principal.employee_no, title="瓦斯防治专题", starts=datetime.date(YEAR, 4, 1), hours=4),
                row(worker.employee_no, title="瓦斯防治专题", starts=f"{YEAR}/4/1", hours=4),
            ]
        ),
    )
    assert job.status == Job.Status.SUCCEEDED, job.result
    assert job.result == {"errors": [], "courses": 1, "sessions": 2, "attendances": 4}
    with dangerously_platform_scope():
        new_course = Course.objects.get(title="年度再培训")
        assert new_course.org_unit == world.a.mine and new_course.kind == "annual"
        s1 = TrainingSession.objects.get(course=new_course)
        assert (s1.starts_on, s1.ends_on, s1.hours) == (
            datetime.date(YEAR, 3, 2),
            datetime.date(YEAR, 3, 2),
            16,
        )
        assert dict(Attendance.objects.filter(session=s1).values_list("person_id", "hours")) == {
            worker.pk: Decimal("16.0"),
            special.pk: Decimal("12.0"),
        }
        s2 = TrainingSession.objects.get(course=existing)
        assert Attendance.objects.filter(session=s2).count() == 2
        assert AuditEvent.objects.filter(action="import", object_type="training.TrainingSession").exists()


def test_one_bad_row_imports_nothing_and_every_problem_is_listed(world, manager):
    worker, special, _principal, other = world.a.people
    with translation.override("zh-hans"):
        job = upload(
            manager,
            world.a.mine,
            xlsx(
                [
                    row(worker.employee_no),
                    row("NOBODY-1"),  # unknown number
                    row(other.employee_no),  # at the other mine: outside the importer's unit
                    row(special.employee_no, "错名"),  # name does not match the number
                    row(worker.employee_no, starts="明天"),  # bad date
                    row(worker.employee_no, hours=8, attended=9),  # more than the session
                    row(worker.employee_no),  # same person and session as row 2
                ]
            ),
        )
    assert job.status == Job.Status.FAILED
    errors = job.result["errors"]
    assert sorted({e["row"] for e in errors}) == [3, 4, 5, 6, 7, 8]
    assert any(e["column"] == "工号" for e in errors)
    assert any(e["column"] == "姓名" for e in errors)
    assert any(e["column"] == "开始日期" for e in errors)
    assert any(e["column"] == "实到学时" for e in errors)
    with dangerously_platform_scope():
        assert not TrainingSession.objects.filter(tenant=world.a.tenant).exists()
        assert not Course.objects.filter(tenant=world.a.tenant).exists()


def test_importing_the_same_file_twice_is_refused(world, manager):
    worker = world.a.people[0]
    course(world.a.mine, title="年度再培训", hours_=16)
    file = [row(worker.employee_no)]
    assert upload(manager, world.a.mine, xlsx(file)).status == Job.Status.SUCCEEDED
    again = upload(manager, world.a.mine, xlsx(file))
    assert again.status == Job.Status.FAILED
    assert again.result["errors"][0]["row"] == 2
    with dangerously_platform_scope():
        assert Attendance.objects.filter(person=worker).count() == 1


def test_missing_columns_and_unreadable_files(world, manager):
    job = upload(manager, world.a.mine, xlsx([["x"]], header=["课程名称"]))
    assert (
        job.status == Job.Status.FAILED
        and "开始日期" in job.result["errors"][0]["message"]
        or "Start" in job.message
    )
    bad = io.BytesIO(b"PK\x03\x04 not really a zip")
    bad.name = "sessions.xlsx"
    response = manager.post("/training/sessions/import/", {"org_unit": str(world.a.mine.pk), "file": bad})
    assert response.status_code in (302, 400)


def test_only_managers_import_and_only_into_their_units(world):
    worker = world.a.people[0]
    for role in (roles.WORKER, roles.TEAM_LEADER, roles.HQ_AUDITOR):
        client = login(world.a.users[role])
        response = client.post(
            "/training/sessions/import/",
            {"org_unit": str(world.a.mine.pk), "file": xlsx([row(worker.employee_no)])},
        )
        assert response.status_code == 403, role
    assert login(world.regulator_in).post("/training/sessions/import/", {}).status_code == 403
    # Tenant B's unit is a 404.
    client = login(world.a.users[roles.SAFETY_MANAGER])
    response = client.post(
        "/training/sessions/import/",
        {"org_unit": str(world.b.mine.pk), "file": xlsx([row(worker.employee_no)])},
    )
    assert response.status_code == 404
