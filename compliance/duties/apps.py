from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DutiesConfig(AppConfig):
    """Plugged in through ``compliance.registry``; no other capability imports it. Two areas, each
    registering its own pieces: responsibility lists with their assessment, and the mine-manager
    posts with leaders on shift."""

    name = "compliance.duties"
    label = "duties"
    verbose_name = _("Duties")

    def ready(self):
        self.ready_lists()
        self.ready_posts()

    def ready_lists(self):
        """Responsibility lists (templates, adaptations, acknowledgements) and duty assessments."""
        from compliance.duties import registrations_lists

        registrations_lists.register()

    def ready_posts(self):
        """The mine-manager posts, their filings and warnings; leaders going underground on shift."""
