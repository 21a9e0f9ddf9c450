"""The question bank (题库) and exam papers (试卷): every write, validated, audited, in one transaction.

A question is never changed in place. ``edit_question`` adds a new version to the question's
family and marks the old one as no longer current; old versions stay exactly as they were, so an
attempt that showed version 1 still shows (and is graded against) version 1. ``retire_question``
leaves a family with no current version: it is never drawn again but stays readable in its history.

Rules for a valid question (decided here; the issue names the types only):

- single choice (单选题): 2–6 options, exactly one correct;
- multiple choice (多选题): 3–6 options, at least two correct (a "multiple" question with one
  correct answer would be a single-choice question in disguise);
- true/false (判断题): exactly the two options 正确 and 错误, one of them correct;
- a stem; difficulty 1 (easy) to 3 (hard); tags only from the post categories and mine types the
  platform knows (an empty tag list means "any").

A paper's blueprint must add up to 100 points, because its pass mark is "of 100".
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance.audit.services import audit_record
from compliance.training import permissions as training_perms
from tenants.models import OrgUnit
from tenants.scope import Scope, current_scope

from .models import ExamPaper, MineType, PaperSection, PostCategory, Question, QuestionOption
from .packs import pack_for_unit

MAX_OPTIONS = 6
OPTION_LETTERS = "ABCDEF"
# The option texts of a true/false question: stored data of a Chinese bank, not interface text.
TRUE_TEXT = "正确"
FALSE_TEXT = "错误"
QUESTION_FIELDS = ("type", "stem", "explanation", "post_categories", "mine_types", "topic", "difficulty")
TOTAL_POINTS = Decimal(100)


def _scope(scope: Scope | None) -> Scope:
    return scope if scope is not None else current_scope()


def true_false_options(answer_true: bool) -> list[dict]:
    return [
        {"text": TRUE_TEXT, "is_correct": bool(answer_true)},
        {"text": FALSE_TEXT, "is_correct": not answer_true},
    ]


def question_snapshot(question: Question, options=None) -> dict:
    """What the audit trail records of one version (answers included: the trail is not public)."""
    options = options if options is not None else list(question.options.all())
    data = {name: getattr(question, name) for name in QUESTION_FIELDS}
    data.update(
        family=str(question.family),
        version=question.version,
        is_current=question.is_current,
        org_unit=str(question.org_unit_id),
        options=[{"text": o.text, "is_correct": o.is_correct} for o in options],
    )
    return data


# --- validation -------------------------------------------------------------------------------------
def _tag_list(value, allowed, field: str, label: str, errors: dict) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [value]
    items = []
    for item in value:
        item = str(item).strip()
        if not item:
            continue
        if item not in allowed:
            errors.setdefault(field, []).append(
                _("%(value)s is not a known %(what)s.") % {"value": item, "what": label}
            )
        elif item not in items:
            items.append(item)
    return items


def validate_question(data: dict, options: list[dict]) -> tuple[dict, list[dict]]:
    """Clean one question's fields and options, or raise ValidationError field by field.

    ``options`` is a list of ``{"text", "is_correct"}`` in display order; blank rows are dropped.
    Option problems are reported under the key ``options``.
    """
    errors: dict[str, list] = {}
    cleaned: dict = {}
    qtype = str(data.get("type") or "").strip()
    if qtype not in Question.Type.values:
        errors["type"] = [_("Choose the question type: single choice, multiple choice or true/false.")]
    cleaned["type"] = qtype
    stem = str(data.get("stem") or "").strip()
    if not stem:
        errors["stem"] = [_("Enter the question stem.")]
    cleaned["stem"] = stem
    cleaned["explanation"] = str(data.get("explanation") or "").strip()
    topic = str(data.get("topic") or "").strip()
    if len(topic) > 64:
        errors["topic"] = [_("A topic has at most 64 characters.")]
    cleaned["topic"] = topic
    difficulty = data.get("difficulty")
    if difficulty in (None, ""):
        difficulty = 2
    try:
        difficulty = int(difficulty)
    except (TypeError, ValueError):
        difficulty = None
    if difficulty not in (1, 2, 3):
        errors["difficulty"] = [_("Difficulty is 1 (easy), 2 (medium) or 3 (hard).")]
    cleaned["difficulty"] = difficulty
    cleaned["post_categories"] = _tag_list(
        data.get("post_categories"), PostCategory.values, "post_categories", _("post category"), errors
    )
    cleaned["mine_types"] = _tag_list(
        data.get("mine_types"), MineType.values, "mine_types", _("mine type"), errors
    )

    rows = []
    for index, option in enumerate(options or []):
        text = str(option.get("text") or "").strip()
        correct = bool(option.get("is_correct"))
        if not text:
            if correct:
                errors.setdefault("options", []).append(
                    _("Option %(letter)s is marked correct but has no text.")
                    % {"letter": OPTION_LETTERS[index] if index < MAX_OPTIONS else index + 1}
                )
            continue
        if len(text) > 500:
            errors.setdefault("options", []).append(_("An option has at most 500 characters."))
        rows.append({"text": text, "is_correct": correct})
    texts = [r["text"] for r in rows]
    if len(set(texts)) != len(texts):
        errors.setdefault("options", []).append(_("Two options have the same text."))
    if len(rows) > MAX_OPTIONS:
        errors.setdefault("options", []).append(
            _("A question has at most %(n)d options (A–F).") % {"n": MAX_OPTIONS}
        )
    correct = sum(1 for r in rows if r["is_correct"])
    if qtype == Question.Type.SINGLE:
        if len(rows) < 2:
            errors.setdefault("options", []).append(_("A single-choice question needs at least 2 options."))
        if correct != 1:
            errors.setdefault("options", []).append(
                _("A single-choice question has exactly one correct option; %(n)d are marked.")
                % {"n": correct}
            )
    elif qtype == Question.Type.MULTIPLE:
        if len(rows) < 3:
            errors.setdefault("options", []).append(_("A multiple-choice question needs at least 3 options."))
        if correct < 2:
            errors.setdefault("options", []).append(
                _("A multiple-choice question has at least two correct options; %(n)d are marked.")
                % {"n": correct}
            )
    elif qtype == Question.Type.TRUE_FALSE:
        if sorted(texts) != sorted([TRUE_TEXT, FALSE_TEXT]) or correct != 1:
            errors.setdefault("options", []).append(
                _("A true/false question has exactly the two options %(t)s and %(f)s, one of them correct.")
                % {"t": TRUE_TEXT, "f": FALSE_TEXT}
            )
        else:  # always shown in the same order: 正确 first
            rows.sort(key=lambda r: r["text"] != TRUE_TEXT)
    if errors:
        raise ValidationError(errors)
    return cleaned, rows


def _check_unit(scope: Scope, org_unit: OrgUnit) -> None:
    if org_unit is None:
        raise ValidationError({"org_unit": _("Choose the unit whose bank holds the question.")})
    scope.require(training_perms.MANAGE_TRAINING, org_unit)


def _build(org_unit: OrgUnit, cleaned: dict, rows: list[dict], by, *, family=None, version=1):
    question = Question(
        tenant_id=org_unit.tenant_id, org_unit=org_unit, created_by=by, version=version, **cleaned
    )
    if family is not None:
        question.family = family
    options = [
        QuestionOption(
            tenant_id=org_unit.tenant_id,
            question=question,
            position=position,
            text=row["text"],
            is_correct=row["is_correct"],
        )
        for position, row in enumerate(rows, start=1)
    ]
    return question, options


def build_question(*, org_unit: OrgUnit, data: dict, options: list[dict], by=None):
    """Validate and build (unsaved) one question and its options — for imports that save in bulk."""
    cleaned, rows = validate_question(data, options)
    return _build(org_unit, cleaned, rows, by)


# --- questions ---------------------------------------------------------------------------------------
@transaction.atomic
def create_question(
    org_unit: OrgUnit | None = None,
    data: dict | None = None,
    options: list[dict] | None = None,
    by=None,
    *,
    scope: Scope | None = None,
) -> Question:
    """A new question (version 1 of a new family) in ``org_unit``'s bank."""
    scope = _scope(scope)
    _check_unit(scope, org_unit)
    question, rows = build_question(org_unit=org_unit, data=data or {}, options=options or [], by=by)
    question.full_clean(exclude=["tenant", "org_unit", "created_by"])
    question.save()
    QuestionOption.objects.bulk_create(rows)
    audit_record(action="create", obj=question, after=question_snapshot(question, rows))
    return question


