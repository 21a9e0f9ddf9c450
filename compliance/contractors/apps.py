from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def _nav_visible(scope) -> bool:
    from tenants import roles

    from .permissions import VIEW_CONTRACTORS

    self_only = (
        roles.SELF_ONLY in {p for r in scope.roles for p in roles.perms_of(r)} and len(scope.roles) == 1
    )
    return scope.has_perm(VIEW_CONTRACTORS) and not self_only


class ContractorsConfig(AppConfig):
    """Plugged in through ``compliance.registry``; no other capability imports it."""

    name = "compliance.contractors"
    label = "contractors"
    verbose_name = _("Contractors")

    def ready(self):
        from compliance import registry

        from . import contractors_io, demo, permissions, rules, selectors  # noqa: F401 (importers)

        permissions.register()
        rules.register()
        registry.register_nav(
            registry.NavEntry(
                key="contractors",
                group="people",
                label=_("Contractors"),
                url_name="contractors:contractor-list",
                visible=_nav_visible,
                order=30,
                namespace="contractors",
                subnav="contractors/_subnav.html",
            )
        )
        registry.register_person_panel(
            registry.PersonPanel(
                key="contractors.engagement",
                title=_("Contractor engagement"),
                template="contractors/person_panel.html",
                context=selectors.person_panel,
                order=60,
            )
        )
        registry.register_mine_figures(
            registry.MineFigureProvider(
                key="contractors.caps", label=_("Outsourcing"), figures=selectors.mine_figures, order=60
            )
        )
        registry.register_todo_provider(
            registry.TodoProvider(
                key="contractors", label=_("Contractors"), items=selectors.todo_items, order=60
            )
        )
        registry.register_demo_builder(registry.DemoBuilder(key="contractors", build=demo.build, order=60))
        registry.register_audit_actions(
            {
                "set_status": pgettext_lazy("audit action", "Set a contractor's status"),
                "extend": pgettext_lazy("audit action", "Extend an engagement"),
                "propose_out": pgettext_lazy("audit action", "Propose a contractor's phase-out"),
            }
        )
        registry.register_audit_object_kinds(
            registry.AuditObjectKind(
                "contractors.Contractor",
                url_name="contractors:contractor-detail",
                perm=permissions.VIEW_CONTRACTORS,
            ),
            registry.AuditObjectKind(
                "contractors.Engagement",
                url_name="contractors:engagement-detail",
                perm=permissions.VIEW_CONTRACTORS,
            ),
            registry.AuditObjectKind("contractors.Qualification"),
            registry.AuditObjectKind("contractors.StaffAssignment"),
            registry.AuditObjectKind("contractors.Appraisal"),
        )
