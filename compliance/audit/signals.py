"""Login failures are audited (they are writes of a sort: evidence of an attack)."""

from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from .context import current_actor


@receiver(user_login_failed)
def audit_login_failure(sender, credentials, request=None, **kwargs):
    from tenants.selectors import tenant_id_for_username

    from .services import audit_record

    username = str(credentials.get("username", ""))[:150]
    tenant_id = tenant_id_for_username(username)
    actor = current_actor()
    audit_record(
        action="login_failed",
        tenant_id=tenant_id,
        object_type="auth.User",
        object_repr=username,
        after={"username": username, "ip": actor.ip},
    )
