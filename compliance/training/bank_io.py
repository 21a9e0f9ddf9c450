"""The question bank in and out of Excel (.xlsx).

An import checks every row and either adds all of its questions or none, listing each bad row with
its row number, column and reason. It runs as a background job with a progress bar, like the people
import (``tenants.people_io``). The export writes the same columns, so an exported bank can be
edited and imported again.

Columns: 题型, 题干, 选项A … 选项F, 答案 ("A", "ABD", 正确/错误), 解析, 岗位类别, 矿山类型, 专题, 难度.
Several post categories or mine types go in one cell separated by 、 or commas; empty means "any".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import override as translation_override

from compliance.audit.services import PendingEvent, audit_record, audit_record_many
from compliance.imports import writer
from compliance.imports.columns import CHOICE, Column
from compliance.imports.importers import Importer, register_importer, start_import
from compliance.imports.reader import read_rows
from compliance.imports.rows import Problems, nothing_to_import, parse_cells, report_progress, row_is_empty
from compliance.imports.template import template_workbook
from compliance.imports.writer import new_workbook, workbook_bytes
from compliance.jobs.models import Job
from compliance.jobs.services import JobRejected
from compliance.training import permissions as training_perms
from tenants import roles
from tenants.models import OrgUnit
from tenants.scope import Scope, current_scope

from . import bank
from .models import MineType, PostCategory, Question, QuestionOption

XLSX = writer.XLSX
IMPORT_KIND = "question_import"
MAX_ROWS = 5000


# Spellings common in Chinese question-bank sheets, besides the labels in either language.
TYPE_ALIASES = {
    "单选": Question.Type.SINGLE,
    "单项选择": Question.Type.SINGLE,
    "单项选择题": Question.Type.SINGLE,
    "多选": Question.Type.MULTIPLE,
    "多项选择": Question.Type.MULTIPLE,
    "多项选择题": Question.Type.MULTIPLE,
    "判断": Question.Type.TRUE_FALSE,
}
TRUE_ANSWERS = {bank.TRUE_TEXT, "对", "√", "✓", "t", "true", "y", "yes", "是"}
FALSE_ANSWERS = {bank.FALSE_TEXT, "错", "×", "✗", "x", "f", "false", "n", "no", "否"}
DIFFICULTY_ALIASES = {
    "易": 1,
    "简单": 1,
    "容易": 1,
    "中": 2,
    "中等": 2,
    "一般": 2,
    "难": 3,
    "困难": 3,
    "较难": 3,
}


def _choice_labels(choices) -> str:
    return "、".join(str(label) for _v, label in choices.choices)


# Guide lines with the values filled in when the template is made, in the user's language.
TYPE_HELP = lazy(lambda: _("One of: %(types)s.") % {"types": _choice_labels(Question.Type)}, str)()
ANSWER_HELP = lazy(
    lambda: (
        _(
            "The letters of the correct options: one letter for single choice (e.g. C), at least "
            "two for multiple choice (e.g. ABD); %(t)s or %(f)s for true/false."
        )
        % {"t": bank.TRUE_TEXT, "f": bank.FALSE_TEXT}
    ),
    str,
)()
POST_HELP = lazy(
    lambda: (
        _("Who the question is for, separated by 、: %(values)s. Empty: everyone.")
        % {"values": _choice_labels(PostCategory)}
    ),
    str,
)()
MINE_HELP = lazy(
    lambda: (
        _("Which mines it is for, separated by 、: %(values)s. Empty: every mine type.")
        % {"values": _choice_labels(MineType)}
    ),
    str,
)()
OPTIONS_HELP = gettext_lazy(
    "The options of a single- or multiple-choice question, from A on without gaps: "
    "single choice 2–6 options, multiple choice 3–6. Leave empty for true/false."
)

OPTION_KEYS = [f"option_{letter.lower()}" for letter in bank.OPTION_LETTERS]
COLUMNS = [
    Column("type", gettext_lazy("Question type"), True, 10, kind=CHOICE, choices=Question.Type,
           aliases=TYPE_ALIASES, help=TYPE_HELP),
    Column("stem", gettext_lazy("Stem"), True, 48, help=gettext_lazy("The question itself.")),
    Column("option_a", gettext_lazy("Option A"), False, 18, help=OPTIONS_HELP),
    Column("option_b", gettext_lazy("Option B"), False, 18),
    Column("option_c", gettext_lazy("Option C"), False, 18),
    Column("option_d", gettext_lazy("Option D"), False, 18),
    Column("option_e", gettext_lazy("Option E"), False, 18),
    Column("option_f", gettext_lazy("Option F"), False, 18),
    Column("answer", gettext_lazy("Answer"), True, 8, help=ANSWER_HELP),
    Column("explanation", gettext_lazy("Explanation"), False, 30,
           help=gettext_lazy("Shown after submission when the paper allows it. Optional.")),
    Column("post_categories", gettext_lazy("Post category"), False, 18, kind=CHOICE, many=True,
           choices=PostCategory, help=POST_HELP),
    Column("mine_types", gettext_lazy("Mine type"), False, 18, kind=CHOICE, many=True, choices=MineType,
           help=MINE_HELP),
    Column("topic", gettext_lazy("Topic"), False, 14,
           help=gettext_lazy("A short topic name used by paper blueprints, e.g. 瓦斯防治. Optional.")),
    Column("difficulty", gettext_lazy("Difficulty"), False, 8,
           help=gettext_lazy("1 (easy), 2 (medium) or 3 (hard). Empty: 2.")),
]  # fmt: skip
# The template's example rows are recognised by their stems and skipped, so a forgotten example
# is never imported.
EXAMPLES = [
    [
        "single",
        "煤矿井下瓦斯浓度达到多少时，必须停止作业、撤出人员？",
        "0.5%",
        "1.0%",
        "1.5%",
        "2.0%",
        "",
        "",
        "C",
        "《煤矿安全规程》规定，采掘工作面风流中瓦斯浓度达到1.5%时必须停止工作、撤出人员。",
        ["special_operation", "other"],
        ["coal_underground"],
        "瓦斯防治",
        2,
    ],
    [
        "multiple",
        "下列哪些属于矿井“一通三防”的内容？",
        "通风",
        "防瓦斯",
        "防煤尘",
        "防灭火",
        "防水",
        "",
        "ABCD",
        "“一通三防”指通风、防瓦斯、防煤尘、防灭火。",
        [],
        ["coal_underground", "coal_open_pit"],
        "一通三防",
        1,
    ],
    [
        "true_false",
        "特种作业人员必须经专门的安全技术培训并考核合格，取得特种作业操作证后方可上岗作业。",
        "",
        "",
        "",
        "",
        "",
        "",
        bank.TRUE_TEXT,
        "",
        ["special_operation"],
        [],
        "法律法规",
        1,
    ],
]
EXAMPLE_STEMS = {row[1] for row in EXAMPLES}


def _zh(label) -> str:
    with translation_override("zh-hans"):
        return str(label)


# --- template --------------------------------------------------------------------------------------
def _example_cells(row: list) -> list:
    cells = list(row)
    cells[0] = _zh(Question.Type(row[0]).label)
    cells[10] = "、".join(_zh(PostCategory(v).label) for v in row[10])
    cells[11] = "、".join(_zh(MineType(v).label) for v in row[11])
    return cells


def import_template() -> bytes:
    """The sheet to fill in: headers, example rows (skipped on import), and a guide to every column."""
    return template_workbook(
        title=_("Question bank"),
        columns=COLUMNS,
        examples=[_example_cells(row) for row in EXAMPLES],
        notes=[_("The example rows on the first sheet are skipped on import; you may leave or delete them.")],
    )


# --- import ------------------------------------------------------------------------------------------
def question_import_start(*, scope: Scope, user, org_unit: OrgUnit, upload) -> Job:
    scope.require(training_perms.MANAGE_TRAINING, org_unit)
    return start_import(scope=scope, user=user, kind=IMPORT_KIND, org_unit=org_unit, upload=upload)


@dataclass
class ImportPlan:
    questions: list[Question]
    options: list[QuestionOption]


def parse_row(
    values: dict, problems: list[tuple[str, str]]
) -> tuple[dict, list[dict], list[tuple[str, str]]]:
    """One sheet row, as ``parse_cells`` read it, → (question data, options, [(column key, problem)])."""
    errors = list(problems)
    qtype = values["type"]
    if not qtype and "type" not in {key for key, _m in errors}:
        errors.append(("type", _("Enter the question type.")))
    difficulty: object = values["difficulty"] or 2
    if isinstance(difficulty, str) and difficulty in DIFFICULTY_ALIASES:
        difficulty = DIFFICULTY_ALIASES[difficulty]
    data = {
        "type": qtype,
        "stem": values["stem"],
        "explanation": values["explanation"],
        "topic": values["topic"],
        "difficulty": difficulty,
        "post_categories": values["post_categories"],
        "mine_types": values["mine_types"],
    }
    answer = values["answer"].strip()
    options: list[dict] = []
    if qtype == Question.Type.TRUE_FALSE:
        word = answer.lower()
        if word in TRUE_ANSWERS:
            options = bank.true_false_options(True)
        elif word in FALSE_ANSWERS:
            options = bank.true_false_options(False)
        else:
            message = _("The answer of a true/false question is %(t)s or %(f)s.")
            errors.append(("answer", message % {"t": bank.TRUE_TEXT, "f": bank.FALSE_TEXT}))
    elif qtype:
        texts = [values[key] for key in OPTION_KEYS]
        last = max((i for i, t in enumerate(texts) if t), default=-1)
        gaps = [bank.OPTION_LETTERS[i] for i in range(last + 1) if not texts[i]]
        if gaps:
            message = _("Option %(letters)s is empty: fill the options from A on without gaps.")
            errors.append(("option_a", message % {"letters": "、".join(gaps)}))
        letters = [c for c in re.sub(r"[\s,，、]", "", answer).upper()]
        bad = [c for c in letters if c not in bank.OPTION_LETTERS[: last + 1]]
        if not letters:
            errors.append(("answer", _("Enter the letters of the correct options, e.g. A or ABD.")))
        elif bad:
            errors.append(
                ("answer", _("The answer names options that are not filled in: %(v)s") % {"v": "".join(bad)})
            )
        elif len(set(letters)) != len(letters):
            errors.append(("answer", _("The answer names an option twice.")))
        options = [
            {"text": text, "is_correct": bank.OPTION_LETTERS[i] in letters}
            for i, text in enumerate(texts[: last + 1])
        ]
    return data, options, errors


def _column_for(field: str) -> str:
    # A service error on the options is about the answer as much as the option cells.
    return {"options": "answer"}.get(field, field)


def question_import_prepare(job: Job, progress) -> ImportPlan:
    scope = current_scope()
    unit = OrgUnit.objects.filter(pk=job.org_unit_id).first()
    if unit is None or not scope.has_perm(training_perms.MANAGE_TRAINING, unit.path, unit.tenant_id):
        raise JobRejected(_("You may no longer import into this unit."), {"errors": []})
    lookups = {c.key: c.lookup() for c in COLUMNS if c.kind == CHOICE}
    # A stem already current in this unit's bank is refused: a blueprint would draw it twice.
    existing = set(Question.objects.filter(org_unit=unit, is_current=True).values_list("stem", flat=True))

    rows, index = read_rows(job, COLUMNS)
    rows = list(rows)
    if len(rows) > MAX_ROWS:
        message = _("The file has more than %(n)d rows; split it into smaller files.") % {"n": MAX_ROWS}
        raise JobRejected(message, {"errors": [{"row": None, "column": "", "message": message}]})
    questions, options, errors = [], [], Problems(COLUMNS)
    seen: dict[str, int] = {}
    for offset, row in enumerate(rows):
        row_no = offset + 2  # row 1 is the header
        report_progress(progress, offset + 1, len(rows))
        if row_is_empty(row):
            continue
        values, problems = parse_cells(COLUMNS, row, index, lookups, require=False)
        if values["stem"] in EXAMPLE_STEMS:
            continue
        data, row_options, row_errors = parse_row(values, problems)
        if not row_errors:
            try:
                question, built = bank.build_question(
                    org_unit=unit, data=data, options=row_options, by=job.created_by
                )
            except ValidationError as exc:
                row_errors.extend((_column_for(f), m) for f, ms in exc.message_dict.items() for m in ms)
            else:
                stem = question.stem
                if stem in existing:
                    row_errors.append(
                        ("stem", _("The bank of this unit already holds a question with this stem."))
                    )
                elif stem in seen:
                    row_errors.append(("stem", _("Same stem as row %(r)d.") % {"r": seen[stem]}))
                seen.setdefault(stem, row_no)
                questions.append(question)
                options.extend(built)
        errors.extend(row_no, row_errors)
    if errors:
        raise errors.rejected(imported=0)
    if not questions:
        raise nothing_to_import(imported=0)
    return ImportPlan(questions=questions, options=options)


def question_import_apply(job: Job, plan: ImportPlan) -> dict:
    Question.objects.bulk_create(plan.questions)
    QuestionOption.objects.bulk_create(plan.options)
    by_question: dict = {}
    for option in plan.options:
        by_question.setdefault(option.question_id, []).append(option)
    events = [
        PendingEvent(action="create", obj=q, after=bank.question_snapshot(q, by_question.get(q.pk, [])))
        for q in plan.questions
    ]
    events.append(
        PendingEvent(
            action="import",
            obj=job.org_unit,
            object_type="training.Question",
            object_repr=job.params.get("filename", ""),
            after={"job": str(job.pk), "rows": len(plan.questions)},
        )
    )
    audit_record_many(events)
    return {"questions_imported": len(plan.questions), "errors": []}


register_importer(
    Importer(
        kind=IMPORT_KIND,
        perm=training_perms.MANAGE_TRAINING,
        start=question_import_start,
        prepare=question_import_prepare,
        apply=question_import_apply,
        template=import_template,
        template_filename="question-template.xlsx",
        form="compliance.training.bank_forms.ImportForm",
        page_template="training/question_import.html",
        page_url_name="training:question-import",
        result_template="training/_question_import_result.html",
        # The uploaded sheet holds the answer key: downloading it needs the right to read the bank.
        input_perm=training_perms.VIEW_QUESTION_BANK,
        label=gettext_lazy("Import of questions"),
    )
)


# --- export ---------------------------------------------------------------------------------------------
def _answer_of(question: Question, options: list[QuestionOption]) -> str:
    if question.type == Question.Type.TRUE_FALSE:
        return next((o.text for o in options if o.is_correct), "")
    return "".join(
        bank.OPTION_LETTERS[i] for i, o in enumerate(options) if o.is_correct and i < bank.MAX_OPTIONS
    )


def question_export(*, scope: Scope, questions) -> bytes:
    """The current questions the caller sees, answers included, in the import's columns; audited."""
    scope.require(training_perms.VIEW_QUESTION_BANK)
    post_labels = dict(PostCategory.choices)
    mine_labels = dict(MineType.choices)
    wb = new_workbook(write_only=True)
    ws = wb.create_sheet(_("Question bank"))
    ws.append([str(c.label) for c in COLUMNS])
    count = 0
    for question in questions.prefetch_related("options"):
        options = list(question.options.all())
        texts = [o.text for o in options] if question.type != Question.Type.TRUE_FALSE else []
        texts = (texts + [""] * bank.MAX_OPTIONS)[: bank.MAX_OPTIONS]
        ws.append(
            [
                question.get_type_display(),
                question.stem,
                *texts,
                _answer_of(question, options),
                question.explanation,
                "、".join(str(post_labels.get(v, v)) for v in question.post_categories),
                "、".join(str(mine_labels.get(v, v)) for v in question.mine_types),
                question.topic,
                question.difficulty,
            ]
        )
        count += 1
    content = workbook_bytes(wb)
    paths = [g.path for g in scope.grants if training_perms.VIEW_QUESTION_BANK in roles.perms_of(g.role)]
    audit_record(
        action="export",
        tenant_id=scope.tenant_id,
        object_type="training.Question",
        object_repr=_("Question bank"),
        after={"rows": count},
        org_path=min(paths, key=len) if paths else "",
    )
    return content
