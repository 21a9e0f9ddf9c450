from django.urls import path

from . import views

urlpatterns = [
    path("", views.JobListView.as_view(), name="job-list"),
    path("<uuid:pk>/", views.JobDetailView.as_view(), name="job-detail"),
    path("<uuid:pk>/input/", views.JobInputView.as_view(), name="job-input"),
    path("<uuid:pk>/output/", views.JobOutputView.as_view(), name="job-output"),
]
