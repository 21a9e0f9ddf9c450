"""Sittings of the regulator's assessment of managers (安全生产知识和管理能力考核; issue 14, point 9).

主要负责人 and 安全生产管理人员 apply for the assessment within ``manager_apply_within_days`` of
taking the post and pass it within ``manager_pass_within_months`` (生产经营单位安全培训规定,
令第3号, and 令第44号 / 第92号, article numbers 待核). A failed sitting allows
``manager_resits_allowed`` re-sits; failing the last one means no new sitting until
``manager_wait_after_fail_months`` after it (安全生产资格考试与证书管理暂行办法,
安监总培训〔2013〕104号, 条号待核). Each sitting is statutory: entered from the assessing authority.

Decisions where the issue is silent:

* **Rounds.** Sittings of one kind (principal / safety management), in date order, form rounds: a
  first sitting and up to the allowed re-sits. A pass ends a round; failing the last re-sit ends it
  with the wait. The next sitting after a round begins a new one. The re-sits and the wait are
  read from the pack in force on the day of the failed sitting.
* **In order.** A sitting is recorded after the last one recorded for the same kind (a later
  correction is not offered here): the re-sit and the wait are judged on the sittings before it.
* **The 30 days** are judged on the first sitting on or after the day the post was taken — on its
  application date when the authority's record gives one, else on the sitting's date. Late is a
  flag on the person page (a verified rule shows it as a breach, an unverified one as 待核实),
  never a refusal: the sitting happened.
* **A passed sitting counts** for the 6-month deadline the way a certificate does: in force
  (``manager_cert_valid_years`` from the sitting) at some time in the post.
* Only a verified wait (and re-sit count) refuses a sitting inside the wait; otherwise the sitting
  is recorded with a warning that names the source and is kept in the audit trail.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance.access import first_or_404
from compliance.audit.services import audit_record
from tenants.models import Person
from tenants.scope import Scope
from tenants.services import snapshot

from . import permissions as perms
from .certificate_rules import RuleBook, RuleValue, add_months
from .certificates import add_years
from .models import ManagerAssessmentSitting

Sitting = ManagerAssessmentSitting
Result = ManagerAssessmentSitting.Result
SITTING_KINDS = {
    Person.PostCategory.PRINCIPAL: Sitting.Kind.PRINCIPAL,
    Person.PostCategory.SAFETY_MANAGEMENT: Sitting.Kind.SAFETY_MANAGEMENT,
}


class State:
    AWAITING = "awaiting"  # 待考核
    RESIT = "resit"  # 可补考
    WAITING = "waiting"  # 须等待至
    PASSED = "passed"  # 已合格


@dataclass(frozen=True)
class SittingState:
    """Where a manager stands with the statutory assessment on a day."""

    key: str
    sittings: list = field(default_factory=list)  # of the kind, oldest first
    resits_left: int = 0
    wait_until: datetime.date | None = None  # the first day a new sitting may be held
    rule: RuleValue | None = None  # the deciding rule of a re-sit or a wait
    binding: bool = True
    passed: Sitting | None = None  # the latest passed sitting

    @property
    def label(self) -> str:
        if self.key == State.PASSED:
            return _("Passed (%(day)s)") % {"day": self.passed.sat_on if self.passed else "—"}
        if self.key == State.RESIT:
            return (
                _("One re-sit allowed")
                if self.resits_left == 1
                else (_("%(n)s re-sits allowed") % {"n": self.resits_left})
            )
        if self.key == State.WAITING:
            return _("Must wait until %(day)s") % {"day": self.wait_until}
        return _("Awaiting assessment")


def _int(rule: RuleValue | None, default: int) -> int:
    return rule.value if rule is not None else default


def sitting_state(
    sittings: list[Sitting], today: datetime.date, book: RuleBook, *, kind: str | None = None
) -> SittingState:
    """The state on ``today`` from the sittings held by then (no query: the book is loaded)."""
    rows = sorted(
        (s for s in sittings if s.sat_on <= today and (kind is None or s.kind == kind)),
        key=lambda s: (s.sat_on, s.created_at or timezone.now()),
    )
    fails, allowed = 0, 0
    wait_until: datetime.date | None = None
    rule: RuleValue | None = None
    binding = True
    passed: Sitting | None = None
    for s in rows:
        if wait_until is not None:  # the round ended with the wait: this sitting starts a new one
            fails, wait_until, rule = 0, None, None
        if s.result == Result.PASSED:
            fails, passed = 0, s
            continue
        fails += 1
        resits = book.value(s.sat_on, "manager_resits_allowed")
        allowed = _int(resits, 1)
        rule, binding = resits, bool(resits and resits.binding)
        if fails > allowed:
            wait = book.value(s.sat_on, "manager_wait_after_fail_months")
            wait_until = add_months(s.sat_on, _int(wait, 12))
            rule = wait
            binding = binding and bool(wait and wait.binding)
    last = rows[-1] if rows else None
    if last is None:
        return SittingState(State.AWAITING, rows)
    if wait_until is not None:
        if today < wait_until:
            return SittingState(State.WAITING, rows, 0, wait_until, rule, binding, passed)
        return SittingState(State.AWAITING, rows, passed=passed)
    if last.result == Result.PASSED:
        return SittingState(State.PASSED, rows, passed=passed)
    return SittingState(State.RESIT, rows, allowed - fails + 1, None, rule, binding, passed)


def passed_in_post(
    sittings: list[Sitting], kind: str, started: datetime.date, today: datetime.date, book: RuleBook
) -> bool:
    """A passed sitting of ``kind`` in force at some time in the post (as a certificate would be)."""
    for s in sittings:
        if s.kind != kind or s.result != Result.PASSED or s.sat_on > today:
            continue
        years = book.value(s.sat_on, "manager_cert_valid_years")
        if add_years(s.sat_on, _int(years, 3)) >= started:
            return True
    return False


def first_in_post(sittings: list[Sitting], kind: str, started: datetime.date) -> Sitting | None:
    rows = [s for s in sittings if s.kind == kind and s.sat_on >= started]
    return min(rows, key=lambda s: s.sat_on) if rows else None


def late_application(
    person: Person, sittings: list[Sitting], book: RuleBook
) -> tuple[Sitting, datetime.date, RuleValue] | None:
    """The first sitting in the post, when it (or its application) came later than the days the
    rule allows after taking the post: (the sitting, the last day allowed, the rule)."""
    kind = SITTING_KINDS.get(person.post_category)
    started = person.post_started_on
    if kind is None or started is None:
        return None
    first = first_in_post(sittings, kind, started)
    rule = book.value(started, "manager_apply_within_days")
    if first is None or rule is None:
        return None
    by = started + datetime.timedelta(days=rule.value)
    if (first.applied_on or first.sat_on) > by:
        return first, by, rule
    return None


# --- reads ---------------------------------------------------------------------------------------


def sitting_list(*, scope: Scope) -> QuerySet[Sitting]:
    return scope.filter_queryset(Sitting.objects.all()).select_related(
        "person", "person__org_unit", "recorded_by"
    )


def access_sitting(scope: Scope, pk) -> Sitting:
    return first_or_404(sitting_list(scope=scope), pk=pk)


def person_sittings(*, scope: Scope, person: Person) -> list[Sitting]:
    """The person's sittings, oldest first (one query)."""
    return list(
        scope.filter_queryset(Sitting.objects.filter(person_id=person.pk)).select_related("recorded_by")
    )


