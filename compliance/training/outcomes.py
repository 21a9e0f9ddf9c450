"""What follows from a graded attempt, in the same transaction as the grading.

Called once per attempt, by ``training.attempts`` when an attempt is graded (submitted by the
worker or closed at its deadline): training's own certificate first, then every attempt-outcome
listener other capabilities registered (``compliance.registry.register_attempt_listener``; e.g.
inspections suspends a person who failed a spot exam). Each consequence is idempotent.
"""

from __future__ import annotations

from compliance import registry


def on_attempt_graded(attempt) -> None:
    from . import certificates

    certificates.issue_for_passed_attempt(attempt)
    for listener in registry.attempt_listeners():
        listener(attempt)
