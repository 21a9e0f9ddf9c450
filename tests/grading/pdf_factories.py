"""Data for the PDF report tests: a two-level standard with Chinese names, an assessment with
deductions (with photo and PDF evidence), not-applicable items and reviewer figures. Rows are made
directly (the assessment services are tested on their own), in the platform scope."""

from __future__ import annotations

import datetime
import io
import itertools
from decimal import Decimal

from compliance import storage
from compliance.grading.models import (
    Assessment,
    Deduction,
    Item,
    ItemScore,
    LevelRule,
    Part,
    Standard,
    StandardVersion,
)
from tenants.scope import dangerously_platform_scope

_codes = itertools.count(1)

TOP_NAMES = ["重大灾害防治", "专业管理", "安全基础管理", "质量控制", "持续改进"]
CHILD_NAMES = ["通风", "地质灾害防治与测量", "采煤", "掘进", "机电", "运输", "调度和应急管理", "职业卫生"]
TITLES = ["建立健全通风管理制度", "按规定进行瓦斯检查", "安全监控系统运行正常", "编制作业规程并贯彻学习"]


def tree_version(
    *, tops: int = 2, children: int = 2, items_per_part: int = 3, method: str = "weighted_parts", veto=False
) -> StandardVersion:
    """``tops`` top-level parts of ``children`` parts each, each child holding ``items_per_part``
    items of 5 points; coal-like level rules (90/80/70)."""
    with dangerously_platform_scope():
        standard = Standard.objects.create(
            code=f"pdf-test-{next(_codes)}", name="煤矿安全生产标准化管理体系（报告测试）", method=method
        )
        version = StandardVersion.objects.create(
            standard=standard,
            label="2020",
            document_no="煤安监行管〔2020〕16号",
            effective_from=datetime.date(2020, 7, 1),
        )
        position = itertools.count()
        for t in range(tops):
            top = Part.objects.create(
                version=version, code=f"P{t + 1}", name=TOP_NAMES[t % len(TOP_NAMES)], position=t
            )
            for c in range(children):
                child = Part.objects.create(
                    version=version,
                    parent=top,
                    code=f"P{t + 1}.{c + 1}",
                    name=CHILD_NAMES[(t * children + c) % len(CHILD_NAMES)],
                    position=c,
                )
                for n in range(items_per_part):
                    Item.objects.create(
                        version=version,
                        part=child,
                        code=f"{child.code}.{n + 1}",
                        title=f"{TITLES[n % len(TITLES)]}（{child.name}第{n + 1}项）",
                        max_points=Decimal(5),
                        is_veto=veto and t == 0 and c == 0 and n == 0,
                        position=next(position),
                    )
        LevelRule.objects.create(version=version, level=1, min_total=90, part_minimums={"P1": 90})
        LevelRule.objects.create(version=version, level=2, min_total=80, min_every_part=80)
        LevelRule.objects.create(version=version, level=3, min_total=70, min_every_part=70)
    return version


def version_items(version) -> list[Item]:
    with dangerously_platform_scope():
        return list(Item.objects.filter(version=version).order_by("position"))


def image_bytes(fmt: str = "JPEG", size=(1600, 1200), color=(200, 120, 40)) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(image)
    draw.rectangle([size[0] // 4, size[1] // 4, size[0] * 3 // 4, size[1] * 3 // 4], fill=(30, 60, 160))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


PDF_BYTES = b"%PDF-1.4\n%evidence\n"


def store(name: str, content: bytes) -> str:
    """Write ``content`` into the private storage; its name, as ``Deduction.evidence``."""
    return storage.save(f"grading/evidence/{name}", content, overwrite=True)


def make_assessment(mine, version, user, *, status="draft", assessed_on=None, reviewer=None) -> Assessment:
    with dangerously_platform_scope():
        return Assessment.objects.create(
            tenant_id=mine.tenant_id,
            mine=mine,
            version=version,
            status=status,
            assessed_on=assessed_on or datetime.date(2026, 3, 1),
            created_by=user,
            reviewer=reviewer,
        )


def mark(
    assessment,
    item,
    user,
    *,
    deductions=(),
    not_applicable=False,
    reason="",
    review_score=None,
    review_comment="",
) -> ItemScore:
    """Score ``item``: ``deductions`` are (points, reason, location, evidence path, evidence name)."""
    with dangerously_platform_scope():
        row = ItemScore.objects.create(
            tenant_id=assessment.tenant_id,
            assessment=assessment,
            item=item,
            not_applicable=not_applicable,
            reason=reason,
            deducted=sum((Decimal(str(d[0])) for d in deductions), Decimal(0)),
            review_score=review_score,
            review_comment=review_comment,
            row_version=1,
            updated_by=user,
        )
        for position, (points, why, where, evidence, evidence_name) in enumerate(deductions):
            Deduction.objects.create(
                tenant_id=assessment.tenant_id,
                item_score=row,
                points=Decimal(str(points)),
                reason=why,
                location=where,
                evidence=evidence,
                evidence_name=evidence_name,
                created_by=user,
                position=position,
            )
    return row
