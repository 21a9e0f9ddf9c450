"""Points demo for the groups ``seed_demo`` builds: the default catalogue and thresholds (the demo
group has confirmed them, so they act), three months of entries for the people of every team —
mostly minor 三违 and awards for reports and exams, a few corrections — with some thresholds
crossed: one person below every threshold, held off post pending corrective training (矫正培训),
and one with a warning talk to hold.

Everything goes through the services, so balances, thresholds and holds follow as for a user.
Deterministic; idempotent: a group that already has entries is left alone."""

from __future__ import annotations

import datetime
import random

from tenants.models import OrgUnit, Person, Tenant

from . import services
from .models import Entry, PointsRule, Threshold

REASONS = {
    "SW-ZY-3": ["未按规定佩戴安全帽", "交接班记录不全", "工作面浮煤未清理"],
    "SW-JL-3": ["班前会迟到", "岗位上玩手机"],
    "SW-ZY-2": ["未执行敲帮问顶", "带电检修未挂牌"],
    "AW-HAZARD": ["报告回风巷顶板离层隐患", "报告皮带机护罩缺失"],
    "AW-EXAM": ["月度安全考试合格"],
    "AW-STOP-UNSAFE": ["制止他人违章进入盲巷"],
}


def build(spec, *, scope, today: datetime.date, log=print) -> dict | None:
    tenant = Tenant.objects.filter(credit_code=spec.credit_code).first()
    if tenant is None or Entry.objects.filter(tenant=tenant).exists():
        return None
    services.defaults_install(scope=scope, tenant_id=tenant.pk)
    for threshold in Threshold.objects.filter(tenant=tenant):
        services.threshold_set(
            scope=scope,
            tenant_id=tenant.pk,
            action=threshold.action,
            below=threshold.below,
            by="集团安全监察部",
        )
    rules = {r.code: r for r in PointsRule.objects.filter(tenant=tenant, org_unit__parent__isnull=True)}
    rng = random.Random(spec.credit_code)
    teams = list(OrgUnit.objects.filter(tenant=tenant, kind=OrgUnit.Kind.TEAM).order_by("name"))
    entries = 0
    first_people: list[Person] = []
    for team in teams:
        people = list(
            Person.objects.filter(tenant=tenant, org_unit=team, status=Person.Status.ON_POST)
            .select_related("org_unit")
            .order_by("employee_no")[:12]
        )
        if people:
            first_people.append(people[0])
        for person in people[1:]:
            for _n in range(rng.randint(0, 3)):
                code = rng.choice(list(REASONS))
                day = today - datetime.timedelta(days=rng.randint(1, 90))
                done = services.entry_record(
                    scope=scope, person=person, rule=rules[code], occurred_on=day,
                    reason=rng.choice(REASONS[code]),
                )  # fmt: skip
                entries += 1
                if done.entry and rng.random() < 0.05:
                    services.entry_reverse(
                        scope=scope, entry=done.entry, reason="复核：记录人员有误，予以更正"
                    )
                    entries += 1
    story = []
    if first_people:
        held = first_people[0]
        # Two grave violations in a month: below every threshold, held until the training is passed.
        for code, days, reason in (("SW-ZH-1", 40, "安排无证人员操作绞车"), ("SW-ZY-1", 12, "空顶作业")):
            services.entry_record(
                scope=scope, person=held, rule=rules[code], occurred_on=today - datetime.timedelta(days=days),
                reason=reason,
            )  # fmt: skip
            entries += 1
        story.append(f"{held.name} held pending corrective training")
    if len(first_people) > 1:
        talk = first_people[1]
        services.entry_record(
            scope=scope, person=talk, rule=rules["SW-ZY-2"], occurred_on=today - datetime.timedelta(days=20),
            reason="未执行敲帮问顶",
        )  # fmt: skip
        services.entry_record(
            scope=scope, person=talk, rule=rules["SW-JL-3"], occurred_on=today - datetime.timedelta(days=5),
            reason="班前会迟到",
        )  # fmt: skip
        entries += 2
        story.append(f"{talk.name} awaits a warning talk")
    log(f"points created: {spec.name} ({entries} entries; {'; '.join(story)})")
    return {"entries": entries}
