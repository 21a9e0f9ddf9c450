from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


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
