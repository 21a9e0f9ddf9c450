"""Duties demo for the groups ``seed_demo`` builds: the mine-manager posts and leaders on shift.

Per demo group with no appointment yet:

- every mine's roster: the people whose job title names one of the five posts are appointed to it
  (库长 of a tailings pond as its manager); a coal mine also gets its deputy chief engineer and six
  specialist technicians (new people at the mine office). All appointments are filed, on time.
- one vacancy: the water-control technician of the group's first coal mine (else the production
  deputy of its first mine) left 20 days ago; the departure is not filed yet, so it is late;
- one turnover warning: the safety deputy of the group's last mine changed three times in the last
  twelve months (three former holders);
- a month of leaders on shift at every underground mine: last month's plan and records (three
  shifts a day), and this month's plan for the pithead notice, with a few violations — two shifts
  without a leader, one leader up before the crew, one shift not led by the planned leader, and
  the principal of the first underground coal mine under the 5-shift minimum.

Deterministic; idempotent (a group with any appointment is left alone). Plans and records go in
by ``bulk_create`` with one audit event per mine and kind (a month is ~90 rows per mine): the
demo's volume, not a path users take.
"""

from __future__ import annotations

import datetime
import random
import zlib

from django.core.exceptions import ValidationError

from compliance.audit.services import audit_record
from tenants import services as tenant_services
from tenants.demo.people import PeopleMaker
from tenants.models import MineProfile, OrgUnit, Person, Tenant

from . import services
from .models import (
    COAL_EXTRA_POSTS,
    POST_NAMES_ZH,
    Education,
    Post,
    PostAppointment,
    PostFiling,
    ShiftPlan,
    ShiftRecord,
)

TITLE_POST = {
    "矿长": Post.MINE_MANAGER,
    "库长": Post.MINE_MANAGER,
    "总工程师": Post.CHIEF_ENGINEER,
    "安全副矿长": Post.SAFETY_DEPUTY,
    "生产副矿长": Post.PRODUCTION_DEPUTY,
    "机电副矿长": Post.ELECTROMECHANICAL_DEPUTY,
}
UNDERGROUND = {MineProfile.MineType.COAL_UNDERGROUND, MineProfile.MineType.METAL_UNDERGROUND}
SHIFT_HOURS = {1: 7, 2: 15, 3: 23}


def build_posts(spec, *, scope, today: datetime.date, log=print) -> dict | None:
    tenant = Tenant.objects.filter(credit_code=spec.credit_code).first()
    if tenant is None or PostAppointment.objects.filter(tenant=tenant).exists():
        return None
    mines = list(
        OrgUnit.objects.filter(tenant=tenant, kind=OrgUnit.Kind.MINE)
        .select_related("mine_profile")
        .order_by("name")  # not by path: paths are made of random ids, and the demo is the same every build
    )
    if not mines:
        return None
    maker = _Maker(tenant, spec)
    appointed = 0
    for mine in mines:
        appointed += _roster(scope, mine, maker, today)
    coal = [m for m in mines if m.mine_profile.is_coal]
    vacant_mine = coal[0] if coal else mines[0]
    vacant_post = Post.TECH_WATER if coal else Post.PRODUCTION_DEPUTY
    holder = PostAppointment.objects.get(mine=vacant_mine, post=vacant_post, ended_on__isnull=True)
    services.appointment_end(
        scope=scope,
        appointment=holder,
        ended_on=today - datetime.timedelta(days=20),
        reason="调往集团其他矿井",
    )
    _turnover(scope, mines[-1], maker, today)
    shifts = 0
    # The principal under the 5-shift minimum (令第33号: coal) at the first underground coal mine.
    short = next(
        (m for m in mines if m.mine_profile.mine_type == MineProfile.MineType.COAL_UNDERGROUND), None
    )
    for mine in (m for m in mines if m.mine_profile.mine_type in UNDERGROUND):
        shifts += _shifts(scope, mine, today, under_minimum=mine == short)
    log(f"duties posts created: {spec.name} ({appointed} appointments, {shifts} shift records)")
    return {"appointments": appointed, "shift records": shifts}


