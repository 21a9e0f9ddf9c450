"""API of outsourcing, under /api/v1/contractors/."""

urlpatterns: list = []
