"""Document numbers of the form ``<PREFIX>-<year>-<sequence>`` (training certificates
``KA-2026-000123``, grade certificates ``BZH-2026-0042``): unique per tenant, each the next after
the highest of its year.

The next number is read from the database and the row inserted with it; an insert that collides
with a concurrent one (the tenant's unique constraint on the number) takes the next number and
tries again, a few times.
"""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.db.models.functions import Length

ATTEMPTS = 5


def next_number(numbers: QuerySet, prefix: str, width: int) -> str:
    """The number after the highest ``<prefix><digits>`` in ``numbers`` (one tenant's rows).

    Sequences are zero-padded to ``width`` and may outgrow it, so the highest is the longest,
    then the greatest: one row leaves the database, however many numbers the year holds."""
    highest = (
        numbers.filter(number__startswith=prefix, number__regex=rf"^{re.escape(prefix)}[0-9]+$")
        .order_by(Length("number").desc(), "-number")
        .values_list("number", flat=True)
        .first()
    )
    sequence = int(highest[len(prefix) :]) if highest else 0
    return f"{prefix}{sequence + 1:0{width}d}"


def save_numbered(obj, *, numbers: QuerySet, prefix: str, width: int, conflict_is_final) -> None:
    """Insert ``obj`` with the next free number. After a collision, ``conflict_is_final()`` says
    whether it was another constraint (e.g. the row already exists), which is raised, not retried."""
    for _attempt in range(ATTEMPTS):
        obj.number = next_number(numbers, prefix, width)
        try:
            with transaction.atomic():
                obj.save(force_insert=True)
            return
        except IntegrityError:
            if conflict_is_final():
                raise
    raise IntegrityError(f"could not allocate a number after {prefix}")
