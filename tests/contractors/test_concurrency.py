"""Two engagements racing for the last slot at a mine: exactly one succeeds. The mine's row is
locked (select_for_update) before the caps are counted, so the second waits for the first to
commit and then counts it. Needs PostgreSQL (SQLite serialises whole-database writes and has no
row locks)."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from compliance.contractors import services
from compliance.contractors.models import Engagement
from tenants import roles
from tenants.scope import activate, dangerously_platform_scope

from .factories import contractor, engagement_data, person


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_engagements_racing_for_the_last_slot_exactly_one_succeeds(world):
    scope = world.a.scope(roles.SAFETY_MANAGER)
    # A small coal mine: one mining contractor at most; two contractors try at once.
    rivals = [contractor(scope), contractor(scope)]
    managers = [person(world.a, world.a.mine), person(world.a, world.a.mine)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def engage(n: int) -> None:
        try:
            with activate(scope):
                barrier.wait(timeout=10)
                services.engagement_create(
                    scope=scope,
                    mine=world.a.mine,
                    contractor=rivals[n],
                    data=engagement_data(world.a, managers[n], underground_system=""),
                )
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append("refused" if "work_kind" in exc.message_dict else repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=engage, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["ok", "refused"]
    with dangerously_platform_scope():
        assert Engagement.objects.filter(mine=world.a.mine).count() == 1
