"""Reads of one self-assessment: its live result and its items, each in a fixed number of queries
whatever the number of items (StandardSpec.load is three; marks one; the mine's history two or
three)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Case, F, IntegerField, Prefetch, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from .history import mine_history
from .models import Assessment, Deduction, ItemScore
from .scoring import ItemMark, Result, StandardSpec, deciding_rules, evaluate


def marks_of(assessment: Assessment) -> dict[int, ItemMark]:
    """What the assessment says about each item, in one query."""
    rows = ItemScore.objects.filter(assessment=assessment).values_list(
        "item_id", "not_applicable", "deducted", "review_score", "row_version"
    )
    return {
        item_id: ItemMark(not_applicable=na, deducted=deducted, review_score=review, touched=version > 0)
        for item_id, na, deducted, review, version in rows
    }


def result(
    assessment: Assessment,
    *,
    reviewed: bool = False,
    on_date: datetime.date | None = None,
    spec: StandardSpec | None = None,
) -> Result:
    """The assessment's figures as ``grading.scoring.evaluate`` computes them, on ``on_date``
    (today unless given). ``reviewed``: the HQ reviewer's item scores where they gave one."""
    on_date = on_date or timezone.localdate()
    spec = spec or StandardSpec.load(assessment.version)
    history = mine_history(assessment.mine, on_date, spec.preconditions)
    return evaluate(spec, marks_of(assessment), history, on_date, reviewed=reviewed)


def counting_result(assessment: Assessment, *, spec: StandardSpec | None = None) -> Result:
    """The figures that count now: the reviewed ones once the HQ review has begun, the frozen
    total/level/rule once approved (on the approval date), the mine's own before."""
    review = assessment.status in (Assessment.Status.UNDER_REVIEW, Assessment.Status.APPROVED)
    on_date = timezone.localdate(assessment.approved_at) if assessment.approved_at else None
    spec = spec or StandardSpec.load(assessment.version)
    live = result(assessment, reviewed=review, on_date=on_date, spec=spec)
    if assessment.status == Assessment.Status.APPROVED:
        live.total = assessment.total
        live.level = assessment.level
        live.blocking_rule = assessment.blocking_rule
        # The deciding rule of the frozen level (the rules in force may have been corrected since).
        live.deciding, live.unverified = deciding_rules(
            spec, assessment.level, live.failed_preconditions or live.failed_vetoes, live.parts
        )
    return live


@dataclass(frozen=True)
class RuleWarning:
    """A rule the outcome rests on that is not verified (待核实): what it says and what to check."""

    text: str
    source: str


def rule_warnings(assessment: Assessment, result: Result) -> list[RuleWarning]:
    """The 待核实 warnings of an assessment's outcome: each unverified level rule it rests on, and
    the edition's re-check interval when that is unverified (the grade's re-check date is then a
    reading still to be checked). No query: the version is loaded with the assessment."""
    out = [RuleWarning(d.text, d.source) for d in result.unverified]
    version = assessment.version
    if version.recheck_months and not version.verified:
        out.append(
            RuleWarning(
                _("a re-check every %(months)s months (%(version)s)")
                % {"months": version.recheck_months, "version": version.label},
                version.source,
            )
        )
    return out


@dataclass
class ItemRow:
    """An item of the standard with the assessment's scoring of it (for pages)."""

    item: object
    score: ItemScore


# Items in the order of the standard's tree (parts are at most two levels deep): item positions
# count within their part, so the part's place in the tree comes first.
TREE_ORDER = (
    Coalesce("item__part__parent__position", "item__part__position"),
    Coalesce("item__part__parent__code", "item__part__code"),
    Case(
        When(item__part__parent__isnull=True, then=Value(-1)),
        default=F("item__part__position"),
        output_field=IntegerField(),
    ),
    "item__part__code",
    "item__position",
    "item__code",
)


def item_rows(assessment: Assessment, *, part_id: int | None = None) -> list[ItemRow]:
    """The items (of one leaf part, or all) with their scores and deductions, in two queries."""
    qs = (
        ItemScore.objects.filter(assessment=assessment)
        .select_related("item", "item__part", "updated_by")
        .prefetch_related(
            Prefetch("deductions", queryset=Deduction.objects.order_by("position", "created_at"))
        )
        .order_by(*TREE_ORDER)
    )
    if part_id is not None:
        qs = qs.filter(item__part_id=part_id)
    return [ItemRow(item=s.item, score=s) for s in qs]


def item_rows_for(assessment: Assessment, item) -> list[ItemRow]:
    """One item's row (after a save), in two queries."""
    qs = (
        ItemScore.objects.filter(assessment=assessment, item=item)
        .select_related("item", "item__part", "updated_by")
        .prefetch_related(
            Prefetch("deductions", queryset=Deduction.objects.order_by("position", "created_at"))
        )
    )
    return [ItemRow(item=s.item, score=s) for s in qs]
