"""Responsibility lists: versions, adaptations that never drop an item, signatures and overdue
acknowledgements, duty assessments and their holds."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.duties import selectors_lists as sel
from compliance.duties import services_lists as svc
from compliance.duties.models import Acknowledgement, DutyAssessment, ListItem, ListTemplate
from tenants import roles
from tenants.models import PersonHold
from tenants.scope import activate, dangerously_platform_scope
from tenants.selectors import scope_for_user

from .helpers import ITEMS, admin_scope, assign, make_post, publish, setup_worker_list

pytestmark = pytest.mark.django_db


def _items(version):
    with dangerously_platform_scope():
        return list(ListItem.objects.filter(version=version).order_by("position"))


def test_publishing_again_makes_a_new_numbered_version_and_audits_it(world):
    post = make_post(world.a)
    v1 = publish(world.a, post)
    v2 = publish(world.a, post, items=[*ITEMS, {"duty": "新职责", "criterion": "按时完成"}], note="增加一条")
    assert (v1.number, v2.number) == (1, 2)
    assert len(_items(v1)) == 2 and len(_items(v2)) == 3  # v1 unchanged
    with dangerously_platform_scope():
        template = ListTemplate.objects.get(pk=v2.template_id)
        assert template.current_version_id == v2.pk
        assert AuditEvent.objects.filter(action="list_publish", object_id=str(template.pk)).count() == 2


def test_bad_items_are_refused_field_by_field_and_nothing_is_saved(world):
    post = make_post(world.a)
    with pytest.raises(ValidationError) as exc:
        publish(
            world.a,
            post,
            items=[{"duty": "", "criterion": ""}, {"duty": "x", "criterion": "y", "max_score": 0}],
        )
    messages = exc.value.message_dict["items"]
    assert any("第1条" in m or "Item 1" in m for m in messages)
    assert len(messages) == 3
    with dangerously_platform_scope():
        assert not ListTemplate.objects.filter(post=post).exists()


def test_an_adaptation_adds_items_and_may_not_drop_or_change_one(world):
    post = make_post(world.a)
    group = publish(world.a, post)
    base = _items(group)
    kept = [
        {
            "key": i.key,
            "duty": i.duty,
            "scope": i.scope,
            "criterion": i.criterion,
            "evidence": i.evidence,
            "max_score": i.max_score,
        }
        for i in base
    ]
    mine_version = publish(
        world.a, post, unit=world.a.mine, items=[*kept, {"duty": "本矿：防治水", "criterion": "无透水"}]
    )
    items = _items(mine_version)
    assert [i.inherited for i in items] == [True, True, False]
    with pytest.raises(ValidationError) as dropped:
        publish(
            world.a, post, unit=world.a.mine, items=[kept[0], {"duty": "本矿：防治水", "criterion": "无透水"}]
        )
    assert (
        "cannot be dropped" in str(dropped.value)
        or "不得删除" in str(dropped.value)
        or "不能删除" in str(dropped.value)
    )
    with pytest.raises(ValidationError):
        publish(world.a, post, unit=world.a.mine, items=[{**kept[0], "criterion": "放宽"}, kept[1]])


def test_a_new_group_version_republishes_every_adaptation_on_top_of_it(world):
    post = make_post(world.a)
    group = publish(world.a, post)
    kept = [
        {
            "key": i.key,
            "duty": i.duty,
            "criterion": i.criterion,
            "scope": i.scope,
            "evidence": i.evidence,
            "max_score": i.max_score,
        }
        for i in _items(group)
    ]
    publish(world.a, post, unit=world.a.mine, items=[*kept, {"duty": "本矿条目", "criterion": "达标"}])
    publish(world.a, post, items=[*kept, {"duty": "集团新条目", "criterion": "达标"}])
    with dangerously_platform_scope():
        adaptation = ListTemplate.objects.get(post=post, org_unit=world.a.mine)
        current = adaptation.current_version
    duties = [i.duty for i in _items(current)]
    assert current.number == 2
    assert duties == ["遵守安全规程", "参加班前会", "集团新条目", "本矿条目"]


def test_a_mine_manager_adapts_for_the_mine_but_may_not_publish_the_groups_list(world):
    post = make_post(world.a)
    publish(world.a, post)
    scope = scope_for_user(world.a.users[roles.SAFETY_MANAGER])
    with activate(scope), pytest.raises(PermissionDenied):
        svc.list_publish(scope=scope, post=post, org_unit=world.a.hq, items=ITEMS)


def test_the_worker_sees_the_mines_adaptation_and_signs_the_version_in_force(world):
    post, group, _holder = setup_worker_list(world.a)
    kept = [
        {
            "key": i.key,
            "duty": i.duty,
            "criterion": i.criterion,
            "scope": i.scope,
            "evidence": i.evidence,
            "max_score": i.max_score,
        }
        for i in _items(group)
    ]
    mine_v1 = publish(
        world.a, post, unit=world.a.mine, items=[*kept, {"duty": "本矿条目", "criterion": "达标"}]
    )
    scope = scope_for_user(world.a.users[roles.WORKER])
    with activate(scope):
        [due] = sel.my_lists(scope)
        assert due.version.pk == mine_v1.pk and len(due.items) == 3 and not due.signed
        with pytest.raises(ValidationError) as exc:
            svc.list_acknowledge(scope=scope, version=mine_v1, signed_name="别人")
        assert "signed_name" in exc.value.message_dict
        with pytest.raises(ValidationError):
            svc.list_acknowledge(scope=scope, version=group, signed_name=world.a.worker_person.name)
        ack = svc.list_acknowledge(scope=scope, version=mine_v1, signed_name=world.a.worker_person.name)
        assert ack.acknowledged_at and ack.version_id == mine_v1.pk
        [due] = sel.my_lists(scope)
        assert due.signed
    # A new version asks for a new signature.
    publish(
        world.a,
        post,
        unit=world.a.mine,
        items=[*kept, {"duty": "本矿条目", "criterion": "达标"}, {"duty": "再加一条", "criterion": "达标"}],
    )
    with activate(scope):
        [due] = sel.my_lists(scope)
        assert not due.signed and due.version.number == 2
    with dangerously_platform_scope():
        assert Acknowledgement.objects.filter(person=world.a.worker_person).count() == 1


def test_unsigned_lists_past_the_window_are_overdue_for_the_safety_manager(world):
    setup_worker_list(world.a)
    manager = scope_for_user(world.a.users[roles.SAFETY_MANAGER])
    today = timezone.localdate()
    with activate(manager):
        assert [r.status for r in sel.acknowledgement_rows(manager, today=today)] == ["due"]
        late = sel.acknowledgement_rows(manager, today=today + datetime.timedelta(days=15), status="overdue")
        assert [r.person.pk for r in late] == [world.a.worker_person.pk]
    other = scope_for_user(world.b.users[roles.SAFETY_MANAGER])
    with activate(other):
        assert sel.acknowledgement_rows(other, today=today + datetime.timedelta(days=15)) == []


def _score_all(version, score=10, comment=""):
    return [{"item": str(i.pk), "score": score, "comment": comment} for i in _items(version)]


def test_a_superior_scores_every_item_and_the_result_is_a_percentage(world):
    _post, version, holder = setup_worker_list(world.a)
    leader = scope_for_user(world.a.users[roles.TEAM_LEADER])
    with activate(leader):
        with pytest.raises(ValidationError) as exc:
            svc.duty_assess(
                scope=leader, holder=holder, day=timezone.localdate(), scores=_score_all(version)[:1]
            )
        assert "scores" in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:
            svc.duty_assess(
                scope=leader, holder=holder, day=timezone.localdate(), scores=_score_all(version, 5)
            )
        assert any("why" in m or "原因" in m for m in exc.value.message_dict["scores"])
        a = svc.duty_assess(
            scope=leader, holder=holder, day=timezone.localdate(), scores=_score_all(version, 5, "未达标")
        )
        assert a.score == 50 and a.passed is False
        with pytest.raises(ValidationError):
            svc.duty_assess(scope=leader, holder=holder, day=timezone.localdate(), scores=_score_all(version))
    with dangerously_platform_scope():
        assert DutyAssessment.objects.count() == 1
        # Holds are off by default: the failure is a warning on the result only.
        assert not PersonHold.objects.filter(person=world.a.worker_person).exists()


def test_a_failed_assessment_places_a_hold_where_the_group_switched_it_on_and_a_pass_lifts_it(world):
    _post, version, holder = setup_worker_list(world.a)
    admin = admin_scope(world.a)
    with activate(admin):
        svc.duty_settings_update(
            scope=admin,
            assessment_cycle="monthly",
            acknowledge_within_days=14,
            pass_score=60,
            hold_on_failed_assessment=True,
        )
    leader = scope_for_user(world.a.users[roles.TEAM_LEADER])
    today = timezone.localdate()
    last_month = today.replace(day=1) - datetime.timedelta(days=1)
    with activate(leader):
        svc.duty_assess(scope=leader, holder=holder, day=last_month, scores=_score_all(version, 2, "差"))
    with dangerously_platform_scope():
        assert PersonHold.objects.get(person=world.a.worker_person, source=sel.HOLD_SOURCE).lifted_at is None
    with activate(leader):
        svc.duty_assess(scope=leader, holder=holder, day=today, scores=_score_all(version))
    with dangerously_platform_scope():
        assert (
            PersonHold.objects.get(person=world.a.worker_person, source=sel.HOLD_SOURCE).lifted_at is not None
        )


def test_quarterly_cycle_puts_the_assessment_on_the_quarters_first_day(world):
    assert sel.period_start(datetime.date(2026, 5, 20), "quarterly") == datetime.date(2026, 4, 1)
    assert sel.period_start(datetime.date(2026, 5, 20), "monthly") == datetime.date(2026, 5, 1)


def test_a_mines_principal_is_assessed_from_above_the_mine_never_by_the_mine(world):
    post = make_post(world.a, code="mine-head", name="矿长", level="mine", is_mine_principal=True)
    version = publish(world.a, post)
    principal = world.a.people[2]  # at the mine
    holder = assign(world.a, principal, post)
    manager = scope_for_user(world.a.users[roles.SAFETY_MANAGER])
    with activate(manager), pytest.raises(PermissionDenied):
        svc.duty_assess(scope=manager, holder=holder, day=timezone.localdate(), scores=_score_all(version))
    auditor = scope_for_user(world.a.users[roles.HQ_AUDITOR])
    with activate(auditor):
        a = svc.duty_assess(
            scope=auditor, holder=holder, day=timezone.localdate(), scores=_score_all(version)
        )
    assert a.passed


def test_nobody_assesses_themself_and_a_regulator_writes_nothing(world):
    _post, version, holder = setup_worker_list(world.a)
    worker = scope_for_user(world.a.users[roles.WORKER])
    with activate(worker), pytest.raises(PermissionDenied):
        svc.duty_assess(scope=worker, holder=holder, day=timezone.localdate(), scores=_score_all(version))
    regulator = scope_for_user(world.regulator_in)
    with activate(regulator), pytest.raises(PermissionDenied):
        svc.list_acknowledge(scope=regulator, version=version, signed_name="x")
