"""Duties: reads of the post rosters, filings, warnings and shifts (the lists keep theirs apart).

Every read takes the scope first and goes through the scoped managers; the lists and the per-mine
figures run a constant number of queries whatever the number of mines and rows: rule rows once,
then one grouped query per kind of fact.
"""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from compliance.access import access_or_404
from tenants.models import OrgUnit, Person
from tenants.scope import Scope

from .models import (
    FIVE_POSTS,
    LEADER_POSTS,
    Education,
    Post,
    PostAppointment,
    PostFiling,
    PostRule,
    ShiftPlan,
    ShiftRecord,
    required_posts,
)

TURNOVER_WINDOW_DAYS = 365


# --- rules as data ----------------------------------------------------------------------------------
def rule_rows(scope: Scope) -> list[PostRule]:
    """Every rule row this scope may apply: national and provincial rows, and the groups' own
    rows of the tenants it sees (one query; a small table)."""
    tenant_ids = sorted(scope.tenant_ids) if not scope.is_platform else None
    qs = PostRule.objects.all()
    if tenant_ids is not None:
        qs = qs.filter(Q(owner_tenant__isnull=True) | Q(owner_tenant_id__in=tenant_ids))
    return list(qs)


def resolve_rule(rows, key: str, *, tenant_id, region_code: str, is_coal: bool) -> PostRule | None:
    """The row in force for one mine: the group's own, then the longest matching region prefix,
    then the national row; a row for the mine's group (coal / non-coal) before one for any mine."""
    group = "coal" if is_coal else "non_coal"
    best, best_rank = None, None
    for row in rows:
        if row.key != key or row.mine_group not in ("", group):
            continue
        if row.owner_tenant_id is not None and row.owner_tenant_id != tenant_id:
            continue
        if not (region_code or "").startswith(row.region_prefix):
            continue
        rank = (row.owner_tenant_id is not None, len(row.region_prefix), row.mine_group != "")
        if best_rank is None or rank > best_rank:
            best, best_rank = row, rank
    return best


def rule_text(rule: PostRule | None) -> str:
    if rule is None:
        return ""
    flag = _("verified") if rule.verified else _("to be verified")
    return f"{rule.source or _('no source recorded')} ({flag})"


def _mine_facts(mine: OrgUnit) -> tuple[str, bool]:
    profile = getattr(mine, "mine_profile", None)
    if profile is None:
        return "", False
    return profile.region_code, profile.is_coal


class MineRules:
    """The rules in force for one mine, read from rows loaded once."""

    def __init__(self, rows, mine: OrgUnit):
        self.rows = rows
        self.region, self.is_coal = _mine_facts(mine)
        self.tenant_id = mine.tenant_id

    def get(self, key: str) -> PostRule | None:
        return resolve_rule(
            self.rows, key, tenant_id=self.tenant_id, region_code=self.region, is_coal=self.is_coal
        )


# --- mines ------------------------------------------------------------------------------------------
def mines(scope: Scope, *, unit: OrgUnit | None = None):
    """The mines this scope sees (with their profiles), under ``unit`` if given."""
    qs = scope.queryset(OrgUnit).filter(kind=OrgUnit.Kind.MINE).select_related("mine_profile", "tenant")
    if unit is not None:
        qs = qs.filter(path__startswith=unit.path)
    return qs.order_by("path")


def access_mine(scope: Scope, pk) -> OrgUnit:
    return access_or_404(scope, OrgUnit.objects.select_related("mine_profile"), pk, kind=OrgUnit.Kind.MINE)


def access_appointment(scope: Scope, pk) -> PostAppointment:
    return access_or_404(
        scope, PostAppointment.objects.select_related("mine", "mine__mine_profile", "person"), pk
    )


def access_filing(scope: Scope, pk) -> PostFiling:
    return access_or_404(scope, PostFiling.objects.select_related("mine", "appointment__person"), pk)


def access_shift_record(scope: Scope, pk) -> ShiftRecord:
    return access_or_404(scope, ShiftRecord.objects.select_related("mine", "leader"), pk)


def access_shift_plan(scope: Scope, pk) -> ShiftPlan:
    return access_or_404(scope, ShiftPlan.objects.select_related("mine", "leader"), pk)


def access_person(scope: Scope, pk) -> Person:
    return access_or_404(scope, Person.objects.all(), pk)


# --- warnings ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PostWarning:
    kind: str  # "vacancy" | "turnover" | "dual_post" | "qualification" | "late_filing" | "not_full_time"
    mine_id: object
    post: str
    message: str
    rule: str = ""  # the rule's source and flag, when a rule decides it
    # A verified rule (or a fact, such as a vacancy) makes it a violation; an unverified one warns.
    binding: bool = True


