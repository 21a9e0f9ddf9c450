"""Exam attempts: start (draw and fix the deadline), save answers as they are chosen, grade.

Rules kept here (issue #4, DOMAIN.md "Training and exams"):

- The server draws the paper and fixes the deadline (start + duration, server clock) when an
  attempt starts; a second start while one is in progress returns that attempt, so a worker who
  switches phones resumes where they were.
- An answer saved at or after the deadline is refused (409 in the API) and never stored; grading
  uses only what was saved in time.
- An attempt whose deadline has passed is graded by whoever touches it first: the worker
  submitting, any read or save of it (lazily), or the scheduled job ``close_expired_attempts``.
  Grading locks the attempt row, so two of these at once grade it once.
- A question scores when the chosen options are exactly the correct ones (multiple choice is
  all-or-nothing). Pass: score / max score × 100 ≥ the paper's pass mark.

Start, submit and automatic submission are audited; single answer saves are not (see
``save_answer``).
"""

from __future__ import annotations

import logging
import random
import uuid
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from compliance import registry
from compliance.audit.context import ActorContext, acting_as, current_actor
from compliance.audit.services import audit_record
from compliance.training import permissions as training_perms
from tenants import roles
from tenants.models import Person
from tenants.scope import Grant, Scope, dangerously_platform_scope

from . import blueprint, outcomes
from .models import Attempt, AttemptQuestion, ExamPaper, QuestionOption

log = logging.getLogger(__name__)

# How many expired attempts one run of the scheduled job grades (the next run takes the rest).
CLOSE_BATCH = 500


class AttemptClosed(Exception):
    """The attempt no longer takes answers: submitted, or its deadline has passed (HTTP 409)."""

    def __init__(self, message, attempt: Attempt):
        super().__init__(str(message))
        self.message = str(message)
        self.attempt = attempt


TOO_LATE = gettext_lazy("Time is up: answers saved after the deadline are not accepted.")
ALREADY_SUBMITTED = gettext_lazy("This attempt has been submitted; its answers can no longer change.")


def _now(now):
    return now or timezone.now()


# --- eligibility ------------------------------------------------------------------------------------
def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def paper_is_for(paper: ExamPaper, person: Person) -> bool:
    """Whether ``person`` is in the paper's audience (post category, org unit, or named)."""
    if paper.tenant_id != person.tenant_id:
        return False
    if person.post_category in (paper.audience_post_categories or []):
        return True
    # Audience links of this paper only (same tenant, checked above).
    units = ExamPaper.audience_units.through.objects.filter(
        exampaper_id=paper.pk, orgunit__path__in=_ancestor_paths(person.org_unit.path)
    )
    people = ExamPaper.audience_people.through.objects.filter(exampaper_id=paper.pk, person_id=person.pk)
    return units.exists() or people.exists()


def window_error(paper: ExamPaper, now) -> str | None:
    if not paper.is_active:
        return _("This exam is not active.")
    if paper.opens_at and now < paper.opens_at:
        return _("This exam is not open yet.")
    if paper.closes_at and now >= paper.closes_at:
        return _("This exam has closed.")
    return None


def _lock_person(person: Person) -> None:
    # Serialises starts by one person (two phones pressing "start" at once make one attempt).
    list(Person.dangerously_unscoped.select_for_update().filter(pk=person.pk).values_list("pk"))


# --- start ------------------------------------------------------------------------------------------
def start_attempt(
    *,
    paper: ExamPaper,
    person: Person,
    occasion: str = Attempt.Occasion.REGULAR,
    by_user=None,
    now=None,
    rng: random.Random | None = None,
    audit_extra: dict | None = None,
) -> Attempt:
    """Start (or resume) ``person``'s attempt at ``paper``.

    A regular paper must be assigned to the person and open; at most ``attempts_allowed``
    attempts, none after a pass. An attempt for an ``occasion`` (a spot exam, 逢查必考) is
    started by the capability that owns the occasion (compliance.inspections: the inspector, or
    the person's one-time code), which keeps it to one per occasion: the audience, window and
    attempt-count checks do not apply. ``by_user`` is who pressed start when it is not the
    person (an inspector's tablet); it is recorded in the audit trail, with ``audit_extra``.
    """
    now = _now(now)
    try:
        return _start(
            paper=paper,
            person=person,
            occasion=occasion,
            by_user=by_user,
            now=now,
            rng=rng,
            audit_extra=audit_extra,
        )
    except IntegrityError:
        # A concurrent start of the same attempt number won: resume that one. (An occasion's
        # owner serialises its starts itself.)
        existing = None if occasion else _in_progress(paper, person)
        if existing is None:
            raise
        return existing


