"""The pages: the duty officer's queue and an alarm's page with the handling forms (errors in
Chinese, field by field), statistics for HQ and regulators, the feed keys, the import."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.utils import timezone
from openpyxl import Workbook

from compliance.alarms.models import Alarm, AlarmFeed
from compliance.jobs.models import Job
from tenants import roles

from ..conftest import login
from .helpers import feed, handle, incoming, ingest, platform

pytestmark = pytest.mark.django_db


def _errors(response) -> dict[str, str]:
    return dict(re.findall(r'class="error" data-field="([a-z_]+)">([^<]+)<', response.content.decode()))


def test_the_queue_puts_open_alarms_first_and_filters(world):
    closed = handle(world.a, ingest(world.a, incoming(point_code="C1"))[0])
    late = ingest(
        world.a, incoming(point_code="L1", occurred_at=timezone.now() - datetime.timedelta(hours=3))
    )[0]
    fresh = ingest(world.a, incoming(point_code="F1", kind="co"))[0]
    client = login(world.a.users[roles.SAFETY_MANAGER])
    page = client.get("/alarms/").content.decode()
    assert page.index(str(late.pk)) < page.index(str(fresh.pk)) < page.index(str(closed.pk))
    assert "待核实" in page  # the overdue one: a warning while the deadline is unverified
    page = client.get("/alarms/", {"overdue": "on"}).content.decode()
    assert str(late.pk) in page and str(fresh.pk) not in page
    page = client.get("/alarms/", {"kind": "co"}).content.decode()
    assert str(fresh.pk) in page and str(late.pk) not in page
    page = client.get("/alarms/", {"status": "closed"}).content.decode()
    assert str(closed.pk) in page and str(late.pk) not in page
    page = client.get("/alarms/", {"mine": str(world.a.mine.pk), "point": "F1"}).content.decode()
    assert str(fresh.pk) in page and str(late.pk) not in page


def test_handling_through_the_forms_with_chinese_errors(world):
    alarm = ingest(world.a, incoming())[0]
    client = login(world.a.users[roles.SAFETY_MANAGER])
    client.cookies["django_language"] = "zh-hans"
    base = f"/alarms/{alarm.pk}/"
    page = client.get(base).content.decode()
    assert 'data-testid="alarm-acknowledge"' in page and 'data-testid="alarm-close"' not in page
    assert client.post(base + "acknowledge/", {}).status_code == 302
    response = client.post(base + "check/", {"findings": ""})
    assert response.status_code == 400 and _errors(response) == {"findings": "此项为必填项。"}
    assert client.post(base + "check/", {"findings": "现场瓦斯 0.3%"}).status_code == 302
    response = client.post(base + "close/", {"cause": "", "measures": ""})
    assert response.status_code == 400 and set(_errors(response)) == {"cause", "measures"}
    assert client.post(base + "close/", {"cause": "采空区涌出", "measures": "加强通风"}).status_code == 302
    page = client.get(base).content.decode()
    assert "采空区涌出" in page and 'data-testid="alarm-history"' in page
    # A step the state no longer allows: a message, nothing changes.
    response = client.post(base + "acknowledge/", {}, follow=True)
    assert response.status_code == 200
    with platform():
        assert Alarm.objects.get(pk=alarm.pk).status == "closed"


def test_readers_see_no_forms_and_may_not_write(world):
    alarm = ingest(world.a, incoming())[0]
    for user in (world.a.users[roles.HQ_AUDITOR], world.regulator_in):
        client = login(user)
        page = client.get(f"/alarms/{alarm.pk}/").content.decode()
        assert 'data-testid="alarm-acknowledge"' not in page
        assert client.post(f"/alarms/{alarm.pk}/acknowledge/", {}).status_code == 403
    assert login(world.regulator_out).get(f"/alarms/{alarm.pk}/").status_code in (403, 404)
    assert login(world.b.users[roles.TENANT_ADMIN]).get(f"/alarms/{alarm.pk}/").status_code == 404
    assert login(world.a.users[roles.WORKER]).get("/alarms/").status_code == 403


def test_statistics_for_hq_and_the_regulator(world):
    handle(world.a, ingest(world.a, incoming())[0])
    ingest(world.a, incoming())
    for user in (world.a.users[roles.HQ_AUDITOR], world.regulator_in):
        client = login(user)
        page = client.get("/alarms/stats/").content.decode()
        assert world.a.mine.name in page and 'data-testid="alarm-stats-row"' in page
        chart = client.get("/alarms/stats/chart.svg")
        assert chart.status_code == 200 and chart["Content-Type"].startswith("image/svg")
    page = login(world.b.users[roles.HQ_AUDITOR]).get("/alarms/stats/").content.decode()
    assert world.a.mine.name not in page


def test_feed_keys_page(world):
    client = login(world.a.users[roles.SAFETY_MANAGER])
    response = client.post("/alarms/feeds/", {"mine": str(world.a.mine.pk), "name": ""})
    assert response.status_code == 400 and "name" in _errors(response)
    response = client.post("/alarms/feeds/", {"mine": str(world.a.mine.pk), "name": "KJ90X"})
    assert response.status_code == 201
    key = re.search(r"<code>(kaf_[^<]+)</code>", response.content.decode()).group(1)
    with platform():
        made = AlarmFeed.objects.get(name="KJ90X")
        assert key not in str(made.__dict__)  # only its hash is kept
    assert client.post(f"/alarms/feeds/{made.pk}/revoke/").status_code == 302
    with platform():
        made.refresh_from_db()
        assert made.revoked_at is not None
    # Another group's mine is not offered, and naming it is 404.
    assert client.post("/alarms/feeds/", {"mine": str(world.b.mine.pk), "name": "x"}).status_code == 404
    assert login(world.a.users[roles.HQ_AUDITOR]).get("/alarms/feeds/").status_code == 403


# The template's headers (accepted in either language).
HEADER = [
    "System's alarm id",
    "System",
    "Alarm kind",
    "Point code",
    "Location",
    "Value",
    "Unit",
    "Limit",
    "Occurred at",
    "Ended at",
]


def _xlsx(rows) -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("export.xlsx", out.getvalue())


def _header(key: str) -> str:
    """A column's header as the import reports it (the upload's language: Chinese by default)."""
    from django.utils import translation

    from compliance.alarms.alarms_io import COLUMNS

    with translation.override("zh-hans"):
        return next(str(c.label) for c in COLUMNS if c.key == key)


def _upload(client, mine, file) -> Job:
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post("/alarms/import/", {"org_unit": str(mine.pk), "file": file})
    assert response.status_code == 302, response.content.decode()[:800]
    with platform():
        return Job.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])


def test_import_all_or_nothing_with_row_errors(world):
    stored = ingest(world.a, incoming(source_id="X-1"))[0]
    client = login(world.a.users[roles.SAFETY_MANAGER])
    good = ["X-2", "安全监控", "瓦斯", "T0101", "1301 回风巷", 1.2, "%", 1.0, "2026-03-01 08:15", ""]
    bad = ["X-3", "安全监控", "火山", "", "", "abc", "", "", "昨天", ""]
    job = _upload(client, world.a.mine, _xlsx([good, bad]))
    assert job.status == "failed" or job.status == "rejected", job.status
    problems = {(e["row"], e["column"]) for e in job.result["errors"]}
    # Kind, point, value and time of row 3 (headers as the uploader's language shows them).
    assert {(3, _header("kind")), (3, _header("point_code")), (3, _header("occurred_at"))} <= problems
    assert len([p for p in problems if p[0] == 3]) == 4 and not [p for p in problems if p[0] == 2]
    with platform():
        assert Alarm.objects.filter(tenant=world.a.tenant).count() == 1
    again = ["X-1", "安全监控", "瓦斯", "T0101", "", "", "", "", "2026-03-01 08:00", ""]
    job = _upload(client, world.a.mine, _xlsx([good, again]))
    assert job.status == "succeeded", job.result
    assert job.result["imported"] == 1 and job.result["already_stored"] == 1
    with platform():
        assert Alarm.objects.filter(tenant=world.a.tenant).count() == 2
        assert Alarm.objects.get(source_id="X-2").source == "import"
        assert Alarm.objects.get(pk=stored.pk).source == "feed"


def test_import_of_a_csv_export(world):
    client = login(world.a.users[roles.SAFETY_MANAGER])
    text = ",".join(HEADER) + "\n" + "C-1,安全监控,一氧化碳,CO01,2号煤仓,30,ppm,24,2026-03-02 10:00,\n"
    job = _upload(client, world.a.mine, SimpleUploadedFile("export.csv", text.encode("gb18030")))
    assert job.status == "succeeded", job.result
    with platform():
        assert Alarm.objects.get(source_id="C-1").kind == "co"


def test_the_feed_key_can_be_used(world):
    _f, key = feed(world.a)
    assert key.startswith("kaf_")


def test_the_deadlines_page(world):
    admin = login(world.a.users[roles.TENANT_ADMIN])
    page = admin.get("/alarms/deadlines/").content.decode()
    assert "待核实" in page and 'name="close_hours"' in page
    body = {
        "kind": "gas",
        "acknowledge_minutes": 5,
        "close_hours": 48,
        "escalate_hq_hours": 24,
        "source": "办法",
    }
    response = admin.post("/alarms/deadlines/", body)
    assert response.status_code == 400 and "close_hours" in _errors(response)
    assert admin.post("/alarms/deadlines/", {**body, "close_hours": 12}).status_code == 302
    assert "办法" in admin.get("/alarms/deadlines/").content.decode()
    # Readers see the table, not the form; another group keeps the national deadline.
    for user in (world.a.users[roles.SAFETY_MANAGER], world.regulator_in):
        page = login(user).get("/alarms/deadlines/").content.decode()
        assert 'name="close_hours"' not in page
    assert "办法" not in login(world.b.users[roles.TENANT_ADMIN]).get("/alarms/deadlines/").content.decode()
    assert login(world.a.users[roles.SAFETY_MANAGER]).post("/alarms/deadlines/", body).status_code == 403
