"""Pages: lists."""

urlpatterns: list = []
