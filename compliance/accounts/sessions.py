"""What a login's session carries besides Django's own keys: when it logged in, when it was last
active, and whether it must change its password before anything else.

The flag is copied into the session at login, so the pages' middleware decides without a query:
a reset changes the password, which ends every session the login had (Django checks the password
hash on each request), so a session that outlived a reset cannot exist.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

LOGIN_AT = "_kuangan_login_at"
ACTIVE_AT = "_kuangan_active_at"
MUST_CHANGE_PASSWORD = "_kuangan_must_change_password"


def _now() -> float:
    return timezone.now().timestamp()


def on_login(sender, request, user, **kwargs) -> None:
    """user_logged_in: the session's clocks start, and a pending reset is noted."""
    from tenants.models import PasswordChangeRequired

    if request is None or not hasattr(request, "session"):
        return
    now = _now()
    request.session[LOGIN_AT] = now
    request.session[ACTIVE_AT] = now
    if PasswordChangeRequired.objects.filter(user=user).exists():
        request.session[MUST_CHANGE_PASSWORD] = True
    else:
        request.session.pop(MUST_CHANGE_PASSWORD, None)


def session_expired(session) -> bool:
    """Whether the session is past its idle or absolute limit; otherwise notes the activity
    (written at most once per SESSION_ACTIVITY_RESOLUTION seconds: a session save is a write)."""
    now = _now()
    login_at = session.get(LOGIN_AT)
    active_at = session.get(ACTIVE_AT)
    if login_at is None:
        # A session from before these limits: its clocks start now.
        session[LOGIN_AT] = session[ACTIVE_AT] = now
        return False
    if now - login_at > settings.SESSION_ABSOLUTE_HOURS * 3600:
        return True
    if active_at is not None and now - active_at > settings.SESSION_IDLE_MINUTES * 60:
        return True
    if active_at is None or now - active_at >= settings.SESSION_ACTIVITY_RESOLUTION:
        session[ACTIVE_AT] = now
    return False


def password_change_pending(request) -> bool:
    """For the API: the login behind this request must change its password first. A token's login
    was read together with the token (its flag included); a session carries the flag."""
    from compliance.tokens.models import ApiToken

    if isinstance(getattr(request, "auth", None), ApiToken):
        return hasattr(request.auth.user, "password_change_required")
    session = getattr(getattr(request, "_request", request), "session", None)
    return bool(session is not None and session.get(MUST_CHANGE_PASSWORD))
