"""The training demo's materials: the question bank, courses with their sessions and attendance,
and the exam papers (parts 1–3 of the package's docstring)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from compliance.audit.services import PendingEvent, audit_record_many
from compliance.training import bank, courses
from compliance.training import permissions as training_perms
from compliance.training.models import Course, ExamPaper, Question, QuestionOption
from tenants import services as tenant_services
from tenants.models import OrgUnit, Person

from .base import MINE_TYPE_ZH, MT, OPERATION_ZH, PC, Demo, _at, _days
from .questions import QUESTIONS


# --- 1. question bank ---------------------------------------------------------------------------------
def _seed_bank(demo: Demo) -> None:
    """Each question validated by the bank (``bank.build_question``), then saved and audited in
    bulk the way the bank's Excel import saves a file (``training.bank_io``): one event per question."""
    demo.scope.require(training_perms.MANAGE_TRAINING, demo.hq)
    author = demo.users.get(f"{demo.key}-admin")
    questions, options = [], []
    for q in QUESTIONS:
        question, built = bank.build_question(
            org_unit=demo.hq,
            data={
                "type": q["type"],
                "stem": q["stem"],
                "explanation": q["explanation"],
                "post_categories": q["post_categories"],
                "mine_types": q["mine_types"],
                "topic": q["topic"],
                "difficulty": q["difficulty"],
            },
            options=[{"text": text, "is_correct": i in q["answer"]} for i, text in enumerate(q["options"])],
            by=author,
        )
        questions.append(question)
        options.extend(built)
    Question.objects.bulk_create(questions)
    QuestionOption.objects.bulk_create(options)
    by_question: dict = {}
    for option in options:
        by_question.setdefault(option.question_id, []).append(option)
    audit_record_many(
        [
            PendingEvent(action="create", obj=q, after=bank.question_snapshot(q, by_question[q.pk]))
            for q in questions
        ]
    )
    demo.counts["questions"] = len(questions)


# --- 2. courses, sessions and attendance ---------------------------------------------------------------
MANAGERS = (PC.PRINCIPAL, PC.SAFETY_MANAGEMENT)
WORKERS = (PC.SPECIAL_OPERATION, PC.OTHER)

COURSES = [
    # key, kind, title, hours, operation type, description
    (
        "initial",
        Course.Kind.INITIAL,
        "主要负责人和安全生产管理人员初次安全培训",
        "48",
        "",
        "依据《生产经营单位安全培训规定》，矿山主要负责人和安全生产管理人员初次安全培训不少于48学时。",
    ),
    (
        "annual_managers",
        Course.Kind.ANNUAL,
        "主要负责人和安全生产管理人员年度再培训",
        "16",
        "",
        "每年再培训不少于16学时：新法规、事故案例、双重预防机制、应急管理。",
    ),
    (
        "annual_workers",
        Course.Kind.ANNUAL,
        "从业人员年度安全再培训",
        "20",
        "",
        "每年再培训不少于20学时：岗位操作规程、隐患排查、自救互救、职业健康。",
    ),
    (
        "new_worker",
        Course.Kind.NEW_WORKER,
        "新上岗从业人员岗前安全培训",
        "72",
        "",
        "矿山新上岗从业人员岗前培训不少于72学时；煤矿井下新工人培训合格后跟班实习满4个月。",
    ),
    (
        "special_review",
        Course.Kind.SPECIAL_OPERATION,
        "特种作业操作证复审培训（{trade}）",
        "8",
        "{trade_code}",
        "特种作业操作证每3年复审1次，复审前安全培训不少于8学时。",
    ),
    (
        "rainy_season",
        Course.Kind.SPECIAL_TOPIC,
        "雨季“三防”与防治水专题培训",
        "4",
        "",
        "预测预报、有疑必探、先探后掘、先治后采；透水征兆识别与避灾路线。",
    ),
    (
        "spot_retrain",
        Course.Kind.SPECIAL_TOPIC,
        "逢查必考不合格人员复训",
        "8",
        "",
        "逢查必考不合格人员下岗复训，复考合格后方可重新上岗。",
    ),
]


def _session_day(demo: Demo, fraction: float) -> datetime.date:
    """A day this year, ``fraction`` of the way from 1 January to the day of the build."""
    jan1 = datetime.date(demo.today.year, 1, 1)
    return jan1 + _days(int((demo.today - jan1).days * fraction))


