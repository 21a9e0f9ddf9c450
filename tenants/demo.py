"""A believable demo world: two mining groups, their mines, teams and people, regulators, logins.

Everything is written through ``tenants.services`` (validated, audited), inside one transaction.
People are generated deterministically (``random.Random`` with a fixed seed), so every run builds
the same names, resident ID numbers and employee numbers. Licence expiry dates are the one thing
relative to the day of the build, so that "expiring soon" is soon whenever the demo is built.

Idempotent: a group found by its credit code or name, and an agency found by its name, is left
alone; the logins are always reported.
"""

from __future__ import annotations

import datetime
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from stdnum.cn import ric, uscc

from compliance.audit.context import ActorContext, acting_as

from . import roles, services
from .models import MineProfile, OrgUnit, Person, RegulatorAgency, Tenant
from .scope import dangerously_platform_scope

DEMO_PASSWORD = "Kuangan-demo-2026"
SEED = 20260301
ACTOR = ActorContext(username="manage.py seed_demo", role="platform")

MT = MineProfile.MineType
PS = MineProfile.ProductionStatus
PC = Person.PostCategory
OP = Person.OperationType

PROVINCE_ABBR = {"52": "黔", "53": "滇", "14": "晋"}

# Birthplaces (GB/T 2260 county codes) by province. A code is used only for birth years in which
# it existed (python-stdnum knows the history); the mine's own county comes first.
BIRTHPLACES = {
    "52": ["520201", "520203", "520221", "520222", "520202", "520102", "520111", "522422", "522425"],
    "53": ["532301", "532322", "532323", "532324", "532325", "532326", "532328", "532329", "530181"],
    "14": ["140181", "140121", "140122", "140402", "140421", "140423", "140429", "140602", "140603"],
}


# --- credit codes (统一社会信用代码, GB 32100) -------------------------------------------------------
def _org_code(body: str) -> str:
    """Organisation code (GB 11714): 8 characters and their check character."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    check = 11 - sum(alphabet.index(c) * w for c, w in zip(body, weights, strict=True)) % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def credit_code(region: str, org_body: str) -> str:
    """91 (enterprise) + registering authority's region + organisation code + check character."""
    body = f"91{region}{_org_code(org_body)}"
    return body + uscc.calc_check_digit(body)


# --- the data -------------------------------------------------------------------------------------
# Job titles: (post category, operation type).
JOBS: dict[str, tuple[str, str]] = {
    "矿长": (PC.PRINCIPAL, ""),
    "库长": (PC.PRINCIPAL, ""),
    "总工程师": (PC.SAFETY_MANAGEMENT, ""),
    "安全副矿长": (PC.SAFETY_MANAGEMENT, ""),
    "生产副矿长": (PC.SAFETY_MANAGEMENT, ""),
    "机电副矿长": (PC.SAFETY_MANAGEMENT, ""),
    "安全科科长": (PC.SAFETY_MANAGEMENT, ""),
    "技术负责人": (PC.SAFETY_MANAGEMENT, ""),
    "安全员": (PC.SAFETY_MANAGEMENT, ""),
    "采煤机司机": (PC.SPECIAL_OPERATION, OP.SHEARER),
    "液压支架工": (PC.SPECIAL_OPERATION, OP.HYDRAULIC_SUPPORT),
    "掘进机司机": (PC.SPECIAL_OPERATION, OP.ROADHEADER),
    "电钳工": (PC.SPECIAL_OPERATION, OP.ELECTRICIAN),
    "电工": (PC.SPECIAL_OPERATION, OP.ELECTRICIAN),
    "提升机操作工": (PC.SPECIAL_OPERATION, OP.HOIST),
    "排水工": (PC.SPECIAL_OPERATION, OP.DRAINAGE),
    "瓦斯检查工": (PC.SPECIAL_OPERATION, OP.GAS_INSPECTION),
    "主要通风机操作工": (PC.SPECIAL_OPERATION, OP.VENTILATION),
    "安全检查工": (PC.SPECIAL_OPERATION, OP.SAFETY_CHECK),
    "探放水工": (PC.SPECIAL_OPERATION, OP.WATER_EXPLORATION),
    "爆破工": (PC.SPECIAL_OPERATION, OP.BLASTING),
    "尾矿工": (PC.SPECIAL_OPERATION, OP.TAILINGS),
}
OTHER = (PC.OTHER, "")
LEADERS = {"矿长", "库长", "总工程师", "安全副矿长", "生产副矿长", "机电副矿长"}
# Posts women commonly hold at a mine (never underground at a coal mine).
WOMEN_POSTS = {"安全员", "技术负责人", "提升机操作工", "主要通风机操作工", "尾矿工", "排水工"}

