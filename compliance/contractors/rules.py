"""The outsourcing rules as data (``OutsourcingRule``): every value with its source and verified flag.

A verified rule refuses an engagement (the refusal names the rule and its document) or holds
contractor staff; an unverified one only warns (待核实) and the engagement goes through — a cap
then exceeded is reported as a condition for the hidden-danger register.

The shipped values are DOMAIN.md's "Outsourcing": the caps and prohibitions of 总局令第62号 and
矿安〔2021〕55号 as read from the texts (verified); the coal major-hazard criterion of the coal
major-hidden-danger criteria (verified); the mine-size lines and the appraisal thresholds are our
defaults (unverified: they only warn or propose).
"""

from __future__ import annotations

from dataclasses import dataclass

from compliance.rules.base import register_rule_kind

from .models import OutsourcingRule

K = OutsourcingRule.Key
SOURCE_62 = "原国家安全监管总局令第62号《非煤矿山外包工程安全管理暂行办法》"
SOURCE_55 = "矿安〔2021〕55号"
SOURCE_COAL_MAJOR = "《煤矿重大事故隐患判定标准》（应急管理部令第4号）"

# key → (value, source, verified)
SHIPPED: dict[str, tuple[int, str, bool]] = {
    K.MAX_PER_SYSTEM: (3, f"{SOURCE_55}；{SOURCE_62}", True),
    K.MAX_MINING_LARGE: (2, f"{SOURCE_55}", True),
    K.MAX_MINING_SMALL: (1, f"{SOURCE_55}", True),
    K.NO_SUBCONTRACT: (1, f"{SOURCE_62}", True),
    K.NO_MAIN_VENTILATION: (1, f"{SOURCE_55}", True),
    K.COAL_LABOUR_ONLY: (1, SOURCE_COAL_MAJOR, True),
    K.REQUIRE_SAFETY_LICENCE: (1, f"{SOURCE_62}", True),
    K.REQUIRE_QUALIFICATION: (1, f"{SOURCE_62}", True),
    # Mine sizes (10kt/year): coal 小型 ≤ 30, 中型 45–90; non-coal varies by mineral. Defaults.
    K.SMALL_COAL_BELOW: (45, "煤炭工业矿井设计规范 GB 50215（默认值，待核实）", False),
    K.SMALL_NON_COAL_BELOW: (20, "矿山生产建设规模分类（默认值，待核实）", False),
    K.POOR_BELOW: (60, "矿山企业考核办法（默认值，待核实）", False),
    K.POOR_IN_A_ROW: (2, f"{SOURCE_62}（默认值，待核实）", False),
}


@dataclass(frozen=True)
class Rule:
    key: str
    value: int
    source: str
    verified: bool
    label: str

    @property
    def binding(self) -> bool:
        return self.verified


def ship(model=OutsourcingRule) -> None:
    """Create the shipped rules that are missing (a data migration and the tests call it); an
    existing row, perhaps edited by the operator, is left as it is."""
    existing = set(model.objects.values_list("key", flat=True))
    model.objects.bulk_create(
        [
            model(key=key, value=value, source=source, verified=verified)
            for key, (value, source, verified) in SHIPPED.items()
            if key not in existing
        ]
    )


def rules() -> dict[str, Rule]:
    """Every rule by key (one query); a key with no row falls back to the shipped value."""
    out = {
        key: Rule(key, value, source, verified, str(K(key).label))
        for key, (value, source, verified) in SHIPPED.items()
    }
    for row in OutsourcingRule.objects.all():
        out[row.key] = Rule(row.key, row.value, row.source, row.verified, str(row.get_key_display()))
    return out


def describe(rule: OutsourcingRule) -> str:
    return f"{rule.get_key_display()}: {rule.value}"


def register() -> None:
    register_rule_kind("contractors.rule", OutsourcingRule, "outsourcing rule", describe)
