"""The training demo that ``seed_demo`` adds (training.demo, training.demo.questions)."""

from __future__ import annotations

import datetime
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.http import HttpRequest
from django.test import Client
from django.utils import timezone

from compliance import registry
from compliance.audit.models import AuditEvent
from compliance.inspections.models import Inspection, Suspension
from compliance.training import bank, hours
from compliance.training import demo as training_demo
from compliance.training.demo.questions import QUESTIONS
from compliance.training.models import (
    Attempt,
    Certificate,
    Course,
    ExamPaper,
    Question,
    TrainingSession,
)
from compliance.training.selectors import assigned_papers
from tenants import demo
from tenants.models import MineProfile, Person, Tenant
from tenants.scope import dangerously_platform_scope

# Counts whole tables (the operator's view): runs without the shared test world.
pytestmark = pytest.mark.no_world

POSTS = set(Person.PostCategory.values)
MINE_TYPES = set(MineProfile.MineType.values)


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, stderr=StringIO())
    return out.getvalue()


def training_counts() -> dict[str, int]:
    with dangerously_platform_scope():
        return {
            "questions": Question.objects.count(),
            "courses": Course.objects.count(),
            "sessions": TrainingSession.objects.count(),
            "papers": ExamPaper.objects.count(),
            "attempts": Attempt.objects.count(),
            "certificates": Certificate.objects.count(),
            "inspections": Inspection.objects.count(),
            "suspensions": Suspension.objects.count(),
            "audit": AuditEvent.dangerously_unscoped.count(),
        }


def snapshot() -> dict[str, list]:
    """What the training demo says, without ids and clock times (the build day is the same)."""
    with dangerously_platform_scope():
        return {
            "attempts": sorted(
                Attempt.objects.values_list(
                    "person__employee_no", "paper__title", "number", "status", "score", "passed"
                )
            ),
            "answered": sorted(
                Attempt.objects.filter(questions__answered_at__isnull=False).values_list(
                    "person__employee_no", "number", "questions__position", "questions__correct"
                )
            ),
            "certificates": sorted(
                Certificate.objects.values_list(
                    "person__employee_no",
                    "kind",
                    "operation_type",
                    "number",
                    "issued_on",
                    "expires_on",
                    "review_due_on",
                    "source",
                )
            ),
            "attendance": sorted(
                TrainingSession.objects.values_list(
                    "course__title",
                    "org_unit__name",
                    "starts_on",
                    "ends_on",
                    "attendances__person__employee_no",
                    "attendances__hours",
                )
            ),
            "spot": sorted(
                Inspection.objects.values_list("org_unit__name", "date", "spot_checks__person__employee_no")
            ),
            "suspended": sorted(Suspension.objects.values_list("person__employee_no", "reason")),
        }