# The mine office (managers sit at the mine itself), then the teams, by mine type.
MINE_OFFICE = {
    MT.COAL_UNDERGROUND: [
        ("矿长", 1),
        ("总工程师", 1),
        ("安全副矿长", 1),
        ("生产副矿长", 1),
        ("机电副矿长", 1),
        ("安全科科长", 1),
        ("安全员", 2),
    ],
    MT.COAL_OPEN_PIT: [
        ("矿长", 1),
        ("总工程师", 1),
        ("安全副矿长", 1),
        ("生产副矿长", 1),
        ("机电副矿长", 1),
        ("安全员", 2),
    ],
    MT.METAL_UNDERGROUND: [
        ("矿长", 1),
        ("总工程师", 1),
        ("安全副矿长", 1),
        ("生产副矿长", 1),
        ("机电副矿长", 1),
        ("安全员", 2),
    ],
    MT.METAL_OPEN_PIT: [
        ("矿长", 1),
        ("总工程师", 1),
        ("安全副矿长", 1),
        ("生产副矿长", 1),
        ("机电副矿长", 1),
        ("安全员", 1),
    ],
    MT.TAILINGS_POND: [("库长", 1), ("技术负责人", 1), ("安全员", 1)],
}
TEAMS = {
    MT.COAL_UNDERGROUND: [
        ("综采一队", [("队长", 1), ("采煤机司机", 2), ("液压支架工", 2), ("采煤工", 4), ("电钳工", 1)]),
        ("掘进一队", [("队长", 1), ("掘进机司机", 2), ("掘进工", 3), ("支护工", 2), ("电钳工", 1)]),
        ("掘进二队", [("队长", 1), ("掘进机司机", 1), ("掘进工", 3), ("探放水工", 2), ("支护工", 1)]),
        ("机电队", [("队长", 1), ("电钳工", 3), ("提升机操作工", 2), ("排水工", 2)]),
        (
            "通风队",
            [("队长", 1), ("瓦斯检查工", 3), ("主要通风机操作工", 2), ("测风工", 1), ("安全检查工", 1)],
        ),
        ("运输队", [("队长", 1), ("电机车司机", 2), ("信号工", 1), ("运输工", 3)]),
    ],
    MT.COAL_OPEN_PIT: [
        ("穿爆队", [("队长", 1), ("穿孔机司机", 2), ("爆破工", 2)]),
        ("采掘队", [("队长", 1), ("挖掘机司机", 3), ("推土机司机", 1)]),
        ("运输队", [("队长", 1), ("矿用卡车司机", 4)]),
        ("机电队", [("队长", 1), ("电工", 2), ("排水工", 1), ("维修工", 2)]),
    ],
    MT.METAL_UNDERGROUND: [
        ("采矿一队", [("队长", 1), ("凿岩工", 3), ("爆破工", 2), ("铲运机司机", 1)]),
        ("掘进队", [("队长", 1), ("凿岩工", 2), ("爆破工", 1), ("支护工", 1)]),
        ("机电队", [("队长", 1), ("电工", 2), ("提升机操作工", 2), ("排水工", 1)]),
        ("通风安全队", [("队长", 1), ("主要通风机操作工", 1), ("安全检查工", 2), ("通风工", 1)]),
    ],
    MT.METAL_OPEN_PIT: [
        ("穿爆队", [("队长", 1), ("穿孔机司机", 2), ("爆破工", 2)]),
        ("铲装运输队", [("队长", 1), ("挖掘机司机", 2), ("矿用卡车司机", 3)]),
        ("机电队", [("队长", 1), ("电工", 2), ("维修工", 1)]),
    ],
    MT.TAILINGS_POND: [
        ("尾矿库运行班", [("班长", 1), ("尾矿工", 3), ("巡坝工", 1)]),
        ("排洪维护班", [("班长", 1), ("尾矿工", 1), ("电工", 1), ("维修工", 1)]),
    ],
}

