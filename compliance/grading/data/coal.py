"""Coal: 煤矿安全生产标准化管理体系 (underground and open-pit), versions 2020 and 2024.

What is real and what is representative:
- Real: the issuing documents (煤安监行管〔2020〕16号, in force from 2020-07-01; 矿安〔2024〕109号),
  the elements of the system (理念目标和矿长安全承诺, 组织机构, 安全生产责任制及安全管理制度, 从业人员素质,
  安全风险分级管控, 事故隐患排查治理, 持续改进 and the quality-control specialities), the level
  rules of DOMAIN.md (一级 total ≥ 90 with 重大灾害防治 ≥ 90, 专业管理 ≥ 90, 安全基础管理 ≥ 85; no fatal
  accident within 1/2/2/3 years by class; no failed check or downgrade within a year; 二级 and 三级
  with the total and each of the three management parts ≥ 80 / 70, 定级办法 Art. 4) and the
  preconditions (licences, five manager posts staffed).
- Representative, not complete: the grouping into three sections (安全基础管理, 重大灾害防治, 专业管理)
  follows the brief's reading of the system; the items are a representative subset (3–8 per
  element or speciality, each element scored out of 100) written after the published scoring
  tables, not their full text; the weights are NOT confirmed (DOMAIN.md) — plausible figures kept
  as editable data. The 2024 version's effective date (2025-01-01, the 2020 version ending
  2024-12-31) and its 12-month periodic re-check are our reading, to be verified against the
  document; its items repeat the 2020 ones until the full 2024 text is imported from Excel.
"""

from __future__ import annotations

import copy

PRECONDITIONS = ["licences_valid", "five_posts_staffed"]
FATAL_LEVEL_1 = {"general": 1, "large": 2, "major": 2, "grave": 3}

# The three management parts of the system; 定级办法 Art. 4 sets the 二级/三级 minimums on them
# ("考核总得分及各管理部分得分均不低于80/70分"), not on each element or speciality.
MANAGEMENT_PARTS = ("basics", "disaster", "professional")
ART_4 = "考核定级办法 第四条"


def level_rules(document_no: str) -> list[dict]:
    source = f"{document_no} {ART_4}"
    return [
        {
            "level": 1,
            "min_total": 90,
            "part_minimums": {"disaster": 90, "professional": 90, "basics": 85},
            "fatal_lookback_years": FATAL_LEVEL_1,
            "clean_history_days": 365,
            "source": source,
            "verified": True,
        },
        {
            "level": 2,
            "min_total": 80,
            "part_minimums": dict.fromkeys(MANAGEMENT_PARTS, 80),
            "source": source,
            "verified": True,
        },
        {
            "level": 3,
            "min_total": 70,
            "part_minimums": dict.fromkeys(MANAGEMENT_PARTS, 70),
            "source": source,
            "verified": True,
        },
    ]


LEVEL_RULES = level_rules("煤安监行管〔2020〕16号")

# What a fatal accident does to a valid grade (issue 14, point 3; DOMAIN.md). ``to_level`` None:
# revoked. A row covers its class and worse unless a worse class has its own row.
NOTICE_2022 = "国家矿山安全监察局通知（2022-11-10）"


def accident_rules(document_no: str) -> list[dict]:
    return [
        {"level": 1, "accident_class": "general", "to_level": 3, "verified": True,
         "source": f"{NOTICE_2022}：一级煤矿发生一般死亡事故降为三级"},
        {"level": 1, "accident_class": "large", "to_level": None, "verified": True,
         "source": f"{NOTICE_2022}：发生较大及以上事故撤销等级"},
        # Not found in the text: "一级、二级发生一般事故后分别降为( )级、( )级" (2024) is unread.
        {"level": 2, "accident_class": "general", "to_level": 3, "verified": False,
         "source": f"{document_no} 考核定级办法（二级煤矿发生一般死亡事故后的等级，未找到原文，待核实）"},
        {"level": 2, "accident_class": "large", "to_level": None, "verified": True,
         "source": f"{NOTICE_2022}：发生较大及以上事故撤销等级"},
        {"level": 3, "accident_class": "general", "to_level": None, "verified": True,
         "source": f"{NOTICE_2022}：三级煤矿发生一般及以上死亡事故撤销等级"},
    ]  # fmt: skip


