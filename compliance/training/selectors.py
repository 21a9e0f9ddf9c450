"""Reads of training: the question bank and papers as managers see them, and for exam takers
which papers are assigned to a person, with their attempts.

Bank and paper reads go through the caller's scope. An exam taker's papers and attempts are read
with the unscoped manager filtered on the person's own tenant: a worker's scope reaches only
records about themself and their own unit, while a paper is usually set at the mine or the group
and names its audience.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from compliance.access import access_or_404
from tenants.models import Person
from tenants.scope import Scope

from .attempts import _ancestor_paths
from .models import Attempt, ExamPaper, PaperSection, Question


def _audience_condition(person: Person) -> Q:
    # Post categories are a JSON list: matched in Python on the tenant's (few) papers, then
    # joined with the unit and named-person links in SQL.
    by_category = [
        pk
        for pk, categories in ExamPaper.dangerously_unscoped.filter(
            tenant_id=person.tenant_id, is_active=True, is_spot_exam=False
        ).values_list("pk", "audience_post_categories")
        if person.post_category in (categories or [])
    ]
    return (
        Q(pk__in=by_category)
        | Q(audience_units__path__in=_ancestor_paths(person.org_unit.path))
        | Q(audience_people=person)
    )


def assigned_papers(person: Person, now=None) -> list[ExamPaper]:
    """Active, non-spot papers of the person's group assigned to them whose window is open or
    opens later (``paper.upcoming``); closed windows are left out. Two queries."""
    now = now or timezone.now()
    papers = list(
        # A person's own papers: filtered on the person's tenant and audience, for a person the
        # caller already holds (a worker's scope does not cover papers).
        ExamPaper.dangerously_unscoped.filter(tenant_id=person.tenant_id, is_active=True, is_spot_exam=False)
        .filter(Q(closes_at__isnull=True) | Q(closes_at__gt=now))
        .filter(pk__in=ExamPaper.dangerously_unscoped.filter(_audience_condition(person)).values("pk"))
        .order_by("closes_at", "title")
    )
    for paper in papers:
        paper.upcoming = bool(paper.opens_at and paper.opens_at > now)
    return papers


@dataclass
class MyExam:
    """One row of "My exams": a paper and what the person has done and may do with it."""

    paper: ExamPaper
    attempts: list[Attempt] = field(default_factory=list)
    assigned: bool = False
    upcoming: bool = False

    @property
    def in_progress(self) -> Attempt | None:
        return next((a for a in self.attempts if a.status == Attempt.Status.IN_PROGRESS), None)

    @property
    def passed(self) -> bool:
        return any(a.passed for a in self.attempts)

    @property
    def attempts_left(self) -> int:
        regular = [a for a in self.attempts if not a.occasion]
        return max(self.paper.attempts_allowed - len(regular), 0)

    @property
    def best(self) -> Attempt | None:
        graded = [a for a in self.attempts if a.score is not None]
        return max(graded, key=lambda a: a.score, default=None)

    @property
    def can_start(self) -> bool:
        return (
            self.assigned
            and not self.upcoming
            and self.in_progress is None
            and not self.passed
            and self.attempts_left > 0
        )


def my_exams(person: Person, now=None) -> list[MyExam]:
    """Papers assigned to the person (open or upcoming), and every paper they have attempted,
    each with their attempts (newest first). A fixed number of queries, however many rows."""
    now = now or timezone.now()
    rows: dict = {}
    for paper in assigned_papers(person, now):
        rows[paper.pk] = MyExam(paper=paper, assigned=True, upcoming=paper.upcoming)
    attempts = list(
        # Only this person's own attempts (tenant and person in the filter).
        Attempt.dangerously_unscoped.filter(tenant_id=person.tenant_id, person_id=person.pk)
        .select_related("paper")
        .order_by("-started_at")
    )
    for attempt in attempts:
        row = rows.get(attempt.paper_id)
        if row is None:
            row = rows[attempt.paper_id] = MyExam(paper=attempt.paper)
        row.attempts.append(attempt)
    return sorted(
        rows.values(),
        key=lambda r: (r.in_progress is None, not r.can_start, r.upcoming, r.paper.title),
    )


@dataclass
class SheetOption:
    id: str
    text: str
    letter: str = ""
    chosen: bool = False
    is_correct: bool | None = None  # filled only for a review the paper allows


@dataclass
class SheetQuestion:
    """One question of an attempt as the taker sees it: never the answer unless ``reveal``."""

    id: str
    position: int
    type: str
    type_label: str
    stem: str
    points: object
    options: list[SheetOption]
    selected: list[str]
    answered_at: object = None
    correct: bool | None = None
    correct_options: list[str] | None = None
    explanation: str | None = None


def answers_revealed(attempt: Attempt, now=None) -> bool:
    """Whether the taker of ``attempt`` may see its answer key: the correct options, whether
    each answer was right, and the explanations. The one rule every page, API and file that
    shows keys goes through (``attempt_review``).

    Never while the person may still sit the paper — the earlier attempt's questions reappear
    on the re-sit — so only once they cannot: passed, no attempts left, or the paper's window
    closed, and then only where the paper says so (``show_answers``). A spot exam (逢查必考) and
    a re-test that lifts a suspension (复考) never show them: both papers are sat again by others
    and by the same person. A paper switched off may be switched on again, so it still counts as
    one the person may sit. One query besides the paper.
    """
    if attempt.status == Attempt.Status.IN_PROGRESS or answers_never_shown(attempt):
        return False
    paper = attempt.paper
    now = now or timezone.now()
    # The person's own attempts at this paper (same tenant as the attempt the caller may see).
    regular = list(
        Attempt.dangerously_unscoped.filter(
            tenant_id=attempt.tenant_id,
            paper_id=paper.pk,
            person_id=attempt.person_id,
            occasion=Attempt.Occasion.REGULAR,
        ).values_list("status", "deadline", "passed")
    )
    if any(status == Attempt.Status.IN_PROGRESS and deadline > now for status, deadline, _p in regular):
        return False  # a re-sit is being taken right now
    if any(passed for _s, _d, passed in regular):
        return True  # no re-sit after a pass
    if len(regular) >= paper.attempts_allowed:
        return True
    return bool(paper.closes_at and now >= paper.closes_at)


def answers_never_shown(attempt: Attempt) -> bool:
    """The paper keeps its key to itself whatever happens (score only, spot exam, re-test)."""
    paper = attempt.paper
    return (
        paper.show_answers != ExamPaper.ShowAnswers.AFTER_LAST_ATTEMPT
        or bool(attempt.occasion)
        or paper.is_spot_exam
        or paper.clears_suspension
    )


@dataclass
class Review:
    """A graded attempt as its taker reviews it: the sheet, with the keys only if ``revealed``."""

    revealed: bool
    sheet: list[SheetQuestion]
    never: bool  # the paper never shows its key (else: shown once the person cannot sit it again)


def attempt_review(attempt: Attempt, now=None) -> Review:
    """The sheet of ``attempt`` with its answer key where ``answers_revealed`` allows it."""
    revealed = answers_revealed(attempt, now=now)
    return Review(
        revealed=revealed, sheet=_sheet(attempt, reveal=revealed), never=answers_never_shown(attempt)
    )


def attempt_sheet(attempt: Attempt) -> list[SheetQuestion]:
    """The questions of ``attempt`` in the order drawn, options in the order shown, with the
    saved answers — never the key (``attempt_review`` adds it where allowed). Two queries."""
    return _sheet(attempt, reveal=False)


def unanswered_positions(attempt: Attempt) -> list[int]:
    """The numbers of the questions of ``attempt`` with no answer saved, in order. One query."""
    from .models import AttemptQuestion

    # The rows of an attempt the caller already holds.
    rows = AttemptQuestion.dangerously_unscoped.filter(attempt_id=attempt.pk).order_by("position")
    return [position for position, selected in rows.values_list("position", "selected") if not selected]


def _sheet(attempt: Attempt, *, reveal: bool) -> list[SheetQuestion]:
    """``reveal`` comes from ``answers_revealed`` only: it adds the correct options, whether each
    answer was right, and the explanations. Two queries."""
    from .models import AttemptQuestion, QuestionOption

    # The bank is read for questions already drawn onto this attempt, which the caller may see.
    rows = list(
        AttemptQuestion.dangerously_unscoped.filter(attempt_id=attempt.pk)
        .select_related("question")
        .order_by("position")
    )
    option_ids = [pk for row in rows for pk in row.option_order]
    options = {
        str(o.pk): o
        # Options of the questions drawn onto this attempt (see above).
        for o in QuestionOption.dangerously_unscoped.filter(
            tenant_id=attempt.tenant_id, pk__in=option_ids
        ).only("id", "text", "is_correct")
    }
    sheet = []
    for row in rows:
        chosen = {str(s) for s in row.selected}
        shown = [options[str(pk)] for pk in row.option_order if str(pk) in options]
        item = SheetQuestion(
            id=str(row.question_id),
            position=row.position,
            type=row.question.type,
            type_label=str(row.question.get_type_display()),
            stem=row.question.stem,
            points=row.points,
            options=[
                SheetOption(id=str(o.pk), text=o.text, letter=chr(65 + i), chosen=str(o.pk) in chosen)
                for i, o in enumerate(shown)
            ],
            selected=[str(s) for s in row.selected],
            answered_at=row.answered_at,
        )
        if reveal:
            item.correct = row.correct
            item.correct_options = [str(o.pk) for o in shown if o.is_correct]
            item.explanation = row.question.explanation
            for option, source in zip(item.options, shown, strict=True):
                option.is_correct = source.is_correct
        sheet.append(item)
    return sheet


# --- the question bank and papers -----------------------------------------------------------------
def access_question(scope: Scope, pk) -> Question:
    """Any version of a question the scope may read (its bank), with its options."""
    return access_or_404(
        scope, Question.objects.select_related("org_unit", "created_by").prefetch_related("options"), pk
    )


def access_paper(scope: Scope, pk) -> ExamPaper:
    return access_or_404(scope, ExamPaper.objects.select_related("org_unit"), pk)


def question_list(
    *,
    scope: Scope,
    type: str = "",
    topic: str = "",
    post_category: str = "",
    mine_type: str = "",
    difficulty: int | None = None,
    search: str = "",
    retired: bool = False,
) -> QuerySet[Question]:
    """Current questions (or, with ``retired``, the last version of every retired question).

    Tag filters keep questions tagged with the value and those tagged "any" (an empty list), the
    same rule a paper's blueprint draws by.
    """
    qs = scope.filter_queryset(Question.objects.select_related("org_unit", "created_by"))
    if retired:
        newer = Question.objects.filter(family=OuterRef("family"), version__gt=OuterRef("version"))
        qs = (
            qs.filter(is_current=False)
            .exclude(family__in=Question.objects.filter(is_current=True).values("family"))
            .filter(~Exists(newer))
        )
    else:
        qs = qs.filter(is_current=True)
    if type:
        qs = qs.filter(type=type)
    if topic:
        qs = qs.filter(topic=topic)
    if difficulty:
        qs = qs.filter(difficulty=difficulty)
    if search:
        qs = qs.filter(
            Q(stem__icontains=search) | Q(explanation__icontains=search) | Q(topic__icontains=search)
        )
    if post_category or mine_type:
        # JSON lists are matched in Python, identically on SQLite and PostgreSQL (as the draw does).
        rows = qs.values_list("id", "post_categories", "mine_types")
        ids = [
            pk
            for pk, posts, mines in rows
            if (not post_category or not posts or post_category in posts)
            and (not mine_type or not mines or mine_type in mines)
        ]
        qs = qs.filter(pk__in=ids)
    return qs.order_by("topic", "-created_at", "id")


def question_topics(*, scope: Scope) -> list[str]:
    qs = scope.filter_queryset(Question.objects.filter(is_current=True)).exclude(topic="")
    return list(qs.order_by("topic").values_list("topic", flat=True).distinct())


def question_history(*, scope: Scope, question: Question) -> list[Question]:
    """Every version of the question's family, newest first."""
    qs = scope.filter_queryset(Question.objects.filter(family=question.family).select_related("created_by"))
    return list(qs.order_by("-version"))


