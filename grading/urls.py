"""Pages of the grading app; each area keeps its own views and routes."""

app_name = "grading"

urlpatterns: list = []
