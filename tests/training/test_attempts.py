"""Exams as a worker takes them: drawing, secrecy, saving, the deadline, grading, re-sits,
isolation and the query budget of an answer save (issue #4)."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from compliance.audit.models import AuditEvent
from compliance.inspections import services as inspection_services
from compliance.inspections.models import Inspection, SpotCheck
from compliance.training import attempts, blueprint
from compliance.training.models import (
    Attempt,
    AttemptQuestion,
    ExamPaper,
    PaperSection,
    Question,
    QuestionOption,
)
from tenants import roles, services
from tenants.scope import dangerously_platform_scope

from ..conftest import PASSWORD, login

SECRET_WORDS = ("is_correct", "correct", "explanation", "answer")


# --- building a bank and papers (the bank's own services are another area's; rows suffice) -------
def make_question(tw, qtype="single", *, right=(0,), n_options=4, **tags) -> Question:
    with dangerously_platform_scope():
        q = Question.objects.create(
            tenant=tw.tenant,
            org_unit=tw.hq,
            type=qtype,
            stem=tags.pop("stem", f"{qtype} 题干 {random.random():.6f}"),
            explanation=tags.pop("explanation", "依据《煤矿安全规程》。"),
            **tags,
        )
        n = 2 if qtype == "true_false" else n_options
        QuestionOption.objects.bulk_create(
            QuestionOption(tenant=tw.tenant, question=q, position=i, text=f"选项{i}", is_correct=i in right)
            for i in range(n)
        )
    return q


def make_bank(tw, single=0, multiple=0, true_false=0, **tags) -> list[Question]:
    bank = [make_question(tw, "single", **tags) for _ in range(single)]
    bank += [make_question(tw, "multiple", right=(0, 2), **tags) for _ in range(multiple)]
    bank += [make_question(tw, "true_false", **tags) for _ in range(true_false)]
    return bank


def make_paper(
    tw, sections=(("single", 5, "20"),), *, people=(), units=(), categories=(), **fields
) -> ExamPaper:
    with dangerously_platform_scope():
        paper = ExamPaper.objects.create(
            tenant=tw.tenant,
            org_unit=tw.mine,
            title=fields.pop("title", f"{tw.tenant.name} 安全知识考试"),
            audience_post_categories=list(categories),
            **fields,
        )
        for position, section in enumerate(sections):
            qtype, count, points, *rest = section
            PaperSection.objects.create(
                tenant=tw.tenant,
                paper=paper,
                position=position,
                question_type=qtype,
                count=count,
                points=Decimal(points),
                **(rest[0] if rest else {}),
            )
        paper.audience_people.set(people)
        paper.audience_units.set(units)
    return paper


def correct_ids(question_id) -> list[str]:
    with dangerously_platform_scope():
        return [
            str(pk)
            for pk in QuestionOption.objects.filter(question_id=question_id, is_correct=True).values_list(
                "pk", flat=True
            )
        ]


def wrong_id(question_id) -> str:
    with dangerously_platform_scope():
        return str(QuestionOption.objects.filter(question_id=question_id, is_correct=False).first().pk)


def second_worker(tw):
    """A second worker login in the same tenant (person 1, a special-operation worker)."""
    with dangerously_platform_scope() as platform:
        return services.person_login_create(
            scope=platform, person=tw.people[1], username=f"{tw.tenant.pk.hex[:6]}-worker2", password=PASSWORD
        )


def start(client, paper):
    return client.post(reverse("api:exam-attempt-start", kwargs={"paper_id": paper.pk}))


def put_answer(client, attempt_id, question_id, selected):
    return client.put(
        reverse("api:attempt-answer", kwargs={"attempt_id": attempt_id, "question_id": question_id}),
        data=json.dumps({"selected": selected}),
        content_type="application/json",
    )


def submit(client, attempt_id):
    return client.post(reverse("api:attempt-submit", kwargs={"attempt_id": attempt_id}))


def detail(client, attempt_id):
    return client.get(reverse("api:attempt-detail", kwargs={"attempt_id": attempt_id}))


@pytest.fixture
def exam(world):
    """Tenant A's worker assigned (by name) a paper of 5 single-choice questions × 20 points."""
    make_bank(world.a, single=8, multiple=3, true_false=3)
    paper = make_paper(world.a, people=[world.a.worker_person])
    world.paper = paper
    world.client = login(world.a.users[roles.WORKER])
    return world


# --- drawing -------------------------------------------------------------------------------------
@pytest.fixture
def platform():
    """Drawing runs inside a request's or a task's scope in the app; these tests call it directly,
    so they give it the platform's (on PostgreSQL row-level security hides rows otherwise)."""
    with dangerously_platform_scope():
        yield