def _in_progress(paper, person) -> Attempt | None:
    # Unscoped: the paper and person were fetched in the caller's scope and the filter names their
    # tenant; an inspector's or a code holder's scope would hide the person's attempts.
    return (
        Attempt.dangerously_unscoped.filter(
            tenant_id=paper.tenant_id,
            paper_id=paper.pk,
            person_id=person.pk,
            status=Attempt.Status.IN_PROGRESS,
            occasion=Attempt.Occasion.REGULAR,
        )
        .select_related("paper", "person")
        .first()
    )


@transaction.atomic
def _start(*, paper, person, occasion, by_user, now, rng, audit_extra) -> Attempt:
    if paper.tenant_id != person.tenant_id:
        raise Http404
    if occasion not in Attempt.Occasion.values:
        raise ValueError(f"unknown attempt occasion {occasion!r}")
    _lock_person(person)
    if occasion:
        if not paper.is_active:
            raise ValidationError(_("This exam is not active."))
    else:
        if paper.is_spot_exam:
            raise ValidationError(_("A spot exam is started by the inspection team."))
        current = _in_progress(paper, person)
        if current is not None:
            if now < current.deadline:
                return current
            submit_attempt(current, now=now, auto=True)
        error = window_error(paper, now)
        if error:
            raise ValidationError(error)
        if not paper_is_for(paper, person):
            raise ValidationError(_("This exam is not assigned to you."))
        # The person's own earlier attempts at this paper (same tenant): the person was fetched in
        # the caller's scope.
        earlier = Attempt.dangerously_unscoped.filter(
            tenant_id=paper.tenant_id,
            paper_id=paper.pk,
            person_id=person.pk,
            occasion=Attempt.Occasion.REGULAR,
        )
        if earlier.filter(passed=True).exists():
            raise ValidationError(_("You have already passed this exam."))
        if earlier.count() >= paper.attempts_allowed:
            raise ValidationError(
                _("You have used all %(count)s attempts allowed at this exam.")
                % {"count": paper.attempts_allowed}
            )

    rng = rng or random.SystemRandom()
    drawn = blueprint.draw_questions(paper, rng)
    last = (
        # Numbering counts every attempt of this paper and person, seen or not by the caller; only
        # the count leaves.
        Attempt.dangerously_unscoped.filter(paper_id=paper.pk, person_id=person.pk)
        .aggregate(n=Max("number"))
        .get("n")
    )
    attempt = Attempt(
        tenant_id=paper.tenant_id,
        paper=paper,
        person=person,
        number=(last or 0) + 1,
        started_at=now,
        deadline=now + timedelta(minutes=paper.duration_minutes),
        max_score=sum((Decimal(points) for _q, points in drawn), Decimal(0)),
        occasion=occasion,
    )
    with transaction.atomic():  # a lost race on the attempt number rolls back to here
        attempt.save(force_insert=True)
    # Rows of the attempt just created, each with its tenant set from the paper.
    AttemptQuestion.dangerously_unscoped.bulk_create(
        [
            AttemptQuestion(
                tenant_id=paper.tenant_id,
                attempt=attempt,
                question=question,
                position=position,
                points=points,
                option_order=blueprint.option_order(question, rng, paper.shuffle_options),
            )
            for position, (question, points) in enumerate(drawn, start=1)
        ]
    )
    after = {
        "paper": str(paper.pk),
        "person": str(person.pk),
        "number": attempt.number,
        "deadline": attempt.deadline,
        "questions": len(drawn),
        "max_score": attempt.max_score,
    }
    after.update(audit_extra or {})
    if by_user is not None and by_user.pk != current_actor().user_id:
        after["started_by"] = by_user.get_username()
    audit_record(
        action="create",
        obj=attempt,
        object_repr=_attempt_repr(attempt),
        org_path=person.org_unit.path,
        after=after,
    )
    return attempt


