"""The rules of monitoring alarms: idempotent intake, the handling loop and its refusals,
deadlines by kind as unverified rule data, escalation once per level."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from compliance.alarms import escalation, rules, services
from compliance.alarms.models import Alarm, AlarmDeadline, AlarmEvent
from compliance.audit.models import AuditEvent
from compliance.errors import Conflict
from compliance.notifications.models import Notification
from compliance.rules.base import mark_verified
from tenants import roles
from tenants.scope import activate

from .helpers import handle, incoming, ingest, platform, step

pytestmark = pytest.mark.django_db
S = Alarm.Status


def _count(**filters) -> int:
    with platform():
        return Alarm.objects.filter(**filters).count()


def test_a_retry_stores_the_alarm_once(world):
    item = incoming(source_id="KJ-0001")
    first = ingest(world.a, item)
    again = ingest(world.a, item, incoming(source_id="KJ-0002"))
    assert again[0].pk == first[0].pk
    assert _count(tenant=world.a.tenant) == 2
    # The same id at another mine is another alarm (unique per mine).
    other = ingest(world.a, item, mine=world.a.other_mine, role=roles.TENANT_ADMIN)
    assert other[0].pk != first[0].pk
    # Twice in one batch: once.
    twice = ingest(world.a, incoming(source_id="KJ-0003"), incoming(source_id="KJ-0003"))
    assert twice[0].pk == twice[1].pk and _count(source_id="KJ-0003") == 1
    with platform():
        assert AuditEvent.objects.filter(action="alarm_receive", tenant_id=world.a.tenant.pk).count() == 4


def test_the_new_flag_says_which_alarms_this_call_stored(world):
    with activate(world.a.scope(roles.SAFETY_MANAGER)) as scope:
        item = incoming()
        first = services.alarms_ingest(scope=scope, mine=world.a.mine, items=[item])
        second = services.alarms_ingest(scope=scope, mine=world.a.mine, items=[item, incoming()])
    assert [new for _a, new in first] == [True]
    assert [new for _a, new in second] == [False, True]


def test_a_bad_alarm_stores_none_of_the_batch(world):
    with pytest.raises(ValidationError) as exc:
        ingest(world.a, incoming(), incoming(kind="volcano"), incoming(point_code=""))
    assert "1: kind" in str(exc.value) and "2: point_code" in str(exc.value)
    assert _count(tenant=world.a.tenant) == 0
    future = timezone.now() + datetime.timedelta(hours=1)
    with pytest.raises(ValidationError):
        ingest(world.a, incoming(occurred_at=future))


def test_ingest_needs_the_right_at_the_mine(world):
    # The safety manager's grant is at the first mine: the second is outside it.
    with pytest.raises(PermissionDenied):
        ingest(world.a, incoming(), mine=world.a.other_mine, role=roles.SAFETY_MANAGER)
    with pytest.raises(PermissionDenied):
        ingest(world.a, incoming(), role=roles.HQ_AUDITOR)
    assert _count(tenant=world.a.tenant) == 0


def test_deadlines_by_kind_come_from_the_rules_and_are_unverified(world):
    occurred = timezone.now() - datetime.timedelta(minutes=1)
    gas, fan = ingest(
        world.a, incoming(kind="gas", occurred_at=occurred), incoming(kind="fan_power", occurred_at=occurred)
    )
    assert gas.acknowledge_due_at == occurred + datetime.timedelta(minutes=10)
    assert gas.close_due_at == occurred + datetime.timedelta(hours=24)
    assert fan.close_due_at == occurred + datetime.timedelta(hours=8)
    assert not gas.deadline_verified and "待核实" in gas.deadline_source
    with platform():
        row = AlarmDeadline.objects.get(kind="gas")
        row.close_hours = 4
        row.save()
        mark_verified(row, by="operator")
    again = ingest(world.a, incoming(kind="gas", occurred_at=occurred))[0]
    assert again.close_due_at == occurred + datetime.timedelta(hours=4) and again.deadline_verified


def test_the_loop_and_its_refusals(world):
    alarm = ingest(world.a, incoming())[0]
    with pytest.raises(Conflict):
        step(world.a, alarm, "close", cause="x", measures="y")
    with pytest.raises(Conflict):
        step(world.a, alarm, "check", findings="x")
    alarm = step(world.a, alarm, "acknowledge")
    assert alarm.status == S.ACKNOWLEDGED and alarm.acknowledged_at and alarm.acknowledged_by
    with pytest.raises(Conflict):
        step(world.a, alarm, "acknowledge")
    with pytest.raises(ValidationError) as exc:
        step(world.a, alarm, "check", findings="  ")
    assert "findings" in exc.value.message_dict
    alarm = step(world.a, alarm, "check", findings="传感器附近瓦斯 0.4%")
    with pytest.raises(ValidationError) as exc:
        step(world.a, alarm, "close", cause="", measures="")
    assert set(exc.value.message_dict) == {"cause", "measures"}
    alarm = step(world.a, alarm, "close", cause="放炮后瓦斯涌出", measures="加强通风")
    assert alarm.status == S.CLOSED and alarm.closed_on_time is True
    with platform():
        assert list(AlarmEvent.objects.filter(alarm=alarm).values_list("action", flat=True)) == [
            "acknowledge", "check", "close",
        ]  # fmt: skip
        assert AuditEvent.objects.filter(object_id=str(alarm.pk), action="alarm_close").count() == 1


def test_handling_needs_the_right(world):
    alarm = ingest(world.a, incoming())[0]
    with pytest.raises(PermissionDenied):
        step(world.a, alarm, "acknowledge", role=roles.HQ_AUDITOR)


def _late(tw, hours_ago: float, **overrides):
    return ingest(
        tw, incoming(occurred_at=timezone.now() - datetime.timedelta(hours=hours_ago), **overrides)
    )[0]


def test_overdue(world):
    fresh = _late(world.a, 0.05)
    unacknowledged = _late(world.a, 1)  # gas: acknowledge within 10 minutes
    now = timezone.now()
    assert not fresh.overdue_at(now) and unacknowledged.overdue_at(now)
    acknowledged = step(world.a, unacknowledged, "acknowledge")
    assert not acknowledged.overdue_at(now)  # the closing deadline still runs
    assert acknowledged.overdue_at(now + datetime.timedelta(hours=24))
    closed_late = handle(world.a, _late(world.a, 30))
    assert closed_late.closed_on_time is False and not closed_late.overdue_at(now)


def test_escalation_rises_once_per_level_and_notifies(world):
    sub = _late(world.a, 1)  # overdue: the subsidiary
    hq = _late(world.a, 49)  # 24 h to close + 24 h more: group HQ
    _late(world.a, 0.01)  # not overdue
    assert escalation.escalate_overdue() == 2
    assert escalation.escalate_overdue() == 0  # idempotent
    with platform():
        sub.refresh_from_db()
        hq.refresh_from_db()
        assert (sub.escalation, hq.escalation) == (1, 2)
        notes = Notification.objects.filter(dedupe_key__startswith="alarm-overdue:")
        users = {n.user_id for n in notes.filter(dedupe_key__endswith=f"{hq.pk}:2")}
        assert world.a.users[roles.TENANT_ADMIN].pk in users  # group HQ
        assert world.a.users[roles.SAFETY_MANAGER].pk in users  # the mine
        sub_users = {n.user_id for n in notes.filter(dedupe_key__endswith=f"{sub.pk}:1")}
        assert world.a.users[roles.TENANT_ADMIN].pk not in sub_users
        assert "待核实" in notes.first().body
        count = notes.count()
    # Later the other two reach group HQ (one straight from level 0); a closed alarm never escalates.
    later = timezone.now() + datetime.timedelta(hours=49)
    handle(world.a, hq)
    assert escalation.escalate_overdue(later) == 2
    with platform():
        sub.refresh_from_db()
        assert sub.escalation == 2
        assert Notification.objects.filter(dedupe_key__startswith="alarm-overdue:").count() > count
    assert escalation.escalate_overdue(later) == 0


def test_the_beat_schedule_runs_the_task():
    from django.conf import settings

    from compliance.alarms import tasks

    entry = settings.CELERY_BEAT_SCHEDULE["alarms-escalate-overdue"]
    assert entry["task"] == tasks.escalate_overdue_alarms.name


def test_repeated_alarms_flag_the_point(world):
    from compliance import registry
    from compliance.alarms import selectors

    for _ in range(3):
        ingest(world.a, incoming(point_code="T0202"))
    ingest(world.a, incoming(point_code="T0303"))
    with activate(world.a.scope(roles.HQ_AUDITOR)) as scope:
        points = selectors.repeated_points(scope)
        figures = registry.mine_figures(scope, [world.a.mine.pk], providers=["alarms"])
    assert [(p["point_code"], p["count"]) for p in points] == [("T0202", 3)]
    by_key = {f.key: f for f in figures[world.a.mine.pk]}
    assert by_key["alarms.repeated_points"].value == 1
    assert rules.repeat_rule().count == 3


def test_todos_and_figures_warn_while_the_deadline_is_unverified(world):
    from compliance import registry
    from compliance.alarms import selectors

    _late(world.a, 2)
    ingest(world.a, incoming())
    with activate(world.a.scope(roles.SAFETY_MANAGER)) as scope:
        items = {i.key: i for i in selectors.todo_items(scope)}
        figures = {f.key: f for f in registry.mine_figures(scope, [world.a.mine.pk])[world.a.mine.pk]}
    assert (
        items["overdue"].count == 1
        and items["overdue"].severity == "due"
        and "待核实" in str(items["overdue"].hint)
    )
    assert items["open"].count == 2
    assert figures["alarms.overdue"].status == "warning"
    with activate(world.a.scope(roles.HQ_AUDITOR)) as scope:
        # Reads, does not handle: only what reached group HQ.
        assert [(i.key, i.count) for i in selectors.todo_items(scope)] == [("escalated", 0)]
    escalation.escalate_overdue(timezone.now() + datetime.timedelta(hours=60))
    with activate(world.a.scope(roles.HQ_AUDITOR)) as scope:
        assert [(i.key, i.count) for i in selectors.todo_items(scope)] == [("escalated", 2)]


def test_monthly_statistics(world):
    handle(world.a, ingest(world.a, incoming())[0])
    handle(world.a, _late(world.a, 30))
    ingest(world.a, incoming(), mine=world.a.other_mine, role=roles.TENANT_ADMIN)
    from compliance.alarms import selectors

    with activate(world.a.scope(roles.HQ_AUDITOR)) as scope:
        stats = selectors.monthly_stats(scope=scope)
    by_mine = {}
    for row in stats:
        t = by_mine.setdefault(row["mine__name"], {"count": 0, "on_time": 0, "late": 0, "open": 0})
        for key in t:
            t[key] += row[key]
    assert by_mine[world.a.mine.name] == {"count": 2, "on_time": 1, "late": 1, "open": 0}
    assert by_mine[world.a.other_mine.name] == {"count": 1, "on_time": 0, "late": 0, "open": 1}
    with activate(world.b.scope(roles.HQ_AUDITOR)) as scope:
        assert selectors.monthly_stats(scope=scope) == []


def test_a_group_may_set_stricter_deadlines_never_looser(world):
    occurred = timezone.now() - datetime.timedelta(minutes=1)
    admin = world.a.scope(roles.TENANT_ADMIN)
    with activate(admin) as scope:
        with pytest.raises(ValidationError) as exc:
            services.alarm_deadline_set(
                scope=scope, tenant_id=world.a.tenant.pk, kind="gas", acknowledge_minutes=5, close_hours=48,
                escalate_hq_hours=24, source="",
            )  # fmt: skip
        assert set(exc.value.message_dict) == {"close_hours", "source"}
        services.alarm_deadline_set(
            scope=scope, tenant_id=world.a.tenant.pk, kind="gas", acknowledge_minutes=5, close_hours=12,
            escalate_hq_hours=24, source="A集团安全监控管理办法 第12条",
        )  # fmt: skip
    with activate(world.a.scope(roles.SAFETY_MANAGER)) as scope:
        with pytest.raises(PermissionDenied):
            services.alarm_deadline_set(
                scope=scope, tenant_id=world.a.tenant.pk, kind="co", acknowledge_minutes=5, close_hours=12,
                escalate_hq_hours=24, source="x",
            )  # fmt: skip
    mine_a = ingest(world.a, incoming(kind="gas", occurred_at=occurred))[0]
    mine_b = ingest(world.b, incoming(kind="gas", occurred_at=occurred))[0]
    assert mine_a.close_due_at == occurred + datetime.timedelta(hours=12)
    assert mine_a.acknowledge_due_at == occurred + datetime.timedelta(minutes=5)
    assert mine_a.deadline_source == "A集团安全监控管理办法 第12条" and not mine_a.deadline_verified
    assert mine_b.close_due_at == occurred + datetime.timedelta(hours=24)  # the other group: national
    # A national rule made stricter later still wins where it is the stricter one.
    with platform():
        row = AlarmDeadline.objects.get(kind="gas", owner_tenant__isnull=True)
        row.close_hours = 6
        row.save()
    assert rules.deadlines(world.a.tenant.pk)["gas"].close_hours == 6
