"""Inspections demo for the groups ``seed_demo`` builds, on top of their training demo.

Per demo group with a training demo and no inspection yet: a group HQ inspection of worker 1's
mine twelve days ago, led by the HQ auditor, with three spot exams (逢查必考) on the group's
spot-exam paper — ``services.create_inspection / pick_people / start_spot_attempt`` and
training's attempts service. The first two pass; the third fails, and the grading's outcome
listener suspends that person from post (下岗) with a hold until the re-test paper is passed.

Deterministic (the people are picked by post, the answers by the training demo's seeded random);
idempotent: a group that already has an inspection, or no training demo, is left alone.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone, translation

from compliance.training import attempts
from compliance.training import demo as training_demo
from compliance.training.models import ExamPaper
from tenants.models import Person, PersonHold, Tenant

from . import services
from .models import Inspection, Suspension

PC = Person.PostCategory
# Who inspects for each group: the HQ auditor's login leads (named first, as 组长, so the record's
# leader and its list of inspectors agree), with the team's other members.
INSPECTORS = {
    "qn": "罗文斌、周晓春",
    "jt": "王志刚、李海燕",
}


def build(spec, *, scope, today: datetime.date | None = None, log=print) -> dict | None:
    """The demo builder (compliance.registry): None when the group already had this part."""
    tenant = Tenant.objects.filter(credit_code=spec.credit_code).first()
    if tenant is None or Inspection.objects.filter(tenant=tenant).exists():
        return None
    spot_paper = (
        ExamPaper.objects.filter(tenant=tenant, is_spot_exam=True, is_active=True)
        .order_by("created_at")
        .first()
    )
    if spot_paper is None:
        log(f"no training demo, inspections skipped: {spec.name}")
        return None
    demo = training_demo.demo_context(spec, tenant, scope, today or timezone.localdate())
    if demo is None:
        log(f"not built by seed_demo, inspections skipped: {spec.name}")
        return None
    # Texts the services store (a suspension's reason, …) are in the demo's language, Chinese.
    with translation.override(settings.LANGUAGE_CODE):
        count = _seed_inspection(demo, spot_paper)
    log(f"inspections created: {spec.name} (1 inspection, {count} spot exams)")
    return {"inspections": 1, "spot exams": count}


def _seed_inspection(demo, spot_paper: ExamPaper) -> int:
    worker1 = demo.logins[f"{demo.key}-worker1"]
    mine = demo.mine_of[worker1.pk]
    leader = demo.users.get(f"{demo.key}-auditor")
    day = demo.today - datetime.timedelta(days=12)
    inspection = services.create_inspection(
        scope=demo.scope,
        org_unit=mine,
        user=leader,
        kind=Inspection.Kind.GROUP_HQ,
        date=day,
        inspectors=f"集团安全监察部：{leader.get_full_name()}（组长）、{INSPECTORS.get(demo.key, '')}",
        notes="季度安全大检查：井下现场逢查必考3人（安全管理人员、特种作业人员、一线从业人员各1人）。",
    )
    here = [p for p in demo.on_post(demo.at(mine)) if p.pk not in demo.login_ids()]

    def first(category: str) -> Person:
        return next(p for p in here if p.post_category == category and p.job_title not in ("队长", "班长"))

    picked = [first(PC.SAFETY_MANAGEMENT), first(PC.SPECIAL_OPERATION), first(PC.OTHER)]
    checks = services.pick_people(scope=demo.scope, inspection=inspection, paper=spot_paper, people=picked)
    # The first two pass; the third fails and is suspended from post until the re-test is passed.
    for n, (check, target) in enumerate(zip(checks, ("pass", "pass", "fail"), strict=True)):
        when = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 20 * n)))
        attempt = services.start_spot_attempt(spot_check=check, by_user=leader, now=when, rng=demo.rng)
        finished = training_demo.answer_attempt(demo, attempt, target=target)
        submitted = min(
            finished + datetime.timedelta(seconds=30), attempt.deadline - datetime.timedelta(seconds=1)
        )
        attempts.submit_attempt(attempt, now=submitted)
        # The failure suspended the person as it was graded, which the service dates now: in the
        # demo that was on the inspection's day, so the record and the person page say so.
        Suspension.objects.filter(spot_check=check).update(started_at=submitted)
        PersonHold.objects.filter(
            person_id=check.person_id, source=services.SPOT_EXAM_HOLD, lifted_at__isnull=True
        ).update(placed_at=submitted)
    return len(checks)
