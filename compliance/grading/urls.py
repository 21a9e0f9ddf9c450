"""Pages of the grading app; each area keeps its own views and routes."""

from .views import accidents, assessments, dashboard, grades, report, standards

app_name = "grading"

urlpatterns: list = [
    *assessments.urlpatterns,
    *report.urlpatterns,
    *standards.urlpatterns,
    *grades.urlpatterns,
    *accidents.urlpatterns,
    *dashboard.urlpatterns,
]