BASICS = {
    "code": "basics",
    "name": "安全基础管理",
    "weight": "0.30",
    "parts": [
        {
            "code": "commitment",
            "no": "1.1",
            "name": "理念目标和矿长安全承诺",
            "weight": "0.10",
            "items": [
                (
                    "安全理念：确立安全生产理念并在全矿宣贯",
                    30,
                    "未确立安全理念扣10分；未宣贯或员工不知晓扣5分",
                ),
                (
                    "安全生产目标：制定年度安全生产目标并分解到科室、区队",
                    30,
                    "未制定目标扣15分；未分解扣5分/处",
                ),
                (
                    "矿长安全承诺：矿长每年向全体员工作出书面安全承诺并公开",
                    40,
                    "矿长未作出书面安全承诺的，本项否决",
                    True,
                ),
            ],
        },
        {
            "code": "organization",
            "no": "1.2",
            "name": "组织机构",
            "weight": "0.10",
            "items": [
                (
                    "设置安全生产管理机构，配备满足需要的专职安全管理人员",
                    30,
                    "未设置机构不得分；人员不足扣5分/人",
                ),
                (
                    "矿长、总工程师和安全、生产、机电副矿长配备齐全并具备任职资格",
                    40,
                    "缺1人扣10分；任职资格不符扣5分/人",
                ),
                ("区队、班组配备专业技术人员和班组长", 30, "缺1人扣2分"),
            ],
        },
        {
            "code": "responsibility",
            "no": "1.3",
            "name": "安全生产责任制及安全管理制度",
            "weight": "0.15",
            "items": [
                (
                    "建立健全全员安全生产责任制，覆盖所有部门和岗位",
                    25,
                    "未建立全员安全生产责任制的，本项否决",
                    True,
                ),
                (
                    "建立安全办公会议、安全投入保障、安全技术措施审批、事故隐患排查治理等安全管理制度",
                    30,
                    "缺1项制度扣3分",
                ),
                ("编制作业规程和操作规程并定期复审", 25, "缺1项扣2分；未复审扣2分/项"),
                ("安全生产责任制按月考核兑现", 20, "未考核扣5分/月"),
            ],
        },
        {
            "code": "personnel",
            "no": "1.4",
            "name": "从业人员素质",
            "weight": "0.15",
            "items": [
                ("主要负责人和安全生产管理人员经安全生产知识和管理能力考核合格", 25, "1人未考核合格扣5分"),
                ("特种作业人员经培训考核合格，持证上岗", 25, "1人无证上岗扣5分"),
                ("新上岗从业人员培训不少于72学时，井下新工人实习满4个月方可独立上岗", 20, "1人不符合扣2分"),
                ("从业人员每年再培训不少于20学时", 15, "1人不符合扣1分"),
                ("班组长经专门培训考核合格", 15, "1人不符合扣2分"),
            ],
        },
        {
            "code": "risk",
            "no": "1.5",
            "name": "安全风险分级管控",
            "weight": "0.20",
            "items": [
                (
                    "矿长每年组织开展年度安全风险辨识评估，形成评估报告",
                    30,
                    "未开展不得分；报告内容不全扣5分/处",
                ),
                ("新水平、新采区、新工作面设计前及生产系统、工艺变化时开展专项辨识评估", 25, "缺1次扣5分"),
                ("重大安全风险管控措施经矿长审批并落实", 25, "未落实1项扣5分"),
                ("矿长每月、分管负责人每旬检查重大安全风险管控措施落实情况", 20, "缺1次扣2分"),
            ],
        },
        {
            "code": "hazard",
            "no": "1.6",
            "name": "事故隐患排查治理",
            "weight": "0.20",
            "items": [
                (
                    "矿长每月组织一次覆盖生产各系统和岗位的事故隐患排查",
                    25,
                    "未开展不得分；排查不全扣5分/系统",
                ),
                ("事故隐患分级登记，治理落实责任、措施、资金、时限和预案", 25, "缺1项扣3分"),
                (
                    "重大事故隐患停产整改、制定治理方案并报告",
                    20,
                    "存在重大事故隐患仍组织生产的，本项否决",
                    True,
                ),
                ("隐患治理完成后验收销号", 15, "未验收销号扣2分/项"),
                ("建立事故隐患排查治理信息系统并实时更新", 15, "未建立扣10分；未及时更新扣2分/次"),
            ],
        },
        {
            "code": "improvement",
            "no": "1.7",
            "name": "持续改进",
            "weight": "0.10",
            "items": [
                ("每年至少开展1次安全生产标准化管理体系运行情况全面评估", 40, "未开展不得分"),
                ("针对评估发现的问题制定改进措施并落实", 30, "未落实1项扣5分"),
                ("每季度至少开展1次安全生产标准化自评", 30, "缺1次扣10分"),
            ],
        },
    ],
}

