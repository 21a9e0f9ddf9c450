from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = _("Groups, organisation and people")

    def ready(self) -> None:
        from . import people_io  # noqa: F401  (registers the import job handler)
