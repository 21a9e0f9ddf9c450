"""Each mine's grading status and what it means for production (生产资格).

- A **coal** mine without a valid grade of 三级 or better — a VALID certificate whose re-check is
  not past due — is **not permitted to produce** (DOMAIN.md). A certificate past its re-check date
  counts as no grade from that day on, even before the daily lapse job marks it LAPSED — but only
  when the re-check interval is a verified rule: past an unverified one (the 2024 coal edition's
  12 months) the grade still counts and the status carries a 待核实 warning with the source.
- A coal mine **stopped** (停产) longer than the policy rule's months loses its grade (定级办法);
  ``MineProfile.production_status_since`` dates the stop. Verified: no grade from that day;
  unverified: a warning.
- A **producing non-coal** mine must reach 三级 by the end of the policy window (the 2023
  national target: ``PolicyRule`` non_coal_level3_years counted from its ``starts_on``, the same
  date for every mine): a countdown, then an overdue flag (with a warning while unverified).
- A **coal** mine at **二级** may apply for 一级 a full year at 二级 without an accident:
  ``max(date it reached 二级, date of its last accident) + level1_wait_years``. Non-coal: no wait.

- A **major hazard** not yet accepted stops the mine or an area (hazards registers its stops in
  ``compliance.registry.production_stops``; grading reads the registry, never hazards): a binding
  stop of the whole mine → **not permitted to produce**, whatever the grade, with the hazard named
  (and linked); a stopped area → production allowed, the area named; a stop that rests on an
  unverified criterion is a 待核实 warning and never stops the mine on its own (DESIGN.md "Rules as
  data"). With no provider registered there are no stops.

The policy figures are rule data (``grading.rules.policy_rules``), read once per list; the stops
are read once per list too (one registry call for all its mines).

``with_grading_status`` annotates a queryset of mines (a fixed number of subqueries, whatever the
number of mines); ``MineStatus`` reads those annotations, and ``mine_status`` gives the same for
one mine, so the list and the mine page can never disagree.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import (
    BooleanField,
    Case,
    Exists,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance import registry
from tenants.models import MineProfile, OrgUnit
from tenants.scope import Scope, active_scope

from .accidents import COAL_TYPES
from .grades import add_months
from .models import Accident, Assessment, GradeCertificate, GradeEvent, PolicyRule
from .rules import policy_rules
from .scoring import level_name

RECHECK_WINDOW_DAYS = 90  # "re-check due soon" on the dashboard and the lists
Key = PolicyRule.Key

IN_PROGRESS = (Assessment.Status.DRAFT, Assessment.Status.SUBMITTED, Assessment.Status.UNDER_REVIEW)
Status = GradeCertificate.Status


@dataclass(frozen=True)
class RuleWarning:
    """A consequence of an unverified rule (待核实): shown, never acted on."""

    text: str
    source: str

    def as_dict(self) -> dict:
        return {"text": self.text, "source": self.source}


def add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# --- the annotation ------------------------------------------------------------------------------


def _current_certificate():
    # The outer queryset holds mines the caller may see; a mine's certificates belong to the same
    # tenant and are read for that mine only, so the inner queries may use the unscoped manager.
    # "Current": the valid certificate if there is one (at most one), else the latest that ended
    # (revoked or lapsed); a superseded one was replaced by a later award and never counts.
    return (
        GradeCertificate.dangerously_unscoped.filter(mine_id=OuterRef("pk"))
        .exclude(status=Status.SUPERSEDED)
        .annotate(
            valid_first=Case(
                When(status=Status.VALID, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("valid_first", "-awarded_on", "-number")
    )


def with_grade(qs: QuerySet[OrgUnit]) -> QuerySet[OrgUnit]:
    """Mines annotated with what the list filters and the dashboard counts read: their current
    certificate's level, status and re-check date (three subqueries per mine)."""
    current = _current_certificate()
    return qs.annotate(
        grade_level=Subquery(current.values("level")[:1]),
        grade_status=Subquery(current.values("status")[:1]),
        grade_recheck_due=Subquery(current.values("recheck_due")[:1]),
        # Whether the interval that set the re-check date is verified (a certificate without an
        # assessment: a date set by hand, which binds).
        grade_recheck_verified=Coalesce(
            Subquery(current.values("assessment__version__verified")[:1]),
            Value(True),
            output_field=BooleanField(),
        ),
    )