def _session(demo: Demo, course: Course, unit: OrgUnit, fraction: float, days: int, place: str):
    starts = _session_day(demo, fraction)
    ends = min(starts + _days(days - 1), demo.today)
    return courses.session_create(
        scope=demo.scope,
        course=course,
        org_unit=unit,
        starts_on=starts,
        ends_on=ends,
        hours=course.hours,
        instructor=demo.rng.choice(["安全科", "集团安全培训中心", "总工程师办公室"]),
        location=place,
    )


def _attend(demo: Demo, session, people: list[Person], partial: dict) -> int:
    """Everyone in ``people`` attended; those in ``partial`` only for the hours given there."""
    groups: dict = {}
    for person in people:
        groups.setdefault(partial.get(person.pk), []).append(person)
    for hours, group in groups.items():
        courses.attendance_add(scope=demo.scope, session=session, people=group, hours=hours)
    return len(people)


def _seed_courses(demo: Demo) -> None:
    logins = demo.logins
    worker1, worker2 = (logins[f"{demo.key}-worker1"], logins[f"{demo.key}-worker2"])
    # The special-operation course is worker 2's trade.
    trade = {"trade": OPERATION_ZH[worker2.operation_type], "trade_code": worker2.operation_type}
    made = {}
    for key, kind, title, hours, operation_type, description in COURSES:
        made[key] = courses.course_create(
            scope=demo.scope,
            org_unit=demo.hq,
            kind=kind,
            title=title.format(**trade),
            hours=Decimal(hours),
            operation_type=operation_type.format(**trade),
            description=description,
        )
    sessions = attendance = 0
    short_people: set = set()
    # Back at work 20 days ago after 500 days away, not retrained since: flagged for retraining.
    returner = [
        p
        for p in demo.on_post(demo.at(demo.mine_of[worker1.pk]))
        if p.post_category == PC.OTHER
        and p.pk not in demo.login_ids()
        and p.job_title not in ("队长", "班长")
    ][-1]
    for mine in demo.mines:
        here = [p for p in demo.at(mine) if p.status != Person.Status.LEFT and p.pk != returner.pk]
        managers = [p for p in here if p.post_category in MANAGERS]
        workers = [p for p in here if p.post_category in WORKERS]
        # Managers: most attend the whole 16 h; about one in five only half of it.
        partial = {p.pk: Decimal("8") for p in managers if demo.rng.random() < 0.2}
        session = _session(demo, made["annual_managers"], mine, 0.25, 2, f"{mine.name}会议室")
        attendance += _attend(demo, session, managers, partial)
        short_people |= set(partial)
        # Workers: about one in eight attends 12 of the 20 h, one in twenty misses it entirely.
        partial, absent = {}, set()
        for person in workers:
            if person.pk in (worker1.pk, worker2.pk):
                continue
            roll = demo.rng.random()
            if roll < 0.05:
                absent.add(person.pk)
            elif roll < 0.18:
                partial[person.pk] = Decimal("12")
        if worker1 in workers:
            partial[worker1.pk] = Decimal("12")  # worker 1 is short of hours: the page says by how much
        attending = [p for p in workers if p.pk not in absent]
        session = _session(demo, made["annual_workers"], mine, 0.4, 3, f"{mine.name}培训教室")
        attendance += _attend(demo, session, attending, partial)
        short_people |= set(partial) | absent
        sessions += 2
        if mine.mine_profile.mine_type in (MT.COAL_UNDERGROUND, MT.METAL_UNDERGROUND):
            session = _session(demo, made["rainy_season"], mine, 0.45, 1, f"{mine.name}调度楼会议室")
            attendance += _attend(demo, session, here, {})
            sessions += 1
    # Review training for the holders of worker 2's trade (worker 2 among them).
    reviewed = [
        p
        for p in demo.on_post()
        if p.operation_type == worker2.operation_type and (p.pk not in short_people or p.pk == worker2.pk)
    ]
    session = _session(demo, made["special_review"], demo.hq, 0.55, 1, "集团安全培训中心")
    attendance += _attend(demo, session, reviewed, {})
    sessions += 1
    # Initial training for the two newest safety officers of the group.
    officers = [p for p in demo.on_post() if p.job_title == "安全员"][-2:]
    if officers:
        session = _session(demo, made["initial"], demo.hq, 0.1, 6, "集团安全培训中心")
        attendance += _attend(demo, session, officers, {})
        sessions += 1
    tenant_services.person_update(
        scope=demo.scope,
        person=returner,
        absent_since=demo.today - _days(500),
        returned_on=demo.today - _days(20),
    )
    demo.counts.update(courses=len(made), sessions=sessions, attendances=attendance)