def paper_list(*, scope: Scope, search: str = "", spot: str = "") -> QuerySet[ExamPaper]:
    sections = (
        PaperSection.objects.filter(paper=OuterRef("pk"))
        .order_by()
        .values("paper")
        .annotate(n=Sum("count"))
        .values("n")[:1]
    )
    attempts = (
        Attempt.objects.filter(paper=OuterRef("pk"))
        .order_by()
        .values("paper")
        .annotate(n=Count("id"))
        .values("n")[:1]
    )
    qs = scope.filter_queryset(ExamPaper.objects.select_related("org_unit")).annotate(
        question_count=Coalesce(Subquery(sections), Value(0)),
        attempt_count=Coalesce(Subquery(attempts), Value(0)),
    )
    if search:
        qs = qs.filter(title__icontains=search)
    if spot == "spot":
        qs = qs.filter(is_spot_exam=True)
    elif spot == "assigned":
        qs = qs.filter(is_spot_exam=False)
    return qs.order_by("-created_at", "id")


def paper_attempts(*, scope: Scope, paper: ExamPaper) -> QuerySet[Attempt]:
    """The attempts at ``paper`` the scope may see, for the results table."""
    qs = scope.filter_queryset(
        Attempt.objects.filter(paper=paper).select_related("person", "person__org_unit")
    )
    return qs.order_by("person__name", "person_id", "number")


def paper_results(*, scope: Scope, paper: ExamPaper) -> dict:
    """Graded attempts, people who sat it, and how many of them passed (at any attempt)."""
    graded = paper_attempts(scope=scope, paper=paper).exclude(status=Attempt.Status.IN_PROGRESS)
    totals = graded.aggregate(
        attempts=Count("id"),
        passed_attempts=Count("id", filter=Q(passed=True)),
        people=Count("person", distinct=True),
        people_passed=Count("person", filter=Q(passed=True), distinct=True),
    )
    people = totals["people"] or 0
    totals["pass_rate"] = round(100 * totals["people_passed"] / people, 1) if people else None
    return totals