def test_draw_follows_the_blueprint_without_repeats(world, platform):
    make_bank(world.a, single=6, multiple=4, true_false=4)
    paper = make_paper(world.a, [("single", 4, "5"), ("multiple", 3, "10"), ("true_false", 2, "2.5")])
    drawn = blueprint.draw_questions(paper, random.Random(1))
    types = [q.type for q, _p in drawn]
    assert sorted(types) == sorted(["single"] * 4 + ["multiple"] * 3 + ["true_false"] * 2)
    assert len({q.pk for q, _p in drawn}) == 9
    points = {q.type: p for q, p in drawn}
    assert points == {"single": Decimal("5"), "multiple": Decimal("10"), "true_false": Decimal("2.5")}
    assert all(q.tenant_id == world.a.tenant.pk for q, _p in drawn)


def test_draw_never_repeats_across_sections_of_the_same_type(world, platform):
    make_bank(world.a, single=5)
    paper = make_paper(world.a, [("single", 3, "10"), ("single", 2, "10")])
    for seed in range(10):
        drawn = blueprint.draw_questions(paper, random.Random(seed))
        assert len({q.pk for q, _p in drawn}) == 5


def test_candidates_match_tags_difficulty_topic_and_current_version(world, platform):
    a = world.a
    any_tags = make_question(a, topic="通风", difficulty=2)
    for_special = make_question(a, topic="通风", difficulty=2, post_categories=["special_operation"])
    for_principal = make_question(a, topic="通风", difficulty=2, post_categories=["principal"])
    coal_only = make_question(a, topic="通风", difficulty=2, mine_types=["coal_underground"])
    metal_only = make_question(a, topic="通风", difficulty=2, mine_types=["metal_underground"])
    make_question(a, topic="爆破", difficulty=2)  # other topic
    make_question(a, topic="通风", difficulty=3)  # other difficulty
    make_question(a, "multiple", topic="通风", difficulty=2)  # other type
    old = make_question(a, topic="通风", difficulty=2)
    with dangerously_platform_scope():
        Question.objects.filter(pk=old.pk).update(is_current=False)
    make_question(world.b, topic="通风", difficulty=2)  # another tenant
    paper = make_paper(
        a,
        [
            (
                "single",
                1,
                "10",
                {
                    "topic": "通风",
                    "difficulty": 2,
                    "post_category": "special_operation",
                    "mine_type": "coal_underground",
                },
            )
        ],
    )
    with dangerously_platform_scope():
        section = paper.sections.get()
    found = set(blueprint.section_candidates(section).values_list("pk", flat=True))
    assert found == {any_tags.pk, for_special.pk, coal_only.pk}
    assert not found & {for_principal.pk, metal_only.pk}


def test_too_small_a_bank_is_a_clear_error_in_chinese(world, platform):
    make_bank(world.a, single=2)
    paper = make_paper(world.a, [("single", 3, "10")])
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        blueprint.draw_questions(paper, random.Random(0))
    message = exc.value.messages[0]
    assert "3" in message and "2" in message
    assert "题库" in message


def test_shuffling_is_off_when_the_paper_says_so(world, platform):
    bank = make_bank(world.a, single=6)
    paper = make_paper(world.a, [("single", 6, "10")], shuffle_questions=False, shuffle_options=False)
    drawn = blueprint.draw_questions(paper, random.Random(3))
    assert [q.pk for q, _p in drawn] == [q.pk for q in bank]  # bank order
    for q, _p in drawn:
        assert blueprint.option_order(q, random.Random(3), False) == [str(o.pk) for o in q.options.all()]


def test_shuffling_changes_question_and_option_order(world, platform):
    make_bank(world.a, single=12)
    paper = make_paper(world.a, [("single", 12, "10")])
    orders = {tuple(q.pk for q, _p in blueprint.draw_questions(paper, random.Random(s))) for s in range(5)}
    assert len(orders) > 1
    q = blueprint.draw_questions(paper, random.Random(0))[0][0]
    option_orders = {tuple(blueprint.option_order(q, random.Random(s), True)) for s in range(8)}
    assert len(option_orders) > 1


# --- starting and secrecy ------------------------------------------------------------------------
def test_start_returns_the_contract_and_no_answers(exam):
    response = start(exam.client, exam.paper)
    assert response.status_code == 201, response.content
    raw = response.content.decode()
    for word in SECRET_WORDS:
        assert word not in raw, word
    body = response.json()
    assert set(body) == {"id", "deadline", "questions"}
    assert len(body["questions"]) == 5
    for q in body["questions"]:
        assert set(q) == {"id", "type", "stem", "options"}
        assert all(set(o) == {"id", "text"} for o in q["options"])
    with dangerously_platform_scope():
        attempt = Attempt.objects.get(pk=body["id"])
        assert attempt.max_score == Decimal("100")
        assert attempt.deadline == attempt.started_at + timedelta(minutes=exam.paper.duration_minutes)
        assert AttemptQuestion.objects.filter(attempt=attempt).count() == 5
        assert AuditEvent.objects.filter(object_id=str(attempt.pk), action="create").count() == 1

    resumed = detail(exam.client, body["id"])
    raw = resumed.content.decode()
    for word in SECRET_WORDS:
        assert word not in raw, word
    assert resumed.json()["status"] == "in_progress"


