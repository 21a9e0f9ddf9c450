"""The points pages and API: the worker's phone page, the record and reversal forms with field
errors, the watch list and the ranking board, the API's ledger, balances and ranking; a regulator
reads team figures only and writes nothing; another group's objects are 404; constant queries."""

from __future__ import annotations

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from compliance.points import services
from compliance.points.models import Entry
from tenants import roles
from tenants import services as tenant_services
from tenants.scope import activate, dangerously_platform_scope

from ..conftest import login
from ..factories import resident_id
from .factories import install, rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def a(world):
    install(world.a)
    return world.a


def record(tw, code, person, reason="检查发现"):
    sm = tw.scope(roles.SAFETY_MANAGER)
    with activate(sm):
        return services.entry_record(
            scope=sm, person=person, rule=rule(tw, code), occurred_on=datetime.date.today(), reason=reason
        ).entry


def grow(tw, n: int, start: int = 0) -> None:
    """n more people in the team, each with an entry."""
    with dangerously_platform_scope() as platform:
        people = [
            tenant_services.person_create(
                scope=platform,
                org_unit=tw.team,
                resident_id=resident_id("520201", birth="19900101", seq=start + i),
                name=f"新工{start + i}",
                employee_no=f"N-{start + i:03d}",
                post_category="other",
            )
            for i in range(n)
        ]
    for person in people:
        record(tw, "SW-ZY-3", person)


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


def test_the_worker_page_shows_balance_history_and_thresholds(a):
    record(a, "SW-ZY-2", a.worker_person, reason="未戴安全帽")
    record(a, "SW-ZY-3", a.people[1], reason="别人的违章")
    page = login(a.users[roles.WORKER]).get(reverse("points:me")).content.decode()
    assert 'data-testid="points-balance-value">9<' in page
    assert "未戴安全帽" in page and "别人的违章" not in page
    assert page.count("<li>") >= 3  # the three thresholds explained