@dataclass(frozen=True)
class Summary:
    """What the person page and the sittings page show of a manager's assessment."""

    kind: str
    state: SittingState
    sittings: list
    apply_by: datetime.date | None
    pass_by: datetime.date | None
    pass_by_rule: RuleValue | None
    late: tuple | None


def summary(
    *, person: Person, sittings: list[Sitting], book: RuleBook, today: datetime.date | None = None
) -> Summary | None:
    """None for a person who is no manager and has no sitting on record."""
    today = today or timezone.localdate()
    kind = SITTING_KINDS.get(person.post_category)
    if kind is None:
        if not sittings:
            return None
        kind = sittings[-1].kind
    started = person.post_started_on
    apply_by = pass_by = pass_rule = None
    if started is not None:
        apply = book.value(started, "manager_apply_within_days")
        pass_rule = book.value(started, "manager_pass_within_months")
        apply_by = started + datetime.timedelta(days=_int(apply, 30))
        pass_by = add_months(started, _int(pass_rule, 6))
    return Summary(
        kind=kind,
        state=sitting_state(sittings, today, book, kind=kind),
        sittings=[s for s in sittings if s.kind == kind],
        apply_by=apply_by,
        pass_by=pass_by,
        pass_by_rule=pass_rule,
        late=late_application(person, sittings, book),
    )


