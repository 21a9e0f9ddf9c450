"""The pages of posts and shifts: who sees what, forms that refuse bad input field by field,
the pithead notice, constant query counts."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from compliance.duties import services
from compliance.duties.models import Post, PostAppointment, ShiftRecord
from tenants import roles
from tenants.scope import activate, dangerously_platform_scope

from ...conftest import login
from .helpers import D, appoint, full_roster, make_people

pytestmark = pytest.mark.django_db


def test_roster_list_for_manager_and_regulator_but_not_worker(world):
    full_roster(world.a, seq=700)
    full_roster(world.b, seq=800)
    url = reverse("duties:post-roster")
    body = login(world.a.users[roles.SAFETY_MANAGER]).get(url).content.decode()
    assert world.a.mine.name in body and world.b.mine.name not in body
    reg = login(world.regulator_in).get(url)
    assert reg.status_code == 200
    text = reg.content.decode()
    assert world.a.mine.name in text and world.b.mine.name in text  # both groups' Guizhou mines
    assert world.a.other_mine.name not in text  # Yunnan: outside the jurisdiction
    assert login(world.a.users[roles.WORKER]).get(url).status_code == 403


def test_appoint_through_the_form_and_errors_field_by_field(world):
    tw = world.a
    [person] = make_people(tw, 1)
    client = login(tw.users[roles.SAFETY_MANAGER])
    url = reverse("duties:appointment-create", kwargs={"pk": tw.mine.pk})
    assert client.get(url).status_code == 200
    bad = client.post(url, {"post": Post.MINE_MANAGER, "person": person.pk, "years_experience": "-1"})
    assert bad.status_code == 400
    text = bad.content.decode()
    assert 'data-field="started_on"' in text and 'data-field="education"' in text
    ok = client.post(
        url,
        {"post": Post.MINE_MANAGER, "person": person.pk, "started_on": "2026-01-05", "education": 3,
         "years_experience": 8, "full_time": "on", "mining_field": "on"},
    )  # fmt: skip
    assert ok.status_code == 302
    with dangerously_platform_scope():
        appt = PostAppointment.objects.get(tenant=tw.tenant)
    detail = client.get(reverse("duties:appointment-detail", kwargs={"pk": appt.pk}))
    assert person.name in detail.content.decode()
    end = client.post(reverse("duties:appointment-end", kwargs={"pk": appt.pk}), {"ended_on": "2025-01-01"})
    assert end.status_code == 400
    end = client.post(reverse("duties:appointment-end", kwargs={"pk": appt.pk}), {"ended_on": "2026-02-01"})
    assert end.status_code == 302


def test_filing_list_flags_late_and_records_filing(world):
    tw = world.a
    [person] = make_people(tw, 1)
    appt = appoint(tw, tw.mine, Post.MINE_MANAGER, person, on=D(2025, 1, 5))
    client = login(tw.users[roles.SAFETY_MANAGER])
    body = client.get(reverse("duties:filing-list") + "?late=1").content.decode()
    assert 'data-testid="late"' in body
    with dangerously_platform_scope():
        filing = appt.filings.get()
    url = reverse("duties:filing-record", kwargs={"pk": filing.pk})
    response = client.post(url, {"filed_on": "2025-02-01"})
    assert response.status_code == 302
    with dangerously_platform_scope():
        filing.refresh_from_db()
    assert filing.filed_on == D(2025, 2, 1)


def test_shift_pages_forms_import_and_notice(world):
    tw = world.a
    [manager] = make_people(tw, 1)
    appoint(tw, tw.mine, Post.MINE_MANAGER, manager, on=D(2025, 1, 1))
    client = login(tw.users[roles.SAFETY_MANAGER])
    today = datetime.date.today()
    plan = client.post(
        reverse("duties:shift-plan-set", kwargs={"pk": tw.mine.pk}),
        {"on_date": today.isoformat(), "shift": 1, "leader": manager.pk},
    )
    assert plan.status_code == 302
    bad = client.post(
        reverse("duties:shift-record-save", kwargs={"pk": tw.mine.pk}),
        {"on_date": today.isoformat(), "shift": 1, "crew_down_at": "2026-03-02T07:00",
         "crew_up_at": "2026-03-02T06:00", "leader": manager.pk},
    )  # fmt: skip
    assert bad.status_code == 400 and 'data-field="crew_up_at"' in bad.content.decode()
    csv = (
        "日期,班次,人员下井时间,人员升井时间,带班领导工号,领导下井时间,领导升井时间\n"
        f"{today},早班,{today} 07:00,{today} 15:00,{manager.employee_no},{today} 07:00,{today} 14:00\n"
        f"{today},中班,{today} 15:00,{today} 23:00,,,\n"
        f"{today},夜班,{today} 23:00,bad,,,\n"
    ).encode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("duties:shift-import", kwargs={"pk": tw.mine.pk})
    refused = client.post(url, {"file": SimpleUploadedFile("定位.csv", csv, "text/csv")})
    assert refused.status_code == 400 and 'data-testid="import-errors"' in refused.content.decode()
    with dangerously_platform_scope():
        assert not ShiftRecord.objects.filter(tenant=tw.tenant).exists()
    good = csv.rsplit(b"\n", 2)[0] + b"\n"
    assert client.post(url, {"file": SimpleUploadedFile("定位.csv", good, "text/csv")}).status_code == 302
    with dangerously_platform_scope():
        assert ShiftRecord.objects.filter(tenant=tw.tenant).count() == 2
    page = client.get(reverse("duties:mine-shifts", kwargs={"pk": tw.mine.pk})).content.decode()
    assert "2 " in page  # summary shows the recorded shifts
    notice = login(world.regulator_in).get(reverse("duties:pithead-notice", kwargs={"pk": tw.mine.pk}))
    assert notice.status_code == 200 and manager.name in notice.content.decode()
    coverage = client.get(reverse("duties:shift-coverage")).content.decode()
    assert tw.mine.name in coverage
    dash = client.get(reverse("duties:posts-dashboard"))
    assert dash.status_code == 200
    chart = client.get(reverse("duties:posts-dashboard-chart"))
    assert chart.status_code == 200 and chart["Content-Type"].startswith("image/svg+xml")


@pytest.mark.parametrize("name", ["duties:post-roster", "duties:shift-coverage", "duties:posts-dashboard",
                                  "duties:filing-list"])  # fmt: skip
@pytest.mark.parametrize("who", ["admin", "regulator"])
def test_lists_run_constant_queries(world, name, who):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    tw = world.a
    client = login(tw.users[roles.TENANT_ADMIN] if who == "admin" else world.regulator_in)
    url = reverse(name)
    [first] = make_people(tw, 1, seq=690)
    appoint(tw, tw.mine, Post.TECH_WATER, first)  # one row of each list before the "small" count
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    full_roster(tw, tw.other_mine, coal=False, seq=720)
    from tenants import services as tenant_services

    with dangerously_platform_scope() as platform:
        for i in range(3):  # more mines in the list (Guizhou: the regulator's too)
            tenant_services.org_unit_create(
                scope=platform, parent=tw.subsidiary, kind="mine", name=f"新增{i}矿",
                mine_profile={"mine_type": "coal_underground", "region_code": "520201"},
            )  # fmt: skip
    with activate(tw.scope(roles.SAFETY_MANAGER)) as scope:
        [manager] = make_people(tw, 1, seq=740)
        for i in range(20):
            services.shift_record_save(
                scope=scope, mine=tw.mine, on_date=datetime.date.today() - datetime.timedelta(days=i % 10),
                shift=1 + i % 3, crew_down_at=datetime.datetime(2026, 3, 2, 7, tzinfo=datetime.UTC),
                crew_up_at=datetime.datetime(2026, 3, 2, 15, tzinfo=datetime.UTC),
            )  # fmt: skip
    with CaptureQueriesContext(connection) as large:
        client.get(url)
    assert len(large) == len(small), [q["sql"][:120] for q in large.captured_queries]
