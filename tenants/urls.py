from django.contrib.auth import views as auth_views
from django.urls import path

from compliance.imports.views import ImportTemplateView, ImportView

from . import people_io, views

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("org/", views.OrgTreeView.as_view(), name="org-tree"),
    path("org/new/", views.OrgUnitCreateView.as_view(), name="org-unit-create"),
    path("org/<uuid:pk>/", views.OrgUnitDetailView.as_view(), name="org-unit-detail"),
    path("org/<uuid:pk>/move/", views.OrgUnitMoveView.as_view(), name="org-unit-move"),
    path("org/<uuid:pk>/delete/", views.OrgUnitDeleteView.as_view(), name="org-unit-delete"),
    path("mines/", views.MineListView.as_view(), name="mine-list"),
    path("mines/<uuid:pk>/", views.MineDetailView.as_view(), name="mine-detail"),
    path("mines/<uuid:pk>/edit/", views.MineEditView.as_view(), name="mine-edit"),
    path("people/", views.PersonListView.as_view(), name="person-list"),
    path("people/new/", views.PersonFormView.as_view(), name="person-create"),
    path("people/import/", ImportView.as_view(kind=people_io.IMPORT_KIND), name="person-import"),
    path(
        "people/import/template/",
        ImportTemplateView.as_view(kind=people_io.IMPORT_KIND),
        name="person-import-template",
    ),
    path("people/export/", views.PersonExportView.as_view(), name="person-export"),
    path("people/<uuid:pk>/", views.PersonDetailView.as_view(), name="person-detail"),
    path("people/<uuid:pk>/edit/", views.PersonFormView.as_view(), name="person-edit"),
    path("people/<uuid:pk>/delete/", views.PersonDeleteView.as_view(), name="person-delete"),
    path("people/<uuid:pk>/reveal/", views.PersonRevealView.as_view(), name="person-reveal"),
    path("people/<uuid:pk>/login/", views.PersonLoginCreateView.as_view(), name="person-login-create"),
    path("roles/", views.MembershipListView.as_view(), name="membership-list"),
    path("roles/new/", views.MembershipCreateView.as_view(), name="membership-create"),
    path("roles/<uuid:pk>/revoke/", views.MembershipRevokeView.as_view(), name="membership-revoke"),
]
