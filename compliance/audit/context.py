"""Who is acting, from where: set per request by middleware and per task by the job runner."""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class ActorContext:
    user_id: int | None = None
    username: str = ""
    role: str = ""
    request_id: str = ""
    ip: str | None = None


_NOBODY = ActorContext()
_current: ContextVar[ActorContext | None] = ContextVar("kuangan_actor", default=None)


def current_actor() -> ActorContext:
    return _current.get() or _NOBODY


@contextlib.contextmanager
def acting_as(ctx: ActorContext):
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def set_actor(ctx: ActorContext):
    return _current.set(ctx)


def reset_actor(token) -> None:
    _current.reset(token)
