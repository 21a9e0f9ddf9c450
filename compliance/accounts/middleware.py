"""Session lifetimes and the forced password change, for every request (pages and API)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from .sessions import MUST_CHANGE_PASSWORD, session_expired


class SessionExpiryMiddleware:
    """Logs out a session past SESSION_IDLE_MINUTES without a request or SESSION_ABSOLUTE_HOURS
    after its login. The request then goes on as a logged-out one: a page redirects to the login,
    the API answers 401/403. Requests with a token carry no session and are not concerned."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and session_expired(request.session):
            logout(request)
            if not request.path_info.startswith("/api/"):
                messages.info(request, _("Your session has expired. Please log in again."))
        return self.get_response(request)


# Reachable while a password change is pending: the change itself, logging out, the language.
ALLOWED_URL_NAMES = {"account-password", "logout", "set_language"}


class PasswordChangeRequiredMiddleware:
    """A login whose password a group admin reset reaches only the change-password page until it
    has chosen its own. The API answers 403 instead (compliance.api, where tokens are known)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.user.is_authenticated
            and request.session.get(MUST_CHANGE_PASSWORD)
            and not self._allowed(request.path_info)
        ):
            return redirect("account-password")
        return self.get_response(request)

    @staticmethod
    def _allowed(path: str) -> bool:
        if path.startswith(("/api/", "/" + settings.STATIC_URL.lstrip("/"))):
            return True
        try:
            return resolve(path).url_name in ALLOWED_URL_NAMES
        except Resolver404:
            return False
