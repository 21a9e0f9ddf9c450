"""API of one's account: change one's password; a group admin resets a member's."""

from __future__ import annotations

from django.contrib.auth import update_session_auth_hash
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance.api import ScopedAPIMixin
from compliance.http import no_store
from compliance.tokens.models import ApiToken
from tenants import selectors

from . import services
from .sessions import MUST_CHANGE_PASSWORD

ERRORS = {
    400: OpenApiResponse(description="Invalid input: a message per field"),
    401: OpenApiResponse(description="Not logged in, or a missing, expired or revoked token"),
    403: OpenApiResponse(description="Not permitted (e.g. a regulator, or a role that cannot manage logins)"),
    404: OpenApiResponse(description="Not found — also for logins outside your scope"),
}


class PasswordChangeSerializer(serializers.Serializer):
    old_password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})
    new_password1 = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})
    new_password2 = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})


class PasswordChangeView(ScopedAPIMixin, APIView):
    """Change your own password. Your other sessions end and your other API tokens are revoked;
    the session or token making this request keeps working. Allowed (and required) after a group
    admin reset your password, when everything else answers 403."""

    acts_on_own_credentials = True
    allowed_before_password_change = True

    @extend_schema(
        request=PasswordChangeSerializer,
        responses={
            200: inline_serializer("PasswordChanged", {"api_tokens_revoked": serializers.IntegerField()}),
            400: ERRORS[400],
            401: ERRORS[401],
            403: ERRORS[403],
        },
    )
    def post(self, request):
        data = PasswordChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token = request.auth if isinstance(request.auth, ApiToken) else None
        revoked = services.password_change(user=request.user, keep_token=token, **data.validated_data)
        if token is None:
            update_session_auth_hash(request._request, request.user)
            request._request.session.pop(MUST_CHANGE_PASSWORD, None)
        return Response({"api_tokens_revoked": revoked})


class PasswordResetView(ScopedAPIMixin, APIView):
    """Group admin: give the login of a role membership a temporary password (returned once,
    stored nowhere). The member must change it before using anything else; their sessions end and
    their API tokens are revoked. Needs the right to manage roles wherever that login holds one."""

    @extend_schema(
        request=None,
        responses={
            200: inline_serializer(
                "PasswordReset",
                {
                    "username": serializers.CharField(),
                    "temporary_password": serializers.CharField(),
                    "must_change": serializers.BooleanField(),
                },
            ),
            **ERRORS,
        },
    )
    def post(self, request, pk):
        membership = selectors.access_membership(self.scope, pk)
        user, password = services.password_reset(scope=self.scope, membership=membership)
        response = Response(
            {"username": user.get_username(), "temporary_password": password, "must_change": True}
        )
        return no_store(response)  # the temporary password is shown once, kept nowhere
