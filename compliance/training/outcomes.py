"""What follows from a graded attempt, in the same transaction as the grading.

Called once per attempt, by ``training.attempts`` when an attempt is graded (submitted by the
worker or closed at its deadline). Each consequence is idempotent.
"""

from __future__ import annotations


def on_attempt_graded(attempt) -> None:
    from . import certificates, inspections

    certificates.issue_for_passed_attempt(attempt)
    inspections.apply_attempt_result(attempt)
