"""When a taker sees the answer key of an attempt (correct options, right/wrong, explanations):
only once they can no longer sit the paper, only where the paper says so, never for a spot exam
or a re-test — on the API and on the result page alike."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from compliance.inspections import services as inspection_services
from compliance.inspections.models import Inspection, SpotCheck
from compliance.training import attempts
from tenants import roles
from tenants.scope import dangerously_platform_scope

from ..conftest import login
from . import test_attempts
from .test_attempts import correct_ids, detail, make_paper, put_answer, start, submit

pytestmark = pytest.mark.django_db

exam = test_attempts.exam  # the worker assigned a paper of two attempts

EXPLANATION = "依据《煤矿安全规程》"  # every question of the test bank carries it
KEY_FIELDS = {"correct", "correct_options", "explanation"}


def _keys_in_api(client, attempt_id) -> bool:
    response = detail(client, attempt_id)
    assert response.status_code == 200, response.content
    raw = response.content.decode()
    questions = response.json()["questions"]
    shown = any(KEY_FIELDS & set(q) for q in questions) or EXPLANATION in raw
    if not shown:
        assert "correct" not in raw and "explanation" not in raw  # not under any other name either
    return shown


def _keys_on_page(client, attempt_id) -> bool:
    page = client.get(reverse("training:exam-result", kwargs={"attempt_id": attempt_id}))
    assert page.status_code == 200, page.get("Location")
    html = page.content.decode()
    shown = EXPLANATION in html or 'data-testid="review-1"' in html
    if not shown:
        assert 'class="correct' not in html
    return shown


def _fail(client, paper) -> str:
    """Sit ``paper`` and fail it (nothing answered); the attempt's id."""
    body = start(client, paper).json()
    assert submit(client, body["id"]).json()["passed"] is False
    return body["id"]


def test_no_key_while_a_resit_is_possible_or_running_then_after_the_last_attempt(exam):
    client, paper = exam.client, exam.paper  # two attempts allowed
    first = _fail(client, paper)
    # A re-sit is possible: the first attempt's questions may come again.
    assert not _keys_in_api(client, first)
    assert not _keys_on_page(client, first)
    page = client.get(reverse("training:exam-result", kwargs={"attempt_id": first})).content.decode()
    assert 'data-testid="no-review"' in page

    resit = start(client, paper).json()  # in progress
    assert not _keys_in_api(client, first)
    assert not _keys_on_page(client, first)

    submit(client, resit["id"])  # the last attempt: nothing more to sit
    for attempt_id in (first, resit["id"]):
        assert _keys_in_api(client, attempt_id)
        assert _keys_on_page(client, attempt_id)
    questions = detail(client, first).json()["questions"]
    assert all(q["correct_options"] == correct_ids(q["id"]) and q["explanation"] for q in questions)


def test_the_key_shows_after_a_pass(exam):
    body = start(exam.client, exam.paper).json()
    for q in body["questions"]:
        put_answer(exam.client, body["id"], q["id"], correct_ids(q["id"]))
    assert submit(exam.client, body["id"]).json()["passed"] is True
    assert _keys_in_api(exam.client, body["id"])
    assert _keys_on_page(exam.client, body["id"])


def test_the_key_shows_once_the_papers_window_has_closed(exam):
    closes = timezone.now() + timedelta(days=1)
    paper = make_paper(exam.a, people=[exam.a.worker_person], closes_at=closes, title="限期考试")
    first = _fail(exam.client, paper)
    assert not _keys_in_api(exam.client, first)
    assert not _keys_on_page(exam.client, first)
    with time_machine.travel(closes + timedelta(minutes=1)):
        exam.client = login(exam.a.users[roles.WORKER])  # a day on: the worker logs in again
        assert _keys_in_api(exam.client, first)
        assert _keys_on_page(exam.client, first)


def test_a_never_paper_never_shows_the_key(exam):
    paper = make_paper(
        exam.a, people=[exam.a.worker_person], attempts_allowed=1, show_answers="never", title="只看分"
    )
    only = _fail(exam.client, paper)  # no attempts left
    assert not _keys_in_api(exam.client, only)
    assert not _keys_on_page(exam.client, only)


def test_a_retest_paper_never_shows_the_key(exam):
    paper = make_paper(
        exam.a, people=[exam.a.worker_person], attempts_allowed=1, clears_suspension=True, title="复考"
    )
    only = _fail(exam.client, paper)
    assert not _keys_in_api(exam.client, only)
    assert not _keys_on_page(exam.client, only)


def test_a_spot_exam_never_shows_the_key_to_anyone(exam):
    spot_paper = make_paper(exam.a, is_spot_exam=True, attempts_allowed=1, title="逢查必考")
    with dangerously_platform_scope():
        inspection = Inspection.objects.create(
            tenant=exam.a.tenant, org_unit=exam.a.mine, kind="mine_internal", date=timezone.localdate()
        )
        check = SpotCheck.objects.create(
            tenant=exam.a.tenant,
            inspection=inspection,
            person=exam.a.worker_person,
            paper=spot_paper,
            selection="picked",
        )
        attempt = inspection_services.start_spot_attempt(spot_check=check)
        attempts.submit_attempt(attempt)
    for client in (exam.client, login(exam.a.users[roles.SAFETY_MANAGER])):  # the examinee, the inspector
        assert not _keys_in_api(client, attempt.pk)
        assert not _keys_on_page(client, attempt.pk)


def test_the_paper_form_offers_the_setting_with_the_new_default(exam):
    from compliance.training.bank_forms import PaperForm

    field = PaperForm.base_fields["show_answers"]
    assert [value for value, _label in field.choices] == ["after_last_attempt", "never"]
    assert field.initial == "after_last_attempt"
