"""Pages of inspections, mounted under /training/ where users and QR codes know them."""

from . import record_views, views

app_name = "inspections"

urlpatterns = [*views.urlpatterns, *record_views.urlpatterns]
