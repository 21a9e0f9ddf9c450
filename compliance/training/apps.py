from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "compliance.training"
    label = "training"
    verbose_name = _("Training and exams")

    def ready(self):
        # Job handlers register on import: a Celery worker never loads the URLconf.
        from . import bank_io, sessions_io  # noqa: F401
