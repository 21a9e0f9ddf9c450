"""Passwords: a login changes its own; a group admin resets a member's. Each is audited (never the
password) in the same transaction as the change, and ends what the old password opened: every
other session (Django refuses a session whose password hash no longer matches) and the login's
API tokens — except the session or token the login changed it with."""

from __future__ import annotations

import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from compliance.audit.models import AuditEvent
from compliance.audit.services import audit_record
from compliance.tokens.models import ApiToken
from compliance.tokens.services import api_token_revoke_all
from tenants import roles
from tenants.models import Membership, PasswordChangeRequired, Person
from tenants.scope import Scope, dangerously_platform_scope
from tenants.selectors import login_home

# Read aloud or copied from a screen to a worker: no characters that look alike (0/O, 1/l/I).
TEMPORARY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
TEMPORARY_LENGTH = 12  # about 70 bits


def _audit_password(*, action: str, user, tenant_id, org_path: str, after: dict) -> None:
    # Written under the platform scope, as the token services do: a regulator (read-only scope)
    # or a login without roles still records changing its own password, in its group's chain
    # (the platform's for a regulator).
    with dangerously_platform_scope():
        audit_record(
            action=action,
            tenant_id=tenant_id,
            obj=user,
            object_repr=user.get_username(),
            org_path=org_path,
            after=after,
        )


@transaction.atomic
def password_change(
    *, user, old_password: str, new_password1: str, new_password2: str, keep_token: ApiToken | None = None
) -> int:
    """The login's own new password, after its current one. Clears a reset's forced change.
    Returns how many API tokens were revoked (all but ``keep_token``)."""
    errors: dict[str, list[str]] = {}
    if not user.check_password(old_password or ""):
        errors["old_password"] = [_("Your current password is not correct.")]
    if new_password1 != new_password2:
        errors["new_password2"] = [_("The two new passwords are not the same.")]
    elif new_password1 and new_password1 == old_password:
        errors["new_password1"] = [_("Choose a password different from the current one.")]
    elif not errors:
        try:
            validate_password(new_password1, user)
        except ValidationError as exc:
            errors["new_password1"] = exc.messages
    if errors:
        raise ValidationError(errors)
    forced = PasswordChangeRequired.objects.filter(user=user).exists()
    user.set_password(new_password1)
    user.save(update_fields=["password"])
    PasswordChangeRequired.objects.filter(user=user).delete()
    revoked = api_token_revoke_all(user=user, keep=keep_token)
    tenant_id, org_path = login_home(user=user)
    _audit_password(
        action=AuditEvent.Action.PASSWORD_CHANGE,
        user=user,
        tenant_id=tenant_id,
        org_path=org_path,
        after={"after_reset": forced, "api_tokens_revoked": revoked},
    )
    return revoked


def _temporary_password() -> str:
    return "".join(secrets.choice(TEMPORARY_ALPHABET) for _i in range(TEMPORARY_LENGTH))


@transaction.atomic
def password_reset(*, scope: Scope, membership: Membership) -> tuple[object, str]:
    """A group admin gives a member of the group a temporary password, shown once to the admin
    and stored nowhere; the member must choose their own at the next login. Returns the login and
    the temporary password.

    The admin must be able to manage roles at every place the login holds one (and at its
    person's place): an admin of one subsidiary cannot take over the group admin's login."""
    scope.require(roles.MANAGE_MEMBERSHIPS, membership.org_unit)
    user = membership.user
    if user.pk == scope.user_id:
        raise ValidationError(_("Change your own password on the page “Change password”."))
    if user.is_superuser or user.is_staff:
        raise PermissionDenied("platform operator")
    # All of the login's places, across the tenant (more than the admin may list): only the
    # answer leaves this block.
    with dangerously_platform_scope():
        places = [
            m.org_unit for m in Membership.dangerously_unscoped.select_related("org_unit").filter(user=user)
        ]
        person = Person.dangerously_unscoped.select_related("org_unit").filter(user=user).first()
    if person is not None:
        places.append(person.org_unit)
    for unit in places:
        scope.require(roles.MANAGE_MEMBERSHIPS, unit)
    password = _temporary_password()
    user.set_password(password)
    user.save(update_fields=["password"])
    PasswordChangeRequired.objects.get_or_create(user=user)
    revoked = api_token_revoke_all(user=user)
    _audit_password(
        action=AuditEvent.Action.PASSWORD_RESET,
        user=user,
        tenant_id=membership.tenant_id,
        org_path=membership.org_unit.path,
        after={"must_change": True, "api_tokens_revoked": revoked},
    )
    return user, password