def with_grading_status(qs: QuerySet[OrgUnit]) -> QuerySet[OrgUnit]:
    """Mines annotated (``with_grade``) and with their certificate, when they reached 二级 on it,
    their last accident and whether an assessment is in progress — nine subqueries in one
    statement."""
    current = _current_certificate()
    reached_level2 = (
        # Correlated subqueries on each mine of the outer, scoped queryset: they read only that
        # mine's rows.
        GradeEvent.dangerously_unscoped.filter(
            certificate__mine_id=OuterRef("pk"),
            certificate__status=Status.VALID,
            to_level=2,
            kind__in=[GradeEvent.Kind.AWARDED, GradeEvent.Kind.DOWNGRADED, GradeEvent.Kind.CHECK_FAILED],
        )
        .order_by()
        .values("certificate__mine_id")
        .annotate(on=Max("occurred_on"))
        .values("on")[:1]
    )
    last_accident = (
        Accident.dangerously_unscoped.filter(mine_id=OuterRef("pk"))
        .order_by()
        .values("mine_id")
        .annotate(on=Max("occurred_on"))
        .values("on")[:1]
    )
    return with_grade(qs).annotate(
        grade_recheck_source=Subquery(current.values("assessment__version__source")[:1]),
        grade_certificate_id=Subquery(current.values("pk")[:1]),
        grade_number=Subquery(current.values("number")[:1]),
        grade_level2_since=Subquery(reached_level2),
        grade_last_accident_on=Subquery(last_accident),
        grade_assessment_in_progress=Exists(
            Assessment.dangerously_unscoped.filter(mine_id=OuterRef("pk"), status__in=IN_PROGRESS)
        ),
    )


# --- filters on the annotation (database side: lists and dashboard counts) ------------------------


def _policies(policies) -> dict:
    return policy_rules() if policies is None else policies


def q_stopped_too_long(today: datetime.date, policies=None, *, binding_only: bool = True) -> Q:
    """Coal mines stopped longer than the stopped-production rule allows (only when that rule is
    verified, unless ``binding_only`` is False). Matches nothing without the rule."""
    rule = _policies(policies).get(Key.STOPPED_PRODUCTION_MONTHS)
    if rule is None or (binding_only and not rule.binding):
        return Q(pk__in=[])
    return (
        q_coal()
        & Q(mine_profile__production_status=MineProfile.ProductionStatus.SUSPENDED)
        # Explicit, so the condition is false (not unknown) for an undated stop under negation.
        & Q(mine_profile__production_status_since__isnull=False)
        & Q(mine_profile__production_status_since__lt=add_months(today, -rule.value))
    )


def q_graded(today: datetime.date, policies=None) -> Q:
    """A valid grade that counts: its re-check not past due, or past due by an unverified
    interval (待核实: it warns); and the mine not stopped beyond the verified limit."""
    return (
        Q(grade_status=Status.VALID)
        & (
            Q(grade_recheck_due__isnull=True)
            | Q(grade_recheck_due__gte=today)
            | Q(grade_recheck_verified=False)
        )
        & ~q_stopped_too_long(today, policies)
    )


def q_level(level: int | None, today: datetime.date, policies=None) -> Q:
    policies = _policies(policies)
    if level is None:
        return ~q_graded(today, policies) | Q(grade_status__isnull=True)
    return q_graded(today, policies) & Q(grade_level=level)


def q_coal() -> Q:
    return Q(mine_profile__mine_type__in=COAL_TYPES)


def q_not_permitted(today: datetime.date, policies=None) -> Q:
    """Coal mines without a valid grade (closed mines left out: they produce nothing)."""
    return (
        q_coal()
        & ~Q(mine_profile__production_status=MineProfile.ProductionStatus.CLOSED)
        & (~q_graded(today, policies) | Q(grade_status__isnull=True))
    )


def q_recheck_due(today: datetime.date, days: int = RECHECK_WINDOW_DAYS) -> Q:
    return Q(
        grade_status=Status.VALID, grade_recheck_due__range=(today, today + datetime.timedelta(days=days))
    )


def q_recheck_overdue(today: datetime.date) -> Q:
    """The re-check date passed: still marked valid (the lapse job runs at night, and lapses
    nothing by an unverified interval) or lapsed."""
    return Q(grade_status=Status.VALID, grade_recheck_due__lt=today) | Q(grade_status=Status.LAPSED)


def level3_deadline(policies) -> datetime.date | None:
    """The end of the non-coal window for 三级 (its start date + its years), one date for all."""
    rule = policies.get(Key.NON_COAL_LEVEL3_YEARS)
    if rule is None or rule.starts_on is None:
        return None
    return add_years(rule.starts_on, rule.value)


