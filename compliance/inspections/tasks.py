"""The inspections app's Celery tasks. Celery's autodiscovery imports ``<app>.tasks`` only, so the
hazards sub-capability's tasks are imported here to be registered with the worker and beat."""

from .hazards.tasks import escalate_overdue_hazards

__all__ = ["escalate_overdue_hazards"]
