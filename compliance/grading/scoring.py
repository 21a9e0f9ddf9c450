"""Scores and levels, computed from a standard version and the marks of an assessment.

Pure: no database access except ``StandardSpec.load`` (three queries for a whole version) and no
clock. The same function gives the live figures on the assessment page, the API result, the
frozen result on approval and the PDF report, so they can never disagree.

Scoring (DOMAIN.md, "Safety-production standardization grading"):
- An item scores its maximum less its deductions, never below zero; the HQ reviewer's figure
  replaces it when ``reviewed`` is asked for and the reviewer gave one. Not-applicable items (缺项)
  leave both the earned points and the maximum.
- A part holding items scores 100 × earned / applicable maximum. A part holding parts scores the
  weighted average of its children that have anything applicable (weights renormalised).
- Total: ``weighted_parts`` (coal) — weighted average of the top-level parts; ``percentage``
  (non-coal) — 100 × all earned / all applicable maximum.
- Level: preconditions and veto items first (either voids any level), then the level rules from
  level 1 down; the first rule met gives the level. ``blocking_rule`` says in words why the next
  level up was not reached; ``deciding`` names the level rule that decided (its source and
  whether it is verified, DESIGN.md "Rules as data").
- Thresholds are compared on the exact figures (59.995 is below 60, issue 14 point 6); only
  ``fmt`` (display) and the frozen total of an approved assessment round.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils import translation
from django.utils.translation import gettext as _

HUNDRED = Decimal(100)
ZERO = Decimal(0)
CENT = Decimal("0.01")


def q2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def fmt(value: Decimal | None) -> str:
    """A score as people write it: one decimal, no trailing ".0"."""
    if value is None:
        return "—"
    text = f"{value.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):f}"
    return text[:-2] if text.endswith(".0") else text


# --- the standard, as plain data ------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PartSpec:
    id: int
    code: str
    name: str
    parent_id: int | None
    weight: Decimal
    position: int


@dataclasses.dataclass(frozen=True)
class ItemSpec:
    id: int
    part_id: int
    code: str
    title: str
    max_points: Decimal
    is_veto: bool


@dataclasses.dataclass(frozen=True)
class RuleSpec:
    level: int
    min_total: Decimal
    min_every_part: Decimal | None = None
    part_minimums: Mapping[str, Decimal] = dataclasses.field(default_factory=dict)
    fatal_lookback_years: Mapping[str, int] = dataclasses.field(default_factory=dict)
    clean_history_days: int | None = None
    # Provenance (compliance.rules.base.RuleSource): the rule's row, its source, verified or not.
    id: int | None = None
    source: str = ""
    verified: bool = True


@dataclasses.dataclass(frozen=True)
class StandardSpec:
    method: str  # Standard.Method value
    parts: tuple[PartSpec, ...]
    items: tuple[ItemSpec, ...]
    rules: tuple[RuleSpec, ...]
    preconditions: tuple[str, ...] = ()

    @classmethod
    def load(cls, version) -> StandardSpec:
        """The spec of a ``StandardVersion`` in three queries (parts, items, rules)."""
        parts = tuple(
            PartSpec(p.id, p.code, p.name, p.parent_id, p.weight, p.position)
            for p in version.parts.order_by("position", "code")
        )
        items = tuple(
            ItemSpec(i.id, i.part_id, i.code, i.title, i.max_points, i.is_veto)
            for i in version.items.order_by("position", "code")
        )
        rules = tuple(
            RuleSpec(
                level=r.level,
                min_total=r.min_total,
                min_every_part=r.min_every_part,
                part_minimums={k: Decimal(str(v)) for k, v in (r.part_minimums or {}).items()},
                fatal_lookback_years={k: int(v) for k, v in (r.fatal_lookback_years or {}).items()},
                clean_history_days=r.clean_history_days,
                id=r.pk,
                source=r.source,
                verified=r.verified,
            )
            # The rules in force: a corrected value's old row is kept for history only.
            for r in version.level_rules.filter(superseded_at__isnull=True).order_by("level")
        )
        return cls(version.standard.method, parts, items, rules, tuple(version.preconditions or ()))


@dataclasses.dataclass(frozen=True)
class ItemMark:
    """What an assessment says about one item."""

    not_applicable: bool = False
    deducted: Decimal = ZERO
    review_score: Decimal | None = None
    touched: bool = True  # saved at least once (progress)


@dataclasses.dataclass(frozen=True)
class Precondition:
    code: str
    met: bool
    message: str  # in words, for the page and the report


@dataclasses.dataclass(frozen=True)
class MineHistory:
    """What the level rules need besides the scores."""

    fatal_accidents: tuple[tuple[date, str], ...] = ()  # (date, AccidentClass value)
    setbacks: tuple[date, ...] = ()  # downgrades and failed checks
    preconditions: tuple[Precondition, ...] = ()


# --- results ----------------------------------------------------------------------------------


@dataclasses.dataclass
class PartResult:
    id: int
    code: str
    name: str
    parent_id: int | None
    score: Decimal | None  # None: nothing applicable
    earned: Decimal
    applicable_max: Decimal
    items: int
    items_touched: int


@dataclasses.dataclass(frozen=True)
class Deciding:
    """The level rule that decided a result: the one met (it gives the level), or with no level
    the lowest one missed. ``verified`` False: the outcome is shown with a 待核实 warning."""

    level: int
    text: str  # the rule in words, e.g. "二级: 总分 ≥ 80；安全基础管理 ≥ 80 …"
    source: str
    verified: bool
    rule_id: int | None = None

    def as_dict(self) -> dict:
        return {
            "level": self.level,
            "rule": self.text,
            "source": self.source,
            "verified": self.verified,
            "rule_id": self.rule_id,
        }


@dataclasses.dataclass
class Result:
    total: Decimal | None
    parts: list[PartResult]
    level: int | None
    blocking_rule: str
    items: int
    items_touched: int
    earned: Decimal
    applicable_max: Decimal
    failed_vetoes: list[ItemSpec]
    failed_preconditions: list[Precondition]
    deciding: Deciding | None = None
    # Every level rule the outcome depends on that is not verified (the one met and the one just
    # above it, which blocked the next level up).
    unverified: list[Deciding] = dataclasses.field(default_factory=list)

    @property
    def progress(self) -> int:
        """Per cent of items scored."""
        return int(self.items_touched * 100 / self.items) if self.items else 100

    @property
    def top_parts(self) -> list[PartResult]:
        return [p for p in self.parts if p.parent_id is None]


def item_score(item: ItemSpec, mark: ItemMark | None, *, reviewed: bool) -> Decimal | None:
    """Points earned on an item, or None when it does not apply."""
    if mark is None:
        return item.max_points
    if mark.not_applicable:
        return None
    if reviewed and mark.review_score is not None:
        return min(max(mark.review_score, ZERO), item.max_points)
    return mine_item_score(item.max_points, deducted=mark.deducted)


def mine_item_score(
    max_points: Decimal, *, deducted: Decimal, not_applicable: bool = False
) -> Decimal | None:
    """The mine's own figure for an item: its maximum less its deductions, never below zero;
    None when the item does not apply. Pages and the API show it beside the reviewer's."""
    if not_applicable:
        return None
    return max(max_points - deducted, ZERO)


