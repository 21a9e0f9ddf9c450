"""Plugs hidden dangers into the product (called from ``InspectionsConfig.ready()``): permissions,
navigation, the condition sink, to-dos, per-mine figures, production stops, the demo, the audit
trail's labels, the rule kinds of the criteria."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def _nav_visible(scope) -> bool:
    from .permissions import VIEW_HAZARDS

    return scope.has_perm(VIEW_HAZARDS) and not scope.self_only


def _report_visible(scope) -> bool:
    from .permissions import REPORT_HAZARDS

    return scope.has_perm(REPORT_HAZARDS) and scope.self_only


def register() -> None:
    from compliance import registry
    from compliance.rules.base import register_rule_kind

    from . import demo, permissions, selectors, services
    from .models import CriteriaCatalogue, Criterion

    permissions.register()
    registry.register_nav(
        registry.NavEntry(
            key="hazards",
            group="inspections",
            label=_("Hazards"),
            url_name="hazards:hazard-list",
            visible=_nav_visible,
            order=20,
            namespace="hazards",
        ),
        registry.NavEntry(
            key="hazards-report",
            group="inspections",
            label=_("Report a hazard"),
            url_name="hazards:hazard-report",
            visible=_report_visible,
            order=30,
        ),
    )
    registry.register_condition_sink("hazards", services.condition_sink)
    registry.register_todo_provider(
        registry.TodoProvider(key="hazards", label=_("Hazards"), items=selectors.todo_items, order=40)
    )
    registry.register_mine_figures(
        registry.MineFigureProvider(
            key="hazards", label=_("Hazards"), figures=selectors.mine_figures, order=45
        )
    )
    registry.register_production_stops("hazards", selectors.production_stops)
    registry.register_demo_builder(registry.DemoBuilder(key="hazards", build=demo.build, order=35))
    register_rule_kind(
        "hazards.catalogue",
        CriteriaCatalogue,
        _("Major-hazard criteria catalogues"),
        describe=lambda c: f"{c.document_no} {c.title} {c.effective_from}–{c.effective_to or ''}",
    )
    register_rule_kind(
        "hazards.criterion",
        Criterion,
        _("Major-hazard criteria"),
        describe=lambda c: f"{c.catalogue.document_no} {c.code} {c.text[:60]}",
    )
    registry.register_audit_actions(
        {
            "hazard_register": pgettext_lazy("audit action", "Register a hazard"),
            "hazard_report": pgettext_lazy("audit action", "Report a hazard"),
            "hazard_confirm": pgettext_lazy("audit action", "Confirm a reported hazard"),
            "hazard_reject": pgettext_lazy("audit action", "Reject a reported hazard"),
            "hazard_classify": pgettext_lazy("audit action", "Reclassify a hazard"),
            "hazard_plan": pgettext_lazy("audit action", "Save a rectification plan"),
            "hazard_rectified": pgettext_lazy("audit action", "Report a hazard rectified"),
            "hazard_accept": pgettext_lazy("audit action", "Accept a rectified hazard"),
            "hazard_fail": pgettext_lazy("audit action", "Fail a hazard's acceptance"),
            "hazard_close": pgettext_lazy("audit action", "Close a hazard"),
            "hazard_escalate": pgettext_lazy("audit action", "Escalate an overdue hazard"),
            "hazard_cond_gone": pgettext_lazy("audit action", "Note a hazard's condition gone"),
            "finding_add": pgettext_lazy("audit action", "Record an inspection finding"),
            "criteria_import": pgettext_lazy("audit action", "Import major-hazard criteria"),
        }
    )
    registry.register_audit_object_kinds(
        registry.AuditObjectKind(
            "inspections.Hazard", url_name="hazards:hazard-detail", perm=permissions.VIEW_HAZARDS
        ),
        registry.AuditObjectKind("inspections.Finding"),
    )
    registry.register_system_actor("system:hazards", _("Hazard escalation (scheduled)"))
