"""Exam-taking API for the mobile flow (issue #4; the paths and shapes are fixed).

Nothing here names ``is_correct`` or an answer while the taker may still sit the paper: the
sheet carries only ids, stems and option texts, and the review fields are added only where
``training.selectors.answers_revealed`` allows (never while a re-sit is possible, never for a
spot exam or a re-test).
"""

from __future__ import annotations

from django.http import Http404
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance.api import ScopedAPIMixin
from compliance.errors import ERRORS
from compliance.training import attempts, selectors
from compliance.training import permissions as training_perms
from compliance.training.models import Attempt, ExamPaper, Question
from tenants.models import Person

CONFLICT = OpenApiResponse(
    description="The attempt no longer takes answers: its deadline has passed or it was submitted. "
    "Nothing was stored; the body says why and gives the attempt's status."
)
NO_BODY_ERRORS = {k: v for k, v in ERRORS.items() if k != 400}


# --- the attempt in the URL, for this request
# -------------------------------------------------------
def attempt_of(request, attempt_id, now=None) -> Attempt:
    """The attempt in the URL, as this request may see it: its scope, plus the spot-exam attempts
    its browser session holds by code (``attempts.access_attempt`` decides; 404 otherwise)."""
    return attempts.access_attempt(scope=request.scope, held=_held(request), attempt_id=attempt_id, now=now)


def answer_save(request, attempt_id, question_id, selected):
    """``attempts.save_answer_in_scope`` for this request (its scope and held codes)."""
    return attempts.save_answer_in_scope(
        scope=request.scope,
        held=_held(request),
        attempt_id=attempt_id,
        question_id=question_id,
        selected=selected,
    )


def _held(request):
    return attempts.held_spot_attempts(getattr(request, "session", None))


# --- serializers (documentation of the shapes; the views build plain dicts) -------------------------
class OptionSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    text = serializers.CharField()


class ExamQuestionSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="The question's id: use it to save the answer")
    type = serializers.ChoiceField(choices=Question.Type.choices)
    stem = serializers.CharField()
    options = OptionSerializer(many=True, help_text="In the order this attempt shows them")


class AttemptStartSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    deadline = serializers.DateTimeField(help_text="Fixed by the server when the attempt started")
    questions = ExamQuestionSerializer(many=True)


class SheetQuestionSerializer(ExamQuestionSerializer):
    selected = serializers.ListField(child=serializers.UUIDField(), help_text="Saved answer (option ids)")
    correct = serializers.BooleanField(
        required=False, help_text="Once you can no longer sit the paper, where it shows answers"
    )
    correct_options = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        help_text="Once you can no longer sit the paper, where it shows answers",
    )
    explanation = serializers.CharField(
        required=False, help_text="Once you can no longer sit the paper, where it shows answers"
    )


class AttemptSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    paper = serializers.UUIDField()
    paper_title = serializers.CharField()
    number = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Attempt.Status.choices)
    started_at = serializers.DateTimeField()
    deadline = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    time_left = serializers.IntegerField(help_text="Seconds until the deadline (0 once it has passed)")
    max_score = serializers.DecimalField(max_digits=6, decimal_places=2)
    score = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    passed = serializers.BooleanField(allow_null=True)
    questions = SheetQuestionSerializer(many=True)


class AnswerSerializer(serializers.Serializer):
    selected = serializers.ListField(
        child=serializers.UUIDField(),
        max_length=20,
        help_text="Option ids: exactly one for single choice and true/false",
    )


class AnswerSavedSerializer(serializers.Serializer):
    question = serializers.UUIDField()
    selected = serializers.ListField(child=serializers.UUIDField())
    saved_at = serializers.DateTimeField()


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    status = serializers.ChoiceField(choices=Attempt.Status.choices)


class ResultSerializer(serializers.Serializer):
    score = serializers.DecimalField(max_digits=6, decimal_places=2)
    passed = serializers.BooleanField()
    status = serializers.ChoiceField(choices=Attempt.Status.choices)


class MyAttemptSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    number = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Attempt.Status.choices)
    started_at = serializers.DateTimeField()
    deadline = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    score = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    max_score = serializers.DecimalField(max_digits=6, decimal_places=2)
    passed = serializers.BooleanField(allow_null=True)


class MyExamSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="The paper's id: POST /api/v1/exams/{id}/attempts/ starts it")
    title = serializers.CharField()
    duration_minutes = serializers.IntegerField()
    pass_mark = serializers.IntegerField()
    attempts_allowed = serializers.IntegerField()
    opens_at = serializers.DateTimeField(allow_null=True)
    closes_at = serializers.DateTimeField(allow_null=True)
    assigned = serializers.BooleanField(help_text="False for a paper listed only for past attempts")
    upcoming = serializers.BooleanField(help_text="Assigned, but its window opens later")
    can_start = serializers.BooleanField()
    attempts_left = serializers.IntegerField()
    attempts = MyAttemptSerializer(many=True)


# --- building the bodies ---------------------------------------------------------------------------
def _time_left(attempt: Attempt, now) -> int:
    if attempt.status != Attempt.Status.IN_PROGRESS:
        return 0
    return max(int((attempt.deadline - now).total_seconds()), 0)


def _question_body(item: selectors.SheetQuestion) -> dict:
    return {
        "id": item.id,
        "type": item.type,
        "stem": item.stem,
        "options": [{"id": o.id, "text": o.text} for o in item.options],
    }


def start_body(attempt: Attempt) -> dict:
    sheet = selectors.attempt_sheet(attempt)
    return {
        "id": str(attempt.pk),
        "deadline": attempt.deadline,
        "questions": [_question_body(q) for q in sheet],
    }


def attempt_body(attempt: Attempt, now=None) -> dict:
    now = now or timezone.now()
    review = selectors.attempt_review(attempt, now=now)
    questions = []
    for item in review.sheet:
        body = _question_body(item) | {"selected": item.selected}
        if review.revealed:
            body |= {
                "correct": item.correct,
                "correct_options": item.correct_options,
                "explanation": item.explanation,
            }
        questions.append(body)
    graded = attempt.status != Attempt.Status.IN_PROGRESS
    return {
        "id": str(attempt.pk),
        "paper": str(attempt.paper_id),
        "paper_title": attempt.paper.title,
        "number": attempt.number,
        "status": attempt.status,
        "started_at": attempt.started_at,
        "deadline": attempt.deadline,
        "submitted_at": attempt.submitted_at,
        "time_left": _time_left(attempt, now),
        "max_score": attempt.max_score,
        "score": attempt.score if graded else None,
        "passed": attempt.passed if graded else None,
        "questions": questions,
    }


def result_body(attempt: Attempt) -> dict:
    return {"score": attempt.score, "passed": attempt.passed, "status": attempt.status}


def _my_person(scope) -> Person | None:
    if not scope.person_id or not scope.has_perm(training_perms.TAKE_EXAMS):
        return None
    # The caller's own person record (scope_for_user found it through the login).
    return (
        Person.dangerously_unscoped.filter(pk=scope.person_id, tenant_id__in=scope.tenant_ids)
        .select_related("org_unit")
        .first()
    )


# --- views -------------------------------------------------------------------------------------------
class MyExamsView(ScopedAPIMixin, APIView):
    @extend_schema(
        operation_id="me_exams_list",
        responses={200: MyExamSerializer(many=True), 401: ERRORS[401], 403: ERRORS[403]},
    )
    def get(self, request):
        """Papers assigned to me (open or opening later) and papers I have attempted, each with
        my attempts, newest first. Empty for a login that is not a person who takes exams."""
        person = _my_person(request.scope)
        if person is None:
            return Response([])
        now = timezone.now()
        attempts.grade_expired_of(person, now=now)
        rows = []
        for row in selectors.my_exams(person, now=now):
            paper = row.paper
            rows.append(
                {
                    "id": str(paper.pk),
                    "title": paper.title,
                    "duration_minutes": paper.duration_minutes,
                    "pass_mark": paper.pass_mark,
                    "attempts_allowed": paper.attempts_allowed,
                    "opens_at": paper.opens_at,
                    "closes_at": paper.closes_at,
                    "assigned": row.assigned,
                    "upcoming": row.upcoming,
                    "can_start": row.can_start,
                    "attempts_left": row.attempts_left,
                    "attempts": [
                        {
                            "id": str(a.pk),
                            "number": a.number,
                            "status": a.status,
                            "started_at": a.started_at,
                            "deadline": a.deadline,
                            "submitted_at": a.submitted_at,
                            "score": a.score,
                            "max_score": a.max_score,
                            "passed": a.passed,
                        }
                        for a in row.attempts
                    ],
                }
            )
        return Response(MyExamSerializer(rows, many=True).data)


