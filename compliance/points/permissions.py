"""The permissions of team safety points, added to the role bundles from ``PointsConfig.ready()``."""

from tenants import roles

# Read people's entries and balances (a worker: their own, through ``scope_owner``).
VIEW_POINTS = "view_points"
# Read team-level figures only (rankings, counts of threshold actions): what a regulator sees; no
# individual history (issue 18: "regulators: team-level figures and threshold actions").
VIEW_POINTS_TEAMS = "view_points_teams"
# Record an entry under a rule a team leader may use.
RECORD_POINTS = "record_points"
# Approve entries, record under manager-only rules, reverse entries, close threshold actions.
APPROVE_POINTS = "approve_points"
# Keep the rule catalogue (a group admin: the group's; a safety manager: their mine's additions),
# the thresholds and the cycle.
MANAGE_POINTS_RULES = "manage_points_rules"

BUNDLES = {
    roles.TENANT_ADMIN: {VIEW_POINTS, VIEW_POINTS_TEAMS, RECORD_POINTS, APPROVE_POINTS, MANAGE_POINTS_RULES},
    roles.HQ_AUDITOR: {VIEW_POINTS, VIEW_POINTS_TEAMS},
    roles.SAFETY_MANAGER: {
        VIEW_POINTS,
        VIEW_POINTS_TEAMS,
        RECORD_POINTS,
        APPROVE_POINTS,
        MANAGE_POINTS_RULES,
    },
    roles.TEAM_LEADER: {VIEW_POINTS, VIEW_POINTS_TEAMS, RECORD_POINTS},
    roles.WORKER: {VIEW_POINTS},
    roles.REGULATOR: {VIEW_POINTS_TEAMS},
    roles.GUEST_AUDITOR: {VIEW_POINTS_TEAMS},
}


def register() -> None:
    roles.register_permissions(BUNDLES, write={RECORD_POINTS, APPROVE_POINTS, MANAGE_POINTS_RULES})
