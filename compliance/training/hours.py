"""Training hours against the rules (安全培训学时), and who must be retrained before resuming work.

Reads only; every function takes the scope (or uses the active one) and filters on it itself.

How a person is judged for a year Y (decisions where DOMAIN.md is silent):

* **Rule pack**: the pack in force on 1 January of Y — or today, for the current year, so that a
  pack taking effect mid-year applies at once (``reference_day``). Within the pack the hours rule
  for the person's post category and the mine group of their mine (coal / non-coal, from the
  ``MineProfile`` of the mine their team or mine is in) wins over the rule for "any mine type".
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
annotations of one people query; mine types come from one query; the rule pack from two.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
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

from .models import Attendance, HoursRule, MineGroup, RulePack

HOURS = DecimalField(max_digits=7, decimal_places=1)
ZERO = Value(Decimal("0.0"), output_field=HOURS)
MIN_YEAR, MAX_YEAR = 2000, 2100


def today() -> datetime.date:
    return timezone.localdate()


def reference_day(year: int) -> datetime.date:
    now = today()
    return now if year == now.year else datetime.date(year, 1, 1)


def pack_for_year(year: int) -> RulePack | None:
    day = reference_day(year)
    try:
        return RulePack.for_date(day)
    except RulePack.DoesNotExist:
        # Before the first pack took effect: judge by the oldest one rather than by nothing.
        return RulePack.objects.order_by("effective_from").first()


@dataclass
class Rules:
    """The hours rules of one pack: (post category, mine group) → (initial, annual)."""

    pack: RulePack | None
    table: dict = field(default_factory=dict)

    def hours_for(self, post_category: str, mine_group: str) -> tuple[int, int] | None:
        return self.table.get((post_category, mine_group)) or self.table.get((post_category, MineGroup.ANY))

    @property
    def absence_days(self) -> int:
        return self.pack.retrain_after_absence_days if self.pack else 365


def rules_for_year(year: int) -> Rules:
    pack = pack_for_year(year)
    if pack is None:
        return Rules(pack=None)
    table = {
        (r.post_category, r.mine_group): (r.initial_hours, r.annual_hours)
        for r in HoursRule.objects.filter(pack=pack)
    }
    return Rules(pack=pack, table=table)


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


def _required(rules: Rules):
    whens = []
    for post in Person.PostCategory.values:
        for group in (MineGroup.COAL, MineGroup.NON_COAL, MineGroup.ANY):
            hours = rules.hours_for(post, group)
            if hours is None:
                continue
            initial, annual = hours
            whens.append(
                When(post_category=post, mine_group=group, is_new=True, then=Value(Decimal(initial), HOURS))
            )
            whens.append(
                When(post_category=post, mine_group=group, is_new=False, then=Value(Decimal(annual), HOURS))
            )
    return Case(*whens, default=ZERO, output_field=HOURS)


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
    rules = rules or rules_for_year(year)
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
    absence = datetime.timedelta(days=rules.absence_days)
    qs = qs.annotate(
        hours_done=Coalesce(Subquery(done, output_field=HOURS), ZERO, output_field=HOURS),
        had_before=Exists(_attended(session__starts_on__lt=start)),
        mine_type=_mine_type(),
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
        absence_flag=Case(
            When(
                Q(
                    returned_on__isnull=False,
                    absent_since__isnull=False,
                    returned_on__gte=F("absent_since") + absence,
                    trained_since_return=False,
                ),
                then=Value(True),
            ),
            default=Value(False),
            output_field=BooleanField(),
        ),
    )
    qs = qs.annotate(required=_required(rules)).annotate(
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
