"""Outsourcing demo for the groups ``seed_demo`` builds: six contractors per group (twelve in all;
中煤矿建 serves both groups, each keeping its own record), their qualifications (most valid, some
expiring within a month, one expired — its staff held off post), engagements at most mines with
staff, 大河边煤矿 at its cap of mining and tunnelling contractors, three months of appraisals (one
contractor poor twice in a row: phase-out proposed) and one contractor phased out (清退).

Everything goes through the services, so the caps and rules apply as they would to a user. The
one expired licence is recorded valid, used, then aged to its past expiry date (the demo's story:
it lapsed after the engagement began) and the holds follow from ``sync_qualification_holds``.
Deterministic; idempotent: a group that already has contractors is left alone.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone, translation

from tenants.models import OrgUnit, Person, Tenant

from . import services
from .models import AGREEMENT_KEYS, Contractor, Qualification

# (name, credit code, legal representative, kind of work)
SHARED = ("中煤矿山建设集团第五工程处", "91520000MA6D5X0Q10", "吴建华", "tunnelling")
CONTRACTORS = {
    "qn": [
        SHARED,
        ("贵州黔安矿山工程有限公司", "91520100MA6H2K3L40", "罗志强", "mining"),
        ("六盘水恒安爆破工程有限公司", "91520200MA6J7P8Q90", "陈永福", "blasting"),
        ("遵义宏达机电安装有限公司", "91520300MA6K1M2N30", "杨光明", "installation"),
        ("毕节地矿勘探工程有限公司", "91520500MA6L4R5X60", "周国平", "geology"),
        ("安顺通达矿山运输有限公司", "91520400MA6M7T8U90", "刘德胜", "transport"),
    ],
    "jt": [
        SHARED,
        ("山西晋兴矿建工程有限公司", "91140100MA0A1B2C30", "王建国", "mining"),
        ("太原恒泰井巷工程有限公司", "91140100MA0D4E5F60", "张志远", "tunnelling"),
        ("忻州鑫安爆破服务有限公司", "91140900MA0G7H8J90", "李长青", "blasting"),
        ("长治泰和机电设备检修有限公司", "91140400MA0K1L2M30", "赵永强", "installation"),
        ("朔州顺达运输有限公司", "91140600MA0N4P5Q60", "孙立新", "transport"),
    ],
}
# Per group: (contractor index, mine index, kind, system, labour-only) — the mine order is the demo's.
ENGAGEMENTS = {
    "qn": [
        (0, 0, "tunnelling", "一号井", False),  # 大河边煤矿 (large): two mining contractors, at its cap
        (1, 0, "mining", "一号井", False),
        (2, 0, "blasting", "一号井", False),
        (3, 1, "installation", "主井", False),
        (4, 2, "geology", "", False),
        (5, 2, "transport", "主平硐", False),
    ],
    "jt": [
        (0, 0, "tunnelling", "北翼采区", False),
        (1, 1, "mining", "一采区", False),
        (3, 3, "blasting", "", False),
        (4, 1, "installation", "一采区", False),
        (5, 3, "transport", "主斜坡道", False),
        (2, 2, "tunnelling", "", False),
    ],
}


PREFIX = {Qualification.Kind.SAFETY_LICENCE: "安许证字", Qualification.Kind.CONSTRUCTION: "D"}


def _credit(code: str) -> str:
    from stdnum.cn import uscc

    body = code[:17]
    return body + uscc.calc_check_digit(body)


def build(spec, *, scope, today: datetime.date | None = None, log=print) -> dict | None:
    """The demo builder (compliance.registry): None when the group already had this part."""
    tenant = Tenant.objects.filter(credit_code=spec.credit_code).first()
    if tenant is None or spec.key not in CONTRACTORS:
        return None
    if Contractor.objects.filter(tenant=tenant).exists():
        log(f"contractors exist, skipped: {spec.name}")
        return None
    admin = get_user_model().objects.filter(username=f"{spec.key}-admin").first()
    if admin is None:
        log(f"not built by seed_demo, contractors skipped: {spec.name}")
        return None
    today = today or timezone.localdate()
    with translation.override(settings.LANGUAGE_CODE):
        counts = _seed(spec.key, tenant, scope, today, admin)
    log(f"contractors created: {spec.name} (" + ", ".join(f"{n} {w}" for w, n in counts.items()) + ")")
    return counts


def _seed(key: str, tenant, scope, today, admin) -> dict:
    counts = {"contractors": 0, "qualifications": 0, "engagements": 0, "staff": 0, "appraisals": 0}
    mines = _mines_in_order(tenant)
    contractors = []
    for n, (name, code, legal, kind) in enumerate(CONTRACTORS[key]):
        c = services.contractor_create(
            scope=scope,
            tenant_id=tenant.pk,
            data={
                "name": name,
                "credit_code": _credit(code),
                "legal_representative": legal,
                "contact_name": f"{legal[0]}经理",
                "contact_phone": f"1390851{n:04d}",
                "work_kind": kind,
            },
        )
        # Most valid for years; the second and fifth expire within a month (reminders are due).
        until = today + datetime.timedelta(days=20 if n in (1, 4) else 400 + 30 * n)
        for q_kind, grade, issuer in (
            (Qualification.Kind.SAFETY_LICENCE, "", "省应急管理厅"),
            (Qualification.Kind.CONSTRUCTION, "矿山工程施工总承包二级", "省住房和城乡建设厅"),
        ):
            services.qualification_record(
                scope=scope,
                contractor=c,
                data={
                    "kind": q_kind,
                    "grade": grade,
                    "scope_text": "矿山井巷、采掘工程施工"
                    if q_kind == Qualification.Kind.CONSTRUCTION
                    else "矿山工程施工",
                    "number": f"({key.upper()}){PREFIX[q_kind]}[{2024 + n % 2}]{n + 1:04d}",
                    "issuer": issuer,
                    "valid_from": until - datetime.timedelta(days=3 * 365),
                    "valid_until": until,
                },
            )
            counts["qualifications"] += 1
        contractors.append(c)
        counts["contractors"] += 1

    people = _free_people(tenant, mines)
    engagements = []
    for index, (ci, mi, kind, system, labour_only) in enumerate(ENGAGEMENTS[key]):
        mine = mines[mi]
        pool = people[mine.pk]
        pm = pool.pop()
        result = services.engagement_create(
            scope=scope,
            mine=mine,
            contractor=contractors[ci],
            data={
                "work_kind": kind,
                "scope_of_work": {
                    "mining": "综采工作面回采及顺槽维护",
                    "tunnelling": "采区巷道掘进与支护",
                    "blasting": "井下爆破作业",
                    "installation": "主提升及排水设备安装检修",
                    "geology": "补充地质勘探",
                    "transport": "辅助运输",
                }[kind],
                "underground_system": system,
                "labour_only": labour_only,
                "starts_on": today - datetime.timedelta(days=120 + 10 * index),
                "ends_on": today + datetime.timedelta(days=240 + 15 * index),
                "contract_number": f"{key.upper()}-WB-{today.year}-{index + 1:03d}",
                "agreement_items": list(AGREEMENT_KEYS),
                "project_manager": pm,
                "project_manager_certificate": f"AQ{key.upper()}{index + 1:05d}",
            },
            actor=admin,
        )
        engagement = result.engagement
        engagements.append(engagement)
        counts["engagements"] += 1
        for _i in range(3):
            if not pool:
                break
            services.staff_assign(
                scope=scope, engagement=engagement, person=pool.pop(), assigned_on=engagement.starts_on
            )
            counts["staff"] += 1
        # Three months of appraisals; the sixth engagement's contractor is poor twice running.
        month = today.replace(day=1)
        for back, score in ((3, 88), (2, 55 if index == 5 else 86), (1, 52 if index == 5 else 90)):
            period = month
            for _m in range(back):
                period = (period - datetime.timedelta(days=1)).replace(day=1)
            services.appraisal_record(
                scope=scope,
                engagement=engagement,
                period=period,
                score=score - index,
                findings="" if score >= 60 else "现场安全管理混乱，特种作业人员无证上岗。",
                actor=admin,
            )
            counts["appraisals"] += 1

    if key == "qn":
        # The group's 安全生产许可证 of the transport contractor lapsed after its engagement began:
        # the demo ages the recorded licence; the daily rule then holds its staff.
        lapsed = contractors[5]
        Qualification.objects.filter(contractor=lapsed, kind=Qualification.Kind.SAFETY_LICENCE).update(
            valid_until=today - datetime.timedelta(days=12)
        )
        services.sync_qualification_holds(scope=scope, contractor=lapsed, today=today)
        # One contractor phased out (清退) after repeated findings.
        extra = services.contractor_create(
            scope=scope,
            tenant_id=tenant.pk,
            data={
                "name": "黔西南兴达劳务有限公司",
                "credit_code": _credit("91522300MA6N1P2Q30"),
                "legal_representative": "韦小龙",
                "work_kind": "mining",
            },
        )
        services.contractor_set_status(
            scope=scope,
            contractor=extra,
            status=Contractor.Status.PHASED_OUT,
            reason="连续两个月考核不合格，以包代管，依据集团外包队伍管理办法清退",
            on=today - datetime.timedelta(days=45),
        )
        counts["contractors"] += 1
    return counts


def _mines_in_order(tenant) -> list[OrgUnit]:
    # Paths hold random ids: order by the first employee number the demo gave each mine.
    mines = list(OrgUnit.objects.filter(tenant=tenant, kind=OrgUnit.Kind.MINE).select_related("mine_profile"))
    first: dict = {}
    for path, no in Person.objects.filter(tenant=tenant).values_list("org_unit__path", "employee_no"):
        for mine in mines:
            if path.startswith(mine.path):
                first[mine.pk] = min(first.get(mine.pk, no), no)
    return sorted(mines, key=lambda m: (first.get(m.pk, "~"), m.name))


def _free_people(tenant, mines) -> dict:
    """Per mine, ordinary workers on post without a login, the last ones first (the demo's other
    parts pick from the start of the list)."""
    out: dict = {m.pk: [] for m in mines}
    rows = (
        Person.objects.filter(
            tenant=tenant,
            status=Person.Status.ON_POST,
            user__isnull=True,
            post_category=Person.PostCategory.OTHER,
        )
        .select_related("org_unit")
        .order_by("employee_no")
    )
    for person in rows:
        for mine in mines:
            if person.org_unit.path.startswith(mine.path):
                out[mine.pk].append(person)
    return out
