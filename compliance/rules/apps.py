from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class RulesConfig(AppConfig):
    name = "compliance.rules"
    label = "rules"
    verbose_name = _("Rules")

    def ready(self):
        from compliance import registry

        registry.register_audit_actions(
            {
                "rule.verify": pgettext_lazy("audit action", "Mark a rule verified"),
                "rule.unverify": pgettext_lazy("audit action", "Withdraw a rule's verification"),
            }
        )
