"""API: posts."""

urlpatterns: list = []
