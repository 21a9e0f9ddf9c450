"""Reading an uploaded workbook within its limits, and finding the columns by their headers.

A workbook's cost is bounded by what it holds, never by what it says it holds: the sheet's
declared size (``<dimension ref="A1:XFD1048576"/>`` in a 5 KB file) and the row numbers its rows
carry are not trusted, and at most ``IMPORT_MAX_ROWS`` rows after the header and
``IMPORT_MAX_COLUMNS`` columns are read (``sheet_rows``).
"""

from __future__ import annotations

import io
import zipfile

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._reader import WorkSheetParser

from compliance.jobs.models import Job
from compliance.jobs.services import JobRejected, job_input_bytes  # noqa: F401  (importers read their upload here)

from .columns import Column, squash

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


def _whole_file(message: str) -> JobRejected:
    return JobRejected(message, {"errors": [{"row": None, "column": "", "message": message}]})


def too_large(exc: SheetTooLarge) -> JobRejected:
    return _whole_file(str(exc))


def unreadable() -> JobRejected:
    return _whole_file(_("The file is not a readable Excel workbook."))


def open_workbook(content: bytes):
    """A read-only workbook of values (formulas give their cached results). Read from memory:
    openpyxl judges a path by its extension, the bytes are what matter. Raises one of
    ``UNREADABLE``."""
    return load_workbook(io.BytesIO(content), read_only=True, data_only=True)


def header_index(header, columns: list[Column]) -> tuple[dict[str, int], list[Column]]:
    """Where each column is in a header row, and the required columns that are missing. A header
    matches its column in either language or by its key, tolerant of spaces and full-width forms;
    the first such header wins."""
    index: dict[str, int] = {}
    names = {column.key: column.header_names() for column in columns}
    for position, cell in enumerate(header or ()):
        text = squash(cell if cell is not None else "")
        if not text:
            continue
        for column in columns:
            if text in names[column.key] and column.key not in index:
                index[column.key] = position
    missing = [c for c in columns if c.required and c.key not in index]
    return index, missing


def missing_message(missing: list[Column]) -> str:
    return _("Missing columns: %(cols)s. Start from the template.") % {
        "cols": "、".join(str(c.label) for c in missing)
    }


def read_rows(job: Job, columns: list[Column]):
    """The rows after the header of the job's workbook (first sheet), and where each column is:
    ``(rows, {key: position})``. A required column that is missing rejects the whole file, and so
    does a sheet beyond the limits of ``sheet_rows`` (all rows are read here, so nothing is
    imported)."""
    try:
        wb = open_workbook(job_input_bytes(job))
        rows = list(sheet_rows(wb.worksheets[0]))
    except SheetTooLarge as exc:
        raise too_large(exc) from exc
    except UNREADABLE as exc:
        raise unreadable() from exc
    index, missing = header_index(rows[0] if rows else (), columns)
    if missing:
        message = missing_message(missing)
        raise JobRejected(message, {"errors": [{"row": 1, "column": "", "message": message}]})
    return iter(rows[1:]), index
