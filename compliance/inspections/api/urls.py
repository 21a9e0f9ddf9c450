"""API routes of inspections (mounted under /api/v1/, namespace "api"): /api/v1/inspections/,
where API clients know them."""

from .viewsets import urlpatterns  # noqa: F401
