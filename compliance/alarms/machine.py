"""The handling of an alarm as an explicit state machine: 报警 → 确认 → 现场核查 → 闭环.

Each row of ``TRANSITIONS`` is a step: the states it may start from and the state it leads to. A
service asks ``transition(alarm, step)`` for the target; a step not listed is refused with a
``Conflict`` (409 in the API, a message on the page), so nothing closes an alarm nobody checked
on site (有警必查) or acknowledges one twice.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from compliance.errors import Conflict

from .models import Alarm

S = Alarm.Status

TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "acknowledge": (frozenset({S.OPEN}), S.ACKNOWLEDGED),
    "check": (frozenset({S.ACKNOWLEDGED}), S.CHECKED),
    "close": (frozenset({S.CHECKED}), S.CLOSED),
}


def actions_from(status: str) -> list[str]:
    return [step for step, (sources, _t) in TRANSITIONS.items() if status in sources]


def transition(alarm: Alarm, step: str) -> str:
    if step not in TRANSITIONS:
        raise ValueError(f"unknown alarm step {step!r}")
    sources, target = TRANSITIONS[step]
    if alarm.status not in sources:
        raise Conflict(
            _("This step is not possible for an alarm that is %(status)s.")
            % {"status": Alarm.Status(alarm.status).label}
        )
    return target
