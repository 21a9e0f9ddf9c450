"""All rows or none: every problem of a file is collected with the row number the user sees in
Excel and the column header as they see it; one problem means nothing is imported."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from compliance.jobs.services import JobRejected

from .columns import CellError, Column, cell_text

HEADER_ROWS = 1  # the header is row 1, so the first row of data is row 2


def row_is_empty(row) -> bool:
    return not any(cell_text(v) for v in row)


def cell_at(row, index: dict[str, int], key: str):
    """The raw value of column ``key`` in ``row`` (None where the column or the cell is absent)."""
    position = index.get(key)
    if position is None or position >= len(row):
        return None
    return row[position]


class Problems:
    """The problems of one file: ``{"row", "column", "message"}`` each, as the job result and the
    import page show them. ``sheet``: for a workbook of several sheets, the column is shown as
    "sheet · column"."""

    def __init__(self, columns: Iterable[Column] = ()):
        self.errors: list[dict] = []
        self._labels = {c.key: c.label for c in columns}

    def __bool__(self) -> bool:
        return bool(self.errors)

    def __len__(self) -> int:
        return len(self.errors)

    def add(self, row: int | None, column, message, *, sheet=None) -> None:
        """``column``: a column key of this file's columns, or a header as shown, or ""."""
        header = str(self._labels.get(column, column)) if column else ""
        if sheet is not None:
            header = f"{sheet} · {header}" if header else str(sheet)
        self.errors.append({"row": row, "column": header, "message": str(message)})

    def extend(self, row: int | None, problems: Iterable[tuple[str, object]]) -> None:
        for column, message in problems:
            self.add(row, column, message)

    def rejected(self, **result) -> JobRejected:
        return rejected(self.errors, **result)


def rejected(errors: list[dict], **result) -> JobRejected:
    """The job's refusal of a file with problems: nothing was imported."""
    return JobRejected(
        ngettext(
            "%(n)d problem found; nothing was imported.",
            "%(n)d problems found; nothing was imported.",
            len(errors),
        )
        % {"n": len(errors)},
        {"errors": errors, **result},
    )


def nothing_to_import(**result) -> JobRejected:
    return JobRejected(_("The file has no rows to import."), {"errors": [], **result})


def parse_cells(
    columns: Iterable[Column], row, index: dict[str, int], lookups: dict | None = None, *, require=True
) -> tuple[dict, list[tuple[str, str]]]:
    """One sheet row → ({key: value}, [(key, problem)]) by each column's ``parse``; with
    ``require``, an empty required cell is a problem too."""
    values: dict = {}
    problems: list[tuple[str, str]] = []
    for column in columns:
        raw = cell_at(row, index, column.key)
        try:
            value = column.parse(raw, (lookups or {}).get(column.key))
        except CellError as exc:
            values[column.key] = column.parse(None)
            problems.append((column.key, str(exc)))
            continue
        values[column.key] = value
        if require and column.required and value in ("", None, []):
            problems.append((column.key, _("This field is required.")))
    return values, problems


def numbered(rows) -> Iterable[tuple[int, tuple]]:
    """(row number as Excel shows it, row) for every row after the header that holds data."""
    for offset, row in enumerate(rows):
        if not row_is_empty(row):
            yield offset + HEADER_ROWS + 1, row


def report_progress(progress, done: int, total: int, *, every: int = 50) -> None:
    """The bar moves to 90 % while rows are checked; the rest is for writing them."""
    if done % every == 0 or done == total:
        total = max(total, 1)
        progress(int(90 * done / total), _("Checked %(n)d of %(total)d rows") % {"n": done, "total": total})