SUSPENSION_REASONS = [
    "逢查必考不合格，待培训复考合格后上岗",
    "特种作业操作证逾期未复审",
    "安全积分扣至零分，参加矫正培训",
    "违章作业（三违·较重），停岗学习一周",
]
LEAVING_REASONS = ["劳动合同期满离职", "调往外省矿区", "个人原因辞职"]


@dataclass(frozen=True)
class MineSpec:
    no: int  # in employee numbers
    name: str
    mine_type: str
    region_code: str
    capacity: str | None  # rated capacity, 10kt (万吨) a year
    started: datetime.date | None
    status: str = PS.PRODUCING
    licence_year: int = 2012
    # Days from the build date: None means years away (computed from the licence year).
    safety_expires_in: int | None = None
    mining_expires_in: int | None = None


@dataclass(frozen=True)
class SubsidiarySpec:
    name: str
    mines: tuple[MineSpec, ...]


@dataclass(frozen=True)
class LoginSpec:
    username: str
    role: str
    unit: str  # "" for the HQ, "<mine>" or "<mine>/<team>"
    job_title: str = ""  # workers: the person who gets the login (first on post with this title)


@dataclass(frozen=True)
class TenantSpec:
    key: str  # login prefix and employee-number prefix
    name: str
    credit_code: str
    hq_name: str
    subsidiaries: tuple[SubsidiarySpec, ...]
    logins: tuple[LoginSpec, ...]


@dataclass(frozen=True)
class AgencySpec:
    name: str
    level: str
    region_prefix: str
    username: str


def _logins(key: str, mine: str, team: str, worker1: tuple[str, str], worker2: tuple[str, str]):
    return (
        LoginSpec(f"{key}-admin", roles.TENANT_ADMIN, ""),
        LoginSpec(f"{key}-auditor", roles.HQ_AUDITOR, ""),
        LoginSpec(f"{key}-manager", roles.SAFETY_MANAGER, mine),
        LoginSpec(f"{key}-leader", roles.TEAM_LEADER, f"{mine}/{team}"),
        LoginSpec(f"{key}-worker1", roles.WORKER, worker1[0], job_title=worker1[1]),
        LoginSpec(f"{key}-worker2", roles.WORKER, worker2[0], job_title=worker2[1]),
    )


