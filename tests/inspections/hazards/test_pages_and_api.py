"""Pages and API of hidden dangers: the register and its filters, the loop through the forms, the
worker's report from the phone, Excel, the dashboard, the self-check report PDF, constant query
counts, criteria read-only for everyone."""

from __future__ import annotations

import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from compliance.inspections.hazards.models import Criterion, Hazard
from tenants import roles

from ...conftest import login
from .helpers import criterion, photo, plan, platform, register

pytestmark = pytest.mark.django_db
S = Hazard.Status


def _queries(client, url, **params):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries)


def _error_fields(response) -> set[str]:
    import re

    return set(re.findall(r'class="error" data-field="([a-z_]+)"', response.content.decode()))


def test_register_lists_and_api_have_constant_queries(world):
    client = login(world.a.users[roles.TENANT_ADMIN])
    for _ in range(2):
        register(world.a, role=roles.TENANT_ADMIN)
    urls = [reverse("hazards:hazard-list"), reverse("api:hazard-list"), reverse("hazards:dashboard")]
    few = [_queries(client, url) for url in urls]
    for i in range(20):
        register(world.a, role=roles.TENANT_ADMIN, mine=world.a.other_mine if i % 2 else world.a.mine)
    assert [_queries(client, url) for url in urls] == few
    assert _queries(client, reverse("api:hazard-criterion-list")) == _queries(
        client, reverse("api:hazard-criterion-list"), verified="false"
    )


def test_register_count_stops_at_its_cap(world, monkeypatch):
    from compliance.inspections.hazards import selectors

    for _ in range(3):
        register(world.a)
    client = login(world.a.users[roles.SAFETY_MANAGER])
    page = client.get(reverse("hazards:hazard-list")).content.decode()
    assert "3 records" in page or "3 条" in page
    monkeypatch.setattr(selectors, "REGISTER_COUNT_CAP", 2)
    page = client.get(reverse("hazards:hazard-list")).content.decode()
    assert "More than 2 records" in page or "超过 2 条记录" in page
    api = client.get(reverse("api:hazard-list")).json()
    # The pager offers the first rows up to the cap.
    assert api["count"] == 2 and api["count_capped"] is True and len(api["results"]) == 2
    api = client.get(reverse("api:hazard-list"), {"status": "rejected"}).json()
    assert api["count"] == 0 and api["count_capped"] is False


def test_register_filters_and_export(world):
    major = register(world.a, criterion=criterion("4-2"), found_on=datetime.date(2026, 3, 2))
    general = register(world.a, found_on=timezone.localdate() - datetime.timedelta(days=10))
    plan(world.a, general, deadline=timezone.localdate() - datetime.timedelta(days=1))
    client = login(world.a.users[roles.SAFETY_MANAGER])
    page = client.get(reverse("hazards:hazard-list"), {"grade": "major"}).content.decode()
    assert major.number in page and general.number not in page
    page = client.get(reverse("hazards:hazard-list"), {"overdue": "on"}).content.decode()
    assert general.number in page and major.number not in page
    page = client.get(reverse("hazards:hazard-list"), {"criterion": major.criterion_id}).content.decode()
    assert major.number in page and general.number not in page
    api = client.get(reverse("api:hazard-list"), {"status": "open", "source": "self_check"}).json()
    assert api["count"] == 2
    response = client.get(reverse("hazards:hazard-list"), {"export": "xlsx"})
    ws = load_workbook(io.BytesIO(response.content)).active
    assert {row[0] for row in ws.iter_rows(min_row=2, values_only=True)} == {major.number, general.number}


def test_the_loop_through_the_pages(world, settings):
    hazard = register(world.a)
    manager = login(world.a.users[roles.SAFETY_MANAGER])
    auditor = login(world.a.users[roles.HQ_AUDITOR])
    detail = reverse("hazards:hazard-detail", kwargs={"pk": hazard.pk})
    plan_url = reverse("hazards:hazard-plan", kwargs={"pk": hazard.pk})
    # Missing fields come back on the form, in Chinese, nothing saved.
    response = manager.post(plan_url, {"responsible": "", "measures": ""})
    assert response.status_code == 400 and {"responsible", "measures", "deadline"} <= _error_fields(response)
    deadline = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
    response = manager.post(plan_url, {"responsible": "李", "measures": "更换", "deadline": deadline})
    assert response.status_code == 302
    response = manager.post(
        reverse("hazards:hazard-rectified", kwargs={"pk": hazard.pk}), {"note": "已完成", "photos": [photo()]}
    )
    assert response.status_code == 302
    # The rectifier does not get the acceptance button; the auditor does.
    assert 'data-testid="hazard-accept"' not in manager.get(detail).content.decode()
    assert 'data-testid="hazard-accept"' in auditor.get(detail).content.decode()
    accept = reverse("hazards:hazard-accept", kwargs={"pk": hazard.pk})
    assert auditor.get(accept).status_code == 200
    assert auditor.post(accept, {"passed": "1", "note": "合格"}).status_code == 400  # no photo
    assert auditor.post(accept, {"passed": "1", "note": "合格", "photos": [photo()]}).status_code == 302
    assert manager.post(reverse("hazards:hazard-close", kwargs={"pk": hazard.pk})).status_code == 302
    with platform():
        hazard.refresh_from_db()
    assert hazard.status == S.CLOSED
    page = manager.get(detail).content.decode()
    assert page.count("<li>") >= 5  # the whole history
    # A step the state no longer allows: the form is gone.
    assert manager.get(plan_url).status_code == 404


