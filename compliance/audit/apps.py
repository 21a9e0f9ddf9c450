from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "compliance.audit"
    label = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        from compliance import registry

        from . import signals  # noqa: F401
        from .display import PLATFORM_ACTIONS

        # The audit trail's labels: the platform's own actions, and the objects its pieces write
        # events about (each capability registers its own in its ready()).
        registry.register_audit_actions(PLATFORM_ACTIONS)
        registry.register_audit_object_kinds(
            registry.AuditObjectKind("audit.AuditEvent"),
            registry.AuditObjectKind("auth.User"),
            registry.AuditObjectKind("jobs.Job", url_name="job-detail", perm="view_jobs"),
            registry.AuditObjectKind("tokens.ApiToken"),
        )
