"""Taking an exam on a phone: "已答 n / N", a jump to the unanswered questions, and a submit
that warns with the number left unanswered — a page of the server's, so no script is needed
(issue 13)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from compliance.training.models import Attempt, AttemptQuestion
from tenants.scope import dangerously_platform_scope

from .test_attempts import correct_ids, exam, put_answer  # noqa: F401  (exam is a fixture)

pytestmark = pytest.mark.django_db


def _start(client, paper):
    started = client.post(reverse("training:exam-start", kwargs={"paper_id": paper.pk}))
    attempt_id = started["Location"].rstrip("/").split("/")[-1]
    with dangerously_platform_scope():
        rows = list(AttemptQuestion.objects.filter(attempt_id=attempt_id).order_by("position"))
    return started["Location"], attempt_id, rows


def test_the_take_page_counts_the_answered_and_links_the_first_unanswered(exam):  # noqa: F811
    take, attempt_id, rows = _start(exam.client, exam.paper)
    put_answer(exam.client, attempt_id, rows[0].question_id, correct_ids(rows[0].question_id))
    with translation.override("zh-hans"):
        html = exam.client.get(take, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '已答 <b id="answered-count">1</b> / 5' in html
    assert 'href="#q-2" data-testid="next-unanswered"' in html
    assert 'id="q-2"' in html and 'class="done" data-position="1"' in html
    assert '还有 <b id="unanswered-count">4</b> 道题未作答' in html


def test_submit_warns_then_submits_and_all_answered_submits_at_once(exam):  # noqa: F811
    _take, attempt_id, rows = _start(exam.client, exam.paper)
    url = reverse("training:exam-submit", kwargs={"attempt_id": attempt_id})
    with translation.override("zh-hans"):
        warned = exam.client.post(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    page = warned.content.decode()
    assert warned.status_code == 200 and "还有 5 道题未作答" in page
    assert f"/training/attempts/{attempt_id}/#q-1" in page  # back to the first unanswered
    # Answering them all on the form: no warning, graded at once.
    form = {f"q-{r.question_id}": correct_ids(r.question_id) for r in rows}
    done = exam.client.post(url, {**form, "confirm_unanswered": "5"})
    assert done.status_code == 302 and done["Location"].endswith("/result/")
    with dangerously_platform_scope():
        assert Attempt.objects.get(pk=attempt_id).score == 100


def test_at_the_deadline_nothing_is_asked(exam):  # noqa: F811
    _take, attempt_id, _rows = _start(exam.client, exam.paper)
    with dangerously_platform_scope():
        Attempt.objects.filter(pk=attempt_id).update(deadline=timezone.now() - timedelta(seconds=1))
    done = exam.client.post(reverse("training:exam-submit", kwargs={"attempt_id": attempt_id}))
    assert done.status_code == 302
    with dangerously_platform_scope():
        assert Attempt.objects.get(pk=attempt_id).status != Attempt.Status.IN_PROGRESS
