"""The standard workbook's sheets and columns, and the lookups its cells are read against."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy
from django.utils.translation import override as translation_override

from compliance.grading import standards
from compliance.grading.models import AccidentClass, Level, Standard
from compliance.imports import writer
from compliance.imports.columns import (
    BOOLEAN,
    CHOICE,
    Column,
    choice_lookup,
)

XLSX = writer.XLSX
IMPORT_KIND = "standard_import"
MAX_ROWS = 5000


SHEETS = {
    "version": gettext_lazy("Standard and version"),
    "parts": gettext_lazy("Parts"),
    "items": gettext_lazy("Items"),
    "rules": gettext_lazy("Level rules"),
}
FIELDS = [
    Column("code", gettext_lazy("Standard code"), True),
    Column("name", gettext_lazy("Standard name"), True),
    Column("method", gettext_lazy("Scoring method"), True),
    Column("mine_types", gettext_lazy("Mine types"), True),
    Column("label", gettext_lazy("Version"), True),
    Column("document_no", gettext_lazy("Issuing document"), True),
    Column("effective_from", gettext_lazy("Effective from"), True),
    Column("effective_to", gettext_lazy("Effective to")),
    Column("preconditions", gettext_lazy("Preconditions")),
    Column("recheck_months", gettext_lazy("Re-check after (months)")),
    Column("notes", gettext_lazy("Notes")),
]
PART_COLUMNS = [
    Column("code", gettext_lazy("Code"), True, 16),
    Column("name", gettext_lazy("Name"), True, 30),
    Column("parent", gettext_lazy("Parent code"), False, 14),
    Column("weight", gettext_lazy("Weight"), False, 10),
    Column("position", gettext_lazy("Order"), False, 8),
]
ITEM_COLUMNS = [
    Column("code", gettext_lazy("Item code"), True, 10),
    Column("part", gettext_lazy("Part code"), True, 14),
    Column("title", gettext_lazy("Item"), True, 50),
    Column("max_points", gettext_lazy("Maximum points"), True, 10),
    Column("guidance", gettext_lazy("Scoring guidance"), False, 50),
    Column("is_veto", gettext_lazy("Veto item"), False, 8, kind=BOOLEAN),
    Column("position", gettext_lazy("Order"), False, 8),
]
RULE_COLUMNS = [
    Column("level", gettext_lazy("Level"), True, 8, kind=CHOICE, choices=Level),
    Column("min_total", gettext_lazy("Minimum total"), True, 12),
    Column("min_every_part", gettext_lazy("Minimum of every part"), False, 14),
    Column("part_minimums", gettext_lazy("Minimums of named parts"), False, 36),
    Column("fatal_lookback_years", gettext_lazy("No fatal accident within (years)"), False, 36),
    Column("clean_history_days", gettext_lazy("No downgrade or failed check within (days)"), False, 16),
]
YES = {"是", "y", "yes", "true", "1", "√", "✓", "否决", "否决项"}
NO = {"否", "n", "no", "false", "0", ""}
PAIR_SEPARATORS = re.compile(r"[;；,，、\n]+")


def _zh(label) -> str:
    with translation_override("zh-hans"):
        return str(label)


def _method_lookup() -> dict[str, str]:
    return choice_lookup(Standard.Method, {"加权": "weighted_parts", "百分制": "percentage"})


def _level_lookup() -> dict[str, int]:
    return choice_lookup(Level, {"一级": 1, "二级": 2, "三级": 3})


def _class_lookup() -> dict[str, str]:
    return choice_lookup(
        AccidentClass, {"一般": "general", "较大": "large", "重大": "major", "特别重大": "grave"}
    )


def _precondition_names() -> dict[str, str]:
    """Every label of every precondition, in either language, to its code."""
    table = {}
    for lang in ("zh-hans", "en"):
        with translation_override(lang):
            for code, label in standards.precondition_labels().items():
                table[str(label)] = code
    return table
