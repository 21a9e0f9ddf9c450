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
# Training and exams (training app)
VIEW_TRAINING = "view_training"  # courses, sessions, hours, papers, attempts, certificates
MANAGE_TRAINING = "manage_training"  # courses, sessions, question bank, papers, certificates
VIEW_QUESTION_BANK = "view_question_bank"  # questions with their answers
TAKE_EXAMS = "take_exams"  # sit one's own exams
# Standardization grading (grading app)
VIEW_GRADING = "view_grading"  # assessments, results, accidents, grade certificates, dashboards
MANAGE_GRADING = "manage_grading"  # start, score and submit self-assessments; record accidents
REVIEW_GRADING = "review_grading"  # HQ review: adjust and approve; grade events (downgrade, revoke)
MANAGE_STANDARDS = "manage_standards"  # the group's own internal grading standards
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
        MANAGE_TRAINING,
        TAKE_EXAMS,
        MANAGE_GRADING,
        REVIEW_GRADING,
        MANAGE_STANDARDS,
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
        VIEW_TRAINING,
        MANAGE_TRAINING,
        VIEW_QUESTION_BANK,
        TAKE_EXAMS,
        VIEW_GRADING,
        MANAGE_GRADING,
        REVIEW_GRADING,
        MANAGE_STANDARDS,
    },
    HQ_AUDITOR: {
        VIEW_ORG,
        VIEW_PEOPLE,
        VIEW_MEMBERSHIPS,
        VIEW_AUDIT,
        VIEW_JOBS,
        VIEW_TRAINING,
        VIEW_QUESTION_BANK,
        TAKE_EXAMS,
        VIEW_GRADING,
        REVIEW_GRADING,
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
        VIEW_TRAINING,
        MANAGE_TRAINING,
        VIEW_QUESTION_BANK,
        TAKE_EXAMS,
        VIEW_GRADING,
        MANAGE_GRADING,
    },
    TEAM_LEADER: {VIEW_ORG, VIEW_PEOPLE, VIEW_TRAINING, TAKE_EXAMS, VIEW_GRADING},
    WORKER: {VIEW_ORG, VIEW_PEOPLE, VIEW_TRAINING, TAKE_EXAMS, SELF_ONLY},
    # Regulators read training records but never the answer keys of a group's question bank.
    REGULATOR: {VIEW_ORG, VIEW_PEOPLE, VIEW_AUDIT, VIEW_TRAINING, VIEW_GRADING},
    GUEST_AUDITOR: {VIEW_ORG, VIEW_PEOPLE, VIEW_AUDIT, VIEW_TRAINING, VIEW_GRADING},
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
