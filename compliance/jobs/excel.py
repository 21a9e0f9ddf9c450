"""What every Excel import shares (people, training sessions, questions, grading standards).

An import is a background job: the upload is checked and stored, the job reads the workbook,
validates every row and imports all of them or none, reporting each bad row with its row number,
column and reason. This module holds the parts that are the same for each: the column
definition, headers accepted in either language, choice values accepted by code or by label,
opening the workbook and mapping its header row, and starting the job.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import override as translation_override
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from compliance.files import validate_upload

from .models import Job
from .services import JobRejected, job_start, private_path

# What openpyxl raises for a file that is no workbook; SyntaxError: a malformed XML part (the
# parse errors of xml.etree and lxml both derive from it).
UNREADABLE = (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError)
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


def unreadable() -> JobRejected:
    message = _("The file is not a readable Excel workbook.")
    return JobRejected(message, {"errors": [{"row": None, "column": "", "message": message}]})


def read_rows(job: Job, columns: list[Column]):
    """The rows after the header of the job's workbook (first sheet), and where each column is:
    ``(rows, {key: position})``. A header matches its column in either language (the first such
    header wins); a required column that is missing rejects the whole file."""
    try:
        # Read from memory: openpyxl judges a path by its extension, the bytes are what matter.
        content = io.BytesIO(private_path(job.input_file).read_bytes())
        wb = load_workbook(content, read_only=True, data_only=True)
    except UNREADABLE as exc:
        raise unreadable() from exc
    rows = wb.worksheets[0].iter_rows(values_only=True)
    header = next(rows, None) or ()
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
    return rows, index


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
