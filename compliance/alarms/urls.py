"""Pages of monitoring alarms, mounted under /alarms/."""

from django.urls import path

from compliance.imports.views import ImportTemplateView, ImportView

from . import alarms_io, views

app_name = "alarms"

urlpatterns: list = [
    path("", views.AlarmListView.as_view(), name="alarm-list"),
    path("<uuid:pk>/", views.AlarmDetailView.as_view(), name="alarm-detail"),
    path("<uuid:pk>/acknowledge/", views.AcknowledgeView.as_view(), name="alarm-acknowledge"),
    path("<uuid:pk>/check/", views.CheckView.as_view(), name="alarm-check"),
    path("<uuid:pk>/close/", views.CloseView.as_view(), name="alarm-close"),
    path("stats/", views.StatsView.as_view(), name="stats"),
    path("stats/chart.svg", views.StatsChartView.as_view(), name="stats-chart"),
    path("deadlines/", views.DeadlinesView.as_view(), name="deadlines"),
    path("feeds/", views.FeedListView.as_view(), name="feed-list"),
    path("feeds/<uuid:pk>/revoke/", views.FeedRevokeView.as_view(), name="feed-revoke"),
    path("import/", ImportView.as_view(kind=alarms_io.IMPORT_KIND), name="alarm-import"),
    path(
        "import/template/",
        ImportTemplateView.as_view(kind=alarms_io.IMPORT_KIND),
        name="alarm-import-template",
    ),
]
