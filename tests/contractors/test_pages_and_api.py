"""The outsourcing pages and API as users see them: lists in a constant number of queries (2 rows
and 50), refusals naming the rule through the page and the API, who sees what (a contractor's own
staff their assignment, a regulator its region read-only), the person-page panel."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance.contractors import services
from compliance.contractors.models import Appraisal, Contractor, Engagement, StaffAssignment
from tenants import roles
from tenants.scope import activate, dangerously_platform_scope

from ..conftest import login
from ..factories import credit_code
from .factories import TODAY, contractor, engage, person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 6, 30, 4, tzinfo=datetime.UTC), tick=False):
        yield


def _bulk(world, n: int) -> None:
    """n contractors with an engagement, a staff member and an appraisal each, straight in the
    tables (the caps are not what these tests are about)."""
    t = world.a.tenant
    with dangerously_platform_scope():
        start = Contractor.objects.filter(tenant=t).count()
        for i in range(start, start + n):
            c = Contractor.objects.create(
                tenant=t,
                name=f"批量外包{i:03d}",
                credit_code=credit_code(8000 + i),
                legal_representative="王",
                work_kind="installation",
            )
            e = Engagement.objects.create(
                tenant=t,
                mine=world.a.mine,
                contractor=c,
                work_kind="installation",
                scope_of_work="安装",
                underground_system=f"{i}号井",
                starts_on=TODAY - datetime.timedelta(days=10),
                ends_on=TODAY + datetime.timedelta(days=10),
                contract_number=f"BULK-{i:04d}",
                project_manager=world.a.people[2],
                project_manager_certificate="PM",
            )
            StaffAssignment.objects.create(
                tenant=t, person=person(world.a, world.a.team), contractor=c, engagement=e, assigned_on=TODAY
            )
            Appraisal.objects.create(
                tenant=t, engagement=e, contractor=c, period=datetime.date(2026, 5, 1), score=90
            )


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx)


LISTS = [
    "/contractors/",
    "/contractors/engagements/",
    "/contractors/dashboard/",
    "/api/v1/contractors/companies/",
    "/api/v1/contractors/qualifications/",
    "/api/v1/contractors/engagements/",
    "/api/v1/contractors/staff/",
    "/api/v1/contractors/appraisals/",
    "/api/v1/contractors/mines/",
]


@pytest.mark.parametrize("url", LISTS)
def test_lists_run_a_constant_number_of_queries(world, url):
    client = login(world.a.users[roles.TENANT_ADMIN])
    _bulk(world, 2)
    few = _queries(client, url)
    _bulk(world, 48)
    assert _queries(client, url) == few


def test_detail_pages_run_a_constant_number_of_queries(world):
    client = login(world.a.users[roles.TENANT_ADMIN])
    _bulk(world, 2)
    with dangerously_platform_scope():
        c = Contractor.objects.filter(tenant=world.a.tenant).first()
        e = Engagement.objects.filter(contractor=c).get()
    urls = [
        f"/contractors/{c.pk}/",
        f"/contractors/engagements/{e.pk}/",
        f"/contractors/mines/{world.a.mine.pk}/",
    ]
    few = [_queries(client, u) for u in urls]
    with dangerously_platform_scope():
        for _i in range(20):
            StaffAssignment.objects.create(
                tenant=world.a.tenant,
                person=person(world.a, world.a.team),
                contractor=c,
                engagement=e,
                assigned_on=TODAY,
            )
    assert [_queries(client, u) for u in urls] == few


def test_a_refused_engagement_names_the_rule_on_the_page_and_in_the_api(world):
    admin = world.a.scope(roles.TENANT_ADMIN)
    engage(admin, world.a, contractor(admin), underground_system="")
    second = contractor(admin)
    pm = person(world.a, world.a.mine)
    body = {
        "mine": str(world.a.mine.pk),
        "contractor": str(second.pk),
        "work_kind": "tunnelling",
        "scope_of_work": "掘进",
        "starts_on": "2026-07-01",
        "ends_on": "2026-12-31",
        "contract_number": "HT-API-1",
        "agreement_items": ["funding", "training"],
        "project_manager": str(pm.pk),
        "project_manager_certificate": "AQ-1",
    }
    client = login(world.a.users[roles.TENANT_ADMIN])
    response = client.post("/api/v1/contractors/engagements/", body, content_type="application/json")
    assert response.status_code == 400
    assert "矿安〔2021〕55号" in " ".join(response.json()["work_kind"])
    page = client.post("/contractors/engagements/new/", body)
    assert page.status_code == 400 and "矿安〔2021〕55号" in page.content.decode()
    with activate(admin):
        assert Engagement.objects.count() == 1
    # Within the cap (installation) it goes through, and the API shows the checklist it kept.
    body |= {"work_kind": "installation", "contract_number": "HT-API-2"}
    response = client.post("/api/v1/contractors/engagements/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["agreement_items"] == ["funding", "training"]


def test_bad_input_gets_chinese_messages_field_by_field(world):
    client = login(world.a.users[roles.TENANT_ADMIN])
    response = client.post(
        "/api/v1/contractors/companies/",
        {"name": "某公司", "credit_code": "123", "legal_representative": "", "work_kind": "mining"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    body = response.json()
    assert "统一社会信用代码" in " ".join(body["credit_code"]) and "legal_representative" in body


def test_contractor_staff_see_their_own_assignment_only(world):
    admin = world.a.scope(roles.TENANT_ADMIN)
    e = engage(admin, world.a, contractor(admin)).engagement
    with activate(admin):
        services.staff_assign(scope=admin, engagement=e, person=world.a.worker_person)
        services.staff_assign(scope=admin, engagement=e, person=person(world.a))
    client = login(world.a.users[roles.WORKER])
    rows = client.get("/api/v1/contractors/staff/").json()["results"]
    assert [r["person"] for r in rows] == [str(world.a.worker_person.pk)]
    page = client.get(f"/people/{world.a.worker_person.pk}/")
    assert page.status_code == 200 and 'data-testid="person-contractor-panel"' in page.content.decode()


def test_regulator_reads_its_region_and_never_writes(world):
    admin = world.a.scope(roles.TENANT_ADMIN)
    c = contractor(admin, name="区域内外包")
    engage(admin, world.a, c)
    client = login(world.regulator_in)
    names = [r["name"] for r in client.get("/api/v1/contractors/companies/").json()["results"]]
    assert "区域内外包" in names
    assert client.get(f"/contractors/{c.pk}/").status_code == 200
    assert (
        client.post(
            f"/api/v1/contractors/companies/{c.pk}/status/",
            {"status": "blacklisted", "reason": "x"},
            content_type="application/json",
        ).status_code
        == 403
    )
    out = login(world.regulator_out)
    assert out.get(f"/contractors/{c.pk}/").status_code in (403, 404)  # no grant at all: 403


def test_phase_out_through_the_page(world):
    admin = world.a.scope(roles.TENANT_ADMIN)
    c = contractor(admin, qualified=False)
    client = login(world.a.users[roles.TENANT_ADMIN])
    response = client.post(
        f"/contractors/{c.pk}/status/", {"status": "phased_out", "reason": "考核不合格", "on": "2026-06-29"}
    )
    assert response.status_code == 302
    with dangerously_platform_scope():  # row-level security: no scope reads nothing
        c.refresh_from_db()
    assert (c.status, c.status_on) == ("phased_out", datetime.date(2026, 6, 29))
    dashboard = client.get("/contractors/dashboard/").content.decode()
    assert c.name in dashboard and 'data-testid="contractors-chart"' in dashboard
    assert client.get("/contractors/dashboard/chart.svg").status_code == 200


def test_contractor_file_pdf_and_register_export(world):
    import io

    from openpyxl import load_workbook

    admin = world.a.scope(roles.TENANT_ADMIN)
    c = contractor(admin, name="档案测试外包")
    engage(admin, world.a, c)
    client = login(world.a.users[roles.HQ_AUDITOR])
    pdf = client.get(f"/contractors/{c.pk}/file.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    xlsx = client.get("/contractors/export.xlsx", {"q": "档案"})
    assert xlsx.status_code == 200
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == "档案测试外包"
