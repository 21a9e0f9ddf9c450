"""The one base for every API endpoint: scope resolution, permission by method, errors as JSON.

Subclasses say which rows they work on with ``scoped_queryset(scope)``; they may not override
``get_queryset``/``get_object`` (checked at import time), so no endpoint can forget the scope.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, serializers, viewsets
from rest_framework.views import exception_handler as drf_exception_handler

from compliance.audit.context import current_actor, set_actor
from tenants.scope import _current as _scope_var
from tenants.selectors import scope_for_user


def _validation_detail(exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for m in msgs] for field, msgs in exc.message_dict.items()}
    return {"non_field_errors": [str(m) for m in exc.messages]}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_validation_detail(exc))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    return drf_exception_handler(exc, context)


class ScopedAPIMixin:
    """Resolves the scope after DRF authentication (token or session) and activates it."""

    def initial(self, request, *args, **kwargs):
        self.perform_authentication(request)
        scope = scope_for_user(request.user)
        request.scope = scope
        self.scope = scope
        # The page middleware already opened a scope context for this request; switching its
        # value here is undone when that context exits.
        _scope_var.set(scope)
        actor = current_actor()
        if request.user.is_authenticated:
            set_actor(
                type(actor)(
                    user_id=request.user.pk,
                    username=request.user.get_username(),
                    role=scope.primary_role or "",
                    request_id=actor.request_id,
                    ip=actor.ip,
                )
            )
        super().initial(request, *args, **kwargs)


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
        try:
            obj = queryset.filter(pk=value).first()
        except (ValueError, DjangoValidationError):
            obj = None
        if obj is None:
            raise exceptions.NotFound()
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
