"""Pages of outsourcing, mounted under /contractors/."""

app_name = "contractors"

urlpatterns: list = []
