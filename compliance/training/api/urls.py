"""API routes of the training app (mounted under /api/v1/, namespace "api")."""

from . import bank, certificates, courses, exams

urlpatterns = [
    *exams.urlpatterns,
    *bank.urlpatterns,
    *courses.urlpatterns,
    *certificates.urlpatterns,
]
