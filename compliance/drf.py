"""Settings-level DRF classes, kept apart from compliance.api so DRF can import them while it
is itself still loading."""

from rest_framework import parsers, permissions
from rest_framework.exceptions import ParseError
from rest_framework.pagination import PageNumberPagination

from compliance import jsoninput
from compliance.pages import CappedPaginator


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class CappedPagination(Pagination):
    """Pagination of a list too long to count exactly (a province's hazard register): ``count``
    stops at the paginator's cap and ``count_capped`` says there are more (narrow the filters).
    See ``compliance.pages.CappedPaginator``."""

    django_paginator_class = CappedPaginator

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["count_capped"] = self.page.paginator.capped
        return response

    def get_paginated_response_schema(self, schema):
        out = super().get_paginated_response_schema(schema)
        out["properties"]["count_capped"] = {
            "type": "boolean",
            "description": "true: there are more rows than count (the count stops at its cap)",
        }
        return out


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing a body nested deeper than JSON_MAX_DEPTH with 400 before it is
    parsed (compliance.jsoninput)."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            return jsoninput.loads(stream.read() if stream else b"", encoding=encoding, strict=self.strict)
        except jsoninput.TooDeep as exc:
            raise ParseError(str(exc)) from exc
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc


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
            # A regulator writes only its agency's own records (their services check it).
            return bool(getattr(view, "agency_records", False))
        return True
