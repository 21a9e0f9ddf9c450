"""Worked examples of the managers' statutory assessment (安全生产知识和管理能力考核; issue 14,
point 9): sittings recorded from the assessing authority, the one re-sit and the year's wait, the
30 days to apply and the 6-month deadline met by a passed sitting.

Each test names its source. The values come from the shipped national pack
(``training.0010_certificate_rules_data``: 30 days, 6 months, one re-sit, 12 months, all verified).
Article numbers the texts have not been checked for are marked 待核, as docs/training.md does."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from compliance.audit.models import AuditEvent
from compliance.training import assessments, reviews
from compliance.training.certificate_rules import RuleBook
from compliance.training.models import ManagerAssessmentSitting
from tenants import roles
from tenants.models import Person, PersonHold
from tenants.scope import dangerously_platform_scope

from ..conftest import login
from .test_certificate_rules import _make_manager, _unverify, at

pytestmark = pytest.mark.django_db

D = datetime.date
AUTHORITY = "贵州省应急管理厅"


def _sit(person, day, result, *, scope=None, **over):
    data = {"sat_on": day, "authority": AUTHORITY, "result": result} | over
    with at(day):
        if scope is not None:
            return assessments.sitting_record(scope=scope, person=person, data=data)
        with dangerously_platform_scope() as platform:
            return assessments.sitting_record(scope=platform, person=person, data=data)


def _state(person, day):
    with dangerously_platform_scope():
        sittings = list(ManagerAssessmentSitting.objects.filter(person=person))
        return assessments.sitting_state(sittings, day, RuleBook.load())


def _page(client, person) -> str:
    return client.get(f"/training/people/{person.pk}/assessment/").content.decode()


# --- the re-sit and the wait -----------------------------------------------------------------------


def test_one_resit_after_a_failed_sitting_then_a_years_wait_with_the_date_it_ends(world):
    """安全生产资格考试与证书管理暂行办法 (安监总培训〔2013〕104号, 条号待核): failing the assessment
    allows one re-sit; failing the re-sit means no new sitting for 12 months after it.

    A principal in post since 2026-01-05 fails on 2026-01-20: "one re-sit allowed". Fails the
    re-sit on 2026-03-01: "must wait until 2027-03-01". A sitting on 2026-09-01 is refused, the
    message naming the rule and the day the wait ends; one on 2027-03-01 is a new first sitting."""
    person = _make_manager(world, D(2026, 1, 5))
    _sit(person, D(2026, 1, 20), "failed")
    state = _state(person, D(2026, 1, 21))
    assert (state.key, state.resits_left, state.label) == ("resit", 1, "可补考一次")
    _sit(person, D(2026, 3, 1), "failed", score="62")
    state = _state(person, D(2026, 3, 2))
    assert (state.key, state.wait_until, state.binding) == ("waiting", D(2027, 3, 1), True)
    assert state.label == "须等待至 2027-03-01"
    with pytest.raises(ValidationError) as caught:
        _sit(person, D(2026, 9, 1), "passed")
    message = caught.value.message_dict["sat_on"][0]
    assert "2027-03-01" in message and "补考仍不合格" in message
    with dangerously_platform_scope():  # row-level security: no scope reads no tenant's rows
        assert ManagerAssessmentSitting.objects.filter(person=person).count() == 2
    with pytest.raises(ValidationError):  # the day before the wait ends
        _sit(person, D(2027, 2, 28), "passed")
    _sit(person, D(2027, 3, 1), "failed")
    assert _state(person, D(2027, 3, 2)).key == "resit"  # a new round: its own re-sit


def test_a_passed_resit_ends_the_round(world):
    """安监总培训〔2013〕104号 (条号待核): a re-sit passed is a pass — "已合格", no wait."""
    person = _make_manager(world, D(2026, 1, 5))
    _sit(person, D(2026, 1, 20), "failed")
    _sit(person, D(2026, 2, 20), "passed", score="86.5")
    state = _state(person, D(2026, 3, 1))
    assert state.key == "passed" and state.label == "已合格（2026-02-20）"


def test_an_unverified_wait_only_warns_and_records_the_sitting(world):
    """DESIGN.md "Rules as data" with 安监总培训〔2013〕104号: the 12-month wait marked unverified,
    a sitting inside it is recorded with a warning naming the source (待核实), kept in the audit
    trail; the page shows the wait with "待核实"."""
    person = _make_manager(world, D(2026, 1, 5))
    _sit(person, D(2026, 1, 20), "failed")
    _sit(person, D(2026, 3, 1), "failed")
    _unverify("manager_wait_after_fail_months")
    with at(D(2026, 4, 1)):
        client = login(world.a.users[roles.SAFETY_MANAGER])
        page = _page(client, person)
        assert "须等待至 2027-03-01" in page and "待核实" in page
    sitting, warnings = _sit(person, D(2026, 9, 1), "passed")
    assert len(warnings) == 1 and "2027-03-01" in warnings[0] and "待核实" in warnings[0]
    with dangerously_platform_scope():
        event = AuditEvent.objects.get(object_id=str(sitting.pk))
    assert event.object_type == "training.ManagerAssessmentSitting" and event.after["warnings"] == warnings


def test_sittings_are_recorded_in_order(world):
    """The re-sit and the wait are judged on the sittings before a new one (decision recorded in
    compliance/training/assessments.py): one dated on or before the last is refused."""
    person = _make_manager(world, D(2026, 1, 5))
    _sit(person, D(2026, 2, 1), "failed")
    with pytest.raises(ValidationError) as caught:
        _sit(person, D(2026, 2, 1), "failed")
    assert "2026-02-01" in caught.value.message_dict["sat_on"][0]


# --- the 30 days and the 6 months -------------------------------------------------------------------


def test_a_first_sitting_later_than_thirty_days_after_taking_the_post_is_flagged(world):
    """生产经营单位安全培训规定 (令第3号) with 令第44号 / 第92号 (条号待核): apply for the assessment
    within 30 days of taking the post. In post since 2026-01-05 (apply by 2026-02-04): a first
    sitting on 2026-02-10 with no application date is flagged; the same sitting applied for on
    2026-02-01 is not."""
    person = _make_manager(world, D(2026, 1, 5))
    sitting, _ = _sit(person, D(2026, 2, 10), "failed")
    with at(D(2026, 2, 11)), dangerously_platform_scope() as platform:
        flags = {f.key: f for f in reviews.person_flags(scope=platform, person=person, certs=[])}
        assert flags["manager_late_sitting"].binding and "2026-02-04" in flags["manager_late_sitting"].text
        assert "manager_apply" not in flags  # it has been applied for: no reminder to apply
        ManagerAssessmentSitting.objects.filter(pk=sitting.pk).update(applied_on=D(2026, 2, 1))
        flags = {f.key for f in reviews.person_flags(scope=platform, person=person, certs=[])}
        assert "manager_late_sitting" not in flags


def test_a_passed_sitting_meets_the_six_month_deadline_and_lifts_the_hold(world):
    """令第3号 with 令第44号 / 第92号 (条号待核): pass within 6 months of taking the post. In post
    since 2024-01-15, held by the daily job on 2024-07-16; a failed sitting changes nothing, a
    passed one recorded on 2024-07-20 lifts the hold, and the flag is gone."""
    person = _make_manager(world, D(2024, 1, 15))
    with at(D(2024, 7, 16)):
        assert reviews.check_all_managers() == 1
    _sit(person, D(2024, 7, 17), "failed")
    with dangerously_platform_scope():
        hold = PersonHold.objects.get(person=person, source=reviews.MANAGER_HOLD_SOURCE)
        assert hold.lifted_at is None
    _sit(person, D(2024, 7, 20), "passed")
    with at(D(2024, 7, 21)), dangerously_platform_scope():
        hold.refresh_from_db()
        assert hold.lifted_at is not None
        assert Person.objects.get(pk=person.pk).status == Person.Status.ON_POST
        assert reviews.check_all_managers() == 0


def test_a_sitting_passed_before_taking_the_post_counts_while_in_force(world):
    """令第44号 / 第92号 (条号待核): like a certificate (valid 3 years), a pass counts if it was in
    force at some time in the post; one passed four years before the post does not."""
    person = _make_manager(world, D(2026, 1, 5))
    book = RuleBook.load()
    old = ManagerAssessmentSitting(kind="principal", sat_on=D(2021, 6, 1), result="passed")
    recent = ManagerAssessmentSitting(kind="principal", sat_on=D(2024, 6, 1), result="passed")
    assert not assessments.passed_in_post([old], "principal", person.post_started_on, D(2026, 8, 1), book)
    assert assessments.passed_in_post([recent], "principal", person.post_started_on, D(2026, 8, 1), book)


# --- the service refuses field by field ------------------------------------------------------------


def test_every_mistake_is_named_at_once_and_nothing_changes(world):
    """Bad input gets a message field by field (Chinese by default) and writes nothing."""
    person = _make_manager(world, D(2026, 1, 5))
    with pytest.raises(ValidationError) as caught:
        _sit(person, D(2026, 2, 1), "maybe", authority="", score="120", applied_on=D(2026, 2, 2))
    assert {"authority", "result", "score", "applied_on"} <= set(caught.value.message_dict)
    with dangerously_platform_scope():  # on PostgreSQL no scope would see nothing either way
        assert not ManagerAssessmentSitting.objects.filter(person=person).exists()


def test_only_managers_sit_the_statutory_assessment(world):
    """令第3号: the assessment is of 主要负责人 and 安全生产管理人员 (条号待核)."""
    with pytest.raises(ValidationError) as caught:
        _sit(world.a.people[1], D(2026, 2, 1), "passed")
    assert "person" in caught.value.message_dict


def test_a_team_leader_may_not_record_a_sitting(world):
    """Safety managers of the person's unit and above record (MANAGE_TRAINING); others may not."""
    person = _make_manager(world, D(2026, 1, 5))
    with pytest.raises(PermissionDenied):
        _sit(person, D(2026, 2, 1), "passed", scope=world.a.scope(roles.TEAM_LEADER))