def test_deadline_is_fixed_by_the_server_clock(exam):
    with time_machine.travel("2026-03-01 08:00:00+08:00", tick=False):
        body = start(exam.client, exam.paper).json()
    with dangerously_platform_scope():
        attempt = Attempt.objects.get(pk=body["id"])
    assert attempt.started_at.isoformat() == "2026-03-01T00:00:00+00:00"
    assert attempt.deadline == attempt.started_at + timedelta(minutes=120)


def test_start_again_resumes_the_attempt_in_progress(exam):
    first = start(exam.client, exam.paper).json()
    q = first["questions"][0]
    put_answer(exam.client, first["id"], q["id"], [q["options"][1]["id"]])
    other_phone = login(exam.a.users[roles.WORKER])
    again = start(other_phone, exam.paper)
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert [x["id"] for x in again.json()["questions"]] == [x["id"] for x in first["questions"]]
    saved = detail(other_phone, first["id"]).json()["questions"][0]
    assert saved["selected"] == [q["options"][1]["id"]]


def test_unassigned_and_closed_papers(exam):
    other = make_paper(exam.a, categories=["principal"])  # not the worker's post category
    assert start(exam.client, other).status_code == 404
    by_unit = make_paper(exam.a, units=[exam.a.mine], title="按单位")  # the worker's team is under it
    assert start(exam.client, by_unit).status_code == 201
    by_category = make_paper(exam.a, categories=["other"], title="按岗位")
    assert start(exam.client, by_category).status_code == 201
    later = make_paper(
        exam.a, people=[exam.a.worker_person], opens_at=timezone.now() + timedelta(days=1), title="未开"
    )
    response = start(exam.client, later)
    assert response.status_code == 400
    closed = make_paper(
        exam.a, people=[exam.a.worker_person], closes_at=timezone.now() - timedelta(minutes=1), title="已关"
    )
    assert start(exam.client, closed).status_code == 404  # no longer listed as assigned
    spot = make_paper(exam.a, people=[exam.a.worker_person], is_spot_exam=True, title="抽考")
    assert start(exam.client, spot).status_code == 404


# --- saving answers -------------------------------------------------------------------------------
def test_answers_are_checked_and_kept(exam):
    make_bank(exam.a, multiple=2)
    paper = make_paper(exam.a, [("multiple", 2, "10")], people=[exam.a.worker_person], title="多选")
    body = start(exam.client, paper).json()
    q = body["questions"][0]
    options = [o["id"] for o in q["options"]]
    assert put_answer(exam.client, body["id"], q["id"], options[:2]).status_code == 200
    assert put_answer(exam.client, body["id"], q["id"], [str(Question().pk)]).status_code == 400
    foreign_option = wrong_id(body["questions"][1]["id"])
    assert put_answer(exam.client, body["id"], q["id"], [foreign_option]).status_code == 400
    assert put_answer(exam.client, body["id"], str(Question().pk), options[:1]).status_code == 404
    assert put_answer(exam.client, body["id"], q["id"], "nope").status_code == 400
    saved = detail(exam.client, body["id"]).json()["questions"][0]
    assert sorted(saved["selected"]) == sorted(options[:2])

    single = start(exam.client, exam.paper).json()
    sq = single["questions"][0]
    two = [o["id"] for o in sq["options"][:2]]
    response = put_answer(exam.client, single["id"], sq["id"], two)
    assert response.status_code == 400 and "selected" in response.json()
    assert put_answer(exam.client, single["id"], sq["id"], []).status_code == 400


def test_save_after_the_deadline_is_refused_and_grading_uses_what_was_saved(exam):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        body = start(exam.client, exam.paper).json()
        q1, q2 = body["questions"][:2]
        assert put_answer(exam.client, body["id"], q1["id"], correct_ids(q1["id"])).status_code == 200
        clock.shift(timedelta(minutes=119, seconds=59))
        # The exam page keeps its session alive meanwhile (exam.js reads the attempt every five
        # minutes, under SESSION_IDLE_MINUTES); this client jumped the clock instead.
        exam.client = login(exam.a.users[roles.WORKER])
        assert put_answer(exam.client, body["id"], q2["id"], [wrong_id(q2["id"])]).status_code == 200
        clock.shift(timedelta(seconds=1))  # exactly at the deadline
        with translation.override("zh-hans"):
            late = put_answer(exam.client, body["id"], q2["id"], correct_ids(q2["id"]))
        assert late.status_code == 409
        assert late.json()["status"] == "expired"
        assert "时间" in late.json()["detail"]
    with dangerously_platform_scope():
        row = AttemptQuestion.objects.get(attempt_id=body["id"], question_id=q2["id"])
        assert row.selected == [wrong_id(q2["id"])]
        attempt = Attempt.objects.get(pk=body["id"])
    assert attempt.status == Attempt.Status.EXPIRED
    assert attempt.score == Decimal("20")
    assert attempt.passed is False
    assert attempt.submitted_at == attempt.deadline


