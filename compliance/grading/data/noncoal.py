"""Metal/non-metal mines: 金属非金属矿山安全标准化规范 (AQ/T 2050.1-2016 导则 with the 2050.2 地下矿山,
2050.3 露天矿山 and 2050.4 尾矿库 implementation guides), one standard per mine type.

What is real and what is representative:
- Real: the 14 elements of the guideline (安全生产方针与目标 … 绩效测量与评价), the 4,000-point total
  converted to a percentage with not-applicable items (缺项) taken out of the denominator, the
  levels 一级 ≥ 90, 二级 ≥ 75, 三级 ≥ 60, no fatal accident in the evaluation year, evaluation at
  least every 3 years (DOMAIN.md).
- Representative, not complete: how the 4,000 points are spread over the elements and the items
  (3–8 per element, real-sounding titles and deduction guidance after the published guides, not
  their full text). Element 6 (生产工艺系统安全管理) differs per mine type; the other elements share
  their items. The effective date 2017-03-01 is our reading of the 2016 edition's date, to verify.
"""

from __future__ import annotations

import copy

FATAL_EVERY_CLASS = {"general": 1, "large": 1, "major": 1, "grave": 1}
LEVEL_SOURCE = "AQ/T 2050.1-2016（一级≥90、二级≥75、三级≥60，评审年度内无死亡事故）"
LEVEL_RULES = [
    {"level": level, "min_total": minimum, "fatal_lookback_years": FATAL_EVERY_CLASS,
     "source": LEVEL_SOURCE, "verified": True}
    for level, minimum in ((1, 90), (2, 75), (3, 60))
]  # fmt: skip
RECHECK_SOURCE = "AQ/T 2050.1-2016（至少每3年评审一次）"
# No text found for what a fatal accident does to a standing non-coal grade: the figures are the
# platform's earlier defaults, unverified, so they only warn.
ACCIDENT_SOURCE = "AQ/T 2050.1-2016（非煤矿山事故后等级处理，未找到原文，待核实）"
ACCIDENT_RULES = [
    {"level": 1, "accident_class": "general", "to_level": 3},
    {"level": 1, "accident_class": "large", "to_level": None},
    {"level": 2, "accident_class": "general", "to_level": 3},
    {"level": 2, "accident_class": "large", "to_level": None},
    {"level": 3, "accident_class": "general", "to_level": None},
]
for _rule in ACCIDENT_RULES:
    _rule.update(source=ACCIDENT_SOURCE, verified=False)


def _element(no: int, code: str, name: str, items: list) -> dict:
    return {"code": code, "no": str(no), "name": name, "weight": "1", "items": items}


COMMON_BEFORE = [
    _element(
        1,
        "policy",
        "安全生产方针与目标",
        [
            ("制定安全生产方针并以文件形式发布", 30, "未制定不得分；未发布扣10分"),
            ("制定中长期和年度安全生产目标，目标量化", 40, "未制定不得分；未量化扣10分"),
            ("目标分解到各部门和班组并定期考核", 30, "未分解扣10分；未考核扣10分"),
        ],
    ),
    _element(
        2,
        "laws",
        "安全生产法律法规与其他要求",
        [
            ("建立识别和获取适用法律法规、标准的制度", 40, "未建立不得分；清单不全扣2分/项"),
            ("每年至少1次评审法律法规的适用性并及时更新", 30, "未评审扣10分"),
            ("将法律法规要求转化为本单位规章制度", 30, "未转化扣5分/项"),
        ],
    ),
    _element(
        3,
        "organization",
        "安全生产组织保障",
        [
            ("设置安全生产管理机构", 60, "未设置不得分"),
            ("按规定配备专职安全生产管理人员和注册安全工程师", 60, "不足扣10分/人"),
            ("主要负责人和安全生产管理人员考核合格", 60, "1人未考核合格扣10分"),
            ("建立全员安全生产责任制", 60, "未建立安全生产责任制的，本项否决", True),
            ("建立健全安全生产规章制度和操作规程", 60, "缺1项扣5分"),
        ],
    ),
    _element(
        4,
        "risk",
        "危险源辨识与风险评价",
        [
            ("制定危险源辨识和风险评价程序", 60, "未制定不得分"),
            ("全面辨识危险源并评价风险", 60, "辨识不全扣5分/处"),
            ("风险分级管控措施落实到岗位", 60, "不落实扣5分/项"),
            ("重大危险源登记建档、监控并报告", 60, "未登记建档不得分"),
            ("工艺、设备和人员变更时开展变更风险管理", 60, "未开展扣10分/次"),
        ],
    ),
    _element(
        5,
        "training",
        "安全教育与培训",
        [
            ("制定年度安全教育培训计划并实施", 50, "未制定扣20分"),
            ("主要负责人和安全生产管理人员按规定参加培训", 50, "1人不符合扣10分"),
            ("新工人三级安全教育，地下矿山不少于72学时", 50, "1人不符合扣5分"),
            ("特种作业人员持证上岗", 50, "1人无证扣10分"),
            ("建立安全教育培训档案", 50, "档案不全扣5分/人"),
        ],
    ),
]