@transaction.atomic
def edit_question(
    question: Question,
    data: dict | None = None,
    options: list[dict] | None = None,
    by=None,
    *,
    scope: Scope | None = None,
) -> Question:
    """Save an edit as the family's next version; the edited version is kept as it was.

    Only the current version can be edited. An edit that changes nothing returns the question
    unchanged and records nothing.
    """
    scope = _scope(scope)
    _check_unit(scope, question.org_unit)
    # Lock the family's current row so two concurrent edits cannot both make "version 2".
    current = Question.objects.select_for_update().filter(family=question.family, is_current=True).first()
    if current is None or current.pk != question.pk:
        raise ValidationError(
            _("This is not the current version of the question (it was edited or retired meanwhile).")
        )
    cleaned, rows = validate_question(data or {}, options or [])
    old_options = list(current.options.all())
    before = question_snapshot(current, old_options)
    unchanged = {name: before[name] for name in QUESTION_FIELDS} == cleaned and before["options"] == rows
    if unchanged:
        return current
    next_version = (Question.objects.filter(family=current.family).aggregate(v=Max("version"))["v"] or 0) + 1
    Question.objects.filter(pk=current.pk).update(is_current=False)
    new, new_options = _build(
        current.org_unit, cleaned, rows, by, family=current.family, version=next_version
    )
    new.full_clean(exclude=["tenant", "org_unit", "created_by"])
    new.save()
    QuestionOption.objects.bulk_create(new_options)
    audit_record(action="update", obj=new, before=before, after=question_snapshot(new, new_options))
    return new


