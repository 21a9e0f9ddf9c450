from django.urls import path

from . import views

urlpatterns = [
    path("tokens/", views.TokenListView.as_view(), name="account-tokens"),
    path("tokens/<uuid:pk>/revoke/", views.TokenRevokeView.as_view(), name="account-token-revoke"),
]
