"""Excel import: all rows or none, every bad row reported, run as a job with progress."""

import io
import zipfile

import pytest
from django.utils import translation
from openpyxl import Workbook, load_workbook

from compliance.audit.models import AuditEvent
from compliance.jobs.models import Job
from tenants import people_io, roles
from tenants.models import Person
from tenants.scope import dangerously_platform_scope

from ..conftest import login
from ..factories import resident_id

pytestmark = pytest.mark.django_db

with translation.override("zh-hans"):
    HEADER = [str(c.label) for c in people_io.COLUMNS]  # 姓名, 身份证号, 工号, …: as in the template
COLUMN = dict(zip([c.key for c in people_io.COLUMNS], HEADER, strict=True))


def xlsx(rows, header=HEADER) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "people.xlsx"
    return out


def good_row(n, team="A综采一队"):
    return [
        f"工人{n}",
        resident_id(seq=600 + n),
        f"IMP-{n:03d}",
        "13900000000",
        team,
        "特种作业人员",
        "瓦斯检查工",
        "瓦检员",
        "",
        "",
        "",
    ]


def upload(client, org_unit, file):
    # The job is dispatched when the request's transaction commits; tasks run eagerly here.
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post("/people/import/", {"org_unit": str(org_unit.pk), "file": file})
    assert response.status_code == 302, response.content.decode()[:500]
    job_id = response["Location"].rstrip("/").split("/")[-1]
    with dangerously_platform_scope():
        return Job.objects.get(pk=job_id)


def _imported():
    with dangerously_platform_scope():
        return Person.objects.filter(employee_no__startswith="IMP-").count()


@pytest.fixture
def manager(world):
    return login(world.a.users[roles.SAFETY_MANAGER])


def test_template_downloads_with_the_headers(manager):
    response = manager.get("/people/import/template/")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [c.value for c in ws[1]][:3] == HEADER[:3]


def test_good_file_imports_every_row_and_audits(world, manager):
    job = upload(manager, world.a.mine, xlsx([good_row(n) for n in range(1, 31)]))
    assert job.status == Job.Status.SUCCEEDED and job.result["imported"] == 30 and job.progress == 100
    assert _imported() == 30
    with dangerously_platform_scope():
        person = Person.objects.get(employee_no="IMP-001")
        assert person.operation_type == "gas_inspection" and person.org_unit == world.a.team
        assert AuditEvent.objects.filter(action="create", object_id=str(person.pk)).exists()
        assert AuditEvent.objects.filter(action="import").count() == 1
    page = manager.get(f"/jobs/{job.pk}/")
    assert "30" in page.content.decode()


def test_one_bad_row_imports_nothing_and_every_problem_is_listed(world, manager):
    rows = [good_row(n) for n in range(1, 6)]
    rows[1][1] = "520201198805121234"  # row 3: check digit
    rows[3][5] = "矿长"  # row 5: not a post category
    rows[4][2] = "IMP-001"  # row 6: same number as row 2
    rows.append(good_row(9, team="不存在的队"))  # row 7: unknown team
    rows.append(
        [*good_row(10)[:2], world.a.people[3].employee_no, *good_row(10)[3:]]
    )  # row 8: taken in tenant
    job = upload(manager, world.a.mine, xlsx(rows))
    assert job.status == Job.Status.FAILED
    problems = {(e["row"], e["column"]) for e in job.result["errors"]}
    expected = {
        (3, "resident_id"),
        (5, "post_category"),
        (6, "employee_no"),
        (7, "org_unit"),
        (8, "employee_no"),
    }
    assert {(row, COLUMN[key]) for row, key in expected} <= problems
    assert _imported() == 0
    page = manager.get(f"/jobs/{job.pk}/").content.decode()
    assert "身份证号" in page and "nothing was imported" not in page


CONTENT_TYPES = (
    '<Types><Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'
)


def _hollow_xlsx() -> bytes:
    """Declares itself a workbook (passes the upload check) but has no readable sheet."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("xl/workbook.xml", "not xml")
    return out.getvalue()


@pytest.mark.parametrize(
    "payload,name,message",
    [
        (b"not a spreadsheet", "people.xlsx", "Excel"),
        (b"PK\x03\x04 broken zip", "people.xlsx", "Excel"),
        (_hollow_xlsx(), "people.xlsx", None),
        (xlsx([good_row(1)]).getvalue(), "people.csv", "Excel"),
    ],
)
def test_broken_or_wrong_files_are_refused(world, manager, payload, name, message):
    file = io.BytesIO(payload)
    file.name = name
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = manager.post("/people/import/", {"org_unit": str(world.a.mine.pk), "file": file})
    if message:  # refused at upload, field by field
        assert response.status_code == 400 and message in response.content.decode()
    else:  # looks like a zip, fails when read: the job says so
        job_id = response["Location"].rstrip("/").split("/")[-1]
        with dangerously_platform_scope():
            job = Job.objects.get(pk=job_id)
        assert job.status == Job.Status.FAILED and job.result["errors"]
    assert _imported() == 0


def test_wrongly_shaped_sheet_names_missing_columns(world, manager):
    job = upload(manager, world.a.mine, xlsx([["x", "y"]], header=["名字", "号码"]))
    assert job.status == Job.Status.FAILED
    assert "身份证号" in job.result["errors"][0]["message"]


def test_rows_outside_the_importers_subtree_are_refused(world, manager):
    job = upload(manager, world.a.mine, xlsx([good_row(1, team="A掘进队")]))  # other mine's team
    assert job.status == Job.Status.FAILED and _imported() == 0


def test_running_a_finished_job_again_changes_nothing(world, manager):
    from compliance.jobs.services import job_run

    job = upload(manager, world.a.mine, xlsx([good_row(1), good_row(2)]))
    job_run(str(job.pk), str(job.tenant_id), world.a.users[roles.SAFETY_MANAGER].pk)
    assert _imported() == 2


def test_export_is_masked_and_audited(world):
    client = login(world.a.users[roles.TENANT_ADMIN])
    response = client.get("/people/export/")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).worksheets[0]
    ids = [row[1] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert len(ids) == 4 and all("**********" in i for i in ids)
    with dangerously_platform_scope():
        assert AuditEvent.objects.filter(action="export", tenant=world.a.tenant).count() == 1
