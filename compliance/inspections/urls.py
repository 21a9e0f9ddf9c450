"""Pages of inspections, mounted under /training/ where users and QR codes know them."""

from . import views

app_name = "inspections"

urlpatterns = [*views.urlpatterns]
