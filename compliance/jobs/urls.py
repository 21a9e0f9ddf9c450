from django.urls import path

from . import views

urlpatterns = [path("<uuid:pk>/", views.JobDetailView.as_view(), name="job-detail")]
