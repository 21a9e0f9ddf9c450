"""The training demo's records: exam attempts taken, and certificates recorded from outside
(parts 4–5 of the package's docstring)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from compliance.training import attempts, certificates, reviews
from compliance.training.certificate_rules import mine_group_of_person, special_operation_error
from compliance.training.models import Attempt, AttemptQuestion, ExamPaper, QuestionOption
from tenants.demo import PROVINCE_ABBR
from tenants.models import MineProfile, Person

from .base import PC, PROVINCE_BODY, Demo, _at, _context, _days
from .materials import MANAGERS


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
    # Worker 2 passed the group's exam of their trade (which issues an internal record); the annual exam
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