EQUIPMENT = _element(
    7,
    "equipment",
    "设备设施安全管理",
    [
        ("建立设备设施台账和技术档案", 80, "缺1台扣5分"),
        ("特种设备和安全设备按期检测检验", 80, "1台未检扣10分"),
        ("设备检修维护和完好率管理", 80, "完好率不达标扣20分"),
        ("安全设施与主体工程同时设计、同时施工、同时投入使用", 80, "不符合不得分"),
        ("不使用国家明令淘汰的危及生产安全的设备和工艺", 80, "使用国家明令淘汰设备的，本项否决", True),
    ],
)

SITE = _element(
    8,
    "site",
    "作业现场安全管理",
    [
        ("作业规程编制、审批和交底", 90, "缺1项扣10分"),
        ("动火、高处、有限空间等危险作业审批", 90, "1次未审批扣10分"),
        ("作业现场安全警示标志齐全", 90, "缺1处扣5分"),
        ("劳动防护用品按标准发放并正确佩戴", 90, "1人不符合扣5分"),
        ("外包工程统一管理，签订安全协议", 90, "未签订安全协议扣20分/单位"),
    ],
)

COMMON_AFTER = [
    _element(
        9,
        "health",
        "职业卫生管理",
        [
            ("定期检测作业场所职业病危害因素", 60, "未检测不得分"),
            ("组织从业人员职业健康检查", 60, "1人未检查扣5分"),
            ("配备符合标准的个体防护用品", 50, "不符合扣5分/处"),
            ("职业病危害告知和公告", 40, "未告知扣10分"),
            ("建立职业卫生档案和健康监护档案", 40, "缺1项扣5分"),
        ],
    ),
    _element(
        10,
        "investment",
        "安全投入、安全科技与工伤保险",
        [
            ("按规定提取安全生产费用", 60, "未提取不得分；提取不足扣20分"),
            ("建立安全生产费用使用台账，专款专用", 40, "未建立台账扣20分"),
            ("推广应用安全新技术、新工艺和新装备", 40, "未推广扣10分"),
            ("依法参加工伤保险并为从业人员缴纳保险费", 60, "1人未缴纳扣5分"),
        ],
    ),
    _element(
        11,
        "inspection",
        "检查",
        [
            ("建立安全检查制度", 50, "未建立不得分"),
            ("定期开展综合检查，主要负责人每月至少带队1次", 50, "缺1次扣10分"),
            ("开展季节性、节假日和专项检查", 50, "缺1次扣5分"),
            ("检查发现的隐患闭环整改", 50, "未闭环扣5分/项"),
            ("不存在未整改的重大事故隐患", 50, "存在未整改重大事故隐患的，本项否决", True),
        ],
    ),
    _element(
        12,
        "emergency",
        "应急管理",
        [
            ("编制生产安全事故应急预案并评审、备案", 60, "未编制不得分；未备案扣10分"),
            ("建立应急救援队伍或与专业救护队签订协议", 60, "未建立且未签订协议不得分"),
            ("配备应急物资和装备并定期检查", 60, "缺1项扣5分"),
            ("每年至少组织1次综合应急演练并评估", 60, "未演练扣20分"),
            ("应急通讯和报警系统可靠", 60, "不可靠扣20分"),
        ],
    ),
    _element(
        13,
        "accidents",
        "事故、事件调查与分析",
        [
            ("建立事故报告制度，按规定及时报告事故", 50, "迟报、漏报不得分"),
            ("按“四不放过”原则调查处理事故和事件", 50, "1起不符合扣10分"),
            ("事故、事件统计分析并制定预防措施", 50, "未分析扣10分"),
        ],
    ),
    _element(
        14,
        "performance",
        "绩效测量与评价",
        [
            ("每年至少开展1次安全标准化系统自评", 50, "未自评不得分"),
            ("形成自评报告并报告主要负责人", 50, "未形成报告扣20分"),
            ("根据评价结果制定并落实改进措施", 50, "未落实扣10分/项"),
        ],
    ),
]

