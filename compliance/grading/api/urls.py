"""API routes of the grading app (mounted under /api/v1/, namespace "api")."""

from . import accidents, assessments, grades, standards

urlpatterns: list = [
    *assessments.urlpatterns,
    *standards.urlpatterns,
    *grades.urlpatterns,
    *accidents.urlpatterns,
]
