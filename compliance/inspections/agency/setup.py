"""Plugs agency-owned records into the product (called from ``InspectionsConfig.ready()``):
navigation, the audit trail's labels, and the counts of major hazards self-reported and found by
regulators (for grading's rule)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def _nav_visible(scope) -> bool:
    from compliance.inspections.hazards.permissions import VIEW_HAZARDS

    return scope.has_perm(VIEW_HAZARDS) and not scope.self_only


def register() -> None:
    from compliance import registry
    from compliance.inspections.hazards.permissions import VIEW_HAZARDS

    from . import selectors

    registry.register_major_hazard_tally("hazards", selectors.major_hazard_tally)
    registry.register_todo_provider(
        registry.TodoProvider(
            key="agency", label=_("Regulators' records"), items=selectors.todo_items, order=42
        )
    )
    registry.register_nav(
        registry.NavEntry(
            key="agency-inspections",
            group="inspections",
            label=_("Regulators' inspections"),
            url_name="agency:inspection-list",
            visible=_nav_visible,
            order=40,
            namespace="agency",
        ),
        registry.NavEntry(
            key="agency-listings",
            group="inspections",
            label=_("Supervision listings"),
            url_name="agency:listing-list",
            visible=_nav_visible,
            order=45,
        ),
    )
    registry.register_audit_actions(
        {
            "agency_inspect": pgettext_lazy("audit action", "Record a regulator's inspection"),
            "agency_finding": pgettext_lazy("audit action", "Record a regulator's finding"),
            "agency_spot_draw": pgettext_lazy("audit action", "Draw a person for the regulator's spot exam"),
            "supervise_list": pgettext_lazy("audit action", "List a hazard for supervision"),
            "supervise_close": pgettext_lazy("audit action", "Close a supervision listing"),
        }
    )
    registry.register_audit_object_kinds(
        registry.AuditObjectKind(
            "inspections.AgencyInspection", url_name="agency:inspection-detail", perm=VIEW_HAZARDS
        ),
        registry.AuditObjectKind("inspections.AgencyFinding"),
        registry.AuditObjectKind("inspections.AgencySpotCheck"),
        registry.AuditObjectKind(
            "inspections.SupervisionListing", url_name="agency:listing-detail", perm=VIEW_HAZARDS
        ),
    )
