"""API of outsourcing, under /api/v1/contractors/."""

from .viewsets import urlpatterns as _routes

urlpatterns: list = [*_routes]
