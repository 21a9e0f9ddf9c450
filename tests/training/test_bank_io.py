"""Question bank Excel import (a job: all rows or none, each bad row reported) and export."""

from __future__ import annotations

import io

import pytest
from django.test import TestCase
from django.utils import translation
from openpyxl import Workbook, load_workbook

from compliance.audit.models import AuditEvent
from compliance.jobs.models import Job
from compliance.training import bank, bank_io
from compliance.training.models import Question
from tenants import roles
from tenants.scope import activate, dangerously_platform_scope

from ..conftest import login

pytestmark = pytest.mark.django_db

with translation.override("zh-hans"):
    HEADER = [str(c.label) for c in bank_io.COLUMNS]


def xlsx(rows, header=HEADER) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "questions.xlsx"
    return out


def row(n, **overrides):
    cells = {
        "type": "单选题",
        "stem": f"第{n}题：提升机的保险闸应当多久试验一次？",
        "option_a": "每班",
        "option_b": "每天",
        "option_c": "每周",
        "option_d": "",
        "option_e": "",
        "option_f": "",
        "answer": "B",
        "explanation": "依据《煤矿安全规程》。",
        "post_categories": "特种作业人员、其他从业人员",
        "mine_types": "井工煤矿",
        "topic": "提升运输",
        "difficulty": 2,
    }
    cells.update(overrides)
    return [cells[c.key] for c in bank_io.COLUMNS]


def upload(client, org_unit, file):
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post("/training/questions/import/", {"org_unit": str(org_unit.pk), "file": file})
    assert response.status_code == 302, response.content.decode()[:500]
    job_id = response["Location"].rstrip("/").split("/")[-1]
    with dangerously_platform_scope():
        return Job.objects.get(pk=job_id)


def imported():
    with dangerously_platform_scope():
        return Question.objects.count()


@pytest.fixture
def manager(world):
    return login(world.a.users[roles.SAFETY_MANAGER])


def test_template_opens_in_openpyxl_with_headers_examples_and_a_guide(manager):
    response = manager.get("/training/questions/import/template/")
    assert response.status_code == 200
    assert response["Content-Type"] == bank_io.XLSX
    wb = load_workbook(io.BytesIO(response.content))
    sheet, guide = wb.worksheets
    assert [c.value for c in sheet[1]] == HEADER
    assert [c.value for c in sheet[1]][:2] == ["题型", "题干"] and "答案" in HEADER and "选项F" in HEADER
    assert sheet.max_row == 1 + len(bank_io.EXAMPLES)
    assert sheet["A2"].value == "单选题" and sheet["I3"].value == "ABCD"
    guide_text = " ".join(str(c.value) for r in guide.iter_rows() for c in r if c.value)
    assert "判断题" in guide_text and "岗位类别" in guide_text


def test_the_template_itself_imports_nothing_but_its_examples_are_valid(world, manager):
    """The example rows are skipped; filled in with new stems, they import."""
    wb = load_workbook(io.BytesIO(manager.get("/training/questions/import/template/").content))
    rows = [[c.value for c in r] for r in wb.worksheets[0].iter_rows(min_row=2)]
    job = upload(manager, world.a.mine, xlsx(rows))
    assert job.status == Job.Status.FAILED and imported() == 0  # nothing left to import
    for index, cells in enumerate(rows):
        cells[1] = f"新{index}{cells[1]}"
    job = upload(manager, world.a.mine, xlsx(rows))
    assert job.status == Job.Status.SUCCEEDED, job.result
    assert job.result["questions_imported"] == 3 and imported() == 3


def test_good_file_imports_every_row_with_tags_answers_and_audit(world, manager):
    rows = [row(n) for n in range(1, 26)]
    rows.append(row(90, type="多选", option_d="每月", answer="A, C、D", difficulty="难"))
    rows.append(
        row(91, type="判断题", option_a="", option_b="", option_c="", answer="错误", post_categories="")
    )
    job = upload(manager, world.a.mine, xlsx(rows))
    assert job.status == Job.Status.SUCCEEDED, job.result
    assert job.result["questions_imported"] == 27 and job.progress == 100
    with dangerously_platform_scope():
        single = Question.objects.get(stem=row(1)[1])
        assert single.org_unit == world.a.mine and single.version == 1 and single.is_current
        assert single.post_categories == ["special_operation", "other"]
        assert single.mine_types == ["coal_underground"] and single.topic == "提升运输"
        assert list(single.options.values_list("text", "is_correct")) == [
            ("每班", False),
            ("每天", True),
            ("每周", False),
        ]
        multiple = Question.objects.get(stem=row(90)[1])
        assert multiple.type == "multiple" and multiple.difficulty == 3
        assert list(multiple.options.filter(is_correct=True).values_list("text", flat=True)) == [
            "每班",
            "每周",
            "每月",
        ]
        true_false = Question.objects.get(stem=row(91)[1])
        assert list(true_false.options.values_list("text", "is_correct")) == [("正确", False), ("错误", True)]
        assert true_false.post_categories == []
        assert AuditEvent.objects.filter(action="create", object_type="training.Question").count() == 27
        assert AuditEvent.objects.filter(action="import", object_type="training.Question").count() == 1
    page = manager.get(f"/jobs/{job.pk}/").content.decode()
    assert "27" in page and "/training/questions/" in page


