"""Response helpers shared by pages and endpoints."""

from __future__ import annotations

NO_STORE = "private, no-store"


def no_store(response):
    """Marks a response that carries personal data (a revealed resident ID number, an Excel export,
    a job's input or output file) as never to be kept: not by the browser's cache on a shared
    tablet, nor by a proxy on the way. Returns the response."""
    response["Cache-Control"] = NO_STORE
    return response
