"""Training demo data for the groups ``seed_demo`` builds: so every training page has something true to show.

Per demo group, everything written through the training services (validated and audited):

1. question bank — ``training.demo_questions`` (Chinese, real rules), owned by the group HQ:
   each question validated by ``training.bank.build_question``, saved and audited in bulk the
   way the bank's Excel import saves a file (one ``create`` event per question);
2. courses of every kind, sessions at the mines this year and attendance, with some people short
   of their hours — ``training.courses``; one person back after 500 days away and not retrained
   since (flagged for retraining) — ``tenants.services.person_update``;
3. papers — ``training.bank.paper_create``: an annual exam per mine type (every post category at
   those mines), a special-operation exam that issues a certificate, a spot-exam paper (逢查必考)
   and a re-test paper that clears a suspension;
4. attempts — ``training.attempts.start_attempt / save_answer / submit_attempt`` with ``now`` in
   the past for finished ones: worker 1 failed the annual exam and has the re-sit in progress,
   worker 2 passed the special-operation exam (its certificate is issued by the grading,
   ``training.certificates.issue_for_passed_attempt``) and has the annual exam still to take, and
   two colleagues took the annual exam (one passed, one failed);
5. certificates recorded from outside — ``training.certificates.record_external``: managers'
   and special-operation certificates, some due within 90 days, one expired, reviews due;
(the inspection with its spot exams is ``compliance.inspections.demo``'s, built after this).

Deterministic: choices come from ``random.Random`` seeded per group; dates are relative to the
day of the build (like the licence expiry dates in ``tenants.demo``), so "due within 90 days"
stays true whenever the demo is built. Idempotent: a group whose bank, papers or courses already
hold anything is left alone; a demo group built before training existed gets it on the next run.
"""

from __future__ import annotations

import datetime
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone, translation

from compliance.audit.services import PendingEvent, audit_record_many
from compliance.training import permissions as training_perms
from tenants import roles
from tenants import services as tenant_services
from tenants.demo import PROVINCE_ABBR
from tenants.models import MineProfile, OrgUnit, Person, Tenant
from tenants.scope import Scope

from . import attempts, bank, certificates, courses, demo_rules, reviews
from .certificate_rules import mine_group_of_person, special_operation_error
from .demo_questions import QUESTIONS
from .models import Attempt, AttemptQuestion, Course, ExamPaper, Question, QuestionOption

SEED = 20260415
MT = MineProfile.MineType
PC = Person.PostCategory
OP = Person.OperationType

# Chinese names of the mine types and operation types, for paper and course titles (stored data).
MINE_TYPE_ZH = {
    MT.COAL_UNDERGROUND: "井工煤矿",
    MT.COAL_OPEN_PIT: "露天煤矿",
    MT.METAL_UNDERGROUND: "金属非金属地下矿山",
    MT.METAL_OPEN_PIT: "金属非金属露天矿山",
    MT.TAILINGS_POND: "尾矿库",
}
OPERATION_ZH = {
    OP.ELECTRICIAN: "井下电气作业",
    OP.HOIST: "提升机操作作业",
    OP.GAS_INSPECTION: "瓦斯检查作业",
    OP.BLASTING: "爆破作业",
    OP.VENTILATION: "通风作业",
    OP.SAFETY_CHECK: "安全检查作业",
    OP.DRAINAGE: "排水作业",
    OP.WATER_EXPLORATION: "探放水作业",
    OP.SHEARER: "采煤机操作作业",
    OP.ROADHEADER: "掘进机操作作业",
    OP.HYDRAULIC_SUPPORT: "液压支架作业",
    OP.TAILINGS: "尾矿作业",
}
PROVINCE_BODY = {"52": "贵州", "53": "云南", "14": "山西"}


@dataclass
class Demo:
    """What one group's training seeding works with."""

    tenant: Tenant
    key: str
    scope: Scope
    today: datetime.date
    now: datetime.datetime
    rng: random.Random
    hq: OrgUnit
    mines: list[OrgUnit]
    people: list[Person]
    mine_of: dict  # person id -> mine OrgUnit
    logins: dict[str, Person]  # worker username -> person
    users: dict  # username -> user
    papers: dict[str, ExamPaper] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def on_post(self, people=None) -> list[Person]:
        return [p for p in (self.people if people is None else people) if p.status == Person.Status.ON_POST]

    def at(self, mine: OrgUnit) -> list[Person]:
        return [p for p in self.people if self.mine_of[p.pk].pk == mine.pk]

    def mine_type(self, person: Person) -> str:
        return self.mine_of[person.pk].mine_profile.mine_type

    def login_ids(self) -> set:
        return {p.pk for p in self.logins.values()}


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