def assigned_paper_or_404(scope, paper_id) -> tuple[ExamPaper, Person]:
    """A paper assigned to the caller (open or not yet open) and the caller's person; 404 for any
    other paper, of this group or another."""
    person = _my_person(scope)
    if person is None:
        raise Http404
    for paper in selectors.assigned_papers(person):
        if paper.pk == paper_id:
            return paper, person
    raise Http404


class AttemptStartView(ScopedAPIMixin, APIView):
    @extend_schema(
        operation_id="exam_attempt_start",
        request=None,
        responses={
            201: AttemptStartSerializer,
            200: OpenApiResponse(
                AttemptStartSerializer, description="An attempt was already in progress: resumed"
            ),
            400: OpenApiResponse(
                description="Cannot start: not open yet, closed, no attempts left, already passed, or the "
                "question bank lacks questions for the paper"
            ),
            401: ERRORS[401],
            403: ERRORS[403],
            404: ERRORS[404],
        },
    )
    def post(self, request, paper_id):
        """Start my attempt at an assigned paper: the server draws and shuffles the questions and
        fixes the deadline. While an attempt is in progress this returns it (another phone)."""
        paper, person = assigned_paper_or_404(request.scope, paper_id)
        existing = attempts._in_progress(paper, person)
        attempt = attempts.start_attempt(paper=paper, person=person, by_user=request.user)
        code = (
            status.HTTP_200_OK
            if existing is not None and existing.pk == attempt.pk
            else status.HTTP_201_CREATED
        )
        return Response(start_body(attempt), status=code)


class AttemptView(ScopedAPIMixin, APIView):
    @extend_schema(
        operation_id="attempt_retrieve",
        responses={200: AttemptSerializer, **NO_BODY_ERRORS},
    )
    def get(self, request, attempt_id):
        """Resume or review: questions, saved answers, seconds left and status. After grading:
        score and pass; once the taker can no longer sit the paper (passed, no attempts left or
        its window closed), and where the paper shows answers, the correct options and the
        explanations — never for a spot exam or a re-test. An attempt past its deadline is graded first."""
        attempt = attempt_of(request, attempt_id)
        return Response(AttemptSerializer(attempt_body(attempt)).data)


class AnswerView(ScopedAPIMixin, APIView):
    @extend_schema(
        operation_id="attempt_answer_save",
        request=AnswerSerializer,
        responses={200: AnswerSavedSerializer, 409: ConflictSerializer, **ERRORS},
    )
    def put(self, request, attempt_id, question_id):
        """Save my answer to one question (replaces the earlier one). Refused with 409 at or
        after the deadline and after submission: the answer is not stored."""
        data = AnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        selected = [str(pk) for pk in data.validated_data["selected"]]
        try:
            row = answer_save(request, attempt_id, question_id, selected)
        except attempts.AttemptClosed as exc:
            # Answered directly, not raised: the request's transaction keeps a lazy grading.
            current = (
                # Only the status of the attempt the save just refused, which passed the caller's
                # access check.
                Attempt.dangerously_unscoped.filter(pk=exc.attempt.pk)
                .values_list("status", flat=True)
                .first()
            )
            return Response({"detail": exc.message, "status": current}, status=status.HTTP_409_CONFLICT)
        return Response(
            {"question": str(row.question_id), "selected": row.selected, "saved_at": row.answered_at}
        )


class SubmitView(ScopedAPIMixin, APIView):
    @extend_schema(
        operation_id="attempt_submit",
        request=None,
        responses={200: ResultSerializer, **NO_BODY_ERRORS},
    )
    def post(self, request, attempt_id):
        """Submit and grade my attempt. Repeatable: a second call returns the same result."""
        attempt = attempt_of(request, attempt_id)
        attempt = attempts.submit_attempt(attempt)
        return Response(ResultSerializer(result_body(attempt)).data)


urlpatterns = [
    path("me/exams/", MyExamsView.as_view(), name="my-exams"),
    path("exams/<uuid:paper_id>/attempts/", AttemptStartView.as_view(), name="exam-attempt-start"),
    path("attempts/<uuid:attempt_id>/", AttemptView.as_view(), name="attempt-detail"),
    path(
        "attempts/<uuid:attempt_id>/answers/<uuid:question_id>/",
        AnswerView.as_view(),
        name="attempt-answer",
    ),
    path("attempts/<uuid:attempt_id>/submit/", SubmitView.as_view(), name="attempt-submit"),
]
