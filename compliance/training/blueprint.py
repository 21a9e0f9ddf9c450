"""Drawing a paper for one attempt from its blueprint (the paper's sections).

A paper draws from the *current* version of every question of its group (tenant): the bank is
shared by the whole group, whichever unit a question was written at. The worker who starts an
attempt has no right to read the bank itself (answers live on the options), so the draw reads
it with the unscoped manager, always filtered on the paper's tenant.
"""

from __future__ import annotations

import random

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from .models import ExamPaper, PaperSection, Question, QuestionOption


def _tag_matches(tags: list | None, wanted: str) -> bool:
    # An empty tag list means "any": such a question suits every post category or mine type.
    return not wanted or not tags or wanted in tags


def section_candidates(section: PaperSection) -> QuerySet[Question]:
    """The current questions of the paper's group that fit ``section``.

    Type, difficulty and topic narrow the rows in SQL; the post-category and mine-type tags are
    JSON lists, matched in Python (the same on SQLite and PostgreSQL) on the narrowed rows.
    """
    # Reads the group's bank for a draw: filtered on the section's own tenant.
    qs = Question.dangerously_unscoped.filter(
        tenant_id=section.tenant_id, is_current=True, type=section.question_type
    )
    if section.difficulty:
        qs = qs.filter(difficulty=section.difficulty)
    if section.topic:
        qs = qs.filter(topic=section.topic)
    if section.post_category or section.mine_type:
        rows = qs.values_list("id", "post_categories", "mine_types")
        ids = [
            pk
            for pk, posts, mines in rows
            if _tag_matches(posts, section.post_category) and _tag_matches(mines, section.mine_type)
        ]
        # The ids narrowed from the tenant-filtered query above.
        qs = Question.dangerously_unscoped.filter(pk__in=ids)
    return qs.order_by("topic", "created_at", "id")


def _options_prefetch() -> Prefetch:
    # The default manager of options follows the caller's scope (a worker sees none of them).
    return Prefetch("options", queryset=QuestionOption.dangerously_unscoped.order_by("position"))


def draw_questions(paper: ExamPaper, rng: random.Random | None = None) -> list[tuple[Question, object]]:
    """``[(question, points), …]`` for one attempt: per section a random sample, never the same
    question twice in a paper; the whole list shuffled when the paper says so.

    Each question comes with its options (``question.options.all()``, in bank order); the
    caller shuffles those when ``paper.shuffle_options``. Raises ValidationError when the bank
    holds too few questions for a section.
    """
    rng = rng or random.SystemRandom()
    # The sections of a paper the caller already holds (a worker starting an exam may not read
    # sections).
    sections = list(PaperSection.dangerously_unscoped.filter(paper_id=paper.pk).order_by("position", "id"))
    if not sections:
        raise ValidationError(_("This paper has no sections: there is nothing to draw."))
    chosen: list[tuple[object, object]] = []
    taken: set = set()
    for number, section in enumerate(sections, start=1):
        candidates = [
            pk for pk in section_candidates(section).values_list("id", flat=True) if pk not in taken
        ]
        if len(candidates) < section.count:
            raise ValidationError(
                _(
                    "Section %(number)s needs %(count)s questions (%(type)s) but the question bank "
                    "has only %(available)s that fit."
                )
                % {
                    "number": number,
                    "count": section.count,
                    "type": section.get_question_type_display(),
                    "available": len(candidates),
                }
            )
        picked = rng.sample(candidates, section.count)
        if not paper.shuffle_questions:
            order = {pk: i for i, pk in enumerate(candidates)}
            picked.sort(key=order.__getitem__)
        taken.update(picked)
        chosen.extend((pk, section.points) for pk in picked)
    # The questions just drawn from the paper's own tenant's bank.
    questions = Question.dangerously_unscoped.filter(pk__in=[pk for pk, _points in chosen]).prefetch_related(
        _options_prefetch()
    )
    by_id = {q.pk: q for q in questions}
    drawn = [(by_id[pk], points) for pk, points in chosen]
    if paper.shuffle_questions:
        rng.shuffle(drawn)
    return drawn


def option_order(question: Question, rng: random.Random, shuffle: bool) -> list[str]:
    """The option ids of ``question`` in the order this attempt shows them."""
    ids = [str(option.pk) for option in question.options.all()]
    if shuffle:
        rng.shuffle(ids)
    return ids