@transaction.atomic
def retire_question(question: Question, by=None, *, scope: Scope | None = None) -> Question:
    """Take a question out of the bank: no version stays current, the history stays readable."""
    scope = _scope(scope)
    _check_unit(scope, question.org_unit)
    current = Question.objects.select_for_update().filter(family=question.family, is_current=True).first()
    if current is None:
        raise ValidationError(_("This question is already retired."))
    before = question_snapshot(current)
    Question.objects.filter(pk=current.pk).update(is_current=False)
    current.is_current = False
    audit_record(action="update", obj=current, before=before, after=before | {"is_current": False})
    return current


# --- exam papers ---------------------------------------------------------------------------------------
PAPER_FIELDS = (
    "title",
    "duration_minutes",
    "pass_mark",
    "attempts_allowed",
    "shuffle_questions",
    "shuffle_options",
    "show_answers",
    "audience_post_categories",
    "opens_at",
    "closes_at",
    "issues_certificate",
    "certificate_operation_type",
    "is_spot_exam",
    "clears_suspension",
    "is_active",
)
SECTION_FIELDS = ("question_type", "post_category", "mine_type", "topic", "difficulty", "count", "points")


@dataclass
class SectionCheck:
    """One blueprint line with how many current questions in the bank match it."""

    section: PaperSection
    available: int | None  # None: the viewer may not see the bank

    @property
    def subtotal(self) -> Decimal:
        return Decimal(self.section.count or 0) * Decimal(self.section.points or 0)

    @property
    def short(self) -> bool:
        return self.available is not None and self.available < (self.section.count or 0)


