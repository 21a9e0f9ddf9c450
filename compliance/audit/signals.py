"""Login failures are audited (they are writes of a sort: evidence of an attack)."""

from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from .context import current_actor


@receiver(user_login_failed)
def audit_login_failure(sender, credentials, request=None, **kwargs):
    from tenants.scope import dangerously_platform_scope
    from tenants.selectors import login_home

    from .services import audit_record

    username = str(credentials.get("username", ""))[:150]
    actor = current_actor()
    # Nobody is logged in: the event goes into the chain of the tenant the login name belongs to
    # (or the platform's), which only the platform scope may write. Nothing is shown to the caller.
    with dangerously_platform_scope():
        tenant_id, org_path = login_home(username=username)
        audit_record(
            action="login_failed",
            tenant_id=tenant_id,
            object_type="auth.User",
            object_repr=username,
            # At the group's root: an empty path would hide it from every group-scoped view.
            org_path=org_path,
            after={"username": username, "ip": actor.ip},
        )