# --- pages and API -----------------------------------------------------------------------------------


def test_the_person_page_shows_sittings_state_and_deadline_and_the_page_records_one(world):
    """The certificates panel of a manager: sittings, "待考核", the deadline (6 months after
    2026-01-05: 2026-07-05) and the link; the page records a sitting and says what it is."""
    person = _make_manager(world, D(2026, 1, 5))
    client = login(world.a.users[roles.SAFETY_MANAGER])
    with at(D(2026, 1, 20)):
        page = client.get(f"/people/{person.pk}/").content.decode()
        assert 'data-testid="person-assessment"' in page and "待考核" in page and "2026-07-05" in page
        assert f"/training/people/{person.pk}/assessment/" in page
        bad = client.post(
            f"/training/people/{person.pk}/assessment/", {"sat_on": "2026-01-19", "result": "failed"}
        )
        assert bad.status_code == 400 and "考核机关" in bad.content.decode()
        response = client.post(
            f"/training/people/{person.pk}/assessment/",
            {"sat_on": "2026-01-19", "authority": AUTHORITY, "result": "failed", "score": "70"},
        )
        assert response.status_code == 302
        page = client.get(f"/people/{person.pk}/").content.decode()
        assert "可补考一次" in page and AUTHORITY in page


def test_a_worker_reads_their_own_sittings_and_records_none(world):
    """A worker reads their own (scope_owner), never another's; they cannot record."""
    own = world.a.worker_person
    with dangerously_platform_scope():
        Person.objects.filter(pk=own.pk).update(
            post_category="safety_management", post_started_on=D(2026, 1, 5)
        )
        own = Person.objects.select_related("org_unit").get(pk=own.pk)
    _sit(own, D(2026, 1, 20), "failed")
    other = _make_manager(world, D(2026, 1, 5))
    _sit(other, D(2026, 1, 21), "passed")
    client = login(world.a.users[roles.WORKER])
    with at(D(2026, 2, 1)):
        assert "可补考一次" in _page(client, own)
        assert client.get(f"/training/people/{other.pk}/assessment/").status_code == 404
        rows = client.get("/api/v1/training/assessment-sittings/").json()["results"]
        assert [r["person"] for r in rows] == [str(own.pk)]
        refused = client.post(
            f"/training/people/{own.pk}/assessment/",
            {"sat_on": "2026-02-01", "authority": AUTHORITY, "result": "passed"},
        )
        assert refused.status_code == 403


