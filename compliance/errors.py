"""Errors the platform answers the same way on every page and endpoint."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema

# The error answers every scoped endpoint shares, for its OpenAPI description (``**ERRORS`` in
# ``extend_schema(responses=...)``); the exception handler in compliance.api gives them.

ERRORS = {
    400: OpenApiResponse(description="Invalid input: a message per field"),
    401: OpenApiResponse(description="Not logged in, or a missing, expired or revoked token"),
    403: OpenApiResponse(description="Not permitted (e.g. any write by a regulator)"),
    404: OpenApiResponse(description="Not found — also for objects outside your scope"),
}
# DRF's destroy answers 204 No Content (the class-level 200 would promise the deleted object).
DESTROY_SCHEMA = extend_schema(responses={204: None, **ERRORS})


class Conflict(Exception):
    """A valid request that the current state of the data refuses (HTTP 409 in the API), e.g.
    deleting a row that other records still refer to. The message says why, for the user."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = str(message)
