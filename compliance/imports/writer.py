"""The one Excel writer: every workbook the product writes (exports and import templates)
starts at ``new_workbook``; its sheets write text as text, never as a formula (see ``as_text``).
``tests/jobs/test_excel_writer.py`` fails on a workbook made anywhere else.
"""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- writing ---------------------------------------------------------------------------------------------
# A text cell starting with one of these is taken for a formula by Excel, WPS or LibreOffice: on
# opening, when the cell is edited, or once the sheet is saved as CSV (OWASP, "CSV injection").
# A person named =HYPERLINK("http://…"&A1,"点击") would otherwise run in the hands of whoever opens
# the export, a regulator included. The full-width forms are there too: Chinese input methods type
# them, and a spreadsheet program that folds them to the ASCII sign when a cell is re-entered
# would otherwise see a formula; a quote before such a text costs nothing.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
# Written before such a text, as OWASP advises; the cell is stored as a string cell as well, so
# no program evaluates it even where the quote is not understood.
QUOTE = "'"
# Written as they are: a number stays a number (-5 included), a date a date.
NATIVE = (bool, int, float, Decimal, datetime.date, datetime.datetime, datetime.time, datetime.timedelta)


def as_text(value) -> str:
    """User text as written to a cell: characters XML cannot hold dropped (openpyxl would refuse
    the whole file), and a formula trigger at the start neutralised by the quote."""
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    return QUOTE + text if text.startswith(FORMULA_TRIGGERS) else text


def from_text(value):
    """A cell value as read back: the quote ``as_text`` put before a formula trigger removed, so
    that an exported sheet imports again as the same text."""
    if isinstance(value, str) and value.startswith(QUOTE) and value[1:].startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value


def _cell(ws, value) -> Cell | None:
    if value is None:
        return None
    if isinstance(value, Cell):
        return value
    # Placed where the sheet puts it; row and column are set so openpyxl can name it meanwhile.
    if isinstance(value, NATIVE):
        return Cell(ws, row=1, column=1, value=value)
    cell = Cell(ws, row=1, column=1, value=as_text(value))
    # Also a text such as "#N/A" would otherwise become an error cell.
    cell.data_type = "s"
    return cell


class _TextSafe:
    """What both kinds of sheet share: every value set goes through ``_cell``."""

    def append(self, iterable):
        super().append([_cell(self, value) for value in iterable])


class _Sheet(_TextSafe, Worksheet):
    def cell(self, row, column, value=None):
        cell = super().cell(row, column)
        if value is not None:
            self._set(cell, value)
        return cell

    def __setitem__(self, key, value):
        self._set(self[key], value)

    @staticmethod
    def _set(cell, value) -> None:
        safe = _cell(cell.parent, value)
        cell.value = safe.value if safe is not None else None
        if safe is not None:
            cell.data_type = safe.data_type  # after the value: setting it guesses the type again


class _WriteOnlySheet(_TextSafe, WriteOnlyWorksheet):
    pass


class _Workbook(Workbook):
    def __init__(self, *, write_only: bool = False):
        super().__init__(write_only=write_only)
        if not write_only:
            self._sheets = [_Sheet(self)]

    def create_sheet(self, title=None, index=None):
        sheet = (_WriteOnlySheet if self.write_only else _Sheet)(parent=self, title=title)
        self._add_sheet(sheet=sheet, index=index)
        return sheet


def new_workbook(*, write_only: bool = False) -> Workbook:
    """A workbook whose sheets write text as text (``ws.append``, ``ws.cell(value=…)``,
    ``ws["A1"] = …``) and numbers and dates as numbers and dates. The only way the product
    makes a workbook; ``tests/jobs/test_excel_writer.py`` fails on
    any other."""
    return _Workbook(write_only=write_only)


def workbook_bytes(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
