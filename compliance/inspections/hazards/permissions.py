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

# A regulator keeps its agency's own records at the mines of its region (inspections, findings,
# 挂牌督办). Not a write permission of tenant data: a read-only scope holds it, and the records it
# writes are agency-owned (tenants.models.AgencyOwned).
KEEP_AGENCY_RECORDS = "keep_agency_records"

BUNDLES = {
    roles.TENANT_ADMIN: {VIEW_HAZARDS, MANAGE_HAZARDS, ACCEPT_HAZARDS, REPORT_HAZARDS},
    roles.HQ_AUDITOR: {VIEW_HAZARDS, MANAGE_HAZARDS, ACCEPT_HAZARDS, REPORT_HAZARDS},
    roles.SAFETY_MANAGER: {VIEW_HAZARDS, MANAGE_HAZARDS, ACCEPT_HAZARDS, REPORT_HAZARDS},
    roles.TEAM_LEADER: {VIEW_HAZARDS, REPORT_HAZARDS},
    roles.WORKER: {VIEW_HAZARDS, REPORT_HAZARDS},
    roles.REGULATOR: {VIEW_HAZARDS, KEEP_AGENCY_RECORDS},
    roles.GUEST_AUDITOR: {VIEW_HAZARDS},
}


def register() -> None:
    roles.register_permissions(BUNDLES, write={MANAGE_HAZARDS, ACCEPT_HAZARDS, REPORT_HAZARDS})