def test_the_page_is_for_managers_only(world):
    client = login(world.a.users[roles.SAFETY_MANAGER])
    assert client.get(f"/training/people/{world.a.people[1].pk}/assessment/").status_code == 404


def test_the_api_records_a_sitting_refuses_one_in_the_wait_and_lists_by_person(world):
    """安监总培训〔2013〕104号 (条号待核) through ``/api/v1/training/assessment-sittings/``."""
    person = _make_manager(world, D(2026, 1, 5))
    client = login(world.a.users[roles.SAFETY_MANAGER])
    url = "/api/v1/training/assessment-sittings/"
    for day in ("2026-01-20", "2026-03-01"):
        with at(D.fromisoformat(day)):
            body = {"person": str(person.pk), "sat_on": day, "authority": AUTHORITY, "result": "failed"}
            response = client.post(url, body, content_type="application/json")
            assert response.status_code == 201, response.content
            assert response.json()["kind"] == "principal" and response.json()["warnings"] == []
    with at(D(2026, 9, 1)):
        body = {"person": str(person.pk), "sat_on": "2026-09-01", "authority": AUTHORITY, "result": "passed"}
        response = client.post(url, body, content_type="application/json")
        assert response.status_code == 400 and "2027-03-01" in str(response.json())
        rows = client.get(url, {"person": str(person.pk)}).json()["results"]
        assert [r["sat_on"] for r in rows] == ["2026-01-20", "2026-03-01"]
        assert client.get(url, {"person": str(world.b.people[2].pk)}).status_code == 404


def _queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_list_and_the_page_cost_the_same_queries_at_2_and_50_sittings(world):
    """House habit 11: a list holds its query count from 2 rows to 50."""
    person = _make_manager(world, D(2020, 1, 5))
    client = login(world.a.users[roles.SAFETY_MANAGER])
    urls = ("/api/v1/training/assessment-sittings/", f"/training/people/{person.pk}/assessment/")

    def add(n, start):
        with dangerously_platform_scope():
            for i in range(n):
                ManagerAssessmentSitting.objects.create(
                    tenant=world.a.tenant,
                    person=person,
                    kind="principal",
                    sat_on=D(2020, 1, 1) + datetime.timedelta(days=start + i),
                    authority=AUTHORITY,
                    result="failed",
                )

    add(2, 0)
    small = [_queries(client, url) for url in urls]
    add(48, 2)
    assert [_queries(client, url) for url in urls] == small
