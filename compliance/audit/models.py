"""Append-only, hash-chained audit events, one chain per tenant (plus one for the platform)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenants import roles
from tenants.models import Tenant
from tenants.scope import ScopedManager


class AuditChain(models.Model):
    """Head of one chain. Locking this row serializes appends, so concurrent writers of one
    tenant cannot fork the chain."""

    key = models.CharField(max_length=64, unique=True)  # tenant id, or "platform"
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"{self.key} #{self.last_seq}"


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", _("Create")
        UPDATE = "update", _("Update")
        DELETE = "delete", _("Delete")
        IMPORT = "import", _("Import")
        EXPORT = "export", _("Export of personal data")
        REVEAL = "reveal", _("Reveal of a resident ID")
        LOGIN_FAILED = "login_failed", _("Login failure")
        GRANT = "grant", _("Grant")
        REVOKE = "revoke", _("Revoke")
        PASSWORD_CHANGE = "password_change", _("Password change")
        PASSWORD_RESET = "password_reset", _("Password reset by a group admin")

    tenant = models.ForeignKey(Tenant, null=True, blank=True, on_delete=models.PROTECT, db_index=True)
    seq = models.BigIntegerField()
    chain_key = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=32, blank=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    # Where the object sits in the org tree: auditors and regulators read events of their subtrees.
    org_path = models.CharField(max_length=400, blank=True, db_index=True)
    # Region codes the event also concerns, each after a space (" 520201 530102"): a mine's change
    # of region or type is read by the regulators of the region it left as well as the one it
    # joined, though its org path now lies only in the new one (tenants.scope: ``scope_regions``).
    regions = models.CharField(max_length=64, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    # The X-Request-ID the client sent, if any: for matching a client's own logs; left out of the
    # hash (compliance.audit.services.HASHED_FIELDS), as nothing vouches for it.
    client_request_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = ScopedManager()
    # Platform operator and the verification command read every chain.
    dangerously_unscoped = models.Manager()

    scope_view_perm = roles.VIEW_AUDIT
    scope_path = "org_path"
    scope_regions = "regions"

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-seq"]
        # Django's internal reads (related-object access, refresh_from_db, saves) start from an
        # object the caller already holds; the default manager stays scoped.
        base_manager_name = "dangerously_unscoped"
        constraints = [
            models.UniqueConstraint(fields=["chain_key", "seq"], name="audit_unique_seq_per_chain")
        ]
        # Few events carry regions; a regulator's scope looks them up on every request.
        indexes = [
            models.Index(
                fields=["regions", "tenant"], condition=~models.Q(regions=""), name="audit_event_regions"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type} {self.object_repr}"

    @property
    def role_label(self) -> str:
        return str(roles.ROLE_LABELS.get(self.role, self.role))
