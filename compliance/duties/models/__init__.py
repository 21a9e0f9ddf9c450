"""Duties' models, split by area."""

from .lists import *  # noqa: F403
from .posts import *  # noqa: F403
