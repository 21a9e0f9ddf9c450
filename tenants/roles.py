"""Roles are bundles of permissions granted at an org unit (a membership).

Permission follows the subtree of the unit the role was granted at. Permissions are plain
strings so that a later capability adds its own without touching this file's callers.
"""

from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

TENANT_ADMIN = "tenant_admin"
HQ_AUDITOR = "hq_auditor"
SAFETY_MANAGER = "safety_manager"
TEAM_LEADER = "team_leader"
WORKER = "worker"
# Not grantable by a tenant: the read-only bundle of a regulator agency, and the bundle an
# ad-hoc object permission (django-guardian) gives on one org unit.
REGULATOR = "regulator"
GUEST_AUDITOR = "guest_auditor"

ROLE_CHOICES = [
    (TENANT_ADMIN, _("Group admin")),
    (HQ_AUDITOR, _("HQ auditor")),
    (SAFETY_MANAGER, _("Safety manager")),
    (TEAM_LEADER, _("Team leader")),
    (WORKER, _("Worker")),
]
ROLE_LABELS = dict(ROLE_CHOICES) | {REGULATOR: _("Regulator"), GUEST_AUDITOR: _("Guest auditor")}
ROLE_ORDER = [TENANT_ADMIN, HQ_AUDITOR, SAFETY_MANAGER, TEAM_LEADER, WORKER, REGULATOR, GUEST_AUDITOR]
# The roles of group HQ (集团总部), whose view is the whole group: their home page shows every
# subsidiary's status (tenants.home.group_status).
GROUP_ROLES = frozenset({TENANT_ADMIN, HQ_AUDITOR})

VIEW_ORG = "view_org"
MANAGE_ORG = "manage_org"  # create, rename, move and delete org units
EDIT_MINE_PROFILE = "edit_mine_profile"
# A mine's region code and type decide which regulator oversees it: changed only with a reason,
# and both regions' regulators are told (tenants.services.mine_profile_update).
CHANGE_JURISDICTION = "change_jurisdiction"
VIEW_PEOPLE = "view_people"
MANAGE_PEOPLE = "manage_people"
EXPORT_PEOPLE = "export_people"
REVEAL_RESIDENT_ID = "reveal_resident_id"
VIEW_MEMBERSHIPS = "view_memberships"
MANAGE_MEMBERSHIPS = "manage_memberships"
VIEW_AUDIT = "view_audit"
VIEW_JOBS = "view_jobs"
# A capability's own permissions (training, grading, inspections, ...) live in its
# ``permissions`` module and join these bundles through ``register_permissions`` in its
# ``AppConfig.ready()``.

# Marker: the holder reads only records about themself.
SELF_ONLY = "self_only"

# Grows as capabilities register their write permissions (register_permissions).
WRITE_PERMS = set(
    {
        MANAGE_ORG,
        EDIT_MINE_PROFILE,
        CHANGE_JURISDICTION,
        MANAGE_PEOPLE,
        REVEAL_RESIDENT_ID,
        MANAGE_MEMBERSHIPS,
        EXPORT_PEOPLE,
    }
)

_PERMS = {
    TENANT_ADMIN: {
        VIEW_ORG,
        MANAGE_ORG,
        EDIT_MINE_PROFILE,
        CHANGE_JURISDICTION,
        VIEW_PEOPLE,
        MANAGE_PEOPLE,
        EXPORT_PEOPLE,
        REVEAL_RESIDENT_ID,
        VIEW_MEMBERSHIPS,
        MANAGE_MEMBERSHIPS,
        VIEW_AUDIT,
        VIEW_JOBS,
    },
    HQ_AUDITOR: {
        VIEW_ORG,
        VIEW_PEOPLE,
        VIEW_MEMBERSHIPS,
        VIEW_AUDIT,
        VIEW_JOBS,
    },
    SAFETY_MANAGER: {
        VIEW_ORG,
        EDIT_MINE_PROFILE,
        VIEW_PEOPLE,
        MANAGE_PEOPLE,
        EXPORT_PEOPLE,
        REVEAL_RESIDENT_ID,
        VIEW_MEMBERSHIPS,
        VIEW_JOBS,
    },
    TEAM_LEADER: {VIEW_ORG, VIEW_PEOPLE},
    WORKER: {VIEW_ORG, VIEW_PEOPLE, SELF_ONLY},
    REGULATOR: {VIEW_ORG, VIEW_PEOPLE, VIEW_AUDIT},
    GUEST_AUDITOR: {VIEW_ORG, VIEW_PEOPLE, VIEW_AUDIT},
}


_REGISTERED: dict[str, set[str]] = {}


def register_permissions(bundles: dict[str, Iterable[str]], *, write: Iterable[str] = ()) -> None:
    """A capability adds its permissions to the role bundles (from its ``AppConfig.ready()``).

    ``write`` names those that change data: a read-only scope (a regulator) never holds them.
    Idempotent: registering the same permissions again changes nothing.
    """
    for role, perms in bundles.items():
        if role not in ROLE_LABELS:
            raise ValueError(f"unknown role {role!r}")
        _REGISTERED.setdefault(role, set()).update(perms)
    WRITE_PERMS.update(write)


def perms_of(role: str) -> frozenset[str]:
    return frozenset(_PERMS.get(role, ())) | frozenset(_REGISTERED.get(role, ()))
