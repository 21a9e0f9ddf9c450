"""Reads of the grading app that are more than a get.

Standards (reference data, not tenant-owned, so no fail-closed manager and no RLS): national ones
are readable by anyone holding ``view_grading`` (regulators included); a group's internal standard
only by that group. Regulators see national standards only.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet

from compliance.grading import permissions as grading_perms
from tenants import roles
from tenants.scope import Scope

from .models import Standard, StandardVersion


def _standard_condition(scope: Scope) -> Q | None:
    """The standards ``scope`` may read, as a condition on Standard (None: none at all)."""
    if scope.is_platform:
        return Q()
    readers = [g for g in scope.grants if grading_perms.VIEW_GRADING in roles.perms_of(g.role)]
    if not readers:
        return None
    condition = Q(owner_tenant__isnull=True)
    if not scope.is_regulator:
        condition |= Q(owner_tenant_id__in={g.tenant_id for g in readers})
    return condition


def visible_standards(scope: Scope) -> QuerySet[Standard]:
    condition = _standard_condition(scope)
    if condition is None:
        return Standard.objects.none()
    return Standard.objects.filter(condition).select_related("owner_tenant")


def visible_versions(scope: Scope) -> QuerySet[StandardVersion]:
    condition = _standard_condition(scope)
    if condition is None:
        return StandardVersion.objects.none()
    return StandardVersion.objects.filter(standard__in=Standard.objects.filter(condition)).select_related(
        "standard", "standard__owner_tenant"
    )


def version_for(mine_type: str, on_date: date, scope: Scope | None = None) -> StandardVersion | None:
    """The standard version in force for ``mine_type`` on ``on_date``: a national one first, else
    (with a scope) the group's own; the latest in force when several are."""
    versions = (
        visible_versions(scope)
        if scope is not None
        else StandardVersion.objects.filter(standard__owner_tenant__isnull=True).select_related("standard")
    )
    in_force = versions.filter(effective_from__lte=on_date).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=on_date)
    )
    # mine_types is a short JSON list; SQLite has no JSON containment, and the table is small.
    candidates = [v for v in in_force if mine_type in (v.standard.mine_types or [])]
    candidates.sort(key=lambda v: (not v.standard.is_national, -v.effective_from.toordinal(), v.pk))
    return candidates[0] if candidates else None