DISASTER = {
    "code": "disaster",
    "name": "重大灾害防治",
    "weight": "0.35",
    "parts": [
        {
            "code": "ventilation",
            "no": "2.1",
            "name": "通风（含瓦斯、防灭火、粉尘防治）",
            "weight": "0.40",
            "items": [
                (
                    "矿井通风系统完善可靠，每年至少进行1次通风阻力测定",
                    20,
                    "通风系统不合理扣10分；未测定扣10分",
                ),
                ("主要通风机双回路供电，备用通风机能在10min内启动", 15, "不符合不得分"),
                ("局部通风机实现“三专两闭锁”，无循环风", 15, "1处不符合扣5分"),
                ("按规定检查瓦斯，无空班漏检、假检", 10, "发现1次扣5分"),
                ("无瓦斯超限作业", 10, "存在瓦斯超限作业的，本项否决", True),
                ("安全监控系统传感器设置、报警和断电符合规定", 10, "1处不符合扣2分"),
                ("开采容易自燃和自燃煤层的矿井建立防灭火系统", 10, "未建立不得分；措施不落实扣3分/处"),
                ("综合防尘措施落实", 10, "1处不符合扣2分"),
            ],
        },
        {
            "code": "geology",
            "no": "2.2",
            "name": "地质灾害防治与测量",
            "weight": "0.20",
            "items": [
                ("按规定编制矿井地质报告、采区和工作面地质说明书", 25, "缺1项扣5分"),
                ("水文地质图、瓦斯地质图等图件齐全并及时填绘", 20, "缺1种扣5分；未及时填绘扣2分/种"),
                ("测量控制系统完善，贯通测量符合《煤矿测量规程》", 20, "不符合扣10分"),
                ("采掘工程平面图每月填绘", 20, "不及时扣5分"),
                ("采掘工作面地质预测预报及时准确", 15, "缺1次扣3分"),
            ],
        },
        {
            "code": "water",
            "no": "2.3",
            "name": "防治水",
            "weight": "0.25",
            "items": [
                ("划分矿井水文地质类型并按规定修订", 20, "未划分不得分；未按期修订扣10分"),
                (
                    "坚持“预测预报、有疑必探、先探后掘、先治后采”",
                    25,
                    "应探放水而未探放水即作业的，本项否决",
                    True,
                ),
                ("工作水泵能力能在20h内排出矿井24h正常涌水量", 25, "不符合不得分"),
                ("防隔水煤（岩）柱留设符合规定", 15, "不符合扣10分"),
                ("水害预测预报和雨季“三防”措施落实", 15, "缺1项扣5分"),
            ],
        },
        {
            "code": "rockburst",
            "no": "2.4",
            "name": "冲击地压防治",
            "weight": "0.15",
            "items": [
                ("开展煤岩冲击倾向性鉴定和冲击危险性评价（不涉及的矿井作缺项）", 30, "未鉴定不得分"),
                ("冲击地压监测预警系统运行正常", 30, "运行不正常扣10分"),
                ("卸压解危措施落实并检验效果", 25, "缺1次扣5分"),
                ("防冲培训和冲击危险区域限员管理", 15, "1处不符合扣3分"),
            ],
        },
    ],
}

