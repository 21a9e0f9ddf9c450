"""After a failed spot exam the result page says the person is suspended and what the re-test
is; a person with no login sits the re-test by a re-test code on the spot-exam page (issue 13)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from compliance.audit.models import AuditEvent
from compliance.inspections import services as inspections
from compliance.inspections.models import Suspension
from compliance.training import attempts
from compliance.training.models import Attempt, AttemptQuestion, QuestionOption
from tenants import roles
from tenants.models import Person
from tenants.scope import dangerously_platform_scope

from ..conftest import login
from .test_inspections import as_role, make_bank, make_inspection, make_paper

pytestmark = pytest.mark.django_db


def _answer_all(attempt, *, right: bool):
    with dangerously_platform_scope():
        for row in AttemptQuestion.objects.filter(attempt=attempt):
            option = QuestionOption.objects.get(question_id=row.question_id, is_correct=right)
            attempts.save_answer(attempt, row.question_id, [str(option.pk)])


@pytest.fixture
def failed(world):
    """A team worker (no login) failed a spot exam taken by code on their phone."""
    a = world.a
    make_bank(a)
    paper = make_paper(a)
    clearing = make_paper(a, title="下岗复训考试", spot=False, clears=True)
    inspection = make_inspection(a)
    person = a.people[1]
    with as_role(a) as scope:
        (check,) = inspections.pick_people(scope=scope, inspection=inspection, paper=paper, people=[person])
        code = inspections.issue_code(scope=scope, spot_check=check)
    phone = Client()
    take = phone.post(reverse("inspections:spot-enter"), {"code": code, "s": str(check.pk)})
    assert take.status_code == 302
    attempt_id = take["Location"].rstrip("/").split("/")[-1]
    with dangerously_platform_scope():
        attempt = Attempt.objects.get(pk=attempt_id)
    _answer_all(attempt, right=False)
    done = phone.post(reverse("training:exam-submit", kwargs={"attempt_id": attempt.pk}))
    assert done.status_code == 302
    return world, inspection, check, person, clearing, phone, done["Location"]


def test_the_result_page_says_suspended_and_how_to_reach_the_retest(failed):
    world, _inspection, _check, person, clearing, phone, result_url = failed
    with translation.override("zh-hans"):
        page = phone.get(result_url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-testid="suspension-note"' in page
    assert "你已被停止上岗（下岗）" in page and clearing.title in page
    # No login on this phone: the way in is a re-test code typed on the spot-exam page.
    assert 'data-testid="retest-enter"' in page and reverse("inspections:spot-enter") in page
    assert 'data-testid="retest-link"' not in page


def test_a_retest_code_lets_a_person_without_login_sit_and_pass_the_retest(failed):
    world, inspection, check, person, clearing, _phone, _result = failed
    manager = login(world.a.users[roles.SAFETY_MANAGER])
    detail = manager.get(
        reverse("inspections:inspection-detail", kwargs={"pk": inspection.pk})
    ).content.decode()
    with dangerously_platform_scope():
        suspension = Suspension.objects.get(person=person, cleared_at__isnull=True)
    assert reverse("inspections:retest-code", kwargs={"pk": suspension.pk}) in detail
    issued = manager.post(
        reverse("inspections:retest-code", kwargs={"pk": suspension.pk}), {"inspection": str(inspection.pk)}
    )
    assert issued.status_code == 200 and issued["Cache-Control"] == "no-store"
    code = issued.context["code"]
    with dangerously_platform_scope():
        assert AuditEvent.objects.filter(object_id=str(suspension.pk), action="retest_code").exists()
        assert Suspension.objects.get(pk=suspension.pk).retest_code_digest != code  # a digest only

    phone = Client()
    start = phone.post(reverse("inspections:spot-enter"), {"code": code})
    assert start.status_code == 302
    attempt_id = start["Location"].rstrip("/").split("/")[-1]
    with dangerously_platform_scope():
        retest = Attempt.objects.get(pk=attempt_id)
    assert retest.paper_id == clearing.pk and retest.occasion == Attempt.Occasion.RETEST
    assert retest.person_id == person.pk
    # The code works once.
    assert Client().post(reverse("inspections:spot-enter"), {"code": code}).status_code == 400

    _answer_all(retest, right=True)
    done = phone.post(reverse("training:exam-submit", kwargs={"attempt_id": retest.pk}))
    assert done.status_code == 302
    with translation.override("zh-hans"):
        page = phone.get(done["Location"], HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-testid="suspension-lifted"' in page
    with dangerously_platform_scope():
        assert Suspension.objects.get(pk=suspension.pk).cleared_at is not None
        assert Person.objects.get(pk=person.pk).status == Person.Status.ON_POST


def test_only_the_units_inspectors_issue_retest_codes(failed):
    world, _inspection, _check, person, _clearing, _phone, _result = failed
    with dangerously_platform_scope():
        suspension = Suspension.objects.get(person=person, cleared_at__isnull=True)
    url = reverse("inspections:retest-code", kwargs={"pk": suspension.pk})
    assert login(world.b.users[roles.SAFETY_MANAGER]).post(url).status_code == 404
    assert login(world.a.users[roles.WORKER]).post(url).status_code == 403
    assert login(world.regulator_in).post(url).status_code == 403
    with dangerously_platform_scope():
        assert Suspension.objects.get(pk=suspension.pk).retest_code_digest == ""


def test_a_logged_in_worker_is_pointed_to_my_exams(world):
    a = world.a
    make_bank(a)
    paper = make_paper(a)
    clearing = make_paper(a, title="下岗复训考试", spot=False, clears=True)
    inspection = make_inspection(a)
    person = a.worker_person
    with as_role(a) as scope:
        (check,) = inspections.pick_people(scope=scope, inspection=inspection, paper=paper, people=[person])
    with dangerously_platform_scope():
        attempt = inspections.start_spot_attempt(spot_check=check)
    _answer_all(attempt, right=False)
    with dangerously_platform_scope():
        attempts.submit_attempt(attempt)
    worker = login(a.users[roles.WORKER])
    page = worker.get(reverse("training:exam-result", kwargs={"attempt_id": attempt.pk})).content.decode()
    assert 'data-testid="suspension-note"' in page
    assert reverse("training:exam-start", kwargs={"paper_id": clearing.pk}) in page