def _attempt_repr(attempt: Attempt) -> str:
    return f"{attempt.paper.title} · {attempt.person.name} · #{attempt.number}"


# --- answers ----------------------------------------------------------------------------------------
def save_answer(attempt: Attempt, question_id, selected, now=None) -> AttemptQuestion:
    """Store the options chosen for one question of an in-progress attempt.

    Two queries whatever the size of the paper: one reads the attempt question and locks it and
    its attempt (a concurrent submit waits for the save, or the save sees it submitted), one
    writes it. Single saves are deliberately not audited: a paper of 50 questions would write 50
    events a worker, and the trail keeps what matters — start, submit and the graded result,
    which holds every saved answer.

    Raises AttemptClosed after the deadline or submission (the answer is not stored),
    ValidationError for options that are not the question's or a wrong number of them, and
    Http404 for a question that is not on this attempt.
    """
    try:
        return _save(Q(attempt_id=attempt.pk), question_id, selected, _now(now))
    except _RowMissing:
        raise Http404 from None


def save_answer_in_scope(
    *, scope: Scope, held=(), attempt_id, question_id, selected, now=None
) -> AttemptQuestion:
    """``save_answer`` by ids: the access check of ``access_attempt`` (same ``scope`` and
    ``held``) folded into the query that reads and locks the row, so a save costs two queries in
    all. Same errors."""
    now = _now(now)
    condition = _access_condition(scope, held, "attempt__") & Q(attempt_id=_uuid_or_404(attempt_id))
    try:
        return _save(condition, question_id, selected, now)
    except _RowMissing:
        # No such attempt for this caller (404), or a question that is not on it (404 too).
        access_attempt(scope=scope, held=held, attempt_id=attempt_id, now=now)
        raise Http404 from None


class _RowMissing(Exception):
    pass


def _save(condition: Q, question_id, selected, now) -> AttemptQuestion:
    if not isinstance(selected, list | tuple) or not all(isinstance(s, str) for s in selected):
        raise ValidationError({"selected": [_("Give a list of option ids.")]})
    question_pk = _uuid_or_404(question_id)
    # Nested in the request's transaction on PostgreSQL: no savepoint, and nothing is raised
    # inside the block (that would doom the request's transaction, and with it a lazy grading).
    with transaction.atomic(savepoint=False):
        # The condition names an attempt the caller may work on (checked by the caller or
        # folded in by save_answer_in_scope).
        row = (
            AttemptQuestion.dangerously_unscoped.select_related("attempt", "question")
            .select_for_update(of=("self", "attempt"))
            .filter(condition, question_id=question_pk)
            .only(
                "id",
                "option_order",
                "selected",
                "attempt__id",
                "attempt__status",
                "attempt__deadline",
                "question__id",
                "question__type",
            )
            .first()
        )
        error = _answer_error(row, selected, now)
        if error is None:
            shown = [str(pk) for pk in row.option_order]
            wanted = {str(s).lower() for s in selected}
            row.selected = [pk for pk in shown if pk in wanted]
            row.answered_at = now
            # The row read and locked above under the caller's access condition.
            AttemptQuestion.dangerously_unscoped.filter(pk=row.pk).update(
                selected=row.selected, answered_at=now
            )
    if error is not None:
        if isinstance(error, AttemptClosed) and row.attempt.status == Attempt.Status.IN_PROGRESS:
            submit_attempt(row.attempt, now=now, auto=True)  # lazy grading, in its own block
        raise error
    return row


def _answer_error(row, selected, now) -> Exception | None:
    if row is None:
        return _RowMissing()
    locked = row.attempt
    if locked.status == Attempt.Status.SUBMITTED:
        return AttemptClosed(ALREADY_SUBMITTED, locked)
    if locked.status == Attempt.Status.EXPIRED or now >= locked.deadline:
        return AttemptClosed(TOO_LATE, locked)
    wanted = {str(s).lower() for s in selected}
    if not wanted <= {str(pk) for pk in row.option_order}:
        return ValidationError({"selected": [_("Choose among this question's options.")]})
    if row.question.type != row.question.Type.MULTIPLE and len(wanted) != 1:
        return ValidationError({"selected": [_("Choose exactly one option.")]})
    return None