def test_reading_an_expired_attempt_grades_it(exam):
    body = start(exam.client, exam.paper).json()
    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        exam.client = login(exam.a.users[roles.WORKER])  # three hours on: the worker logs in again
        resumed = detail(exam.client, body["id"]).json()
    assert resumed["status"] == "expired" and resumed["time_left"] == 0
    assert resumed["score"] == "0.00"


# --- grading ----------------------------------------------------------------------------------------
def test_grading_and_idempotent_submit(exam):
    body = start(exam.client, exam.paper).json()
    for q in body["questions"][:4]:
        put_answer(exam.client, body["id"], q["id"], correct_ids(q["id"]))
    first = submit(exam.client, body["id"])
    assert first.status_code == 200
    assert first.json() == {"score": "80.00", "passed": True, "status": "submitted"}
    again = submit(exam.client, body["id"])
    assert again.json() == first.json()
    with dangerously_platform_scope():
        events = AuditEvent.objects.filter(object_id=body["id"], action="update")
        assert events.count() == 1
        assert events.get().after["event"] == "exam_submit"
    late = put_answer(
        exam.client, body["id"], body["questions"][4]["id"], correct_ids(body["questions"][4]["id"])
    )
    assert late.status_code == 409 and late.json()["status"] == "submitted"

    review = detail(exam.client, body["id"]).json()
    assert review["score"] == "80.00" and review["passed"] is True
    assert [q["correct"] for q in review["questions"]] == [True, True, True, True, False]
    assert all(q["correct_options"] and q["explanation"] for q in review["questions"])


def test_multiple_choice_is_all_or_nothing(exam):
    make_bank(exam.a, multiple=3)
    paper = make_paper(exam.a, [("multiple", 3, "10")], people=[exam.a.worker_person], title="多选题")
    body = start(exam.client, paper).json()
    q1, q2, q3 = body["questions"]
    right = correct_ids(q1["id"])
    put_answer(exam.client, body["id"], q1["id"], right)
    put_answer(exam.client, body["id"], q2["id"], correct_ids(q2["id"])[:1])  # part of it
    put_answer(exam.client, body["id"], q3["id"], correct_ids(q3["id"]) + [wrong_id(q3["id"])])  # too many
    assert submit(exam.client, body["id"]).json()["score"] == "10.00"


def test_pass_mark_is_a_percentage_of_the_maximum(exam):
    paper = make_paper(
        exam.a, [("single", 3, "1")], people=[exam.a.worker_person], pass_mark=60, title="三题"
    )
    body = start(exam.client, paper).json()
    for q in body["questions"][:2]:
        put_answer(exam.client, body["id"], q["id"], correct_ids(q["id"]))
    assert submit(exam.client, body["id"]).json() == {"score": "2.00", "passed": True, "status": "submitted"}


def test_review_is_hidden_when_the_paper_shows_the_score_only(exam):
    paper = make_paper(exam.a, people=[exam.a.worker_person], show_answers="never", title="只看分")
    body = start(exam.client, paper).json()
    submit(exam.client, body["id"])
    raw = detail(exam.client, body["id"]).content.decode()
    for word in ("correct", "explanation", "is_correct"):
        assert word not in raw


def test_one_resit_then_no_more_and_none_after_a_pass(exam):
    first = start(exam.client, exam.paper).json()
    assert submit(exam.client, first["id"]).json()["passed"] is False
    second = start(exam.client, exam.paper)
    assert second.status_code == 201 and second.json()["id"] != first["id"]
    submit(exam.client, second.json()["id"])
    with translation.override("zh-hans"):
        third = start(exam.client, exam.paper)
    assert third.status_code == 400
    assert "2" in json.dumps(third.json(), ensure_ascii=False)
    with dangerously_platform_scope():
        assert list(
            Attempt.objects.filter(paper=exam.paper).values_list("number", flat=True).order_by("number")
        ) == [
            1,
            2,
        ]

    passed_paper = make_paper(exam.a, people=[exam.a.worker_person], attempts_allowed=3, title="已过")
    body = start(exam.client, passed_paper).json()
    for q in body["questions"]:
        put_answer(exam.client, body["id"], q["id"], correct_ids(q["id"]))
    assert submit(exam.client, body["id"]).json()["passed"] is True
    assert start(exam.client, passed_paper).status_code == 400


def test_outcomes_run_inside_the_grading(exam, monkeypatch):
    seen = []
    monkeypatch.setattr(
        "compliance.training.outcomes.on_attempt_graded",
        lambda attempt: seen.append((attempt.pk, attempt.status)),
    )
    body = start(exam.client, exam.paper).json()
    submit(exam.client, body["id"])
    submit(exam.client, body["id"])
    assert seen == [(attempts._uuid_or_404(body["id"]), "submitted")]


