"""API of one's API tokens: list them, revoke one. Tokens are made by POST /api/v1/auth/token/."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers

from compliance.api import ScopedViewSet

from . import selectors, services
from .models import ApiToken

ERRORS = {
    401: OpenApiResponse(description="No valid token or session"),
    403: OpenApiResponse(description="A session login's write without its CSRF token"),
    404: OpenApiResponse(description="Not found — also for tokens that are not yours to manage"),
}


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


@extend_schema(responses={200: ApiTokenSerializer, **ERRORS})
class ApiTokenViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, ScopedViewSet):
    """Your API tokens (never their keys); a group admin also sees those of the group's logins.
    DELETE revokes a token at once. Regulators manage their own tokens too: they are the
    regulator's credentials, not a group's records."""

    model = ApiToken
    serializer_class = ApiTokenSerializer
    acts_on_own_credentials = True

    def scoped_queryset(self, scope):
        return selectors.api_token_list(scope=scope)

    @extend_schema(responses={204: None, **ERRORS})
    def destroy(self, request, *args, **kwargs):
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance):
        services.api_token_revoke(scope=self.scope, token=instance)
