"""What every Excel import and export shares (people, training, questions, grading).

An import is a background job: the upload is checked and stored, the job reads the workbook,
validates every row and imports all of them or none, reporting each bad row with its row number,
column and reason. This module holds the parts that are the same for each: the column
definition, headers accepted in either language, choice values accepted by code or by label,
opening the workbook, reading its rows within the limits and mapping its header row, and
starting the job.

A workbook's cost is bounded by what it holds, never by what it says it holds: the sheet's
declared size (``<dimension ref="A1:XFD1048576"/>`` in a 5 KB file) and the row numbers its rows
carry are not trusted, and at most ``IMPORT_MAX_ROWS`` rows after the header and
``IMPORT_MAX_COLUMNS`` columns are read (``sheet_rows``).

Every workbook the product writes (exports and import templates) starts at ``new_workbook``:
its sheets write text as text, never as a formula (see ``as_text``).
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import override as translation_override
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

from compliance.files import validate_upload

from .models import Job
from .services import JobRejected, job_input_bytes, job_start

# What openpyxl raises for a file that is no workbook; SyntaxError: a malformed XML part (the
# parse errors of xml.etree and lxml both derive from it); IndexError: a cell naming a shared
# string the workbook does not have.
UNREADABLE = (
    InvalidFileException,
    zipfile.BadZipFile,
    KeyError,
    IndexError,
    OSError,
    ValueError,
    SyntaxError,
)
LANGUAGES = ("zh-hans", "en")


@dataclass(frozen=True)
class Column:
    key: str
    label: object  # lazy translation: the header shown in the template
    required: bool = False
    width: int = 14


def squash(text) -> str:
    """A header as compared: no spaces, lower case ("选项 A" is "选项A")."""
    return re.sub(r"\s+", "", str(text)).lower()


def header_names(column: Column) -> set[str]:
    """A header is accepted in either language, and by its field name."""
    names = {squash(column.key)}
    for language in LANGUAGES:
        with translation_override(language):
            names.add(squash(column.label))
    return names


def choice_lookup(choices) -> dict[str, str]:
    """Cell text (stripped, lower case) → choice value: by the value itself or its label in
    either language."""
    lookup = {}
    for value, label in choices.choices:
        if not value:
            continue
        lookup[value.lower()] = value
        for language in LANGUAGES:
            with translation_override(language):
                lookup[str(label).strip().lower()] = value
    return lookup


class SheetTooLarge(Exception):
    """A sheet with data beyond ``IMPORT_MAX_ROWS`` or ``IMPORT_MAX_COLUMNS``; the message names
    the limit."""


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def sheet_rows(ws):
    """The rows of a read-only worksheet (``load_workbook(..., read_only=True)``) as tuples of
    values, from row 1: an empty row between two rows with data is an empty tuple, so a row's
    position still gives its row number; empty rows after the last data are not returned.

    The work is that of parsing the rows and cells the file really contains. openpyxl's own
    ``iter_rows`` pads every row to the declared last column and fills every row number up to
    the declared last row and across any gap in the numbers a row claims (about 10 CPU-minutes
    for a 5 KB file declaring ``A1:XFD1048576``), so the sheet's XML is parsed here with the
    parser it uses itself, with the arguments it passes (the same workbook attributes). Cells
    without a value cost nothing beyond their XML; a value in a row after ``IMPORT_MAX_ROWS + 1``
    (the header is row 1) or a column after ``IMPORT_MAX_COLUMNS`` raises ``SheetTooLarge`` at
    once, before more is read."""
    max_rows, max_columns = settings.IMPORT_MAX_ROWS, settings.IMPORT_MAX_COLUMNS
    book = ws.parent
    last = 0
    with ws._get_source() as source:
        parser = WorkSheetParser(
            source,
            ws._shared_strings,
            data_only=book.data_only,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )
        for number, cells in parser.parse():
            values = {cell["column"]: cell["value"] for cell in cells if not _blank(cell["value"])}
            if not values or number <= last:  # empty, or a row number going backwards: skipped
                continue
            if number > max_rows + 1:
                raise SheetTooLarge(
                    _(
                        "Row %(row)d holds data, but at most %(limit)d rows below the header are read "
                        "from a sheet. Split the file into smaller ones."
                    )
                    % {"row": number, "limit": max_rows}
                )
            width = max(values)
            if width > max_columns:
                raise SheetTooLarge(
                    _(
                        "Row %(row)d holds data in column %(column)d, but at most %(limit)d columns are "
                        "read. Delete the columns after the last one of the template."
                    )
                    % {"row": number, "column": width, "limit": max_columns}
                )
            for _gap in range(last + 1, number):  # at most IMPORT_MAX_ROWS, checked above
                yield ()
            row = [None] * width
            for column, value in values.items():
                row[column - 1] = value
            yield tuple(row)
            last = number


def too_large(exc: SheetTooLarge) -> JobRejected:
    message = str(exc)
    return JobRejected(message, {"errors": [{"row": None, "column": "", "message": message}]})


def unreadable() -> JobRejected:
    message = _("The file is not a readable Excel workbook.")
    return JobRejected(message, {"errors": [{"row": None, "column": "", "message": message}]})


def read_rows(job: Job, columns: list[Column]):
    """The rows after the header of the job's workbook (first sheet), and where each column is:
    ``(rows, {key: position})``. A header matches its column in either language (the first such
    header wins); a required column that is missing rejects the whole file, and so does a sheet
    beyond the limits of ``sheet_rows`` (all rows are read here, so nothing is imported)."""
    try:
        # Read from memory: openpyxl judges a path by its extension, the bytes are what matter.
        content = io.BytesIO(job_input_bytes(job))
        wb = load_workbook(content, read_only=True, data_only=True)
        rows = list(sheet_rows(wb.worksheets[0]))
    except SheetTooLarge as exc:
        raise too_large(exc) from exc
    except UNREADABLE as exc:
        raise unreadable() from exc
    header = rows[0] if rows else ()
    names = {column.key: header_names(column) for column in columns}
    index: dict[str, int] = {}
    for position, cell in enumerate(header):
        text = squash(cell or "")
        for column in columns:
            if text and text in names[column.key] and column.key not in index:
                index[column.key] = position
    missing = [str(c.label) for c in columns if c.required and c.key not in index]
    if missing:
        message = _("Missing columns: %(cols)s. Start from the template.") % {"cols": "、".join(missing)}
        raise JobRejected(message, {"errors": [{"row": 1, "column": "", "message": message}]})
    return iter(rows[1:]), index


def start_import(*, scope, user, kind: str, org_unit, upload) -> Job:
    """Check the upload (an .xlsx within IMPORT_MAX_BYTES) and start the import job at
    ``org_unit``. The caller has checked the permission to import there."""
    validate_upload(upload, kinds=["xlsx"], max_bytes=settings.IMPORT_MAX_BYTES, field="file")
    return job_start(
        scope=scope,
        user=user,
        kind=kind,
        org_unit=org_unit,
        params={"filename": upload.name[:200]},
        input_bytes=upload.read(),
        input_suffix=".xlsx",
    )


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
