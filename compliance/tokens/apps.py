from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TokensConfig(AppConfig):
    name = "compliance.tokens"
    label = "tokens"
    verbose_name = _("API tokens")

    def ready(self) -> None:
        from compliance import checks  # noqa: F401  (registers the project's deploy checks)

        from . import schema  # noqa: F401  (teaches drf-spectacular the token authentication)