def blueprint_total(sections) -> Decimal:
    return sum((Decimal(s.count or 0) * Decimal(s.points or 0) for s in sections), Decimal(0))


def blueprint_check(sections, *, scope: Scope | None = None) -> list[SectionCheck]:
    """Availability of each section in the bank (one count query per section)."""
    from .blueprint import section_candidates

    scope = _scope(scope)
    can_see_bank = scope.has_perm(training_perms.VIEW_QUESTION_BANK)
    return [
        SectionCheck(section=s, available=section_candidates(s).count() if can_see_bank else None)
        for s in sections
    ]


def _clean_sections(sections: list[dict], tenant_id, errors: dict) -> list[PaperSection]:
    built = []
    for position, row in enumerate(sections or [], start=1):
        section = PaperSection(tenant_id=tenant_id, position=position)
        for name in SECTION_FIELDS:
            value = row.get(name)
            if name in ("post_category", "mine_type", "topic"):
                value = str(value or "").strip()
            setattr(section, name, value)
        line = _("Section %(n)d") % {"n": position}
        if section.question_type not in Question.Type.values:
            errors.setdefault("sections", []).append(_("%(line)s: choose a question type.") % {"line": line})
        if section.post_category and section.post_category not in PostCategory.values:
            errors.setdefault("sections", []).append(_("%(line)s: unknown post category.") % {"line": line})
        if section.mine_type and section.mine_type not in MineType.values:
            errors.setdefault("sections", []).append(_("%(line)s: unknown mine type.") % {"line": line})
        if section.difficulty in ("", None):
            section.difficulty = None
        elif section.difficulty not in (1, 2, 3, "1", "2", "3"):
            errors.setdefault("sections", []).append(
                _("%(line)s: difficulty is 1, 2, 3 or any.") % {"line": line}
            )
        else:
            section.difficulty = int(section.difficulty)
        try:
            section.count = int(section.count)
            if section.count < 1:
                raise ValueError
        except (TypeError, ValueError):
            errors.setdefault("sections", []).append(
                _("%(line)s: the number of questions is a whole number of at least 1.") % {"line": line}
            )
            section.count = 0
        try:
            section.points = Decimal(str(section.points))
            if section.points <= 0 or section.points != section.points.quantize(Decimal("0.01")):
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors.setdefault("sections", []).append(
                _("%(line)s: points each must be above 0, with at most two decimals.") % {"line": line}
            )
            section.points = Decimal(0)
        built.append(section)
    if not built:
        errors.setdefault("sections", []).append(_("Add at least one blueprint section."))
        return built
    if not errors.get("sections"):
        # A paper that cannot be drawn would fail every worker who starts it: refuse it now.
        for number, check in enumerate(blueprint_check(built), start=1):
            if check.short:
                errors.setdefault("sections", []).append(
                    _(
                        "Section %(n)d needs %(count)d questions but the bank holds only "
                        "%(available)d that fit."
                    )
                    % {"n": number, "count": check.section.count, "available": check.available}
                )
    if not errors.get("sections"):
        total = blueprint_total(built)
        if total != TOTAL_POINTS:
            errors.setdefault("sections", []).append(
                _(
                    "The sections add up to %(total)s points; they must add up to exactly 100, "
                    "since the pass mark is out of 100."
                )
                % {"total": f"{total.normalize():f}"}
            )
    return built