# --- the question bank as data --------------------------------------------------------------------
def test_demo_bank_is_valid_chinese_and_tagged_across_posts_and_mine_types():
    assert len(QUESTIONS) >= 120
    assert len({q["stem"] for q in QUESTIONS}) == len(QUESTIONS), "no stem twice"
    types = Counter(q["type"] for q in QUESTIONS)
    assert set(types) == {"single", "multiple", "true_false"} and min(types.values()) >= 30
    for q in QUESTIONS:
        # The bank's own validation accepts every question as the demo stores it.
        bank.validate_question(
            {
                k: q[k]
                for k in (
                    "type",
                    "stem",
                    "explanation",
                    "post_categories",
                    "mine_types",
                    "topic",
                    "difficulty",
                )
            },
            [{"text": t, "is_correct": i in q["answer"]} for i, t in enumerate(q["options"])],
        )
        assert any("\u4e00" <= ch <= "\u9fff" for ch in q["stem"]) and q["explanation"] and q["topic"]
        assert set(q["post_categories"]) <= POSTS and set(q["mine_types"]) <= MINE_TYPES
        if q["type"] == "single":
            assert len(q["options"]) == 4 and len(q["answer"]) == 1
        elif q["type"] == "multiple":
            assert 4 <= len(q["options"]) <= 5 and len(q["answer"]) >= 2
        else:
            assert q["options"] == ["正确", "错误"] and len(q["answer"]) == 1
    tagged_posts = {p for q in QUESTIONS for p in q["post_categories"]}
    tagged_mines = {m for q in QUESTIONS for m in q["mine_types"]}
    assert tagged_posts == POSTS and tagged_mines == MINE_TYPES
    assert {q["difficulty"] for q in QUESTIONS} == {1, 2, 3}
    assert len({q["topic"] for q in QUESTIONS}) >= 10
    # Every person at every kind of mine has a full standard paper to draw from.
    for post in POSTS:
        for mine in MINE_TYPES:
            fits = Counter(
                q["type"]
                for q in QUESTIONS
                if (not q["post_categories"] or post in q["post_categories"])
                and (not q["mine_types"] or mine in q["mine_types"])
            )
            for qtype, count, _points in training_demo.STANDARD:
                assert fits[qtype] >= count, (post, mine, qtype)


def test_demo_bank_states_the_key_figures_correctly():
    def answer_of(fragment: str) -> list[str]:
        (q,) = [q for q in QUESTIONS if fragment in q["stem"]]
        return [q["options"][i] for i in q["answer"]]

    assert answer_of("必须停止用电钻打眼") == ["1.0%"]
    assert answer_of("必须停止工作，切断电源，撤出人员，进行处理") == ["1.5%"]
    assert answer_of("采掘工作面风流中二氧化碳浓度达到") == ["1.5%"]
    assert answer_of("特种作业操作证有效期为") == ["6"]
    assert answer_of("特种作业操作证每（ ）年复审") == ["3"]
    assert answer_of("初次安全培训时间不得少于") == ["48"]
    assert answer_of("每年再培训时间不得少于（ ）学时") == ["16"]
    assert answer_of("矿山新上岗的从业人员安全培训时间") == ["72"]
    assert answer_of("实习满（ ）") == ["4个月"]


def test_demo_blueprints_add_up_to_100():
    for rows in (training_demo.STANDARD, training_demo.SPOT):
        assert sum(count * int(points) for _t, count, points in rows) == 100
    assert sum(count for _t, count, _p in training_demo.SPOT) == 10


