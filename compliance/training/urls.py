"""Pages of the training app; each area keeps its own views and routes."""

from .views import assessments, bank, certificates, courses, dashboard, exams, practice

app_name = "training"

urlpatterns = [
    *exams.urlpatterns,
    *bank.urlpatterns,
    *courses.urlpatterns,
    *certificates.urlpatterns,
    *dashboard.urlpatterns,
    *practice.urlpatterns,
    *assessments.urlpatterns,
]