def _weighted(children: Iterable[tuple[Decimal, Decimal | None]]) -> Decimal | None:
    pairs = [(w, s) for w, s in children if s is not None and w > 0]
    weight = sum((w for w, _s in pairs), ZERO)
    if not weight:
        return None
    return sum((w * s for w, s in pairs), ZERO) / weight


def evaluate(
    spec: StandardSpec,
    marks: Mapping[int, ItemMark],
    history: MineHistory,
    on_date: date,
    *,
    reviewed: bool = False,
) -> Result:
    earned: dict[int, Decimal] = defaultdict(lambda: ZERO)
    applicable: dict[int, Decimal] = defaultdict(lambda: ZERO)
    counts: dict[int, int] = defaultdict(int)
    touched: dict[int, int] = defaultdict(int)
    failed_vetoes = []
    for item in spec.items:
        mark = marks.get(item.id)
        counts[item.part_id] += 1
        if mark is not None and mark.touched:
            touched[item.part_id] += 1
        points = item_score(item, mark, reviewed=reviewed)
        if points is None:
            continue
        earned[item.part_id] += points
        applicable[item.part_id] += item.max_points
        if item.is_veto and points < item.max_points:
            failed_vetoes.append(item)

    children: dict[int | None, list[PartSpec]] = defaultdict(list)
    for part in spec.parts:
        children[part.parent_id].append(part)
    results: dict[int, PartResult] = {}

    def score_part(part: PartSpec) -> PartResult:
        kids = [score_part(child) for child in children.get(part.id, [])]
        e = earned[part.id] + sum((k.earned for k in kids), ZERO)
        a = applicable[part.id] + sum((k.applicable_max for k in kids), ZERO)
        if kids:
            weights = {c.id: c.weight for c in children[part.id]}
            score = _weighted((weights[k.id], k.score) for k in kids)
        else:
            score = HUNDRED * earned[part.id] / applicable[part.id] if applicable[part.id] else None
        result = PartResult(
            part.id,
            part.code,
            part.name,
            part.parent_id,
            score,  # exact: thresholds compare on it; only display rounds
            e,
            a,
            counts[part.id] + sum(k.items for k in kids),
            touched[part.id] + sum(k.items_touched for k in kids),
        )
        results[part.id] = result
        return result

    tops = [score_part(part) for part in children.get(None, [])]
    all_earned = sum((t.earned for t in tops), ZERO)
    all_applicable = sum((t.applicable_max for t in tops), ZERO)
    if spec.method == "percentage":
        total = HUNDRED * all_earned / all_applicable if all_applicable else None
    else:
        weights = {p.id: p.weight for p in children.get(None, [])}
        total = _weighted((weights[t.id], t.score) for t in tops)
    ordered = [results[p.id] for p in _tree_order(spec.parts)]
    failed_pre = [p for p in history.preconditions if not p.met]
    level, blocking = _level(spec, total, ordered, failed_vetoes, failed_pre, history, on_date)
    deciding, unverified = deciding_rules(spec, level, failed_pre or failed_vetoes, ordered)
    return Result(
        total=total,
        parts=ordered,
        level=level,
        blocking_rule=blocking,
        items=len(spec.items),
        items_touched=sum(touched.values()),
        earned=all_earned,
        applicable_max=all_applicable,
        failed_vetoes=failed_vetoes,
        failed_preconditions=failed_pre,
        deciding=deciding,
        unverified=unverified,
    )


