"""Hazards demo for the groups ``seed_demo`` builds: a few months of hazards per mine in every state
of the loop, made through the services (so history, audit and numbering are real).

Per mine (at most three per group): one closed (销号) after acceptance, one accepted waiting to be
closed, one waiting for acceptance, one overdue under rectification (escalated by the daily job),
one registered without a plan, one found by the regulator, and a worker's report (随手拍) waiting
for confirmation. Per group, two major hazards at its first coal mine: one found by the mine's
regulator in its own inspection (agency-owned), registered by the mine and listed for supervision
(挂牌督办) by that regulator, under rectification with the whole treatment plan (its area
stopped); one closed. Idempotent: a group that already
has hazards is left alone.
"""

from __future__ import annotations

import datetime
import io

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from PIL import Image

from tenants import roles
from tenants.models import AgencyMembership, Membership, OrgUnit, Tenant
from tenants.scope import activate
from tenants.selectors import scope_for_user

from . import escalation, services
from .models import Hazard

MAJOR_PLAN = {
    "target": "彻底消除瓦斯超限隐患，恢复正常通风",
    "measures": "调整通风系统，增设局部通风机，加密瓦斯检查",
    "funds": "45 万元（安全费用列支）",
    "materials": "局部通风机 2 台、风筒 300 米、瓦斯传感器 6 台",
    "organisation": "矿长任组长，总工程师、通风副总负责实施，通风科、安监科配合",
    "responsible": "总工程师",
    "safety_measures": "工作面停产撤人，设置警戒，专人巡检瓦斯",
    "contingency": "启动瓦斯事故专项应急预案，救护队待命",
    "stop_scope": Hazard.StopScope.AREA,
    "stop_area": "11302 回采工作面",
}

GENERAL = [
    # (days ago found, location, description, how far the loop goes, source)
    (100, "主斜井皮带机", "皮带机机尾护罩缺失", "closed", Hazard.Source.SELF_CHECK),
    (40, "中央变电所", "配电柜接地线松动", "accepted", Hazard.Source.INSPECTION),
    (20, "副井井口", "井口防护栏杆锈蚀变形", "awaiting", Hazard.Source.SELF_CHECK),
    (50, "1301 回风巷", "巷道局部支护失效、顶板离层", "overdue", Hazard.Source.SELF_CHECK),
    (3, "炸药库", "灭火器过期未更换", "registered", Hazard.Source.SELF_CHECK),
    (60, "主通风机房", "反风设施未按期演练", "rectifying", Hazard.Source.REGULATOR),
]