def test_worker_reports_from_the_phone(world):
    worker = login(world.a.users[roles.WORKER])
    url = reverse("hazards:hazard-report")
    page = worker.get(url)
    assert page.status_code == 200 and world.a.mine.name in page.content.decode()
    response = worker.post(
        url, {"mine": world.a.mine.pk, "location": "井口", "description": "护栏缺失", "photos": [photo()]}
    )
    assert response.status_code == 302
    with platform():
        hazard = Hazard.objects.get(tenant=world.a.tenant, source=Hazard.Source.WORKER_REPORT)
    assert hazard.status == S.REPORTED
    # Not the register: a worker sees only their own reports.
    assert worker.get(reverse("hazards:hazard-list")).status_code == 403
    api = worker.get(reverse("api:hazard-list")).json()
    assert [row["id"] for row in api["results"]] == [str(hazard.pk)]
    manager = login(world.a.users[roles.SAFETY_MANAGER])
    response = manager.post(reverse("hazards:hazard-confirm", kwargs={"pk": hazard.pk}), {"grade": "general"})
    assert response.status_code == 302
    with platform():
        hazard.refresh_from_db()
    assert hazard.status == S.REGISTERED


def test_api_steps_and_illegal_step_is_409(world):
    hazard = register(world.a)
    client = login(world.a.users[roles.SAFETY_MANAGER])
    close = reverse("api:hazard-close", kwargs={"pk": hazard.pk})
    response = client.post(close, {}, content_type="application/json")
    assert response.status_code == 409
    response = client.post(
        reverse("api:hazard-plan", kwargs={"pk": hazard.pk}),
        {"responsible": "李", "measures": "更换", "deadline": "2000-01-01"},
        content_type="application/json",
    )
    assert response.status_code == 400 and "deadline" in response.json()
    response = client.post(
        reverse("api:hazard-list"),
        {
            "mine": str(world.a.mine.pk),
            "location": "主井",
            "description": "罐道磨损",
            "criterion": str(criterion("4-11").pk),
            "found_on": "2026-03-01",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["grade"] == "major"
    assert response.json()["events"][0]["action"] == "register"


def test_criteria_are_read_only_reference_data_for_everyone(world):
    one = Criterion.objects.get(code="4-15-1")
    for user in (world.a.users[roles.WORKER], world.regulator_in, world.b.users[roles.TENANT_ADMIN]):
        client = login(user)
        assert client.get(reverse("api:hazard-criterion-detail", kwargs={"pk": one.pk})).status_code == 200
        response = client.post(reverse("api:hazard-criterion-list"), {}, content_type="application/json")
        assert response.status_code in (403, 405)
    reg = login(world.regulator_in)
    assert (
        reg.post(reverse("api:hazard-criterion-list"), {}, content_type="application/json").status_code == 403
    )


def test_regulator_reads_the_region_and_sees_major_reported(world):
    major = register(world.a, criterion=criterion("4-2"), found_on=datetime.date(2026, 3, 2))
    register(world.a, role=roles.TENANT_ADMIN, mine=world.a.other_mine)  # Yunnan: not in the region
    client = login(world.regulator_in)
    data = client.get(reverse("api:hazard-list")).json()
    assert [row["id"] for row in data["results"]] == [str(major.pk)]
    assert data["results"][0]["reported_at"] is not None
    assert client.get(reverse("hazards:hazard-detail", kwargs={"pk": major.pk})).status_code == 200
    out = login(world.regulator_out)
    response = out.get(reverse("api:hazard-list"))
    assert response.status_code == 403 or response.json()["count"] == 0


def test_dashboard_chart_and_self_check_report(world):
    register(world.a, source="regulator")
    register(world.a, criterion=criterion("4-2"), found_on=datetime.date(2026, 3, 2))
    client = login(world.a.users[roles.TENANT_ADMIN])
    page = client.get(reverse("hazards:dashboard")).content.decode()
    assert world.a.mine.name in page
    chart = client.get(reverse("hazards:dashboard-chart"))
    assert chart.status_code == 200 and chart["Content-Type"].startswith("image/svg+xml")
    month = timezone.localdate().strftime("%Y-%m")
    response = client.get(reverse("hazards:self-check-report"), {"mine": world.a.mine.pk, "month": month})
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    b_client = login(world.b.users[roles.TENANT_ADMIN])
    assert b_client.get(reverse("hazards:self-check-report"), {"mine": world.a.mine.pk}).status_code == 404
