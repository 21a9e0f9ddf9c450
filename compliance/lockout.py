"""Login lockout (django-axes): how failures count, and what a person sees when a login is refused.

A login name is locked after AXES_FAILURE_LIMIT failures (5); an address after
LOGIN_ADDRESS_FAILURE_LIMIT failures across all names (30). The address limit is higher because a
mine site's phones reach us through one NAT address: with 5, a few typos at shift change locked
out the whole site for half an hour. Guessing one account is still stopped at 5, from anywhere.
"""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_lockout_parameters
from django.conf import settings
from django.db.models import Sum
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


class LoginFailureHandler(AxesDatabaseHandler):
    """AXES_HANDLER: django-axes' database handler, with a limit of its own for an address.

    Axes compares one number — the largest failure count over its lockout parameters — with one
    limit. This returns the count per login name as it is, and the count per address scaled to
    that limit (``failures × AXES_FAILURE_LIMIT ÷ LOGIN_ADDRESS_FAILURE_LIMIT``, rounded down), so
    the number reaches the limit exactly when either count reaches its own."""

    def get_failures(self, request, credentials=None) -> int:
        name_limit = settings.AXES_FAILURE_LIMIT
        address_limit = settings.LOGIN_ADDRESS_FAILURE_LIMIT
        worst = 0
        parameters = get_lockout_parameters(request, credentials)
        for parameter, attempts in zip(parameters, self.get_user_attempts(request, credentials), strict=True):
            failures = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            if parameter == "ip_address" or parameter == ["ip_address"]:
                failures = failures * name_limit // address_limit
            worst = max(worst, failures)
        return worst


def cool_off_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_message() -> str:
    return _(
        "Too many failed logins: logging in with this name or from this address is blocked for "
        "%(minutes)d minutes. Try again later."
    ) % {"minutes": cool_off_minutes()}


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the lockout page, or JSON for the API."""
    status = settings.AXES_HTTP_RESPONSE_CODE
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": lockout_message()}, status=status)
    return render(
        request,
        "registration/locked_out.html",
        {"message": lockout_message(), "minutes": cool_off_minutes()},
        status=status,
    )
