"""Failing a spot exam suspends from post (下岗); only passing the designated paper lifts it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from compliance.audit.models import AuditEvent
from compliance.inspections import services as inspections
from compliance.inspections.models import Suspension
from compliance.training import attempts
from compliance.training.models import AttemptQuestion, QuestionOption
from tenants import roles, services
from tenants.models import Person
from tenants.scope import dangerously_platform_scope

from ..conftest import login
from .test_inspections import as_role, make_bank, make_inspection, make_paper

pytestmark = pytest.mark.django_db


def _take(paper, person, *, right: bool, spot_check=None, assign=True):
    """Start an attempt and answer every question right (or wrong), then submit."""
    with dangerously_platform_scope():
        person = Person.objects.select_related("org_unit").get(pk=person.pk)
        if spot_check is None and assign:
            paper.audience_people.add(person)
        if spot_check is not None:
            attempt = inspections.start_spot_attempt(spot_check=spot_check)
        else:
            attempt = attempts.start_attempt(paper=paper, person=person)
        for row in AttemptQuestion.objects.filter(attempt=attempt):
            option = QuestionOption.objects.get(question_id=row.question_id, is_correct=right)
            attempts.save_answer(attempt, row.question_id, [str(option.pk)])
        return attempts.submit_attempt(attempt)


@pytest.fixture
def spot(world):
    a = world.a
    make_bank(a)
    paper = make_paper(a)
    inspection = make_inspection(a)
    person = a.people[1]  # special-operation worker in the team
    with as_role(a) as scope:
        (check,) = inspections.pick_people(scope=scope, inspection=inspection, paper=paper, people=[person])
    return world, inspection, paper, check, person


def test_failing_suspends_with_reason_audit_and_shows_in_people_list(spot):
    world, inspection, paper, check, person = spot
    a = world.a
    clearing = make_paper(
        a, title="下岗复训考试", spot=False, clears=True, audience_post_categories=["principal"]
    )
    fitting = make_paper(
        a, title="特种作业复训考试", spot=False, clears=True, audience_post_categories=["special_operation"]
    )
    attempt = _take(paper, person, right=False, spot_check=check)
    assert attempt.passed is False
    with dangerously_platform_scope():
        person.refresh_from_db()
        suspension = Suspension.objects.get(person=person, cleared_at__isnull=True)
        assert person.status == Person.Status.SUSPENDED
        assert a.mine.name in person.status_reason and "2026-03-05" in person.status_reason
        assert suspension.reason.startswith(person.status_reason[:20])
        assert suspension.spot_check_id == check.pk
        assert suspension.clearing_paper_id == fitting.pk  # the clearing paper meant for this post
        assert fitting.audience_people.filter(pk=person.pk).exists()  # the re-test shows in their exams
        assert not clearing.audience_people.filter(pk=person.pk).exists()
        assert AuditEvent.objects.filter(object_id=str(suspension.pk), action="suspend").exists()
        assert AuditEvent.objects.filter(object_id=str(person.pk), action="update").exists()
    # applying twice changes nothing (the grading transaction calls it inside a scope)
    with dangerously_platform_scope():
        inspections.apply_attempt_result(attempt)
        assert Suspension.objects.filter(person=person).count() == 1

    body = login(a.users[roles.SAFETY_MANAGER]).get(reverse("person-list")).content.decode()
    assert 'class="status suspended"' in body and person.status_reason in body
    detail = login(a.users[roles.SAFETY_MANAGER]).get(
        reverse("inspections:inspection-detail", kwargs={"pk": inspection.pk})
    )
    assert 'class="status failed"' in detail.content.decode()


def test_without_a_clearing_paper_the_spot_paper_itself_clears(spot):
    world, inspection, paper, check, person = spot
    _take(paper, person, right=False, spot_check=check)
    with dangerously_platform_scope():
        suspension = Suspension.objects.get(person=person)
        assert suspension.clearing_paper_id == paper.pk


def test_only_passing_the_clearing_paper_lifts_it(spot):
    world, inspection, paper, check, person = spot
    a = world.a
    clearing = make_paper(a, title="下岗复训考试", spot=False, clears=True)
    other = make_paper(a, title="年度考试", spot=False)
    _take(paper, person, right=False, spot_check=check)

    passed_other = _take(other, person, right=True)
    assert passed_other.passed is True
    with dangerously_platform_scope():
        person.refresh_from_db()
        assert person.status == Person.Status.SUSPENDED
        assert Suspension.objects.get(person=person).cleared_at is None

    # the suspension assigned the clearing paper to the person: it is among their exams
    from compliance.training.selectors import assigned_papers

    with dangerously_platform_scope():
        assert clearing.pk in {p.pk for p in assigned_papers(person)}
    failed_clearing = _take(clearing, person, right=False, assign=False)
    assert failed_clearing.passed is False
    with dangerously_platform_scope():
        assert Suspension.objects.get(person=person).cleared_at is None

    passed = _take(clearing, person, right=True, assign=False)
    with dangerously_platform_scope():
        person.refresh_from_db()
        suspension = Suspension.objects.get(person=person)
        assert person.status == Person.Status.ON_POST and person.status_reason == ""
        assert suspension.cleared_at is not None and suspension.cleared_by_attempt_id == passed.pk
        assert AuditEvent.objects.filter(object_id=str(suspension.pk), action="clear").exists()


def test_passing_the_spot_exam_suspends_nobody(spot):
    world, inspection, paper, check, person = spot
    attempt = _take(paper, person, right=True, spot_check=check)
    assert attempt.passed is True
    with dangerously_platform_scope():
        person.refresh_from_db()
        assert person.status == Person.Status.ON_POST
        assert not Suspension.objects.filter(person=person).exists()


def test_a_manual_status_edit_cannot_lift_a_suspension(spot):
    world, inspection, paper, check, person = spot
    a = world.a
    _take(paper, person, right=False, spot_check=check)
    with as_role(a) as scope:
        with dangerously_platform_scope():
            person = Person.objects.select_related("org_unit").get(pk=person.pk)
        with pytest.raises(ValidationError) as exc:
            services.person_update(scope=scope, person=person, status=Person.Status.ON_POST)
        assert "status" in exc.value.message_dict
        # other edits of a suspended person still work
        with dangerously_platform_scope():
            person = Person.objects.select_related("org_unit").get(pk=person.pk)
        services.person_update(scope=scope, person=person, phone="13800000000")
        with dangerously_platform_scope():
            assert Person.objects.get(pk=person.pk).status == Person.Status.SUSPENDED
    client = login(a.users[roles.SAFETY_MANAGER])
    form = {
        "org_unit": person.org_unit_id,
        "name": person.name,
        "employee_no": person.employee_no,
        "post_category": person.post_category,
        "operation_type": person.operation_type,
        "status": "on_post",
    }
    response = client.post(reverse("person-edit", kwargs={"pk": person.pk}), form)
    assert response.status_code == 400
    assert 'data-field="status"' in response.content.decode()
    api = client.patch(
        reverse("api:person-detail", kwargs={"pk": person.pk}),
        {"status": "on_post"},
        content_type="application/json",
    )
    assert api.status_code == 400 and "status" in api.json()
    with dangerously_platform_scope():
        person.refresh_from_db()
        assert person.status == Person.Status.SUSPENDED
        assert Suspension.objects.get(person=person).cleared_at is None
