"""Pre-job training as a gate (岗前培训, issue 14 point 11).

A person new to their post may not be set on post before the pre-job hours of that post are met:
the initial hours of the hours rule that applies to them (``training.packs``: 安监总局令第3号
第9条/第13条, 煤矿 第92号令). When the person is registered or takes a new post
(``tenants.holds.run_post_gates``) and the hours are short, a hold is placed through
``tenants.holds``; each attendance recorded afterwards asks again and lifts it once the hours
are met.

Decisions where the issue is silent:

* **Who is new**: the person's ``post_started_on`` is on or after 1 January of the current year
  and they have no training before that year — the people the hours pages call "new" (they owe
  the initial hours). A workforce registered with old start dates is not held.
* **Hours that count**: every session attended that starts on or after 1 January of the year the
  post started (so a December hire trained in January still clears the gate).
* **Binding**: only when the deciding hours rule is verified. An unverified rule's shortfall is a
  warning (待核实, with its source) on the person's training panel and places no hold
  (DESIGN.md "Rules as data").
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _

from tenants import holds
from tenants.models import Person, PersonHold
from tenants.scope import Scope

from . import hours
from .models import Attendance, HoursRule

SOURCE = "training.pre_job"


@dataclass(frozen=True)
class PreJob:
    required: Decimal
    done: Decimal
    rule: HoursRule | None

    @property
    def short(self) -> Decimal:
        return max(self.required - self.done, Decimal(0))

    @property
    def met(self) -> bool:
        return self.short == 0

    @property
    def binding(self) -> bool:
        return self.rule is not None and self.rule.verified

    @property
    def source(self) -> str:
        if self.rule is None:
            return ""
        return self.rule.source or self.rule.pack.document_no


def _reference(person: Person) -> tuple[str, str]:
    # One hold per person, post and start date: a later change of post is a new gate.
    return (SOURCE, f"{person.pk.hex}:{person.post_category}:{person.post_started_on}")


def pre_job(
    *, scope: Scope, person: Person, today: datetime.date | None = None, rules=None, row=None
) -> PreJob | None:
    """The pre-job hours of a person new to their post, or None when the gate does not apply
    (not new this year, left, or no hours rule covers the post). Four queries; one when the
    caller passes this year's ``rules`` and the person's ``row`` of ``hours.people_hours``."""
    today = today or hours.today()
    started = person.post_started_on
    # A person with no start date (most of a registered workforce) costs no query here.
    if started is None or started < datetime.date(today.year, 1, 1) or person.status == Person.Status.LEFT:
        return None
    if rules is None or row is None:
        rules = hours.rules_for_year(started.year, scope=scope)
        row = hours.people_hours(
            scope=scope, year=started.year, people=Person.objects.filter(pk=person.pk), rules=rules
        ).first()
    if row is None or not row.is_new or not row.required:
        return None
    done = Attendance.dangerously_unscoped.filter(
        # The person is in the caller's scope (people_hours found them); their own hours may be
        # read whichever unit ran the session, as in training.hours.
        person_id=person.pk,
        session__starts_on__gte=datetime.date(started.year, 1, 1),
    ).aggregate(total=Sum("hours"))["total"] or Decimal(0)
    return PreJob(required=row.required, done=Decimal(done), rule=hours.deciding_rule(rules, row))


def _reason(state: PreJob) -> str:
    return _("Pre-job training: %(done)s of %(required)s hours (%(source)s)") % {
        "done": state.done,
        "required": state.required,
        "source": state.source,
    }


def _open_gate_holds(person: Person) -> list[PersonHold]:
    return [h for h in holds.open_holds(person) if h.source == SOURCE]


def gate(scope: Scope, person: Person) -> PreJob | None:
    """Place or lift the person's pre-job hold to match their hours now (idempotent). Holds of an
    earlier post are lifted: that gate no longer applies."""
    state = pre_job(scope=scope, person=person)
    current = _reference(person)
    held = _open_gate_holds(person)
    for hold in held:
        if (hold.reference_type, hold.reference_id) != current:
            holds.lift_hold(
                scope=scope,
                person=person,
                source=SOURCE,
                reference=(hold.reference_type, hold.reference_id),
                lift_reason=_("The post changed: its pre-job training is asked again."),
            )
    if state is None or state.met or not state.binding:
        if any((h.reference_type, h.reference_id) == current for h in held):
            holds.lift_hold(
                scope=scope,
                person=person,
                source=SOURCE,
                reference=current,
                lift_reason=_("Pre-job training hours met."),
            )
        return state
    holds.place_hold(
        scope=scope,
        person=person,
        source=SOURCE,
        reason=_reason(state),
        reference=current,
    )
    return state


def gate_many(scope: Scope, people: list[Person]) -> None:
    """``gate`` for people registered together (the Excel import, ``tenants.holds.
    run_post_gates_many``): the reads in four queries per start year, the holds placed in one
    batch (``tenants.holds.place_holds``). A person already held by this gate is asked through
    ``gate`` (an earlier post's hold may have to be lifted): an import registers only new people,
    so that costs nothing there."""
    if not people:
        return
    held = set(
        PersonHold.dangerously_unscoped.filter(
            # Only the people the caller has just saved in its scope.
            person_id__in=[p.pk for p in people],
            source=SOURCE,
            lifted_at__isnull=True,
        ).values_list("person_id", flat=True)
    )
    for person in people:
        if person.pk in held:
            gate(scope, person)
    year_start = datetime.date(hours.today().year, 1, 1)
    by_year: dict[int, list[Person]] = {}
    for person in people:
        started = person.post_started_on
        # The same test as pre_job's: only people new to their post this year may be held.
        if person.pk in held or started is None or started < year_start:
            continue
        if person.status == Person.Status.LEFT:
            continue
        by_year.setdefault(started.year, []).append(person)
    placements = []
    for year, group in sorted(by_year.items()):
        rules = hours.rules_for_year(year, scope=scope)
        ids = [p.pk for p in group]
        people_qs = Person.objects.filter(pk__in=ids)
        rows = hours.people_hours(scope=scope, year=year, people=people_qs, rules=rules)
        done = dict(
            Attendance.dangerously_unscoped.filter(
                # The people are in the caller's scope (as in pre_job).
                person_id__in=ids,
                session__starts_on__gte=datetime.date(year, 1, 1),
            )
            .order_by()
            .values("person_id")
            .annotate(total=Sum("hours"))
            .values_list("person_id", "total")
        )
        for row in rows:
            if not row.is_new or not row.required:
                continue
            state = PreJob(
                required=row.required,
                done=Decimal(done.get(row.pk) or 0),
                rule=hours.deciding_rule(rules, row),
            )
            if state.met or not state.binding:
                continue
            placements.append((row, _reason(state), _reference(row)))
    holds.place_holds(scope=scope, source=SOURCE, placements=placements)


def recheck(scope: Scope, person_ids) -> None:
    """After attendance is recorded: ask the gate again for those of ``person_ids`` who are held
    by it (one query when nobody is)."""
    held = (
        PersonHold.dangerously_unscoped.filter(
            # Only people the caller just recorded attendance for, already checked in its scope.
            person_id__in=list(person_ids),
            source=SOURCE,
            lifted_at__isnull=True,
        )
        .values_list("person_id", flat=True)
        .distinct()
    )
    ids = list(held)
    if not ids:
        return
    for person in scope.filter_queryset(Person.objects.filter(pk__in=ids)).select_related("org_unit"):
        gate(scope, person)