# --- entry point --------------------------------------------------------------------------------------
def seed_training(
    spec, *, scope: Scope, today: datetime.date | None = None, log: Callable[[str], None] = lambda m: None
) -> dict[str, int] | None:
    """Seed the training demo of the demo group ``spec`` (a ``tenants.demo.TenantSpec``).

    Runs in the caller's transaction and scope (``tenants.demo.build_demo``: the platform scope,
    acting as ``manage.py seed_demo``). Returns what it made, or None when it left the group
    alone: training data already there, or the group is not the one the demo built (its worker
    logins are missing).
    """
    tenant = Tenant.objects.filter(credit_code=spec.credit_code).first()
    if tenant is None:
        return None
    # Shared reference data, once for every group: the provincial override of the demo.
    demo_rules.seed_provincial_pack(scope=scope)
    if (
        Question.objects.filter(tenant=tenant).exists()
        or ExamPaper.objects.filter(tenant=tenant).exists()
        or Course.objects.filter(tenant=tenant).exists()
    ):
        log(f"training exists, skipped: {spec.name}")
        return None
    demo = _context(spec, tenant, scope, today or timezone.localdate())
    if demo is None:
        log(f"not built by seed_demo, training skipped: {spec.name}")
        return None
    # Texts the services store (a suspension's reason, …) are in the demo's language, Chinese,
    # also when a management command runs with translations off.
    with translation.override(settings.LANGUAGE_CODE):
        _seed_bank(demo)
        _seed_courses(demo)
        _seed_papers(demo)
        _seed_attempts(demo)
        _seed_certificates(demo)
        demo.counts["supervised practices"] = demo_rules.seed_practice(demo)
    log(
        f"training created: {spec.name} (" + ", ".join(f"{n} {what}" for what, n in demo.counts.items()) + ")"
    )
    return demo.counts


def _context(spec, tenant: Tenant, scope: Scope, today: datetime.date) -> Demo | None:
    worker_names = [login.username for login in spec.logins if login.role == roles.WORKER]
    others = [login.username for login in spec.logins if login.role != roles.WORKER]
    users = {u.username: u for u in get_user_model().objects.filter(username__in=worker_names + others)}
    people = list(
        Person.objects.filter(tenant=tenant).select_related("org_unit", "user").order_by("employee_no")
    )
    logins = {p.user.username: p for p in people if p.user_id and p.user.username in worker_names}
    if len(logins) != len(worker_names):
        return None
    units = list(OrgUnit.objects.filter(tenant=tenant).select_related("mine_profile").order_by("path"))
    hq = next(u for u in units if u.parent_id is None)
    mines = [u for u in units if u.kind == OrgUnit.Kind.MINE]
    mine_of = {}
    for person in people:
        mine = next((m for m in mines if person.org_unit.path.startswith(m.path)), None)
        if mine is None:
            return None
        mine_of[person.pk] = mine
    # In the order the demo lists them (employee numbers carry the mine's number), not by path:
    # paths hold random ids, and the seeded choices must not depend on them.
    first_no = {}
    for person in people:
        first_no.setdefault(mine_of[person.pk].pk, person.employee_no)
    mines.sort(key=lambda m: (first_no.get(m.pk, "~"), m.name))
    return Demo(
        tenant=tenant,
        key=spec.key,
        scope=scope,
        today=today,
        now=timezone.now(),
        rng=random.Random(SEED + zlib.crc32(spec.key.encode())),
        hq=hq,
        mines=mines,
        people=people,
        mine_of=mine_of,
        logins=logins,
        users=users,
    )


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
        title=f"特种作业安全技术理论考试（{OPERATION_ZH[trade]}）",
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


