from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "compliance.jobs"
    label = "jobs"
    verbose_name = _("Background jobs")

    def ready(self) -> None:
        from compliance import files  # also registers the check that uploads stay private

        files.guard_image_decoding()

        from compliance.registry import NavEntry, register_nav
        from tenants import roles

        # My imports and reports, to find a result or a report again.
        register_nav(
            NavEntry(
                "jobs",
                "system",
                _("My imports and reports"),
                "job-list",
                visible=lambda scope: scope.has_perm(roles.VIEW_JOBS) and not scope.self_only,
                order=30,
            )
        )
