"""The one base for every API endpoint: scope resolution, permission by method, errors as JSON.

Subclasses say which rows they work on with ``scoped_queryset(scope)``; they may not override
``get_queryset``/``get_object`` (checked at import time), so no endpoint can forget the scope.
"""

from __future__ import annotations

import dataclasses
import datetime

import django_filters
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import exceptions, serializers, viewsets
from rest_framework.authentication import get_authorization_header
from rest_framework.views import exception_handler as drf_exception_handler

from compliance import rls
from compliance.access import first_or_404
from compliance.accounts.sessions import password_change_pending
from compliance.audit.context import current_actor, set_actor
from compliance.errors import Conflict
from tenants.scope import switch, switch_to_resolved
from tenants.selectors import scope_for_user

PASSWORD_CHANGE_FIRST = _(
    "Your password was reset by a group admin: change it first (POST /api/v1/me/password/ "
    "or the page /account/password/)."
)


def _validation_detail(exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for m in msgs] for field, msgs in exc.message_dict.items()}
    return {"non_field_errors": [str(m) for m in exc.messages]}


class ConflictError(exceptions.APIException):
    status_code = 409
    default_code = "conflict"


def exception_handler(exc, context):
    if isinstance(exc, Conflict):
        exc = ConflictError(exc.message)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_validation_detail(exc))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    return drf_exception_handler(exc, context)


class ScopedAPIMixin:
    """Resolves the scope after DRF authentication (token or session) and activates it.

    On PostgreSQL each API request is one transaction; a read-only scope (a regulator) turns it
    read-only in the database, so even a write path that wrongly passed the permission checks
    fails there.
    """

    def dispatch(self, request, *args, **kwargs):
        if not rls.is_postgres():
            return super().dispatch(request, *args, **kwargs)
        with transaction.atomic():
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        # The page middleware already opened a scope context for this request; switching its
        # value here is undone when that context exits.
        if get_authorization_header(request):
            # A key to look up: the token check and the scope resolution read across tenants,
            # in one platform block that ends by switching to the resolved scope.
            scope = switch_to_resolved(lambda: self._resolve_scope(request))
        else:
            scope = self._resolve_scope(request)
            switch(scope)
        request.scope = scope
        self.scope = scope
        if not getattr(self, "allowed_before_password_change", False) and password_change_pending(request):
            raise exceptions.PermissionDenied(PASSWORD_CHANGE_FIRST)
        if scope.read_only and not (
            getattr(self, "acts_on_own_credentials", False) or getattr(self, "agency_records", False)
        ):
            rls.set_read_only()
        actor = current_actor()
        if request.user.is_authenticated:
            set_actor(
                dataclasses.replace(
                    actor,
                    user_id=request.user.pk,
                    username=request.user.get_username(),
                    role=scope.primary_role or "",
                )
            )
        super().initial(request, *args, **kwargs)

    def _resolve_scope(self, request):
        # Read before authenticating: DRF then replaces the request's user with its own result.
        page_user = getattr(request._request, "user", None)
        page_scope = getattr(request._request, "scope", None)
        self.perform_authentication(request)
        if page_scope is not None and request.user.is_authenticated and request.user is page_user:
            # A session login: the page middleware resolved this same login's scope at the start
            # of this same request; resolving it again would read the same rows.
            return page_scope
        return scope_for_user(request.user)


class ScopedViewSet(ScopedAPIMixin, viewsets.GenericViewSet):
    model = None  # the tenant-owned model the endpoint serves (for the schema)
    lookup_field = "pk"
    lookup_value_regex = "[0-9a-fA-F-]{32,36}"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in ("get_queryset", "get_object"):
            if name in cls.__dict__:
                raise TypeError(f"{cls.__name__} overrides {name}; implement scoped_queryset instead")

    def scoped_queryset(self, scope):
        raise NotImplementedError  # every subclass names its rows

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request, no rows
            return self.model.dangerously_unscoped.none()
        return self.scoped_queryset(self.scope)

    def get_object(self):
        queryset = self.filter_queryset(self.get_queryset())
        value = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        obj = first_or_404(queryset, pk=value)  # the exception handler answers 404 as NotFound
        self.check_object_permissions(self.request, obj)
        return obj


class ScopedRelatedField(serializers.UUIDField):
    """A reference by id inside a request body, looked up inside the caller's scope.

    A foreign or missing id answers 404 — the same as one in the URL — so a body field can
    never be used to probe or touch another tenant's rows.
    """

    def __init__(self, *, access, **kwargs):
        self.access = access
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        pk = super().to_internal_value(data)
        scope = self.context["request"].scope
        try:
            return self.access(scope, pk)
        except Http404 as exc:
            raise exceptions.NotFound(f"{self.field_name}: not found") from exc

    def to_representation(self, value):
        return str(getattr(value, "pk", value))


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 date and time, turned into UTC. Python reads offsets up to ±24 h, PostgreSQL
    refuses any beyond ±15:59 and SQLite's adapter converts to UTC itself: a value that leaves
    the years 1–9999 once in UTC is invalid input (400), never a server error."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return value
        try:
            return value.astimezone(datetime.UTC)
        except OverflowError:
            raise DjangoValidationError(self.error_messages["invalid"], code="invalid") from None


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """The date-and-time filter for API endpoints (``?since=2026-01-31T08:00:00+08:00``)."""

    field_class = UtcDateTimeField


class ScopedRelatedFieldSchema(OpenApiSerializerFieldExtension):
    """In the OpenAPI schema a ScopedRelatedField is a UUID; in a response it is null where the
    model's foreign key may be empty (the group headquarters has no parent), though a request
    must always name an object."""

    target_class = ScopedRelatedField

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        model = getattr(getattr(self.target.parent, "Meta", None), "model", None)
        if direction == "response" and model is not None:
            try:
                if model._meta.get_field(self.target.source).null:
                    schema["nullable"] = True
            except FieldDoesNotExist:
                pass
        return schema


def document_unsupported_media_type(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation that reads a request body answers 415
    to a body it has no parser for (e.g. no Content-Type at all) — DRF's content negotiation."""
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            if "requestBody" in operation:
                operation["responses"].setdefault(
                    "415", {"description": "The body's media type (Content-Type) is not one listed here"}
                )
    return result
