"""Pages of hidden dangers, mounted under /hazards/ (namespace "hazards")."""

from . import views

app_name = "hazards"

urlpatterns = [*views.urlpatterns]
