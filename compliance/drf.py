"""Settings-level DRF classes, kept apart from compliance.api so DRF can import them while it
is itself still loading."""

from rest_framework import permissions
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class ScopePermission(permissions.BasePermission):
    """Authenticated, holding some grant; read-only scopes (regulators) may only read."""

    def has_permission(self, request, view) -> bool:
        if getattr(view, "public", False):
            return True
        if not request.user or not request.user.is_authenticated:
            return False
        if getattr(view, "acts_on_own_credentials", False):
            # The caller's own credentials (API tokens), not tenant data: any login, regulators
            # included, may list and revoke its own; the services check ownership.
            return True
        scope = getattr(request, "scope", None)
        if scope is None or not scope.grants:
            return False
        if scope.read_only and request.method not in permissions.SAFE_METHODS:
            return False
        return True