def _clean_paper(scope: Scope, org_unit: OrgUnit, data: dict, units, people, errors: dict) -> dict:
    cleaned = {name: data[name] for name in PAPER_FIELDS if name in data}
    cleaned["title"] = str(cleaned.get("title") or "").strip()
    if not cleaned["title"]:
        errors["title"] = [_("Enter a title.")]
    categories = cleaned.get("audience_post_categories") or []
    bad = [c for c in categories if c not in PostCategory.values]
    if bad:
        errors["audience_post_categories"] = [_("Unknown post category: %(v)s") % {"v": "、".join(bad)}]
    cleaned["audience_post_categories"] = [c for c in categories if c in PostCategory.values]
    opens, closes = cleaned.get("opens_at"), cleaned.get("closes_at")
    if opens and closes and closes <= opens:
        errors["closes_at"] = [_("The paper must close after it opens.")]
    kind = cleaned.get("issues_certificate") or ""
    op_type = cleaned.get("certificate_operation_type") or ""
    # A group's own exam issues an internal training record, never a statutory certificate
    # (those are entered from the issuing authority: issue 14, point 9).
    if kind and kind not in ExamPaper.CertificateKind.values:
        errors["issues_certificate"] = [
            _(
                "A paper issues an internal training record only: statutory certificates (the "
                "managers' assessment, special operations) are recorded from the issuing authority."
            )
        ]
    elif not kind and op_type:
        errors["certificate_operation_type"] = [
            _("An operation type is named only for a paper that issues a training record.")
        ]
    errors.update(pack_minimum_errors(scope, org_unit, cleaned))
    if cleaned.get("is_spot_exam") and (categories or units or people):
        errors["is_spot_exam"] = [
            _("A spot-exam paper is drawn during inspections, not assigned: leave its audience empty.")
        ]
    for unit in units:
        if not unit.path.startswith(org_unit.path):
            errors.setdefault("audience_units", []).append(
                _("%(unit)s is not under %(paper_unit)s.") % {"unit": unit.name, "paper_unit": org_unit.name}
            )
    for person in people:
        if not person.org_unit.path.startswith(org_unit.path):
            errors.setdefault("audience_people", []).append(
                _("%(person)s is not under %(paper_unit)s.")
                % {"person": person.name, "paper_unit": org_unit.name}
            )
    return cleaned


def _pack_minimum(scope: Scope, org_unit: OrgUnit, values: dict):
    """The rule pack at ``org_unit`` today and the paper's values looser than it, by field (three
    queries)."""
    pack = pack_for_unit(scope=scope, unit=org_unit, day=timezone.localdate())
    if pack is None:
        return None, {}
    findings = {}
    pass_mark, attempts = values.get("pass_mark"), values.get("attempts_allowed")
    if isinstance(pass_mark, int) and pass_mark < pack.pass_mark:
        findings["pass_mark"] = [
            _("Pass mark %(value)d is below %(floor)d of %(pack)s: a paper may be stricter, never looser.")
            % {"value": pass_mark, "floor": pack.pass_mark, "pack": pack.name}
        ]
    if isinstance(attempts, int) and attempts > pack.attempts_allowed:
        findings["attempts_allowed"] = [
            _(
                "%(value)d attempts is more than the %(cap)d of %(pack)s: a paper may be stricter, "
                "never looser."
            )
            % {"value": attempts, "cap": pack.attempts_allowed, "pack": pack.name}
        ]
    return pack, findings


def pack_minimum_errors(scope: Scope, org_unit: OrgUnit, cleaned: dict) -> dict:
    """A paper may be stricter, never looser, than the rule pack that applies at its unit today
    (issue 14 point 11): a lower pass mark or more attempts is refused, field by field, naming the
    pack's figure. Only a verified pack refuses; an unverified one (待核实) leaves the paper as it
    is and ``pack_minimum_warnings`` says so (DESIGN.md "Rules as data")."""
    pack, findings = _pack_minimum(scope, org_unit, cleaned)
    return findings if pack is not None and pack.verified else {}


