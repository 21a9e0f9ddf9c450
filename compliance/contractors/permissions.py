"""The permissions of outsourcing, added to the role bundles from ``ContractorsConfig.ready()``."""

from tenants import roles

# Read contractors, their qualifications, engagements, staff and appraisals. Workers hold it too:
# a contractor's own staff read their own assignment (StaffAssignment is self-owned).
VIEW_CONTRACTORS = "view_contractors"
# Keep the group's contractor register, engagements at the mines in scope, staff and appraisals.
MANAGE_CONTRACTORS = "manage_contractors"

BUNDLES = {
    roles.TENANT_ADMIN: {VIEW_CONTRACTORS, MANAGE_CONTRACTORS},
    roles.HQ_AUDITOR: {VIEW_CONTRACTORS},
    roles.SAFETY_MANAGER: {VIEW_CONTRACTORS, MANAGE_CONTRACTORS},
    roles.TEAM_LEADER: {VIEW_CONTRACTORS},
    roles.WORKER: {VIEW_CONTRACTORS},
    roles.REGULATOR: {VIEW_CONTRACTORS},
    roles.GUEST_AUDITOR: {VIEW_CONTRACTORS},
}


def register() -> None:
    roles.register_permissions(BUNDLES, write={MANAGE_CONTRACTORS})