# --- seed_demo ------------------------------------------------------------------------------------
def test_seed_demo_builds_the_training_demo_through_the_services(seeded_demo):
    out = seeded_demo.log
    assert "training demo added to 2 groups" in out
    today = timezone.localdate()
    with dangerously_platform_scope() as platform:
        tenants = list(Tenant.objects.all())
        assert len(tenants) == 2
        for tenant in tenants:
            spec = next(s for s in demo.TENANTS if s.credit_code == tenant.credit_code)
            questions = list(Question.objects.filter(tenant=tenant, is_current=True))
            assert len(questions) >= 100
            assert {p for q in questions for p in q.post_categories} == POSTS
            assert {m for q in questions for m in q.mine_types} == MINE_TYPES
            assert {q.org_unit.parent_id for q in questions} == {None}, "owned by the group HQ"
            assert all(q.options.filter(is_correct=True).exists() for q in questions[:20])
            assert AuditEvent.dangerously_unscoped.filter(
                tenant=tenant, object_type="training.Question", action="create"
            ).count() == len(questions), "every question audited"

            # Courses of every kind; sessions this year; some people short of their hours.
            assert set(Course.objects.filter(tenant=tenant).values_list("kind", flat=True)) == set(
                Course.Kind.values
            )
            sessions = TrainingSession.objects.filter(tenant=tenant)
            assert sessions.exists() and all(
                s.starts_on.year == today.year and s.ends_on <= today for s in sessions
            )
            rows = list(
                hours.people_hours(
                    scope=platform, year=today.year, people=Person.objects.filter(tenant=tenant)
                )
            )
            short = [r for r in rows if r.shortfall > 0]
            assert 0 < len(short) < len(rows) / 2
            flagged = [r for r in rows if r.absence_flag]
            assert len(flagged) == 1 and flagged[0].shortfall > 0 and flagged[0].user_id is None

            # The papers: annual (100 points, 60 min, pass 80, every post category), special
            # operation issuing a certificate, spot exam (10 × 10, 10 min), re-test that clears.
            papers = list(ExamPaper.objects.filter(tenant=tenant).prefetch_related("sections"))
            for paper in papers:
                total = sum(s.count * s.points for s in paper.sections.all())
                assert total == 100 and paper.pass_mark == 80, paper.title
            annual = [p for p in papers if "年度" in p.title]
            assert annual and all(p.duration_minutes == 60 and p.audience_units.exists() for p in annual)
            special = [p for p in papers if p.issues_certificate == ExamPaper.CertificateKind.INTERNAL]
            assert len(special) == 1 and special[0].certificate_operation_type
            (spot,) = [p for p in papers if p.is_spot_exam]
            assert spot.duration_minutes == 10
            assert [(s.count, s.points) for s in spot.sections.all()] == [(6, 10), (4, 10)]
            assert any(p.clears_suspension for p in papers)

            # Both worker logins have assigned exams; finished (passed and failed) and in-progress
            # attempts, written by the attempts service (audited start and submit).
            workers = [login.username for login in spec.logins if login.role == "worker"]
            assert len(workers) >= 2
            for username in workers:
                assert assigned_papers(Person.objects.get(user__username=username)), username
            attempts = Attempt.objects.filter(tenant=tenant)
            statuses = Counter((a.status, a.passed) for a in attempts)
            assert statuses[(Attempt.Status.SUBMITTED, True)] >= 2
            assert statuses[(Attempt.Status.SUBMITTED, False)] >= 2
            in_progress = attempts.get(status=Attempt.Status.IN_PROGRESS)
            assert in_progress.person.user.username == workers[0]
            assert (
                in_progress.deadline > timezone.now() and in_progress.questions.exclude(selected=[]).exists()
            )
            for attempt in attempts.exclude(status=Attempt.Status.IN_PROGRESS):
                assert attempt.submitted_at < timezone.now() and attempt.submitted_at <= attempt.deadline
                answered = attempt.questions.exclude(selected=[])
                assert answered.exists() and all(q.answered_at <= attempt.deadline for q in answered)
            events = AuditEvent.dangerously_unscoped.filter(tenant=tenant, object_type="training.Attempt")
            assert events.filter(action="create").count() == attempts.count()
            assert events.filter(action="update").count() == attempts.count() - 1

            # Certificates: issued by passing the special-operation exam, recorded from outside,
            # some expiring within 90 days, one expired, special operations with review dates.
            certs = Certificate.objects.filter(tenant=tenant)
            soon = today + datetime.timedelta(days=90)
            assert certs.filter(source=Certificate.Source.EXAM, attempt__paper=special[0]).exists()
            assert certs.filter(expires_on__gte=today, expires_on__lte=soon).count() >= 2
            assert certs.filter(expires_on__lt=today).count() == 1
            # Issue 14: the exam issues internal records; a special-operation certificate whose
            # 3-year review has passed has that review recorded (next: renewal at expiry, so no
            # review date left — was: the expiry date given as review date).
            assert not certs.filter(source=Certificate.Source.EXAM).exclude(kind="internal").exists()
            operations = certs.filter(kind=Certificate.Kind.SPECIAL_OPERATION)
            assert operations.count() >= 10
            reviewed = operations.filter(review_due_on__isnull=True)
            assert reviewed.exists() and all(c.reviews.filter(kind="review").exists() for c in reviewed)
            assert not operations.filter(review_due_on__lt=today).exists()  # none void
            assert operations.filter(review_due_on__gte=today, review_due_on__lte=soon).exists()
            assert {Certificate.Kind.PRINCIPAL, Certificate.Kind.SAFETY_MANAGEMENT} <= set(
                certs.values_list("kind", flat=True)
            )
            assert (
                AuditEvent.dangerously_unscoped.filter(
                    tenant=tenant, object_type="training.Certificate", action="create"
                ).count()
                == certs.count()
            )

            # The inspection: three spot exams, one failed, its person suspended from post with a
            # Chinese reason until the re-test paper is passed.
            (inspection,) = Inspection.objects.filter(tenant=tenant)
            assert inspection.date < today and inspection.leader.username == f"{spec.key}-auditor"
            checks = list(inspection.spot_checks.select_related("person"))
            results = sorted(c.attempt.passed for c in checks)
            assert results == [False, True, True]
            failed = next(c for c in checks if not c.attempt.passed)
            suspension = Suspension.objects.get(spot_check=failed)
            assert suspension.cleared_at is None and suspension.clearing_paper.clears_suspension
            assert "逢查必考" in suspension.reason and any(
                "\u4e00" <= ch <= "\u9fff" for ch in suspension.reason
            )
            person = Person.objects.get(pk=failed.person_id)
            assert person.status == Person.Status.SUSPENDED
            assert suspension.clearing_paper.audience_people.filter(pk=person.pk).exists()
            assert person.user_id is None, "no demo login is suspended"

    # What the workers' phones show: their exams and attempts, through the API.
    for spec in demo.TENANTS:
        for login in (lg for lg in spec.logins if lg.role == "worker"):
            client = Client()
            assert client.login(request=HttpRequest(), username=login.username, password=demo.DEMO_PASSWORD)
            exams = client.get("/api/v1/me/exams/").json()
            assigned = [e for e in exams if e["assigned"]]
            assert assigned, login.username
            tried = [a for e in exams for a in e["attempts"]]
            assert tried, login.username
            if login.username.endswith("worker1"):
                assert {a["status"] for a in tried} == {"submitted", "in_progress"}
                assert any(a["passed"] is False for a in tried)
            else:
                assert all(a["passed"] for a in tried)