def rule_text(rule: RuleSpec, part_names: Mapping[str, str]) -> str:
    """A level rule in words, for the deciding rule of a result."""
    phrases = [_("total ≥ %(n)s") % {"n": fmt(rule.min_total)}]
    phrases += [f"{part_names.get(code, code)} ≥ {fmt(v)}" for code, v in rule.part_minimums.items()]
    if rule.min_every_part is not None:
        phrases.append(_("every element or speciality ≥ %(n)s") % {"n": fmt(rule.min_every_part)})
    return f"{level_name(rule.level)}: {_joined(phrases)}"


def deciding_rules(spec, level, voided, parts) -> tuple[Deciding | None, list[Deciding]]:
    if voided:  # a precondition or veto item decided, not a level rule
        return None, []
    rules = sorted(spec.rules, key=lambda r: r.level)
    if not rules:
        return None, []
    names = {p.code: p.name for p in parts}

    def as_deciding(rule):
        return Deciding(rule.level, rule_text(rule, names), rule.source, rule.verified, rule.id)

    if level is None:
        met, above = None, rules[-1]
    else:
        met = next((r for r in rules if r.level == level), None)
        above = next((r for r in reversed(rules) if r.level < level), None)
    if met is None and above is None:  # a frozen level no rule of the version names
        return None, []
    deciding = as_deciding(met or above)
    unverified = [as_deciding(r) for r in (met, above) if r is not None and not r.verified]
    return deciding, unverified


def _tree_order(parts: tuple[PartSpec, ...]) -> list[PartSpec]:
    children: dict[int | None, list[PartSpec]] = defaultdict(list)
    for part in parts:
        children[part.parent_id].append(part)
    out: list[PartSpec] = []

    def walk(parent_id):
        for part in children.get(parent_id, []):
            out.append(part)
            walk(part.id)

    walk(None)
    return out