def test_a_failing_outcome_rolls_the_grading_back(exam, monkeypatch):
    def boom(attempt):
        raise RuntimeError("certificate service down")

    monkeypatch.setattr("compliance.training.outcomes.on_attempt_graded", boom)
    body = start(exam.client, exam.paper).json()
    with dangerously_platform_scope():
        attempt = Attempt.objects.get(pk=body["id"])
    with pytest.raises(RuntimeError), dangerously_platform_scope():
        attempts.submit_attempt(attempt)
    with dangerously_platform_scope():
        attempt.refresh_from_db()
        assert attempt.status == "in_progress" and attempt.score is None
        assert not AuditEvent.objects.filter(object_id=body["id"], action="update").exists()


# --- the scheduled job -------------------------------------------------------------------------------
def test_expired_attempts_are_closed_by_the_job(exam):
    from compliance.training.tasks import close_expired_exam_attempts

    body = start(exam.client, exam.paper).json()
    q = body["questions"][0]
    put_answer(exam.client, body["id"], q["id"], correct_ids(q["id"]))
    fresh_paper = make_paper(exam.a, people=[exam.a.worker_person], duration_minutes=600, title="长")
    fresh = start(exam.client, fresh_paper).json()
    assert attempts.close_expired_attempts() == 0
    later = timezone.now() + timedelta(minutes=121)
    with time_machine.travel(later, tick=False):
        assert close_expired_exam_attempts.delay().get() == 1
        assert attempts.close_expired_attempts() == 0  # run twice: nothing more
    with dangerously_platform_scope():
        closed = Attempt.objects.get(pk=body["id"])
        still = Attempt.objects.get(pk=fresh["id"])
        event = AuditEvent.objects.get(object_id=body["id"], action="update")
    assert closed.status == "expired" and closed.score == Decimal("20") and closed.passed is False
    assert still.status == "in_progress"
    assert event.after["event"] == "exam_auto_submit" and event.actor_label == "system: exam deadline"
    assert submit(exam.client, body["id"]).json()["status"] == "expired"


def test_one_broken_attempt_does_not_stop_the_job(exam, monkeypatch):
    a1 = start(exam.client, exam.paper).json()
    other = make_paper(exam.a, people=[exam.a.worker_person], title="另一份")
    a2 = start(exam.client, other).json()
    real = attempts.outcomes.on_attempt_graded

    def flaky(attempt):
        if str(attempt.pk) == a1["id"]:
            raise RuntimeError("boom")
        real(attempt)

    monkeypatch.setattr("compliance.training.outcomes.on_attempt_graded", flaky)
    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        assert attempts.close_expired_attempts() == 1
    with dangerously_platform_scope():
        assert Attempt.objects.get(pk=a1["id"]).status == "in_progress"  # untouched, retried next run
        assert Attempt.objects.get(pk=a2["id"]).status == "expired"


def test_the_job_is_scheduled_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["training-close-expired-attempts"]
    assert entry["task"] == "training.tasks.close_expired_exam_attempts"
    assert entry["schedule"] == 60.0


# --- who sees what ---------------------------------------------------------------------------------
def test_nobody_else_reaches_a_workers_attempt(exam):
    body = start(exam.client, exam.paper).json()
    q = body["questions"][0]
    outsiders = [login(second_worker(exam.a)), login(exam.b.users[roles.WORKER])]
    outsiders += [
        login(exam.a.users[r]) for r in (roles.TENANT_ADMIN, roles.SAFETY_MANAGER, roles.TEAM_LEADER)
    ]
    for client in outsiders:
        assert detail(client, body["id"]).status_code == 404
        assert put_answer(client, body["id"], q["id"], [q["options"][0]["id"]]).status_code == 404
        assert submit(client, body["id"]).status_code == 404
        for name in ("training:exam-take", "training:exam-result"):
            assert client.get(reverse(name, kwargs={"attempt_id": body["id"]})).status_code in (403, 404)
        assert client.post(
            reverse("training:exam-submit", kwargs={"attempt_id": body["id"]})
        ).status_code in (
            403,
            404,
        )
        assert start(client, exam.paper).status_code == 404  # not assigned to them
    for reg in (exam.regulator_in, exam.regulator_out):
        client = login(reg)
        assert detail(client, body["id"]).status_code in (403, 404)  # 403: no grants at all
        assert put_answer(client, body["id"], q["id"], [q["options"][0]["id"]]).status_code == 403
        assert submit(client, body["id"]).status_code == 403
        assert start(client, exam.paper).status_code == 403
        mine = client.get(reverse("api:my-exams"))
        assert mine.status_code == 403 or mine.json() == []
    with dangerously_platform_scope():
        attempt = Attempt.objects.get(pk=body["id"])
        assert attempt.status == "in_progress"
        assert not AttemptQuestion.objects.filter(attempt=attempt).exclude(selected=[]).exists()


