"""The shipped major-hazard criteria (重大事故隐患判定标准), loaded by data migration 0005.

What is shipped, and how sure it is (every row starts unverified: ``verified`` means someone
checked it against the published text, which an operator does with ``manage.py rules`` or the
admin once they have the text in front of them):

- coal, 应急管理部令第4号《煤矿重大事故隐患判定标准》, in force 2021-01-01 and replaced on
  2026-07-01: the 15 categories of its article 3, titles as the order states them, each as one
  category-level criterion (code ``4-<n>``). Two items below a category are shipped because other
  capabilities report them as conditions: 15-1 (the mine manager, chief engineer and deputy
  managers not all appointed — duties' vacant posts) and 13-1 (underground mining or tunnelling
  faces contracted as labour only — contractors). The other items are imported from Excel.
- coal, 应急管理部令第21号 (in force from 2026-07-01): the catalogue and its dates only; the
  category structure is assumed to follow 第4号 until the text is imported (every row unverified).
- metal/non-metal, 矿安〔2022〕88号《金属非金属矿山重大事故隐患判定标准》: three catalogues —
  underground (32 items), open pit (13), tailings pond (19) — shipped as their structure: one
  category per catalogue with the item count in the notes; the items are imported from Excel.

A criterion's code is stable (``<catalogue>-<category>[-<item>]``): imports update rows by code.
"""

from __future__ import annotations

import datetime

COAL_4 = "coal-2020-4"
COAL_21 = "coal-2026-21"
METAL_UNDERGROUND = "nonmetal-2022-88-underground"
METAL_OPEN_PIT = "nonmetal-2022-88-open-pit"
TAILINGS = "nonmetal-2022-88-tailings"

# The criterion codes other capabilities name in their conditions (registry.Condition.criterion):
# resolved against the catalogue in force for the mine's type on the day.
POST_VACANT = "15-1"
LABOUR_ONLY = "13-1"

COAL_CATEGORIES = [
    "超能力、超强度或者超定员组织生产",
    "瓦斯超限作业",
    "煤与瓦斯突出矿井，未依照规定实施防突出措施",
    "高瓦斯、煤与瓦斯突出建设矿井局部通风不能实现双风机、双电源且自动切换",
    "通风系统不完善、不可靠",
    "有严重水患，未采取有效措施",
    "超层越界开采",
    "有冲击地压危险，未采取有效措施",
    "自然发火严重，未采取有效措施",
    "使用明令禁止使用或者淘汰的设备、工艺",
    "煤矿没有双回路供电系统",
    "新建煤矿边建设边生产，煤矿改扩建期间，在改扩建的区域生产，或者在其他区域的生产超出安全设施设计规定的范围和规模",
    "煤矿实行整体承包生产经营后，未重新取得或者及时变更安全生产许可证而从事生产，或者承包方再次转包，以及将井下采掘工作面和井巷维修作业进行劳务承包",
    "煤矿改制期间，未明确安全生产责任人和安全管理机构，或者在完成改制后，未重新取得或者变更采矿许可证、安全生产许可证和营业执照",
    "有其他重大事故隐患",
]

COAL_ITEMS = {
    13: [("1", "将井下采掘工作面和井巷维修作业进行劳务承包")],
    15: [
        (
            "1",
            "未分别配备专职的矿长、总工程师和分管安全、生产、机电的副矿长，以及负责采煤、掘进、"
            "机电运输、通风、地测、防治水工作的专业技术人员",
        )
    ],
}

