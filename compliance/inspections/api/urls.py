"""API routes of inspections (mounted under /api/v1/, namespace "api"): /api/v1/inspections/,
where API clients know them, and hidden dangers (/api/v1/hazards/, /api/v1/inspections/findings/,
/api/v1/hazard-criteria/), and regulators' own records (/api/v1/agency/…)."""

from compliance.inspections.agency import api as agency_api
from compliance.inspections.hazards import api as hazards_api

from .viewsets import urlpatterns as inspection_urlpatterns

urlpatterns = [*inspection_urlpatterns, *hazards_api.urlpatterns, *agency_api.urlpatterns]