def test_b_paper_is_404_for_a(exam):
    make_bank(exam.b, single=5)
    b_paper = make_paper(exam.b, categories=["other"])
    assert start(exam.client, b_paper).status_code == 404
    assert exam.client.get(reverse("training:exam-start", kwargs={"paper_id": b_paper.pk})).status_code == 404


def test_inspector_and_code_holder_reach_a_spot_attempt(exam):
    spot_paper = make_paper(exam.a, is_spot_exam=True, title="逢查必考")
    with dangerously_platform_scope():
        inspection = Inspection.objects.create(
            tenant=exam.a.tenant,
            org_unit=exam.a.mine,
            kind="mine_internal",
            date=timezone.localdate(),
            inspectors="张三",
        )
        check = SpotCheck.objects.create(
            tenant=exam.a.tenant,
            inspection=inspection,
            person=exam.a.worker_person,
            paper=spot_paper,
            selection="random",
        )
        attempt = inspection_services.start_spot_attempt(spot_check=check)
        # A spot check has one attempt: starting again returns it.
        assert inspection_services.start_spot_attempt(spot_check=check) == attempt
    inspector = login(exam.a.users[roles.SAFETY_MANAGER])
    assert detail(inspector, attempt.pk).status_code == 200
    assert detail(login(exam.b.users[roles.SAFETY_MANAGER]), attempt.pk).status_code == 404
    assert (
        detail(login(exam.a.users[roles.TEAM_LEADER]), attempt.pk).status_code == 404
    )  # no CONDUCT_INSPECTIONS
    holder = login(second_worker(exam.a))
    assert detail(holder, attempt.pk).status_code == 404
    session = holder.session
    session[attempts.SESSION_KEY] = [str(attempt.pk)]
    session.save()
    assert detail(holder, attempt.pk).status_code == 200


# --- my exams ---------------------------------------------------------------------------------------
def test_my_exams_lists_assigned_papers_with_attempts(exam):
    make_paper(exam.a, categories=["principal"], title="不相干")
    upcoming = make_paper(
        exam.a, people=[exam.a.worker_person], opens_at=timezone.now() + timedelta(days=2), title="下周"
    )
    body = start(exam.client, exam.paper).json()
    rows = exam.client.get(reverse("api:my-exams")).json()
    by_title = {r["title"]: r for r in rows}
    assert set(by_title) == {exam.paper.title, upcoming.title}
    mine = by_title[exam.paper.title]
    assert mine["attempts"][0]["id"] == body["id"] and mine["attempts"][0]["status"] == "in_progress"
    assert mine["can_start"] is False and mine["attempts_left"] == 1
    assert by_title[upcoming.title]["upcoming"] is True and by_title[upcoming.title]["can_start"] is False