TENANTS: tuple[TenantSpec, ...] = (
    TenantSpec(
        key="qn",
        name="黔能矿业集团有限责任公司",
        credit_code=credit_code("520000", "21440918"),
        hq_name="黔能矿业集团本部",
        subsidiaries=(
            SubsidiarySpec(
                "六盘水黔能煤业有限公司",
                (
                    MineSpec(
                        1,
                        "大河边煤矿",
                        MT.COAL_UNDERGROUND,
                        "520201",
                        "150",
                        datetime.date(1992, 10, 1),
                        licence_year=2011,
                    ),
                    MineSpec(
                        2,
                        "四角田煤矿",
                        MT.COAL_UNDERGROUND,
                        "520203",
                        "60",
                        datetime.date(2006, 3, 18),
                        licence_year=2016,
                        safety_expires_in=25,
                    ),
                ),
            ),
            SubsidiarySpec(
                "云南黔能矿业有限公司",
                (
                    MineSpec(
                        3,
                        "楚雄六苴铜矿",
                        MT.METAL_UNDERGROUND,
                        "532301",
                        "45",
                        datetime.date(1999, 7, 1),
                        licence_year=2014,
                    ),
                    MineSpec(
                        4,
                        "六苴铜矿尾矿库",
                        MT.TAILINGS_POND,
                        "532301",
                        None,
                        datetime.date(2001, 5, 1),
                        licence_year=2014,
                        safety_expires_in=80,
                    ),
                    MineSpec(
                        5,
                        "安宁青龙山磷矿",
                        MT.METAL_OPEN_PIT,
                        "530181",
                        "80",
                        datetime.date(2010, 9, 1),
                        status=PS.SUSPENDED,
                        licence_year=2015,
                        safety_expires_in=-30,
                    ),
                ),
            ),
        ),
        logins=_logins(
            "qn",
            "大河边煤矿",
            "综采一队",
            ("大河边煤矿/综采一队", "采煤工"),
            ("大河边煤矿/通风队", "瓦斯检查工"),
        ),
    ),
    TenantSpec(
        key="jt",
        name="晋泰能源集团有限公司",
        credit_code=credit_code("140000", "11034627"),
        hq_name="晋泰能源集团本部",
        subsidiaries=(
            SubsidiarySpec(
                "晋泰西山煤业有限公司",
                (
                    MineSpec(
                        1,
                        "古交马兰沟煤矿",
                        MT.COAL_UNDERGROUND,
                        "140181",
                        "240",
                        datetime.date(1986, 12, 26),
                        licence_year=2010,
                    ),
                ),
            ),
            SubsidiarySpec(
                "晋泰长治煤业有限公司",
                (
                    MineSpec(
                        2,
                        "潞州王庄沟煤矿",
                        MT.COAL_UNDERGROUND,
                        "140403",
                        "300",
                        datetime.date(1998, 6, 30),
                        licence_year=2013,
                        mining_expires_in=58,
                    ),
                ),
            ),
            SubsidiarySpec(
                "晋泰朔州露天煤业有限公司",
                (
                    MineSpec(
                        3,
                        "平鲁东坡露天煤矿",
                        MT.COAL_OPEN_PIT,
                        "140603",
                        "1000",
                        datetime.date(2008, 8, 8),
                        licence_year=2017,
                    ),
                ),
            ),
            SubsidiarySpec(
                "晋泰代县矿业有限公司",
                (
                    MineSpec(
                        4,
                        "代县峪口铁矿",
                        MT.METAL_OPEN_PIT,
                        "140923",
                        "200",
                        None,
                        status=PS.CONSTRUCTION,
                        licence_year=2023,
                    ),
                    MineSpec(
                        5,
                        "峪口铁矿尾矿库",
                        MT.TAILINGS_POND,
                        "140923",
                        None,
                        None,
                        status=PS.CONSTRUCTION,
                        licence_year=2023,
                    ),
                ),
            ),
        ),
        logins=_logins(
            "jt",
            "古交马兰沟煤矿",
            "综采一队",
            ("古交马兰沟煤矿/综采一队", "采煤机司机"),
            ("古交马兰沟煤矿/机电队", "电钳工"),
        ),
    ),
)

AGENCIES: tuple[AgencySpec, ...] = (
    AgencySpec("国家矿山安全监察局", RegulatorAgency.Level.NATIONAL, "", "reg-national"),
    AgencySpec("国家矿山安全监察局贵州局", RegulatorAgency.Level.PROVINCIAL, "52", "reg-gz"),
    AgencySpec("国家矿山安全监察局云南局", RegulatorAgency.Level.PROVINCIAL, "53", "reg-yn"),
    AgencySpec("国家矿山安全监察局山西局", RegulatorAgency.Level.PROVINCIAL, "14", "reg-sx"),
)


