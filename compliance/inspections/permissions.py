"""The permissions of inspections, added to the role bundles from ``InspectionsConfig.ready()``."""

from tenants import roles

# Read inspections, their spot exams and results: the roles that read training records today.
VIEW_INSPECTIONS = "view_inspections"
# Run inspections and their spot exams (逢查必考): draw or pick people, issue codes, start exams.
CONDUCT_INSPECTIONS = "conduct_inspections"

BUNDLES = {
    roles.TENANT_ADMIN: {VIEW_INSPECTIONS, CONDUCT_INSPECTIONS},
    roles.HQ_AUDITOR: {VIEW_INSPECTIONS, CONDUCT_INSPECTIONS},
    roles.SAFETY_MANAGER: {VIEW_INSPECTIONS, CONDUCT_INSPECTIONS},
    roles.TEAM_LEADER: {VIEW_INSPECTIONS},
    roles.WORKER: {VIEW_INSPECTIONS},
    roles.REGULATOR: {VIEW_INSPECTIONS},
    roles.GUEST_AUDITOR: {VIEW_INSPECTIONS},
}


def register() -> None:
    roles.register_permissions(BUNDLES, write={CONDUCT_INSPECTIONS})
