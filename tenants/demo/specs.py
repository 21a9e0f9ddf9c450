"""The demo world's data: the two groups, their subsidiaries, mines, teams and logins, the
regulators, and the credit codes that make their records look real."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from stdnum.cn import uscc

from compliance.audit.context import ActorContext
from tenants import roles
from tenants.models import MineProfile, Person, RegulatorAgency

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
    "液压支架工": (PC.OTHER, ""),  # a mine post, not a special operation (令第30号 目录)
    "掘进机司机": (PC.SPECIAL_OPERATION, OP.SHEARER),  # 5.7 采煤机(掘进机)操作
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
    # Days before the build date the status began (None: not recorded).
    status_since_days: int | None = None
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
    # Staff logins: the name printed on reports and sign-offs (never the login name).
    full_name: str = ""


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


# The staff behind each group's admin, auditor, manager and team-leader logins, by login key.
STAFF_NAMES = {
    "qn": ("王建国", "刘志强", "陈立新", "赵永明"),
    "jt": ("郭振华", "李文斌", "张海涛", "王成刚"),
}


def _logins(key: str, mine: str, team: str, worker1: tuple[str, str], worker2: tuple[str, str]):
    admin, auditor, manager, leader = STAFF_NAMES[key]
    return (
        LoginSpec(f"{key}-admin", roles.TENANT_ADMIN, "", full_name=admin),
        LoginSpec(f"{key}-auditor", roles.HQ_AUDITOR, "", full_name=auditor),
        LoginSpec(f"{key}-manager", roles.SAFETY_MANAGER, mine, full_name=manager),
        LoginSpec(f"{key}-leader", roles.TEAM_LEADER, f"{mine}/{team}", full_name=leader),
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
                        # Its grade lapsed (compliance/grading/demo.py): a coal mine without a
                        # valid grade may not produce, so it is stopped for rectification since.
                        status=PS.SUSPENDED,
                        status_since_days=150,
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
