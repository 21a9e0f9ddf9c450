from compliance import registry

from . import roles
from .scope import Scope


def navigation(request):
    """What the navigation shows: only what the role may use, as the capabilities registered it
    (``compliance.registry.register_nav``); this module names none of them."""
    scope: Scope | None = getattr(request, "scope", None)
    if scope is None or not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    match = getattr(request, "resolver_match", None)
    groups, subnav = registry.navigation_for(
        scope,
        view_name=match.view_name if match else "",
        namespace=match.namespace if match else "",
    )
    return {
        "nav_groups": groups,
        "nav_subnav": subnav,
        "nav": {"me_only": scope.self_only},
        "scope": scope,
        "role_label": roles.ROLE_LABELS.get(scope.primary_role or "", ""),
    }
