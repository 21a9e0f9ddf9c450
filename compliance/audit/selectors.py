from tenants.scope import Scope

from .models import AuditEvent


def audit_event_list(*, scope: Scope, action: str = "", search: str = ""):
    qs = scope.filter_queryset(AuditEvent.objects.all())
    if action:
        qs = qs.filter(action=action)
    if search:
        qs = qs.filter(object_repr__icontains=search) | qs.filter(actor_label__icontains=search)
    return qs.order_by("-created_at", "-seq")
