"""Training hours against the rules (安全培训学时), and who must be retrained before resuming work.

Reads only; every function takes the scope (or uses the active one) and filters on it itself.

How a person is judged for a year Y (decisions where DOMAIN.md is silent):

* **Rule pack**: the packs in force on 1 January of Y — or today, for the current year, so that a
  pack taking effect mid-year applies at once (``reference_day``). For each person the most
  specific pack that has a row for their post applies (their group's own pack, then a provincial
  pack by the region code of their mine, then national: ``training.packs``); within a pack the
  row for their mine's type wins over the row for its group (coal / non-coal), which wins over
  the row for "any mine type". The mine is the ``MineProfile`` of the mine their team or mine is
  in. ``hours_rule_id`` names the deciding row, so a page can say when it is unverified (待核实).
* **Initial or annual hours**: a person is *new* in Y — and owes the initial hours — when they
  took their current post in Y (``Person.post_started_on``) and have no attendance before
  1 January of Y. Everyone else owes the annual retraining hours. The registration date of the
  record is not used: a group that registers its whole workforce in its first year would
  otherwise see every veteran owe the initial 48/72 hours.
* **Hours done**: the sum of the hours attended in sessions that *start* in Y.
* **Who counts**: people on post or suspended from post; people who have left are not judged.
* **Retraining flags**: *changed post* — ``post_started_on`` is set and the person has attended
  no session starting on or after that day; *back after absence* — ``absent_since`` and
  ``returned_on`` are set, the absence lasted at least the pack's ``retrain_after_absence_days``
  (365 by default) and the person has attended no session starting on or after the return.
  A flag clears with the first training attended after the event.

Every list runs a constant number of queries: the hours, the "new" test and the flags are
annotations of one people query (the mine's type and region code are subqueries of it); the
rule packs and their rows come from two, resolved once per page.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.models import MineProfile, OrgUnit, Person
from tenants.scope import Scope, current_scope

from . import packs
from .models import Attendance, MineGroup
from .packs import Candidates

HOURS = DecimalField(max_digits=7, decimal_places=1)
ZERO = Value(Decimal("0.0"), output_field=HOURS)
MIN_YEAR, MAX_YEAR = 2000, 2100


def today() -> datetime.date:
    return timezone.localdate()


def reference_day(year: int) -> datetime.date:
    now = today()
    return now if year == now.year else datetime.date(year, 1, 1)


def rules_for_year(year: int, *, scope: Scope | None = None) -> Candidates:
    """The packs that may judge a year (national, provincial, the scope's groups' own) with
    their hours rules: two queries, resolved per person in SQL by ``people_hours``."""
    return packs.candidates(scope=scope or current_scope(), day=reference_day(year))


# Kept for callers that name the type of ``rules``.
Rules = Candidates


def year_bounds(year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


# --- the annotated people query --------------------------------------------------------------------
def _attended(**session_filter):
    # The outer query holds only people the caller may see; their own attendance may be read
    # whichever unit ran the session (a person trained by the group HQ still has the hours).
    return Attendance.dangerously_unscoped.filter(person_id=OuterRef("pk"), **session_filter)


def _mine_type():
    # The type of the mine the person's unit is in or under (a person's own mine is no secret to
    # anyone who may see the person; the outer query is scoped).
    profiles = MineProfile.dangerously_unscoped.filter(tenant_id=OuterRef("tenant_id")).annotate(
        person_path=ExpressionWrapper(OuterRef("org_unit__path"), output_field=CharField())
    )
    return Subquery(profiles.filter(person_path__startswith=F("org_unit__path")).values("mine_type")[:1])


def _mine_region():
    # The region code of that same mine (for provincial packs); same reasoning as _mine_type.
    profiles = MineProfile.dangerously_unscoped.filter(tenant_id=OuterRef("tenant_id")).annotate(
        person_path=ExpressionWrapper(OuterRef("org_unit__path"), output_field=CharField())
    )
    return Subquery(profiles.filter(person_path__startswith=F("org_unit__path")).values("region_code")[:1])


def _pack_condition(pack) -> Q:
    if pack.owner_tenant_id is not None:
        return Q(tenant_id=pack.owner_tenant_id)
    if pack.region_prefix:
        return Q(mine_region__startswith=pack.region_prefix)
    return Q()


def _row_condition(rule) -> Q:
    if rule.mine_type:
        return Q(post_category=rule.post_category, mine_type=rule.mine_type)
    if rule.mine_group:
        return Q(post_category=rule.post_category, mine_group=rule.mine_group)
    return Q(post_category=rule.post_category)


def _rows_in_order(rules: Candidates):
    """(pack, row) most specific first: the first SQL ``When`` that matches a person is the row
    ``Candidates.hours_for`` would pick for them."""
    for pack in rules.packs:
        rows = rules.rules.get(pack.pk, [])
        ordered = [r for r in rows if r.mine_type] + [r for r in rows if not r.mine_type and r.mine_group]
        ordered += [r for r in rows if not r.mine_type and not r.mine_group]
        for row in ordered:
            yield pack, row


def _required(rules: Candidates):
    whens = []
    for pack, row in _rows_in_order(rules):
        cond = _pack_condition(pack) & _row_condition(row)
        whens.append(When(cond & Q(is_new=True), then=Value(Decimal(row.initial_hours), HOURS)))
        whens.append(When(cond & Q(is_new=False), then=Value(Decimal(row.annual_hours), HOURS)))
    return Case(*whens, default=ZERO, output_field=HOURS) if whens else ZERO


def _deciding_rule(rules: Candidates):
    whens = [
        When(_pack_condition(pack) & _row_condition(row), then=Value(row.pk))
        for pack, row in _rows_in_order(rules)
    ]
    if not whens:
        return Value(None, output_field=IntegerField())
    return Case(*whens, default=None, output_field=IntegerField())


def _absence_flag(rules: Candidates):
    # The pack's own value (retrain after an absence of N days) comes from the most specific pack
    # of the person's mine: once a pack's condition matches, the less specific ones are not asked.
    base = Q(returned_on__isnull=False, absent_since__isnull=False, trained_since_return=False)
    whens = []
    for pack in rules.packs:
        cond = _pack_condition(pack)
        gap = datetime.timedelta(days=pack.retrain_after_absence_days)
        whens.append(When(cond & base & Q(returned_on__gte=F("absent_since") + gap), then=Value(True)))
        if cond:  # the national pack (no condition) is last: the default covers it
            whens.append(When(cond, then=Value(False)))
    if not whens:
        return Value(False, output_field=BooleanField())
    return Case(*whens, default=Value(False), output_field=BooleanField())


def people_hours(
    *,
    scope: Scope,
    year: int,
    org_unit: OrgUnit | None = None,
    short_only: bool = False,
    flagged_only: bool = False,
    people: QuerySet | None = None,
    rules: Rules | None = None,
) -> QuerySet[Person]:
    """People in scope with ``hours_done``, ``required``, ``shortfall``, ``is_new``, ``mine_type``,
    ``post_change_flag`` and ``absence_flag`` annotated; shortest first."""
    rules = rules or rules_for_year(year, scope=scope)
    start, end = year_bounds(year)
    qs = people if people is not None else Person.objects.all()
    qs = scope.filter_queryset(qs).exclude(status=Person.Status.LEFT)
    if org_unit is not None:
        qs = qs.filter(org_unit__path__startswith=org_unit.path)
    done = (
        _attended(session__starts_on__gte=start, session__starts_on__lte=end)
        .order_by()
        .values("person_id")
        .annotate(total=Sum("hours"))
        .values("total")
    )
    qs = qs.annotate(
        hours_done=Coalesce(Subquery(done, output_field=HOURS), ZERO, output_field=HOURS),
        had_before=Exists(_attended(session__starts_on__lt=start)),
        mine_type=_mine_type(),
        mine_region=_mine_region(),
        trained_since_post=Exists(_attended(session__starts_on__gte=OuterRef("post_started_on"))),
        trained_since_return=Exists(_attended(session__starts_on__gte=OuterRef("returned_on"))),
    ).annotate(
        mine_group=Case(
            When(mine_type__startswith="coal", then=Value(MineGroup.COAL.value)),
            When(mine_type__isnull=False, then=Value(MineGroup.NON_COAL.value)),
            default=Value(MineGroup.ANY.value),
        ),
        is_new=Case(
            When(Q(post_started_on__gte=start, post_started_on__lte=end, had_before=False), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
        post_change_flag=Case(
            When(Q(post_started_on__isnull=False, trained_since_post=False), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
        absence_flag=_absence_flag(rules),
    )
    qs = qs.annotate(required=_required(rules), hours_rule_id=_deciding_rule(rules)).annotate(
        shortfall=Case(
            When(hours_done__lt=F("required"), then=F("required") - F("hours_done")),
            default=ZERO,
            output_field=HOURS,
        )
    )
    if short_only:
        qs = qs.filter(shortfall__gt=0)
    if flagged_only:
        qs = qs.filter(Q(post_change_flag=True) | Q(absence_flag=True))
    return qs.order_by("-shortfall", "org_unit__path", "employee_no")


def person_hours(*, scope: Scope, person: Person, year: int) -> Person | None:
    """One person with the annotations of ``people_hours`` (None if they have left)."""
    return people_hours(scope=scope, year=year, people=Person.objects.filter(pk=person.pk)).first()


# --- summaries per unit -------------------------------------------------------------------------------
GROUP_KINDS = {
    "team": OrgUnit.Kind.TEAM,
    "mine": OrgUnit.Kind.MINE,
    "subsidiary": OrgUnit.Kind.SUBSIDIARY,
    "group": OrgUnit.Kind.HQ,
}


@dataclass
class UnitSummary:
    unit: OrgUnit | None
    people: int = 0
    short: int = 0
    shortfall: Decimal = Decimal("0")
    flagged: int = 0

    @property
    def compliant(self) -> int:
        return self.people - self.short

    @property
    def compliant_pct(self) -> float:
        return round(100.0 * self.compliant / self.people, 1) if self.people else 100.0


def _segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


def summary_by_unit(
    *,
    scope: Scope,
    year: int,
    level: str = "mine",
    org_unit: OrgUnit | None = None,
    rules: Rules | None = None,
) -> list[UnitSummary]:
    """People, how many are short, total hours short and flagged people, per unit of ``level``
    (team, mine, subsidiary or group). A person is counted under the deepest unit of that kind on
    their path (nested subsidiaries count under the nearest); people with no such unit above them
    (e.g. a mine's own staff when grouping by team) are counted under their own unit."""
    kind = GROUP_KINDS.get(level, OrgUnit.Kind.MINE)
    rows = list(
        people_hours(scope=scope, year=year, org_unit=org_unit, rules=rules)
        .order_by()
        .values_list("org_unit__path", "shortfall", "post_change_flag", "absence_flag")
    )
    ids = {seg for path, *_ in rows for seg in _segments(path)}
    # Names of the units above people the caller may see: a regulator sees a mine and is shown
    # its subsidiary and group by name, as the mine list does; nothing below them is read.
    units = {
        u.id.hex: u for u in OrgUnit.dangerously_unscoped.filter(id__in=list(ids)).select_related("tenant")
    }
    summaries: dict[str, UnitSummary] = {}
    for path, shortfall, post_flag, absence_flag in rows:
        chain = [units[s] for s in _segments(path) if s in units]
        of_kind = [u for u in chain if u.kind == kind]
        unit = of_kind[-1] if of_kind else (chain[-1] if chain else None)
        key = unit.id.hex if unit else ""
        summary = summaries.setdefault(key, UnitSummary(unit=unit))
        summary.people += 1
        if shortfall and shortfall > 0:
            summary.short += 1
            summary.shortfall += shortfall
        if post_flag or absence_flag:
            summary.flagged += 1
    return sorted(summaries.values(), key=lambda s: s.unit.path if s.unit else "")


def summary_by_mine(mine_ids, year: int, *, scope: Scope | None = None) -> dict:
    """{mine_id: {"people": n, "short": n, "compliant_pct": float}} for the mines in the caller's
    scope (unknown or foreign ids are left out); a mine with nobody counts as 100 % compliant.
    Constant queries whatever the number of mines."""
    scope = scope or current_scope()
    mines = list(scope.filter_queryset(OrgUnit.objects.filter(pk__in=list(mine_ids), kind=OrgUnit.Kind.MINE)))
    result = {m.pk: {"people": 0, "short": 0, "compliant_pct": 100.0} for m in mines}
    if not mines:
        return result
    by_hex = {m.id.hex: m.pk for m in mines}
    under = Q(pk__in=[])
    for mine in mines:
        under |= Q(org_unit__path__startswith=mine.path)
    rows = (
        people_hours(scope=scope, year=year, people=Person.objects.filter(under))
        .order_by()
        .values_list("org_unit__path", "shortfall")
    )
    for path, shortfall in rows:
        mine_id = next((by_hex[s] for s in _segments(path) if s in by_hex), None)
        if mine_id is None:
            continue
        entry = result[mine_id]
        entry["people"] += 1
        if shortfall and shortfall > 0:
            entry["short"] += 1
    for entry in result.values():
        if entry["people"]:
            entry["compliant_pct"] = round(100.0 * (entry["people"] - entry["short"]) / entry["people"], 1)
    return result


def mine_type_label(mine_type: str | None) -> str:
    if not mine_type:
        return ""
    return str(dict(MineProfile.MineType.choices).get(mine_type, mine_type))


def deciding_rule(rules: Candidates, person):
    """The hours row that set ``required`` for a person annotated by ``people_hours`` (None when
    no rule covers them)."""
    return rules.rule(getattr(person, "hours_rule_id", None))


def unverified_note(rules: Candidates, person) -> str:
    """ "待核实" with the source to check, when the row deciding the person's hours is unverified:
    the shortfall is then a warning, never a stop (DESIGN.md "Rules as data")."""
    rule = deciding_rule(rules, person)
    if rule is None or rule.verified:
        return ""
    return _("To be verified: %(source)s") % {"source": rule.source or rule.pack.document_no}


def retraining_flags(person) -> list[str]:
    """Codes of the retraining flags on a person annotated by ``people_hours``."""
    flags = []
    if getattr(person, "post_change_flag", False):
        flags.append("post_change")
    if getattr(person, "absence_flag", False):
        flags.append("absence")
    return flags


def retraining_labels(person) -> list[str]:
    labels = {
        "post_change": _("New post: retrain before starting"),
        "absence": _("Back after a long absence: retrain before resuming"),
    }
    return [str(labels[code]) for code in retraining_flags(person)]