@pytest.mark.django_db
def test_seed_demo_adds_training_to_groups_built_without_it_then_changes_nothing(monkeypatch):
    # Deterministic: whatever the ids (random), a fresh build says the same (built, then undone).
    with transaction.atomic():
        seed()
        before = snapshot()
        transaction.set_rollback(True)
    # A demo built by the version before training: the groups exist, with the parts that come
    # before training (the later parts read the people and records training makes, so a version
    # before training had none of them either).
    training_order = next(b.order for b in registry.demo_builders() if b.key == "training")
    earlier = [b for b in registry.demo_builders() if b.order < training_order]
    monkeypatch.setattr(registry, "demo_builders", lambda: earlier)
    seed()
    assert training_counts()["questions"] == 0
    monkeypatch.undo()
    out = seed()
    assert "training demo added to 2 groups" in out
    after = snapshot()
    differ = {
        key: (sorted(set(before[key]) - set(after[key]))[:3], sorted(set(after[key]) - set(before[key]))[:3])
        for key in before
        if before[key] != after[key]
    }
    assert not differ, differ  # per part: (only in the fresh build, only in the added one)
    first = training_counts()
    assert first["questions"] == 2 * len(QUESTIONS) and first["inspections"] == 2
    # Running again changes nothing, and says so.
    out = seed()
    assert "training demo added to 0 groups" in out
    assert training_counts() == first
    with dangerously_platform_scope() as platform:
        assert training_demo.seed_training(demo.TENANTS[0], scope=platform) is None
    assert training_counts() == first
    check = StringIO()
    call_command("verify_audit", stdout=check)
    assert check.getvalue().strip() == f"intact: {first['audit']} events"
