"""The post roster: appointments, departures, their filings, the warnings and the vacancy condition."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from compliance import registry
from compliance.audit.models import AuditEvent
from compliance.duties import selectors, services
from compliance.duties.models import Education, Post, PostAppointment, PostFiling, PostRule
from compliance.grading.history import preconditions
from tenants import roles
from tenants.scope import activate, dangerously_platform_scope

from .helpers import D, appoint, full_roster, make_people

pytestmark = pytest.mark.django_db


@pytest.fixture
def sink():
    saved = registry.snapshot()
    seen = {}

    def record(scope, condition, *, present):
        seen[condition.key] = (present, condition)

    registry.register_condition_sink("test", record)
    yield seen
    registry.restore(saved)


MAR1 = D(2026, 3, 1)


def _roster(tw, role=roles.SAFETY_MANAGER, today=MAR1, mine=None):
    with activate(tw.scope(role)) as scope:
        return selectors.rosters(scope, [selectors.access_mine(scope, (mine or tw.mine).pk)], today=today)[0]


def test_appointment_files_itself_with_the_deadline_in_force(world):
    tw = world.a
    [person] = make_people(tw, 1)
    appt = appoint(tw, tw.mine, Post.MINE_MANAGER, person, on=D(2026, 1, 5))
    with dangerously_platform_scope():
        filing = PostFiling.objects.get(appointment=appt)
        assert filing.kind == "appointment" and filing.due_on == D(2026, 1, 20)  # national default 15 days
        assert AuditEvent.objects.filter(action="post_appoint", object_id=str(appt.pk)).exists()
        # A group's own, stricter deadline wins over the national default.
        PostRule.objects.create(key="filing_days", value=7, owner_tenant=tw.tenant, source="集团制度")
    with activate(tw.scope(roles.SAFETY_MANAGER)) as scope:
        services.appointment_end(scope=scope, appointment=appt, ended_on=D(2026, 2, 1), reason="调离")
    with dangerously_platform_scope():
        departure = PostFiling.objects.get(appointment=appt, kind="departure")
        assert departure.due_on == D(2026, 2, 8)


def test_second_holder_refused_field_by_field_and_nothing_changes(world):
    tw = world.a
    a, b = make_people(tw, 2)
    appoint(tw, tw.mine, Post.MINE_MANAGER, a)
    with pytest.raises(ValidationError) as exc:
        appoint(tw, tw.mine, Post.MINE_MANAGER, b)
    assert "post" in exc.value.message_dict
    with dangerously_platform_scope():
        assert PostAppointment.objects.filter(tenant=tw.tenant).count() == 1
        assert PostFiling.objects.filter(tenant=tw.tenant).count() == 1


def test_regulator_and_other_roles_cannot_appoint(world):
    tw = world.a
    [person] = make_people(tw, 1)
    for user in (world.regulator_in, tw.users[roles.HQ_AUDITOR]):
        from tenants.selectors import scope_for_user

        with activate(scope_for_user(user)) as scope, pytest.raises(PermissionDenied):
            services.appointment_create(
                scope=scope, mine=tw.mine, post=Post.MINE_MANAGER, person=person,
                started_on=D(2026, 1, 5), education=Education.BACHELOR, years_experience=5,
            )  # fmt: skip


def test_vacancy_at_a_coal_mine_is_a_major_condition_until_filled(world, sink):
    tw = world.a
    roster = full_roster(tw)
    key = f"duties.post_vacant:{tw.mine.pk}:{Post.TECH_WATER}"
    assert sink[key][0] is False
    with activate(tw.scope(roles.SAFETY_MANAGER)) as scope:
        services.appointment_end(scope=scope, appointment=roster[Post.TECH_WATER], ended_on=D(2026, 2, 1))
    present, condition = sink[key]
    assert present and condition.major and condition.kind == "duties.post_vacant"
    assert "防治水" in condition.description and condition.mine_id == tw.mine.pk
    [successor] = make_people(tw, 1, seq=600)
    appoint(tw, tw.mine, Post.TECH_WATER, successor, on=D(2026, 2, 3))
    assert sink[key][0] is False


def test_part_time_holder_at_coal_mine_counts_as_vacant(world, sink):
    tw = world.a
    [person] = make_people(tw, 1)
    appoint(tw, tw.mine, Post.CHIEF_ENGINEER, person, full_time=False)
    assert sink[f"duties.post_vacant:{tw.mine.pk}:{Post.CHIEF_ENGINEER}"][0] is True
    roster = _roster(tw)
    assert Post.CHIEF_ENGINEER in roster.vacancies
    assert any(w.kind == "not_full_time" for w in roster.warnings)


def test_non_coal_vacancy_warns_but_reports_no_condition(world, sink):
    tw = world.a
    [person] = make_people(tw, 1)
    appoint(tw, tw.other_mine, Post.MINE_MANAGER, person)
    assert not [k for k in sink if str(tw.other_mine.pk) in k]
    roster = _roster(tw, roles.TENANT_ADMIN, mine=tw.other_mine)
    assert len(roster.required) == 5 and len(roster.vacancies) == 4


def test_turnover_warning_at_n_departures_in_twelve_months(world):
    tw = world.a
    people = make_people(tw, 4)
    with activate(tw.scope(roles.SAFETY_MANAGER)) as scope:
        for i, person in enumerate(people[:3]):
            appt = appoint(tw, tw.mine, Post.SAFETY_DEPUTY, person, on=D(2025, 6 + 2 * i, 1))
            services.appointment_end(scope=scope, appointment=appt, ended_on=D(2025, 7 + 2 * i, 1))
    appoint(tw, tw.mine, Post.SAFETY_DEPUTY, people[3], on=D(2025, 12, 1))
    warnings = [w for w in _roster(tw).warnings if w.kind == "turnover"]
    assert len(warnings) == 1 and "3" in warnings[0].message
    assert not warnings[0].binding  # the national default is not verified: a warning, not a violation
    # A year later the changes have left the window.
    assert not [w for w in _roster(tw, today=D(2026, 12, 1)).warnings if w.kind == "turnover"]


def test_one_person_holding_two_posts_is_warned(world):
    tw = world.a
    [person] = make_people(tw, 1)
    appoint(tw, tw.mine, Post.PRODUCTION_DEPUTY, person)
    appoint(tw, tw.other_mine, Post.MINE_MANAGER, person)  # a post at another mine
    dual = [w for w in _roster(tw).warnings if w.kind == "dual_post"]
    assert dual and "2" in dual[0].message


def test_qualification_rules_warn_with_their_source(world):
    tw = world.a
    [person] = make_people(tw, 1)
    appoint(
        tw, tw.mine, Post.MINE_MANAGER, person, on=D(2025, 1, 1),
        education=Education.SECONDARY, mining_field=False, years_experience=1,
    )  # fmt: skip
    problems = [w for w in _roster(tw).warnings if w.kind == "qualification"]
    texts = " ".join(w.message for w in problems)
    assert len(problems) == 4, texts  # education, field, years, assessment past 6 months
    assert all(not w.binding and "待核实" in w.rule or "to be verified" in w.rule for w in problems)


def test_late_filing_flagged_until_filed_and_filing_validated(world):
    tw = world.a
    [person] = make_people(tw, 1)
    appt = appoint(tw, tw.mine, Post.MINE_MANAGER, person, on=D(2026, 1, 5))
    assert any(w.kind == "late_filing" for w in _roster(tw, today=D(2026, 2, 1)).warnings)
    with dangerously_platform_scope():
        filing = PostFiling.objects.get(appointment=appt)
    with activate(tw.scope(roles.SAFETY_MANAGER)) as scope:
        with pytest.raises(ValidationError) as exc:
            services.filing_record(scope=scope, filing=filing, filed_on=D(2026, 1, 1))
        assert "filed_on" in exc.value.message_dict
        services.filing_record(
            scope=scope, filing=filing, filed_on=D(2026, 1, 25), reference="黔矿安备〔2026〕3号"
        )
    with dangerously_platform_scope():  # row-level security: no scope reads nothing
        filing.refresh_from_db()
    assert filing.is_late(D(2026, 3, 1))  # filed, but after the deadline: still late
    assert any(w.kind == "late_filing" for w in _roster(tw, today=D(2026, 3, 1)).warnings)


def test_regulator_reads_rosters_and_filings_of_its_region_only(world):
    full_roster(world.a, seq=700)
    full_roster(world.b, seq=800)
    from tenants.selectors import scope_for_user

    with activate(scope_for_user(world.regulator_in)):
        tenants_seen = set(PostAppointment.objects.values_list("tenant_id", flat=True))
        assert tenants_seen == {world.a.tenant.pk, world.b.tenant.pk}
        assert PostFiling.objects.count() == 2 * 12
    with activate(scope_for_user(world.regulator_out)):
        assert not PostAppointment.objects.exists() and not PostFiling.objects.exists()
    with activate(world.a.scope(roles.SAFETY_MANAGER)):
        assert set(PostAppointment.objects.values_list("tenant_id", flat=True)) == {world.a.tenant.pk}


def test_grading_precondition_reads_the_roster(world):
    tw = world.a
    people = make_people(tw, 5)
    posts = [Post.MINE_MANAGER, Post.CHIEF_ENGINEER, Post.SAFETY_DEPUTY, Post.PRODUCTION_DEPUTY]
    for post, person in zip(posts, people, strict=False):
        appoint(tw, tw.mine, post, person)
    with activate(tw.scope(roles.HQ_AUDITOR)):
        [pre] = preconditions(tw.mine, ["five_posts_staffed"], D(2026, 3, 1))
        assert not pre.met and ("机电副矿长" in pre.message or "electromechanics" in pre.message)
        assert "总工程师" not in pre.message and "Chief engineer" not in pre.message
    appoint(tw, tw.mine, Post.ELECTROMECHANICAL_DEPUTY, people[4])
    with activate(tw.scope(roles.HQ_AUDITOR)):
        [pre] = preconditions(tw.mine, ["five_posts_staffed"], D(2026, 3, 1))
        assert pre.met
        # Judged on the day: before the appointments the posts were vacant.
        [before] = preconditions(tw.mine, ["five_posts_staffed"], D(2025, 12, 1))
        assert not before.met


def test_roster_queries_constant(world, django_assert_max_num_queries):
    tw = world.a
    full_roster(tw)
    with activate(tw.scope(roles.TENANT_ADMIN)) as scope:
        mine_list = list(selectors.mines(scope))
        with django_assert_max_num_queries(5):
            selectors.rosters(scope, mine_list, today=D(2026, 3, 1))


@time_machine.travel(datetime.datetime(2026, 3, 1, 10, tzinfo=datetime.UTC))
def test_to_dos_count_vacancies_and_late_filings(world):
    tw = world.a
    [person] = make_people(tw, 1)
    appoint(tw, tw.mine, Post.MINE_MANAGER, person, on=D(2026, 1, 5))
    with activate(tw.scope(roles.SAFETY_MANAGER)) as scope:
        items = {i.key: i.count for i in selectors.todo_items(scope)}
    # One mine (its eleven posts vacant): the to-do counts mines, as the roster list filters them.
    assert items["duties-vacancies"] == 1 and items["duties-filings-late"] == 1
    with activate(tw.scope(roles.HQ_AUDITOR)) as scope:
        assert selectors.todo_items(scope) == []


def test_required_posts_by_mine_type():
    from compliance.duties.models import required_posts

    assert len(required_posts(True)) == 12 and len(required_posts(False)) == 5
    assert required_posts(False, "tailings_pond") == (Post.MINE_MANAGER,)
