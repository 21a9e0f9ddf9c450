from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from compliance.accounts import api as accounts_api
from compliance.alarms.api import urls as alarms_api_urls
from compliance.audit.api import AuditEventViewSet
from compliance.contractors.api import urls as contractors_api_urls
from compliance.duties.api import urls as duties_api_urls
from compliance.grading.api import urls as grading_api_urls
from compliance.inspections.api import urls as inspections_api_urls
from compliance.jobs.api import JobViewSet
from compliance.points import api as points_api
from compliance.tokens.api import ApiTokenViewSet, TokenView
from compliance.training.api import urls as training_api_urls
from tenants import api as tenants_api

router = SimpleRouter()
router.register("org-units", tenants_api.OrgUnitViewSet, basename="org-unit")
router.register("mines", tenants_api.MineViewSet, basename="mine")
router.register("people", tenants_api.PersonViewSet, basename="person")
router.register("memberships", tenants_api.MembershipViewSet, basename="membership")
router.register("audit-events", AuditEventViewSet, basename="audit-event")
router.register("jobs", JobViewSet, basename="job")
router.register("tokens", ApiTokenViewSet, basename="api-token")

api_v1 = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("me/", tenants_api.MeView.as_view(), name="api-me"),
    path("me/password/", accounts_api.PasswordChangeView.as_view(), name="api-password-change"),
    path(
        "memberships/<uuid:pk>/reset-password/",
        accounts_api.PasswordResetView.as_view(),
        name="membership-password-reset",
    ),
    *router.urls,
    *training_api_urls.urlpatterns,
    *grading_api_urls.urlpatterns,
    *inspections_api_urls.urlpatterns,
    *duties_api_urls.urlpatterns,
    *contractors_api_urls.urlpatterns,
    *points_api.urlpatterns,
    *alarms_api_urls.urlpatterns,
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script under the CSP.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("tenants.urls")),
    path("", include("compliance.accounts.urls")),
    path("audit/", include("compliance.audit.urls")),
    path("jobs/", include("compliance.jobs.urls")),
    path("account/", include("compliance.tokens.urls")),
    path("training/", include("compliance.training.urls")),
    # Inspections moved out of training; their pages keep the paths users and QR codes know.
    path("training/", include("compliance.inspections.urls")),
    path("hazards/", include("compliance.inspections.hazards.urls")),
    path("agency/", include("compliance.inspections.agency.urls")),
    path("grading/", include("compliance.grading.urls")),
    path("duties/", include("compliance.duties.urls")),
    path("contractors/", include("compliance.contractors.urls")),
    path("points/", include("compliance.points.urls")),
    path("alarms/", include("compliance.alarms.urls")),
    path("notifications/", include("compliance.notifications.urls")),
]

# Error pages in the product's look, translated, with the navigation and a way back (the API
# answers JSON, as its views do).
handler403 = "compliance.http.permission_denied"
handler404 = "compliance.http.page_not_found"
handler500 = "compliance.http.server_error"