# --- writes --------------------------------------------------------------------------------------


def _score(value) -> tuple[Decimal | None, bool]:
    if value in (None, ""):
        return None, True
    try:
        score = Decimal(str(value))
    except InvalidOperation:
        return None, False
    return score, score.is_finite() and 0 <= score <= 100


def _wait_text(state: SittingState) -> str:
    return _(
        "The re-sit was failed: no new sitting until %(day)s, %(months)s months after the last "
        "failed one (%(source)s)."
    ) % {
        "day": state.wait_until,
        "months": state.rule.value if state.rule else 12,
        "source": state.rule.source if state.rule and state.rule.source else "—",
    }


@transaction.atomic
def sitting_record(
    *, scope: Scope, person: Person, data: dict, by=None
) -> tuple[ManagerAssessmentSitting, list[str]]:
    """Record a sitting of the managers' statutory assessment as the assessing authority held it.
    Returns the sitting and the warnings of unverified rules (待核实). Bad input is refused field
    by field and changes nothing; a passed sitting lifts the deadline's hold."""
    scope.require(perms.MANAGE_TRAINING, person.org_unit)
    kind = SITTING_KINDS.get(person.post_category)
    sat_on = data.get("sat_on")
    applied_on = data.get("applied_on") or None
    authority = (data.get("authority") or "").strip()
    result = data.get("result") or ""
    score, score_ok = _score(data.get("score"))
    today = timezone.localdate()
    errors: dict[str, list] = {}
    warnings: list[str] = []

    def error(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if kind is None:
        error(
            "person",
            _(
                "Only a principal person in charge (主要负责人) or safety management staff "
                "(安全生产管理人员) sits the statutory assessment."
            ),
        )
    if not isinstance(sat_on, datetime.date):
        error("sat_on", _("Enter the date of the sitting."))
        sat_on = None
    elif sat_on > today:
        error("sat_on", _("The date of the sitting cannot be in the future."))
    if applied_on is not None:
        if not isinstance(applied_on, datetime.date):
            error("applied_on", _("Enter a valid date."))
        elif sat_on is not None and applied_on > sat_on:
            error("applied_on", _("The application cannot come after the sitting."))
    if not authority:
        error("authority", _("Enter the assessing authority (考核机关)."))
    if result not in Result.values:
        error("result", _("Choose passed or failed."))
    if not score_ok:
        error("score", _("Enter a score from 0 to 100, or leave it empty."))
    if kind is not None and sat_on is not None and "sat_on" not in errors:
        # The row lock keeps two recorders of the same person from both passing the checks.
        Person.dangerously_unscoped.select_for_update().filter(pk=person.pk).first()  # in scope: above
        earlier = [s for s in person_sittings(scope=scope, person=person) if s.kind == kind]
        last = max(earlier, key=lambda s: s.sat_on) if earlier else None
        if last is not None and sat_on <= last.sat_on:
            error(
                "sat_on",
                _("Sittings are recorded in order: the last one recorded was on %(day)s.")
                % {"day": last.sat_on},
            )
        else:
            state = sitting_state(earlier, sat_on, RuleBook.load(), kind=kind)
            if state.key == State.WAITING:
                if state.binding:
                    error("sat_on", _wait_text(state))
                else:
                    warnings.append(
                        _("%(text)s Unverified rule (待核实): recorded anyway.") % {"text": _wait_text(state)}
                    )
    if errors:
        raise ValidationError(errors)
    sitting = Sitting(
        tenant_id=person.tenant_id,
        person=person,
        kind=kind,
        applied_on=applied_on,
        sat_on=sat_on,
        authority=authority[:200],
        result=result,
        score=score,
        recorded_by=by if getattr(by, "pk", None) else None,
    )
    sitting.full_clean(exclude=["tenant", "person", "recorded_by"])
    sitting.save(force_insert=True)
    audit_record(
        action="create",
        obj=sitting,
        object_repr=f"{person.name} · {sitting.sat_on} · {sitting.get_result_display()}",
        after=snapshot(sitting) | ({"warnings": warnings} if warnings else {}),
        org_path=person.org_unit.path,
    )
    from .reviews import check_manager  # reviews reads this module's rules

    check_manager(scope=scope, person=person)  # a passed sitting lifts the deadline's hold
    return sitting, warnings