class _Maker:
    """New people the roster needs (technicians, former holders), through the base's service."""

    def __init__(self, tenant, spec):
        self.tenant = tenant
        self.people = PeopleMaker(seed=zlib.crc32(spec.credit_code.encode()) % 10_000 + 77)
        self.rng = random.Random(spec.credit_code)
        self.n = 0

    def person(self, scope, mine: OrgUnit, title: str) -> Person:
        while True:
            self.n += 1
            try:
                return tenant_services.person_create(
                    scope=scope,
                    org_unit=mine,
                    resident_id=self.people.resident_id(mine.mine_profile.region_code, (1970, 1990), False),
                    name=self.people.name(False),
                    # From the mine's name, not its id: the same demo every build.
                    employee_no=f"ZW-{zlib.crc32(mine.name.encode()) % 10_000:04d}-{self.n:03d}",
                    job_title=title,
                    post_category=Person.PostCategory.SAFETY_MANAGEMENT,
                )
            except ValidationError:
                continue  # a number the group already has: draw another


def _appoint(scope, mine, post, person, on, rng, *, filed=True):
    appt = services.appointment_create(
        scope=scope,
        mine=mine,
        post=post,
        person=person,
        started_on=on,
        education=rng.choice(
            [Education.COLLEGE, Education.BACHELOR, Education.BACHELOR, Education.POSTGRADUATE]
        ),
        mining_field=True,
        years_experience=rng.randint(5, 25),
        assessment_passed_on=min(on + datetime.timedelta(days=rng.randint(30, 150)), datetime.date.today()),
    )
    if filed:
        for filing in PostFiling.objects.filter(appointment=appt, filed_on__isnull=True):
            services.filing_record(
                scope=scope,
                filing=filing,
                filed_on=filing.event_on + datetime.timedelta(days=rng.randint(2, 9)),
                reference=f"矿安备〔{filing.event_on.year}〕{rng.randint(10, 299)}号",
            )
    return appt


def _roster(scope, mine, maker, today) -> int:
    rng = maker.rng
    count = 0
    held = set()
    for person in Person.objects.filter(org_unit=mine, job_title__in=list(TITLE_POST)).order_by(
        "employee_no"
    ):
        post = TITLE_POST[person.job_title]
        if post in held:
            continue
        # Held since before the demo's grades were awarded (grading checks the five posts on that day).
        _appoint(scope, mine, post, person, today - datetime.timedelta(days=rng.randint(1500, 3000)), rng)
        held.add(post)
        count += 1
    if mine.mine_profile.is_coal:
        for post in COAL_EXTRA_POSTS:
            person = maker.person(scope, mine, POST_NAMES_ZH[post])
            _appoint(scope, mine, post, person, today - datetime.timedelta(days=rng.randint(200, 1500)), rng)
            count += 1
    return count


def _turnover(scope, mine, maker, today) -> None:
    """The safety deputy changed three times in a year: three former holders, then the current."""
    current = PostAppointment.objects.filter(
        mine=mine, post=Post.SAFETY_DEPUTY, ended_on__isnull=True
    ).first()
    if current is not None:
        services.appointment_end(
            scope=scope, appointment=current, ended_on=today - datetime.timedelta(days=330), reason="调离"
        )
        for filing in PostFiling.objects.filter(appointment=current, filed_on__isnull=True):
            services.filing_record(
                scope=scope, filing=filing, filed_on=filing.event_on + datetime.timedelta(days=4)
            )
    start = today - datetime.timedelta(days=329)
    for i, reason in enumerate(("辞职", "免职", "调离")):
        person = maker.person(scope, mine, "安全副矿长")
        appt = _appoint(
            scope, mine, Post.SAFETY_DEPUTY, person, start + datetime.timedelta(days=100 * i), maker.rng
        )
        services.appointment_end(
            scope=scope,
            appointment=appt,
            ended_on=start + datetime.timedelta(days=100 * i + 90),
            reason=reason,
        )
        for filing in PostFiling.objects.filter(appointment=appt, filed_on__isnull=True):
            services.filing_record(
                scope=scope, filing=filing, filed_on=filing.event_on + datetime.timedelta(days=5)
            )
    if current is not None:
        _appoint(
            scope, mine, Post.SAFETY_DEPUTY, current.person, start + datetime.timedelta(days=300), maker.rng
        )


