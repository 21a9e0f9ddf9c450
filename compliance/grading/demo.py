"""The grading demo of each demo group, built through the services (so it is audited and obeys
every rule): assessments in every state, grades awarded in earlier years, one grade lapsed (a
coal mine no longer permitted to produce), one downgraded after a fatal accident, and a few
accidents in the register.

Deterministic: scores come from a seeded generator, dates from the build date. Runs in the
caller's transaction and scope (``tenants.demo.build_demo``: the platform scope).
"""

from __future__ import annotations

import datetime
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone, translation

from tenants.models import OrgUnit, Tenant
from tenants.scope import Scope

from . import accidents, assessments, grades
from .models import Assessment, GradeCertificate, Item, ItemScore
from .selectors import version_for

SEED = 20261129
HALF = Decimal("0.5")


@dataclass
class Demo:
    tenant: Tenant
    scope: Scope
    today: datetime.date
    rng: random.Random
    manager: object  # the group's safety-manager login: assesses their own mine
    admin: object  # the group admin: assesses the other mines
    reviewer: object  # the group's HQ auditor login: reviews and approves
    mines: list[OrgUnit]
    counts: dict[str, int] = field(default_factory=dict)

    def assessor(self, mine: OrgUnit):
        manager_units = {m.org_unit_id for m in self.manager.memberships.all()}
        return self.manager if mine.pk in manager_units else self.admin

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n


# What each demo mine shows, by its position in the group's demo (tenants.demo order). A plan is a
# list of steps: ("grade", years_ago, quality) approves an assessment made that long ago;
# ("accident", days_ago, class, deaths); ("open", status, quality) leaves one in that state.
# Quality is the share of each item's points kept: 0.95 earns 一级, 0.85 二级, 0.74 三级.
PLANS = {
    "qn": [
        # 大河边煤矿: 一级 two years ago (2024 edition), then a fatal accident: downgraded to 三级 by
        # the verified accident rule; re-assessing. Its 12-month re-check has passed, but that
        # interval is unverified: a 待核实 warning, still permitted to produce (issue 14).
        [("grade", 700, 0.96), ("accident", 60, "general", 1), ("open", "draft", 0.9)],
        # 四角田煤矿: 二级 awarded in 2023 (2020 edition, verified 36 months), re-check missed:
        # lapsed → not permitted to produce.
        [("grade", 1270, 0.86), ("open", "submitted", 0.87)],
        # 楚雄六苴铜矿: 二级 last year, now under review at HQ.
        [("grade", 400, 0.84), ("open", "under_review", 0.9)],
        # 六苴铜矿尾矿库: 三级, a non-fatal accident on record.
        [("grade", 300, 0.72), ("accident", 120, "general", 0)],
        # 安宁青龙山磷矿 (suspended, safety licence expired): nothing awarded.
        [],
    ],
    "jt": [
        # 古交马兰沟煤矿: 一级, approved this year.
        [("grade", 120, 0.96)],
        # 潞州王庄沟煤矿: 三级 two years ago; a draft in progress.
        [("grade", 800, 0.8), ("open", "draft", 0.82)],
        # 平鲁东坡露天煤矿: 二级 under the 2024 edition's yearly re-check, missed — an unverified
        # interval, so not lapsed: a 待核实 warning, still permitted to produce (issue 14); the
        # new assessment is submitted.
        [("grade", 500, 0.87), ("open", "submitted", 0.93)],
        # 代县峪口铁矿, 峪口铁矿尾矿库: under construction, no grade yet; one draft.
        [("open", "draft", 0.8)],
        [],
    ],
}


def seed_grading(
    spec, *, scope: Scope, today: datetime.date, log: Callable[[str], None] = lambda m: None
) -> dict[str, int] | None:
    """Seed the grading demo of the demo group ``spec``; None when the group already has
    assessments or was not built by the demo (its logins are missing)."""
    tenant = Tenant.objects.filter(credit_code=spec.credit_code).first()
    if tenant is None or spec.key not in PLANS:
        return None
    if Assessment.objects.filter(tenant=tenant).exists():
        log(f"grading exists, skipped: {spec.name}")
        return None
    users = {u.username: u for u in get_user_model().objects.filter(username__startswith=f"{spec.key}-")}
    manager, admin = users.get(f"{spec.key}-manager"), users.get(f"{spec.key}-admin")
    reviewer = users.get(f"{spec.key}-auditor")
    if manager is None or reviewer is None or admin is None:
        log(f"not built by seed_demo, grading skipped: {spec.name}")
        return None
    mines = _mines_in_demo_order(tenant)
    demo = Demo(
        tenant=tenant,
        scope=scope,
        today=today,
        rng=random.Random(SEED + zlib.crc32(spec.key.encode())),
        manager=manager,
        admin=admin,
        reviewer=reviewer,
        mines=mines,
    )
    with translation.override(settings.LANGUAGE_CODE):
        for mine, plan in zip(mines, PLANS[spec.key], strict=False):
            for step in plan:
                _STEPS[step[0]](demo, mine, *step[1:])
        demo.count("lapsed", grades.lapse_overdue(today))
    log(f"grading created: {spec.name} (" + ", ".join(f"{n} {w}" for w, n in demo.counts.items()) + ")")
    return demo.counts


