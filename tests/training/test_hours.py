"""Training hours against the rules: required hours by post and mine type, new vs returning
people, shortfall lists and summaries per unit, retraining flags, and the oversight summary."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from compliance.training import courses, hours
from compliance.training.models import HoursRule, RulePack
from tenants import roles
from tenants.models import Person
from tenants.scope import dangerously_platform_scope

pytestmark = pytest.mark.django_db

YEAR = hours.today().year
JAN = datetime.date(YEAR, 1, 10)


def course(unit, title="年度再培训", kind="annual", hours_=8, **extra):
    with dangerously_platform_scope() as platform:
        return courses.course_create(
            scope=platform, org_unit=unit, kind=kind, title=title, hours=hours_, **extra
        )


def session(course_, unit=None, starts_on=JAN, hours_=None, **extra):
    with dangerously_platform_scope() as platform:
        return courses.session_create(
            scope=platform,
            course=course_,
            org_unit=unit or course_.org_unit,
            starts_on=starts_on,
            ends_on=extra.pop("ends_on", starts_on),
            hours=hours_ if hours_ is not None else course_.hours,
            **extra,
        )


def attend(session_, *people, hours_=None):
    with dangerously_platform_scope() as platform:
        return courses.attendance_add(scope=platform, session=session_, people=people, hours=hours_)


def set_person(person, **fields):
    with dangerously_platform_scope():
        Person.objects.filter(pk=person.pk).update(**fields)
        person.refresh_from_db()
    return person


def report(world, role=roles.TENANT_ADMIN, **kwargs):
    scope = world.a.scope(role)
    with dangerously_platform_scope():
        return {p.pk: p for p in hours.people_hours(scope=scope, year=kwargs.pop("year", YEAR), **kwargs)}


def test_principal_and_other_workers_owe_annual_hours(world):
    worker, special, principal, other = world.a.people
    rows = report(world)
    assert rows[principal.pk].required == Decimal("16")
    assert rows[worker.pk].required == Decimal("20")
    assert rows[other.pk].required == Decimal("20")
    assert rows[special.pk].required == Decimal("20")
    assert not rows[principal.pk].is_new


def test_new_people_owe_initial_hours(world):
    worker, _special, principal, _other = world.a.people
    set_person(principal, post_started_on=datetime.date(YEAR, 3, 1))
    set_person(worker, post_started_on=datetime.date(YEAR, 1, 1))
    rows = report(world)
    assert rows[principal.pk].is_new and rows[principal.pk].required == Decimal("48")
    assert rows[worker.pk].is_new and rows[worker.pk].required == Decimal("72")


def test_someone_trained_before_this_year_is_not_new(world):
    worker = world.a.people[0]
    last_year = session(course(world.a.team), starts_on=datetime.date(YEAR - 1, 6, 1))
    attend(last_year, worker)
    set_person(worker, post_started_on=datetime.date(YEAR, 2, 1))
    row = report(world)[worker.pk]
    assert not row.is_new
    assert row.required == Decimal("20")


def test_a_post_taken_last_year_is_judged_by_annual_hours(world):
    worker = world.a.people[0]
    set_person(worker, post_started_on=datetime.date(YEAR - 1, 11, 1))
    assert report(world)[worker.pk].required == Decimal("20")


def test_a_mine_group_specific_rule_wins_over_any(world):
    _worker, _special, principal, other = world.a.people
    with dangerously_platform_scope():
        pack = RulePack.for_date(hours.reference_day(YEAR))
        HoursRule.objects.create(
            pack=pack, post_category="principal", mine_group="coal", initial_hours=60, annual_hours=24
        )
        HoursRule.objects.create(
            pack=pack, post_category="other", mine_group="non_coal", initial_hours=80, annual_hours=30
        )
    rows = report(world)
    assert rows[principal.pk].mine_type == "coal_underground"
    assert rows[principal.pk].required == Decimal("24")  # coal mine: the coal rule
    assert rows[world.a.people[0].pk].required == Decimal("20")  # coal mine, no coal rule for "other"
    assert rows[other.pk].mine_type == "metal_underground"
    assert rows[other.pk].required == Decimal("30")  # non-coal mine: the non-coal rule


def test_hours_done_count_sessions_starting_this_year(world):
    worker = world.a.people[0]
    c = course(world.a.mine, hours_=8)
    attend(session(c, starts_on=datetime.date(YEAR, 2, 1)), worker)
    attend(session(c, starts_on=datetime.date(YEAR, 5, 1), hours_=6), worker, hours_=Decimal("4.5"))
    attend(session(c, starts_on=datetime.date(YEAR - 1, 12, 30), ends_on=datetime.date(YEAR, 1, 2)), worker)
    row = report(world)[worker.pk]
    assert row.hours_done == Decimal("12.5")
    assert row.shortfall == Decimal("7.5")
    # Last year's session counts for last year.
    assert report(world, year=YEAR - 1)[worker.pk].hours_done == Decimal("8")


def test_short_only_lists_who_is_short_and_by_how_much(world):
    worker, special, principal, other = world.a.people
    c = course(world.a.mine, hours_=20)
    attend(session(c), worker, principal, special)
    rows = report(world, short_only=True)
    assert set(rows) == {other.pk}
    assert rows[other.pk].shortfall == Decimal("20")
    # An over-achiever is never "short" by a negative amount.
    assert report(world)[principal.pk].shortfall == Decimal("0")


def test_people_who_left_are_not_judged(world):
    other = world.a.people[3]
    set_person(other, status=Person.Status.LEFT)
    assert other.pk not in report(world)


def test_filter_by_org_unit(world):
    rows = report(world, org_unit=world.a.other_mine)
    assert set(rows) == {world.a.people[3].pk}


def test_summary_per_team_mine_subsidiary_and_group(world):
    worker, special, principal, other = world.a.people
    attend(session(course(world.a.mine, hours_=20)), worker, principal)
    scope = world.a.scope(roles.TENANT_ADMIN)
    with dangerously_platform_scope():
        by_mine = {s.unit.pk: s for s in hours.summary_by_unit(scope=scope, year=YEAR, level="mine")}
        by_team = {s.unit.pk: s for s in hours.summary_by_unit(scope=scope, year=YEAR, level="team")}
        by_sub = hours.summary_by_unit(scope=scope, year=YEAR, level="subsidiary")
        by_group = hours.summary_by_unit(scope=scope, year=YEAR, level="group")
    mine = by_mine[world.a.mine.pk]
    assert (mine.people, mine.short, mine.shortfall) == (3, 1, Decimal("20"))
    assert mine.compliant_pct == pytest.approx(66.7)
    assert (by_mine[world.a.other_mine.pk].people, by_mine[world.a.other_mine.pk].short) == (1, 1)
    assert by_team[world.a.team.pk].people == 2 and by_team[world.a.team.pk].short == 1
    # The mine's own staff (no team above them) count under the mine itself.
    assert by_team[world.a.mine.pk].people == 1 and by_team[world.a.mine.pk].short == 0
    assert [(s.unit.pk, s.people, s.short) for s in by_sub] == [(world.a.subsidiary.pk, 4, 2)]
    assert [(s.unit.pk, s.people, s.short, s.shortfall) for s in by_group] == [
        (world.a.hq.pk, 4, 2, Decimal("40"))
    ]


# --- retraining flags --------------------------------------------------------------------------------
def test_back_after_a_year_away_is_flagged_until_retrained(world):
    worker = world.a.people[0]
    returned = datetime.date(YEAR, 2, 1)
    set_person(worker, absent_since=returned - datetime.timedelta(days=365), returned_on=returned)
    assert report(world)[worker.pk].absence_flag
    assert set(report(world, flagged_only=True)) == {worker.pk}
    # Training before the return does not count; training after it clears the flag.
    c = course(world.a.team)
    attend(session(c, starts_on=returned - datetime.timedelta(days=400)), worker)
    assert report(world)[worker.pk].absence_flag
    attend(session(c, starts_on=returned + datetime.timedelta(days=3)), worker)
    assert not report(world)[worker.pk].absence_flag


def test_a_shorter_absence_is_not_flagged(world):
    worker = world.a.people[0]
    returned = datetime.date(YEAR, 2, 1)
    set_person(worker, absent_since=returned - datetime.timedelta(days=364), returned_on=returned)
    assert not report(world)[worker.pk].absence_flag
    # Still away (no return date): nothing to flag yet.
    set_person(worker, absent_since=datetime.date(YEAR - 2, 1, 1), returned_on=None)
    assert not report(world)[worker.pk].absence_flag


def test_the_absence_threshold_comes_from_the_rule_pack(world):
    worker = world.a.people[0]
    returned = datetime.date(YEAR, 2, 1)
    set_person(worker, absent_since=returned - datetime.timedelta(days=200), returned_on=returned)
    with dangerously_platform_scope():
        RulePack.objects.update(retrain_after_absence_days=180)
    assert report(world)[worker.pk].absence_flag


def test_a_change_of_post_is_flagged_until_trained_since(world):
    special = world.a.people[1]
    started = datetime.date(YEAR, 4, 1)
    set_person(special, post_started_on=started)
    c = course(world.a.team, title="电工作业", kind="special_operation", operation_type="electrician")
    attend(session(c, starts_on=started - datetime.timedelta(days=30)), special)
    assert report(world)[special.pk].post_change_flag
    attend(session(c, starts_on=started), special)
    assert not report(world)[special.pk].post_change_flag


def test_person_detail_shows_the_retraining_flags(world):
    from ..conftest import login

    worker = world.a.people[0]
    set_person(worker, post_started_on=datetime.date(YEAR, 4, 1))
    page = login(world.a.users[roles.SAFETY_MANAGER]).get(f"/people/{worker.pk}/")
    assert page.status_code == 200
    assert 'data-testid="retraining-flag"' in page.content.decode()
    other = world.a.people[2]
    page = login(world.a.users[roles.SAFETY_MANAGER]).get(f"/people/{other.pk}/")
    assert 'data-testid="retraining-flag"' not in page.content.decode()


def test_person_form_saves_the_retraining_dates(world):
    from ..conftest import login

    worker = world.a.people[0]
    client = login(world.a.users[roles.SAFETY_MANAGER])
    data = {
        "org_unit": str(worker.org_unit_id),
        "name": worker.name,
        "employee_no": worker.employee_no,
        "post_category": worker.post_category,
        "status": "on_post",
        "post_started_on": f"{YEAR}-03-01",
        "absent_since": f"{YEAR}-05-01",
        "returned_on": f"{YEAR}-04-01",
    }
    response = client.post(f"/people/{worker.pk}/edit/", data)
    assert response.status_code == 400  # back before the absence started
    data["returned_on"] = f"{YEAR}-06-01"
    response = client.post(f"/people/{worker.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:300]
    with dangerously_platform_scope():
        saved = Person.objects.get(pk=worker.pk)
    assert saved.post_started_on == datetime.date(YEAR, 3, 1)
    assert saved.returned_on == datetime.date(YEAR, 6, 1)


# --- the oversight summary ---------------------------------------------------------------------------
def test_summary_by_mine(world):
    worker, special, principal, other = world.a.people
    attend(session(course(world.a.mine, hours_=20)), worker, special)
    scope = world.a.scope(roles.HQ_AUDITOR)
    with dangerously_platform_scope():
        summary = hours.summary_by_mine(
            [world.a.mine.pk, world.a.other_mine.pk, world.b.mine.pk], YEAR, scope=scope
        )
    assert summary == {
        world.a.mine.pk: {"people": 3, "short": 1, "compliant_pct": pytest.approx(66.7)},
        world.a.other_mine.pk: {"people": 1, "short": 1, "compliant_pct": 0.0},
    }


def test_summary_by_mine_for_a_regulator_crosses_tenants_in_its_jurisdiction(world):
    from tenants.selectors import scope_for_user

    scope = scope_for_user(world.regulator_in)
    with dangerously_platform_scope():
        summary = hours.summary_by_mine(
            [world.a.mine.pk, world.a.other_mine.pk, world.b.mine.pk], YEAR, scope=scope
        )
    # Both tenants' Guizhou mines; tenant A's Yunnan mine is outside the jurisdiction.
    assert set(summary) == {world.a.mine.pk, world.b.mine.pk}
    assert summary[world.b.mine.pk]["people"] == 3


def test_summary_by_mine_runs_constant_queries(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    scope = world.a.scope(roles.TENANT_ADMIN)
    mines = [world.a.mine.pk, world.a.other_mine.pk]
    with dangerously_platform_scope(), CaptureQueriesContext(connection) as few:
        hours.summary_by_mine(mines[:1], YEAR, scope=scope)
    with dangerously_platform_scope(), CaptureQueriesContext(connection) as more:
        hours.summary_by_mine(mines, YEAR, scope=scope)
    assert len(few.captured_queries) == len(more.captured_queries)