def _shifts(scope, mine, today, *, under_minimum: bool) -> int:
    import zoneinfo

    tz = zoneinfo.ZoneInfo("Asia/Shanghai")
    leaders = [
        a.person
        for a in PostAppointment.objects.filter(
            mine=mine, ended_on__isnull=True, post__in=[Post.MINE_MANAGER, *_DEPUTIES]
        )
        .select_related("person")
        .order_by("post")
    ]
    if not leaders:
        return 0
    principal = next(
        (
            a.person
            for a in PostAppointment.objects.filter(mine=mine, post=Post.MINE_MANAGER, ended_on__isnull=True)
        ),
        None,
    )
    others = [p for p in leaders if principal is None or p.pk != principal.pk] or leaders
    first_this = today.replace(day=1)
    last_prev = first_this - datetime.timedelta(days=1)
    first_prev = last_prev.replace(day=1)
    principal_shifts = 3 if under_minimum else 6
    plans, records = [], []
    day, k = first_prev, 0
    end_this = (first_this + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    while day <= end_this:
        for shift in (1, 2, 3):
            # The principal takes the morning shift of the first days, the others rotate.
            if principal is not None and shift == 1 and day.day <= principal_shifts:
                leader = principal
            else:
                leader = others[k % len(others)]
                k += 1
            plans.append(
                ShiftPlan(tenant_id=mine.tenant_id, mine=mine, on_date=day, shift=shift, leader=leader)
            )
            if day <= last_prev:
                down = datetime.datetime.combine(day, datetime.time(SHIFT_HOURS[shift]), tz)
                up = down + datetime.timedelta(hours=8, minutes=10)
                actual, leader_up = leader, up + datetime.timedelta(minutes=5)
                if day.day == 9 and shift == 3 or day.day == 21 and shift == 2:
                    actual = None  # a shift without a leader
                elif day.day == 14 and shift == 2:
                    leader_up = up - datetime.timedelta(hours=2)  # up before the crew
                elif day.day == 17 and shift == 3:
                    actual = others[(k + 1) % len(others)] if len(others) > 1 else leader  # not as planned
                records.append(
                    ShiftRecord(
                        tenant_id=mine.tenant_id,
                        mine=mine,
                        on_date=day,
                        shift=shift,
                        crew_down_at=down,
                        crew_up_at=up,
                        leader=actual,
                        leader_down_at=down - datetime.timedelta(minutes=5) if actual else None,
                        leader_up_at=leader_up if actual else None,
                        source=ShiftRecord.Source.IMPORT,
                    )
                )
        day += datetime.timedelta(days=1)
    ShiftPlan.objects.bulk_create(plans)
    ShiftRecord.objects.bulk_create(records)
    audit_record(action="shift_plan", obj=mine, tenant_id=mine.tenant_id, after={"demo_plans": len(plans)})
    audit_record(
        action="shift_import", obj=mine, tenant_id=mine.tenant_id, after={"demo_records": len(records)}
    )
    return len(records)


_DEPUTIES = (
    Post.CHIEF_ENGINEER,
    Post.SAFETY_DEPUTY,
    Post.PRODUCTION_DEPUTY,
    Post.ELECTROMECHANICAL_DEPUTY,
    Post.DEPUTY_CHIEF_ENGINEER,
)
