"""Demo of rule packs and 师带徒 (issue 14, points 10 and 11): one provincial override and one
recorded supervised practice, so the resolution and the "not qualified alone" state show.

**The provincial override** (a choice for the demo, not a sourced figure): 云南 (region prefix
53) asks 54 initial hours of the principals and safety managers of underground metal/non-metal
mines, against the national 48 (annual 16 as nationally). DOMAIN.md gives "non-coal underground
managers 54 h + 16 h" as an example of a provincial table without naming the document, so the
pack and its row are shipped **unverified** (待核实): the hours pages show 54 for those people at
the demo's 楚雄六苴铜矿 with the warning and the source to check, and the pre-job gate only warns.
"""

from __future__ import annotations

import datetime

from compliance.training import packs, practice
from compliance.training.models import RulePack, SupervisedPractice
from tenants.models import MineProfile, Person
from tenants.scope import Scope

PROVINCIAL_CODE = "yn-noncoal-demo"
PROVINCIAL_SOURCE = (
    "云南省非煤矿山从业人员安全培训学时（演示数据：DOMAIN.md 所举省级表“非煤地下矿山管理人员 54+16 学时”，"
    "文号待核实）"
)


def seed_provincial_pack(*, scope: Scope) -> RulePack:
    """The Yunnan override, once (idempotent by code). Shared reference data: platform scope."""
    pack = RulePack.objects.filter(code=PROVINCIAL_CODE, owner_tenant__isnull=True).first()
    if pack is not None:
        return pack
    pack = packs.rule_pack_create(
        scope=scope,
        code=PROVINCIAL_CODE,
        name="云南省非煤矿山安全培训学时（演示）",
        document_no="云南省非煤矿山安全培训规定（演示，待核实）",
        effective_from=datetime.date(2020, 1, 1),
        region_prefix="53",
        source=PROVINCIAL_SOURCE,
    )
    for post in (Person.PostCategory.PRINCIPAL, Person.PostCategory.SAFETY_MANAGEMENT):
        packs.hours_rule_set(
            scope=scope,
            pack=pack,
            post_category=post,
            mine_type=MineProfile.MineType.METAL_UNDERGROUND,
            initial_hours=54,
            annual_hours=16,
            source=PROVINCIAL_SOURCE,
        )
    return pack


def seed_practice(demo) -> int:
    """One worker of the group's first underground coal mine in supervised practice, 45 days in,
    with an experienced worker of the same mine as mentor."""
    mine = next(
        (m for m in demo.mines if m.mine_profile.mine_type == MineProfile.MineType.COAL_UNDERGROUND), None
    )
    if mine is None:
        return 0
    workers = [p for p in demo.on_post(demo.at(mine)) if p.post_category == Person.PostCategory.OTHER]
    workers = [p for p in workers if p.pk not in demo.login_ids()]
    if len(workers) < 2 or SupervisedPractice.objects.filter(person=workers[-1]).exists():
        return 0
    practice.practice_record(
        scope=demo.scope,
        person=workers[-1],
        mentor=workers[0],
        starts_on=demo.today - datetime.timedelta(days=45),
        note="新工人井下实习，师傅带班",
    )
    return 1
