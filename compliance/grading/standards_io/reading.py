"""Reading the workbook: every cell checked, every problem reported with sheet, row and column."""

from __future__ import annotations

import re
from decimal import Decimal

from django.utils.translation import gettext as _

from compliance.grading import standards
from compliance.imports.columns import (
    cell_text,
    choice_lookup,
    in_both_languages,
    parse_date,
    parse_decimal,
    parse_int,
    squash,
)
from compliance.imports.reader import (
    UNREADABLE,
    SheetTooLarge,
    header_index,
    missing_message,
    open_workbook,
    sheet_rows,
)
from compliance.imports.rows import Problems as RowProblems
from tenants.models import MineProfile

from .columns import (
    FIELDS,
    ITEM_COLUMNS,
    MAX_ROWS,
    NO,
    PAIR_SEPARATORS,
    PART_COLUMNS,
    RULE_COLUMNS,
    SHEETS,
    YES,
    _class_lookup,
    _level_lookup,
    _method_lookup,
    _precondition_names,
    _zh,
)


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