PROFESSIONAL = {
    "code": "professional",
    "name": "专业管理",
    "weight": "0.35",
    "parts": [
        {
            "code": "mining",
            "no": "3.1",
            "name": "采煤",
            "weight": "0.20",
            "items": [
                (
                    "采用正规采煤方法，不使用国家明令禁止的采煤方法和工艺",
                    20,
                    "使用国家明令禁止的采煤方法的，本项否决",
                    True,
                ),
                ("工作面支架初撑力和支护质量符合作业规程", 25, "1处不符合扣2分"),
                ("工作面两端头及超前支护符合规定", 20, "不符合扣3分/处"),
                ("采煤机、刮板输送机等设备完好", 20, "不完好扣2分/台"),
                ("工作面文明生产，管线吊挂整齐", 15, "不符合扣1分/处"),
            ],
        },
        {
            "code": "tunnelling",
            "no": "3.2",
            "name": "掘进",
            "weight": "0.20",
            "items": [
                ("锚杆（索）锚固力和间排距符合设计", 30, "1处不合格扣2分"),
                ("无空顶作业", 20, "发现1次扣10分"),
                ("执行临时支护和敲帮问顶制度", 20, "不执行扣5分/次"),
                ("掘进机械设备完好", 15, "1台不完好扣2分"),
                ("每月进行巷道工程质量验收", 15, "未验收扣5分"),
            ],
        },
        {
            "code": "electromechanical",
            "no": "3.3",
            "name": "机电",
            "weight": "0.20",
            "items": [
                ("提升机保险闸每日试验，防过卷、防过速装置可靠", 20, "不符合扣5分/项"),
                ("矿井具有双回路电源供电", 20, "矿井无双回路供电的，本项否决", True),
                ("井下电气设备防爆性能完好", 20, "失爆1台扣5分"),
                ("漏电、过流和接地保护齐全可靠", 20, "缺1处扣3分"),
                ("设备检修维护台账齐全", 20, "缺1项扣2分"),
            ],
        },
        {
            "code": "transport",
            "no": "3.4",
            "name": "运输",
            "weight": "0.15",
            "items": [
                ("斜巷运输“一坡三挡”齐全有效", 25, "缺1处扣5分"),
                ("带式输送机各种保护齐全可靠", 25, "缺1种保护扣3分"),
                ("无极绳绞车、单轨吊、无轨胶轮车等辅助运输设备完好", 20, "不完好扣2分/台"),
                ("运输线路和轨道质量符合标准", 15, "不符合扣1分/处"),
                ("人员运输乘人装置安全设施齐全", 15, "不符合扣5分"),
            ],
        },
        {
            "code": "dispatch",
            "no": "3.5",
            "name": "调度和应急管理",
            "weight": "0.15",
            "items": [
                ("调度室24h值班，矿领导带班下井和跟班制度落实", 25, "缺1次扣5分"),
                ("人员位置监测系统运行正常，入井人员携带识别卡", 20, "1人未携带扣2分"),
                ("编制应急救援预案，每年至少组织1次应急演练", 25, "未演练扣10分；预案未评审扣5分"),
                ("与矿山救护队签订救护协议", 15, "未签订不得分"),
                ("自救器和紧急避险设施符合规定", 15, "1人无自救器扣2分"),
            ],
        },
        {
            "code": "health",
            "no": "3.6",
            "name": "职业病危害防治和地面设施",
            "weight": "0.10",
            "items": [
                ("开展职业病危害因素检测与评价", 25, "未检测不得分"),
                ("从业人员上岗前、在岗期间和离岗时职业健康检查", 25, "1人未检查扣2分"),
                ("发放防尘、防噪声等个体防护用品并督促佩戴", 20, "不符合扣2分/处"),
                ("职业病危害告知和警示标识齐全", 15, "缺1处扣2分"),
                ("办公楼、井口浴室、矿灯房等地面设施符合要求", 15, "不符合扣1分/处"),
            ],
        },
    ],
}

