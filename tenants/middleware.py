import dataclasses

from django.db import transaction

from compliance import rls
from compliance.audit.context import current_actor, reset_actor, set_actor
from compliance.pages import view_acts_on_own_credentials, view_keeps_agency_records

from .scope import PLATFORM, activate
from .selectors import EMPTY_SCOPE, scope_for_user


class ScopeMiddleware:
    """Resolves the logged-in user's scope and keeps it active for the whole request.

    The platform scope is given only to superusers inside Django admin. API views re-resolve
    the scope after DRF authentication (tokens are not seen here).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if user.is_superuser and request.path.startswith("/admin/"):
                scope = PLATFORM
            else:
                scope = scope_for_user(user)
        else:
            scope = EMPTY_SCOPE
        request.scope = scope
        actor = current_actor()
        token = set_actor(
            dataclasses.replace(
                actor,
                user_id=user.pk if user is not None and user.is_authenticated else None,
                username=user.get_username() if user is not None and user.is_authenticated else "",
                role="platform" if scope.is_platform else (scope.primary_role or ""),
            )
        )
        try:
            with activate(scope):
                # Except where a regulator manages its own API tokens or keeps its agency's own
                # records (not tenant data).
                if (
                    scope.read_only
                    and rls.is_postgres()
                    and not view_acts_on_own_credentials(request)
                    and not view_keeps_agency_records(request)
                ):
                    # A regulator's page request is one read-only transaction in the database.
                    with transaction.atomic():
                        rls.set_read_only()
                        return self.get_response(request)
                return self.get_response(request)
        finally:
            reset_actor(token)
