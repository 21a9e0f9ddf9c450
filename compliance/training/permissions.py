"""Training and exams' permissions, and what each role gets of them.

Registered into the role bundles from ``TrainingConfig.ready()``: ``tenants.roles`` knows only the
base permissions. Inspections (``CONDUCT_INSPECTIONS``) are not here: they are their own capability.
"""

from tenants import roles
from tenants.roles import register_permissions

VIEW_TRAINING = "view_training"  # courses, sessions, hours, papers, attempts, certificates, inspections
MANAGE_TRAINING = "manage_training"  # courses, sessions, question bank, papers, certificates
VIEW_QUESTION_BANK = "view_question_bank"  # questions with their answers
TAKE_EXAMS = "take_exams"  # sit one's own exams

BUNDLES = {
    roles.TENANT_ADMIN: {VIEW_TRAINING, MANAGE_TRAINING, VIEW_QUESTION_BANK, TAKE_EXAMS},
    roles.HQ_AUDITOR: {VIEW_TRAINING, VIEW_QUESTION_BANK, TAKE_EXAMS},
    roles.SAFETY_MANAGER: {VIEW_TRAINING, MANAGE_TRAINING, VIEW_QUESTION_BANK, TAKE_EXAMS},
    roles.TEAM_LEADER: {VIEW_TRAINING, TAKE_EXAMS},
    roles.WORKER: {VIEW_TRAINING, TAKE_EXAMS},
    # Regulators read training records but never the answer keys of a group's question bank.
    roles.REGULATOR: {VIEW_TRAINING},
    roles.GUEST_AUDITOR: {VIEW_TRAINING},
}
# Sitting an exam writes an attempt: a read-only scope (a regulator) never holds it.
WRITE = {MANAGE_TRAINING, TAKE_EXAMS}


def register() -> None:
    register_permissions(BUNDLES, write=WRITE)
