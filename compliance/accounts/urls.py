from django.urls import path

from . import views

urlpatterns = [
    path("account/password/", views.PasswordChangeView.as_view(), name="account-password"),
    path(
        "roles/<uuid:pk>/password-reset/", views.PasswordResetView.as_view(), name="membership-password-reset"
    ),
]