OPEN_PIT_DISASTER = {
    "code": "disaster",
    "name": "重大灾害防治",
    "weight": "0.35",
    "parts": [
        {
            "code": "slope",
            "no": "2.1",
            "name": "边坡",
            "weight": "0.50",
            "items": [
                ("编制边坡稳定性分析评价报告并按期修订", 30, "未编制不得分"),
                ("边坡监测系统运行正常，变形超限及时预警", 30, "监测不正常扣10分"),
                ("台阶高度、坡面角和平台宽度符合设计", 25, "1处不符合扣3分"),
                ("边坡存在滑坡征兆仍继续作业", 15, "发现滑坡征兆未撤人仍作业的，本项否决", True),
            ],
        },
        {
            "code": "water",
            "no": "2.2",
            "name": "防治水",
            "weight": "0.30",
            "items": [
                ("建立地面防排水系统，采场排水能力满足要求", 40, "不满足不得分"),
                ("雨季“三防”措施和防洪预案落实", 30, "缺1项扣5分"),
                ("疏干排水工程按设计实施", 30, "不符合扣5分/处"),
            ],
        },
        {
            "code": "fire",
            "no": "2.3",
            "name": "防灭火",
            "weight": "0.20",
            "items": [
                ("自燃煤层采场和排土场防灭火措施落实", 50, "不落实扣10分/处"),
                ("火区管理和温度监测记录齐全", 50, "缺记录扣5分/次"),
            ],
        },
    ],
}

OPEN_PIT_PROFESSIONAL = {
    "code": "professional",
    "name": "专业管理",
    "weight": "0.35",
    "parts": [
        {
            "code": "drilling",
            "no": "3.1",
            "name": "钻孔",
            "weight": "0.10",
            "items": [
                ("钻孔设计和验收记录齐全", 50, "缺1项扣5分"),
                ("钻机作业距坡顶线的安全距离符合规定", 50, "1次不符合扣10分"),
            ],
        },
        {
            "code": "blasting",
            "no": "3.2",
            "name": "爆破",
            "weight": "0.15",
            "items": [
                ("爆破设计、警戒和信号符合《爆破安全规程》", 40, "1次不符合扣10分"),
                ("爆破器材领退和储存管理", 30, "账物不符扣10分"),
                ("盲炮处理符合规定", 30, "1次不符合扣10分"),
            ],
        },
        {
            "code": "loading",
            "no": "3.3",
            "name": "采装",
            "weight": "0.15",
            "items": [
                ("采装工作面参数符合设计", 50, "1处不符合扣3分"),
                ("挖掘机等采装设备完好，安全装置齐全", 50, "不完好扣5分/台"),
            ],
        },
        {
            "code": "haulage",
            "no": "3.4",
            "name": "运输",
            "weight": "0.15",
            "items": [
                ("运输道路宽度、坡度和安全挡墙符合设计", 40, "1处不符合扣5分"),
                ("矿用卡车制动、转向和照明完好", 40, "1台不完好扣5分"),
                ("道路交通标志和限速管理", 20, "缺1处扣2分"),
            ],
        },
        {
            "code": "dumping",
            "no": "3.5",
            "name": "排土",
            "weight": "0.15",
            "items": [
                ("排土场设计和稳定性评价", 40, "未评价不得分"),
                ("排土工作面安全车挡和卸载平台符合规定", 30, "1处不符合扣5分"),
                ("排土场变形监测", 30, "未监测扣10分"),
            ],
        },
        {
            "code": "electromechanical",
            "no": "3.6",
            "name": "机电",
            "weight": "0.10",
            "items": [
                ("供配电系统和防雷接地符合规定", 50, "1处不符合扣5分"),
                ("设备检修维护台账齐全", 50, "缺1项扣2分"),
            ],
        },
        {
            "code": "dispatch",
            "no": "3.7",
            "name": "调度和应急管理",
            "weight": "0.10",
            "items": [
                ("调度室24h值班，领导带班制度落实", 50, "缺1次扣5分"),
                ("编制应急救援预案并每年组织演练", 50, "未演练扣10分"),
            ],
        },
        {
            "code": "health",
            "no": "3.8",
            "name": "职业病危害防治和地面设施",
            "weight": "0.10",
            "items": [
                ("开展粉尘、噪声等职业病危害因素检测", 50, "未检测不得分"),
                ("从业人员职业健康检查", 50, "1人未检查扣2分"),
            ],
        },
    ],
}


