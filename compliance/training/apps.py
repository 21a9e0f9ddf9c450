from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def _build_demo(spec, **kwargs):
    # Imported when seed_demo runs, not at start-up: the demo's question bank is large.
    from . import demo

    return demo.seed_training(spec, **kwargs)


class TrainingConfig(AppConfig):
    name = "compliance.training"
    label = "training"
    verbose_name = _("Training and exams")

    def ready(self):
        # Job handlers register on import: a Celery worker never loads the URLconf.
        from compliance.registry import DemoBuilder, register_demo_builder

        from . import bank_io, certificate_rules, figures, nav, panels, permissions, sessions_io  # noqa: F401

        # What this capability adds to the product, through compliance.registry.
        permissions.register()
        nav.register()
        panels.register()
        figures.register()
        certificate_rules.register()
        register_demo_builder(DemoBuilder("training", _build_demo, order=10))
        # The home page's to-do items (tenants reads them through compliance.registry).
        from . import todos

        todos.register()
        # Rules as data: the operator lists and verifies packs and hours rows (manage.py rules).
        from compliance.rules.base import register_rule_kind

        from .models import HoursRule, RulePack
        from .packs import describe_hours, describe_pack

        register_rule_kind("training.pack", RulePack, _("Training rule pack"), describe_pack)
        register_rule_kind("training.hours", HoursRule, _("Training hours rule"), describe_hours)
        # Pre-job training (岗前) gates going on post, through the base's holds.
        from tenants.holds import register_post_gate

        from . import prejob

        register_post_gate("training.pre_job", prejob.gate, batch=prejob.gate_many)

        # The audit trail: how training's objects are named and opened, and its scheduled job.
        from compliance import registry

        from .attempts import SYSTEM_ACTOR

        view = permissions.VIEW_TRAINING
        registry.register_audit_object_kinds(
            registry.AuditObjectKind("training.Course"),
            registry.AuditObjectKind(
                "training.TrainingSession", url_name="training:session-detail", perm=view
            ),
            registry.AuditObjectKind("training.Attendance"),
            registry.AuditObjectKind(
                "training.Question", url_name="training:question-detail", perm=permissions.VIEW_QUESTION_BANK
            ),
            registry.AuditObjectKind("training.ExamPaper", url_name="training:paper-detail", perm=view),
            registry.AuditObjectKind("training.Attempt"),
            registry.AuditObjectKind(
                "training.Certificate", url_name="training:certificate-detail", perm=view
            ),
            registry.AuditObjectKind("training.CertificateReview"),
            registry.AuditObjectKind("training.SupervisedPractice"),
            registry.AuditObjectKind("training.ManagerAssessmentSitting"),
            registry.AuditObjectKind("training.RulePack"),
            registry.AuditObjectKind("training.HoursRule"),
            registry.AuditObjectKind("training.PackValueSource"),
            registry.AuditObjectKind("training.SpecialOperationType"),
        )
        registry.register_audit_actions(
            {"review": pgettext_lazy("audit action", "Record a certificate review")}
        )
        registry.register_system_actor(
            SYSTEM_ACTOR.username, pgettext_lazy("audit actor", "System (scheduled job: exam deadlines)")
        )
