from . import roles
from .scope import Scope


def navigation(request):
    """What the navigation shows: only what the role may use."""
    scope: Scope | None = getattr(request, "scope", None)
    if scope is None or not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    has = scope.has_perm
    self_only = (
        roles.SELF_ONLY in {p for r in scope.roles for p in roles.perms_of(r)} and len(scope.roles) == 1
    )
    return {
        "nav": {
            "org": has(roles.VIEW_ORG) and not self_only and not scope.is_regulator,
            "mines": has(roles.VIEW_ORG) and not self_only,
            "people": has(roles.VIEW_PEOPLE),
            "me_only": self_only,
            "roles": has(roles.VIEW_MEMBERSHIPS),
            "audit": has(roles.VIEW_AUDIT),
            "import": has(roles.MANAGE_PEOPLE),
            # The question bank holds the answer keys: never shown to regulators or workers.
            "bank": has(roles.VIEW_QUESTION_BANK),
            # Sitting one's own exams needs a login linked to a person record.
            "exams": has(roles.TAKE_EXAMS) and bool(scope.person_id),
            "certificates": has(roles.VIEW_TRAINING),
            "training_dashboard": has(roles.VIEW_TRAINING) and not self_only,
            "inspections": has(roles.VIEW_TRAINING) and not self_only,
            # Hours against the rules and sessions; a worker sees their own hours instead.
            "training": has(roles.VIEW_TRAINING) and not self_only,
            "my_training": has(roles.VIEW_TRAINING) and self_only and bool(scope.person_id),
            # Standardization grading: one entry; its pages share a sub-navigation.
            "grading": has(roles.VIEW_GRADING) and not self_only,
        },
        "scope": scope,
        "role_label": roles.ROLE_LABELS.get(scope.primary_role or "", ""),
    }
