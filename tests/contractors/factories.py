"""Outsourcing test data, built through the services."""

from __future__ import annotations

import datetime
import itertools

from compliance.contractors import services
from compliance.contractors.models import AGREEMENT_KEYS, Qualification
from tenants import services as tenant_services
from tenants.scope import activate, dangerously_platform_scope

from ..factories import credit_code, resident_id

TODAY = datetime.date(2026, 6, 30)
_n = itertools.count(1)


def contractor(scope, *, name=None, code=None, work_kind="mining", qualified=True, until=None):
    n = next(_n)
    with activate(scope):
        c = services.contractor_create(
            scope=scope,
            data={
                "name": name or f"测试建设工程有限公司{n}",
                "credit_code": code or credit_code(5000 + n),
                "legal_representative": "张三",
                "contact_name": "李四",
                "contact_phone": "13800000000",
                "work_kind": work_kind,
            },
        )
        if qualified:
            qualify(scope, c, until=until)
    return c


def qualify(
    scope, c, *, until=None, kinds=(Qualification.Kind.SAFETY_LICENCE, Qualification.Kind.CONSTRUCTION)
):
    until = until or TODAY + datetime.timedelta(days=365)
    with activate(scope):
        for kind in kinds:
            services.qualification_record(
                scope=scope,
                contractor=c,
                data={
                    "kind": kind,
                    "grade": "二级",
                    "scope_text": "矿山工程施工",
                    "number": f"{kind[:4].upper()}-{next(_n):05d}",
                    "issuer": "贵州省住房和城乡建设厅",
                    "valid_from": until - datetime.timedelta(days=3 * 365),
                    "valid_until": until,
                },
            )


def person(tw, unit=None, *, name=None):
    n = next(_n)
    with dangerously_platform_scope() as platform:
        return tenant_services.person_create(
            scope=platform,
            org_unit=unit or tw.team,
            resident_id=resident_id(seq=900 + n % 100, birth=f"19{70 + n % 29:02d}0101"),
            name=name or f"外包工{n}",
            employee_no=f"WB-{n:05d}",
            post_category="other",
        )


def engagement_data(tw, pm, **extra):
    n = next(_n)
    return {
        "work_kind": "mining",
        "scope_of_work": "综采工作面回采",
        "underground_system": "一号井",
        "starts_on": TODAY - datetime.timedelta(days=30),
        "ends_on": TODAY + datetime.timedelta(days=300),
        "contract_number": f"HT-2026-{n:04d}",
        "agreement_items": list(AGREEMENT_KEYS),
        "project_manager": pm,
        "project_manager_certificate": f"AQ-{n:05d}",
    } | extra


def engage(scope, tw, c, *, mine=None, pm=None, parent=None, **extra):
    pm = pm or person(tw, (mine or tw.mine))
    with activate(scope):
        return services.engagement_create(
            scope=scope,
            mine=mine or tw.mine,
            contractor=c,
            data=engagement_data(tw, pm, **extra),
            parent=parent,
        )