CATALOGUES = [
    {
        "code": COAL_4,
        "title": "煤矿重大事故隐患判定标准",
        "document_no": "应急管理部令第4号",
        "family": "coal",
        "effective_from": datetime.date(2021, 1, 1),
        "effective_to": datetime.date(2026, 6, 30),
        "source": "应急管理部令第4号 第三条",
        "notes": "15 类。类别标题按第三条；条目（第四条至第十八条）除 13-1、15-1 外待从 Excel 导入。",
        "prefix": "4",
    },
    {
        "code": COAL_21,
        "title": "煤矿重大事故隐患判定标准（修订）",
        "document_no": "应急管理部令第21号",
        "family": "coal",
        "effective_from": datetime.date(2026, 7, 1),
        "effective_to": None,
        "source": "应急管理部令第21号",
        "notes": "结构暂按第4号令的 15 类，待核实；全文由运营人员从 Excel 导入。",
        "prefix": "21",
    },
    {
        "code": METAL_UNDERGROUND,
        "title": "金属非金属地下矿山重大事故隐患判定标准",
        "document_no": "矿安〔2022〕88号",
        "family": "metal_underground",
        "effective_from": datetime.date(2022, 7, 1),
        "effective_to": None,
        "source": "矿安〔2022〕88号 第一部分（地下矿山）",
        "notes": "共 32 项，待从 Excel 导入；补充：矿安〔2024〕41号。生效日期待核实。",
        "prefix": "U",
        "categories": ["地下矿山重大事故隐患（32项）"],
    },
    {
        "code": METAL_OPEN_PIT,
        "title": "金属非金属露天矿山重大事故隐患判定标准",
        "document_no": "矿安〔2022〕88号",
        "family": "metal_open_pit",
        "effective_from": datetime.date(2022, 7, 1),
        "effective_to": None,
        "source": "矿安〔2022〕88号 第二部分（露天矿山）",
        "notes": "共 13 项，待从 Excel 导入。生效日期待核实。",
        "prefix": "P",
        "categories": ["露天矿山重大事故隐患（13项）"],
    },
    {
        "code": TAILINGS,
        "title": "尾矿库重大事故隐患判定标准",
        "document_no": "矿安〔2022〕88号",
        "family": "tailings_pond",
        "effective_from": datetime.date(2022, 7, 1),
        "effective_to": None,
        "source": "矿安〔2022〕88号 第三部分（尾矿库）",
        "notes": "共 19 项，待从 Excel 导入。生效日期待核实。",
        "prefix": "T",
        "categories": ["尾矿库重大事故隐患（19项）"],
    },
]


def shipped_rows():
    """(catalogue fields, [criterion fields, ...]) for every shipped catalogue."""
    for spec in CATALOGUES:
        fields = {k: v for k, v in spec.items() if k not in ("prefix", "categories")}
        prefix = spec["prefix"]
        titles = spec.get("categories") or COAL_CATEGORIES
        items = []
        position = 0
        for number, title in enumerate(titles, start=1):
            position += 1
            items.append(
                {
                    "category_no": number,
                    "category": title,
                    "code": f"{prefix}-{number}",
                    "text": title,
                    "position": position,
                    "source": f"{spec['document_no']} 第三条第（{number}）项"
                    if spec["family"] == "coal"
                    else spec["source"],
                }
            )
            if spec["family"] == "coal":
                for item_no, text in COAL_ITEMS.get(number, []):
                    position += 1
                    items.append(
                        {
                            "category_no": number,
                            "category": title,
                            "code": f"{prefix}-{number}-{item_no}",
                            "text": text,
                            "position": position,
                            "source": spec["document_no"],
                        }
                    )
        yield fields, items


def load_shipped(apps) -> None:
    """Create the shipped catalogues and criteria that do not exist yet (by code)."""
    Catalogue = apps.get_model("inspections", "CriteriaCatalogue")
    Criterion = apps.get_model("inspections", "Criterion")
    for fields, items in shipped_rows():
        catalogue, _created = Catalogue.objects.get_or_create(code=fields["code"], defaults=fields)
        for item in items:
            Criterion.objects.get_or_create(catalogue=catalogue, code=item["code"], defaults=item)


def unload_shipped(apps) -> None:
    Catalogue = apps.get_model("inspections", "CriteriaCatalogue")
    Catalogue.objects.filter(code__in=[c["code"] for c in CATALOGUES]).delete()
