"""API of one's API tokens: the token login (POST /api/v1/auth/token/ exchanges a login name and
password for a token), the list of one's tokens, revoking one."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance.api import ScopedViewSet
from compliance.errors import ERRORS
from compliance.lockout import lockout_message

from . import selectors, services
from .models import ApiToken

TOKEN_ERRORS = {
    401: OpenApiResponse(description="No valid token or session"),
    403: OpenApiResponse(description="A session login's write without its CSRF token"),
    404: OpenApiResponse(description="Not found — also for tokens that are not yours to manage"),
}


# --- the token login ----------------------------------------------------------------------------
class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    name = serializers.CharField(
        max_length=100, required=False, default="API", help_text="What the token is for (shown in the list)"
    )
    expires_in_days = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        help_text="Empty: API_TOKEN_DEFAULT_DAYS (90 unless configured); at most API_TOKEN_MAX_DAYS (365)",
    )


class TokenView(APIView):
    """Exchange a login name and password for a new API token (``Authorization: Token <token>``).

    Each call makes a new token; list and revoke them at /api/v1/tokens/. The key is shown only
    in this response. After 5 failed attempts the login name (and, separately, the client
    address) is locked out for 30 minutes: 429.
    """

    permission_classes = [AllowAny]
    authentication_classes = []
    public = True

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: inline_serializer(
                "Token",
                {
                    "token": serializers.CharField(),
                    "id": serializers.UUIDField(),
                    "expires_at": serializers.DateTimeField(allow_null=True),
                },
            ),
            400: ERRORS[400],
            429: inline_serializer("LockedOut", {"detail": serializers.CharField()}),
        },
    )
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        # The request goes to authenticate() so that django-axes can count failures and refuse.
        user = authenticate(request, username=v["username"], password=v["password"])
        if user is None:
            if getattr(request, "axes_locked_out", False):
                return Response({"detail": lockout_message()}, status=status.HTTP_429_TOO_MANY_REQUESTS)
            raise serializers.ValidationError({"non_field_errors": [_("Wrong login name or password.")]})
        token, key = services.api_token_issue(
            user=user, name=v["name"], expires_in_days=v.get("expires_in_days")
        )
        response = Response({"token": key, "id": str(token.pk), "expires_at": token.expires_at})
        response["Cache-Control"] = "no-store"
        return response


# --- one's tokens --------------------------------------------------------------------------------
class ApiTokenSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    state = serializers.ChoiceField(choices=ApiToken.State.choices, read_only=True)

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "username",
            "key_prefix",
            "state",
            "created_at",
            "last_used_at",
            "expires_at",
            "revoked_at",
        ]
        read_only_fields = fields


@extend_schema(responses={200: ApiTokenSerializer, **TOKEN_ERRORS})
class ApiTokenViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, ScopedViewSet):
    """Your API tokens (never their keys); a group admin also sees those of the group's logins.
    DELETE revokes a token at once. Regulators manage their own tokens too: they are the
    regulator's credentials, not a group's records."""

    model = ApiToken
    serializer_class = ApiTokenSerializer
    acts_on_own_credentials = True

    def scoped_queryset(self, scope):
        return selectors.api_token_list(scope=scope)

    @extend_schema(responses={204: None, **TOKEN_ERRORS})
    def destroy(self, request, *args, **kwargs):
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance):
        services.api_token_revoke(scope=self.scope, token=instance)
