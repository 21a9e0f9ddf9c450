from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GradingConfig(AppConfig):
    name = "compliance.grading"
    label = "grading"
    verbose_name = _("Standardization grading")

    def ready(self):
        # Job handlers register on import: a Celery worker never loads the URLconf.
        from . import report, standards_io  # noqa: F401
