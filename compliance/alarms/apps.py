from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# What the risk register (or anyone) reads through ``registry.mine_figures(..., providers=[...])``
# to find points with repeated alarms (their figure key: "alarms.repeated_points").
FIGURES_KEY = "alarms"


def _nav_visible(scope) -> bool:
    from .permissions import VIEW_ALARMS

    return scope.has_perm(VIEW_ALARMS) and not scope.self_only


class AlarmsConfig(AppConfig):
    """Plugged in through ``compliance.registry``; no other capability imports it."""

    name = "compliance.alarms"
    label = "alarms"
    verbose_name = _("Monitoring alarms")

    def ready(self):
        from compliance import registry

        from . import alarms_io, demo, permissions, rules, selectors  # noqa: F401 (importer registers)

        permissions.register()
        rules.register()
        registry.register_nav(
            registry.NavEntry(
                key="alarms",
                group="inspections",
                label=_("Alarms"),
                url_name="alarms:alarm-list",
                visible=_nav_visible,
                order=25,
                namespace="alarms",
            )
        )
        registry.register_todo_provider(
            registry.TodoProvider(
                key="alarms", label=_("Monitoring alarms"), items=selectors.todo_items, order=42
            )
        )
        registry.register_mine_figures(
            registry.MineFigureProvider(
                key=FIGURES_KEY, label=_("Monitoring alarms"), figures=selectors.mine_figures, order=47
            )
        )
        registry.register_demo_builder(registry.DemoBuilder(key="alarms", build=demo.build, order=38))
        registry.register_system_actor("system:alarms", _("Alarm escalation"))
        registry.register_audit_actions(
            {
                "alarm_receive": pgettext_lazy("audit action", "Received an alarm"),
                "alarm_ack": pgettext_lazy("audit action", "Acknowledged an alarm"),
                "alarm_check": pgettext_lazy("audit action", "Checked an alarm on site"),
                "alarm_close": pgettext_lazy("audit action", "Closed an alarm"),
                "alarm_escalate": pgettext_lazy("audit action", "Escalated an overdue alarm"),
                "feed_create": pgettext_lazy("audit action", "Made an alarm feed key"),
                "feed_revoke": pgettext_lazy("audit action", "Revoked an alarm feed key"),
                "deadline_set": pgettext_lazy("audit action", "Set a group's alarm deadline"),
            }
        )
        registry.register_audit_object_kinds(
            registry.AuditObjectKind(
                "alarms.Alarm", url_name="alarms:alarm-detail", perm=permissions.VIEW_ALARMS
            ),
            registry.AuditObjectKind("alarms.AlarmFeed"),
            registry.AuditObjectKind("alarms.AlarmDeadline"),
        )
