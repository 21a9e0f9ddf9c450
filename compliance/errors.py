"""Errors the platform answers the same way on every page and endpoint."""

from __future__ import annotations


class Conflict(Exception):
    """A valid request that the current state of the data refuses (HTTP 409 in the API), e.g.
    deleting a row that other records still refer to. The message says why, for the user."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = str(message)
