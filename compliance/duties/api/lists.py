"""API: lists."""

urlpatterns: list = []
