"""``Authorization: Token kaf_…`` — a mine's monitoring system (``AlarmFeed``) on the intake API.

Only the intake endpoint takes these keys, and it takes nothing else: a login's API token there is
refused (a person enters alarms through the import, not as a system)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from . import services


class AlarmFeedAuthentication(BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header: Token followed by the key."))
        try:
            key = parts[1].decode("ascii")
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked alarm feed key.")) from exc
        feed = services.feed_authenticate(key)
        if feed is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked alarm feed key."))
        # No login: the feed is the credential (request.user stays anonymous).
        from django.contrib.auth.models import AnonymousUser

        return AnonymousUser(), feed

    def authenticate_header(self, request) -> str:
        return self.keyword


class AlarmFeedScheme(OpenApiAuthenticationExtension):
    target_class = "compliance.alarms.auth.AlarmFeedAuthentication"
    name = "alarmFeedAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A mine's alarm feed key, sent as 'Token kaf_…' (made on /alarms/feeds/). "
            "Bound to one mine: it posts that mine's alarms and nothing else.",
        }
