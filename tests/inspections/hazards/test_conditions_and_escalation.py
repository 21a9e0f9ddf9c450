"""Conditions recorded by other capabilities become hazards (idempotently by key); overdue hazards
escalate to the subsidiary, then group HQ, with notifications; findings of an inspection."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from compliance import registry
from compliance.inspections import services as inspection_services
from compliance.inspections.hazards import escalation, services
from compliance.inspections.hazards.models import Finding, Hazard, HazardEvent
from compliance.notifications.models import Notification
from tenants import roles
from tenants.scope import activate
from tenants.selectors import scope_for_user

from .helpers import plan, platform, register

pytestmark = pytest.mark.django_db


def _vacancy(tw, *, key_suffix="principal"):
    return registry.Condition(
        key=f"duties.post_vacant:{tw.mine.pk}:{key_suffix}",
        kind="duties.post_vacant",
        tenant_id=tw.tenant.pk,
        mine_id=tw.mine.pk,
        description="矿长岗位空缺",
        major=True,
        criterion="15-1",
        source="应急管理部令第4号 第十八条",
    )


def test_a_condition_becomes_one_major_hazard_and_its_end_is_noted_not_closed(world):
    condition = _vacancy(world.a)
    scope = scope_for_user(world.a.users[roles.SAFETY_MANAGER])
    with activate(scope):
        registry.report_condition(scope, condition, present=True)
        registry.report_condition(scope, condition, present=True)  # again: nothing new
    with platform():
        (hazard,) = Hazard.objects.filter(tenant=world.a.tenant)
    assert hazard.grade == Hazard.Grade.MAJOR and hazard.source == Hazard.Source.CONDITION
    assert hazard.condition_key == condition.key
    # Linked to the criterion in force today (第4号 until 2026-06-30, then 第21号).
    assert hazard.criterion is not None and hazard.criterion.code.endswith("-15-1")
    with activate(scope):
        registry.report_condition(scope, condition, present=False)
    with platform():
        hazard.refresh_from_db()
        assert hazard.condition_gone_on == timezone.localdate()
        assert hazard.status == Hazard.Status.REGISTERED  # closing still needs acceptance
        assert HazardEvent.objects.filter(hazard=hazard, action="cond_gone").count() == 1


def test_a_general_condition_without_a_criterion(world):
    condition = registry.Condition(
        key=f"contractors.cap_exceeded:{world.a.mine.pk}",
        kind="contractors.cap_exceeded",
        tenant_id=world.a.tenant.pk,
        mine_id=world.a.mine.pk,
        description="外包队伍数量超限",
    )
    scope = scope_for_user(world.a.users[roles.SAFETY_MANAGER])
    with activate(scope):
        registry.report_condition(scope, condition)
    with platform():
        hazard = Hazard.objects.get(condition_key=condition.key)
    assert hazard.grade == Hazard.Grade.GENERAL and hazard.criterion is None


def _notified(hazard) -> set:
    rows = Notification.objects.filter(dedupe_key__startswith=f"hazard-overdue:{hazard.pk}")
    return set(rows.values_list("user_id", flat=True))


def test_overdue_hazards_escalate_once_per_level_and_notify(world):
    hazard = register(world.a)
    hazard = plan(world.a, hazard, deadline=timezone.localdate() + datetime.timedelta(days=1))
    late = timezone.localdate() + datetime.timedelta(days=3)
    assert escalation.escalate_overdue(late) == 1
    assert escalation.escalate_overdue(late) == 0  # idempotent
    with platform():
        hazard.refresh_from_db()
        assert hazard.escalation == 1
        notified = set(
            Notification.objects.filter(dedupe_key__startswith=f"hazard-overdue:{hazard.pk}").values_list(
                "user_id", flat=True
            )
        )
    assert world.a.users[roles.SAFETY_MANAGER].pk in notified
    assert world.a.users[roles.HQ_AUDITOR].pk not in notified  # the HQ hears of it a week later
    assert escalation.escalate_overdue(late + datetime.timedelta(days=7)) == 1
    with platform():
        hazard.refresh_from_db()
        assert hazard.escalation == 2
        notified = set(
            Notification.objects.filter(dedupe_key__startswith=f"hazard-overdue:{hazard.pk}").values_list(
                "user_id", flat=True
            )
        )
    assert world.a.users[roles.HQ_AUDITOR].pk in notified


def test_todo_items_count_the_work(world):
    hazard = register(world.a)
    plan(world.a, hazard, deadline=timezone.localdate() + datetime.timedelta(days=1))
    register(world.a)
    scope = scope_for_user(world.a.users[roles.SAFETY_MANAGER])
    with activate(scope):
        items = {
            i.key: i.count for p in registry.todo_providers() if p.key == "hazards" for i in p.items(scope)
        }
    assert items["plans"] == 1 and items["overdue"] == 0
    with activate(scope_for_user(world.a.users[roles.WORKER])) as w:
        assert [p.items(w) for p in registry.todo_providers() if p.key == "hazards"] == [[]]


def test_findings_of_an_inspection(world):
    manager = world.a.users[roles.SAFETY_MANAGER]
    scope = scope_for_user(manager)
    with activate(scope):
        inspection = inspection_services.create_inspection(
            scope=scope,
            org_unit=world.a.team,
            user=manager,
            kind="mine_internal",
            date=timezone.localdate(),
            inspectors="王",
        )
        hazard_finding = services.finding_add(
            scope=scope,
            inspection=inspection,
            user=manager,
            kind="hazard",
            text="皮带机护罩缺失",
            location="主斜井",
        )
        with pytest.raises(ValidationError) as exc:
            services.finding_add(
                scope=scope, inspection=inspection, user=manager, kind="violation", text="未戴自救器"
            )
        assert set(exc.value.message_dict) == {"person", "severity"}
        violation = services.finding_add(
            scope=scope, inspection=inspection, user=manager, kind="violation", text="未戴自救器",
            person=world.a.people[0], severity="serious",
        )  # fmt: skip
    assert hazard_finding.hazard.mine == world.a.mine  # a team's inspection: the mine above it
    assert hazard_finding.hazard.source == Hazard.Source.INSPECTION
    assert violation.person == world.a.people[0] and violation.severity == Finding.Severity.SERIOUS


def test_operator_imports_a_catalogue_all_or_nothing(tmp_path):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    from compliance.imports.writer import new_workbook, workbook_bytes
    from compliance.inspections.hazards.models import Criterion

    def xlsx(rows):
        wb = new_workbook()
        ws = wb.active
        ws.append(["类别序号", "类别", "代码", "内容"])
        for row in rows:
            ws.append(row)
        path = tmp_path / "c.xlsx"
        path.write_bytes(workbook_bytes(wb))
        return str(path)

    bad = xlsx([[1, "超能力生产", "21-1-1", "煤矿全年原煤产量超过核定生产能力110%"], ["x", "", "21-1-2", ""]])
    with pytest.raises(CommandError, match="3: "):
        call_command("hazard_criteria_import", "coal-2026-21", bad, stdout=StringIO())
    assert not Criterion.objects.filter(code="21-1-1").exists()
    good = xlsx([[1, "超能力生产", "21-1-1", "煤矿全年原煤产量超过核定生产能力110%"]])
    call_command("hazard_criteria_import", "coal-2026-21", good, "--verified-by", "运营", stdout=StringIO())
    row = Criterion.objects.get(code="21-1-1")
    assert row.verified and row.catalogue.code == "coal-2026-21"


def test_a_condition_with_no_criterion_linked_stops_nothing_on_its_own(world):
    """A major hazard another capability reported, whose criterion is not in the catalogue in force,
    rests on that capability's rule alone: its stop is a 待核实 warning, never binding."""
    condition = registry.Condition(
        key=f"duties.post_vacant:{world.a.mine.pk}:nowhere",
        kind="duties.post_vacant",
        tenant_id=world.a.tenant.pk,
        mine_id=world.a.mine.pk,
        description="专职总工程师岗位空缺",
        major=True,
        criterion="99-9",  # no such item
        source="应急管理部令第4号 第十八条",
    )
    scope = scope_for_user(world.a.users[roles.SAFETY_MANAGER])
    with activate(scope):
        registry.report_condition(scope, condition)
        (stop,) = registry.production_stops(scope, [world.a.mine.pk])[world.a.mine.pk]
    assert stop.binding is False and stop.area == "" and stop.source == "应急管理部令第4号 第十八条"
    # A major hazard a manager classes without a criterion still binds.
    hazard = register(world.a, grade="major", description="顶板离层严重")
    with activate(scope):
        stops = registry.production_stops(scope, [world.a.mine.pk])[world.a.mine.pk]
    assert [s.binding for s in stops if hazard.number in s.reason] == [True]
