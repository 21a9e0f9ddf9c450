"""The shared Excel machinery (``compliance.imports``): headers in either language, the template's
guide sheet and drop-downs, all rows or none with row and column problems, and each importer's
round trip through its template or export."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.test import TestCase
from django.utils import translation
from openpyxl import load_workbook

from compliance.contractors import contractors_io
from compliance.duties import lists_io
from compliance.grading import standards, standards_io
from compliance.imports.columns import BOOLEAN, CHOICE, DATE, DECIMAL, INTEGER, CellError, Column
from compliance.imports.importers import importer_for, importers
from compliance.imports.reader import header_index
from compliance.imports.rows import Problems, parse_cells
from compliance.jobs.models import Job
from compliance.training import bank_io, sessions_io
from compliance.training.models import Attendance, Question
from tenants import people_io, roles
from tenants.models import Person
from tenants.scope import dangerously_platform_scope

from ..conftest import login
from ..factories import resident_id

pytestmark = pytest.mark.django_db

COLUMNS = [
    Column("name", "Name", True),
    Column("status", "Status", False, kind=CHOICE, choices=Person.Status),
    Column("born", "Date of birth", False, kind=DATE),
    Column("count", "Count", False, kind=INTEGER, low=0, high=10),
    Column("hours", "Hours", False, kind=DECIMAL),
    Column("veto", "Veto item", False, kind=BOOLEAN),
]


# --- headers --------------------------------------------------------------------------------------------
def test_headers_match_in_either_language_by_key_and_despite_spacing_or_full_width():
    columns = people_io.COLUMNS
    with translation.override("zh-hans"):
        zh = [str(c.label) for c in columns]
    with translation.override("en"):
        en = [str(c.label) for c in columns]
    assert zh != en
    expected = {c.key: i for i, c in enumerate(columns)}
    for header in (zh, en, [c.key for c in columns]):
        for language in ("zh-hans", "en"):  # the user's language does not matter
            with translation.override(language):
                assert header_index(header, columns) == (expected, [])
    # Spaces, the ideographic space and full-width letters and brackets, as typed in Chinese.
    mixed = [f" {h[:1]}\u3000{h[1:]} " for h in zh]
    assert header_index(mixed, columns)[0] == expected
    assert header_index(["选项Ａ", "复查周期（月）"], [Column("a", "选项A"), Column("m", "复查周期(月)")])[
        0
    ] == {
        "a": 0,
        "m": 1,
    }


def test_a_missing_required_column_is_named():
    index, missing = header_index(["姓名", "工号"], people_io.COLUMNS)
    assert index == {"name": 0, "employee_no": 1}
    assert {c.key for c in missing} == {"resident_id", "post_category"}


# --- one cell -------------------------------------------------------------------------------------------
def test_cells_parse_by_their_kind():
    status, born, count, hours, veto = COLUMNS[1:]
    assert (
        status.parse("在岗") == status.parse("On post") == status.parse(" on_post ") == Person.Status.ON_POST
    )
    assert status.parse("") == ""
    assert born.parse("2026/3/2") == born.parse("20260302") == born.parse(datetime.datetime(2026, 3, 2))
    assert born.parse("2026.3.2") == datetime.date(2026, 3, 2) and born.parse(None) is None
    assert count.parse(3.0) == 3 and count.parse("10") == 10
    assert hours.parse("1.5") == Decimal("1.5")
    assert veto.parse("是") is True and veto.parse("") is False and veto.parse(True) is True
    for column, bad in (
        (status, "在天上"),
        (born, "明天"),
        (count, "11"),
        (count, "2.5"),
        (hours, "x"),
        (veto, "也许"),
    ):
        with pytest.raises(CellError):
            column.parse(bad)
    many = Column("tags", "Tags", kind=CHOICE, choices=Person.PostCategory, many=True)
    assert many.parse("特种作业人员、其他从业人员，特种作业人员") == ["special_operation", "other"]
    with pytest.raises(CellError, match="火星"):
        many.parse("特种作业人员、火星")
    assert Column("t", "T").parse("'=1+1") == "=1+1"  # the writer's quote before a formula is dropped
    with pytest.raises(CellError):
        Column("t", "T", max_length=3).parse("四个字符")


def test_problems_name_the_excel_row_and_the_header_in_the_users_language():
    index = {c.key: i for i, c in enumerate(COLUMNS)}
    rows = [("张三", "在岗", "2026-03-02", 1, "1.5", "是"), ("", "在天上", "明天", 99, "x", "也许")]
    with translation.override("zh-hans"):
        problems = Problems(COLUMNS[:1] + [Column("status", people_io.COLUMNS[9].label)] + COLUMNS[2:])
        good, bad = (parse_cells(COLUMNS, r, index) for r in rows)
        assert good[1] == [] and good[0]["born"] == datetime.date(2026, 3, 2)
        problems.extend(3, bad[1])
        assert {e["column"] for e in problems.errors} == {
            "Name",
            "状态",
            "Date of birth",
            "Count",
            "Hours",
            "Veto item",
        }
        assert all(e["row"] == 3 and e["message"] for e in problems.errors)
        status_problem = next(e["message"] for e in problems.errors if e["column"] == "状态")
        assert "不在可选值范围内：在天上" in status_problem
        rejected = problems.rejected(imported=0)
    assert rejected.result["imported"] == 0 and len(rejected.result["errors"]) == 6


# --- templates ------------------------------------------------------------------------------------------
TEMPLATES = {  # kind: (template URL, columns)
    people_io.IMPORT_KIND: ("/people/import/template/", people_io.COLUMNS),
    sessions_io.IMPORT_KIND: ("/training/sessions/import/template/", sessions_io.COLUMNS),
    bank_io.IMPORT_KIND: ("/training/questions/import/template/", bank_io.COLUMNS),
    contractors_io.REGISTER_KIND: ("/contractors/import/template/", contractors_io.REGISTER_COLUMNS),
    contractors_io.STAFF_KIND: ("/contractors/staff/import/template/", contractors_io.STAFF_COLUMNS),
}


@pytest.fixture
def manager(world):
    return login(world.a.users[roles.SAFETY_MANAGER])


def test_every_importer_is_registered_with_its_pages():
    kinds = {i.kind for i in importers()}
    assert {
        people_io.IMPORT_KIND,
        sessions_io.IMPORT_KIND,
        bank_io.IMPORT_KIND,
        standards_io.IMPORT_KIND,
        lists_io.IMPORT_KIND,
        contractors_io.REGISTER_KIND,
        contractors_io.STAFF_KIND,
    } <= kinds
    assert importer_for(standards_io.IMPORT_KIND).job_url_name == "grading:standard-import-job"


@pytest.mark.parametrize("kind", list(TEMPLATES))
def test_the_template_has_a_guide_sheet_and_drop_downs_on_choice_columns(manager, kind):
    url, columns = TEMPLATES[kind]
    response = manager.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    sheet, guide = wb.worksheets
    assert guide.title == "说明"
    with translation.override("zh-hans"):
        labels = [str(c.label) for c in columns]
        assert [c.value for c in sheet[1]] == labels
        listed = {r[0].value: r for r in guide.iter_rows(min_row=2) if r[0].value in labels}
        assert set(listed) == set(labels)  # every column, with required or not and its format
        for column in columns:
            row = listed[str(column.label)]
            assert row[1].value == ("是" if column.required else "否") and row[2].value
            if column.kind == CHOICE:
                assert row[3].value == "、".join(column.allowed())
    choice_letters = {
        sheet.cell(row=1, column=i).column_letter: c
        for i, c in enumerate(columns, start=1)
        if c.kind == CHOICE
    }
    assert choice_letters
    validations = sheet.data_validations.dataValidation
    covered = {}
    for dv in validations:
        assert dv.type == "list" and dv.formula1.startswith("'说明'!$")
        for cell_range in dv.sqref.ranges:
            covered[cell_range.coord.split(":")[0].rstrip("0123456789")] = dv.formula1
    assert set(covered) == set(choice_letters)
    # The drop-down's range on the guide sheet holds exactly the column's allowed values.
    for letter, column in choice_letters.items():
        ref = covered[letter].split("!")[1].replace("$", "")
        values = [c.value for row in guide[ref] for c in row]
        with translation.override("zh-hans"):
            assert values == column.allowed()


def test_the_standard_template_keeps_its_four_sheets_with_drop_downs(world):
    wb = load_workbook(io.BytesIO(standards_io.import_template()))
    _version, _parts, items, rules = wb.worksheets
    assert [dv.formula1 for dv in items.data_validations.dataValidation] == ['"是,否"']
    assert [dv.formula1 for dv in rules.data_validations.dataValidation] == ['"一级,二级,三级"']
    # No fifth sheet for a guide: each header carries its own.
    assert "必填: 是" in items["A1"].comment.text and "可选值: 是、否" in items["F1"].comment.text


# --- round trips ----------------------------------------------------------------------------------------
def _fill(template: bytes, rows) -> io.BytesIO:
    wb = load_workbook(io.BytesIO(template))
    for row in rows:
        wb.worksheets[0].append(row)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "filled.xlsx"
    return out


def _upload(client, url, org_unit, file) -> Job:
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url, {"org_unit": str(org_unit.pk), "file": file})
    assert response.status_code == 302, response.content.decode()[:500]
    with dangerously_platform_scope():
        return Job.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])


def _sheet_rows(content: bytes, first=2):
    ws = load_workbook(io.BytesIO(content)).worksheets[0]
    return [[c.value if c.value is not None else "" for c in r] for r in ws.iter_rows(min_row=first)]


def test_people_template_filled_imports_and_exports_as_the_same_rows(world, manager):
    with translation.override("zh-hans"):
        rows = [
            [f"往返{n}", resident_id(seq=700 + n), f"RT-{n}", "13900000000", world.a.team.name,
             "特种作业人员", "瓦斯检查工", "瓦检员", "某公司", "在岗", "", ""]
            for n in range(1, 4)
        ]  # fmt: skip
        template = manager.get("/people/import/template/").content
    job = _upload(manager, "/people/import/", world.a.mine, _fill(template, rows))
    assert job.status == Job.Status.SUCCEEDED, job.result
    exported = [r for r in _sheet_rows(manager.get("/people/export/").content) if str(r[2]).startswith("RT-")]
    exported.sort(key=lambda r: r[2])
    # The export masks resident IDs (personal data); every other column reads back as written.
    assert [r[:1] + r[2:] for r in exported] == [r[:1] + r[2:] for r in rows]
    assert all(r[1] != rows[i][1] and r[1][-4:] == rows[i][1][-4:] for i, r in enumerate(exported))


def test_sessions_template_filled_imports_as_the_rows_say(world, manager):
    worker, special = world.a.people[0], world.a.people[1]
    session = ["往返培训", "年度再培训", "", "2026-03-02", "2026-03-03", 16, "王老师", "会议室"]
    rows = [session + [worker.employee_no, worker.name, 12], session + [special.employee_no, "", ""]]
    template = manager.get("/training/sessions/import/template/", HTTP_ACCEPT_LANGUAGE="zh-hans").content
    job = _upload(manager, "/training/sessions/import/", world.a.mine, _fill(template, rows))
    assert job.status == Job.Status.SUCCEEDED, job.result
    with dangerously_platform_scope():
        got = sorted(
            (a.session.course.title, a.session.course.kind, a.session.starts_on, a.session.ends_on,
             a.session.hours, a.session.instructor, a.session.location, a.person.employee_no, a.hours)
            for a in Attendance.objects.select_related("session__course", "person").filter(
                session__course__title="往返培训"
            )
        )  # fmt: skip
    d1, d2 = datetime.date(2026, 3, 2), datetime.date(2026, 3, 3)
    assert got == sorted(
        [
            ("往返培训", "annual", d1, d2, Decimal(16), "王老师", "会议室", worker.employee_no, Decimal(12)),
            ("往返培训", "annual", d1, d2, Decimal(16), "王老师", "会议室", special.employee_no, Decimal(16)),
        ]
    )


def _questions(unit) -> list:
    with dangerously_platform_scope():
        return sorted(
            (q.type, q.stem, q.explanation, q.post_categories, q.mine_types, q.topic, q.difficulty,
             [(o.text, o.is_correct) for o in q.options.order_by("position")])
            for q in Question.objects.filter(org_unit=unit, is_current=True).prefetch_related("options")
        )  # fmt: skip


def test_question_bank_exported_imports_again_as_the_same_questions(world, manager):
    template = manager.get("/training/questions/import/template/", HTTP_ACCEPT_LANGUAGE="zh-hans").content
    examples = _sheet_rows(template)
    for n, row in enumerate(examples):
        row[1] = f"往返{n}{row[1]}"
    job = _upload(manager, "/training/questions/import/", world.a.mine, _fill(template, examples))
    assert job.status == Job.Status.SUCCEEDED and job.result["questions_imported"] == 3, job.result
    exported = manager.get("/training/questions/export/").content
    file = io.BytesIO(exported)
    file.name = "questions.xlsx"
    job = _upload(manager, "/training/questions/import/", world.a.team, file)
    assert job.status == Job.Status.SUCCEEDED, job.result
    assert _questions(world.a.team) == _questions(world.a.mine) and len(_questions(world.a.team)) == 3


def test_standard_template_imports_and_exports_as_the_same_structure(world):
    structure, errors = standards_io.parse_workbook(standards_io.import_template())
    assert errors == []
    again, errors = standards_io.parse_workbook(standards_io.workbook_of(structure))
    assert errors == [] and again == structure
    assert structure["versions"][0]["parts"][0]["items"][0]["is_veto"] is True
    assert standards.CODE_RE.match(structure["code"])


def test_a_refused_file_leads_back_to_its_own_import_page(world, manager):
    with translation.override("zh-hans"):
        template = manager.get("/training/sessions/import/template/").content
    job = _upload(
        manager, "/training/sessions/import/", world.a.mine, _fill(template, [["往返培训", "", "", "明天"]])
    )
    assert job.status == Job.Status.FAILED and job.result["errors"]
    page = manager.get(f"/jobs/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()  # the job's part
    assert 'data-testid="import-errors"' in page and 'href="/training/sessions/import/"' in page
    assert "/people/import/" not in page


def test_the_guide_sheet_shows_examples_which_are_never_imported(manager):
    wb = load_workbook(
        io.BytesIO(manager.get("/people/import/template/", HTTP_ACCEPT_LANGUAGE="zh-hans").content)
    )
    sheet, guide = wb.worksheets
    assert sheet.max_row == 1
    assert [r[4].value for r in guide.iter_rows(min_row=2, max_row=4)] == [
        "张三",
        "11010519491231002X",
        "A0001",
    ]
