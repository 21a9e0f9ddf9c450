from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _build_demo(spec, **kwargs):
    from . import demo

    return demo.seed_grading(spec, **kwargs)


class GradingConfig(AppConfig):
    name = "compliance.grading"
    label = "grading"
    verbose_name = _("Standardization grading")

    def ready(self):
        # Job handlers register on import: a Celery worker never loads the URLconf.
        from compliance.registry import DemoBuilder, register_demo_builder

        from . import figures, nav, permissions, report, rules, standards_io  # noqa: F401

        # What this capability adds to the product, through compliance.registry. Its demo runs
        # after training's (order 20), as it always did.
        permissions.register()
        nav.register()
        figures.register()
        rules.register()  # its rule kinds, for manage.py rules (compliance.rules.base)
        register_demo_builder(DemoBuilder("grading", _build_demo, order=20))
