"""Worker pages for exams, phone first: my exams, start or resume, take, result.

Answers are saved one by one by static/js/exam.js through the API as they are chosen; the take
page is also a plain form, so without JavaScript the submit button saves the form's answers
(if still in time) and grades.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views import View

from compliance import jsoninput, registry
from compliance.pages import ScopedPageMixin
from compliance.training import attempts, selectors
from compliance.training import permissions as training_perms
from compliance.training.api.exams import _my_person, answer_save, assigned_paper_or_404, attempt_of
from compliance.training.models import Attempt, PaperSection
from tenants.models import Person
from tenants.scope import switch_to_resolved


class AttemptPageMixin(ScopedPageMixin):
    """Pages of one attempt. Besides logged-in users (access_attempt decides who), a phone
    with nobody logged in that entered a spot exam's one-time code (compliance.inspections
    puts the attempt in the session) works on that attempt as the person themself."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            attempt_id = str(kwargs.get("attempt_id", ""))
            held = [str(pk) for pk in request.session.get(attempts.SESSION_KEY, [])]
            if attempt_id not in held:
                return self.handle_no_permission()

            # The session proved the code for this attempt only: its person's own scope, for
            # this request (undone when the middleware's scope context exits).
            # Nobody is logged in, so the request's scope holds no tenant and row-level security
            # would hide the attempt: the one lookup by the id the session proved runs under the
            # platform scope, and everything after it under the person's own scope.
            def resolve():
                person_id = (
                    Attempt.dangerously_unscoped.filter(pk=attempt_id)
                    .exclude(occasion=Attempt.Occasion.REGULAR)
                    .values_list("person_id", flat=True)
                    .first()
                )
                if person_id is None:
                    raise Http404
                return attempts.own_scope(
                    Person.dangerously_unscoped.select_related("org_unit").get(pk=person_id)
                )

            request.scope = self.scope = switch_to_resolved(resolve)
            return View.dispatch(self, request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)


class ExamPageMixin(ScopedPageMixin):
    required_perm = training_perms.TAKE_EXAMS

    def person_or_none(self):
        return _my_person(self.scope)


class MyExamsView(ExamPageMixin, View):
    def get(self, request):
        person = self.person_or_none()
        rows = []
        if person is not None:
            now = timezone.now()
            attempts.grade_expired_of(person, now=now)
            rows = selectors.my_exams(person, now=now)
        return render(request, "training/exam_list.html", {"rows": rows, "person": person})


