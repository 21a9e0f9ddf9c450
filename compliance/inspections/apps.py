from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def _nav_visible(scope) -> bool:
    from tenants import roles

    from .permissions import VIEW_INSPECTIONS

    self_only = (
        roles.SELF_ONLY in {p for r in scope.roles for p in roles.perms_of(r)} and len(scope.roles) == 1
    )
    return scope.has_perm(VIEW_INSPECTIONS) and not self_only


class InspectionsConfig(AppConfig):
    """Inspections, their spot exams (逢查必考) and suspensions from post: taken out of training,
    plugged in through ``compliance.registry`` (training knows nothing of it)."""

    name = "compliance.inspections"
    label = "inspections"
    verbose_name = _("Inspections")

    def ready(self):
        from compliance import registry

        from . import demo, permissions, selectors, services
        from .agency import setup as agency_setup
        from .hazards import setup as hazards_setup

        permissions.register()
        # The home page's to-do items (tenants reads them through compliance.registry).
        from . import todos

        todos.register()
        from . import record  # noqa: F401  (registers the inspection record's job handler)

        registry.register_nav(
            registry.NavEntry(
                key="inspections",
                group="inspections",
                label=_("Inspections"),
                url_name="inspections:inspection-list",
                visible=_nav_visible,
                order=10,
                namespace="inspections",
            )
        )
        # A graded spot exam suspends (failed) or a passed clearing paper lifts the suspension.
        registry.register_attempt_listener("inspections.spot_exam", services.apply_attempt_result)
        # The team running an inspection works on its spot exams' attempts (the tablet).
        registry.register_attempt_access("inspections.spot_exam", selectors.spot_attempt_access)
        # The result page of a failed spot exam says the person is suspended and what the re-test is.
        registry.register_attempt_result_note(
            registry.AttemptResultNote(
                key="inspections.suspension",
                template="inspections/attempt_note.html",
                context=selectors.attempt_result_note,
            )
        )
        registry.register_person_panel(
            registry.PersonPanel(
                key="inspections.spot_exams",
                title=_("Spot-exam results and holds"),
                template="inspections/person_panel.html",
                context=selectors.person_panel,
                order=40,
            )
        )
        registry.register_mine_figures(
            registry.MineFigureProvider(
                key=registry.SPOT_EXAM_FIGURES,
                label=_("Spot exams"),
                figures=selectors.mine_figures,
                order=40,
            )
        )
        registry.register_demo_builder(registry.DemoBuilder(key="inspections", build=demo.build, order=30))

        # The audit trail: inspections' actions and objects (they keep the "training." types they
        # were first written with: see audit_object_type on the models).
        registry.register_audit_actions(
            {
                "issue_code": pgettext_lazy("audit action", "Issue a spot-exam code"),
                "code_used": pgettext_lazy("audit action", "Use a spot-exam code"),
                "code_failed": pgettext_lazy("audit action", "Wrong spot-exam code"),
                "code_locked": pgettext_lazy("audit action", "Lock a spot-exam code"),
                "suspend": pgettext_lazy("audit action", "Suspend from post"),
                "clear": pgettext_lazy("audit action", "Lift a suspension"),
                "retest_code": pgettext_lazy("audit action", "Issue a re-test code"),
                "retest_used": pgettext_lazy("audit action", "Use a re-test code"),
            }
        )
        # Hidden dangers and their closed loop (their own subpackage, split by area).
        hazards_setup.register()
        # A regulator agency's own records at the mines of its region (agency-owned).
        agency_setup.register()

        registry.register_audit_object_kinds(
            registry.AuditObjectKind(
                "training.Inspection",
                url_name="inspections:inspection-detail",
                perm=permissions.VIEW_INSPECTIONS,
            ),
            registry.AuditObjectKind("training.SpotCheck"),
            registry.AuditObjectKind("training.Suspension"),
        )