def _version(label, document_no, effective_from, effective_to, recheck, notes, parts):
    months, recheck_source, recheck_verified = recheck
    return {
        "label": label,
        "document_no": document_no,
        "effective_from": effective_from,
        "effective_to": effective_to,
        "preconditions": list(PRECONDITIONS),
        "recheck_months": months,
        "source": recheck_source,
        "verified": recheck_verified,
        "notes": notes,
        "parts": copy.deepcopy(parts),
        "level_rules": level_rules(document_no),
        "accident_rules": accident_rules(document_no),
    }


# The re-check interval of each edition: (months, source, verified). 2020: grades valid 3 years;
# 2024: "每( )年进行一次复查复核" — the figure is not read from the text (issue 14, point 2).
RECHECK_2020 = (36, "煤安监行管〔2020〕16号 考核定级办法（等级有效期3年）", True)
RECHECK_2024 = (12, "矿安〔2024〕109号 考核定级办法（“每( )年进行一次复查复核”，周期未核实）", False)


NOTES_2020 = (
    "煤安监行管〔2020〕16号，2020年7月1日起施行。总分为安全基础管理、重大灾害防治、专业管理三部分的加权平均，"
    "各部分内按要素（专业）加权；权重为平台设定的参考值，文件未确认，可按实际调整。"
    "条目为代表性条目，不是评分表全文。等级有效期3年。"
)
NOTES_2024 = (
    "矿安〔2024〕109号。施行日期按2025年1月1日设定（待与文件核实）。以定期复查代替3年有效期，复查周期按12个月设定（待核实）。"
    "条目暂沿用2020版代表性条目，完整评分表可由平台运营方以Excel导入。权重为参考值，文件未确认。"
)

_UNDERGROUND = [BASICS, DISASTER, PROFESSIONAL]
_OPEN_PIT = [BASICS, OPEN_PIT_DISASTER, OPEN_PIT_PROFESSIONAL]

COAL_UNDERGROUND = {
    "code": "coal",
    "name": "煤矿安全生产标准化管理体系（井工煤矿）",
    "method": "weighted_parts",
    "mine_types": ["coal_underground"],
    "versions": [
        _version(
            "2020",
            "煤安监行管〔2020〕16号",
            "2020-07-01",
            "2024-12-31",
            RECHECK_2020,
            NOTES_2020,
            _UNDERGROUND,
        ),
        _version("2024", "矿安〔2024〕109号", "2025-01-01", None, RECHECK_2024, NOTES_2024, _UNDERGROUND),
    ],
}

COAL_OPEN_PIT = {
    "code": "coal-open-pit",
    "name": "煤矿安全生产标准化管理体系（露天煤矿）",
    "method": "weighted_parts",
    "mine_types": ["coal_open_pit"],
    "versions": [
        _version(
            "2020", "煤安监行管〔2020〕16号", "2020-07-01", "2024-12-31", RECHECK_2020, NOTES_2020, _OPEN_PIT
        ),
        _version("2024", "矿安〔2024〕109号", "2025-01-01", None, RECHECK_2024, NOTES_2024, _OPEN_PIT),
    ],
}