def test_one_bad_row_imports_nothing_and_every_problem_is_listed(world, manager):
    rows = [row(n) for n in range(1, 8)]
    rows[0][0] = "问答题"  # row 2: unknown type
    rows[1][8] = "E"  # row 3: answer names an empty option
    rows[2][8] = "AB"  # row 4: two correct answers on a single choice
    rows[3][10] = "矿长"  # row 5: not a post category
    rows[4][1] = rows[5][1]  # row 6 and row 7 share a stem → row 7 reported
    rows.append(row(20, type="判断", option_a="", option_b="", option_c="", answer="也许"))  # row 9
    rows.append(row(21, option_b="", answer="A"))  # row 10: gap at B
    rows.append(row(22, difficulty=5))  # row 11
    with translation.override("zh-hans"):
        job = upload(manager, world.a.mine, xlsx(rows))
    assert job.status == Job.Status.FAILED
    assert imported() == 0
    problems = {(e["row"], e["column"]) for e in job.result["errors"]}
    expected = {
        (2, "题型"),
        (3, "答案"),
        (4, "答案"),
        (5, "岗位类别"),
        (7, "题干"),
        (9, "答案"),
        (10, "选项A"),
        (11, "难度"),
    }
    assert expected <= problems, problems
    rows_reported = {r for r, _c in problems}
    assert 8 not in rows_reported  # the good row is not blamed
    messages = {e["row"]: e["message"] for e in job.result["errors"]}
    assert "单选题有且只有一个正确选项" in messages[4]
    page = manager.get(f"/jobs/{job.pk}/").content.decode()
    assert "/training/questions/import/" in page


def test_a_stem_already_in_the_bank_is_refused(world, manager):
    with activate(world.a.scope(roles.SAFETY_MANAGER)):
        bank.create_question(
            world.a.mine,
            {"type": "true_false", "stem": row(1)[1]},
            bank.true_false_options(True),
        )
    job = upload(manager, world.a.mine, xlsx([row(1), row(2)]))
    assert job.status == Job.Status.FAILED and imported() == 1
    assert [e["row"] for e in job.result["errors"]] == [2]


def test_missing_columns_and_unreadable_files_are_reported(world, manager):
    job = upload(manager, world.a.mine, xlsx([row(1)], header=["题型", "题干"]))
    assert job.status == Job.Status.FAILED and "答案" in job.message
    job = upload(manager, world.a.mine, xlsx([], header=HEADER))
    assert job.status == Job.Status.FAILED and imported() == 0


def test_import_needs_manage_training_and_a_unit_in_scope(world):
    auditor = login(world.a.users[roles.HQ_AUDITOR])
    assert auditor.get("/training/questions/import/").status_code == 403
    manager = login(world.a.users[roles.SAFETY_MANAGER])
    response = manager.post(
        "/training/questions/import/", {"org_unit": str(world.b.mine.pk), "file": xlsx([row(1)])}
    )
    assert response.status_code == 404
    # A unit the manager sees but does not manage (the group HQ is above their mine): refused.
    response = manager.post(
        "/training/questions/import/", {"org_unit": str(world.a.hq.pk), "file": xlsx([row(1)])}
    )
    assert response.status_code in (403, 404)
    assert imported() == 0


def test_export_round_trips_the_filtered_bank_and_is_audited(world, manager):
    upload(
        manager,
        world.a.mine,
        xlsx([row(1), row(2, topic="通风"), row(3, type="多选", option_d="每月", answer="ACD")]),
    )
    response = manager.get("/training/questions/export/", {"topic": "提升运输"})
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).worksheets[0]
    values = [[c.value for c in r] for r in ws.iter_rows()]
    assert len(values) == 3  # header + the two questions of the topic
    by_stem = {r[1]: r for r in values[1:]}
    assert by_stem[row(3)[1]][8] == "ACD" and by_stem[row(1)[1]][8] == "B"
    with dangerously_platform_scope():
        assert AuditEvent.objects.filter(action="export", object_type="training.Question").count() == 1
    # Exported rows import again (into another bank: the stems are new there).
    admin = login(world.a.users[roles.TENANT_ADMIN])
    job = upload(admin, world.a.other_mine, _named(response.content))
    assert job.status == Job.Status.SUCCEEDED, job.result
    assert job.result["questions_imported"] == 2


def _named(content: bytes) -> io.BytesIO:
    out = io.BytesIO(content)
    out.name = "export.xlsx"
    return out


def test_export_is_refused_to_regulators_and_workers(world):
    for user in (world.regulator_in, world.a.users[roles.WORKER]):
        assert login(user).get("/training/questions/export/").status_code == 403


def test_headers_in_english_or_with_spaces_are_recognised(world, manager):
    with translation.override("en"):
        english = [str(c.label) for c in bank_io.COLUMNS]
    spaced = [h.replace("选项", "选项 ") for h in HEADER]
    job = upload(manager, world.a.mine, xlsx([row(1)], header=english))
    assert job.status == Job.Status.SUCCEEDED, job.result
    job = upload(manager, world.a.mine, xlsx([row(2)], header=spaced))
    assert job.status == Job.Status.SUCCEEDED, job.result
    assert imported() == 2
