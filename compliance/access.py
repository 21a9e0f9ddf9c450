"""The one object-access helper: fetch one object the caller may see, or 404.

Every ``access_<thing>(scope, pk)`` of the base and the capabilities is this helper with its own
queryset (which related rows to load, which extra condition). Missing, foreign and malformed ids
answer the same 404, so a caller learns nothing about objects outside its scope (Zulip's
``access_*`` helpers are the model). It imports nothing of the base: the scope is passed in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404

if TYPE_CHECKING:
    from tenants.scope import Scope

M = TypeVar("M", bound=Model)

# What a malformed id raises while the query is built or run: text where a UUID or a number
# belongs, a number too big for the column. It looks exactly like a missing id.
MALFORMED_ID = (ValueError, TypeError, ValidationError, OverflowError)


def first_or_404(qs: QuerySet[M], **lookup) -> M:
    """The first row of ``qs`` matching ``lookup``; Http404 when there is none or an id is
    malformed. ``qs`` must already hold the caller's visibility rule (or use ``access_or_404``)."""
    try:
        obj = qs.filter(**lookup).first()
    except MALFORMED_ID:
        obj = None
    if obj is None:
        raise Http404
    return obj


def access_or_404(scope: Scope, qs: QuerySet[M], pk, **lookup) -> M:
    """Row ``pk`` of ``qs`` inside ``scope`` (plus any extra ``lookup``); missing, foreign and
    malformed ids are the same Http404."""
    return first_or_404(scope.filter_queryset(qs), pk=pk, **lookup)
