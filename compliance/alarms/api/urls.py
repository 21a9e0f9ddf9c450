"""API of monitoring alarms, under /api/v1/alarms/."""

from .viewsets import urlpatterns as _routes

urlpatterns: list = [*_routes]
