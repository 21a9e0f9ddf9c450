from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def _nav_ledger(scope) -> bool:
    from .permissions import VIEW_POINTS

    return scope.has_perm(VIEW_POINTS) and not scope.self_only


def _nav_mine(scope) -> bool:
    return scope.self_only and scope.person_id is not None


def _nav_ranking(scope) -> bool:
    from .permissions import VIEW_POINTS_TEAMS

    return scope.has_perm(VIEW_POINTS_TEAMS)


class PointsConfig(AppConfig):
    """Plugged in through ``compliance.registry``; no other capability imports it."""

    name = "compliance.points"
    label = "points"
    verbose_name = _("Team safety points")

    def ready(self):
        from compliance import registry

        from . import demo, permissions, points_io, selectors, services  # noqa: F401 (importer)
        from .models import Threshold

        permissions.register()
        registry.register_nav(
            registry.NavEntry(
                key="points-me", group="people", label=_("My safety points"), url_name="points:me",
                visible=_nav_mine, order=40, namespace="points",
            ),
            registry.NavEntry(
                key="points", group="people", label=_("Safety points"), url_name="points:entry-list",
                visible=_nav_ledger, order=40, namespace="points", subnav="points/_subnav.html",
            ),
            registry.NavEntry(
                key="points-ranking", group="people", label=_("Team ranking"), url_name="points:ranking",
                visible=lambda scope: _nav_ranking(scope) and not _nav_ledger(scope), order=41,
            ),
        )  # fmt: skip
        registry.register_todo_provider(
            registry.TodoProvider(
                key="points", label=_("Safety points"), items=selectors.todo_items, order=65
            )
        )
        registry.register_person_panel(
            registry.PersonPanel(
                key="points.balance",
                title=_("Safety points"),
                template="points/person_panel.html",
                context=selectors.person_panel,
                order=70,
            )
        )
        registry.register_points_sink("points", services.proposal_sink)
        registry.register_demo_builder(registry.DemoBuilder(key="points", build=demo.build, order=70))
        from compliance.rules.base import register_rule_kind

        register_rule_kind("points.threshold", Threshold, _("Points threshold"))
        registry.register_audit_actions(
            {
                "points_record": pgettext_lazy("audit action", "Recorded safety points"),
                "points_reverse": pgettext_lazy("audit action", "Reversed safety points"),
                "points_propose": pgettext_lazy("audit action", "Proposed safety points"),
                "points_decide": pgettext_lazy("audit action", "Decided on proposed points"),
                "points_threshold": pgettext_lazy("audit action", "Points threshold crossed"),
                "points_action": pgettext_lazy("audit action", "Closed a points threshold action"),
                "points_rule": pgettext_lazy("audit action", "Set a points rule"),
                "points_defaults": pgettext_lazy("audit action", "Installed the default points rules"),
                "points_export": pgettext_lazy("audit action", "Exported the points ledger"),
            }
        )
        registry.register_audit_object_kinds(
            registry.AuditObjectKind("points.Entry"),
            registry.AuditObjectKind("points.PointsRule"),
            registry.AuditObjectKind("points.Threshold"),
            registry.AuditObjectKind("points.ThresholdAction"),
            registry.AuditObjectKind("points.Proposal"),
        )
