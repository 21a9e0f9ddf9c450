"""Pages of team safety points, mounted under /points/."""

from django.urls import path

from compliance.imports.views import ImportTemplateView, ImportView

from . import points_io, views

app_name = "points"

urlpatterns: list = [
    path("", views.EntryListView.as_view(), name="entry-list"),
    path("me/", views.MyPointsView.as_view(), name="me"),
    path("export.xlsx", views.EntryExportView.as_view(), name="entry-export"),
    path("import/", ImportView.as_view(kind=points_io.IMPORT_KIND), name="import"),
    path("import/template/", ImportTemplateView.as_view(kind=points_io.IMPORT_KIND), name="import-template"),
    path("new/", views.EntryCreateView.as_view(), name="entry-create"),
    path("entries/<uuid:pk>/reverse/", views.EntryReverseView.as_view(), name="entry-reverse"),
    path("watch/", views.WatchView.as_view(), name="watch"),
    path("actions/<uuid:pk>/close/", views.ActionCloseView.as_view(), name="action-close"),
    path("proposals/<uuid:pk>/decide/", views.ProposalDecideView.as_view(), name="proposal-decide"),
    path("teams/<uuid:pk>/", views.TeamView.as_view(), name="team"),
    path("rules/", views.RulesView.as_view(), name="rules"),
    path("rules/thresholds/", views.ThresholdSetView.as_view(), name="threshold-set"),
    path("rules/settings/", views.SettingsSetView.as_view(), name="settings-set"),
    path("rules/defaults/", views.DefaultsInstallView.as_view(), name="defaults-install"),
    path("ranking/", views.RankingView.as_view(), name="ranking"),
]
