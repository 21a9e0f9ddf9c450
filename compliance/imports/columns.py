"""What an importer says about each column of its sheet, and how one cell is read.

A ``Column`` names its key (the field it fills), its header (a lazy translation: the template
shows it in the user's language and the import accepts it in either), whether it is required,
its kind (text, whole number, number, date, choice, yes/no), its allowed values, and a line of
help for the template's guide sheet. ``Column.parse`` turns one cell into a value or raises
``CellError`` with a message in the user's language.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import override as translation_override

from .writer import from_text

LANGUAGES = ("zh-hans", "en")

TEXT, INTEGER, DECIMAL, DATE, CHOICE, BOOLEAN = "text", "int", "decimal", "date", "choice", "boolean"
# Several values of a choice column in one cell ("特种作业人员、其他从业人员").
SEPARATORS = re.compile(r"[、,，;；/\s]+")
YES_WORDS = {"是", "y", "yes", "true", "1", "√", "✓", "对"}
NO_WORDS = {"否", "n", "no", "false", "0", "×", "✗", "错"}
YES, NO = gettext_lazy("Yes"), gettext_lazy("No")


def squash(text) -> str:
    """A header or a choice label as compared: full-width forms folded to their ASCII twins
    (Chinese input methods type "（", "Ａ" and the ideographic space), no spaces or brackets,
    lower case: "选项 A", "选项Ａ" and "选项A" are one header, "复查周期（月）" and
    "复查周期(月)" another."""
    return re.sub(r"[\s()]+", "", unicodedata.normalize("NFKC", str(text))).lower()


def in_both_languages(label) -> set[str]:
    names = set()
    for language in LANGUAGES:
        with translation_override(language):
            names.add(squash(label))
    return names


def choice_pairs(choices) -> list[tuple[Any, Any]]:
    """(value, label) of a Django ``Choices`` class or of a plain list of pairs."""
    return list(getattr(choices, "choices", choices))


def choice_lookup(choices, aliases: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Cell text (``squash``-ed) → choice value: by the value itself, by its label in either
    language, or by an alias (spellings common in the sheets people already keep)."""
    lookup: dict[str, Any] = {}
    for value, label in choice_pairs(choices):
        if value in ("", None):
            continue
        lookup[squash(value)] = value
        for name in in_both_languages(label):
            lookup[name] = value
    for text, value in (aliases or {}).items():
        lookup[squash(text)] = value
    return lookup


def cell_text(value) -> str:
    """A cell as text: the writer's formula quote removed (an export imports again as the same
    text), a whole number read by Excel as 1.0 written 1, dates as YYYY-MM-DD, stripped."""
    value = from_text(value)
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def parse_date(value) -> datetime.date | None:
    """A date cell, or text such as 2026-03-02, 2026/3/2, 2026.3.2 or 20260302; None if it is
    none of these."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = cell_text(value).split(" ")[0].split("T")[0].replace("/", "-").replace(".", "-")
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def parse_decimal(text, *, low=None, high=None) -> Decimal | None:
    try:
        value = Decimal(cell_text(text))
    except InvalidOperation:
        return None
    if not value.is_finite() or (low is not None and value < low) or (high is not None and value > high):
        return None
    return value


def parse_int(text, *, low=None, high=None) -> int | None:
    value = parse_decimal(text, low=low, high=high)
    if value is None or value != value.to_integral_value():
        return None
    return int(value)


class CellError(ValueError):
    """One cell's problem, in the user's language."""


@dataclass(frozen=True)
class Column:
    key: str
    label: Any  # lazy translation: the header shown in the template, accepted in either language
    required: bool = False
    width: int = 14
    kind: str = TEXT
    choices: Any = None  # a Choices class or (value, label) pairs, for CHOICE
    aliases: Mapping[str, Any] = field(default_factory=dict)  # other spellings of a choice
    many: bool = False  # CHOICE: several values in one cell, separated by 、 or commas
    max_length: int | None = None
    low: Any = None  # INTEGER / DECIMAL bounds
    high: Any = None
    help: Any = ""  # a line for the guide sheet (lazy translation)
    example: Any = ""  # a value as the guide sheet shows it (never a row of the data sheet)

    def header_names(self) -> set[str]:
        return in_both_languages(self.label) | {squash(self.key)}

    def lookup(self) -> dict[str, Any]:
        return choice_lookup(self.choices, self.aliases)

    def allowed(self) -> list[str]:
        """The allowed values as the template shows them, in the current language."""
        if self.kind == BOOLEAN:
            return [str(YES), str(NO)]
        if self.kind != CHOICE:
            return []
        return [str(label) for value, label in choice_pairs(self.choices) if value not in ("", None)]

    def format_text(self) -> str:
        """How to write a value, for the guide sheet."""
        bounds = {"low": self.low, "high": self.high}
        bounded = self.low is not None and self.high is not None
        if self.kind == INTEGER:
            return _("A whole number from %(low)s to %(high)s") % bounds if bounded else _("A whole number")
        if self.kind == DECIMAL:
            return _("A number from %(low)s to %(high)s") % bounds if bounded else _("A number")
        if self.kind == DATE:
            return _("A date such as 2026-03-02")
        if self.kind == CHOICE and self.many:
            return _("One or more of the allowed values, separated by 、")
        if self.kind in (CHOICE, BOOLEAN):
            return _("One of the allowed values (pick from the list)")
        if self.max_length:
            return _("Text, at most %(n)d characters") % {"n": self.max_length}
        return _("Text")

    def parse(self, raw, lookup: Mapping[str, Any] | None = None):
        """The value of one cell (``lookup``: this column's ``lookup()``, computed once per file).
        Empty gives "" (text, choice), [] (several choices), None (number, date) or False (yes/no);
        whether an empty cell is allowed is the caller's (or its service's) to say."""
        text = cell_text(raw)
        if self.kind == TEXT:
            if self.max_length and len(text) > self.max_length:
                raise CellError(_("At most %(n)d characters.") % {"n": self.max_length})
            return text
        if self.kind == CHOICE:
            lookup = lookup if lookup is not None else self.lookup()
            if self.many:
                values, bad = [], []
                for part in SEPARATORS.split(text):
                    if not part:
                        continue
                    code = lookup.get(squash(part))
                    if code is None:
                        bad.append(part)
                    elif code not in values:
                        values.append(code)
                if bad:
                    raise CellError(_("Not an allowed value: %(v)s") % {"v": "、".join(bad)})
                return values
            if not text:
                return ""
            code = lookup.get(squash(text))
            if code is None:
                raise CellError(_("Not an allowed value: %(v)s") % {"v": text})
            return code
        if self.kind == BOOLEAN:
            if isinstance(raw, bool):
                return raw
            word = squash(text)
            if not word or word in NO_WORDS or word in in_both_languages(NO):
                return False
            if word in YES_WORDS or word in in_both_languages(YES):
                return True
            raise CellError(_("Write %(yes)s or %(no)s.") % {"yes": YES, "no": NO})
        if not text:
            return None
        if self.kind == DATE:
            value = parse_date(raw)
            if value is None:
                raise CellError(_("Enter a date such as 2026-03-02."))
            return value
        if self.kind == INTEGER:
            value = parse_int(text, low=self.low, high=self.high)
        else:
            value = parse_decimal(text, low=self.low, high=self.high)
        if value is None:
            if self.low is not None and self.high is not None:
                raise CellError(
                    _("A number from %(low)s to %(high)s.") % {"low": self.low, "high": self.high}
                )
            raise CellError(_("Enter a number."))
        return value
