"""The scoring rules on plain data: totals, part scores, levels and the words that explain them."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.utils import translation

from compliance.grading.scoring import (
    ItemMark,
    ItemSpec,
    MineHistory,
    PartSpec,
    Precondition,
    RuleSpec,
    StandardSpec,
    evaluate,
    fmt,
)

TODAY = date(2026, 6, 30)


@pytest.fixture(autouse=True)
def english():
    # The explanations are checked word for word in the source language.
    with translation.override("en"):
        yield


COAL_RULES = (
    RuleSpec(
        1,
        D(90),
        part_minimums={"disaster": D(90), "professional": D(90), "basics": D(85)},
        fatal_lookback_years={"general": 1, "large": 2, "major": 2, "grave": 3},
        clean_history_days=365,
    ),
    RuleSpec(2, D(80), min_every_part=D(80)),
    RuleSpec(3, D(70), min_every_part=D(70)),
)
NON_COAL_RULES = tuple(
    RuleSpec(level, D(m), fatal_lookback_years=dict.fromkeys(["general", "large", "major", "grave"], 1))
    for level, m in ((1, 90), (2, 75), (3, 60))
)


def coal_spec(*, veto=False):
    """Three sections of one speciality each, 100 points per speciality, equal weights."""
    parts = (
        PartSpec(1, "basics", "安全基础管理", None, D(1), 1),
        PartSpec(2, "disaster", "重大灾害防治", None, D(1), 2),
        PartSpec(3, "professional", "专业管理", None, D(1), 3),
        PartSpec(11, "org", "组织机构", 1, D(1), 1),
        PartSpec(21, "vent", "通风", 2, D(1), 1),
        PartSpec(31, "mining", "采煤", 3, D(1), 1),
    )
    items = (
        ItemSpec(101, 11, "B1", "安全管理机构", D(100), False),
        ItemSpec(201, 21, "V1", "通风系统", D(60), veto),
        ItemSpec(202, 21, "V2", "瓦斯检查", D(40), False),
        ItemSpec(301, 31, "M1", "采煤工作面", D(100), False),
    )
    return StandardSpec("weighted_parts", parts, items, COAL_RULES)


def marks(**deducted):
    return {int(k[1:]): ItemMark(deducted=D(v)) for k, v in deducted.items()}


def test_coal_total_91_but_disaster_86_gives_level_2_and_says_why():
    result = evaluate(coal_spec(), marks(i101=3, i201=14, i301=10), MineHistory(), TODAY)
    scores = {p.code: p.score for p in result.parts}
    assert scores["disaster"] == D(86) and scores["basics"] == D(97) and scores["professional"] == D(90)
    assert result.total == D("91.00")
    assert result.level == 2
    assert "重大灾害防治 86 < 90" in result.blocking_rule
    assert result.blocking_rule == "total 91, but 重大灾害防治 86 < 90 → Level 2"


def test_coal_all_parts_high_gives_level_1_with_no_blocking_rule():
    result = evaluate(coal_spec(), marks(i101=5, i201=2, i301=4), MineHistory(), TODAY)
    assert result.level == 1
    assert result.blocking_rule == ""


def test_every_part_rule_applies_to_each_speciality():
    # Total 81, but 采煤 is 70 < 80: not 二级, and 三级 holds.
    result = evaluate(coal_spec(), marks(i101=3, i201=0, i301=30), MineHistory(), TODAY)
    assert result.total == D("89.00")
    assert result.level == 3
    assert result.blocking_rule == "total 89, but 采煤 70 < 80 → Level 3"


def test_veto_item_voids_any_level_whatever_the_total():
    result = evaluate(coal_spec(veto=True), marks(i201=1), MineHistory(), TODAY)
    assert result.total > D(99)
    assert result.level is None
    assert "V1" in result.blocking_rule


def test_failed_precondition_voids_any_level():
    history = MineHistory(preconditions=(Precondition("licences_valid", False, "安全生产许可证已过期"),))
    result = evaluate(coal_spec(), {}, history, TODAY)
    assert result.total == D(100)
    assert result.level is None
    assert "安全生产许可证已过期" in result.blocking_rule


def test_fatal_general_accident_within_a_year_bars_level_1_only():
    history = MineHistory(fatal_accidents=((date(2026, 1, 5), "general"),))
    result = evaluate(coal_spec(), {}, history, TODAY)
    assert result.level == 2
    assert "2026-01-05" in result.blocking_rule


def test_fatal_general_accident_older_than_a_year_no_longer_counts():
    history = MineHistory(fatal_accidents=((date(2025, 6, 1), "general"),))
    assert evaluate(coal_spec(), {}, history, TODAY).level == 1


def test_fatal_larger_accident_counts_for_two_years():
    history = MineHistory(fatal_accidents=((date(2024, 9, 1), "large"),))
    assert evaluate(coal_spec(), {}, history, TODAY).level == 2


def test_downgrade_within_a_year_bars_level_1():
    history = MineHistory(setbacks=(date(2025, 12, 1),))
    result = evaluate(coal_spec(), {}, history, TODAY)
    assert result.level == 2


def test_below_every_threshold_gives_no_level():
    result = evaluate(coal_spec(), marks(i101=40, i201=40, i301=40), MineHistory(), TODAY)
    assert result.level is None
    assert "→" in result.blocking_rule


def aqt_spec():
    """Two elements, 4,000 points: 3,657 applicable after 343 not applicable."""
    parts = (PartSpec(1, "E1", "安全生产目标", None, D(1), 1), PartSpec(2, "E2", "设备设施", None, D(1), 2))
    items = (
        ItemSpec(1, 1, "1.1", "目标制定", D(2000), False),
        ItemSpec(2, 2, "2.1", "设备管理", D(1657), False),
        ItemSpec(3, 2, "2.2", "尾矿设施", D(343), False),
    )
    return StandardSpec("percentage", parts, items, NON_COAL_RULES)


def test_aqt_worked_example_raw_2508_with_343_not_applicable_is_68_6_level_3():
    result = evaluate(
        aqt_spec(),
        {1: ItemMark(deducted=D(700)), 2: ItemMark(deducted=D(449)), 3: ItemMark(not_applicable=True)},
        MineHistory(),
        TODAY,
    )
    assert result.earned == D(2508)
    assert result.applicable_max == D(3657)
    assert fmt(result.total) == "68.6"
    assert result.level == 3
    assert result.blocking_rule == "total 68.6 < 75 → Level 3"


def test_aqt_fatal_accident_in_the_year_voids_every_level():
    history = MineHistory(fatal_accidents=((date(2026, 3, 1), "general"),))
    assert evaluate(aqt_spec(), {}, history, TODAY).level is None


def test_reviewed_scores_replace_the_mines_and_keep_both():
    mine_marks = {1: ItemMark(deducted=D(0), review_score=D(1000))}
    own = evaluate(aqt_spec(), mine_marks, MineHistory(), TODAY)
    reviewed = evaluate(aqt_spec(), mine_marks, MineHistory(), TODAY, reviewed=True)
    assert own.total == D(100)
    assert reviewed.total == D("75.00")
    assert reviewed.level == 2


def test_deductions_never_take_an_item_below_zero_and_progress_counts_touched_items():
    result = evaluate(
        aqt_spec(),
        {1: ItemMark(deducted=D(5000)), 2: ItemMark(touched=False)},
        MineHistory(),
        TODAY,
    )
    assert result.parts[0].score == D(0)
    assert result.items_touched == 1
    assert result.progress == 33
