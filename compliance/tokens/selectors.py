"""Reads of API tokens: one's own, plus those of the group a group admin administers."""

from __future__ import annotations

from django.db.models import QuerySet

from compliance.access import first_or_404
from tenants.scope import Scope

from .models import ApiToken, filter_visible


def api_token_list(*, scope: Scope) -> QuerySet[ApiToken]:
    return filter_visible(scope, ApiToken.objects.select_related("user")).order_by("-created_at")


def access_api_token(scope: Scope, pk) -> ApiToken:
    """A token this scope may see; missing, foreign and malformed ids are the same 404."""
    return first_or_404(api_token_list(scope=scope), pk=pk)
