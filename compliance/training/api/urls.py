"""API routes of the training app (mounted under /api/v1/, namespace "api")."""

from . import assessments, bank, certificates, courses, exams, practice

urlpatterns = [
    *exams.urlpatterns,
    *bank.urlpatterns,
    *courses.urlpatterns,
    *certificates.urlpatterns,
    *practice.urlpatterns,
    *assessments.urlpatterns,
]
