"""Making, using and revoking API tokens. Each make and revoke is audited in the same transaction;
the key never reaches the database or the audit trail, only its SHA-256 and first characters."""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance.audit.context import acting_as, current_actor
from compliance.audit.services import audit_record
from tenants.scope import Scope, activate, dangerously_platform_scope
from tenants.selectors import login_home, scope_for_user

from .models import ApiToken, token_admin_tenant_ids

# A recognisable start lets secret scanners and people spot a leaked key.
KEY_START = "ka_"
PREFIX_LENGTH = 8
DEFAULT_NAME = "API"


def key_hash(key: str) -> str:
    # The key is 256 random bits: a plain SHA-256 cannot be reversed or guessed, and it lets
    # authentication find the token with one indexed lookup.
    return hashlib.sha256(key.encode()).hexdigest()


def _snapshot(token: ApiToken) -> dict:
    return {
        "name": token.name,
        "user": token.user.get_username(),
        "key_prefix": token.key_prefix,
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
    }


def _audit(*, action: str, token: ApiToken, org_path: str, before=None, after=None) -> None:
    # The event belongs in the chain of the token's tenant (the platform's for a regulator). The
    # actor was checked to be the owner or that tenant's admin; writing under the platform scope
    # lets a login that has lost its roles, or a regulator, still record revoking its own key.
    with dangerously_platform_scope():
        audit_record(
            action=action,
            tenant_id=token.tenant_id,
            obj=token,
            object_repr=f"{token} · {token.user.get_username()}",
            org_path=org_path,
            before=before,
            after=after,
        )


@transaction.atomic
def api_token_create(
    *, user, name: str = DEFAULT_NAME, expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """A new token of ``user`` (the caller: nobody makes tokens for someone else). Returns the
    token and its key; the key is not kept anywhere and cannot be shown again. Every token
    expires: without ``expires_in_days`` after API_TOKEN_DEFAULT_DAYS, and never later than
    API_TOKEN_MAX_DAYS (a stolen key is good for a bounded time)."""
    max_days = settings.API_TOKEN_MAX_DAYS
    if expires_in_days is None:
        expires_in_days = min(settings.API_TOKEN_DEFAULT_DAYS, max_days)
    if not 1 <= expires_in_days <= max_days:
        raise ValidationError(
            {
                "expires_in_days": _("Between 1 and %(max)d days; empty for the default of %(default)d days.")
                % {"max": max_days, "default": min(settings.API_TOKEN_DEFAULT_DAYS, max_days)}
            }
        )
    key = KEY_START + secrets.token_urlsafe(32)
    tenant_id, org_path = login_home(user=user)
    now = timezone.now()
    token = ApiToken(
        user=user,
        tenant_id=tenant_id,
        name=(name or "").strip() or DEFAULT_NAME,
        key_prefix=key[:PREFIX_LENGTH],
        key_hash=key_hash(key),
        created_at=now,
        expires_at=now + timedelta(days=expires_in_days),
    )
    token.full_clean(exclude=["user", "tenant"])
    token.save()
    _audit(action="create", token=token, org_path=org_path, after=_snapshot(token))
    return token, key


def api_token_issue(
    *, user, name: str = DEFAULT_NAME, expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """For a login that has just proved its password to the API (nobody is logged in yet): the
    token is made, and audited, as that login acting in its own scope."""
    scope = scope_for_user(user)
    actor = dataclasses.replace(
        current_actor(), user_id=user.pk, username=user.get_username(), role=scope.primary_role or ""
    )
    with activate(scope), acting_as(actor):
        return api_token_create(user=user, name=name, expires_in_days=expires_in_days)


@transaction.atomic
def api_token_revoke(*, scope: Scope, token: ApiToken) -> ApiToken:
    """Revoke at once: the owner, or the group admin of the owner's group. Revoking twice is
    harmless and recorded once."""
    if not (
        scope.is_platform
        or token.user_id == scope.user_id
        or (token.tenant_id is not None and token.tenant_id in token_admin_tenant_ids(scope))
    ):
        raise PermissionDenied("not this login's token")
    token = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    before = _snapshot(token)
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    _audit(
        action="revoke",
        token=token,
        org_path=login_home(user=token.user)[1],
        before=before,
        after=_snapshot(token),
    )
    return token


@transaction.atomic
def api_token_revoke_all(*, user, keep: ApiToken | None = None) -> int:
    """Revoke every usable token of ``user`` but ``keep`` (the one the caller is using, if any),
    each revoke audited: after a password change or reset, keys minted with the old password stop
    working. Returns how many were revoked. The caller has checked the right to do so."""
    now = timezone.now()
    # One login's own tokens (user in the filter), wherever they were made: a regulator's or a
    # group's login alike; the caller checked the right.
    with dangerously_platform_scope():
        tokens = list(
            ApiToken.dangerously_unscoped.select_for_update()
            .select_related("user")
            .filter(user=user, revoked_at__isnull=True)
            .exclude(pk=keep.pk if keep is not None else None)
        )
    tokens = [t for t in tokens if t.state_at(now) == ApiToken.State.ACTIVE]
    org_path = login_home(user=user)[1] if tokens else ""
    for token in tokens:
        before = _snapshot(token)
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        _audit(action="revoke", token=token, org_path=org_path, before=before, after=_snapshot(token))
    return len(tokens)


def api_token_authenticate(*, key: str) -> ApiToken | None:
    """The usable token with this key, or None (unknown, revoked, expired, or its login disabled).
    Notes the time of use, at most once per API_TOKEN_LAST_USED_RESOLUTION seconds."""
    if not key.startswith(KEY_START) or len(key) > 100:
        return None
    # Authentication runs before a scope exists (also under row-level security, hence the
    # platform scope); the lookup is by the hash of the secret the caller presented, so it can
    # only ever find the caller's own token.
    with dangerously_platform_scope():
        # The login's pending password change comes with it (compliance.accounts refuses the API).
        token = (
            ApiToken.dangerously_unscoped.select_related("user", "user__password_change_required")
            .filter(key_hash=key_hash(key))
            .first()
        )
        now = timezone.now()
        if token is None or token.state_at(now) != ApiToken.State.ACTIVE or not token.user.is_active:
            return None
        resolution = timedelta(seconds=settings.API_TOKEN_LAST_USED_RESOLUTION)
        if token.last_used_at is None or now - token.last_used_at >= resolution:
            # A conditional update: concurrent requests write the time once, not once each.
            ApiToken.dangerously_unscoped.filter(pk=token.pk).filter(
                Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - resolution)
            ).update(last_used_at=now)
            token.last_used_at = now
    return token
