"""Pages: posts."""

urlpatterns: list = []
