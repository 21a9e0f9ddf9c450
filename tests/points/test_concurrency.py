"""Entries recorded at once for one person are all counted and the balance stays exact: each
moves the cycle's row with ``UPDATE … SET balance = balance + x`` in its own transaction, the
first entry of a cycle makes the row once (a racing second adds to it). Needs PostgreSQL (SQLite
serialises whole-database writes and has no row locks)."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection
from django.db.models import Sum

from compliance.points import services
from compliance.points.models import Balance, Entry
from tenants import roles
from tenants.scope import activate, dangerously_platform_scope

from .factories import install, rule


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_entries_at_once_for_one_person_are_all_counted(world):
    install(world.a)
    scope = world.a.scope(roles.SAFETY_MANAGER)
    deduction = rule(world.a, "SW-ZY-3")
    writers = 8
    barrier = threading.Barrier(writers)
    errors: list[str] = []

    def write(n: int) -> None:
        try:
            with activate(scope):
                barrier.wait(timeout=10)
                services.entry_record(
                    scope=scope,
                    person=world.a.worker_person,
                    rule=deduction,
                    occurred_on=datetime.date.today(),
                    reason=f"并发 {n}",
                )
        except Exception as exc:  # noqa: BLE001 — every failure is reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    with dangerously_platform_scope():
        row = Balance.objects.get(person=world.a.worker_person)
        total = Entry.objects.filter(person=world.a.worker_person).aggregate(s=Sum("points"))["s"]
        assert Entry.objects.filter(person=world.a.worker_person).count() == writers
        assert row.balance == row.opening + total == 12 - writers
