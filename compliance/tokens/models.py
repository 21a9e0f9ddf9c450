"""API tokens (API 令牌): a login's named, revocable keys for the REST API.

Only the SHA-256 of a key is stored; the key itself is shown once, when it is made. A token
belongs to one login and carries that login's tenant (None for regulators), so that the group
admin can see and revoke the tokens of the group's logins.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants import roles
from tenants.models import Tenant
from tenants.scope import Scope, current_scope


def token_admin_tenant_ids(scope: Scope) -> frozenset:
    """Tenants whose logins' tokens this scope manages: a group admin at the group's HQ. A token
    is not tied to a place in the org tree, so an admin of one subtree manages only their own."""
    return frozenset(
        g.tenant_id for g in scope.grants if g.role == roles.TENANT_ADMIN and g.path.count("/") == 1
    )


def filter_visible(scope: Scope, qs: models.QuerySet) -> models.QuerySet:
    """One's own tokens, plus those of the tenants one administers."""
    if scope.is_platform:
        return qs
    condition = Q(pk__in=[])
    if scope.user_id is not None:
        condition |= Q(user_id=scope.user_id)
    admin_of = token_admin_tenant_ids(scope)
    if admin_of:
        condition |= Q(tenant_id__in=admin_of)
    return qs.filter(condition)


class ApiTokenManager(models.Manager):
    """Fails closed without an active scope, like every tenant-owned table's manager."""

    def get_queryset(self):
        return filter_visible(current_scope(), super().get_queryset())


class ApiToken(models.Model):
    class State(models.TextChoices):
        ACTIVE = "active", _("Active")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Revoked")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("login")
    )
    tenant = models.ForeignKey(Tenant, null=True, blank=True, on_delete=models.PROTECT, editable=False)
    name = models.CharField(_("name"), max_length=100)
    key_prefix = models.CharField(_("key starts with"), max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    objects = ApiTokenManager()
    # Authentication looks a token up by the hash of the key the caller presents, before any scope
    # exists; the operator's admin lists every token. Each use says why it is safe.
    dangerously_unscoped = models.Manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]
        # Django's internal reads (related-object access, refresh_from_db, saves) start from an
        # object the caller already holds; the default manager stays scoped.
        base_manager_name = "dangerously_unscoped"

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    def state_at(self, when) -> str:
        if self.revoked_at is not None:
            return self.State.REVOKED
        if self.expires_at is not None and self.expires_at <= when:
            return self.State.EXPIRED
        if self.expires_at is None and self.created_at + timedelta(days=settings.API_TOKEN_MAX_DAYS) <= when:
            # Made before every token had a lifetime: it ends when the longest allowed would.
            return self.State.EXPIRED
        return self.State.ACTIVE

    @property
    def state(self) -> str:
        return self.state_at(timezone.now())

    @property
    def state_label(self) -> str:
        return str(self.State(self.state).label)
