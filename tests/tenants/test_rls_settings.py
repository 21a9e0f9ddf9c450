"""The row-level security settings are written only when they change, and never skipped when the
connection might hold something else (a rollback undid a write, or a new connection)."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from compliance import rls
from tenants import roles
from tenants.scope import PLATFORM, activate, active_scope, dangerously_platform_scope

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class Boom(Exception):
    pass


def _held() -> tuple[str, str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(current_setting('app.tenant_ids', true), ''), "
            "coalesce(current_setting('app.all_tenants', true), ''), "
            "coalesce(current_setting('app.agency_id', true), '')"
        )
        return cursor.fetchone()


def _writes(ctx) -> int:
    return sum("set_config(" in q["sql"] for q in ctx.captured_queries)


def _assert_in_force():
    assert _held() == rls.settings_of(active_scope())


def test_unchanged_settings_are_not_written_again_in_autocommit(world):
    a, b = world.a.scope(roles.TENANT_ADMIN), world.b.scope(roles.TENANT_ADMIN)
    connection.ensure_connection()
    with activate(a):
        _assert_in_force()
        with CaptureQueriesContext(connection) as ctx, activate(a):
            _assert_in_force()
        assert _writes(ctx) == 0
    _assert_in_force()
    with CaptureQueriesContext(connection) as ctx:
        with activate(b):
            _assert_in_force()
    assert _writes(ctx) == 2  # B, then back to none


def test_a_rolled_back_write_is_written_again(world):
    a, b = world.a.scope(roles.TENANT_ADMIN), world.b.scope(roles.TENANT_ADMIN)
    with activate(a):
        _assert_in_force()
        # A write inside a transaction that rolls back is undone by PostgreSQL; the next
        # activation must not trust what it last wrote.
        with pytest.raises(Boom), transaction.atomic():
            rls.apply_scope(b)
            assert _held() == rls.settings_of(b)
            raise Boom
        assert _held() == rls.settings_of(a)  # undone by the rollback
        with activate(b):
            _assert_in_force()
        _assert_in_force()
        # The same inside a savepoint.
        with transaction.atomic():
            with pytest.raises(Boom), transaction.atomic():
                rls.apply_scope(PLATFORM)
                raise Boom
            with activate(b):
                _assert_in_force()
            _assert_in_force()
        _assert_in_force()
        with activate(PLATFORM):
            _assert_in_force()
        _assert_in_force()
    _assert_in_force()


def test_nested_platform_scope_writes_nothing_more(world):
    connection.ensure_connection()
    with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
        with dangerously_platform_scope():
            with dangerously_platform_scope():
                _assert_in_force()
            _assert_in_force()
        _assert_in_force()
    assert _writes(ctx) == 2  # on, and back


def test_a_new_connection_gets_the_active_scope(world):
    a = world.a.scope(roles.TENANT_ADMIN)
    with activate(a):
        connection.close()
        _assert_in_force()
        with CaptureQueriesContext(connection) as ctx:
            with activate(a):
                _assert_in_force()
        assert _writes(ctx) == 0