# --- people ---------------------------------------------------------------------------------------
SURNAMES = (
    "王王王李李李张张张刘刘陈陈杨杨黄赵赵吴周周徐孙马马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董"
    "袁潘蒋蔡余杜程苏魏吕丁任沈姚卢姜崔钟谭陆范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙龙史陶黎"
    "贺顾毛郝龚邵万严覃武戴安罗杨吴龙"
)
MALE_CHARS = (
    "伟强军勇磊涛斌明超刚平辉鹏华飞鑫波杰宇浩凯健俊峰林建国志文海东兵亮成德新龙云江庆福生贵忠永荣祥宏锋晓春"
)
FEMALE_CHARS = "芳娜敏静丽艳娟霞燕玲萍红梅琳雪莉婷英兰慧秀玉凤琴"
MOBILE_PREFIXES = (
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "158",
    "159",
    "182",
    "187",
    "188",
    "130",
    "131",
    "132",
    "155",
    "156",
    "185",
    "186",
    "133",
    "153",
    "180",
    "181",
    "189",
    "177",
)


@dataclass
class PersonSpec:
    name: str
    resident_id: str
    employee_no: str
    phone: str
    job_title: str
    post_category: str
    operation_type: str
    status: str = Person.Status.ON_POST
    status_reason: str = ""
    unit: str = ""  # "<mine>" or "<mine>/<team>"


