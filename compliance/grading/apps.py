from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def _build_demo(spec, **kwargs):
    from . import demo

    return demo.seed_grading(spec, **kwargs)


class GradingConfig(AppConfig):
    name = "compliance.grading"
    label = "grading"
    verbose_name = _("Standardization grading")

    def ready(self):
        # Job handlers register on import: a Celery worker never loads the URLconf.
        from compliance.registry import DemoBuilder, register_demo_builder

        from . import figures, nav, permissions, report, rules, standards_io  # noqa: F401

        # What this capability adds to the product, through compliance.registry. Its demo runs
        # after training's (order 20), as it always did.
        permissions.register()
        # The home page's to-do items (tenants reads them through compliance.registry).
        from . import todos

        todos.register()
        nav.register()
        figures.register()
        rules.register()  # its rule kinds, for manage.py rules (compliance.rules.base)
        register_demo_builder(DemoBuilder("grading", _build_demo, order=20))

        # The audit trail: grading's actions and how its objects are named and opened.
        from compliance import registry

        registry.register_audit_actions(
            {
                "score_item": pgettext_lazy("audit action", "Score an item"),
                "submit": pgettext_lazy("audit action", "Submit for review"),
                "review_start": pgettext_lazy("audit action", "Start the review"),
                "adjust_item": pgettext_lazy("audit action", "Adjust a score in review"),
                "return_to_mine": pgettext_lazy("audit action", "Return to the mine"),
                "approve": pgettext_lazy("audit action", "Approve"),
                "supersede": pgettext_lazy("audit action", "Supersede by a newer grade"),
                "downgraded": pgettext_lazy("audit action", "Downgrade"),
                "check_failed": pgettext_lazy("audit action", "Record a failed spot check"),
                "revoked": pgettext_lazy("audit action", "Revoke a grade"),
                "rechecked": pgettext_lazy("audit action", "Record a re-check"),
                "lapsed": pgettext_lazy("audit action", "Lapse"),
                "rule.correct": pgettext_lazy("audit action", "Correct a rule value"),
            }
        )
        view = permissions.VIEW_GRADING
        registry.register_audit_object_kinds(
            registry.AuditObjectKind("grading.Assessment", url_name="grading:assessment-detail", perm=view),
            registry.AuditObjectKind("grading.ItemScore"),
            registry.AuditObjectKind("grading.Accident", url_name="grading:accident-detail", perm=view),
            registry.AuditObjectKind(
                "grading.GradeCertificate", url_name="grading:certificate-detail", perm=view
            ),
            registry.AuditObjectKind("grading.GradeEvent"),
            registry.AuditObjectKind("grading.StandardVersion"),
            registry.AuditObjectKind("grading.LevelRule"),
            registry.AuditObjectKind("grading.AccidentRule"),
            registry.AuditObjectKind("grading.PolicyRule"),
        )
