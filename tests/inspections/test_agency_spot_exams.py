"""逢查必考 by the regulator: an agency draws people at a mine of its region during its own
inspection; each sits a spot-exam paper of the mine's group on their phone with a one-time code;
the attempt belongs to the agency's inspection, and a failure suspends the person from post on
the agency's order — the one effect of an agency's record on the tenant's side, audited as such."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from compliance.audit.models import AuditEvent
from compliance.inspections.agency.models import AgencySpotCheck
from compliance.inspections.models import Suspension
from compliance.training import attempts
from compliance.training.models import Attempt, AttemptQuestion, QuestionOption
from tenants.models import Person, PersonHold
from tenants.scope import dangerously_platform_scope

from ..conftest import login
from .test_agency_records import _other_agency_user, _record
from .test_inspections import make_bank, make_paper

pytestmark = pytest.mark.django_db
ENTER = "/training/spot/"


@pytest.fixture
def drawn(world):
    """The Guizhou regulator inspects tenant A's mine and draws two people for the group's spot
    paper."""
    a = world.a
    make_bank(a)
    paper = make_paper(a)
    reg = login(world.regulator_in)
    inspection = _record(reg, a.mine)
    url = reverse("agency:spot-draw", kwargs={"pk": inspection.pk})
    response = reg.post(url, {"paper": str(paper.pk), "count": 2})
    assert response.status_code == 302, response.content.decode()[:2000]
    with dangerously_platform_scope():
        checks = list(
            AgencySpotCheck.objects.filter(inspection=inspection).select_related("person__org_unit")
        )
    return world, reg, inspection, paper, checks


def _code(reg, check) -> str:
    response = reg.post(reverse("agency:spot-code", kwargs={"pk": check.pk}))
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    return re.search(r'data-testid="spot-code-value">(\d{6})<', response.content.decode()).group(1)


def _sit(code: str, *, right: bool) -> Attempt:
    """The person types the code on their phone (nobody logged in) and answers every question."""
    phone = Client()
    response = phone.post(ENTER, {"code": code})
    assert response.status_code == 302, response.content.decode()[:2000]
    attempt_id = phone.session["spot_attempts"][0]
    with dangerously_platform_scope():
        attempt = Attempt.objects.get(pk=attempt_id)
        for row in AttemptQuestion.objects.filter(attempt=attempt):
            option = QuestionOption.objects.get(question_id=row.question_id, is_correct=right)
            attempts.save_answer(attempt, row.question_id, [str(option.pk)])
        return attempts.submit_attempt(attempt)


def test_a_failed_spot_exam_before_the_regulator_suspends_by_its_order(drawn):
    world, reg, inspection, paper, (check, other) = drawn
    assert {c.person.org_unit.path.startswith(world.a.mine.path) for c in (check, other)} == {True}
    attempt = _sit(_code(reg, check), right=False)
    assert attempt.passed is False and attempt.occasion == Attempt.Occasion.SPOT_EXAM
    with dangerously_platform_scope():
        check.refresh_from_db()
        suspension = Suspension.objects.get(person=check.person)
        person = Person.objects.get(pk=check.person_id)
        hold = PersonHold.objects.get(person=person, lifted_at__isnull=True)
        event = AuditEvent.objects.get(action="suspend", object_id=str(suspension.pk))
    # The attempt belongs to the agency's inspection; the suspension is the agency's order.
    assert check.attempt_id == attempt.pk
    assert (suspension.agency_spot_check_id, suspension.ordered_by_id) == (check.pk, world.agency_in.pk)
    assert world.agency_in.name in suspension.reason and world.a.mine.name in suspension.reason
    assert person.status == Person.Status.SUSPENDED and hold.reference_id == str(suspension.pk)
    assert event.after["ordered_by"] == str(world.agency_in.pk)
    assert event.after["agency_spot_check"] == str(check.pk)
    # Both the agency and the mine's group see the result on the regulator's inspection.
    url = reverse("agency:inspection-detail", kwargs={"pk": inspection.pk})
    for client in (reg, login(world.a.users["safety_manager"])):
        page = client.get(url).content.decode()
        assert page.count('data-testid="agency-spot-row"') == 2
        assert page.count('data-testid="agency-spot-suspended"') == 1
    # Passing the group's clearing paper lifts it, as for any spot exam.
    with dangerously_platform_scope():
        suspension.clearing_paper.audience_people.add(person)
        retest = attempts.start_attempt(
            paper=suspension.clearing_paper, person=person, occasion=Attempt.Occasion.RETEST
        )
        for row in AttemptQuestion.objects.filter(attempt=retest):
            option = QuestionOption.objects.get(question_id=row.question_id, is_correct=True)
            attempts.save_answer(retest, row.question_id, [str(option.pk)])
        attempts.submit_attempt(retest)
        suspension.refresh_from_db()
        assert suspension.cleared_at is not None
        assert Person.objects.get(pk=person.pk).status == Person.Status.ON_POST


def test_passing_suspends_nobody_and_a_code_works_once(drawn):
    world, reg, _inspection, _paper, (check, _other) = drawn
    code = _code(reg, check)
    attempt = _sit(code, right=True)
    assert attempt.passed is True
    with dangerously_platform_scope():
        assert not Suspension.objects.filter(person=check.person).exists()
    assert Client().post(ENTER, {"code": code}).status_code == 400  # used
    # Started: no new code.
    response = reg.post(reverse("agency:spot-code", kwargs={"pk": check.pk}), follow=True)
    assert "已经开始" in response.content.decode() or "already been started" in response.content.decode()


def test_drawing_never_draws_anyone_twice_and_checks_the_form(drawn):
    world, reg, inspection, paper, checks = drawn
    url = reverse("agency:spot-draw", kwargs={"pk": inspection.pk})
    response = reg.post(url, {"paper": str(paper.pk), "count": 0})
    assert response.status_code == 400 and 'data-field="count"' in response.content.decode()
    with dangerously_platform_scope():
        on_post = Person.objects.filter(
            tenant=world.a.tenant, org_unit__path__startswith=world.a.mine.path, status="on_post"
        ).count()
    assert reg.post(url, {"paper": str(paper.pk), "count": 50}).status_code == 302
    with dangerously_platform_scope():
        rows = AgencySpotCheck.objects.filter(inspection=inspection)
        drawn_people = list(rows.values_list("person", flat=True))
    assert len(drawn_people) == len(set(drawn_people)) == on_post
    response = reg.post(url, {"paper": str(paper.pk), "count": 1})
    assert response.status_code == 400 and "没有可抽取" in response.content.decode()


def test_only_the_agency_writes_them_and_another_agency_sees_nothing(drawn):
    world, reg, inspection, paper, (check, _other) = drawn
    other = login(_other_agency_user())
    assert other.get(reverse("agency:inspection-detail", kwargs={"pk": inspection.pk})).status_code == 404
    assert other.post(reverse("agency:spot-code", kwargs={"pk": check.pk})).status_code == 404
    draw = reverse("agency:spot-draw", kwargs={"pk": inspection.pk})
    assert other.post(draw, {"paper": str(paper.pk), "count": 1}).status_code == 404
    manager = login(world.a.users["safety_manager"])
    assert manager.post(draw, {"paper": str(paper.pk), "count": 1}).status_code == 403
    assert manager.post(reverse("agency:spot-code", kwargs={"pk": check.pk})).status_code == 403
    # A paper of another group is refused field by field.
    make_bank(world.b)
    foreign = make_paper(world.b, title="B 卷")
    response = reg.post(draw, {"paper": str(foreign.pk), "count": 1})
    assert response.status_code == 400 and 'data-field="paper"' in response.content.decode()
    with dangerously_platform_scope():
        assert AgencySpotCheck.objects.filter(inspection=inspection).count() == 2


def test_the_api_draws_issues_codes_and_reads_results(world):
    a = world.a
    make_bank(a)
    paper = make_paper(a)
    reg = login(world.regulator_in)
    inspection = _record(reg, a.mine)
    base = "/api/v1/agency/spot-exams/"
    bad = reg.post(
        base, {"inspection": str(inspection.pk), "paper": str(paper.pk), "count": 0}, "application/json"
    )
    assert bad.status_code == 400 and "count" in bad.json()
    drawn = reg.post(
        base, {"inspection": str(inspection.pk), "paper": str(paper.pk), "count": 2}, "application/json"
    )
    assert drawn.status_code == 201, drawn.content
    rows = drawn.json()
    assert len(rows) == 2 and {r["status"] for r in rows} == {"not_started"}
    issued = reg.post(f"{base}{rows[0]['id']}/code/")
    assert issued.status_code == 201 and len(issued.json()["code"]) == 6
    _sit(issued.json()["code"], right=False)
    listed = reg.get(base, {"inspection": str(inspection.pk)}).json()
    row = next(r for r in listed["results"] if r["id"] == rows[0]["id"])
    assert (row["passed"], row["suspended"]) == (False, True)
    # The mine's group reads them; it cannot draw.
    manager = login(a.users["safety_manager"])
    assert manager.get(f"{base}{rows[0]['id']}/").json()["suspended"] is True
    body = {"inspection": str(inspection.pk), "paper": str(paper.pk), "count": 1}
    assert manager.post(base, body, "application/json").status_code == 403