def pack_minimum_warnings(*, scope: Scope, paper: ExamPaper) -> list[str]:
    """What ``pack_minimum_errors`` would refuse in a saved paper when the pack at its unit is
    not verified: each as a warning naming the source to check (待核实). Shown after saving, on
    the paper's page and in the API's ``warnings``. Under a verified pack a looser paper can only
    be one saved before the pack was verified (or before it came into force): its finding shows as
    it is, and the next save refuses it. Three queries."""
    values = {"pass_mark": paper.pass_mark, "attempts_allowed": paper.attempts_allowed}
    pack, findings = _pack_minimum(scope, paper.org_unit, values)
    if pack is None:
        return []
    if pack.verified:
        return [finding for messages in findings.values() for finding in messages]
    source = pack.source or pack.document_no
    return [
        _("To be verified (%(source)s): %(finding)s Until the rule is verified the paper is kept as it is.")
        % {"source": source, "finding": finding}
        for messages in findings.values()
        for finding in messages
    ]


def paper_snapshot(paper: ExamPaper, sections, units, people) -> dict:
    data = {name: getattr(paper, name) for name in PAPER_FIELDS}
    data.update(
        org_unit=str(paper.org_unit_id),
        audience_units=sorted(str(u.pk) for u in units),
        audience_people=sorted(str(p.pk) for p in people),
        sections=[{name: getattr(s, name) for name in SECTION_FIELDS} for s in sections],
    )
    return data


def _save_paper(scope, paper, cleaned, sections, units, people, errors, *, replace_sections: bool):
    for name, value in cleaned.items():
        setattr(paper, name, value)
    try:
        paper.full_clean(exclude=["tenant", "org_unit", "audience_units", "audience_people"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    paper.save()
    if replace_sections:
        PaperSection.objects.filter(paper=paper).delete()
    for section in sections:
        section.paper = paper
    PaperSection.objects.bulk_create(sections)
    paper.audience_units.set(units)
    paper.audience_people.set(people)


@transaction.atomic
def paper_create(
    *,
    scope: Scope | None = None,
    org_unit: OrgUnit,
    data: dict,
    sections: list[dict],
    audience_units=(),
    audience_people=(),
) -> ExamPaper:
    scope = _scope(scope)
    if org_unit is None:
        raise ValidationError({"org_unit": _("Choose the unit the paper belongs to.")})
    scope.require(training_perms.MANAGE_TRAINING, org_unit)
    units, people = list(audience_units), list(audience_people)
    errors: dict = {}
    cleaned = _clean_paper(scope, org_unit, data, units, people, errors)
    built = _clean_sections(sections, org_unit.tenant_id, errors)
    paper = ExamPaper(tenant_id=org_unit.tenant_id, org_unit=org_unit)
    _save_paper(scope, paper, cleaned, built, units, people, errors, replace_sections=False)
    audit_record(action="create", obj=paper, after=paper_snapshot(paper, built, units, people))
    return paper


@transaction.atomic
def paper_update(
    *,
    scope: Scope | None = None,
    paper: ExamPaper,
    data: dict,
    sections: list[dict],
    audience_units=(),
    audience_people=(),
) -> ExamPaper:
    """Change a paper and replace its blueprint. Attempts already started keep the questions and
    points they were drawn with (``AttemptQuestion``); only new attempts use the new blueprint."""
    scope = _scope(scope)
    scope.require(training_perms.MANAGE_TRAINING, paper.org_unit)
    paper = ExamPaper.objects.select_for_update().select_related("org_unit").get(pk=paper.pk)
    before = paper_snapshot(
        paper, list(paper.sections.all()), list(paper.audience_units.all()), list(paper.audience_people.all())
    )
    units, people = list(audience_units), list(audience_people)
    errors: dict = {}
    cleaned = _clean_paper(scope, paper.org_unit, data, units, people, errors)
    built = _clean_sections(sections, paper.tenant_id, errors)
    _save_paper(scope, paper, cleaned, built, units, people, errors, replace_sections=True)
    audit_record(action="update", obj=paper, before=before, after=paper_snapshot(paper, built, units, people))
    return paper