PROCESS_UNDERGROUND = _element(
    6,
    "process",
    "生产工艺系统安全管理",
    [
        ("提升系统：提升机安全保护装置齐全，钢丝绳按期检验", 100, "保护装置缺1项扣10分；未检验扣20分"),
        ("通风系统：机械通风，风量、风速和风质符合规定", 100, "未实行机械通风的，本项否决", True),
        ("排水系统：主排水泵工作、备用、检修能力满足要求", 100, "排水能力不足不得分"),
        ("供配电系统：双回路供电，井下保护接地可靠", 100, "不符合扣20分/处"),
        ("采矿方法和地压管理：按设计采矿，开展地压监测", 100, "未按设计开采扣30分"),
        ("爆破作业：爆破设计、警戒和盲炮处理符合规定", 100, "1次不符合扣10分"),
        ("井下运输：有轨和无轨运输安全设施齐全", 100, "缺1处扣10分"),
        ("安全避险“六大系统”建设完善并正常运行", 100, "缺1个系统扣20分"),
    ],
)

PROCESS_OPEN_PIT = _element(
    6,
    "process",
    "生产工艺系统安全管理",
    [
        ("台阶高度、坡面角和安全平台宽度符合设计", 100, "1处不符合扣10分"),
        ("边坡稳定性评价和监测，高陡边坡在线监测", 150, "未开展边坡监测的扣50分"),
        ("爆破作业：爆破安全距离、警戒和盲炮处理符合规定", 150, "1次不符合扣20分"),
        ("采装作业：挖掘机作业参数和安全距离符合规定", 100, "1处不符合扣10分"),
        ("运输道路宽度、坡度和安全挡墙符合设计", 100, "1处不符合扣10分"),
        ("排土场按设计堆排，设置安全车挡", 100, "未按设计排土扣30分"),
        ("防排水系统完善，雨季防洪措施落实", 100, "不符合扣20分/项"),
    ],
)

PROCESS_TAILINGS = _element(
    6,
    "process",
    "生产工艺系统安全管理",
    [
        ("坝体：按设计筑坝，坝坡、坝高和外坡比符合设计", 150, "超设计坝高或超设计库容运行的，本项否决", True),
        ("排洪：排洪设施完好，调洪能力满足设计防洪标准", 150, "排洪能力不足不得分"),
        ("浸润线埋深满足设计和稳定性要求", 100, "不满足扣50分"),
        ("干滩长度和安全超高满足设计", 100, "不满足扣50分"),
        ("安全监测：坝体位移、浸润线和库水位在线监测", 150, "未建立在线监测不得分"),
        ("库区巡查：汛期每日巡坝并记录", 50, "缺1次扣5分"),
        ("闭库、回采和尾矿综合利用按设计实施", 100, "未按设计实施扣30分"),
    ],
)


def _standard(code: str, name: str, mine_type: str, document_no: str, process: dict, notes: str) -> dict:
    elements = copy.deepcopy([*COMMON_BEFORE, process, EQUIPMENT, SITE, *COMMON_AFTER])
    return {
        "code": code,
        "name": name,
        "method": "percentage",
        "mine_types": [mine_type],
        "versions": [
            {
                "label": "2016",
                "document_no": document_no,
                "effective_from": "2017-03-01",
                "effective_to": None,
                "preconditions": ["licences_valid"],
                "recheck_months": 36,
                "source": RECHECK_SOURCE,
                "verified": True,
                "notes": notes,
                "parts": elements,
                "level_rules": copy.deepcopy(LEVEL_RULES),
                "accident_rules": copy.deepcopy(ACCIDENT_RULES),
            }
        ],
    }


_NOTES = (
    "14个要素，满分4000分，按“实得分÷(4000−缺项分)×100”折算为百分制；一级≥90，二级≥75，三级≥60，"
    "且评审年度内未发生生产安全死亡事故；至少每3年评审一次。要素分值分配和条目为代表性内容，"
    "不是评分表全文；实施日期2017-03-01待核实。"
)

METAL_UNDERGROUND = _standard(
    "metal-underground",
    "金属非金属矿山安全标准化规范（地下矿山）",
    "metal_underground",
    "AQ/T 2050.1-2016、AQ/T 2050.2-2016",
    PROCESS_UNDERGROUND,
    _NOTES,
)
METAL_OPEN_PIT = _standard(
    "metal-open-pit",
    "金属非金属矿山安全标准化规范（露天矿山）",
    "metal_open_pit",
    "AQ/T 2050.1-2016、AQ/T 2050.3-2016",
    PROCESS_OPEN_PIT,
    _NOTES,
)
TAILINGS_POND = _standard(
    "tailings-pond",
    "金属非金属矿山安全标准化规范（尾矿库）",
    "tailings_pond",
    "AQ/T 2050.1-2016、AQ/T 2050.4-2016",
    PROCESS_TAILINGS,
    _NOTES,
)
