from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractorsConfig(AppConfig):
    """Plugged in through ``compliance.registry``; no other capability imports it."""

    name = "compliance.contractors"
    label = "contractors"
    verbose_name = _("Contractors")

    def ready(self):
        pass
