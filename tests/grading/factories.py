"""Small grading standards for tests, independent of the shipped data.

``coal_like_version``: two top-level parts (重大灾害防治, 安全基础管理), weighted 1:1, each holding
``items_per_part`` items of 10 points, optionally a veto item; level rules shaped like the coal
2020 system (一级 total ≥ 90 and 重大灾害防治 ≥ 90, clean accident record; 二级 ≥ 80 and every part
≥ 80; 三级 ≥ 70 and every part ≥ 70).

``percentage_version``: AQ/T 2050.1 style — 4,000 points over items of 1000, 1000, 1000, 657 and
343, as a percentage of the applicable maximum; 90/75/60.
"""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

from compliance.grading.models import Item, LevelRule, Part, Standard, StandardVersion
from tenants.scope import dangerously_platform_scope

_codes = itertools.count(1)
LOOKBACK = {"general": 1, "large": 2, "major": 2, "grave": 3}


def _standard(method: str, mine_types: list[str], name: str, owner_tenant=None) -> Standard:
    return Standard.objects.create(
        code=f"test-{method}-{next(_codes)}",
        name=name,
        method=method,
        mine_types=mine_types,
        owner_tenant=owner_tenant,
    )


# National standards are reference data only the platform operator writes (row-level security
# refuses them to any group's scope), so these are made in the platform scope.
@dangerously_platform_scope()
def coal_like_version(
    *,
    items_per_part: int = 2,
    veto: bool = False,
    effective_from=datetime.date(2020, 7, 1),
    effective_to=None,
    mine_types=("coal_underground",),
) -> StandardVersion:
    standard = _standard("weighted_parts", list(mine_types), "测试煤矿标准化体系")
    version = StandardVersion.objects.create(
        standard=standard,
        label="2020",
        document_no="煤安监行管〔2020〕16号（测试）",
        effective_from=effective_from,
        effective_to=effective_to,
    )
    position = itertools.count()
    for p, (code, name) in enumerate([("disaster", "重大灾害防治"), ("basics", "安全基础管理")]):
        part = Part.objects.create(version=version, code=code, name=name, weight=1, position=p)
        for n in range(items_per_part):
            Item.objects.create(
                version=version,
                part=part,
                code=f"{code}-{n + 1}",
                title=f"{name}第{n + 1}项",
                max_points=Decimal(10),
                guidance=f"每处不符合扣1分（{name}）",
                position=next(position),
            )
        if veto and code == "basics":
            Item.objects.create(
                version=version,
                part=part,
                code="basics-veto",
                title="主要负责人安全承诺（否决项）",
                max_points=Decimal(10),
                is_veto=True,
                position=next(position),
            )
    LevelRule.objects.create(
        version=version,
        level=1,
        min_total=90,
        part_minimums={"disaster": 90, "basics": 85},
        fatal_lookback_years=LOOKBACK,
        clean_history_days=365,
    )
    LevelRule.objects.create(version=version, level=2, min_total=80, min_every_part=80)
    LevelRule.objects.create(version=version, level=3, min_total=70, min_every_part=70)
    return version


PERCENTAGE_ITEMS = [("E1-1", 1000), ("E1-2", 1000), ("E2-1", 1000), ("E2-2", 657), ("E3-1", 343)]


@dangerously_platform_scope()
def percentage_version(*, mine_types=("metal_underground",)) -> StandardVersion:
    standard = _standard("percentage", list(mine_types), "测试金属非金属矿山标准化")
    version = StandardVersion.objects.create(
        standard=standard,
        label="2016",
        document_no="AQ/T 2050.1-2016（测试）",
        effective_from=datetime.date(2017, 3, 1),
    )
    parts = {}
    for p, code in enumerate(["E1", "E2", "E3"]):
        parts[code] = Part.objects.create(version=version, code=code, name=f"要素{p + 1}", position=p)
    for position, (code, points) in enumerate(PERCENTAGE_ITEMS):
        Item.objects.create(
            version=version,
            part=parts[code.split("-")[0]],
            code=code,
            title=f"评分项{code}",
            max_points=Decimal(points),
            position=position,
        )
    one_year = {"general": 1, "large": 1, "major": 1, "grave": 1}
    for level, minimum in [(1, 90), (2, 75), (3, 60)]:
        LevelRule.objects.create(
            version=version, level=level, min_total=minimum, fatal_lookback_years=one_year
        )
    return version


def items(version) -> dict[str, Item]:
    return {i.code: i for i in Item.objects.filter(version=version)}


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%test\n"