def held_on(qs, day: datetime.date):
    return qs.filter(started_on__lte=day).filter(Q(ended_on__isnull=True) | Q(ended_on__gt=day))


@dataclass
class MineRoster:
    mine: OrgUnit
    is_coal: bool
    holders: dict = field(default_factory=dict)  # post → open appointment
    vacancies: list = field(default_factory=list)  # required posts with no (full-time, coal) holder
    warnings: list = field(default_factory=list)

    mine_type: str = ""

    @property
    def required(self):
        return required_posts(self.is_coal, self.mine_type)


def rosters(scope: Scope, mine_list, *, today: datetime.date) -> list[MineRoster]:
    """The roster of each mine with its warnings, in five queries whatever the number of mines:
    rule rows, open appointments (with people and how many posts each person holds in the
    group), departures in the last 12 months by post, late filings by mine."""
    mine_list = list(mine_list)
    if not mine_list:
        return []
    rows = rule_rows(scope)
    # How many posts the person holds across the group (another mine's too, which this scope
    # may not see): a count of the same tenant's rows, never their content.
    other_posts = (
        PostAppointment.dangerously_unscoped.filter(
            tenant_id=OuterRef("tenant_id"), person_id=OuterRef("person_id"), ended_on__isnull=True
        )
        .order_by()
        .values("person_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    open_appts = (
        scope.at_mines(PostAppointment, mine_list)
        .filter(ended_on__isnull=True)
        .select_related("person")
        .annotate(posts_held=Coalesce(Subquery(other_posts), 0))
    )
    since = today - datetime.timedelta(days=TURNOVER_WINDOW_DAYS)
    departures = {
        (r["mine_id"], r["post"]): r["n"]
        for r in scope.at_mines(PostAppointment, mine_list)
        .filter(ended_on__gt=since, ended_on__lte=today)
        .values("mine_id", "post")
        .annotate(n=Count("pk"))
        .order_by()
    }
    late = {
        r["mine_id"]: r["n"]
        for r in scope.at_mines(PostFiling, mine_list)
        .filter(Q(filed_on__isnull=True, due_on__lt=today) | Q(filed_on__gt=F("due_on")))
        .values("mine_id")
        .annotate(n=Count("pk"))
        .order_by()
    }
    by_mine: dict = defaultdict(dict)
    for appt in open_appts:
        by_mine[appt.mine_id][appt.post] = appt
    out = []
    for mine in mine_list:
        rules = MineRules(rows, mine)
        profile = getattr(mine, "mine_profile", None)
        roster = MineRoster(
            mine=mine,
            is_coal=rules.is_coal,
            holders=by_mine.get(mine.pk, {}),
            mine_type=profile.mine_type if profile else "",
        )
        _check_roster(roster, rules, departures, late.get(mine.pk, 0), today)
        out.append(roster)
    return out


def _check_roster(roster: MineRoster, rules: MineRules, departures, late_count, today) -> None:
    mine = roster.mine
    warn = roster.warnings.append
    for post in roster.required:
        label = Post(post).label
        holder = roster.holders.get(post)
        if holder is None:
            roster.vacancies.append(post)
            warn(PostWarning("vacancy", mine.pk, post, _("%(post)s is vacant") % {"post": label}))
        elif roster.is_coal and not holder.full_time:
            # DOMAIN.md: a coal mine lacking any of these posts *full-time* has a major hidden danger.
            roster.vacancies.append(post)
            warn(
                PostWarning(
                    "not_full_time",
                    mine.pk,
                    post,
                    _("%(post)s is not held full-time") % {"post": label},
                )
            )
    turnover = rules.get(PostRule.Key.TURNOVER_CHANGES)
    if turnover is not None:
        for (mine_id, post), n in departures.items():
            if mine_id == mine.pk and n >= turnover.value:
                warn(
                    PostWarning(
                        "turnover",
                        mine.pk,
                        post,
                        _("%(post)s changed %(n)d times in 12 months (warning at %(limit)d)")
                        % {"post": Post(post).label, "n": n, "limit": turnover.value},
                        rule_text(turnover),
                        turnover.verified,
                    )
                )
    for post, holder in roster.holders.items():
        label = Post(post).label
        if holder.posts_held > 1:
            warn(
                PostWarning(
                    "dual_post",
                    mine.pk,
                    post,
                    _("%(name)s (%(post)s) holds %(n)d posts at once")
                    % {"name": holder.person.name, "post": label, "n": holder.posts_held},
                )
            )
        for message, rule in qualification_problems(holder, rules, today):
            warn(PostWarning("qualification", mine.pk, post, message, rule_text(rule), rule.verified))
    if late_count:
        warn(PostWarning("late_filing", mine.pk, "", _("%(n)d filings late") % {"n": late_count}))


@dataclass(frozen=True)
class RosterLine:
    """One post of one mine in the roster export: its holder (or none), and the appointment's
    filing (报备), when one is recorded."""

    roster: MineRoster
    post: str
    holder: PostAppointment | None
    vacant: bool
    filing: PostFiling | None


def roster_lines(scope: Scope, *, unit: OrgUnit | None, today: datetime.date) -> list[RosterLine]:
    """Every mine in scope (under ``unit``) × its required posts and any other post held there, in
    a constant number of queries: the mines, their rosters (``rosters``) and the appointments'
    filings."""
    mine_list = list(mines(scope, unit=unit))
    all_rosters = rosters(scope, mine_list, today=today)
    appointment_ids = [a.pk for r in all_rosters for a in r.holders.values()]
    filings_by_appt = {
        f.appointment_id: f
        for f in PostFiling.objects.filter(
            appointment_id__in=appointment_ids, kind=PostFiling.Kind.APPOINTMENT
        ).order_by()
    }
    lines = []
    for roster in all_rosters:
        posts = list(roster.required) + [p for p in roster.holders if p not in roster.required]
        for post in posts:
            holder = roster.holders.get(post)
            lines.append(
                RosterLine(
                    roster=roster,
                    post=post,
                    holder=holder,
                    vacant=post in roster.vacancies,
                    filing=filings_by_appt.get(holder.pk) if holder is not None else None,
                )
            )
    return lines


def qualification_problems(appt: PostAppointment, rules: MineRules, today: datetime.date):
    """(message, rule) for each qualification rule the holder does not meet. Leaders' posts
    only: the technicians' qualifications are the mine's own business."""
    if appt.post not in LEADER_POSTS:
        return []
    out = []
    name = appt.person.name
    education = rules.get(PostRule.Key.MIN_EDUCATION)
    if education is not None and appt.education < education.value:
        out.append(
            (
                _("%(name)s: education below %(level)s")
                % {"name": name, "level": Education(education.value).label},
                education,
            )
        )
    if education is not None and not appt.mining_field:
        out.append((_("%(name)s: education not in a mining field") % {"name": name}, education))
    years = rules.get(PostRule.Key.MIN_YEARS)
    if years is not None and appt.years_experience < years.value:
        out.append(
            (
                _("%(name)s: %(n)d years of mine work, %(min)d needed")
                % {"name": name, "n": appt.years_experience, "min": years.value},
                years,
            )
        )
    months = rules.get(PostRule.Key.ASSESSMENT_MONTHS)
    if months is not None and appt.assessment_passed_on is None:
        due = _add_months(appt.started_on, months.value)
        if today > due:
            out.append(
                (
                    _("%(name)s: statutory assessment not passed within %(n)d months")
                    % {"name": name, "n": months.value},
                    months,
                )
            )
    return out


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- lists ------------------------------------------------------------------------------------------
def appointments(scope: Scope, *, mine=None, post=None, current: bool | None = None):
    qs = PostAppointment.objects.select_related("mine", "person")
    if mine is not None:
        qs = qs.filter(mine=mine)
    if post:
        qs = qs.filter(post=post)
    if current is True:
        qs = qs.filter(ended_on__isnull=True)
    elif current is False:
        qs = qs.filter(ended_on__isnull=False)
    return qs


def filings(scope: Scope, *, mine=None, late: bool | None = None, today: datetime.date | None = None):
    qs = PostFiling.objects.select_related("mine", "tenant", "appointment", "appointment__person")
    if mine is not None:
        qs = qs.filter(mine=mine)
    if late is not None:
        today = today or datetime.date.today()
        condition = Q(filed_on__isnull=True, due_on__lt=today) | Q(filed_on__gt=F("due_on"))
        qs = qs.filter(condition) if late else qs.exclude(condition)
    return qs


def filings_late(scope: Scope, today: datetime.date) -> int:
    return filings(scope, late=True, today=today).filter(filed_on__isnull=True).count()


# --- the five posts for grading ----------------------------------------------------------------------
@dataclass(frozen=True)
class FivePostsAnswer:
    met: bool
    message: str


def five_posts_staffed(mine: OrgUnit, on_date: datetime.date) -> FivePostsAnswer:
    """Grading's precondition "five posts staffed" read from the roster (active scope): each of
    the five posts held on ``on_date`` — full-time at a coal mine (DOMAIN.md). One query."""
    _region, is_coal = _mine_facts(mine)
    held = {
        post: full_time
        for post, full_time in held_on(PostAppointment.objects.filter(mine=mine), on_date).values_list(
            "post", "full_time"
        )
    }
    vacant = [str(Post(p).label) for p in FIVE_POSTS if p not in held or (is_coal and not held[p])]
    if vacant:
        return FivePostsAnswer(False, _("posts not staffed: %(list)s") % {"list": "、".join(vacant)})
    return FivePostsAnswer(True, _("the five manager posts are staffed"))


# --- shifts -----------------------------------------------------------------------------------------
def month_bounds(year: int, month: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, month, 1), datetime.date(year, month, calendar.monthrange(year, month)[1])


@dataclass
class MineCoverage:
    mine: OrgUnit
    shifts: int = 0
    with_leader: int = 0
    without_leader: int = 0
    up_early: int = 0
    planned: int = 0
    plan_missed: int = 0  # planned shifts not led by the planned leader

    @property
    def rate(self) -> float | None:
        return round(100 * self.with_leader / self.shifts, 1) if self.shifts else None


def coverage(scope: Scope, mine_list, *, first: datetime.date, last: datetime.date) -> list[MineCoverage]:
    """Shift coverage per mine between two dates: two grouped queries whatever the mines and rows."""
    mine_list = list(mine_list)
    records = {
        r["mine_id"]: r
        for r in scope.at_mines(ShiftRecord, mine_list)
        .filter(on_date__gte=first, on_date__lte=last)
        .values("mine_id")
        .annotate(
            shifts=Count("pk"),
            without_leader=Count("pk", filter=Q(leader__isnull=True)),
            up_early=Count("pk", filter=Q(leader_up_at__lt=F("crew_up_at"))),
        )
        .order_by()
    }
    # Correlated on the plan row's own tenant and mine, which the outer query took from the scope.
    led_as_planned = ShiftRecord.dangerously_unscoped.filter(
        tenant_id=OuterRef("tenant_id"),
        mine_id=OuterRef("mine_id"),
        on_date=OuterRef("on_date"),
        shift=OuterRef("shift"),
        leader_id=OuterRef("leader_id"),
    )
    plans = {
        r["mine_id"]: r
        for r in scope.at_mines(ShiftPlan, mine_list)
        .filter(on_date__gte=first, on_date__lte=last)
        .annotate(kept=Exists(led_as_planned))
        .values("mine_id")
        .annotate(planned=Count("pk"), missed=Count("pk", filter=Q(kept=False)))
        .order_by()
    }
    out = []
    for mine in mine_list:
        r = records.get(mine.pk, {})
        p = plans.get(mine.pk, {})
        shifts = r.get("shifts", 0)
        out.append(
            MineCoverage(
                mine=mine,
                shifts=shifts,
                with_leader=shifts - r.get("without_leader", 0),
                without_leader=r.get("without_leader", 0),
                up_early=r.get("up_early", 0),
                planned=p.get("planned", 0),
                plan_missed=p.get("missed", 0),
            )
        )
    return out


@dataclass(frozen=True)
class LeaderMonth:
    person: Person
    post: str
    shifts: int
    minimum: int | None
    rule: str
    binding: bool
    complete: bool  # the month is over: a shortfall is final

    @property
    def post_label(self):
        return Post(self.post).label

    @property
    def under(self) -> bool:
        return self.minimum is not None and self.shifts < self.minimum


def leader_months(
    scope: Scope, mine: OrgUnit, *, year: int, month: int, today: datetime.date
) -> list[LeaderMonth]:
    """Each mine leader's shifts in the month against their minimum (principal: 令第33号 for coal;
    others and non-coal: the province's or the group's rule). Three queries."""
    first, last = month_bounds(year, month)
    rules = MineRules(rule_rows(scope), mine)
    leaders = list(
        held_on(PostAppointment.objects.filter(mine=mine, post__in=LEADER_POSTS), last)
        .select_related("person")
        .order_by("post")
    )
    counts = dict(
        ShiftRecord.objects.filter(mine=mine, on_date__gte=first, on_date__lte=last, leader__isnull=False)
        .values("leader_id")
        .annotate(n=Count("pk"))
        .values_list("leader_id", "n")
        .order_by()
    )
    out = []
    for appt in leaders:
        key = (
            PostRule.Key.SHIFT_MIN_PRINCIPAL
            if appt.post == Post.MINE_MANAGER
            else PostRule.Key.SHIFT_MIN_LEADER
        )
        rule = rules.get(key)
        out.append(
            LeaderMonth(
                person=appt.person,
                post=appt.post,
                shifts=counts.get(appt.person_id, 0),
                minimum=rule.value if rule else None,
                rule=rule_text(rule),
                binding=bool(rule and rule.verified),
                complete=last < today,
            )
        )
    return out


def shift_records(scope: Scope, *, mine=None, first=None, last=None):
    qs = ShiftRecord.objects.select_related("mine", "leader")
    if mine is not None:
        qs = qs.filter(mine=mine)
    if first is not None:
        qs = qs.filter(on_date__gte=first)
    if last is not None:
        qs = qs.filter(on_date__lte=last)
    return qs


def shift_plans(scope: Scope, *, mine=None, first=None, last=None):
    qs = ShiftPlan.objects.select_related("mine", "leader")
    if mine is not None:
        qs = qs.filter(mine=mine)
    if first is not None:
        qs = qs.filter(on_date__gte=first)
    if last is not None:
        qs = qs.filter(on_date__lte=last)
    return qs


def leader_choices(scope: Scope, mine: OrgUnit):
    """The mine's leaders now in post (for the plan and record forms)."""
    return (
        PostAppointment.objects.filter(mine=mine, post__in=LEADER_POSTS, ended_on__isnull=True)
        .select_related("person")
        .order_by("post")
    )


# --- per-mine figures, to-dos --------------------------------------------------------------------------
def mine_figures(scope: Scope, mine_ids):
    from compliance.registry import MineFigure

    today = datetime.date.today()
    mine_list = list(mines(scope).filter(pk__in=list(mine_ids)))
    first = today.replace(day=1)
    cover = {c.mine.pk: c for c in coverage(scope, mine_list, first=first, last=today)}
    out = {}
    for roster in rosters(scope, mine_list, today=today):
        late = sum(1 for w in roster.warnings if w.kind == "late_filing")
        c = cover[roster.mine.pk]
        out[roster.mine.pk] = [
            MineFigure(
                key="duties.vacancies",
                label=_("Vacant posts"),
                value=len(roster.vacancies),
                status=("violation" if roster.is_coal else "warning") if roster.vacancies else "ok",
                rule=_("coal: a vacant required post is a major hidden danger") if roster.is_coal else "",
            ),
            MineFigure(
                key="duties.filings_late",
                label=_("Filings late"),
                value=late,
                status="warning" if late else "ok",
            ),
            MineFigure(
                key="duties.shift_coverage",
                label=_("Shifts led this month"),
                value=f"{c.with_leader}/{c.shifts}",
                status="violation" if c.without_leader else "ok",
                rule=_("every shift has a mine leader underground (令第33号/第34号)"),
            ),
        ]
    return out


def todo_items(scope: Scope):
    """The safety manager's to-dos: vacant posts, filings not made by their deadline, shifts this
    month without a leader. Only for scopes that keep the roster (MANAGE_POSTS); constant queries."""
    from django.urls import reverse

    from compliance.registry import TodoItem

    from .permissions import MANAGE_POSTS

    if not scope.has_perm(MANAGE_POSTS):
        return []
    today = datetime.date.today()
    mine_list = list(mines(scope))
    # Mines with a vacant post (the roster list's ?vacant=1 shows these mines).
    vacancies = sum(1 for r in rosters(scope, mine_list, today=today) if r.vacancies)
    late = filings_late(scope, today)
    first = today.replace(day=1)
    without = ShiftRecord.objects.filter(
        mine_id__in=[m.pk for m in mine_list], on_date__gte=first, on_date__lte=today, leader__isnull=True
    ).count()
    return [
        TodoItem(
            key="duties-vacancies",
            label=_("Mines with a manager post vacant"),
            count=vacancies,
            url=reverse("duties:post-roster") + "?vacant=1",
            severity="overdue",
            hint=_("Appoint a full-time holder and file the appointment."),
        ),
        TodoItem(
            key="duties-filings-late",
            label=_("Post filings past their deadline"),
            count=late,
            url=reverse("duties:filing-list") + "?late=1",
            severity="overdue",
        ),
        TodoItem(
            key="duties-shifts-unled",
            label=_("Shifts this month without a leader"),
            count=without,
            url=reverse("duties:shift-coverage"),
            severity="due",
        ),
    ]
