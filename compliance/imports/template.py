"""The template an importer hands out: the data sheet with its headers (and any example rows),
a guide sheet (说明) listing every column — required or not, its format, its allowed values and a
line of help — and Excel drop-downs on the choice columns.

A drop-down's values are a range of the guide sheet (one value a cell), not a list written into
the validation itself: Excel limits that to 255 characters, and the guide shows the same values
anyway.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from .columns import BOOLEAN, CHOICE, Column
from .writer import new_workbook, workbook_bytes

BOLD = Font(bold=True)
INLINE_LIST_LIMIT = 255  # characters Excel keeps in a list written into a validation


def write_header(ws, columns: list[Column]) -> None:
    ws.append([str(c.label) for c in columns])
    for cell in ws[1]:
        cell.font = BOLD
    for position, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(position)].width = column.width
    ws.freeze_panes = "A2"


def add_header_notes(ws, columns: list[Column]) -> None:
    """The guide of each column as a note on its header cell, for a workbook whose sheets are its
    format (the grading standard's four): required or not, the format, the allowed values."""
    for position, column in enumerate(columns, start=1):
        lines = [
            _("Required") + ": " + (_("Yes") if column.required else _("No")),
            _("Format") + ": " + column.format_text(),
        ]
        if column.allowed():
            lines.append(_("Allowed values") + ": " + "、".join(column.allowed()))
        if column.help:
            lines.append(str(column.help))
        ws.cell(row=1, column=position).comment = Comment("\n".join(lines), "KuangAn", width=300, height=120)


def _validation(column: Column, formula: str) -> DataValidation:
    # A cell may hold several values of a "many" column, and the import also takes codes, the
    # other language and common spellings: the list helps, a value off it only warns.
    dv = DataValidation(type="list", formula1=formula, allow_blank=True, showDropDown=False)
    dv.errorStyle = "warning"
    dv.showErrorMessage = not column.many
    dv.errorTitle = str(column.label)
    dv.error = _("Not one of the allowed values; see the guide sheet.")
    dv.promptTitle = str(column.label)[:32]
    dv.prompt = str(column.help)[:255] if column.help else ""
    dv.showInputMessage = bool(column.help)
    return dv


def _data_range(ws, position: int) -> str:
    letter = get_column_letter(position)
    return f"{letter}2:{letter}{settings.IMPORT_MAX_ROWS + 1}"


def add_dropdowns(ws, columns: list[Column], *, values_sheet=None, values_from: int = 1) -> None:
    """Drop-downs on the choice and yes/no columns of ``ws`` (headers in row 1, in the order of
    ``columns``). The values go into ``values_sheet`` from column ``values_from`` on (one column
    per choice column, its header in row 1); without one, into the validation itself when short
    enough."""
    target = values_from
    for position, column in enumerate(columns, start=1):
        values = column.allowed() if column.kind in (CHOICE, BOOLEAN) else []
        if not values:
            continue
        if values_sheet is not None:
            letter = get_column_letter(target)
            values_sheet.cell(row=1, column=target, value=str(column.label)).font = BOLD
            for row, value in enumerate(values, start=2):
                values_sheet.cell(row=row, column=target, value=value)
            values_sheet.column_dimensions[letter].width = max(column.width, 12)
            formula = f"{quote_sheetname(values_sheet.title)}!${letter}$2:${letter}${len(values) + 1}"
            target += 1
        else:
            inline = ",".join(values)
            if len(inline) + 2 > INLINE_LIST_LIMIT or any("," in v or '"' in v for v in values):
                continue
            formula = f'"{inline}"'
        dv = _validation(column, formula)
        ws.add_data_validation(dv)
        dv.add(_data_range(ws, position))


def write_guide(guide, columns: list[Column], notes: Iterable[str] = ()) -> None:
    """The guide sheet: one row per column, then the notes; the drop-down values to the right.
    Examples live here, not on the data sheet, so a forgotten example is never imported."""
    guide.append(
        [_("Column"), _("Required"), _("Format"), _("Allowed values"), _("Example"), _("What to enter")]
    )
    for cell in guide[1]:
        cell.font = BOLD
    for column in columns:
        guide.append(
            [
                str(column.label),
                _("Yes") if column.required else _("No"),
                column.format_text(),
                "、".join(column.allowed()),
                column.example,
                str(column.help or ""),
            ]
        )
    guide.append([])
    for note in (
        *notes,
        _(
            "Every row is checked. If any row is wrong, nothing is imported and each problem is "
            "listed with its row and column."
        ),
    ):
        guide.append([_("Note"), "", "", "", "", str(note)])
    for letter, width in zip("ABCDEF", (18, 8, 30, 40, 20, 70), strict=True):
        guide.column_dimensions[letter].width = width


def template_workbook(
    *,
    title: str,
    columns: list[Column],
    examples: Iterable[list] = (),
    notes: Iterable[str] = (),
) -> bytes:
    """An importer's template: the data sheet ``title`` (headers, then ``examples``), the guide
    sheet 说明, and drop-downs on the choice columns whose values the guide sheet holds."""
    wb = new_workbook()
    ws = wb.active
    ws.title = title
    write_header(ws, columns)
    for row in examples:
        ws.append(row)
    guide = wb.create_sheet(_("Guide"))
    write_guide(guide, columns, notes)
    add_dropdowns(ws, columns, values_sheet=guide, values_from=8)
    return workbook_bytes(wb)