def test_the_record_form_answers_field_by_field(a):
    client = login(a.users[roles.SAFETY_MANAGER])
    url = reverse("points:entry-create")
    assert client.get(url).status_code == 200
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    response = client.post(
        url,
        {
            "person": str(a.worker_person.pk),
            "rule": str(rule(a, "SW-ZY-3").pk),
            "occurred_on": tomorrow.isoformat(),
            "reason": "x",
            "evidence_url": "not a link",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-field="occurred_on"' in body and 'data-field="evidence_url"' in body
    response = client.post(url, {})
    assert response.status_code == 400 and 'data-field="reason"' in response.content.decode()
    response = client.post(
        url,
        {
            "person": str(a.worker_person.pk),
            "rule": str(rule(a, "SW-ZY-3").pk),
            "occurred_on": datetime.date.today().isoformat(),
            "reason": "未戴安全帽",
        },
    )
    assert response.status_code == 302
    with dangerously_platform_scope():
        assert Entry.objects.filter(person=a.worker_person, points=-1).count() == 1


def test_the_reversal_form_records_a_reversing_entry(a):
    entry = record(a, "SW-ZY-2", a.worker_person)
    client = login(a.users[roles.SAFETY_MANAGER])
    url = reverse("points:entry-reverse", kwargs={"pk": entry.pk})
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400 and 'data-field="reason"' in response.content.decode()
    assert client.post(url, {"reason": "复核认定有误"}).status_code == 302
    with dangerously_platform_scope():
        assert Entry.objects.get(reverses=entry).points == 3
    # A team leader may not correct entries.
    assert login(a.users[roles.TEAM_LEADER]).post(url, {"reason": "x"}).status_code == 403


def test_another_groups_entry_is_404_and_a_regulator_writes_nothing(world, a):
    install(world.b)
    b_entry = record(world.b, "SW-ZY-3", world.b.worker_person)
    client = login(a.users[roles.SAFETY_MANAGER])
    assert client.get(reverse("points:entry-reverse", kwargs={"pk": b_entry.pk})).status_code == 404
    assert client.get(f"/api/v1/points/entries/{b_entry.pk}/").status_code == 404
    body = {"reason": "越界"}
    url = f"/api/v1/points/entries/{b_entry.pk}/reverse/"
    assert client.post(url, json.dumps(body), content_type="application/json").status_code == 404
    regulator = login(world.regulator_in)
    assert regulator.post(url, json.dumps(body), content_type="application/json").status_code == 403
    own = record(a, "SW-ZY-3", a.worker_person)
    url = f"/api/v1/points/entries/{own.pk}/reverse/"
    assert regulator.post(url, json.dumps(body), content_type="application/json").status_code == 403
    with dangerously_platform_scope():
        assert not Entry.objects.filter(reverses__in=[b_entry, own]).exists()


def test_a_regulator_reads_team_figures_but_no_ones_history(world, a):
    record(a, "SW-ZY-2", a.worker_person, reason="个人记录")
    regulator = login(world.regulator_in)
    listing = regulator.get("/api/v1/points/entries/").json()
    assert listing["count"] == 0
    ranking = regulator.get(f"/api/v1/points/ranking/{a.mine.pk}/").json()
    assert ranking["teams"][0]["points"] == -3 and ranking["teams"][0]["violations"] == 1
    page = regulator.get(reverse("points:ranking"), {"mine": a.mine.pk}).content.decode()
    assert a.team.name in page and "个人记录" not in page and a.worker_person.name not in page


def test_the_api_records_and_reverses(a):
    client = login(a.users[roles.TEAM_LEADER])
    body = {
        "person": str(a.worker_person.pk),
        "rule": str(rule(a, "SW-ZY-3").pk),
        "occurred_on": datetime.date.today().isoformat(),
        "reason": "未按规定交接班",
    }
    response = client.post("/api/v1/points/entries/", json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    entry_id = response.json()["entry"]["id"]
    assert response.json()["entry"]["points"] == -1
    bad = client.post(
        "/api/v1/points/entries/", json.dumps({**body, "reason": " "}), content_type="application/json"
    )
    assert bad.status_code == 400
    manager = login(a.users[roles.SAFETY_MANAGER])
    url = f"/api/v1/points/entries/{entry_id}/reverse/"
    response = manager.post(url, json.dumps({"reason": "记录有误"}), content_type="application/json")
    assert response.status_code == 201 and response.json()["points"] == 1
    balances = manager.get("/api/v1/points/balances/").json()["results"]
    assert [(b["person"], b["balance"]) for b in balances] == [(str(a.worker_person.pk), 12)]
    mine = login(a.users[roles.WORKER]).get("/api/v1/points/entries/").json()
    assert mine["count"] == 2


@pytest.mark.parametrize(
    "url",
    [
        "/points/",
        "/points/watch/",
        "/points/ranking/",
        "/api/v1/points/entries/",
        "/api/v1/points/balances/",
    ],
)
def test_lists_run_a_constant_number_of_queries(a, url):
    client = login(a.users[roles.SAFETY_MANAGER])
    grow(a, 2)
    few = queries(client, url)
    grow(a, 48, start=2)
    assert queries(client, url) == few


def test_the_team_page_and_the_ranking_board(a):
    record(a, "SW-ZY-2", a.worker_person)
    client = login(a.users[roles.SAFETY_MANAGER])
    page = client.get(reverse("points:team", kwargs={"pk": a.team.pk})).content.decode()
    assert a.worker_person.name in page
    board = client.get(reverse("points:ranking"), {"mine": a.mine.pk, "month": "2026-06"})
    assert board.status_code == 200 and a.team.name in board.content.decode()


def test_the_ledger_exports_to_excel_and_the_export_is_audited(a):
    import io

    from openpyxl import load_workbook

    from compliance.audit.models import AuditEvent

    record(a, "SW-ZY-2", a.worker_person, reason='=HYPERLINK("x")')
    response = login(a.users[roles.SAFETY_MANAGER]).get(reverse("points:entry-export"))
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][2] == a.worker_person.name and rows[1][5] == -3
    assert ws.cell(row=2, column=7).data_type != "f"  # text never becomes a formula
    with dangerously_platform_scope():
        assert AuditEvent.objects.filter(action="points_export", tenant=a.tenant).exists()


def test_the_group_installs_the_defaults_and_sets_a_threshold_on_the_rules_page(world):
    from compliance.points.models import PointsRule, Threshold

    a = world.a
    admin = login(a.users[roles.TENANT_ADMIN])
    assert admin.post(reverse("points:defaults-install"), {}).status_code == 400
    assert admin.post(reverse("points:defaults-install"), {"confirm": "on"}).status_code == 302
    page = admin.get(reverse("points:rules")).content.decode()
    assert "SW-ZH-1" in page and 'data-testid="points-threshold-save"' in page
    with dangerously_platform_scope():
        assert PointsRule.objects.filter(tenant=a.tenant).count() > 10
        assert not Threshold.objects.get(tenant=a.tenant, action="hold").verified
    assert admin.post(reverse("points:threshold-set"), {"action": "hold", "below": "2"}).status_code == 302
    with dangerously_platform_scope():
        hold = Threshold.objects.get(tenant=a.tenant, action="hold")
        assert hold.verified and hold.below == 2
    # A mine's safety manager reads the page but sets no group threshold.
    manager = login(a.users[roles.SAFETY_MANAGER])
    assert 'data-testid="points-threshold-save"' not in manager.get(reverse("points:rules")).content.decode()
    response = manager.post(reverse("points:threshold-set"), {"action": "hold", "below": "5"})
    assert response.status_code == 403


def test_the_person_page_shows_the_points_panel(a):
    record(a, "SW-ZY-2", a.worker_person, reason="未戴安全帽")
    page = login(a.users[roles.SAFETY_MANAGER]).get(
        reverse("person-detail", kwargs={"pk": a.worker_person.pk})
    )
    body = page.content.decode()
    assert 'data-testid="person-points-panel"' in body and "未戴安全帽" in body


def test_the_group_sets_its_cycle(a):
    from compliance.points.models import PointsSettings

    admin = login(a.users[roles.TENANT_ADMIN])
    url = reverse("points:settings-set")
    assert admin.post(url, {}).status_code == 400
    body = {"cycle": "month", "starting_balance": "10", "carry_over_cap": "2"}
    assert admin.post(url, body).status_code == 302
    assert login(a.users[roles.SAFETY_MANAGER]).post(url, body | {"cycle": "year"}).status_code == 403
    with dangerously_platform_scope():
        row = PointsSettings.objects.get(tenant=a.tenant)
    assert (row.cycle, row.starting_balance, row.carry_over_cap) == ("month", 10, 2)
    entry = record(a, "SW-ZY-3", a.worker_person)
    assert entry.cycle_start == datetime.date.today().replace(day=1)
