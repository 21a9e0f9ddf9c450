"""Who works on a spot-exam attempt (逢查必考): the team running its inspection and the examinee
(through the one-time code) — not the inspected mine's own safety staff, though they hold
CONDUCT_INSPECTIONS over their mine. Nobody sees the attempt's answer key."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from compliance.inspections import services as inspections
from compliance.inspections.models import Inspection
from compliance.training.models import Attempt, AttemptQuestion, QuestionOption
from compliance.training.selectors import unanswered_positions
from tenants import roles
from tenants.scope import dangerously_platform_scope

from ..conftest import login
from .test_inspections import as_role, make_bank, make_paper

pytestmark = pytest.mark.django_db

ENTER = "/training/spot/"


def _right(question_id) -> list[str]:
    with dangerously_platform_scope():
        return [
            str(pk)
            for pk in QuestionOption.objects.filter(question_id=question_id, is_correct=True).values_list(
                "pk", flat=True
            )
        ]


@pytest.fixture
def hq_spot(world):
    """HQ's auditor inspects tenant A's mine, picks the worker for a spot exam and hands them a
    code; the worker enters it on their own phone (nobody logged in)."""
    a = world.a
    make_bank(a)
    paper = make_paper(a)
    auditor = a.users[roles.HQ_AUDITOR]
    with as_role(a, roles.HQ_AUDITOR) as scope:
        inspection = inspections.create_inspection(
            scope=scope,
            org_unit=a.mine,
            user=auditor,
            kind=Inspection.Kind.GROUP_HQ,
            date=datetime.date(2026, 3, 5),
            inspectors="集团检查组",
        )
        (check,) = inspections.pick_people(
            scope=scope, inspection=inspection, paper=paper, people=[a.worker_person]
        )
        code = inspections.issue_code(scope=scope, spot_check=check)
    phone = Client()
    assert phone.post(ENTER, {"code": code}).status_code == 302
    with dangerously_platform_scope():
        attempt = Attempt.objects.get(spot_check=check)
        rows = list(AttemptQuestion.objects.filter(attempt=attempt).order_by("position"))
    world.check, world.attempt, world.rows, world.phone = check, attempt, rows, phone
    world.inspector = login(auditor)
    world.mine_manager = login(a.users[roles.SAFETY_MANAGER])
    return world


def _api(client, method, name, attempt, question_id=None, body=None):
    kwargs = {"attempt_id": attempt.pk}
    if question_id is not None:
        kwargs["question_id"] = question_id
    url = reverse(f"api:{name}", kwargs=kwargs)
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def _page(client, method, name, attempt, question_id=None, body=None):
    kwargs = {"attempt_id": attempt.pk}
    if question_id is not None:
        kwargs["question_id"] = question_id
    url = reverse(f"training:{name}", kwargs=kwargs)
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def _selected(row) -> list:
    with dangerously_platform_scope():
        return AttemptQuestion.objects.get(pk=row.pk).selected


def test_the_inspected_mines_safety_manager_gets_404_on_an_hq_spot_attempt(hq_spot):
    w, manager = hq_spot, hq_spot.mine_manager
    first = w.rows[0]
    assert _api(manager, "get", "attempt-detail", w.attempt).status_code == 404
    body = {"selected": _right(first.question_id)}
    assert _api(manager, "put", "attempt-answer", w.attempt, first.question_id, body).status_code == 404
    assert _page(manager, "get", "exam-take", w.attempt).status_code == 404
    assert _page(manager, "post", "exam-answer", w.attempt, first.question_id, body).status_code == 404
    assert _selected(first) == []  # nothing stored
    assert _page(manager, "post", "exam-submit", w.attempt).status_code == 404
    assert _api(manager, "post", "attempt-submit", w.attempt).status_code == 404
    with dangerously_platform_scope():
        assert Attempt.objects.get(pk=w.attempt.pk).status == Attempt.Status.IN_PROGRESS

    # The examinee submits; the result stays closed to the mine's manager, and no key shows anywhere.
    # Questions left unanswered: the server asks first (no script needed), then submits.
    warned = _page(w.phone, "post", "exam-submit", w.attempt)
    assert warned.status_code == 200 and 'data-testid="confirm-page"' in warned.content.decode()
    with dangerously_platform_scope():  # row-level security hides the rows from no scope
        left = len(unanswered_positions(w.attempt))
    url = reverse("training:exam-submit", kwargs={"attempt_id": w.attempt.pk})
    assert w.phone.post(url, {"confirm_unanswered": str(left)}).status_code == 302
    assert _api(manager, "get", "attempt-detail", w.attempt).status_code == 404
    assert _page(manager, "get", "exam-result", w.attempt).status_code == 404
    inspector_view = _api(w.inspector, "get", "attempt-detail", w.attempt)
    assert inspector_view.status_code == 200
    raw = inspector_view.content.decode()
    assert "correct" not in raw and "explanation" not in raw
    for client in (w.inspector, w.phone):
        html = _page(client, "get", "exam-result", w.attempt).content.decode()
        assert 'data-testid="review-1"' not in html and 'class="correct' not in html


def test_the_inspector_and_the_examinee_still_work_the_attempt(hq_spot):
    w = hq_spot
    first, second = w.rows[0], w.rows[1]
    # The examinee's phone (the code's session).
    assert _page(w.phone, "get", "exam-take", w.attempt).status_code == 200
    saved = _page(
        w.phone, "post", "exam-answer", w.attempt, first.question_id, {"selected": _right(first.question_id)}
    )
    assert saved.status_code == 200, saved.content
    # The inspector's tablet.
    assert _api(w.inspector, "get", "attempt-detail", w.attempt).status_code == 200
    assert _page(w.inspector, "get", "exam-take", w.attempt).status_code == 200
    body = {"selected": _right(second.question_id)}
    assert _api(w.inspector, "put", "attempt-answer", w.attempt, second.question_id, body).status_code == 200
    assert _selected(first) == _right(first.question_id) and _selected(second) == _right(second.question_id)
    done = _api(w.inspector, "post", "attempt-submit", w.attempt)
    assert done.status_code == 200 and done.json()["status"] == "submitted"
    assert _page(w.phone, "get", "exam-result", w.attempt).status_code == 200


def test_the_mine_cannot_take_over_an_hq_inspections_spot_exams(hq_spot):
    """Issuing a fresh code (and typing it in) or starting on a tablet would hand the mine the
    attempt by another door: those are the running team's too."""
    w, manager = hq_spot, hq_spot.mine_manager
    a = w.a
    with as_role(a, roles.HQ_AUDITOR) as scope:
        (other,) = inspections.pick_people(
            scope=scope, inspection=w.check.inspection, paper=w.check.paper, people=[a.people[1]]
        )
    assert manager.post(reverse("inspections:spot-code", kwargs={"pk": other.pk})).status_code == 403
    assert manager.post(reverse("inspections:spot-start", kwargs={"pk": other.pk})).status_code == 403
    with dangerously_platform_scope():
        assert not Attempt.objects.filter(spot_check=other).exists()
    detail = manager.get(reverse("inspections:inspection-detail", kwargs={"pk": w.check.inspection_id}))
    assert detail.status_code == 200  # the mine still reads the inspection and its results
    assert (
        reverse("inspections:inspection-draw", kwargs={"pk": w.check.inspection_id})
        not in detail.content.decode()
    )
    # Nor can the mine record an inspection as if HQ ran it.
    with as_role(a) as scope, pytest.raises(ValidationError) as error:
        inspections.create_inspection(
            scope=scope, org_unit=a.mine, kind="group_hq", date=datetime.date(2026, 3, 6), inspectors="x"
        )
    assert "kind" in error.value.message_dict
