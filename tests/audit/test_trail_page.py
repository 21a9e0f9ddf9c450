"""The audit trail as auditors and regulators read it: sentences in the user's language, changes
field by field, filters, page numbers, the Excel export (itself audited), a constant number of
queries."""

import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from compliance.audit.context import ActorContext, acting_as
from compliance.audit.models import AuditEvent
from compliance.audit.services import audit_record, audit_verify
from tenants import roles, services
from tenants.scope import activate, dangerously_platform_scope

from ..conftest import login

pytestmark = pytest.mark.django_db


def _as(user, role):
    return acting_as(ActorContext(user_id=user.pk, username=user.get_username(), role=role))


def _manager_edits(world, person, **fields):
    manager = world.a.users[roles.SAFETY_MANAGER]
    scope = world.a.scope(roles.SAFETY_MANAGER)
    with activate(scope), _as(manager, roles.SAFETY_MANAGER):
        return services.person_update(scope=scope, person=person, **fields)


def _page(user, query="", lang="zh-hans"):
    response = login(user).get(f"/audit/{query}", HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200
    return response.content.decode()


def _rows(html):
    return re.findall(r'<tr data-testid="audit-row">(.*?)</tr>\n?(?=<tr data-testid|</tbody>)', html, re.S)


def test_an_event_reads_as_a_sentence_with_its_changes_field_by_field(world):
    person = world.a.people[1]
    _manager_edits(world, person, job_title="电工班长", phone="13812345678")
    html = _page(world.a.users[roles.HQ_AUDITOR])
    first = _rows(html)[0]
    assert "安全管理人员" in first  # the role, translated
    assert "修改" in first and "人员" in first  # the action and the object kind
    assert f"/people/{person.pk}/" in first  # linked: the auditor may open the person
    assert "职务" in first or "岗位" in first  # the field's verbose name, not "job_title"
    assert "job_title" not in first and "{" not in first  # no raw dict
    assert "电工班长" in first
    assert "138****5678" in first and "13812345678" not in first  # phones masked as elsewhere


def test_english_viewers_read_english(world):
    _manager_edits(world, world.a.people[1], job_title="电工班长")
    first = _rows(_page(world.a.users[roles.HQ_AUDITOR], "?lang=en", lang="en"))[0]
    assert "Safety manager" in first and "Update" in first


def test_the_demo_and_scheduled_jobs_name_a_readable_system_actor_without_rewriting_events(world):
    with (
        dangerously_platform_scope(),
        acting_as(ActorContext(username="manage.py seed_demo", role="platform")),
    ):
        audit_record(action="update", obj=world.a.people[2], before={"name": "旧"}, after={"name": "新"})
    with dangerously_platform_scope():
        audit_record(action="lapsed", obj=world.a.people[3], before={"name": "甲"}, after={"name": "乙"})
    rows = _rows(_page(world.a.users[roles.HQ_AUDITOR]))
    assert "系统（定时任务）" in rows[0] and "系统（演示数据）" in rows[1]
    assert "manage.py" not in rows[1] and "平台" not in rows[1]
    with dangerously_platform_scope():
        assert AuditEvent.objects.filter(actor_label="manage.py seed_demo").exists()  # stored as it was
    assert audit_verify().intact


def test_a_full_resident_id_in_an_old_event_is_masked_when_shown(world):
    with dangerously_platform_scope():
        audit_record(action="update", obj=world.a.people[2], after={"resident_id": "520201199001011234"})
    first = _rows(_page(world.a.users[roles.HQ_AUDITOR]))[0]
    assert "5202**********1234" in first and "520201199001011234" not in first


def test_the_action_filter_offers_every_capabilitys_actions_and_filters_by_them(world):
    html = _page(world.a.users[roles.HQ_AUDITOR])
    for value in ("score_item", "review_start", "suspend", "login_failed", "update"):
        assert f'<option value="{value}"' in html
    assert "自评打分" in html and "开始复核" in html
    _manager_edits(world, world.a.people[1], job_title="队长")
    rows = _rows(_page(world.a.users[roles.HQ_AUDITOR], "?action=update"))
    assert rows and all("修改" in r for r in rows)


def test_filters_by_actor_kind_unit_and_dates(world):
    _manager_edits(world, world.a.people[1], job_title="队长")
    auditor = world.a.users[roles.HQ_AUDITOR]
    assert len(_rows(_page(auditor, "?actor=a-safety"))) == 1
    assert len(_rows(_page(auditor, "?actor=nobody-like-this"))) == 0
    kinds = _rows(_page(auditor, "?object_type=tenants.OrgUnit"))
    assert kinds and all("组织单位" in r for r in kinds)
    other = _rows(_page(auditor, f"?unit={world.a.other_mine.pk}"))
    with dangerously_platform_scope():
        expected = AuditEvent.objects.filter(org_path__startswith=world.a.other_mine.path).count()
    assert len(other) == min(expected, 50) and expected
    assert _rows(_page(auditor, "?since=2000-01-01&until=2000-01-02")) == []
    assert _rows(_page(auditor, "?since=2000-01-01"))


def test_the_pager_shows_page_numbers(world):
    with dangerously_platform_scope():
        for i in range(120):
            audit_record(action="update", obj=world.a.people[0], before={"name": "a"}, after={"name": str(i)})
    html = _page(world.a.users[roles.HQ_AUDITOR], "?page=2")
    assert 'aria-current="page">2<' in html
    assert "page=1" in html and "page=3" in html


def test_export_writes_the_filtered_events_and_is_audited(world):
    _manager_edits(world, world.a.people[1], job_title="队长")
    response = login(world.a.users[roles.HQ_AUDITOR]).get(
        "/audit/export/?action=update", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "时间" and len(rows) >= 2
    assert all(r[4] == "修改" for r in rows[1:])
    with dangerously_platform_scope():
        event = AuditEvent.objects.filter(action="export").latest("created_at", "seq")
    assert event.tenant_id == world.a.tenant.pk and event.org_path == world.a.hq.path
    assert event.after["rows"] == len(rows) - 1 and event.after["filters"] == {"action": "update"}
    assert event.actor_label == world.a.users[roles.HQ_AUDITOR].get_username()


def test_a_regulator_exports_its_regions_events_only(world, django_capture_on_commit_callbacks):
    # Its request is read-only on PostgreSQL: the export is recorded as the transaction ends.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = login(world.regulator_in).get("/audit/export/")
    assert len(callbacks) == 1
    assert response.status_code == 200
    paths = (world.a.mine.path, world.b.mine.path)
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row > 1
    with dangerously_platform_scope():
        event = AuditEvent.objects.filter(action="export").latest("created_at", "seq")
        visible = [e for e in AuditEvent.objects.exclude(pk=event.pk) if e.org_path.startswith(paths)]
    assert event.tenant_id is None  # the platform's chain, as a regulator's own actions
    assert event.after["rows"] == sheet.max_row - 1 <= len(visible) + 1


def test_people_without_the_audit_permission_cannot_export(world):
    for role in (roles.WORKER, roles.SAFETY_MANAGER):
        assert login(world.a.users[role]).get("/audit/export/").status_code == 403


def _events_by_many_actors(world, n):
    manager = world.a.users[roles.SAFETY_MANAGER]
    admin = world.a.users[roles.TENANT_ADMIN]
    with dangerously_platform_scope():
        for i in range(n):
            user, role = (manager, roles.SAFETY_MANAGER) if i % 2 else (admin, roles.TENANT_ADMIN)
            with _as(user, role):
                audit_record(
                    action="update",
                    obj=world.a.people[i % 4],
                    before={"org_unit": str(world.a.team.pk), "person": str(world.a.people[0].pk)},
                    after={"org_unit": str(world.a.mine.pk), "phone": f"1380000{i:04d}"},
                )


@pytest.mark.parametrize("url", ["/audit/", "/audit/export/"])
def test_queries_do_not_grow_with_the_rows(world, url):
    auditor = world.a.users[roles.HQ_AUDITOR]
    client = login(auditor)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    _events_by_many_actors(world, 2)
    small = count()
    _events_by_many_actors(world, 48)
    # The export's own audit event adds one row between the runs: not a query more.
    assert count() == small


def test_the_api_filters_by_any_capabilitys_action_and_names_it(world):
    with dangerously_platform_scope():
        audit_record(action="score_item", obj=world.a.mine, object_type="grading.ItemScore", object_id="1")
    response = login(world.a.users[roles.HQ_AUDITOR]).get(
        "/api/v1/audit-events/?action=score_item", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 200
    (event,) = response.json()["results"]
    assert event["action"] == "score_item" and event["action_label"] == "自评打分"
    assert event["object_kind"] == "评分项得分"
