"""Builders shared by the hazard tests: hazards made through the services, photos as real images."""

from __future__ import annotations

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from compliance.inspections.hazards import services
from compliance.inspections.hazards.models import Criterion, Hazard
from tenants import roles
from tenants.scope import activate, dangerously_platform_scope
from tenants.selectors import scope_for_user


def photo(name="现场.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 80, 40)).save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def criterion(code: str) -> Criterion:
    return Criterion.objects.get(code=code)


def register(tw, *, role=roles.SAFETY_MANAGER, mine=None, **fields) -> Hazard:
    user = tw.users[role]
    scope = scope_for_user(user)
    with activate(scope):
        return services.hazard_register(
            scope=scope,
            mine=mine or tw.mine,
            user=user,
            location=fields.pop("location", "1301 综采工作面"),
            description=fields.pop("description", "回风巷支护失效"),
            **fields,
        )


MAJOR_PLAN = {
    "responsible": "张矿长",
    "measures": "停止作业，补强支护",
    "target": "消除隐患",
    "funds": "20 万元",
    "materials": "锚杆 200 根",
    "organisation": "矿长牵头，生产科实施",
    "safety_measures": "设置警戒，撤出人员",
    "contingency": "启动冒顶应急预案",
    "stop_scope": "area",
    "stop_area": "1301 工作面",
}


def plan(tw, hazard, *, role=roles.SAFETY_MANAGER, deadline=None, **extra):
    user = tw.users[role]
    scope = scope_for_user(user)
    fields = dict(MAJOR_PLAN if hazard.is_major else {"responsible": "李班长", "measures": "更换支护"})
    fields.update(extra)
    with activate(scope):
        return services.hazard_plan(
            scope=scope,
            hazard=hazard,
            user=user,
            deadline=deadline or timezone.localdate() + datetime.timedelta(days=10),
            **fields,
        )


def platform():
    return dangerously_platform_scope()