def q_non_coal_overdue(today: datetime.date, policies=None) -> Q:
    """Producing non-coal mines past the deadline for 三级 without a valid grade."""
    policies = _policies(policies)
    deadline = level3_deadline(policies)
    if deadline is None or deadline >= today:
        return Q(pk__in=[])
    return (
        ~q_coal()
        & Q(mine_profile__production_status=MineProfile.ProductionStatus.PRODUCING)
        & (~q_graded(today, policies) | Q(grade_status__isnull=True))
    )


def q_assessment(status: str) -> Q:
    # Only mine ids leave the subquery, and the outer mine query is scoped: a foreign id matches
    # nothing.
    return Q(pk__in=Assessment.dangerously_unscoped.filter(status=status).values("mine_id"))


# --- reading one mine's status ----------------------------------------------------------------------


@dataclass
class MineStatus:
    mine: OrgUnit
    today: datetime.date
    # The policy rules in force, by key; read once per list (``statuses``), else on first use.
    policies: dict | None = field(default=None, repr=False)
    # The mine's production stops (``registry.production_stops``), read once per list.
    stops: list[registry.ProductionStop] = field(default_factory=list, repr=False)

    def __post_init__(self):
        if self.policies is None:
            self.policies = policy_rules()

    def _rule(self, key) -> PolicyRule | None:
        return self.policies.get(key)

    # the annotation, read once
    @property
    def _profile(self) -> MineProfile | None:
        return getattr(self.mine, "mine_profile", None)

    @property
    def is_coal(self) -> bool:
        return self._profile is not None and self._profile.mine_type in COAL_TYPES

    @property
    def certificate_status(self) -> str | None:
        return self.mine.grade_status

    @property
    def recheck_due(self) -> datetime.date | None:
        return self.mine.grade_recheck_due

    @property
    def recheck_verified(self) -> bool:
        return bool(getattr(self.mine, "grade_recheck_verified", True))

    @property
    def _past_due(self) -> bool:
        return (
            self.mine.grade_status == Status.VALID
            and self.recheck_due is not None
            and self.recheck_due < self.today
        )

    @property
    def recheck_overdue(self) -> bool:
        return self.mine.grade_status == Status.LAPSED or self._past_due

    @property
    def recheck_days_left(self) -> int | None:
        if self.mine.grade_status != Status.VALID or self.recheck_due is None:
            return None
        return (self.recheck_due - self.today).days

    # stopped production
    @property
    def stopped_since(self) -> datetime.date | None:
        profile = self._profile
        if profile is None or profile.production_status != MineProfile.ProductionStatus.SUSPENDED:
            return None
        return profile.production_status_since

    @property
    def grade_lost_on(self) -> datetime.date | None:
        """The day a stopped coal mine's grade is lost by the stopped-production rule (verified or
        not), when that day has passed."""
        rule = self._rule(Key.STOPPED_PRODUCTION_MONTHS)
        since = self.stopped_since
        if not self.is_coal or rule is None or since is None:
            return None
        lost_on = add_months(since, rule.value)
        return lost_on if lost_on <= self.today else None

    @property
    def level(self) -> int | None:
        """The level of a valid grade that counts: re-check not past due by a verified interval,
        not stopped beyond the verified limit. None otherwise."""
        if self.mine.grade_status != Status.VALID:
            return None
        if self._past_due and self.recheck_verified:
            return None
        rule = self._rule(Key.STOPPED_PRODUCTION_MONTHS)
        if self.grade_lost_on is not None and rule.binding:
            return None
        return self.mine.grade_level

    @property
    def level_label(self) -> str:
        return level_name(self.level)

    @property
    def warnings(self) -> list[RuleWarning]:
        """Consequences of unverified rules (待核实), each with the source to check. They change
        neither the level nor the permission to produce."""
        out = []
        if self.mine.grade_status == Status.VALID and self._past_due and not self.recheck_verified:
            out.append(
                RuleWarning(
                    _(
                        "The re-check was due on %(date)s by an interval that is not verified: the grade "
                        "still counts until the interval is checked."
                    )
                    % {"date": self.recheck_due.isoformat()},
                    self._recheck_source,
                )
            )
        rule = self._rule(Key.STOPPED_PRODUCTION_MONTHS)
        if self.mine.grade_status == Status.VALID and self.grade_lost_on is not None and not rule.binding:
            out.append(
                RuleWarning(
                    _(
                        "Stopped since %(date)s, more than %(months)s months: by a rule still to be "
                        "verified the grade would be lost."
                    )
                    % {"date": self.stopped_since.isoformat(), "months": rule.value},
                    rule.source,
                )
            )
        deadline_rule = self._rule(Key.NON_COAL_LEVEL3_YEARS)
        if self.level3_overdue and deadline_rule is not None and not deadline_rule.binding:
            out.append(
                RuleWarning(
                    _("The deadline for Level 3 comes from a rule still to be verified."),
                    deadline_rule.source,
                )
            )
        for stop in self.unverified_stops:
            out.append(
                RuleWarning(
                    _("%(reason)s: it would stop %(what)s, but its criterion is still to be verified.")
                    % {"reason": stop.reason, "what": stop.area or _("the whole mine")},
                    stop.source,
                )
            )
        return out

    @property
    def _recheck_source(self) -> str:
        return getattr(self.mine, "grade_recheck_source", "") or ""

    # stops (a major hazard under rectification)
    @property
    def mine_stops(self) -> list[registry.ProductionStop]:
        """Binding stops of the whole mine: it may not produce."""
        return [s for s in self.stops if s.binding and not s.area]

    @property
    def area_stops(self) -> list[registry.ProductionStop]:
        """Binding stops of an area: the mine produces, that area does not."""
        return [s for s in self.stops if s.binding and s.area]

    @property
    def unverified_stops(self) -> list[registry.ProductionStop]:
        """Stops resting on an unverified rule (待核实): shown, never acted on."""
        return [s for s in self.stops if not s.binding]

    @property
    def stopped_by_hazard(self) -> bool:
        return bool(self.mine_stops)

    # production
    @property
    def permitted(self) -> bool | None:
        """Whether it may produce. Coal: a grade that counts and no binding stop of the whole mine.
        Non-coal: False under such a stop, else None (no grade rule for it)."""
        if self.mine_stops:
            return False
        if not self.is_coal:
            return None
        return self.level is not None

    @property
    def production_status(self) -> str:
        return self._profile.production_status if self._profile is not None else ""

    @property
    def producing_since(self) -> datetime.date | None:
        return self._profile.production_started_on if self._profile is not None else None

    @property
    def level3_deadline(self) -> datetime.date | None:
        if self.is_coal or self.production_status != MineProfile.ProductionStatus.PRODUCING:
            return None
        return level3_deadline(self.policies)

    @property
    def level3_days_left(self) -> int | None:
        deadline = self.level3_deadline
        if deadline is None or self.level is not None:
            return None
        return (deadline - self.today).days

    @property
    def level3_overdue(self) -> bool:
        days = self.level3_days_left
        return days is not None and days < 0

    # level 1
    @property
    def _wait_years(self) -> int | None:
        rule = self._rule(Key.LEVEL1_WAIT_YEARS)
        return rule.value if rule is not None else None

    @property
    def level2_since(self) -> datetime.date | None:
        return self.mine.grade_level2_since if self.level == 2 else None

    @property
    def last_accident_on(self) -> datetime.date | None:
        return self.mine.grade_last_accident_on

    @property
    def level1_eligible_on(self) -> datetime.date | None:
        """Coal only: the waiting year at 二级 is a coal rule (issue 14, point 6)."""
        since = self.level2_since
        if since is None or not self.is_coal or self._wait_years is None:
            return None
        start = max(since, self.last_accident_on) if self.last_accident_on else since
        return add_years(start, self._wait_years)

    @property
    def level1_days_left(self) -> int | None:
        eligible = self.level1_eligible_on
        return (eligible - self.today).days if eligible is not None else None

    @property
    def assessment_in_progress(self) -> bool:
        return bool(self.mine.grade_assessment_in_progress)

    # in words
    @property
    def grade_words(self) -> str:
        status = self.mine.grade_status
        if status is None:
            return _("Never graded.")
        if self.level is not None:
            if self._past_due:  # by an unverified interval: it still counts (待核实)
                return _(
                    "Valid %(level)s; its re-check was due on %(date)s by an interval still to be verified."
                ) % {
                    "level": level_name(self.level),
                    "date": self.recheck_due.isoformat(),
                }
            if self.recheck_due is None:
                return _("Valid %(level)s.") % {"level": level_name(self.level)}
            return _("Valid %(level)s, re-check due on %(date)s.") % {
                "level": level_name(self.level),
                "date": self.recheck_due.isoformat(),
            }
        if status == Status.VALID and self.grade_lost_on is not None and not self._past_due:
            return _("%(level)s, but production has been stopped since %(date)s: the grade is lost.") % {
                "level": level_name(self.mine.grade_level),
                "date": self.stopped_since.isoformat(),
            }
        if status == Status.VALID:  # past due, not lapsed yet
            return _("%(level)s, but its re-check was due on %(date)s: it counts as no grade.") % {
                "level": level_name(self.mine.grade_level),
                "date": self.recheck_due.isoformat(),
            }
        if status == Status.LAPSED:
            return _("The grade lapsed: its re-check was due on %(date)s.") % {
                "date": self.recheck_due.isoformat() if self.recheck_due else "—"
            }
        return _("The grade was revoked.")

    @property
    def production_words(self) -> str:
        words = self._grade_production_words
        if self.mine_stops:
            words = _("Not permitted to produce: %(reasons)s.") % {
                "reasons": "；".join(s.reason for s in self.mine_stops)
            }
        areas = " ".join(
            _("Production stopped in %(area)s: %(reason)s.") % {"area": s.area, "reason": s.reason}
            for s in self.area_stops
        )
        return " ".join(w for w in (words, areas) if w)

    @property
    def _grade_production_words(self) -> str:
        if self.is_coal:
            if self.permitted:
                return _("Permitted to produce: it holds a valid grade of %(level)s.") % {
                    "level": level_name(self.level)
                }
            return _("Not permitted to produce: a coal mine needs a valid grade of Level 3 or better.")
        if self.level3_deadline is None:
            return ""
        if self.level is not None:
            return _("Reached %(level)s (deadline for Level 3: %(date)s).") % {
                "level": level_name(self.level),
                "date": self.level3_deadline.isoformat(),
            }
        days = self.level3_days_left
        if days < 0:
            return _(
                "Overdue: a producing non-coal mine had to reach Level 3 by %(date)s (%(days)s days ago)."
            ) % {
                "date": self.level3_deadline.isoformat(),
                "days": -days,
            }
        return _("Must reach Level 3 by %(date)s: %(days)s days left.") % {
            "date": self.level3_deadline.isoformat(),
            "days": days,
        }

    @property
    def level1_words(self) -> str:
        eligible = self.level1_eligible_on
        if eligible is None:
            return ""
        if eligible <= self.today:
            return _("May apply for Level 1 (a full year at Level 2 without an accident since %(date)s).") % {
                "date": add_years(eligible, -self._wait_years).isoformat()
            }
        return _(
            "May apply for Level 1 from %(date)s (%(days)s days), "
            "after a full year at Level 2 without an accident."
        ) % {
            "date": eligible.isoformat(),
            "days": (eligible - self.today).days,
        }


