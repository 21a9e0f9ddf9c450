"""Pages of agency-owned records, mounted under /agency/ (namespace "agency")."""

from . import views

app_name = "agency"

urlpatterns = [*views.urlpatterns]