def _uuid_or_404(value):
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise Http404 from exc


# --- grading ----------------------------------------------------------------------------------------
def submit_attempt(attempt: Attempt, now=None, auto: bool = False) -> Attempt:
    """Grade ``attempt`` once; a second call returns the same result.

    ``auto`` marks submission by the deadline (status "expired"); so does a worker's submit that
    arrives after the deadline. Runs ``training.outcomes.on_attempt_graded`` in the same
    transaction, so a certificate or a suspension commits with the grade or not at all.
    """
    return _submit(attempt, _now(now), auto)[0]


def _submit(attempt: Attempt, now, auto: bool) -> tuple[Attempt, bool]:
    """(the graded attempt, whether this call graded it)."""
    with transaction.atomic():
        locked = (
            # Callers pass an attempt they already hold through access_attempt, a start or the
            # scheduled job (platform scope); the scope of a code holder would hide it.
            Attempt.dangerously_unscoped.select_for_update(of=("self",))
            .select_related("paper", "person", "person__org_unit")
            .get(pk=attempt.pk)
        )
        if locked.status != Attempt.Status.IN_PROGRESS:
            return locked, False
        late = now >= locked.deadline
        rows = list(
            # The questions of the attempt locked above.
            AttemptQuestion.dangerously_unscoped.filter(attempt_id=locked.pk)
            .select_for_update()
            .order_by("position")
        )
        correct: dict = {}
        # The answer key of the questions on this attempt only (same tenant).
        for question_id, option_id in QuestionOption.dangerously_unscoped.filter(
            tenant_id=locked.tenant_id, question_id__in=[r.question_id for r in rows], is_correct=True
        ).values_list("question_id", "id"):
            correct.setdefault(question_id, set()).add(str(option_id))
        score = Decimal(0)
        for row in rows:
            chosen = {str(s) for s in row.selected}
            row.correct = bool(chosen) and chosen == correct.get(row.question_id, set())
            if row.correct:
                score += row.points
        # The same rows, read and locked above.
        AttemptQuestion.dangerously_unscoped.bulk_update(rows, ["correct"])
        locked.score = score
        locked.passed = bool(locked.max_score) and score * 100 >= locked.paper.pass_mark * locked.max_score
        locked.status = Attempt.Status.EXPIRED if (auto or late) else Attempt.Status.SUBMITTED
        locked.submitted_at = min(now, locked.deadline)
        locked.save(update_fields=["score", "passed", "status", "submitted_at"])
        audit_record(
            action="update",
            obj=locked,
            object_repr=_attempt_repr(locked),
            org_path=locked.person.org_unit.path,
            before={"status": Attempt.Status.IN_PROGRESS},
            after={
                "event": "exam_auto_submit" if locked.status == Attempt.Status.EXPIRED else "exam_submit",
                "status": locked.status,
                "score": locked.score,
                "max_score": locked.max_score,
                "passed": locked.passed,
                "answered": sum(1 for r in rows if r.selected),
                "questions": len(rows),
            },
        )
        outcomes.on_attempt_graded(locked)
    return locked, True


def grade_if_expired(attempt: Attempt, now=None) -> Attempt:
    """Lazy grading: an in-progress attempt past its deadline is graded on first touch."""
    now = _now(now)
    if attempt.status == Attempt.Status.IN_PROGRESS and now >= attempt.deadline:
        return submit_attempt(attempt, now=now, auto=True)
    return attempt


SYSTEM_ACTOR = ActorContext(username="system: exam deadline", role="")


