"""A full grading standard (one version) in and out of Excel (.xlsx).

One workbook, four sheets, found by name (either language) or else by position:

1. 标准与版本 — one field per row (column A the field, column B the value): 标准代码, 标准名称,
   评分方法, 适用矿山类型, 版本, 发布文号, 施行日期, 废止日期, 前置条件, 复查周期（月）, 说明.
2. 部分 — 代码, 名称, 上级代码, 权重, 序号 (parts and elements; at most two levels).
3. 条目 — 编号, 所属部分, 项目, 标准分值, 评分方法, 否决项, 序号 (items hang on parts without children).
4. 等级规则 — 等级, 总分不低于, 每部分不低于, 指定部分最低分 ("disaster=90；basics=85"),
   死亡事故追溯年限 ("一般=1；较大=2"), 无降级或抽查不合格（天）.

Every cell is checked and every problem reported with its sheet, row and column; if there is one,
nothing is imported. A group's import runs as a background job (``compliance.jobs``) like the
question bank's; the platform operator's national import (no group, so no job row) runs in the
request — a standard is a few hundred rows. The export writes the same sheets, so an exported
version imports again as the same structure.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import override as translation_override
from openpyxl.styles import Font

from compliance.grading import permissions as grading_perms
from compliance.imports import writer
from compliance.imports.columns import (
    BOOLEAN,
    CHOICE,
    Column,
    cell_text,
    choice_lookup,
    in_both_languages,
    parse_date,
    parse_decimal,
    parse_int,
    squash,
)
from compliance.imports.importers import Importer, register_importer, start_import
from compliance.imports.reader import (
    UNREADABLE,
    SheetTooLarge,
    header_index,
    job_input_bytes,
    missing_message,
    open_workbook,
    sheet_rows,
)
from compliance.imports.rows import Problems as RowProblems
from compliance.imports.rows import rejected
from compliance.imports.template import add_dropdowns, add_header_notes
from compliance.imports.writer import new_workbook, workbook_bytes
from compliance.jobs.models import Job
from compliance.jobs.services import JobRejected
from tenants.models import MineProfile
from tenants.scope import Scope, current_scope

from . import standards
from .models import AccidentClass, Level, Standard, StandardVersion

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


# --- writing ------------------------------------------------------------------------------------------
def _text_of_pairs(mapping: dict, labels: dict | None = None) -> str:
    return "；".join(f"{(labels or {}).get(k, k)}={v}" for k, v in mapping.items())


def workbook_of(structure: dict, *, examples: bool = False) -> bytes:
    """The workbook of a structure holding one version (export, and the template's example)."""
    version = structure["versions"][0]
    wb = new_workbook()
    ws = wb.active
    ws.title = _zh(SHEETS["version"])
    method_labels = dict(Standard.Method.choices)
    mine_labels = dict(MineProfile.MineType.choices)
    with translation_override("zh-hans"):
        pre_labels = standards.precondition_labels()
        values = {
            "code": structure["code"],
            "name": structure["name"],
            "method": str(method_labels.get(structure["method"], structure["method"])),
            "mine_types": "、".join(str(mine_labels.get(t, t)) for t in structure["mine_types"]),
            "label": version["label"],
            "document_no": version["document_no"],
            "effective_from": version["effective_from"],
            "effective_to": version.get("effective_to") or "",
            "preconditions": "；".join(str(pre_labels.get(p, p)) for p in version.get("preconditions") or []),
            "recheck_months": version.get("recheck_months")
            if version.get("recheck_months") is not None
            else "",
            "notes": version.get("notes") or "",
        }
        ws.append([_("Field"), _("Value")])
        for column in FIELDS:
            ws.append([str(column.label), values[column.key]])
        ws.column_dimensions["A"].width = 22
        ws.column_dimensions["B"].width = 80
        class_labels = dict(AccidentClass.choices)
        level_labels = dict(Level.choices)

        parts_ws = wb.create_sheet(str(SHEETS["parts"]))
        parts_ws.append([str(c.label) for c in PART_COLUMNS])
        items_ws = wb.create_sheet(str(SHEETS["items"]))
        items_ws.append([str(c.label) for c in ITEM_COLUMNS])

        def walk(parts, parent_code):
            for position, part in enumerate(parts, start=1):
                parts_ws.append(
                    [
                        part["code"],
                        part["name"],
                        parent_code,
                        part.get("weight", 1),
                        part.get("position", position),
                    ]
                )
                walk(part.get("parts") or [], part["code"])
                for index, item in enumerate(standards.shipped.items_of(part), start=1):
                    items_ws.append(
                        [
                            item["code"],
                            part["code"],
                            item["title"],
                            standards._num(item["max_points"]),
                            item["guidance"],
                            _("Yes") if item["is_veto"] else "",
                            _item_position(part, index),
                        ]
                    )

        walk(version["parts"], "")
        rules_ws = wb.create_sheet(str(SHEETS["rules"]))
        rules_ws.append([str(c.label) for c in RULE_COLUMNS])
        for rule in version["level_rules"]:
            rules_ws.append(
                [
                    str(level_labels[rule["level"]]),
                    rule["min_total"],
                    rule.get("min_every_part") if rule.get("min_every_part") is not None else "",
                    _text_of_pairs(rule.get("part_minimums") or {}),
                    _text_of_pairs(
                        rule.get("fatal_lookback_years") or {}, {k: str(v) for k, v in class_labels.items()}
                    ),
                    rule.get("clean_history_days") if rule.get("clean_history_days") is not None else "",
                ]
            )
    for sheet, columns in ((parts_ws, PART_COLUMNS), (items_ws, ITEM_COLUMNS), (rules_ws, RULE_COLUMNS)):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for index, column in enumerate(columns, start=1):
            sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = column.width
        sheet.freeze_panes = "A2"
        # The four sheets are the format (no fifth for the lists): the short lists go into the
        # validations themselves.
        with translation_override("zh-hans"):
            add_dropdowns(sheet, columns)
            add_header_notes(sheet, columns)
    return workbook_bytes(wb)


def _item_position(part: dict, index: int) -> int:
    raw = (part.get("items") or [])[index - 1]
    return raw.get("position", index) if isinstance(raw, dict) else index


def version_export(version: StandardVersion) -> bytes:
    return workbook_of(standards.version_structure(version))


def import_template() -> bytes:
    """A small complete example (two parts, three items, three level rules) to copy from; the
    first sheet's notes say how to fill in each sheet."""
    example = {
        "code": "group-internal",
        "name": "集团内部安全生产标准化考核标准",
        "method": "percentage",
        "mine_types": ["metal_underground"],
        "versions": [
            {
                "label": "2026",
                "document_no": "集团安〔2026〕1号",
                "effective_from": "2026-01-01",
                "effective_to": None,
                "preconditions": ["licences_valid"],
                "recheck_months": 12,
                "notes": "示例：请按本集团标准替换全部内容。",
                "parts": [
                    {
                        "code": "management",
                        "name": "安全管理",
                        "weight": 1,
                        "items": [
                            {
                                "code": "1.1",
                                "title": "建立全员安全生产责任制",
                                "max_points": 40,
                                "guidance": "未建立的，本项否决",
                                "is_veto": True,
                            },
                            {
                                "code": "1.2",
                                "title": "每月开展隐患排查",
                                "max_points": 60,
                                "guidance": "缺1次扣10分",
                                "is_veto": False,
                            },
                        ],
                    },
                    {
                        "code": "site",
                        "name": "现场管理",
                        "weight": 1,
                        "items": [
                            {
                                "code": "2.1",
                                "title": "作业现场安全警示标志齐全",
                                "max_points": 100,
                                "guidance": "缺1处扣5分",
                                "is_veto": False,
                            },
                        ],
                    },
                ],
                "level_rules": [
                    {"level": 1, "min_total": 90, "fatal_lookback_years": {"general": 1}},
                    {"level": 2, "min_total": 75, "fatal_lookback_years": {"general": 1}},
                    {"level": 3, "min_total": 60},
                ],
            }
        ],
    }
    return workbook_of(example)


# --- reading -------------------------------------------------------------------------------------------
class Problems(RowProblems):
    """The problems of a workbook of several sheets: each names its sheet as the workbook's tab
    does (in Chinese), then the column ("部分 · 上级代码")."""

    def at(self, sheet, row, column, message) -> None:
        self.add(row, column, message, sheet=_zh(sheet) if sheet else None)


def _sheet(wb, key: str, position: int):
    names = in_both_languages(SHEETS[key])
    for ws in wb.worksheets:
        if squash(ws.title) in names:
            return ws
    return wb.worksheets[position] if position < len(wb.worksheets) else None


def _table(ws, columns, sheet_key, problems: Problems) -> list[tuple[int, dict]]:
    try:
        rows = iter(list(sheet_rows(ws)))
    except SheetTooLarge as exc:
        problems.at(SHEETS[sheet_key], None, "", str(exc))
        return []
    index, missing = header_index(next(rows, None) or (), columns)
    if missing:
        problems.at(SHEETS[sheet_key], 1, "", missing_message(missing))
        return []
    out = []
    for offset, row in enumerate(rows):
        if offset >= MAX_ROWS:
            problems.at(SHEETS[sheet_key], None, "", _("More than %(n)d rows.") % {"n": MAX_ROWS})
            break
        values = {
            c.key: cell_text(row[index[c.key]]) if c.key in index and index[c.key] < len(row) else ""
            for c in columns
        }
        if any(values.values()):
            out.append((offset + 2, values))
    return out


def _decimal(text: str, *, low, high, allow_low=True):
    value = parse_decimal(text, low=low, high=high)
    return None if value is None or (not allow_low and value == low) else value


def _int(text: str, low: int, high: int):
    return parse_int(text, low=low, high=high)


_date = parse_date


def _pairs(text, lookup, sheet, row, column, problems, *, integer):
    out = {}
    for chunk in PAIR_SEPARATORS.split(text):
        chunk = chunk.strip()
        if not chunk:
            continue
        pieces = re.split(r"\s*[=:：]\s*", chunk, maxsplit=1)
        key, sep = pieces[0].strip(), len(pieces) == 2
        value = pieces[1].strip() if sep else ""
        code = lookup(key)
        number = _int(value, 0, 100) if integer else _decimal(value, low=Decimal(0), high=Decimal(100))
        if code is None:
            problems.at(sheet, row, column, _("Unknown name: %(v)s") % {"v": key})
        elif number is None or not sep:
            problems.at(
                sheet,
                row,
                column,
                _("Write name=number pairs separated by ；, e.g. %(e)s") % {"e": "disaster=90；basics=85"},
            )
        elif code in out:
            problems.at(sheet, row, column, _("%(v)s is named twice.") % {"v": key})
        else:
            out[code] = (
                number
                if integer
                else (int(number) if number == number.to_integral_value() else float(number))
            )
    return out


def parse_workbook(content: bytes, progress=None) -> tuple[dict | None, list[dict]]:
    """(structure, []) for a good workbook, or (None, every problem)."""
    problems = Problems()
    try:
        wb = open_workbook(content)
    except UNREADABLE:
        problems.at("", None, "", _("The file is not a readable Excel workbook."))
        return None, problems.errors
    sheets = {key: _sheet(wb, key, position) for position, key in enumerate(SHEETS)}
    for key, ws in sheets.items():
        if ws is None:
            problems.at(
                SHEETS[key],
                None,
                "",
                _("The workbook has no sheet “%(s)s”. Start from the template.") % {"s": _zh(SHEETS[key])},
            )
    if problems.errors:
        return None, problems.errors

    # 1. the standard and its version
    fields: dict[str, tuple[int, str]] = {}
    labels = {c.key: c.header_names() for c in FIELDS}
    try:
        version_rows = list(sheet_rows(sheets["version"]))
    except SheetTooLarge as exc:
        problems.at(SHEETS["version"], None, "", str(exc))
        return None, problems.errors
    for row_no, row in enumerate(version_rows, start=1):
        if not row:
            continue
        name = squash(cell_text(row[0]))
        for key, names in labels.items():
            if name in names and key not in fields:
                fields[key] = (row_no, cell_text(row[1]) if len(row) > 1 else "")
    sheet = SHEETS["version"]
    label_of = {c.key: str(c.label) for c in FIELDS}

    def field(key):
        return fields.get(key, (None, ""))

    for column in FIELDS:
        row_no, value = field(column.key)
        if column.required and not value:
            problems.at(sheet, row_no, label_of[column.key], _("This field is required."))
    code_row, code = field("code")
    if code and (not standards.CODE_RE.match(code) or len(code) > 60):
        problems.at(sheet, code_row, label_of["code"], _("Letters, digits, - or _ only (at most 60)."))
    name_row, name = field("name")
    if len(name) > 200:
        problems.at(sheet, name_row, label_of["name"], _("At most %(n)d characters.") % {"n": 200})
    method_row, method_text = field("method")
    method = _method_lookup().get(squash(method_text)) if method_text else None
    if method_text and method is None:
        problems.at(
            sheet, method_row, label_of["method"], _("Not an allowed value: %(v)s") % {"v": method_text}
        )
    types_row, types_text = field("mine_types")
    type_lookup = choice_lookup(MineProfile.MineType)
    mine_types = []
    for chunk in PAIR_SEPARATORS.split(types_text):
        if not chunk.strip():
            continue
        value = type_lookup.get(squash(chunk))
        if value is None:
            problems.at(
                sheet,
                types_row,
                label_of["mine_types"],
                _("Not an allowed value: %(v)s") % {"v": chunk.strip()},
            )
        elif value not in mine_types:
            mine_types.append(value)
    label_row, label = field("label")
    if len(label) > 40:
        problems.at(sheet, label_row, label_of["label"], _("At most %(n)d characters.") % {"n": 40})
    doc_row, document_no = field("document_no")
    if len(document_no) > 200:
        problems.at(sheet, doc_row, label_of["document_no"], _("At most %(n)d characters.") % {"n": 200})
    from_row, from_value = field("effective_from")
    effective_from = _date(from_value) if from_value else None
    if from_value and effective_from is None:
        problems.at(sheet, from_row, label_of["effective_from"], _("Enter a date as YYYY-MM-DD."))
    to_row, to_text = field("effective_to")
    effective_to = _date(to_text) if to_text else None
    if to_text and effective_to is None:
        problems.at(sheet, to_row, label_of["effective_to"], _("Enter a date as YYYY-MM-DD."))
    elif effective_to and effective_from and effective_to < effective_from:
        problems.at(sheet, to_row, label_of["effective_to"], _("The end date is before the start date."))
    pre_row, pre_text = field("preconditions")
    preconditions = []
    remaining = pre_text
    # Labels may hold commas or 、 themselves: find whole labels first, then codes.
    for label_text, value in sorted(_precondition_names().items(), key=lambda kv: -len(kv[0])):
        if label_text in remaining:
            remaining = remaining.replace(label_text, "；")
            if value not in preconditions:
                preconditions.append(value)
    for chunk in PAIR_SEPARATORS.split(remaining):
        if not chunk.strip():
            continue
        value = chunk.strip() if chunk.strip() in standards.PRECONDITIONS else None
        if value is None:
            problems.at(
                sheet,
                pre_row,
                label_of["preconditions"],
                _("Not an allowed value: %(v)s") % {"v": chunk.strip()},
            )
        elif value not in preconditions:
            preconditions.append(value)
    months_row, months_text = field("recheck_months")
    recheck_months = _int(months_text, 1, 600) if months_text else None
    if months_text and recheck_months is None:
        problems.at(
            sheet, months_row, label_of["recheck_months"], _("A whole number of months from 1 to 600.")
        )
    notes = field("notes")[1]
    if progress:
        progress(10, _("Checked the version sheet"))

    # 2. parts
    sheet = SHEETS["parts"]
    label_of = {c.key: str(c.label) for c in PART_COLUMNS}
    parts: dict[str, dict] = {}
    order: list[str] = []
    parent_of: dict[str, tuple[int, str]] = {}
    for row_no, values in _table(sheets["parts"], PART_COLUMNS, "parts", problems):
        code_ = values["code"]
        if not code_:
            problems.at(sheet, row_no, label_of["code"], _("This field is required."))
            continue
        if len(code_) > 40:
            problems.at(sheet, row_no, label_of["code"], _("At most %(n)d characters.") % {"n": 40})
        if code_ in parts:
            problems.at(
                sheet, row_no, label_of["code"], _("Same code as row %(r)d.") % {"r": parts[code_]["_row"]}
            )
            continue
        if not values["name"]:
            problems.at(sheet, row_no, label_of["name"], _("This field is required."))
        elif len(values["name"]) > 200:
            problems.at(sheet, row_no, label_of["name"], _("At most %(n)d characters.") % {"n": 200})
        weight = _decimal(values["weight"] or "1", low=Decimal(0), high=Decimal("999.9999"))
        if weight is None or weight.as_tuple().exponent < -4:
            problems.at(
                sheet, row_no, label_of["weight"], _("A number from 0 to 999.9999 (at most 4 decimals).")
            )
            weight = Decimal(1)
        position = _int(values["position"], 0, 32767) if values["position"] else None
        if values["position"] and position is None:
            problems.at(sheet, row_no, label_of["position"], _("A whole number from 0 to 32767."))
        part = {"_row": row_no, "code": code_, "name": values["name"], "weight": standards._num(weight)}
        if position is not None:
            part["position"] = position
        parts[code_] = part
        order.append(code_)
        if values["parent"]:
            parent_of[code_] = (row_no, values["parent"])
    for code_, (row_no, parent) in parent_of.items():
        if parent not in parts or parent == code_:
            problems.at(sheet, row_no, label_of["parent"], _("No part with code %(c)s.") % {"c": parent})
        elif parent in parent_of:
            problems.at(
                sheet,
                row_no,
                label_of["parent"],
                _("Parts nest at most two levels: %(c)s has a parent itself.") % {"c": parent},
            )
    if not parts and not any(e for e in problems.errors if e["row"] == 1):
        problems.at(sheet, None, "", _("The standard needs at least one part."))
    if progress:
        progress(30, _("Checked the parts"))

    # 3. items
    sheet = SHEETS["items"]
    label_of = {c.key: str(c.label) for c in ITEM_COLUMNS}
    seen: dict[str, int] = {}
    items_of: dict[str, list] = {}
    has_children = {parent for _r, parent in parent_of.values()}
    for row_no, values in _table(sheets["items"], ITEM_COLUMNS, "items", problems):
        code_ = values["code"]
        if not code_:
            problems.at(sheet, row_no, label_of["code"], _("This field is required."))
        elif len(code_) > 40:
            problems.at(sheet, row_no, label_of["code"], _("At most %(n)d characters.") % {"n": 40})
        elif code_ in seen:
            problems.at(sheet, row_no, label_of["code"], _("Same code as row %(r)d.") % {"r": seen[code_]})
        seen.setdefault(code_, row_no)
        part = values["part"]
        if not part:
            problems.at(sheet, row_no, label_of["part"], _("This field is required."))
        elif part not in parts:
            problems.at(sheet, row_no, label_of["part"], _("No part with code %(c)s.") % {"c": part})
        elif part in has_children:
            problems.at(
                sheet,
                row_no,
                label_of["part"],
                _("Part %(c)s has parts under it; items go on the parts below.") % {"c": part},
            )
        if not values["title"]:
            problems.at(sheet, row_no, label_of["title"], _("This field is required."))
        elif len(values["title"]) > 500:
            problems.at(sheet, row_no, label_of["title"], _("At most %(n)d characters.") % {"n": 500})
        points = _decimal(values["max_points"], low=Decimal(0), high=Decimal("99999.99"), allow_low=False)
        if points is None or points.as_tuple().exponent < -2:
            problems.at(
                sheet,
                row_no,
                label_of["max_points"],
                _("A number above 0 and at most 99999.99 (2 decimals)."),
            )
        veto_text = values["is_veto"].lower()
        if veto_text not in YES | NO and veto_text not in {squash(_("Yes")), squash(_("No"))}:
            problems.at(sheet, row_no, label_of["is_veto"], _("Write 是 or leave empty."))
        position = _int(values["position"], 0, 2**31 - 1) if values["position"] else None
        if values["position"] and position is None:
            problems.at(sheet, row_no, label_of["position"], _("A whole number from 0 to 2147483647."))
        item = {
            "code": code_,
            "title": values["title"],
            "max_points": standards._num(points) if points is not None else 0,
            "guidance": values["guidance"],
            "is_veto": veto_text in YES or veto_text == squash(_("Yes")),
            "position": position if position is not None else len(items_of.get(part, [])) + 1,
        }
        items_of.setdefault(part, []).append(item)
    if not seen and not any(e["column"].startswith(_zh(sheet)) for e in problems.errors):
        problems.at(sheet, None, "", _("The standard needs at least one item."))
    if progress:
        progress(70, _("Checked %(n)d items") % {"n": len(seen)})

    # 4. level rules
    sheet = SHEETS["rules"]
    label_of = {c.key: str(c.label) for c in RULE_COLUMNS}
    level_lookup, class_lookup = _level_lookup(), _class_lookup()
    rules, levels_seen = [], {}
    for row_no, values in _table(sheets["rules"], RULE_COLUMNS, "rules", problems):
        level = level_lookup.get(squash(values["level"]))
        if level is None:
            problems.at(
                sheet, row_no, label_of["level"], _("Not an allowed value: %(v)s") % {"v": values["level"]}
            )
        elif level in levels_seen:
            problems.at(
                sheet, row_no, label_of["level"], _("Same level as row %(r)d.") % {"r": levels_seen[level]}
            )
        else:
            levels_seen[level] = row_no
        min_total = _decimal(values["min_total"], low=Decimal(0), high=Decimal(100))
        if min_total is None:
            problems.at(sheet, row_no, label_of["min_total"], _("A number from 0 to 100."))
        every = (
            _decimal(values["min_every_part"], low=Decimal(0), high=Decimal(100))
            if values["min_every_part"]
            else None
        )
        if values["min_every_part"] and every is None:
            problems.at(sheet, row_no, label_of["min_every_part"], _("A number from 0 to 100."))
        named = _pairs(
            values["part_minimums"],
            lambda k: k if k in parts else None,
            sheet,
            row_no,
            label_of["part_minimums"],
            problems,
            integer=False,
        )
        fatal = _pairs(
            values["fatal_lookback_years"],
            lambda k: class_lookup.get(squash(k)),
            sheet,
            row_no,
            label_of["fatal_lookback_years"],
            problems,
            integer=True,
        )
        days = _int(values["clean_history_days"], 0, 32767) if values["clean_history_days"] else None
        if values["clean_history_days"] and days is None:
            problems.at(
                sheet, row_no, label_of["clean_history_days"], _("A whole number of days from 0 to 32767.")
            )
        rules.append(
            {
                "level": level,
                "min_total": standards._num(min_total) if min_total is not None else 0,
                "min_every_part": standards._num(every),
                "part_minimums": named,
                "fatal_lookback_years": fatal,
                "clean_history_days": days,
            }
        )
    if not rules and not any(e["column"].startswith(_zh(sheet)) for e in problems.errors):
        problems.at(sheet, None, "", _("The standard needs at least one level rule."))
    if problems.errors:
        return None, problems.errors

    def node(code_):
        part = {k: v for k, v in parts[code_].items() if k != "_row"}
        children = [c for c in order if parent_of.get(c, (0, None))[1] == code_]
        if children:
            part["parts"] = [node(c) for c in children]
        else:
            part["items"] = items_of.get(code_, [])
        return part

    structure = {
        "code": code,
        "name": name,
        "method": method,
        "mine_types": mine_types,
        "versions": [
            {
                "label": label,
                "document_no": document_no,
                "effective_from": effective_from.isoformat(),
                "effective_to": effective_to.isoformat() if effective_to else None,
                "preconditions": preconditions,
                "recheck_months": recheck_months,
                "notes": notes,
                "parts": [node(c) for c in order if c not in parent_of],
                "level_rules": rules,
            }
        ],
    }
    return structure, []


# --- a group's import, as a background job ---------------------------------------------------------
def standard_import_start(*, scope: Scope, user, upload, org_unit=None) -> Job:
    """Start importing the group's own standard from an uploaded workbook (MANAGE_STANDARDS at the
    group's root unit, where the job is kept whatever ``org_unit`` the import page passes)."""
    _owner, root = standards.owner_for(scope, national=False)
    return start_import(scope=scope, user=user, kind=IMPORT_KIND, org_unit=root, upload=upload)


def _rejected(errors: list[dict]) -> JobRejected:
    return rejected(errors, imported=0)


def standard_import_prepare(job: Job, progress) -> dict:
    scope = current_scope()
    try:
        standards.owner_for(scope, national=False)
    except PermissionDenied:
        raise JobRejected(_("You may no longer import standards for this group."), {"errors": []}) from None
    structure, errors = parse_workbook(job_input_bytes(job), progress)
    if errors:
        raise _rejected(errors)
    problems = standards.import_problems(scope, structure, national=False)
    if problems:
        raise _rejected([{"row": None, "column": "", "message": p} for p in problems])
    progress(90, _("Checked the whole standard"))
    return structure


def standard_import_apply(job: Job, structure: dict) -> dict:
    try:
        created = standards.standard_import(scope=current_scope(), data=structure, national=False)
    except ValidationError as exc:  # changed between the check and now (e.g. an assessment started)
        raise _rejected([{"row": None, "column": "", "message": m} for m in exc.messages]) from None
    version = created[0]
    return {
        "standard_id": version.standard_id,
        "version_id": version.pk,
        "items_imported": version.items.count(),
        "errors": [],
    }


register_importer(
    Importer(
        kind=IMPORT_KIND,
        perm=grading_perms.MANAGE_STANDARDS,
        start=standard_import_start,
        prepare=standard_import_prepare,
        apply=standard_import_apply,
        template=import_template,
        template_filename="standard-template.xlsx",
        form="compliance.grading.views.standards.ImportForm",
        page_template="grading/standards/import.html",
        page_url_name="grading:standard-import",
        job_url_name="grading:standard-import-job",
        input_perm=grading_perms.MANAGE_STANDARDS,
    )
)


# --- the platform operator's national import (in the request) --------------------------------------
def national_import(*, scope: Scope, content: bytes) -> tuple[list[StandardVersion], list[dict]]:
    """(versions created, []) or ([], every problem). ``scope`` must be the platform scope."""
    standards.owner_for(scope, national=True)
    structure, errors = parse_workbook(content)
    if errors:
        return [], errors
    try:
        return standards.standard_import(scope=scope, data=structure, national=True), []
    except ValidationError as exc:
        return [], [{"row": None, "column": "", "message": m} for m in exc.messages]
