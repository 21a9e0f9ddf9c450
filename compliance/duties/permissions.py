"""The permissions of duties' posts and shifts, added to the role bundles from
``DutiesConfig.ready_posts()``. (The responsibility lists keep theirs in their own module.)"""

from tenants import roles

# Read the post rosters, filings, warnings, shift plans and records: the regulator of the mine's
# region too (read-only).
VIEW_POSTS = "view_posts"
# Appoint and release post holders, record filings, keep shift plans and records.
MANAGE_POSTS = "manage_posts"

BUNDLES = {
    roles.TENANT_ADMIN: {VIEW_POSTS, MANAGE_POSTS},
    roles.HQ_AUDITOR: {VIEW_POSTS},
    roles.SAFETY_MANAGER: {VIEW_POSTS, MANAGE_POSTS},
    roles.TEAM_LEADER: {VIEW_POSTS},
    roles.REGULATOR: {VIEW_POSTS},
    roles.GUEST_AUDITOR: {VIEW_POSTS},
}


def register() -> None:
    roles.register_permissions(BUNDLES, write={MANAGE_POSTS})
