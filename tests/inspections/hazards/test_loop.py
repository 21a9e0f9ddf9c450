"""The closed loop of a hidden danger: registration, class, rectification, acceptance, closing —
every legal step and the illegal ones refused."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.errors import Conflict
from compliance.inspections.hazards import machine, services
from compliance.inspections.hazards.models import Hazard, HazardEvent
from tenants import roles
from tenants.scope import activate
from tenants.selectors import scope_for_user

from .helpers import MAJOR_PLAN, criterion, photo, plan, platform, register

pytestmark = pytest.mark.django_db
S = Hazard.Status


def _as(tw, role):
    user = tw.users[role]
    return user, scope_for_user(user)


def test_register_numbers_audits_and_records_history(world):
    hazard = register(world.a, photos=[photo()])
    assert hazard.number.startswith(f"YH-{timezone.localdate().year}-")
    assert hazard.status == S.REGISTERED and hazard.grade == Hazard.Grade.GENERAL
    assert len(hazard.photos) == 1 and hazard.photos[0].startswith(f"hazards/{world.a.tenant.pk}/")
    with platform():
        assert AuditEvent.objects.filter(action="hazard_register", object_id=str(hazard.pk)).count() == 1
        assert list(HazardEvent.objects.filter(hazard=hazard).values_list("action", flat=True)) == [
            "register"
        ]
    second = register(world.a)
    assert second.number != hazard.number


def test_bad_input_is_refused_field_by_field_and_nothing_saved(world):
    with pytest.raises(ValidationError) as exc:
        register(world.a, location=" ", description="")
    assert set(exc.value.message_dict) == {"location", "description"}
    with pytest.raises(ValidationError) as exc:
        register(world.a, found_on=timezone.localdate() + datetime.timedelta(days=3))
    assert "found_on" in exc.value.message_dict
    with platform():
        assert not Hazard.objects.filter(tenant=world.a.tenant).exists()


def test_a_criterion_in_force_makes_it_major_and_reports_it_to_the_regulator(world):
    hazard = register(world.a, criterion=criterion("4-2"), found_on=datetime.date(2026, 3, 2))
    assert hazard.grade == Hazard.Grade.MAJOR
    assert hazard.reported_at is not None and hazard.reported_agency == world.agency_in
    with platform():
        assert HazardEvent.objects.filter(hazard=hazard, action="reported").exists()
    # … and cannot be downgraded while the criterion stands.
    user, scope = _as(world.a, roles.SAFETY_MANAGER)
    with activate(scope), pytest.raises(ValidationError) as exc:
        services.hazard_classify(
            scope=scope, hazard=hazard, user=user, grade=Hazard.Grade.GENERAL, criterion=hazard.criterion
        )
    with activate(scope):
        again = services.hazard_classify(
            scope=scope, hazard=hazard, user=user, grade="major", criterion=criterion("4-5")
        )
    assert again.grade == Hazard.Grade.MAJOR
    with activate(scope), pytest.raises(ValidationError) as exc:
        services.hazard_classify(scope=scope, hazard=again, user=user, grade="general", criterion=None)
    assert "grade" in exc.value.message_dict


def test_a_criterion_not_in_force_for_the_mine_or_the_day_is_refused(world):
    # The coal catalogue on a metal mine.
    with pytest.raises(ValidationError) as exc:
        register(world.a, role=roles.TENANT_ADMIN, mine=world.a.other_mine, criterion=criterion("4-2"))
    assert "criterion" in exc.value.message_dict
    # 第4号 ends on 2026-06-30; 第21号 is in force from 2026-07-01.
    with pytest.raises(ValidationError):
        register(world.a, criterion=criterion("4-2"), found_on=datetime.date(2026, 7, 2))
    assert register(world.a, criterion=criterion("21-2"), found_on=datetime.date(2026, 7, 2)).is_major
    with pytest.raises(ValidationError):
        register(world.a, criterion=criterion("21-2"), found_on=datetime.date(2026, 6, 30))


def test_the_whole_loop_and_every_illegal_step_refused(world):
    hazard = register(world.a)
    manager, m_scope = _as(world.a, roles.SAFETY_MANAGER)
    auditor, a_scope = _as(world.a, roles.HQ_AUDITOR)
    # Not yet planned: neither rectified, accepted nor closed.
    with activate(m_scope):
        for step in (
            lambda: services.hazard_rectified(scope=m_scope, hazard=hazard, user=manager),
            lambda: services.hazard_close(scope=m_scope, hazard=hazard, user=manager),
            lambda: services.hazard_accept(
                scope=m_scope, hazard=hazard, user=auditor, passed=True, photos=[photo()]
            ),
            lambda: services.hazard_confirm(scope=m_scope, hazard=hazard, user=manager),
        ):
            with pytest.raises(Conflict):
                step()
    hazard = plan(world.a, hazard)
    assert hazard.status == S.RECTIFYING
    with activate(m_scope):
        hazard = services.hazard_rectified(
            scope=m_scope, hazard=hazard, user=manager, note="已更换", photos=[photo()]
        )
    assert hazard.status == S.AWAITING_ACCEPTANCE
    # The rectifier may not accept their own work.
    with activate(m_scope), pytest.raises(ValidationError):
        services.hazard_accept(scope=m_scope, hazard=hazard, user=manager, passed=True, photos=[photo()])
    # A pass needs photos; a fail needs a reason.
    with activate(a_scope), pytest.raises(ValidationError) as exc:
        services.hazard_accept(scope=a_scope, hazard=hazard, user=auditor, passed=True)
    assert "photos" in exc.value.message_dict
    with activate(a_scope), pytest.raises(ValidationError) as exc:
        services.hazard_accept(scope=a_scope, hazard=hazard, user=auditor, passed=False)
    assert "note" in exc.value.message_dict
    # A failed acceptance reopens rectification.
    with activate(a_scope):
        hazard = services.hazard_accept(
            scope=a_scope, hazard=hazard, user=auditor, passed=False, note="支护间距仍超标"
        )
    assert hazard.status == S.RECTIFYING and hazard.rectified_by is None
    with activate(m_scope), pytest.raises(Conflict):
        services.hazard_close(scope=m_scope, hazard=hazard, user=manager)
    with activate(m_scope):
        hazard = services.hazard_rectified(scope=m_scope, hazard=hazard, user=manager)
    with activate(a_scope):
        hazard = services.hazard_accept(
            scope=a_scope, hazard=hazard, user=auditor, passed=True, photos=[photo()]
        )
    assert hazard.status == S.ACCEPTED
    with activate(m_scope):
        hazard = services.hazard_close(scope=m_scope, hazard=hazard, user=manager)
    assert hazard.status == S.CLOSED and hazard.closed_at is not None
    with activate(m_scope), pytest.raises(Conflict):
        services.hazard_plan(scope=m_scope, hazard=hazard, user=manager, responsible="x", measures="y")
    with platform():
        actions = list(HazardEvent.objects.filter(hazard=hazard).values_list("action", flat=True))
    assert actions == ["register", "plan", "rectified", "fail", "rectified", "accept", "close"]


def test_the_machine_table_allows_only_its_steps():
    everything = set(Hazard.Status.values)
    for action, (sources, target) in machine.TRANSITIONS.items():
        for status in everything - sources:
            with pytest.raises(Conflict):
                machine.transition(Hazard(status=status), action)
        for status in sources:
            assert machine.transition(Hazard(status=status), action) == target
    assert machine.actions_from(S.CLOSED) == [] and machine.actions_from(S.REJECTED) == []


def test_a_major_hazard_needs_the_whole_plan_and_stops_production(world):
    from compliance import registry

    hazard = register(world.a, criterion=criterion("4-2"), found_on=datetime.date(2026, 3, 2))
    manager, scope = _as(world.a, roles.SAFETY_MANAGER)
    with activate(scope), pytest.raises(ValidationError) as exc:
        services.hazard_plan(
            scope=scope, hazard=hazard, user=manager, responsible="张", measures="补强",
            deadline=datetime.date(2026, 12, 30),
        )  # fmt: skip
    assert {
        "target",
        "funds",
        "materials",
        "organisation",
        "safety_measures",
        "contingency",
        "stop_scope",
    } <= set(exc.value.message_dict)
    with platform():
        assert Hazard.objects.get(pk=hazard.pk).status == S.REGISTERED
    hazard = plan(world.a, hazard)
    assert hazard.status == S.RECTIFYING
    with activate(scope):
        stops = registry.production_stops(scope, [world.a.mine.pk, world.a.other_mine.pk])
    assert list(stops) == [world.a.mine.pk]
    (stop,) = stops[world.a.mine.pk]
    assert (
        stop.area == MAJOR_PLAN["stop_area"] and stop.binding is False
    )  # the shipped criterion is unverified


def test_worker_report_waits_for_a_manager_then_enters_the_loop(world):
    worker = world.a.users[roles.WORKER]
    w_scope = scope_for_user(worker)
    with activate(w_scope):
        assert list(services.reportable_mines(w_scope)) == [world.a.mine]
        with pytest.raises(ValidationError) as exc:
            services.hazard_report(
                scope=w_scope, mine=world.a.mine, user=worker, location="井口", description="护栏缺失"
            )
        assert "photos" in exc.value.message_dict
        hazard = services.hazard_report(
            scope=w_scope,
            mine=world.a.mine,
            user=worker,
            location="井口",
            description="护栏缺失",
            photos=[photo()],
        )
        assert hazard.status == S.REPORTED and hazard.reported_by_person == world.a.worker_person
        # The worker reads their own report, but cannot confirm it.
        assert list(Hazard.objects.values_list("pk", flat=True)) == [hazard.pk]
        with pytest.raises(PermissionDenied):
            services.hazard_confirm(scope=w_scope, hazard=hazard, user=worker)
        with pytest.raises(PermissionDenied):  # not at another mine
            services.hazard_report(
                scope=w_scope,
                mine=world.a.other_mine,
                user=worker,
                location="x",
                description="y",
                photos=[photo()],
            )
    manager, m_scope = _as(world.a, roles.SAFETY_MANAGER)
    with activate(m_scope):
        hazard = services.hazard_confirm(scope=m_scope, hazard=hazard, user=manager)
    assert hazard.status == S.REGISTERED


def test_regulators_and_other_tenants_cannot_write(world):
    hazard = register(world.a)
    reg_scope = scope_for_user(world.regulator_in)
    with activate(reg_scope):
        assert Hazard.objects.filter(pk=hazard.pk).exists()  # A's Guizhou mine is in its region
        with pytest.raises(PermissionDenied):
            services.hazard_plan(
                scope=reg_scope, hazard=hazard, user=world.regulator_in, responsible="x", measures="y"
            )
        assert not services.reportable_mines(reg_scope).exists()
    b_scope = scope_for_user(world.b.users[roles.SAFETY_MANAGER])
    with activate(b_scope):
        assert not Hazard.objects.filter(pk=hazard.pk).exists()
        with pytest.raises(PermissionDenied):
            services.hazard_register(scope=b_scope, mine=world.a.mine, location="x", description="y")