def stops_of(mine_ids, *, scope: Scope | None = None) -> dict:
    """{mine id: [ProductionStop, ...]} of every registered provider, in one registry call for the
    whole list (each provider a constant number of queries). ``scope``: the caller's, else the
    active one; none → no stops (a command outside a request)."""
    scope = scope or active_scope()
    mine_ids = list(mine_ids)
    if scope is None or not mine_ids:
        return {}
    return registry.production_stops(scope, mine_ids)


def statuses(mines, today: datetime.date | None = None, *, scope: Scope | None = None) -> list[MineStatus]:
    """MineStatus of each mine of an annotated queryset (one query for the policy rules, one
    registry call for the stops)."""
    today = today or timezone.localdate()
    policies = policy_rules()
    mines = list(mines)
    stops = stops_of([m.pk for m in mines], scope=scope)
    return [MineStatus(mine, today, policies, stops.get(mine.pk, [])) for mine in mines]


def scoped_mines(*, scope: Scope) -> QuerySet[OrgUnit]:
    return scope.queryset(OrgUnit).filter(kind=OrgUnit.Kind.MINE)


def graded_mines(*, scope: Scope) -> QuerySet[OrgUnit]:
    """The mines in the caller's scope with their profile, group and grading annotation."""
    qs = scoped_mines(scope=scope).select_related("mine_profile", "tenant", "parent")
    return with_grading_status(qs).order_by("tenant__name", "path")


def mine_status(
    mine: OrgUnit, today: datetime.date | None = None, *, scope: Scope | None = None
) -> MineStatus:
    """The status of one mine (already reached through the caller's scope), in two queries and
    one registry call for its stops."""
    # Looked up by the id of a mine the caller already reached; RLS still applies on PostgreSQL.
    annotated = with_grading_status(
        OrgUnit.dangerously_unscoped.filter(pk=mine.pk).select_related("mine_profile", "tenant", "parent")
    ).get()
    stops = stops_of([mine.pk], scope=scope).get(mine.pk, [])
    return MineStatus(annotated, today or timezone.localdate(), stops=stops)