# --- 4. attempts ---------------------------------------------------------------------------------------
def _answer(demo: Demo, attempt: Attempt, *, target: str | None, answered: float = 1.0, until=None):
    """Answer a drawn attempt as a person would, one save at a time, and return when the last
    answer was saved. ``target`` "pass" or "fail" picks which answers are right so the grade
    comes out that way; ``answered`` is the share of questions answered (an attempt left in
    progress); no answer is saved at or after ``until`` (default: the attempt's deadline)."""
    # The demo builder runs under the platform scope on its own tenant's attempt; the answer key is
    # read to steer the grade.
    rows = list(AttemptQuestion.dangerously_unscoped.filter(attempt_id=attempt.pk).order_by("position"))
    key: dict = {}
    for question_id, option_id, correct in QuestionOption.dangerously_unscoped.filter(
        question_id__in=[r.question_id for r in rows]
    ).values_list("question_id", "id", "is_correct"):
        key.setdefault(question_id, ([], []))[0 if correct else 1].append(str(option_id))
    total = sum(r.points for r in rows)
    wrong: set = set()
    if target is not None:
        marks = [84, 88, 92, 96, 100] if target == "pass" else [55, 60, 65, 70, 75]
        goal = total * Decimal(demo.rng.choice(marks)) / 100
        score = total
        for row in demo.rng.sample(rows, len(rows)):
            if target == "pass" and score - row.points < goal:
                continue
            if target == "fail" and score <= goal:
                break
            wrong.add(row.pk)
            score -= row.points
    # About 60 % of the time allowed goes on answering, never past the deadline.
    until = min(until or attempt.deadline, attempt.deadline) - datetime.timedelta(seconds=1)
    step = max(4, int((attempt.deadline - attempt.started_at).total_seconds() * 0.6 / max(len(rows), 1)))
    moment = attempt.started_at
    for row in rows[: round(len(rows) * answered)]:
        right, other = key[row.question_id]
        selected = list(right)
        if row.pk in wrong:
            # Multiple choice: one right option missed; otherwise a wrong option chosen.
            selected = right[:-1] if len(right) > 1 else [demo.rng.choice(other)]
        moment = min(moment + datetime.timedelta(seconds=demo.rng.randint(step // 2, step * 3 // 2)), until)
        attempts.save_answer(attempt, str(row.question_id), selected, now=moment)
    return moment


def _take(demo: Demo, paper: ExamPaper, person: Person, when: datetime.datetime, target: str) -> Attempt:
    attempt = attempts.start_attempt(paper=paper, person=person, now=when, rng=demo.rng)
    finished = _answer(demo, attempt, target=target)
    submitted = min(
        finished + datetime.timedelta(minutes=2), attempt.deadline - datetime.timedelta(seconds=1)
    )
    return attempts.submit_attempt(attempt, now=submitted)


def _seed_attempts(demo: Demo) -> None:
    worker1 = demo.logins[f"{demo.key}-worker1"]
    worker2 = demo.logins[f"{demo.key}-worker2"]
    annual = lambda person: demo.papers[f"annual:{demo.mine_type(person)}"]  # noqa: E731
    made = 0
    # Worker 1 failed the annual exam nine days ago and has the re-sit open right now.
    _take(demo, annual(worker1), worker1, _at(demo.today - _days(9), 10, 5), "fail")
    resit = attempts.start_attempt(
        paper=annual(worker1), person=worker1, now=demo.now - datetime.timedelta(minutes=8), rng=demo.rng
    )
    _answer(demo, resit, target=None, answered=0.4, until=demo.now)
    # Worker 2 passed the special-operation exam (which issues the certificate); the annual exam
    # is still to take.
    _take(demo, demo.papers["special"], worker2, _at(demo.today - _days(34), 9, 0), "pass")
    made += 3
    # Two colleagues over the past months, one passing and one failing: with the spot exams, pass
    # rates and their chart have something to show.
    colleagues = [
        p
        for p in demo.on_post()
        if p.pk not in demo.login_ids()
        and demo.mine_of[p.pk].mine_profile.production_status == MineProfile.ProductionStatus.PRODUCING
    ]
    for person, target in zip(demo.rng.sample(colleagues, 2), ("pass", "fail"), strict=True):
        day = demo.today - _days(demo.rng.randint(3, 110))
        when = _at(day, demo.rng.randint(8, 15), demo.rng.choice([0, 15, 30, 45]))
        _take(demo, annual(person), person, when, target)
        made += 1
    demo.counts["attempts"] = made


# --- 5. certificates recorded from outside ------------------------------------------------------------
def _province(demo: Demo, person: Person) -> tuple[str, str]:
    """(name, one-character abbreviation) of the province of the person's mine."""
    code = demo.mine_of[person.pk].mine_profile.region_code[:2]
    return PROVINCE_BODY.get(code, ""), PROVINCE_ABBR.get(code, "")


def _record(demo: Demo, person: Person, kind: str, issued_on: datetime.date, serial: int, review_due_on=None):
    province, abbr = _province(demo, person)
    issuer = f"{province}省应急管理厅"
    if kind == certificates.Kind.SPECIAL_OPERATION:
        region = demo.mine_of[person.pk].mine_profile.region_code
        number = f"T{region}{issued_on:%Y%m}{serial:04d}"
    else:
        coal = demo.mine_type(person).startswith("coal")
        number = f"{abbr}{'煤' if coal else '非煤'}安考字〔{issued_on.year}〕第{serial:05d}号"
    operation = person.operation_type
    if operation == Person.OperationType.ROADHEADER:  # one catalogue item with 采煤机 (5.7)
        operation = Person.OperationType.SHEARER
    data = {
        "kind": kind,
        "operation_type": operation if kind == certificates.Kind.SPECIAL_OPERATION else "",
        "number": number,
        "issued_on": issued_on,
        "issuer": issuer,
    }
    if review_due_on is not None:
        data["review_due_on"] = review_due_on
    return certificates.record_external(scope=demo.scope, person=person, data=data)


def _seed_certificates(demo: Demo) -> None:
    today = demo.today
    years = certificates.add_years
    made = 0
    serial = demo.rng.randint(100, 900)
    exam_records = demo.papers["special"].attempts.filter(passed=True).count()
    # Managers: 3-year certificates. The first principal's runs out in 45 days; one safety
    # manager's ran out 20 days ago; one more is due in 20 days.
    managers = [p for p in demo.on_post() if p.post_category in MANAGERS]
    principals = [p for p in managers if p.post_category == PC.PRINCIPAL]
    staff = [p for p in managers if p.post_category == PC.SAFETY_MANAGEMENT]
    special_dates = {
        principals[0].pk: years(today, -3) + _days(45),
        staff[0].pk: years(today, -3) - _days(20),
        staff[1].pk: years(today, -3) + _days(20),
    }
    for person in managers:
        issued = special_dates.get(person.pk) or today - _days(demo.rng.randint(60, 900))
        serial += 1
        _record(demo, person, person.post_category, issued, serial)
        made += 1
    # Special operations: valid 6 years, reviewed every 3 (the review recorded from the authority).
    # About one in ten holds none (a gap the pages show); one is due in 60 days, one has its review
    # due in 30 days. A job outside the national catalogue for its mine (e.g. 液压支架工, or a coal
    # mine's 排水工) is a mine post, not a special operation: no statutory certificate.
    special = [
        p
        for p in demo.on_post()
        if p.post_category == PC.SPECIAL_OPERATION
        and p.pk not in demo.login_ids()
        and special_operation_error(
            Person.OperationType.SHEARER
            if p.operation_type == Person.OperationType.ROADHEADER
            else p.operation_type,
            mine_group_of_person(p),
        )
        is None
    ]
    uncertified = set(demo.rng.sample([p.pk for p in special], len(special) // 10))
    for index, person in enumerate(p for p in special if p.pk not in uncertified):
        if index == 0:
            issued = years(today, -6) + _days(60)
        elif index == 1:
            issued = years(today, -3) + _days(30)
        else:
            issued = today - _days(demo.rng.randint(30, 2000))
        serial += 1
        cert = _record(demo, person, certificates.Kind.SPECIAL_OPERATION, issued, serial)
        if cert.review_due_on is not None and cert.review_due_on <= today:
            # The 3-year review was held a few weeks before it fell due, after 8-16 hours of
            # retraining; the next one would fall at expiry, where the certificate is renewed.
            reviews.record_review(
                scope=demo.scope,
                cert=cert,
                data={
                    "kind": "review",
                    "reviewed_on": cert.review_due_on - _days(demo.rng.randint(5, 50)),
                    "authority": cert.issuer,
                    "retraining_hours": demo.rng.choice([8, 8, 12, 16]),
                },
            )
        made += 1
    demo.counts["certificates"] = made + exam_records


# What another capability's demo builds on top of this one (compliance.inspections.demo): the
# context of a group's training demo, and answering an attempt so it passes or fails.
demo_context = _context
answer_attempt = _answer