def _photo(name: str = "现场.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (170, 110, 60)).save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def _user(tenant, role):
    membership = (
        Membership.objects.filter(tenant=tenant, role=role).select_related("user").order_by("pk").first()
    )
    return membership.user if membership is not None else None


def _criterion(mine, day, category: int):
    return (
        services.criteria_in_force(mine, day)
        .filter(category_no=category, code__regex=r"^[0-9]+-[0-9]+$")
        .order_by("-catalogue__effective_from")
        .first()
    )


def _walk(scope, hazard, how: str, today, manager, auditor) -> Hazard:
    if how == "registered":
        return hazard
    deadline = hazard.found_on + datetime.timedelta(days=30)
    if how == "rectifying":
        deadline = today + datetime.timedelta(days=15)
    plan = MAJOR_PLAN if hazard.is_major else {"responsible": "区队长", "measures": "立即整改并复查"}
    hazard = services.hazard_plan(scope=scope, hazard=hazard, user=manager, deadline=deadline, **plan)
    if how in ("rectifying", "overdue"):
        return hazard
    hazard = services.hazard_rectified(
        scope=scope, hazard=hazard, user=manager, note="已按措施整改", photos=[_photo()]
    )
    if how == "awaiting":
        return hazard
    hazard = services.hazard_accept(
        scope=scope, hazard=hazard, user=auditor, passed=True, note="复查合格", photos=[_photo()]
    )
    if how == "accepted":
        return hazard
    return services.hazard_close(scope=scope, hazard=hazard, user=manager, note="验收合格，予以销号")


def _regulator_login(mine):
    """The direct regulator of ``mine`` and one of its logins (None: no agency oversees it here)."""
    agency = services.regulator_of(mine)
    member = AgencyMembership.objects.filter(agency=agency).select_related("user").first() if agency else None
    return (agency, member.user) if member is not None else (None, None)


def _found_by_the_regulator(scope, mine, manager, text, found_on, criterion, today):
    """The regulator's own inspection with the major finding (agency-owned, recorded in its own
    scope), which the mine registers into its register; None when no agency oversees the mine."""
    from compliance.inspections.agency import services as agency_services

    agency, user = _regulator_login(mine)
    if agency is None:
        return None
    with activate(scope_for_user(user)) as reg_scope:
        inspection = agency_services.inspection_record(
            scope=reg_scope, mine=mine, user=user, kind="special", inspected_on=found_on,
            inspectors="张监察, 李监察", summary="通风与瓦斯专项执法检查",
        )  # fmt: skip
        finding = agency_services.finding_add(
            scope=reg_scope, inspection=inspection, kind="hazard", text=text, location="11302 回采工作面",
            grade=Hazard.Grade.MAJOR, criterion=criterion, deadline=today + datetime.timedelta(days=20),
        )  # fmt: skip
        _regulator_spot_exam(reg_scope, inspection)
    return agency_services.finding_register(scope=scope, finding=finding, user=manager)


def _regulator_spot_exam(reg_scope, inspection) -> None:
    """逢查必考 by the regulator during that inspection: two people drawn for the group's spot paper
    (their codes are issued on the day, on the inspection's page)."""
    import random

    from compliance.inspections import selectors as inspection_selectors
    from compliance.inspections.agency import services as agency_services

    papers = inspection_selectors.spot_papers_for(inspection.mine)
    if papers:
        agency_services.spot_draw(
            scope=reg_scope,
            inspection=inspection,
            paper=papers[0],
            count=2,
            rng=random.Random(inspection.mine.name),
        )


def _supervise(hazard, found_on, today) -> int:
    """The regulator lists the hazard for supervision (挂牌督办)."""
    from compliance.inspections.agency import services as agency_services

    agency, user = _regulator_login(hazard.mine)
    if agency is None:
        return 0
    with activate(scope_for_user(user)) as reg_scope:
        agency_services.supervision_list(
            scope=reg_scope, hazard=hazard, user=user, listed_on=found_on + datetime.timedelta(days=2),
            deadline=today + datetime.timedelta(days=20), document_no=f"督〔{today.year}〕1号",
        )  # fmt: skip
    return 1


def build(spec, *, scope, today: datetime.date | None = None, log=print) -> dict | None:
    """The demo builder (compliance.registry): None when the group already had this part."""
    tenant = Tenant.objects.filter(credit_code=spec.credit_code).first()
    if tenant is None or Hazard.objects.filter(tenant=tenant).exists():
        return None
    manager, auditor = _user(tenant, roles.SAFETY_MANAGER), _user(tenant, roles.HQ_AUDITOR)
    worker = _user(tenant, roles.WORKER)
    if manager is None or auditor is None:
        log(f"no safety manager or HQ auditor, hazards skipped: {spec.name}")
        return None
    today = today or timezone.localdate()
    mines = list(
        OrgUnit.objects.filter(tenant=tenant, kind=OrgUnit.Kind.MINE)
        .select_related("mine_profile")
        .order_by("name")[:3]  # not by path (random ids): the same mines every build
    )
    counts = {"hazards": 0, "major": 0, "worker reports": 0}
    with translation.override(settings.LANGUAGE_CODE):
        for mine in mines:
            for days, location, text, how, source in GENERAL:
                hazard = services.hazard_register(
                    scope=scope, mine=mine, user=manager, location=location, description=text, source=source,
                    found_on=today - datetime.timedelta(days=days), photos=[_photo()],
                )  # fmt: skip
                _walk(scope, hazard, how, today, manager, auditor)
                counts["hazards"] += 1
            if worker is not None:
                services.hazard_report(
                    scope=scope, mine=mine, user=worker, location="运输大巷", description="巷道积水",
                    photos=[_photo("随手拍.png")],
                )  # fmt: skip
                counts["worker reports"] += 1
        coal = next((m for m in mines if getattr(m, "mine_profile", None) and m.mine_profile.is_coal), None)
        if coal is not None:
            for days, category, text, how, source in (
                (
                    25,
                    2,
                    "11302 回采工作面上隅角瓦斯浓度多次超限仍组织作业",
                    "rectifying",
                    Hazard.Source.REGULATOR,
                ),
                (80, 5, "采区未形成独立回风系统", "closed", Hazard.Source.SELF_CHECK),
            ):
                found_on = today - datetime.timedelta(days=days)
                criterion = _criterion(coal, found_on, category)
                hazard = None
                if source == Hazard.Source.REGULATOR:
                    hazard = _found_by_the_regulator(scope, coal, manager, text, found_on, criterion, today)
                if hazard is None:
                    hazard = services.hazard_register(
                        scope=scope, mine=coal, user=manager, location="11302 回采工作面", description=text,
                        source=source, found_on=found_on, grade=Hazard.Grade.MAJOR, criterion=criterion,
                        photos=[_photo()],
                    )  # fmt: skip
                _walk(scope, hazard, how, today, manager, auditor)
                if source == Hazard.Source.REGULATOR:
                    counts["supervised"] = _supervise(hazard, found_on, today)
                counts["major"] += 1
        counts["escalated"] = escalation.escalate_overdue(today)
    log(f"hazards created: {spec.name} ({counts})")
    return counts