def close_expired_attempts(now=None) -> int:
    """Grade every in-progress attempt whose deadline has passed (the scheduled job, every minute).

    Each attempt is graded in its own transaction, so a crash or a retry never leaves one half
    graded, and one that fails does not hold back the others. Safe to run twice or alongside a
    worker's own submit (grading is idempotent under the row lock). Returns how many it graded.
    """
    now = _now(now)
    graded = 0
    # Every tenant's attempts: the job reads ids, then grades each under the row lock; the actor
    # is the system, recorded as such in each tenant's audit trail.
    with dangerously_platform_scope(), acting_as(SYSTEM_ACTOR):
        due = list(
            Attempt.dangerously_unscoped.filter(status=Attempt.Status.IN_PROGRESS, deadline__lte=now)
            .order_by("deadline")
            .values_list("pk", flat=True)[:CLOSE_BATCH]
        )
        for pk in due:
            try:
                _attempt, done = _submit(Attempt(pk=pk), now, True)
            except Exception:  # noqa: BLE001 — one broken attempt must not stop the others
                log.exception("closing expired exam attempt %s failed", pk)
                continue
            graded += done
    return graded


# --- access -----------------------------------------------------------------------------------------
# Attempts of an occasion (a spot exam) a browser session without a login may work on: the
# occasion's owner puts them there once the person proved a one-time code.
SESSION_KEY = "spot_attempts"


def held_spot_attempts(session) -> list[uuid.UUID]:
    """The spot-exam attempts a browser session holds by their one-time codes (``SESSION_KEY``,
    put there by the code page); ``session`` may be None (no session at all)."""
    held = []
    for value in session.get(SESSION_KEY, []) if session is not None else []:
        try:
            held.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    return held


def own_scope(person: Person) -> Scope:
    """The scope of the person themself (as a worker seeing only their own records), for an
    attempt worked on from a phone with nobody logged in."""
    return Scope(
        kind="tenant",
        grants=(Grant(person.tenant_id, person.org_unit.path, roles.WORKER),),
        user_id=person.user_id,
        person_id=person.pk,
    )


def access_attempt(*, scope: Scope, held=(), attempt_id, now=None) -> Attempt:
    """The attempt ``attempt_id``, if this caller may work on it; else 404.

    Who may: the person it belongs to (their own login), those a capability lets in to an
    attempt of its occasion (``compliance.registry.register_attempt_access``: for a spot exam,
    whoever runs its inspection — the tablet), or a browser session that entered the spot
    check's one-time code (``held``: see ``held_spot_attempts``). Nobody else — not a
    manager, not the inspected mine's own safety staff, not a regulator — sees a worker's attempt
    here (404, as for a missing one); an expired attempt is graded before it is returned.
    """
    condition = _access_condition(scope, held)
    try:
        pk = _uuid_or_404(attempt_id)
        # The condition above is the access rule (tenant included); the scope's manager would
        # hide attempts from the inspector and the code holder it lets in.
        attempt = (
            Attempt.dangerously_unscoped.filter(condition, pk=pk)
            .select_related("paper", "person", "person__org_unit")
            .first()
        )
    except (ValueError, ValidationError):
        attempt = None
    if attempt is None:
        raise Http404
    return grade_if_expired(attempt, now=now)


def _access_condition(scope: Scope, held, prefix: str = "") -> Q:
    """Which attempts this caller may work on (see access_attempt), as a condition on
    Attempt — or, with ``prefix="attempt__"``, on a row that belongs to one."""
    condition = Q(pk__in=[])
    if scope.person_id and scope.has_perm(training_perms.TAKE_EXAMS):
        condition |= Q(**{f"{prefix}person_id": scope.person_id, f"{prefix}tenant_id__in": scope.tenant_ids})
    # Whoever a capability lets in to its occasion's attempts: for a spot exam the team running
    # its inspection — not everyone with CONDUCT_INSPECTIONS over the unit (compliance.inspections).
    for access in registry.attempt_access_conditions():
        condition |= access(scope, prefix)
    held = list(held)
    if held:
        condition |= Q(**{f"{prefix}pk__in": held}) & ~Q(**{f"{prefix}occasion": Attempt.Occasion.REGULAR})
    return condition


def grade_expired_of(person: Person, now=None) -> int:
    """Lazy grading for one person's list of exams (one query when nothing is due)."""
    now = _now(now)
    # Only this person's own attempts (tenant and person in the filter), for a person the caller
    # already holds.
    due = Attempt.dangerously_unscoped.filter(
        tenant_id=person.tenant_id, person_id=person.pk, status=Attempt.Status.IN_PROGRESS, deadline__lte=now
    ).values_list("pk", flat=True)
    return sum(_submit(Attempt(pk=pk), now, True)[1] for pk in list(due))