def test_my_exams_takes_a_fixed_number_of_queries(world):
    make_bank(world.a, single=5)
    client = login(world.a.users[roles.WORKER])
    counts = []
    papers = []
    for n in (2, 20):
        fresh = [
            make_paper(world.a, people=[world.a.worker_person], title=f"卷{i}") for i in range(len(papers), n)
        ]
        with dangerously_platform_scope():
            for paper in fresh[: len(fresh) // 2]:
                attempts.start_attempt(paper=paper, person=world.a.worker_person)
        papers += fresh
        client.get(reverse("api:my-exams"))  # warm the session
        with CaptureQueriesContext(connection) as ctx:
            assert len(client.get(reverse("api:my-exams")).json()) == n
        with CaptureQueriesContext(connection) as page_ctx:
            assert client.get(reverse("training:my-exams")).status_code == 200
        counts.append((app_queries(ctx), app_queries(page_ctx)))
    (api_2, page_2), (api_20, page_20) = counts
    assert len(api_2) == len(api_20), (api_2, api_20)
    assert len(page_2) == len(page_20), (page_2, page_20)
    assert len(api_2) <= MY_EXAMS_QUERIES, api_2
    assert len(page_2) <= MY_EXAMS_PAGE_QUERIES, page_2


def app_queries(ctx) -> list[str]:
    """The statements the application asked for: on PostgreSQL, writing the scope into the
    connection for row-level security adds ``set_config`` statements, a fixed number per request."""
    return [q["sql"][:160] for q in ctx.captured_queries if "set_config(" not in q["sql"]]


# Session login: session, user and scope in the page middleware, the scope again in the API,
# then 5 for the list: the person, expired attempts to grade, papers by post category, assigned
# papers, attempts — whatever the number of rows (a transaction's savepoints add two on PostgreSQL).
MY_EXAMS_QUERIES = 17
MY_EXAMS_PAGE_QUERIES = 14


# --- the query budget of a save ---------------------------------------------------------------------
# Session login: the session and the login (2), the scope (1: resolved by the page middleware,
# which the API reuses for the same login), then the save itself with its access check folded in:
# 1 to read and lock the question row with its attempt, 1 to write (savepoints add two on
# PostgreSQL). Equal for 5 and 50 questions.
SAVE_QUERIES = 7
SAVE_SERVICE_QUERIES = 2


def test_saving_an_answer_takes_a_fixed_small_number_of_queries(world):
    client = login(world.a.users[roles.WORKER])
    counts = []
    for size in (5, 50):
        make_bank(world.a, single=size)
        paper = make_paper(
            world.a, [("single", size, "2")], people=[world.a.worker_person], title=f"{size}题"
        )
        body = start(client, paper).json()
        q = body["questions"][size // 2]
        put_answer(client, body["id"], q["id"], [q["options"][0]["id"]])  # warm the session
        with CaptureQueriesContext(connection) as ctx:
            assert put_answer(client, body["id"], q["id"], [q["options"][1]["id"]]).status_code == 200
        counts.append(app_queries(ctx))
        with dangerously_platform_scope():
            row = AttemptQuestion.objects.get(attempt_id=body["id"], question_id=q["id"])
        assert row.selected == [q["options"][1]["id"]]
        with dangerously_platform_scope():
            attempt = Attempt.objects.get(pk=body["id"])
            with CaptureQueriesContext(connection) as service_ctx:
                attempts.save_answer(attempt, q["id"], [q["options"][2]["id"]])
            statements = [x["sql"] for x in service_ctx.captured_queries if "SAVEPOINT" not in x["sql"]]
            assert len(statements) == SAVE_SERVICE_QUERIES, statements
            assert not AuditEvent.objects.filter(action="update", object_id=body["id"]).exists()
    assert len(counts[0]) == len(counts[1]), counts
    assert len(counts[0]) <= SAVE_QUERIES, "\n".join(counts[0])


# Token (the exam app and the benchmark): 1 to find the token with its login, 1 to resolve the
# scope, then the save's 2 — and, on PostgreSQL, the request's transaction and 3 writes of the
# row-level security settings (the platform for the token and the scope, the resolved scope, none
# again at the end). Run outside a test transaction, as in production.
TOKEN_SAVE_QUERIES = 4
TOKEN_SAVE_RLS_WRITES = 3


@pytest.mark.django_db(transaction=True)
def test_a_token_save_takes_a_fixed_small_number_of_queries(world):
    from django.test import Client

    from compliance.tokens.services import api_token_issue

    _token, key = api_token_issue(user=world.a.users[roles.WORKER])
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    counts = []
    for size in (5, 50):
        make_bank(world.a, single=size)
        paper = make_paper(
            world.a, [("single", size, "2")], people=[world.a.worker_person], title=f"{size}题"
        )
        body = start(client, paper).json()
        q = body["questions"][size // 2]
        put_answer(client, body["id"], q["id"], [q["options"][0]["id"]])  # the token's last use noted
        with CaptureQueriesContext(connection) as ctx:
            assert put_answer(client, body["id"], q["id"], [q["options"][1]["id"]]).status_code == 200
        statements = [x["sql"] for x in ctx.captured_queries]
        writes = [sql for sql in statements if "set_config(" in sql]
        app = [sql[:160] for sql in app_queries(ctx) if sql not in ("BEGIN", "COMMIT")]
        counts.append((app, writes))
        with dangerously_platform_scope():
            row = AttemptQuestion.objects.get(attempt_id=body["id"], question_id=q["id"])
        assert row.selected == [q["options"][1]["id"]]
    (app_5, writes_5), (app_50, writes_50) = counts
    assert len(app_5) == len(app_50) == TOKEN_SAVE_QUERIES, "\n".join(app_5)
    expected_writes = TOKEN_SAVE_RLS_WRITES if connection.vendor == "postgresql" else 0
    assert len(writes_5) == len(writes_50) == expected_writes, writes_5


def test_a_phone_with_nobody_logged_in_takes_a_spot_exam_by_its_session(exam):
    from django.test import Client

    spot_paper = make_paper(exam.a, [("single", 2, "50")], is_spot_exam=True, title="抽考卷")
    with dangerously_platform_scope():
        inspection = Inspection.objects.create(
            tenant=exam.a.tenant,
            org_unit=exam.a.mine,
            kind="group_hq",
            date=timezone.localdate(),
            inspectors="检查组",
        )
        check = SpotCheck.objects.create(
            tenant=exam.a.tenant,
            inspection=inspection,
            person=exam.a.worker_person,
            paper=spot_paper,
            selection="picked",
        )
        attempt = inspection_services.start_spot_attempt(spot_check=check)
    phone = Client()
    take = reverse("training:exam-take", kwargs={"attempt_id": attempt.pk})
    assert phone.get(take).status_code == 302  # to the login page: no code entered
    session = phone.session
    session[attempts.SESSION_KEY] = [str(attempt.pk)]
    session.save()
    page = phone.get(take)
    assert page.status_code == 200
    html = page.content.decode()
    assert "is_correct" not in html and f"/training/attempts/{attempt.pk}/answers/" in html
    with dangerously_platform_scope():
        rows = list(AttemptQuestion.objects.filter(attempt=attempt).order_by("position"))
    answer = reverse(
        "training:exam-answer", kwargs={"attempt_id": attempt.pk, "question_id": rows[0].question_id}
    )
    saved = phone.post(
        answer,
        data=json.dumps({"selected": correct_ids(rows[0].question_id)}),
        content_type="application/json",
    )
    assert saved.status_code == 200, saved.content
    assert (
        phone.post(answer, data=json.dumps({"selected": "x"}), content_type="application/json").status_code
        == 400
    )
    deep = phone.post(
        answer, data='{"selected": ' + "[" * 1000 + "]" * 1000 + "}", content_type="application/json"
    )
    assert deep.status_code == 400 and "32" in deep.json()["detail"]  # JSON_MAX_DEPTH, not a 500
    # Without JavaScript: the submit form carries the other answer.
    done = phone.post(
        reverse("training:exam-submit", kwargs={"attempt_id": attempt.pk}),
        {f"q-{rows[1].question_id}": wrong_id(rows[1].question_id)},
    )
    assert done.status_code == 302 and done["Location"].endswith("/result/")
    result = phone.get(done["Location"])
    assert result.status_code == 200 and "50" in result.content.decode()
    late = phone.post(
        answer,
        data=json.dumps({"selected": correct_ids(rows[0].question_id)}),
        content_type="application/json",
    )
    assert late.status_code == 409
    # Another attempt is not reachable from this session.
    other = start(exam.client, exam.paper).json()
    assert phone.get(reverse("training:exam-take", kwargs={"attempt_id": other["id"]})).status_code == 302
    with dangerously_platform_scope():
        attempt.refresh_from_db()
        second = AttemptQuestion.objects.get(pk=rows[1].pk)
    assert attempt.status == "submitted" and attempt.score == Decimal("50")
    assert second.selected == [wrong_id(rows[1].question_id)]


def test_pages_start_take_reload_and_submit_without_javascript(exam):
    client = exam.client
    listing = client.get(reverse("training:my-exams"))
    assert listing.status_code == 200 and exam.paper.title in listing.content.decode()
    start_page = reverse("training:exam-start", kwargs={"paper_id": exam.paper.pk})
    assert client.get(start_page).status_code == 200
    started = client.post(start_page)
    assert started.status_code == 302
    take = started["Location"]
    attempt_id = take.rstrip("/").split("/")[-1]
    assert client.post(start_page)["Location"] == take  # resumes
    with dangerously_platform_scope():
        rows = list(AttemptQuestion.objects.filter(attempt_id=attempt_id).order_by("position"))
    put_answer(client, attempt_id, rows[0].question_id, correct_ids(rows[0].question_id))
    html = client.get(take).content.decode()
    assert f'value="{correct_ids(rows[0].question_id)[0]}" checked' in html
    for word in ("is_correct", "explanation", "依据《煤矿安全规程》"):
        assert word not in html
    form = {f"q-{row.question_id}": correct_ids(row.question_id) for row in rows[1:3]}
    # Two questions left unanswered while the page said four (it was read before these two
    # answers): the server saves the answers and warns with the count it holds.
    submit_url = reverse("training:exam-submit", kwargs={"attempt_id": attempt_id})
    assert 'name="confirm_unanswered" id="confirm-unanswered" value="4"' in html
    with translation.override("zh-hans"):
        warned = client.post(submit_url, {**form, "confirm_unanswered": "4"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert warned.status_code == 200
    warning = warned.content.decode()
    assert 'data-testid="confirm-page"' in warning and "2 道题未作答" in warning
    with dangerously_platform_scope():
        assert Attempt.objects.get(pk=attempt_id).status == "in_progress"
    done = client.post(submit_url, {"confirm_unanswered": "2"})
    assert done.status_code == 302
    with translation.override("zh-hans"):
        result = client.get(done["Location"], HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    # Failed with a re-sit left: the score, and no answers or explanations yet.
    assert "60" in result and "依据《煤矿安全规程》" not in result
    assert client.get(take)["Location"].endswith("/result/")
    again = client.post(reverse("training:exam-submit", kwargs={"attempt_id": attempt_id}))
    assert again.status_code == 302
    with dangerously_platform_scope():
        assert Attempt.objects.get(pk=attempt_id).score == Decimal("60")


def test_regulator_pages_refuse_writes(exam):
    body = start(exam.client, exam.paper).json()
    client = login(exam.regulator_in)
    assert client.post(reverse("training:exam-submit", kwargs={"attempt_id": body["id"]})).status_code == 403
    assert client.post(reverse("training:exam-start", kwargs={"paper_id": exam.paper.pk})).status_code == 403
    assert client.get(reverse("training:exam-take", kwargs={"attempt_id": body["id"]})).status_code == 404
