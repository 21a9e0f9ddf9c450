"""Leaders on shift (带班下井): records, plan versus actual, coverage, monthly minimums."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from compliance.duties import selectors, services
from compliance.duties.models import Post, PostRule, ShiftRecord
from tenants import roles
from tenants.scope import activate, dangerously_platform_scope

from .helpers import D, appoint, make_people

pytestmark = pytest.mark.django_db
TZ = datetime.timezone(datetime.timedelta(hours=8))


def at(day, hour, minute=0):
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ) + (
        datetime.timedelta(days=1) if hour >= 24 else datetime.timedelta()
    )


def record(tw, day, shift, leader=None, *, up_early=False):
    base = {1: 7, 2: 15, 3: 23}[shift]
    with activate(tw.scope(roles.SAFETY_MANAGER)) as scope:
        return services.shift_record_save(
            scope=scope,
            mine=tw.mine,
            on_date=day,
            shift=shift,
            crew_down_at=datetime.datetime.combine(day, datetime.time(base), TZ),
            crew_up_at=datetime.datetime.combine(day, datetime.time(base), TZ) + datetime.timedelta(hours=8),
            leader=leader,
            leader_down_at=datetime.datetime.combine(day, datetime.time(base), TZ) if leader else None,
            leader_up_at=(
                datetime.datetime.combine(day, datetime.time(base), TZ)
                + datetime.timedelta(hours=6 if up_early else 8, minutes=0 if up_early else 5)
            )
            if leader
            else None,
        )


@pytest.fixture
def leaders(world):
    tw = world.a
    manager, deputy = make_people(tw, 2)
    appoint(tw, tw.mine, Post.MINE_MANAGER, manager, on=D(2025, 1, 1))
    appoint(tw, tw.mine, Post.SAFETY_DEPUTY, deputy, on=D(2025, 1, 1))
    return manager, deputy


def test_coverage_counts_unled_shifts_early_leaders_and_plan_misses(world, leaders):
    tw = world.a
    manager, deputy = leaders
    day = D(2026, 3, 2)
    with activate(tw.scope(roles.SAFETY_MANAGER)) as scope:
        services.shift_plan_set(scope=scope, mine=tw.mine, on_date=day, shift=1, leader=manager)
        services.shift_plan_set(scope=scope, mine=tw.mine, on_date=day, shift=2, leader=deputy)
        services.shift_plan_set(scope=scope, mine=tw.mine, on_date=day, shift=3, leader=deputy)
    record(tw, day, 1, manager)  # as planned
    record(tw, day, 2, manager, up_early=True)  # a different leader, who came up before the crew
    record(tw, day, 3, None)  # no leader at all
    with activate(tw.scope(roles.HQ_AUDITOR)) as scope:
        [c] = selectors.coverage(scope, [tw.mine], first=D(2026, 3, 1), last=D(2026, 3, 31))
    assert (c.shifts, c.with_leader, c.without_leader, c.up_early) == (3, 2, 1, 1)
    assert (c.planned, c.plan_missed) == (3, 2)
    assert c.rate == 66.7


def test_leader_under_monthly_minimum(world, leaders):
    tw = world.a
    manager, deputy = leaders
    for i in range(3):
        record(tw, D(2026, 2, 2 + i), 1, manager)
    with activate(tw.scope(roles.SAFETY_MANAGER)) as scope:
        months = {
            m.post: m
            for m in selectors.leader_months(scope, tw.mine, year=2026, month=2, today=D(2026, 3, 5))
        }
    principal = months[Post.MINE_MANAGER]
    assert principal.shifts == 3 and principal.minimum == 5 and principal.under and principal.binding
    assert "令第33号" in principal.rule
    # No national minimum for the other leaders: none applies until the province or group sets one.
    assert months[Post.SAFETY_DEPUTY].minimum is None and not months[Post.SAFETY_DEPUTY].under
    with dangerously_platform_scope():
        PostRule.objects.create(
            key="shift_min_leader", value=4, region_prefix="52", source="贵州省规定（示例）"
        )
    with activate(tw.scope(roles.SAFETY_MANAGER)) as scope:
        months = {
            m.post: m
            for m in selectors.leader_months(scope, tw.mine, year=2026, month=2, today=D(2026, 3, 5))
        }
    assert months[Post.SAFETY_DEPUTY].minimum == 4 and months[Post.SAFETY_DEPUTY].under
    assert not months[Post.SAFETY_DEPUTY].binding


def test_bad_record_refused_field_by_field(world, leaders):
    tw = world.a
    manager, _deputy = leaders
    day = D(2026, 3, 2)
    with activate(tw.scope(roles.SAFETY_MANAGER)) as scope, pytest.raises(ValidationError) as exc:
        services.shift_record_save(
            scope=scope, mine=tw.mine, on_date=day, shift=1,
            crew_down_at=at(day, 8), crew_up_at=at(day, 7), leader=manager,
        )  # fmt: skip
    errors = exc.value.message_dict
    assert {"crew_up_at", "leader_down_at", "leader_up_at"} <= set(errors)
    with dangerously_platform_scope():
        assert not ShiftRecord.objects.filter(tenant=tw.tenant).exists()


def test_import_all_or_none_with_row_errors(world, leaders):
    tw = world.a
    manager, _deputy = leaders
    day = D(2026, 3, 3)
    good = {"row": 2, "on_date": day, "shift": 1, "crew_down_at": at(day, 7), "crew_up_at": at(day, 15),
            "leader": manager, "leader_down_at": at(day, 7), "leader_up_at": at(day, 15, 5)}  # fmt: skip
    bad = good | {"row": 3, "shift": 2, "leader_up_at": at(day, 6)}
    with activate(tw.scope(roles.SAFETY_MANAGER)) as scope:
        with pytest.raises(ValidationError) as exc:
            services.shift_records_import(scope=scope, mine=tw.mine, rows=[good, bad])
        assert any("3" in m for m in exc.value.message_dict["rows"])
        assert not ShiftRecord.objects.exists()
        [saved] = services.shift_records_import(scope=scope, mine=tw.mine, rows=[good])
    assert saved.source == "import"


def test_coverage_queries_constant(world, leaders, django_assert_max_num_queries):
    tw = world.a
    manager, _deputy = leaders
    for i in range(4):
        record(tw, D(2026, 3, 2 + i), 1, manager)
    with activate(tw.scope(roles.TENANT_ADMIN)) as scope:
        mine_list = list(selectors.mines(scope))
        with django_assert_max_num_queries(2):
            selectors.coverage(scope, mine_list, first=D(2026, 3, 1), last=D(2026, 3, 31))
