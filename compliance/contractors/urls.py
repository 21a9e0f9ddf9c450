"""Pages of outsourcing, mounted under /contractors/."""

from django.urls import path
from django.utils.decorators import method_decorator

from compliance.imports.views import ImportTemplateView, ImportView
from compliance.reports import charts

from . import contractors_io
from .views import pages

app_name = "contractors"

urlpatterns: list = [
    path("", pages.ContractorListView.as_view(), name="contractor-list"),
    path("new/", pages.ContractorCreateView.as_view(), name="contractor-create"),
    path("<uuid:pk>/", pages.ContractorDetailView.as_view(), name="contractor-detail"),
    path("<uuid:pk>/edit/", pages.ContractorEditView.as_view(), name="contractor-edit"),
    path("<uuid:pk>/status/", pages.ContractorStatusView.as_view(), name="contractor-status"),
    path(
        "<uuid:pk>/qualifications/new/", pages.QualificationCreateView.as_view(), name="qualification-create"
    ),
    path("<uuid:pk>/file.pdf", pages.ContractorFileView.as_view(), name="contractor-file"),
    path("import/", ImportView.as_view(kind=contractors_io.REGISTER_KIND), name="contractor-import"),
    path(
        "import/template/",
        ImportTemplateView.as_view(kind=contractors_io.REGISTER_KIND),
        name="contractor-import-template",
    ),
    path("export.xlsx", pages.ContractorExportView.as_view(), name="contractor-export"),
    path("qualifications/<uuid:pk>/scan/", pages.QualificationScanView.as_view(), name="qualification-scan"),
    path("engagements/", pages.EngagementListView.as_view(), name="engagement-list"),
    path("engagements/new/", pages.EngagementCreateView.as_view(), name="engagement-create"),
    path("engagements/<uuid:pk>/", pages.EngagementDetailView.as_view(), name="engagement-detail"),
    path("engagements/<uuid:pk>/extend/", pages.EngagementExtendView.as_view(), name="engagement-extend"),
    path("engagements/<uuid:pk>/staff/", pages.StaffAssignView.as_view(), name="staff-assign"),
    path("engagements/<uuid:pk>/staff/import/", pages.StaffImportView.as_view(), name="staff-import"),
    path("staff/import/template/", pages.StaffImportTemplateView.as_view(), name="staff-import-template"),
    path("engagements/<uuid:pk>/appraisals/", pages.AppraisalCreateView.as_view(), name="appraisal-create"),
    path("staff/<uuid:pk>/release/", pages.StaffReleaseView.as_view(), name="staff-release"),
    path("mines/<uuid:pk>/", pages.MineOutsourcingView.as_view(), name="mine-outsourcing"),
    path("dashboard/", pages.DashboardView.as_view(), name="dashboard"),
    path(
        "dashboard/chart.svg",
        method_decorator(charts.chart_csp, name="get")(pages.DashboardChartView).as_view(),
        name="dashboard-chart",
    ),
]
