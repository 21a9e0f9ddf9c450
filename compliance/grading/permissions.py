"""Standardization grading's permissions, and what each role gets of them.

Registered into the role bundles from ``GradingConfig.ready()``: ``tenants.roles`` knows only the
base permissions.
"""

from tenants import roles
from tenants.roles import register_permissions

VIEW_GRADING = "view_grading"  # assessments, results, accidents, grade certificates, dashboards
MANAGE_GRADING = "manage_grading"  # start, score and submit self-assessments; record accidents
REVIEW_GRADING = "review_grading"  # HQ review: adjust and approve; grade events (downgrade, revoke)
MANAGE_STANDARDS = "manage_standards"  # the group's own internal grading standards

BUNDLES = {
    roles.TENANT_ADMIN: {VIEW_GRADING, MANAGE_GRADING, REVIEW_GRADING, MANAGE_STANDARDS},
    roles.HQ_AUDITOR: {VIEW_GRADING, REVIEW_GRADING},
    roles.SAFETY_MANAGER: {VIEW_GRADING, MANAGE_GRADING},
    roles.TEAM_LEADER: {VIEW_GRADING},
    roles.REGULATOR: {VIEW_GRADING},
    roles.GUEST_AUDITOR: {VIEW_GRADING},
}
WRITE = {MANAGE_GRADING, REVIEW_GRADING, MANAGE_STANDARDS}


def register() -> None:
    register_permissions(BUNDLES, write=WRITE)
