"""The training demo's shared context: who and what one group's demo is built for, and the
constants every part uses."""

from __future__ import annotations

import datetime
import random
import zlib
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.utils import timezone

from compliance.training.models import ExamPaper
from tenants import roles
from tenants.models import MineProfile, OrgUnit, Person, Tenant
from tenants.scope import Scope

SEED = 20260415
MT = MineProfile.MineType
PC = Person.PostCategory
OP = Person.OperationType

# Chinese names of the mine types and operation types, for paper and course titles (stored data).
MINE_TYPE_ZH = {
    MT.COAL_UNDERGROUND: "井工煤矿",
    MT.COAL_OPEN_PIT: "露天煤矿",
    MT.METAL_UNDERGROUND: "金属非金属地下矿山",
    MT.METAL_OPEN_PIT: "金属非金属露天矿山",
    MT.TAILINGS_POND: "尾矿库",
}
OPERATION_ZH = {
    OP.ELECTRICIAN: "井下电气作业",
    OP.HOIST: "提升机操作作业",
    OP.GAS_INSPECTION: "瓦斯检查作业",
    OP.BLASTING: "爆破作业",
    OP.VENTILATION: "通风作业",
    OP.SAFETY_CHECK: "安全检查作业",
    OP.DRAINAGE: "排水作业",
    OP.WATER_EXPLORATION: "探放水作业",
    OP.SHEARER: "采煤机操作作业",
    OP.ROADHEADER: "掘进机操作作业",
    OP.HYDRAULIC_SUPPORT: "液压支架作业",
    OP.TAILINGS: "尾矿作业",
}
PROVINCE_BODY = {"52": "贵州", "53": "云南", "14": "山西"}


@dataclass
class Demo:
    """What one group's training seeding works with."""

    tenant: Tenant
    key: str
    scope: Scope
    today: datetime.date
    now: datetime.datetime
    rng: random.Random
    hq: OrgUnit
    mines: list[OrgUnit]
    people: list[Person]
    mine_of: dict  # person id -> mine OrgUnit
    logins: dict[str, Person]  # worker username -> person
    users: dict  # username -> user
    papers: dict[str, ExamPaper] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def on_post(self, people=None) -> list[Person]:
        return [p for p in (self.people if people is None else people) if p.status == Person.Status.ON_POST]

    def at(self, mine: OrgUnit) -> list[Person]:
        return [p for p in self.people if self.mine_of[p.pk].pk == mine.pk]

    def mine_type(self, person: Person) -> str:
        return self.mine_of[person.pk].mine_profile.mine_type

    def login_ids(self) -> set:
        return {p.pk for p in self.logins.values()}


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def _context(spec, tenant: Tenant, scope: Scope, today: datetime.date) -> Demo | None:
    worker_names = [login.username for login in spec.logins if login.role == roles.WORKER]
    others = [login.username for login in spec.logins if login.role != roles.WORKER]
    users = {u.username: u for u in get_user_model().objects.filter(username__in=worker_names + others)}
    people = list(
        Person.objects.filter(tenant=tenant).select_related("org_unit", "user").order_by("employee_no")
    )
    logins = {p.user.username: p for p in people if p.user_id and p.user.username in worker_names}
    if len(logins) != len(worker_names):
        return None
    units = list(OrgUnit.objects.filter(tenant=tenant).select_related("mine_profile").order_by("path"))
    hq = next(u for u in units if u.parent_id is None)
    mines = [u for u in units if u.kind == OrgUnit.Kind.MINE]
    mine_of = {}
    for person in people:
        mine = next((m for m in mines if person.org_unit.path.startswith(m.path)), None)
        if mine is None:
            return None
        mine_of[person.pk] = mine
    # In the order the demo lists them (employee numbers carry the mine's number), not by path:
    # paths hold random ids, and the seeded choices must not depend on them.
    first_no = {}
    for person in people:
        first_no.setdefault(mine_of[person.pk].pk, person.employee_no)
    mines.sort(key=lambda m: (first_no.get(m.pk, "~"), m.name))
    return Demo(
        tenant=tenant,
        key=spec.key,
        scope=scope,
        today=today,
        now=timezone.now(),
        rng=random.Random(SEED + zlib.crc32(spec.key.encode())),
        hq=hq,
        mines=mines,
        people=people,
        mine_of=mine_of,
        logins=logins,
        users=users,
    )
