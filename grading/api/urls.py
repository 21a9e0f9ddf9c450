"""API routes of the grading app (mounted under /api/v1/, namespace "api")."""

urlpatterns: list = []
