"""Points test helpers: the group's defaults installed, and a rule by code."""

from __future__ import annotations

import datetime

from compliance.points import services
from compliance.points.models import PointsRule, Threshold
from tenants import roles
from tenants.scope import activate, dangerously_platform_scope

TODAY = datetime.date(2026, 6, 30)


def install(tw) -> None:
    """The default catalogue and thresholds for a tenant world, as its group admin installs them."""
    admin = tw.scope(roles.TENANT_ADMIN)
    with activate(admin):
        services.defaults_install(scope=admin, tenant_id=tw.tenant.pk)


def rule(tw, code: str) -> PointsRule:
    with dangerously_platform_scope():
        return PointsRule.objects.get(tenant=tw.tenant, code=code, org_unit__parent__isnull=True)


def verify_thresholds(tw) -> None:
    """The group sets its thresholds (the defaults' numbers): verified from now on."""
    admin = tw.scope(roles.TENANT_ADMIN)
    with activate(admin):
        for t in list(Threshold.objects.filter(tenant=tw.tenant)):
            services.threshold_set(
                scope=admin, tenant_id=tw.tenant.pk, action=t.action, below=t.below, by="集团安监部"
            )