# --- levels -----------------------------------------------------------------------------------

LEVEL_NAMES = {1: "一级", 2: "二级", 3: "三级"}


def level_name(level: int | None) -> str:
    if level is None:
        return _("no level")
    return {1: _("Level 1"), 2: _("Level 2"), 3: _("Level 3")}[level]


def accident_class_name(code: str) -> str:
    from .models import AccidentClass

    return str(AccidentClass(code).label) if code in AccidentClass.values else code


def rule_failures(
    rule: RuleSpec, total: Decimal | None, parts: list[PartResult], history: MineHistory, on_date: date
) -> list[str]:
    """Why a rule is not met, one phrase per unmet condition (empty: met)."""
    failures = []
    if total is None or total < rule.min_total:
        failures.append(_("total %(total)s < %(min)s") % {"total": fmt(total), "min": fmt(rule.min_total)})
    by_code = {p.code: p for p in parts}
    for code, minimum in rule.part_minimums.items():
        part = by_code.get(code)
        if part is not None and part.score is not None and part.score < minimum:
            failures.append(f"{part.name} {fmt(part.score)} < {fmt(minimum)}")
    if rule.min_every_part is not None:
        # "Every part" means every part that holds items (each element or speciality).
        leaf_ids = {p.parent_id for p in parts}
        for part in parts:
            if part.id in leaf_ids or part.score is None or part.code in rule.part_minimums:
                continue
            if part.score < rule.min_every_part:
                failures.append(f"{part.name} {fmt(part.score)} < {fmt(rule.min_every_part)}")
    for accident_class, years in rule.fatal_lookback_years.items():
        since = _years_before(on_date, years)
        hits = [d for d, c in history.fatal_accidents if c == accident_class and since < d <= on_date]
        if hits:
            failures.append(
                _("fatal %(cls)s on %(date)s, within %(years)s year(s)")
                % {"cls": accident_class_name(accident_class), "date": max(hits).isoformat(), "years": years}
            )
    if rule.clean_history_days is not None:
        since = on_date - timedelta(days=rule.clean_history_days)
        hits = [d for d in history.setbacks if since < d <= on_date]
        if hits:
            failures.append(
                _("downgrade or failed check on %(date)s, within %(days)s days")
                % {"date": max(hits).isoformat(), "days": rule.clean_history_days}
            )
    return failures


def _joined(phrases) -> str:
    # Chinese text takes the full-width semicolon; a lone punctuation mark is no message to
    # translate.
    language = translation.get_language() or ""
    return ("；" if language.startswith("zh") else "; ").join(phrases)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _level(spec, total, parts, failed_vetoes, failed_pre, history, on_date) -> tuple[int | None, str]:
    if failed_pre:
        return None, _("precondition not met: %(what)s → no level") % {
            "what": _joined(p.message for p in failed_pre)
        }
    if failed_vetoes:
        return None, _("veto item failed: %(items)s → no level") % {
            "items": _joined(f"{i.code} {i.title}" for i in failed_vetoes)
        }
    rules = sorted(spec.rules, key=lambda r: r.level)
    if not rules:
        return None, _("the standard has no level rules → no level")
    # Rules are checked from the best level down; the words explain the rule just above the
    # level reached ("the rule that blocks the next level up").
    missed: tuple[RuleSpec | None, list[str]] = (None, [])
    for rule in rules:
        failures = rule_failures(rule, total, parts, history, on_date)
        if not failures:
            return rule.level, _explain(*missed, total, rule.level)
        missed = (rule, failures)
    return None, _explain(*missed, total, None)


def _explain(rule: RuleSpec | None, failures: list[str], total, reached: int | None) -> str:
    if rule is None:
        return ""
    if total is None or total < rule.min_total:
        # The total's own shortfall comes first and already names the total.
        why = _joined(failures)
    else:
        why = _("total %(total)s, but %(why)s") % {"total": fmt(total), "why": _joined(failures)}
    return f"{why} → {level_name(reached)}"
