"""The permissions of hidden dangers, added to the role bundles from ``InspectionsConfig.ready()``."""

from tenants import roles

# Read the hazard register (a worker: only the hazards they reported themself, ``scope_owner``).
VIEW_HAZARDS = "view_hazards"
# Register, classify, plan rectification, confirm worker reports, close (销号).
MANAGE_HAZARDS = "manage_hazards"
# Accept (验收) a rectified hazard: must be a different person from the rectifier.
ACCEPT_HAZARDS = "accept_hazards"
# Report a hazard from the phone (随手拍): any login of the group, never a regulator.
REPORT_HAZARDS = "report_hazards"

BUNDLES = {
    roles.TENANT_ADMIN: {VIEW_HAZARDS, MANAGE_HAZARDS, ACCEPT_HAZARDS, REPORT_HAZARDS},
    roles.HQ_AUDITOR: {VIEW_HAZARDS, MANAGE_HAZARDS, ACCEPT_HAZARDS, REPORT_HAZARDS},
    roles.SAFETY_MANAGER: {VIEW_HAZARDS, MANAGE_HAZARDS, ACCEPT_HAZARDS, REPORT_HAZARDS},
    roles.TEAM_LEADER: {VIEW_HAZARDS, REPORT_HAZARDS},
    roles.WORKER: {VIEW_HAZARDS, REPORT_HAZARDS},
    roles.REGULATOR: {VIEW_HAZARDS},
    roles.GUEST_AUDITOR: {VIEW_HAZARDS},
}


def register() -> None:
    roles.register_permissions(BUNDLES, write={MANAGE_HAZARDS, ACCEPT_HAZARDS, REPORT_HAZARDS})
