"""Excel import of manual points entries (shared importer): all rows or none, every bad row with its
row and column; recorded through the same service as the form, once per row of a job."""

from __future__ import annotations

import datetime
import io

import pytest
from django.db.models import Sum
from django.test import TestCase
from openpyxl import Workbook, load_workbook

from compliance.jobs.models import Job
from compliance.points.models import Balance, Entry, SourceKind
from tenants import roles
from tenants.scope import dangerously_platform_scope

from ..conftest import login
from .factories import install

pytestmark = pytest.mark.django_db
HEADER = ["工号", "规则", "日期", "发生情况", "证据（链接）"]


def xlsx(rows) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "points.xlsx"
    return out


def upload(client, unit, file) -> Job:
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post("/points/import/", {"org_unit": str(unit.pk), "file": file})
    assert response.status_code == 302, response.content.decode()[:800]
    job_id = response["Location"].rstrip("/").split("/")[-1]
    with dangerously_platform_scope():
        return Job.objects.get(pk=job_id)


def test_the_template_names_the_columns(world):
    install(world.a)
    response = login(world.a.users[roles.SAFETY_MANAGER]).get("/points/import/template/")
    assert response.status_code == 200
    headers = [c.value for c in load_workbook(io.BytesIO(response.content)).worksheets[0][1]]
    assert headers[:2] == ["工号", "规则"] or headers[:2] == ["Employee number", "Rule"]


def test_an_import_records_every_row_or_none(world):
    a = world.a
    install(a)
    client = login(a.users[roles.SAFETY_MANAGER])
    today = datetime.date.today().isoformat()
    bad = xlsx(
        [
            [a.people[0].employee_no, "SW-ZY-3", today, "未戴安全帽", ""],
            ["NOBODY", "SW-ZY-3", today, "x", ""],
            [a.people[1].employee_no, "NO-SUCH", today, "x", ""],
            [a.people[1].employee_no, "SW-ZY-3", today, "", ""],
        ]
    )
    job = upload(client, a.mine, bad)
    assert job.status == Job.Status.FAILED
    rows = {e["row"] for e in job.result["errors"]}
    assert rows == {3, 4, 5}, job.result
    with dangerously_platform_scope():
        assert not Entry.objects.filter(tenant=a.tenant).exists()
    good = xlsx(
        [
            [a.people[0].employee_no, "SW-ZY-3", today, "未戴安全帽", ""],
            [a.people[1].employee_no, "AW-EXAM", today, "月考合格", "https://example.com/x.jpg"],
        ]
    )
    job = upload(client, a.mine, good)
    assert job.status == Job.Status.SUCCEEDED, (job.message, job.result)
    assert job.result["imported"] == 2
    with dangerously_platform_scope():
        entries = Entry.objects.filter(tenant=a.tenant)
        assert {e.source_kind for e in entries} == {SourceKind.IMPORT}
        assert entries.aggregate(s=Sum("points"))["s"] == 0
        assert Balance.objects.get(person=a.people[0]).balance == 11