def _mines_in_demo_order(tenant: Tenant) -> list[OrgUnit]:
    # Paths hold random ids: order by the mine number the demo gives employee numbers instead.
    from tenants.models import Person

    mines = list(OrgUnit.objects.filter(tenant=tenant, kind=OrgUnit.Kind.MINE).select_related("mine_profile"))
    first_no = {}
    for path, employee_no in Person.objects.filter(tenant=tenant).values_list(
        "org_unit__path", "employee_no"
    ):
        for mine in mines:
            if path.startswith(mine.path):
                first_no[mine.pk] = min(first_no.get(mine.pk, employee_no), employee_no)
    return sorted(mines, key=lambda m: (first_no.get(m.pk, "~"), m.name))


def _points(value: Decimal) -> Decimal:
    return (value / HALF).quantize(Decimal(1), rounding=ROUND_HALF_UP) * HALF


REASONS = [
    ("记录不全，缺少签字", "安全科"),
    ("现场检查发现未按规程执行", "井下作业现场"),
    ("台账未及时更新", "调度室"),
    ("培训记录与实际不符", "培训中心"),
    ("隐患整改未闭环", "综采工作面"),
    ("设备检修记录缺失", "机电硐室"),
]


def _score_all(demo: Demo, assessment: Assessment, quality: float, *, share: float = 1.0) -> None:
    """Score ``share`` of the items so that each part keeps about ``quality`` of its points: a few
    items lose points, each with a reason and a place; veto items are never failed."""
    mine = assessment.mine
    items = list(Item.objects.filter(version=assessment.version).order_by("position", "code"))
    scores = {s.item_id: s for s in ItemScore.objects.filter(assessment=assessment)}
    for n, item in enumerate(items):
        if n >= len(items) * share:
            break
        deductions = []
        if not item.is_veto:
            lost = item.max_points * Decimal(str(1 - quality)) * Decimal(str(demo.rng.uniform(0.6, 1.4)))
            lost = min(_points(lost), item.max_points)
            if lost > 0:
                reason, place = demo.rng.choice(REASONS)
                deductions.append({"points": lost, "reason": reason, "location": place})
        assessments.save_item(
            scope=demo.scope,
            assessment=assessment,
            item=item,
            deductions=deductions,
            based_on_version=scores[item.pk].row_version,
            actor=demo.assessor(mine),
        )


def _start(demo: Demo, mine: OrgUnit, on_date: datetime.date) -> Assessment | None:
    version = version_for(mine.mine_profile.mine_type, on_date)
    if version is None:
        return None
    assessment = assessments.start(
        scope=demo.scope, mine=mine, version=version, actor=demo.assessor(mine), on_date=on_date
    )
    demo.count("assessments")
    return assessment


def _grade(demo: Demo, mine: OrgUnit, days_ago: int, quality: float) -> None:
    day = demo.today - datetime.timedelta(days=days_ago)
    assessment = _start(demo, mine, day)
    if assessment is None:
        return
    _score_all(demo, assessment, quality)
    assessments.submit(scope=demo.scope, assessment=assessment, actor=demo.assessor(mine))
    assessments.start_review(scope=demo.scope, assessment=assessment, actor=demo.reviewer)
    assessments.approve(scope=demo.scope, assessment=assessment, actor=demo.reviewer, on_date=day)
    # A grade awarded years ago was submitted and approved then, not on the day the demo is built:
    # the report and the pages print these dates next to the assessment date (issue 13).
    Assessment.objects.filter(pk=assessment.pk).update(
        submitted_at=_moment(day, 9), approved_at=_moment(day, 15)
    )
    if GradeCertificate.objects.filter(assessment=assessment).exists():
        demo.count("grades")


def _moment(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _accident(demo: Demo, mine: OrgUnit, days_ago: int, accident_class: str, deaths: int) -> None:
    day = demo.today - datetime.timedelta(days=days_ago)
    text = (
        "井下运输巷道矿车掉道，1人被挤压致死，已按规定上报并停产整顿。"
        if deaths
        else "检修时液压管路崩脱，1人手部轻伤，送医处理后返岗。"
    )
    accidents.record_accident(
        scope=demo.scope,
        mine=mine,
        data={
            "occurred_on": day,
            "accident_class": accident_class,
            "deaths": deaths,
            "injuries": 0 if deaths else 1,
            "description": text,
        },
        actor=demo.assessor(mine),
    )
    demo.count("accidents")


def _open(demo: Demo, mine: OrgUnit, status: str, quality: float) -> None:
    assessment = _start(demo, mine, demo.today - datetime.timedelta(days=10))
    if assessment is None:
        return
    if status == Assessment.Status.DRAFT:
        _score_all(demo, assessment, quality, share=0.6)
        return
    _score_all(demo, assessment, quality)
    assessments.submit(scope=demo.scope, assessment=assessment, actor=demo.assessor(mine))
    if status == Assessment.Status.UNDER_REVIEW:
        assessments.start_review(scope=demo.scope, assessment=assessment, actor=demo.reviewer)
        # The reviewer disagrees with the mine on two items, with comments.
        scored = list(
            ItemScore.objects.filter(assessment=assessment, deducted__gt=0)
            .select_related("item")
            .order_by("item__position")[:2]
        )
        for score in scored:
            assessments.adjust(
                scope=demo.scope,
                assessment=assessment,
                item=score.item,
                review_score=max(score.item.max_points - score.deducted * 2, Decimal(0)),
                comment="现场复核发现问题比自评更多，加扣。",
                actor=demo.reviewer,
            )


_STEPS = {"grade": _grade, "accident": _accident, "open": _open}
