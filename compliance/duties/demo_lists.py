"""The demo's responsibility lists, for the groups ``seed_demo`` builds.

Per demo group with no post catalogue yet: a post for every group leader (董事长, 总经理, 实际控制人),
every mine leader, department head, team leader and every worker post of the demo's people, each
with its group list in Chinese, published 40 days ago; the first mine adapts the 采煤工 list with an
item of its own; everyone holds the post of their job title. About two thirds signed (the worker-1
login on the phone, the others on paper), the rest are overdue; the 瓦斯检查工 list then got a
second version last week, so its holders must sign again (worker 2's to-do). Last month's duty
assessments of the first mine: the team leader scores the 综采一队, the safety manager the mine's
staff, the group's HQ auditor the 矿长 — two of them fail.

Deterministic (people in employee-number order, scores from a seeded random); idempotent: a group
that already has posts is left alone. Every row is written through ``services_lists``.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone, translation

from tenants.models import OrgUnit, Person, Tenant
from tenants.scope import activate
from tenants.selectors import scope_for_user

from . import selectors_lists as sel
from . import services_lists as svc
from .models.lists import DutyPost, PostHolder

SEED = 20261207

# (code, name, level, principal, items): the group's own posts and their lists.
GROUP_POSTS = [
    (
        "chairman",
        "董事长",
        "group",
        False,
        [
            (
                "全面领导集团安全生产工作，是集团安全生产第一责任人",
                "集团",
                "每年主持研究安全生产重大问题不少于4次",
                "党委会、董事会会议纪要",
            ),
            (
                "建立健全并落实集团全员安全生产责任制",
                "集团",
                "责任制覆盖全部岗位并每年修订",
                "责任制文件及修订记录",
            ),
            ("保证安全生产投入的有效实施", "集团", "安全费用按规定足额提取使用", "安全费用提取使用台账"),
        ],
    ),
    (
        "general-manager",
        "总经理",
        "group",
        False,
        [
            (
                "组织制定并实施集团安全生产规章制度和操作规程",
                "集团",
                "制度齐全、每年评审",
                "制度汇编及评审记录",
            ),
            (
                "组织建立并落实安全风险分级管控和隐患排查治理双重预防机制",
                "集团",
                "重大隐患按期整改率100%",
                "隐患排查治理台账",
            ),
            (
                "组织制定并实施生产安全事故应急救援预案",
                "集团",
                "每年组织综合演练不少于1次",
                "演练记录及评估报告",
            ),
        ],
    ),
    (
        "controller",
        "实际控制人",
        "group",
        False,
        [
            ("支持并督促集团依法履行安全生产主体责任", "集团", "不得干预安全投入和安全决策", "董事会决议"),
            ("定期听取集团安全生产工作汇报", "集团", "每半年不少于1次", "汇报记录"),
        ],
    ),
]
MINE_POSTS = [
    (
        "mine-head",
        "矿长",
        "mine",
        True,
        [
            (
                "全面负责本矿安全生产工作，是本矿安全生产第一责任人",
                "本矿",
                "发生生产安全责任事故一票否决",
                "矿长办公会纪要",
            ),
            ("按规定带班下井", "井下", "每月带班下井不少于5个班", "带班下井记录"),
            ("每月组织一次全面隐患排查", "本矿", "按期完成，重大隐患挂牌督办", "隐患排查记录"),
        ],
    ),
    (
        "chief-engineer",
        "总工程师",
        "mine",
        False,
        [
            ("全面负责本矿安全生产技术管理工作", "本矿", "作业规程、安全技术措施审批及时", "审批记录"),
            ("组织编制灾害预防和处理计划", "本矿", "每年编制并按季度修订", "计划文本"),
            ("组织开展安全风险辨识评估", "本矿", "年度辨识评估按时完成", "风险辨识评估报告"),
        ],
    ),
    (
        "safety-deputy",
        "安全副矿长",
        "mine",
        False,
        [
            ("负责本矿安全监督管理工作", "本矿", "现场检查每月不少于20次", "检查记录"),
            ("组织安全教育培训", "本矿", "培训计划完成率100%", "培训档案"),
            ("督促隐患整改闭环", "本矿", "一般隐患整改率100%", "隐患整改台账"),
        ],
    ),
    (
        "production-deputy",
        "生产副矿长",
        "mine",
        False,
        [
            ("负责生产系统的安全管理", "采掘系统", "采掘接续正常，不超能力生产", "生产计划与调度记录"),
            ("落实作业规程和安全技术措施", "采掘工作面", "现场执行率100%", "现场检查记录"),
        ],
    ),
    (
        "mech-deputy",
        "机电副矿长",
        "mine",
        False,
        [
            ("负责机电运输系统的安全管理", "机电运输系统", "机电事故为零", "机电设备检修记录"),
            ("组织设备定期检测检验", "本矿", "检测检验按期完成", "检测检验报告"),
        ],
    ),
    (
        "safety-chief",
        "安全科科长",
        "department",
        False,
        [
            ("负责本部门安全生产管理工作", "安全科", "安全检查计划完成率100%", "检查计划及记录"),
            ("组织开展岗位安全检查和“三违”查处", "本矿", "“三违”查处登记完整", "三违台账"),
        ],
    ),
    (
        "safety-officer",
        "安全员",
        "department",
        False,
        [
            ("现场安全监督检查", "分管区域", "每班检查不少于2次", "检查记录"),
            ("制止违章作业，发现隐患及时报告", "分管区域", "隐患上报及时", "隐患报告单"),
        ],
    ),
    (
        "team-head",
        "队长",
        "team",
        False,
        [
            ("负责本队（班组）安全生产工作", "本队", "本队无轻伤以上事故", "班前会记录"),
            ("组织班前安全讲话和岗位安全确认", "本队", "每班必讲", "班前会记录"),
            ("落实隐患排查，发现问题及时处理", "本队", "隐患当班处理或上报", "隐患排查记录"),
        ],
    ),
]
# Every worker post: the common duties, then one of the post itself.
WORKER_COMMON = [
    ("遵守安全生产规章制度和本岗位操作规程", "本岗位", "无违章作业记录", "班组考勤及检查记录"),
    ("参加安全教育培训，掌握本岗位安全知识和技能", "本岗位", "按规定完成培训学时并考试合格", "培训档案"),
    ("发现事故隐患或不安全因素立即报告", "作业现场", "隐患及时上报", "隐患报告记录"),
    ("正确佩戴和使用劳动防护用品", "作业现场", "检查中无未佩戴情况", "现场检查记录"),
]


def _items(rows):
    return [{"duty": d, "scope": s, "criterion": c, "evidence": e} for d, s, c, e in rows]


def _worker_items(title: str):
    own = (f"严格执行{title}岗位作业标准，持证上岗", "本岗位", "作业规范、证件有效", "操作证及岗位检查记录")
    return _items([*WORKER_COMMON, own])


def build(spec, *, scope, today: datetime.date | None = None, log=print) -> dict | None:
    """The demo builder (compliance.registry): None when the group already had this part."""
    tenant = Tenant.objects.filter(credit_code=spec.credit_code).first()
    if tenant is None or DutyPost.dangerously_unscoped.filter(tenant=tenant).exists():
        return None
    users = {u.username: u for u in get_user_model().objects.filter(username__startswith=f"{spec.key}-")}
    if f"{spec.key}-admin" not in users:
        log(f"not built by seed_demo, responsibility lists skipped: {spec.name}")
        return None
    today = today or timezone.localdate()
    with translation.override(settings.LANGUAGE_CODE):
        counts = _seed(spec, tenant, users, today)
    log(
        f"responsibility lists created: {spec.name} ("
        + ", ".join(f"{n} {w}" for w, n in counts.items())
        + ")"
    )
    return counts


def _moment(day: datetime.date, hour: int = 9) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _seed(spec, tenant, users, today) -> dict:
    rng = random.Random(SEED + sum(map(ord, spec.key)))
    admin = scope_for_user(users[f"{spec.key}-admin"])
    published = _moment(today - datetime.timedelta(days=40))
    with activate(admin):
        hq = OrgUnit.objects.get(tenant=tenant, parent__isnull=True)
        people = list(
            Person.objects.filter(tenant=tenant)
            .exclude(status=Person.Status.LEFT)
            .exclude(job_title="")
            .select_related("org_unit")
            .order_by("employee_no")
        )
        posts: dict[str, DutyPost] = {}
        position = 0
        for code, name, level, principal, rows in [*GROUP_POSTS, *MINE_POSTS]:
            position += 1
            posts[name] = svc.duty_post_create(
                scope=admin, code=code, name=name, level=level, is_mine_principal=principal, position=position
            )
            svc.list_publish(
                scope=admin, post=posts[name], org_unit=hq, items=_items(rows), published_at=published
            )
        # "库长" (a tailings pond's head) holds the 矿长 list.
        for title in sorted({p.job_title for p in people} - set(posts) - {"库长"}):
            position += 1
            posts[title] = svc.duty_post_create(
                scope=admin, code=f"w{position:03d}", name=title, level="worker", position=position
            )
            svc.list_publish(
                scope=admin,
                post=posts[title],
                org_unit=hq,
                items=_worker_items(title),
                published_at=published,
            )
        posts["库长"] = posts["矿长"]
        first_mine = next(p.org_unit for p in people if p.org_unit.kind == OrgUnit.Kind.MINE)
        if "采煤工" in posts:
            base = sel.version_items(
                sel.base_template_for(
                    tenant_id=tenant.pk, post=posts["采煤工"], org_unit=first_mine
                ).current_version
            )
            kept = [{"key": i.key, **{f: getattr(i, f) for f in svc.ITEM_FIELDS}} for i in base]
            own = {"duty": "执行本矿综采工作面顶板管理规定，支架初撑力达标", "scope": "综采工作面",
                   "criterion": "顶板事故为零", "evidence": "支架初撑力检测记录"}  # fmt: skip
            svc.list_publish(
                scope=admin, post=posts["采煤工"], org_unit=first_mine, items=[*kept, own],
                note="本矿细化：增加顶板管理条目", published_at=published,
            )  # fmt: skip
        holders = []
        for person in people:
            holders.append(
                svc.post_holder_assign(
                    scope=admin, person=person, post=posts[person.job_title],
                    since=min(person.post_started_on or today, today - datetime.timedelta(days=60)),
                )
            )  # fmt: skip
    signed = _sign(spec, users, holders, admin, published, today, rng)
    with activate(admin):
        if "瓦斯检查工" in posts:
            v1 = sel.version_items(
                sel.base_template_for(
                    tenant_id=tenant.pk, post=posts["瓦斯检查工"], org_unit=first_mine
                ).current_version
            )
            items = [{"key": i.key, **{f: getattr(i, f) for f in svc.ITEM_FIELDS}} for i in v1]
            items.append(
                {
                    "duty": "每班检查甲烷传感器读数并与便携仪比对",
                    "scope": "分管区域",
                    "criterion": "误差超限及时报告",
                    "evidence": "瓦斯检查记录手册",
                }
            )
            svc.list_publish(
                scope=admin,
                post=posts["瓦斯检查工"],
                org_unit=hq,
                items=items,
                note="增加传感器比对条目",
                published_at=_moment(today - datetime.timedelta(days=6)),
            )
    assessed = _assess(spec, users, tenant, first_mine, today, rng)
    return {
        "posts": len({p.pk for p in posts.values()}),
        "holders": len(holders),
        "signed": signed,
        "assessments": assessed,
    }


def _sign(spec, users, holders, admin, published, today, rng) -> int:
    worker1 = users.get(f"{spec.key}-worker1")
    signed = 0
    own = scope_for_user(worker1) if worker1 is not None else None
    if own is not None:
        with activate(own):
            for due in sel.my_lists(own):
                svc.list_acknowledge(scope=own, version=due.version, signed_name=due.person.name)
                signed += 1
    worker_people = {u.person.pk for u in users.values() if hasattr(u, "person") and u.person is not None}
    with activate(admin):
        for holder in holders:
            if holder.person_id in worker_people or rng.random() > 0.65:
                continue
            day = published + datetime.timedelta(days=rng.randint(1, 12), hours=rng.randint(0, 8))
            svc.list_acknowledge_recorded(scope=admin, holder=holder, signed_at=day)
            signed += 1
    return signed


def _assess(spec, users, tenant, mine, today, rng) -> int:
    """Last month's assessments at ``mine``: the HQ auditor scores the principal, the team leader
    their own team, the safety manager everyone else."""
    day = today.replace(day=1) - datetime.timedelta(days=1)
    scopes = {
        key: scope_for_user(users[f"{spec.key}-{key}"])
        for key in ("leader", "manager", "auditor")
        if f"{spec.key}-{key}" in users
    }
    if "manager" not in scopes:
        return 0
    team_paths = [g.path for g in scopes["leader"].grants] if "leader" in scopes else []
    with activate(scopes["manager"]):
        holders = list(
            PostHolder.objects.filter(person__org_unit__path__startswith=mine.path)
            .select_related("person__org_unit", "post")
            .order_by("person__employee_no")
        )
    count = 0
    for holder in holders:
        if holder.post.is_mine_principal:
            key = "auditor"
        elif any(holder.person.org_unit.path.startswith(p) for p in team_paths):
            key = "leader"
        else:
            key = "manager"
        scope = scopes.get(key)
        if scope is None or scope.person_id == holder.person_id:
            continue
        with activate(scope):
            due = sel._dues([tenant.pk], [holder], today=today)[0]
            if due.version is None:
                continue
            fail = rng.random() < 0.06
            scores = []
            for item in sel.version_items(due.version):
                full = Decimal(item.max_score)
                score = Decimal(item.max_score // 2) if fail else full - Decimal(rng.choice([0, 0, 0, 1, 2]))
                comment = (
                    ""
                    if score == full
                    else rng.choice(["班前会记录不全", "现场检查发现未按规程操作", "培训学时不足"])
                )
                scores.append(
                    {"item": str(item.pk), "score": score, "comment": comment, "evidence": item.evidence}
                )
            svc.duty_assess(scope=scope, holder=holder, day=day, scores=scores, comment="月度履职考核")
        count += 1
    return count
