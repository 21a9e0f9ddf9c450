from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = _("Groups, organisation and people")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from compliance import rls

        from . import nav, people_io  # noqa: F401  (people_io registers the import job handler)

        nav.register()

        # A connection opened inside a scope gets that scope's tenants before its first query.
        connection_created.connect(rls.on_connection_created, dispatch_uid="kuangan-rls")

        # The audit trail: how tenants' objects are named and opened, and who the commands are.
        from compliance import registry

        from . import roles

        registry.register_audit_object_kinds(
            registry.AuditObjectKind("tenants.Tenant"),
            registry.AuditObjectKind("tenants.RegulatorAgency"),
            registry.AuditObjectKind("tenants.OrgUnit", url_name="org-unit-detail", perm=roles.VIEW_ORG),
            registry.AuditObjectKind("tenants.MineProfile"),
            registry.AuditObjectKind("tenants.Person", url_name="person-detail", perm=roles.VIEW_PEOPLE),
            registry.AuditObjectKind("tenants.PersonHold"),
            registry.AuditObjectKind("tenants.Membership"),
        )
        registry.register_system_actor(
            "manage.py seed_demo", pgettext_lazy("audit actor", "System (demo data)")
        )
        for command in ("manage.py create_tenant", "manage.py create_agency"):
            registry.register_system_actor(command, pgettext_lazy("audit actor", "System (operator command)"))
