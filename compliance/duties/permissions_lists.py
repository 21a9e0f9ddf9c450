"""The permissions of responsibility lists and duty assessments, added to the role bundles from
``DutiesConfig.ready_lists()``.

Who sees what (issue 15): safety managers and group admins keep lists for their scope; workers see
and sign their own (their bundle is self-only); HQ auditors read everything in the group and assess
the mines' principals; regulators do not read lists or assessments (they read the posts roster,
filings and shift coverage, part B)."""

from tenants import roles

VIEW_DUTY_LISTS = "view_duty_lists"
# Keep the post catalogue, list templates, adaptations and who holds which post.
MANAGE_DUTY_LISTS = "manage_duty_lists"
# Sign one's own list (签字确认): every login of the group that is a person.
ACKNOWLEDGE_DUTY_LIST = "acknowledge_duty_list"
# Score a person's list for a period (履职考核): the person's superiors.
ASSESS_DUTIES = "assess_duties"

BUNDLES = {
    roles.TENANT_ADMIN: {VIEW_DUTY_LISTS, MANAGE_DUTY_LISTS, ACKNOWLEDGE_DUTY_LIST, ASSESS_DUTIES},
    roles.HQ_AUDITOR: {VIEW_DUTY_LISTS, ACKNOWLEDGE_DUTY_LIST, ASSESS_DUTIES},
    roles.SAFETY_MANAGER: {VIEW_DUTY_LISTS, MANAGE_DUTY_LISTS, ACKNOWLEDGE_DUTY_LIST, ASSESS_DUTIES},
    roles.TEAM_LEADER: {VIEW_DUTY_LISTS, ACKNOWLEDGE_DUTY_LIST, ASSESS_DUTIES},
    roles.WORKER: {VIEW_DUTY_LISTS, ACKNOWLEDGE_DUTY_LIST},
    roles.GUEST_AUDITOR: {VIEW_DUTY_LISTS},
}


def register() -> None:
    roles.register_permissions(BUNDLES, write={MANAGE_DUTY_LISTS, ACKNOWLEDGE_DUTY_LIST, ASSESS_DUTIES})