class ExamStartView(ExamPageMixin, View):
    """What the paper is, and a button to start (or resume) it."""

    def get(self, request, paper_id):
        paper, person = assigned_paper_or_404(self.scope, paper_id)
        row = next((r for r in selectors.my_exams(person) if r.paper.pk == paper.pk), None)
        return render(
            request,
            "training/exam_start.html",
            {
                "paper": paper,
                "row": row,
                "question_count": _question_count(paper),
            },
        )

    def post(self, request, paper_id):
        paper, person = assigned_paper_or_404(self.scope, paper_id)
        try:
            attempt = attempts.start_attempt(paper=paper, person=person, by_user=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect("training:exam-start", paper_id=paper.pk)
        return redirect("training:exam-take", attempt_id=attempt.pk)


def _question_count(paper) -> int:
    # The paper was found through the caller's assignment; its sections are its own rows.
    return PaperSection.dangerously_unscoped.filter(paper_id=paper.pk).aggregate(n=Sum("count"))["n"] or 0


def _clock(seconds: int) -> str:
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


class AttemptTakeView(AttemptPageMixin, View):
    """The questions with the saved answers and the time left, all rendered by the server, so a
    reload or another phone shows exactly what was saved."""

    def get(self, request, attempt_id):
        attempt = attempt_of(request, attempt_id)
        if attempt.status != Attempt.Status.IN_PROGRESS:
            return redirect("training:exam-result", attempt_id=attempt.pk)
        now = timezone.now()
        sheet = selectors.attempt_sheet(attempt)
        unanswered = [q.position for q in sheet if not q.selected]
        return render(
            request,
            "training/exam_take.html",
            {
                "attempt": attempt,
                "sheet": sheet,
                "total": len(sheet),
                "answered": len(sheet) - len(unanswered),
                "unanswered": len(unanswered),
                "first_unanswered": unanswered[0] if unanswered else None,
                # Logged in: the API; a code-holding phone with nobody logged in: this page's twin.
                "answer_url": (
                    reverse("api:attempt-detail", kwargs={"attempt_id": attempt.pk}) + "answers/"
                    if request.user.is_authenticated
                    else reverse("training:exam-take", kwargs={"attempt_id": attempt.pk}) + "answers/"
                ),
                # A logged-in session reads its attempt now and then while the person thinks, so
                # the idle limit (SESSION_IDLE_MINUTES) never ends it mid-exam; a code session has
                # no login to expire.
                "keepalive_url": (
                    reverse("api:attempt-detail", kwargs={"attempt_id": attempt.pk})
                    if request.user.is_authenticated
                    else ""
                ),
                "time_left": (left := max(int((attempt.deadline - now).total_seconds()), 0)),
                "clock": _clock(left),
            },
        )


class AttemptSubmitView(AttemptPageMixin, View):
    """Submit, after a warning when questions are unanswered. The take page sends the number of
    unanswered questions the person was shown (``confirm_unanswered``, kept live by exam.js);
    when the server counts another number (without JavaScript the answers arrive only now) it
    asks again on a page of its own, so the warning never needs a script. At the deadline there
    is nothing to confirm: the attempt is graded on what was saved."""

    def post(self, request, attempt_id):
        attempt = attempt_of(request, attempt_id)
        if attempt.status == Attempt.Status.IN_PROGRESS:
            self._save_form_answers(request, attempt)
            if timezone.now() < attempt.deadline:
                unanswered = selectors.unanswered_positions(attempt)
                if unanswered and request.POST.get("confirm_unanswered") != str(len(unanswered)):
                    return render(
                        request,
                        "training/exam_confirm.html",
                        {
                            "attempt": attempt,
                            "unanswered": unanswered,
                            "count": len(unanswered),
                            "back_url": reverse("training:exam-take", kwargs={"attempt_id": attempt.pk})
                            + f"#q-{unanswered[0]}",
                        },
                    )
        attempt = attempts.submit_attempt(attempt)
        return redirect("training:exam-result", attempt_id=attempt.pk)

    @staticmethod
    def _save_form_answers(request, attempt) -> None:
        # Without JavaScript nothing was saved as it was chosen: the form carries the answers.
        # With it, these are the same answers again. Late or invalid ones are simply not stored.
        for key in request.POST:
            if not key.startswith("q-"):
                continue
            try:
                attempts.save_answer(attempt, key[2:], request.POST.getlist(key))
            except (attempts.AttemptClosed, ValidationError, Http404):
                continue


class AttemptResultView(AttemptPageMixin, View):
    def get(self, request, attempt_id):
        attempt = attempt_of(request, attempt_id)
        if attempt.status == Attempt.Status.IN_PROGRESS:
            return redirect("training:exam-take", attempt_id=attempt.pk)
        review = selectors.attempt_review(attempt)
        notes = []
        for note in registry.attempt_result_notes():
            context = note.context(attempt, self.scope)
            if context is not None:
                notes.append({"template": note.template, "context": context})
        return render(
            request,
            "training/exam_result.html",
            {
                "attempt": attempt,
                "review": review.revealed,
                "sheet": review.sheet if review.revealed else None,
                "never": review.never,
                "notes": notes,
            },
        )


class AttemptAnswerView(AttemptPageMixin, View):
    """Saving one answer from the take page for a phone with nobody logged in (a spot exam
    entered by code): the same service and answers as PUT /api/v1/attempts/…/answers/…/."""

    def post(self, request, attempt_id, question_id):
        if request.content_type == "application/json":
            try:
                selected = jsoninput.loads(request.body or b"{}").get("selected")
            except jsoninput.TooDeep as exc:
                return JsonResponse({"detail": str(exc)}, status=400)
            except (ValueError, AttributeError):
                selected = None
        else:
            selected = request.POST.getlist("selected")
        try:
            row = answer_save(request, attempt_id, question_id, selected)
        except attempts.AttemptClosed as exc:
            status = (
                # Only the status of the attempt the save just refused, which passed the caller's
                # access check.
                Attempt.dangerously_unscoped.filter(pk=exc.attempt.pk)
                .values_list("status", flat=True)
                .first()
            )
            return JsonResponse({"detail": exc.message, "status": status}, status=409)
        except ValidationError as exc:
            return JsonResponse(
                exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}, status=400
            )
        return JsonResponse(
            {
                "question": str(row.question_id),
                "selected": row.selected,
                "saved_at": row.answered_at.isoformat(),
            }
        )

    put = post


urlpatterns = [
    path("exams/", MyExamsView.as_view(), name="my-exams"),
    path("exams/<uuid:paper_id>/", ExamStartView.as_view(), name="exam-start"),
    path("attempts/<uuid:attempt_id>/", AttemptTakeView.as_view(), name="exam-take"),
    path("attempts/<uuid:attempt_id>/submit/", AttemptSubmitView.as_view(), name="exam-submit"),
    path("attempts/<uuid:attempt_id>/result/", AttemptResultView.as_view(), name="exam-result"),
    path(
        "attempts/<uuid:attempt_id>/answers/<uuid:question_id>/",
        AttemptAnswerView.as_view(),
        name="exam-answer",
    ),
]
