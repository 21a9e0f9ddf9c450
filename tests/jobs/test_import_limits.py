"""Excel imports cost what the file holds, never what it declares: the sheet's dimension is not
trusted, and rows and columns beyond IMPORT_MAX_ROWS / IMPORT_MAX_COLUMNS refuse the file whole."""

import io
import re
import zipfile

import pytest
from openpyxl import Workbook
from openpyxl.styles import Font

from compliance.jobs.models import Job
from tenants import people_io

from .test_people_import import HEADER, _imported, good_row, manager, upload  # noqa: F401

pytestmark = pytest.mark.django_db

DECLARED = "A1:XFD1048576"  # the whole of Excel's grid: 16,384 columns by 1,048,576 rows


def workbook(rows, header=HEADER, styled_empty_rows=()) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    for number in styled_empty_rows:  # a formatted cell with no value, as Excel leaves them
        ws.cell(row=number, column=1).font = Font(bold=True)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def declaring(content: bytes, ref: str = DECLARED) -> bytes:
    """The same workbook with its sheet's ``<dimension ref>`` rewritten."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = source.read(member.filename)
            if member.filename == "xl/worksheets/sheet1.xml":
                data, n = re.subn(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), data)
                assert n == 1
            target.writestr(member, data)
    return out.getvalue()


def as_upload(content: bytes) -> io.BytesIO:
    file = io.BytesIO(content)
    file.name = "people.xlsx"
    return file


@pytest.fixture
def counted(monkeypatch):
    """Counts the rows and cells the people import receives from the shared reader, and stops it
    (failing the job) as soon as it has handed over more than any honest reading of these files
    could: openpyxl padded every row to the declared 16,384 columns."""
    seen = {"rows": 0, "cells": 0}
    real = people_io.read_rows

    def read_rows(job, columns):
        rows, index = real(job, columns)
        out = []
        for row in rows:
            seen["rows"] += 1
            seen["cells"] += len(row)
            if seen["cells"] > 10_000:
                raise AssertionError("read far more cells than the file holds")
            out.append(row)
        return iter(out), index

    monkeypatch.setattr(people_io, "read_rows", read_rows)
    return seen


def test_a_sheet_declaring_the_whole_grid_is_read_for_the_rows_it_holds(world, manager, counted):  # noqa: F811
    content = declaring(workbook([good_row(n) for n in range(1, 4)]))
    assert len(content) < 10_000
    job = upload(manager, world.a.mine, as_upload(content))
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert _imported() == 3
    assert counted["rows"] == 3 and counted["cells"] <= 3 * len(HEADER)


def test_trailing_empty_rows_neither_count_nor_cost(world, manager, counted, settings):  # noqa: F811
    settings.IMPORT_MAX_ROWS = 5
    content = declaring(workbook([good_row(n) for n in range(1, 4)], styled_empty_rows=range(6, 5000)))
    job = upload(manager, world.a.mine, as_upload(content))
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert _imported() == 3 and counted["rows"] == 3


@pytest.mark.parametrize("declared", [DECLARED, None])
def test_more_rows_than_the_limit_import_nothing_and_the_message_names_it(
    world,
    manager,  # noqa: F811
    settings,
    counted,
    declared,
):
    settings.IMPORT_MAX_ROWS = 5
    content = workbook([good_row(n) for n in range(1, 7)])
    if declared:
        content = declaring(content, declared)
    job = upload(manager, world.a.mine, as_upload(content))
    message = "第 7 行有数据，但每个工作表最多读取表头以下 5 行。请把文件拆分成几个较小的文件。"
    assert job.status == Job.Status.FAILED
    assert job.message == message and job.result["errors"] == [
        {"row": None, "column": "", "message": message}
    ]
    assert _imported() == 0


def test_more_columns_than_the_limit_import_nothing_and_the_message_names_it(world, manager, settings):  # noqa: F811
    settings.IMPORT_MAX_COLUMNS = len(HEADER)
    content = workbook([[*good_row(n), "备注"] for n in range(1, 4)], header=[*HEADER, "备注"])
    job = upload(manager, world.a.mine, as_upload(content))
    message = (
        f"第 1 行第 {len(HEADER) + 1} 列有数据，但最多读取 {len(HEADER)} 列。请删除模板最后一列之后的各列。"
    )
    assert job.status == Job.Status.FAILED
    assert job.message == message and job.result["errors"][0]["message"] == message
    assert _imported() == 0


def test_empty_rows_between_rows_keep_the_row_numbers_of_errors(world, manager, counted):  # noqa: F811
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(good_row(1))
    bad = good_row(2)
    bad[5] = "矿长"  # not a post category
    for column, value in enumerate(bad, start=1):
        ws.cell(row=9, column=column, value=value)
    out = io.BytesIO()
    wb.save(out)
    job = upload(manager, world.a.mine, as_upload(declaring(out.getvalue())))
    assert job.status == Job.Status.FAILED
    assert {e["row"] for e in job.result["errors"]} == {9}
    assert _imported() == 0