# --- 3. papers -----------------------------------------------------------------------------------------
def _sections(*rows, mine_type: str = "", post_category: str = "") -> list[dict]:
    return [
        {
            "question_type": qtype,
            "post_category": post_category,
            "mine_type": mine_type,
            "topic": "",
            "difficulty": None,
            "count": count,
            "points": Decimal(points),
        }
        for qtype, count, points in rows
    ]


# 20 single × 2 + 10 multiple × 3 + 15 true/false × 2 = 100 points.
STANDARD = (("single", 20, "2"), ("multiple", 10, "3"), ("true_false", 15, "2"))
# 逢查必考: 10 questions × 10 points.
SPOT = (("single", 6, "10"), ("true_false", 4, "10"))


def _paper(demo: Demo, *, sections, units=(), people=(), **data) -> ExamPaper:
    defaults = {
        "duration_minutes": 60,
        "pass_mark": 80,
        "attempts_allowed": 2,
        "shuffle_questions": True,
        "shuffle_options": True,
        "show_answers": ExamPaper.ShowAnswers.AFTER_LAST_ATTEMPT,
        "audience_post_categories": [],
        "opens_at": None,
        "closes_at": None,
        "issues_certificate": "",
        "certificate_operation_type": "",
        "is_spot_exam": False,
        "clears_suspension": False,
        "is_active": True,
    }
    return bank.paper_create(
        scope=demo.scope,
        org_unit=demo.hq,
        data=defaults | data,
        sections=sections,
        audience_units=list(units),
        audience_people=list(people),
    )


def _seed_papers(demo: Demo) -> None:
    year = demo.today.year
    opens = _at(demo.today - _days(120), 8)
    closes = _at(demo.today + _days(60), 18)
    # The annual exam, one per mine type of the group: every post category at those mines.
    for mine_type in dict.fromkeys(m.mine_profile.mine_type for m in demo.mines):
        demo.papers[f"annual:{mine_type}"] = _paper(
            demo,
            title=f"{year}年度安全生产知识考试（{MINE_TYPE_ZH[mine_type]}）",
            sections=_sections(*STANDARD, mine_type=mine_type),
            units=[m for m in demo.mines if m.mine_profile.mine_type == mine_type],
            opens_at=opens,
            closes_at=closes,
        )
    # The special-operation exam of worker 2's trade: the group's own exam, so it issues an
    # internal training record; the statutory certificate comes from the authority (section 5).
    worker2 = demo.logins[f"{demo.key}-worker2"]
    trade = worker2.operation_type
    holders = [
        p for p in demo.on_post() if p.operation_type == trade and demo.mine_type(p) == MT.COAL_UNDERGROUND
    ]
    demo.papers["special"] = _paper(
        demo,
        # Named as what it is, the group's own exam: the state's 特种作业安全技术理论考试 is the
        # authority's, and an internal record must not look like it (issue 13).
        title=f"{OPERATION_ZH[trade]}岗位安全培训考试（企业内部）",
        sections=_sections(*STANDARD, mine_type=MT.COAL_UNDERGROUND, post_category=PC.SPECIAL_OPERATION),
        people=holders,
        duration_minutes=120,
        opens_at=opens,
        closes_at=closes,
        issues_certificate=ExamPaper.CertificateKind.INTERNAL,
        certificate_operation_type=trade,
    )
    demo.papers["spot"] = _paper(
        demo,
        title="逢查必考现场抽考卷（井工煤矿）",
        sections=_sections(*SPOT, mine_type=MT.COAL_UNDERGROUND),
        duration_minutes=10,
        attempts_allowed=1,
        show_answers=ExamPaper.ShowAnswers.AFTER_LAST_ATTEMPT,
        is_spot_exam=True,
    )
    demo.papers["retest"] = _paper(
        demo,
        title="下岗人员复训考试（逢查必考不合格复考）",
        sections=_sections(*STANDARD),
        duration_minutes=60,
        # One sitting and one re-sit: the national pack's cap (a paper may be stricter, never looser).
        attempts_allowed=2,
        clears_suspension=True,
    )
    demo.counts["papers"] = len(demo.papers)