class PeopleMaker:
    """Deterministic names, resident ID numbers and phone numbers, unique within a group."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.names: set[str] = set()
        self.ids: set[str] = set()
        self.phones: set[str] = set()

    def name(self, female: bool) -> str:
        chars = FEMALE_CHARS if female else MALE_CHARS
        while True:
            given = "".join(self.rng.choice(chars) for _ in range(self.rng.choice((1, 2, 2, 2))))
            name = self.rng.choice(SURNAMES) + given
            if name not in self.names:
                self.names.add(name)
                return name

    def resident_id(self, mine_region: str, birth_years: tuple[int, int], female: bool) -> str:
        pool = BIRTHPLACES[mine_region[:2]]
        while True:
            place = mine_region if self.rng.random() < 0.4 else self.rng.choice(pool)
            birth = datetime.date(
                self.rng.randint(*birth_years), self.rng.randint(1, 12), self.rng.randint(1, 28)
            )
            seq = self.rng.randrange(0, 500) * 2 + (0 if female else 1)  # odd: male, even: female
            body = f"{place}{birth:%Y%m%d}{seq:03d}"
            number = body + ric.calc_check_digit(body + "0")
            if number not in self.ids and ric.is_valid(number):  # the place existed in that year
                self.ids.add(number)
                return number

    def phone(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def person(self, *, title: str, unit: str, mine: MineSpec, employee_no: str) -> PersonSpec:
        category, operation = JOBS.get(title, OTHER)
        female = title in WOMEN_POSTS and self.rng.random() < 0.35
        if title in LEADERS:
            years = (1967, 1982)
        elif title in ("安全科科长", "技术负责人", "队长", "班长"):
            years = (1970, 1990)
        else:
            years = (1968, 2003)
        return PersonSpec(
            name=self.name(female),
            resident_id=self.resident_id(mine.region_code, years, female),
            employee_no=employee_no,
            phone=self.phone(),
            job_title=title,
            post_category=category,
            operation_type=operation,
            unit=unit,
        )


def people_of(spec: TenantSpec) -> list[PersonSpec]:
    """Every person of a group, with a few suspended from post (下岗) and a few gone."""
    maker = PeopleMaker(SEED + sum(map(ord, spec.key)))
    people: list[PersonSpec] = []
    for sub in spec.subsidiaries:
        for mine in sub.mines:
            seq = 0
            places = [(mine.name, MINE_OFFICE[mine.mine_type])] + [
                (f"{mine.name}/{team}", posts) for team, posts in TEAMS[mine.mine_type]
            ]
            for unit, posts in places:
                for title, count in posts:
                    for _ in range(count):
                        seq += 1
                        people.append(
                            maker.person(
                                title=title,
                                unit=unit,
                                mine=mine,
                                employee_no=f"{spec.key.upper()}{mine.no:02d}{seq:03d}",
                            )
                        )
    # Whoever gets a worker login stays on post; managers and team heads stay too.
    reserved = {_login_person_index(people, login) for login in spec.logins if login.role == roles.WORKER}
    eligible = [
        i
        for i, p in enumerate(people)
        if i not in reserved
        and p.post_category in (PC.OTHER, PC.SPECIAL_OPERATION)
        and p.job_title not in ("队长", "班长")
    ]
    chosen = maker.rng.sample(eligible, 7)
    for n, index in enumerate(chosen[:4]):
        people[index].status = Person.Status.SUSPENDED
        people[index].status_reason = SUSPENSION_REASONS[n % len(SUSPENSION_REASONS)]
    for n, index in enumerate(chosen[4:]):
        people[index].status = Person.Status.LEFT
        people[index].status_reason = LEAVING_REASONS[n % len(LEAVING_REASONS)]
    return people


def _login_person_index(people: list[PersonSpec], login: LoginSpec) -> int:
    for index, person in enumerate(people):
        if person.unit == login.unit and person.job_title == login.job_title:
            return index
    raise LookupError(f"no {login.job_title} at {login.unit} for {login.username}")


# --- building -------------------------------------------------------------------------------------
@dataclass
class BuildReport:
    created: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    people: int = 0
    training: list[str] = field(default_factory=list)  # groups whose training demo was added
    grading: list[str] = field(default_factory=list)  # groups whose grading demo was added


def _licence_numbers(tenant: TenantSpec, mine: MineSpec, today: datetime.date) -> dict:
    coal = mine.mine_type.startswith("coal")
    year = mine.licence_year
    province = mine.region_code[:2]
    serial = 1000 + zlib.crc32(f"{tenant.key}-{mine.no}".encode()) % 9000

    def expiry(days: int | None, years: int) -> datetime.date:
        if days is not None:
            return today + datetime.timedelta(days=days)
        # Years away: the next anniversary of the issue date that is at least a year off.
        end = datetime.date(year + years, 6, 30)
        while end < today + datetime.timedelta(days=365):
            end = end.replace(year=end.year + years)
        return end

    safety_expires = expiry(mine.safety_expires_in, 3)
    return {
        "mining_licence_no": f"C{province}0000{year}07{11 if coal else 21}{serial:08d}",
        "mining_licence_expires": expiry(mine.mining_expires_in, 30 if coal else 20),
        # A safety production licence runs 3 years; its number carries the year it was (re)issued.
        "safety_licence_no": f"（{PROVINCE_ABBR[province]}）{'MK' if coal else 'FM'}安许证字"
        f"〔{safety_expires.year - 3}〕{serial:04d}",
        "safety_licence_expires": safety_expires,
        "business_licence_no": credit_code(mine.region_code, f"{province}{mine.no:02d}{serial % 10000:04d}"),
        "business_licence_expires": None,  # 长期 (no end date)
    }


def _build_tenant(spec: TenantSpec, today: datetime.date) -> int:
    tenant = services.tenant_create(name=spec.name, credit_code=spec.credit_code, hq_name=spec.hq_name)
    units: dict[str, OrgUnit] = {}
    with dangerously_platform_scope() as platform:
        hq = OrgUnit.objects.get(tenant=tenant, parent__isnull=True)
        units[""] = hq
        for sub_spec in spec.subsidiaries:
            sub = services.org_unit_create(
                scope=platform, parent=hq, kind=OrgUnit.Kind.SUBSIDIARY, name=sub_spec.name
            )
            for mine_spec in sub_spec.mines:
                profile = {
                    "mine_type": mine_spec.mine_type,
                    "region_code": mine_spec.region_code,
                    "production_status": mine_spec.status,
                    "rated_capacity": Decimal(mine_spec.capacity) if mine_spec.capacity else None,
                    "production_started_on": mine_spec.started,
                    **_licence_numbers(spec, mine_spec, today),
                }
                mine = services.org_unit_create(
                    scope=platform,
                    parent=sub,
                    kind=OrgUnit.Kind.MINE,
                    name=mine_spec.name,
                    mine_profile=profile,
                )
                units[mine_spec.name] = mine
                for team_name, _posts in TEAMS[mine_spec.mine_type]:
                    units[f"{mine_spec.name}/{team_name}"] = services.org_unit_create(
                        scope=platform, parent=mine, kind=OrgUnit.Kind.TEAM, name=team_name
                    )
        people = people_of(spec)
        created = []
        for person in people:
            created.append(
                services.person_create(
                    scope=platform,
                    org_unit=units[person.unit],
                    resident_id=person.resident_id,
                    name=person.name,
                    employee_no=person.employee_no,
                    phone=person.phone,
                    job_title=person.job_title,
                    post_category=person.post_category,
                    operation_type=person.operation_type,
                    status=person.status,
                    status_reason=person.status_reason,
                )
            )
        for login in spec.logins:
            if login.role == roles.WORKER:
                services.person_login_create(
                    scope=platform,
                    person=created[_login_person_index(people, login)],
                    username=login.username,
                    password=DEMO_PASSWORD,
                )
            else:
                services.tenant_user_create(
                    tenant=tenant,
                    username=login.username,
                    password=DEMO_PASSWORD,
                    role=login.role,
                    org_unit=units[login.unit],
                )
    return len(people)


def build_demo(*, log: Callable[[str], None] = lambda message: None) -> BuildReport:
    """Build whatever part of the demo is missing, all in one transaction."""
    report = BuildReport()
    today = timezone.localdate()
    with acting_as(ACTOR), transaction.atomic():
        for agency_spec in AGENCIES:
            if RegulatorAgency.objects.filter(name=agency_spec.name).exists():
                report.skipped.append(agency_spec.name)
                log(f"exists, skipped: {agency_spec.name}")
                continue
            agency = services.agency_create(
                name=agency_spec.name, level=agency_spec.level, region_prefix=agency_spec.region_prefix
            )
            services.agency_user_create(agency=agency, username=agency_spec.username, password=DEMO_PASSWORD)
            report.created.append(agency_spec.name)
            log(f"created: {agency_spec.name}")
        for spec in TENANTS:
            if Tenant.objects.filter(Q(credit_code=spec.credit_code) | Q(name=spec.name)).exists():
                report.skipped.append(spec.name)
                log(f"exists, skipped: {spec.name}")
                continue
            count = _build_tenant(spec, today)
            report.people += count
            report.created.append(spec.name)
            log(f"created: {spec.name} ({count} people)")
        # Training and exams (training.demo), then standardization grading (grading.demo): for
        # every demo group that has none yet, also one built by an earlier version of this command.
        from compliance import registry
        from compliance.grading.demo import seed_grading
        from compliance.training.demo import seed_training

        with dangerously_platform_scope() as platform:
            for spec in TENANTS:
                if seed_training(spec, scope=platform, today=today, log=log) is not None:
                    report.training.append(spec.name)
                if seed_grading(spec, scope=platform, today=today, log=log) is not None:
                    report.grading.append(spec.name)
                # Then what capabilities registered (compliance.registry), in their order.
                for builder in registry.demo_builders():
                    builder.build(spec, scope=platform, today=today, log=log)
    return report


# --- the logins -----------------------------------------------------------------------------------
def demo_logins() -> list[dict]:
    """Every demo login as {username, password, role, tenant, org_unit} (tenant None for regulators)."""
    rows = []
    for spec in TENANTS:
        for login in spec.logins:
            rows.append(
                {
                    "username": login.username,
                    "password": DEMO_PASSWORD,
                    "role": login.role,
                    "tenant": spec.name,
                    "org_unit": login.unit or spec.hq_name,
                }
            )
    for agency in AGENCIES:
        rows.append(
            {
                "username": agency.username,
                "password": DEMO_PASSWORD,
                "role": roles.REGULATOR,
                "tenant": None,
                "org_unit": agency.name,
            }
        )
    return rows


def existing_logins() -> tuple[list[dict], list[dict]]:
    """The demo logins split into those that exist (active) and those that do not."""
    rows = demo_logins()
    active = set(
        get_user_model()
        .objects.filter(username__in=[r["username"] for r in rows], is_active=True)
        .values_list("username", flat=True)
    )
    return [r for r in rows if r["username"] in active], [r for r in rows if r["username"] not in active]
