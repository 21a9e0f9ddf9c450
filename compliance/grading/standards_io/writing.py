"""Writing a standard (one version) to the workbook, and the empty template with its guide."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import override as translation_override
from openpyxl.styles import Font

from compliance.grading import standards
from compliance.grading.models import AccidentClass, Level, Standard, StandardVersion
from compliance.imports.template import add_dropdowns, add_header_notes
from compliance.imports.writer import new_workbook, workbook_bytes
from tenants.models import MineProfile

from .columns import FIELDS, ITEM_COLUMNS, PART_COLUMNS, RULE_COLUMNS, SHEETS, _zh


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
