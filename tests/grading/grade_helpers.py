"""Test data for the grade, accident, production and dashboard tests: a small coal and non-coal
standard version with level rules, approved assessments and certificates."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

from django.utils import timezone

from compliance.grading import grades
from compliance.grading.data import coal, load_accident_rules, noncoal
from compliance.grading.models import Assessment, GradeCertificate, LevelRule, Standard, StandardVersion
from tenants.scope import dangerously_platform_scope


def coal_version(*, recheck_months=36, code="coal-test", recheck_verified=True) -> StandardVersion:
    with dangerously_platform_scope():
        standard, _ = Standard.objects.get_or_create(
            code=code,
            owner_tenant=None,
            defaults={
                "name": "煤矿安全生产标准化管理体系（测试）",
                "method": Standard.Method.WEIGHTED_PARTS,
                "mine_types": ["coal_underground", "coal_open_pit"],
            },
        )
        version, created = StandardVersion.objects.get_or_create(
            standard=standard,
            label="2020",
            defaults={
                "document_no": "煤安监行管〔2020〕16号",
                "effective_from": datetime.date(2020, 7, 1),
                "recheck_months": recheck_months,
                "source": "煤安监行管〔2020〕16号 考核定级办法",
                "verified": recheck_verified,
            },
        )
        if created:
            for level, minimum in ((1, 90), (2, 80), (3, 70)):
                LevelRule.objects.create(
                    version=version,
                    level=level,
                    min_total=D(minimum),
                    source="定级办法 第四条",
                    verified=True,
                )
            # The shipped accident rules of the coal edition (issue 14, point 3).
            load_accident_rules(version, {"accident_rules": coal.accident_rules("煤安监行管〔2020〕16号")})
    return version


def noncoal_version(*, code="metal-test") -> StandardVersion:
    """A non-coal version with the shipped (unverified) accident rules."""
    with dangerously_platform_scope():
        standard, _ = Standard.objects.get_or_create(
            code=code,
            owner_tenant=None,
            defaults={
                "name": "金属非金属矿山安全标准化规范（测试）",
                "method": Standard.Method.PERCENTAGE,
                "mine_types": ["metal_underground"],
            },
        )
        version, created = StandardVersion.objects.get_or_create(
            standard=standard,
            label="2016",
            defaults={
                "document_no": "AQ/T 2050.1-2016",
                "effective_from": datetime.date(2017, 3, 1),
                "recheck_months": 36,
                "source": noncoal.RECHECK_SOURCE,
                "verified": True,
            },
        )
        if created:
            for level, minimum in ((1, 90), (2, 75), (3, 60)):
                LevelRule.objects.create(
                    version=version,
                    level=level,
                    min_total=D(minimum),
                    source=noncoal.LEVEL_SOURCE,
                    verified=True,
                )
            load_accident_rules(version, {"accident_rules": noncoal.ACCIDENT_RULES})
    return version


def approved_assessment(mine, version, *, level, user, total=None, approved_on=None) -> Assessment:
    approved_on = approved_on or timezone.localdate()
    approved_at = timezone.make_aware(datetime.datetime.combine(approved_on, datetime.time(10)))
    with dangerously_platform_scope():
        return Assessment.objects.create(
            tenant_id=mine.tenant_id,
            mine=mine,
            version=version,
            status=Assessment.Status.APPROVED,
            assessed_on=approved_on,
            created_by=user,
            reviewer=user,
            approved_at=approved_at,
            total=D(total if total is not None else {1: 92, 2: 85, 3: 72, None: 50}[level]),
            level=level,
        )


def award(mine, *, level, user, approved_on=None, version=None) -> GradeCertificate:
    version = version or coal_version()
    assessment = approved_assessment(mine, version, level=level, user=user, approved_on=approved_on)
    with dangerously_platform_scope():
        return grades.award_from_assessment(assessment, actor=user)
