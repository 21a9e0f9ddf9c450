"""The closed loop as an explicit state machine: 排查 → 登记 → 治理 → 督办 → 验收 → 销号.

Every step a hazard may take is a row of ``TRANSITIONS``: the action, the states it may start
from, the state it leads to. A service asks ``transition(hazard, action)`` for the target; any
step not listed is refused (a ``Conflict``: the state moved on, or never allowed it), so no page,
API call or task can skip acceptance or close an open hazard.

- ``confirm`` / ``reject``: a manager confirms a worker's report (随手拍) into the register, or
  rejects it as not a hazard.
- ``plan``: the rectification plan (治理) is saved; again while rectifying (a revised plan).
- ``rectified``: the rectifier reports the work done; it waits for acceptance.
- ``accept`` / ``fail``: acceptance (验收) by someone else; a failed one reopens rectification.
- ``close``: 销号, only after a passed acceptance.

督办 (supervision of overdue hazards) is not a state: escalation is a level on the hazard
(``Hazard.escalation``) while it stays in the loop.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from compliance.errors import Conflict

from .models import Hazard

S = Hazard.Status

TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "confirm": (frozenset({S.REPORTED}), S.REGISTERED),
    "reject": (frozenset({S.REPORTED}), S.REJECTED),
    "plan": (frozenset({S.REGISTERED, S.RECTIFYING}), S.RECTIFYING),
    "rectified": (frozenset({S.RECTIFYING}), S.AWAITING_ACCEPTANCE),
    "accept": (frozenset({S.AWAITING_ACCEPTANCE}), S.ACCEPTED),
    "fail": (frozenset({S.AWAITING_ACCEPTANCE}), S.RECTIFYING),
    "close": (frozenset({S.ACCEPTED}), S.CLOSED),
}


def allowed(hazard: Hazard, action: str) -> bool:
    sources, _target = TRANSITIONS[action]
    return hazard.status in sources


def actions_from(status: str) -> list[str]:
    return [action for action, (sources, _t) in TRANSITIONS.items() if status in sources]


def transition(hazard: Hazard, action: str) -> str:
    """The state ``action`` leads ``hazard`` to; refused when not allowed from its state."""
    if action not in TRANSITIONS:
        raise ValueError(f"unknown hazard action {action!r}")
    sources, target = TRANSITIONS[action]
    if hazard.status not in sources:
        raise Conflict(
            _("This step is not possible for a hazard that is %(status)s.")
            % {"status": Hazard.Status(hazard.status).label}
        )
    return target
