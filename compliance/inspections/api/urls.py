"""API routes of inspections (mounted under /api/v1/, namespace "api"): /api/v1/inspections/,
where API clients know them, and hidden dangers (/api/v1/hazards/, /api/v1/inspections/findings/,
/api/v1/hazard-criteria/)."""

from compliance.inspections.hazards import api as hazards_api

from .viewsets import urlpatterns as inspection_urlpatterns

urlpatterns = [*inspection_urlpatterns, *hazards_api.urlpatterns]
