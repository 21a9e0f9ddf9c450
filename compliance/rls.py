"""PostgreSQL row-level security: the tenant rule repeated inside the database.

Every tenant-owned table has RLS enabled and forced, with one policy: a row is visible (and may be
written) only if its tenant is in the connection's ``app.tenant_ids`` setting, or
``app.all_tenants`` is ``on`` (the platform operator's scope). ``tenants.scope.activate`` writes
both settings from the resolved scope, so a query that forgot its filter still returns nothing
of another tenant. The application connects as an ordinary role (``DATABASE_APP_ROLE``: not
superuser, not table owner, no BYPASSRLS); migrations run as the owner.

The settings are session-level rather than transaction-local: Django runs in autocommit, and
background jobs report progress outside their main transaction. Every activation sets them and
every exit restores the previous scope, so a connection never carries a stale scope into the
next request or task. One statement sets both, and only when they change: ``_write`` skips it
when the connection is known to hold those values already (see ``_KNOWN``) — the common case
being a request that starts with the empty scope the previous request's exit left behind.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection, migrations

VISIBLE_FUNCTION = """
CREATE OR REPLACE FUNCTION kuangan_tenant_visible(row_tenant uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('app.all_tenants', true), '') = 'on'
        OR row_tenant = ANY (
            string_to_array(NULLIF(current_setting('app.tenant_ids', true), ''), ',')::uuid[]
        )
$$;
"""


def is_postgres(conn=connection) -> bool:
    return conn.vendor == "postgresql"


def visible_sql(column: str = "tenant_id") -> str:
    """The tenant rule on ``column`` as a policy expression: the same test as
    ``kuangan_tenant_visible``, but with the settings read in sub-selects, which PostgreSQL
    evaluates once per statement (InitPlans) — the function, inlined, parsed the tenant list into
    a uuid array for every row it tested: counting a million rows took 4.5 s through it and 0.1 s
    this way (docs/tenancy.md, "Row-level security")."""
    return (
        "((SELECT coalesce(current_setting('app.all_tenants', true), '') = 'on')"
        f" OR {column} = ANY ((SELECT string_to_array("
        "NULLIF(current_setting('app.tenant_ids', true), ''), ',')::uuid[])::uuid[]))"
    )


def _enable_sql(table: str) -> str:
    return f"""
        ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
        ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
        DROP POLICY IF EXISTS tenant_isolation ON {table};
        CREATE POLICY tenant_isolation ON {table}
            USING ({visible_sql()})
            WITH CHECK ({visible_sql()});
    """


def rewrite_tenant_policies(conn) -> int:
    """Rewrite every ``tenant_isolation`` policy still written as ``kuangan_tenant_visible(tenant_id)``
    to ``visible_sql()`` (same rule, the settings read once per statement). Tables created later
    get the new form from ``enable_rls`` itself. Returns the number rewritten."""
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_policies WHERE schemaname = current_schema()"
            " AND policyname = 'tenant_isolation' AND qual = 'kuangan_tenant_visible(tenant_id)'"
            " AND with_check = 'kuangan_tenant_visible(tenant_id)'"
        )
        tables = [row[0] for row in cursor.fetchall()]
        for table in tables:
            rule = visible_sql()
            cursor.execute(
                f"DROP POLICY tenant_isolation ON {table};"
                f" CREATE POLICY tenant_isolation ON {table} USING ({rule}) WITH CHECK ({rule});"
            )
    return len(tables)


def _disable_sql(table: str) -> str:
    return f"""
        DROP POLICY IF EXISTS tenant_isolation ON {table};
        ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY;
        ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;
    """


def _run(sql: str):
    def forward(apps, schema_editor):
        if is_postgres(schema_editor.connection):
            schema_editor.execute(sql)

    return forward


def enable_rls(*tables: str) -> migrations.RunPython:
    """Migration operation: RLS on the given tenant-owned tables (no-op on SQLite)."""
    return migrations.RunPython(
        _run(VISIBLE_FUNCTION + "".join(_enable_sql(t) for t in tables)),
        _run("".join(_disable_sql(t) for t in tables)),
    )


def _policies_sql(table: str, write: str, read: str | None) -> str:
    # Policies are permissive and OR together per command: SELECT sees ``read`` or ``write`` rows,
    # while INSERT, UPDATE and DELETE have only ``write`` — so a row readable by everyone (a
    # national standard) is still not one a group can change or delete.
    sql = f"""
        ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
        ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
        DROP POLICY IF EXISTS tenant_isolation ON {table};
        DROP POLICY IF EXISTS tenant_read ON {table};
        CREATE POLICY tenant_isolation ON {table} USING ({write}) WITH CHECK ({write});
    """
    if read is not None:
        sql += f"CREATE POLICY tenant_read ON {table} FOR SELECT USING ({read});\n"
    return sql


def enable_rls_policy(table: str, *, write: str, read: str | None = None) -> migrations.RunPython:
    """Migration operation: RLS on a table whose tenant is not (only) its own ``tenant_id`` column —
    reference data with a nullable owner, or rows that belong to the tenant of a parent row they
    point at. ``write`` decides which rows may be read and written; ``read``, when given, adds rows
    that may only be read. Both are SQL conditions on the row (qualify its columns with the table
    name inside a subquery). No-op on SQLite."""
    return migrations.RunPython(
        _run(VISIBLE_FUNCTION + _policies_sql(table, write, read)),
        _run(f"DROP POLICY IF EXISTS tenant_read ON {table};" + _disable_sql(table)),
    )


# Agency-owned records (tenants.models.AgencyOwned): the agency of the row is the one the
# connection acts for (``app.agency_id``), or the operator; the tenant whose mine the row is about
# reads it, but only from a session that acts for no agency, so another agency reading that
# tenant's mines in its region still sees nothing.
AGENCY_WRITE = (
    "((SELECT coalesce(current_setting('app.all_tenants', true), '') = 'on')"
    " OR agency_id::text = (SELECT current_setting('app.agency_id', true)))"
)
AGENCY_READ = f"((SELECT coalesce(current_setting('app.agency_id', true), '') = '') AND {visible_sql()})"


def enable_agency_rls(*tables: str) -> list[migrations.RunPython]:
    """Migration operations: the agency-owned policy on each table (no-op on SQLite)."""
    return [enable_rls_policy(t, write=AGENCY_WRITE, read=AGENCY_READ) for t in tables]


def app_role() -> str:
    return settings.DATABASE_APP_ROLE


def grant_sql(role: str) -> str:
    """Privileges of the application role: data access, never ownership or DDL. The audit trail
    is append-only for it (SELECT and INSERT only)."""
    return f"""
    DO $$
    BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
            RAISE NOTICE 'role {role} does not exist yet: create it, then run manage.py grant_app_role';
            RETURN;
        END IF;
        EXECUTE 'GRANT USAGE ON SCHEMA public TO {role}';
        EXECUTE 'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}';
        EXECUTE 'GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role}';
        EXECUTE 'GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {role}';
        EXECUTE 'ALTER DEFAULT PRIVILEGES IN SCHEMA public '
                'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}';
        EXECUTE 'ALTER DEFAULT PRIVILEGES IN SCHEMA public '
                'GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {role}';
        IF to_regclass('public.audit_auditevent') IS NOT NULL THEN
            EXECUTE 'REVOKE UPDATE, DELETE, TRUNCATE ON audit_auditevent FROM {role}';
        END IF;
    END $$;
    """


def grant_app_role(conn=connection) -> None:
    if is_postgres(conn):
        with conn.cursor() as cursor:
            cursor.execute(grant_sql(app_role()))


def grant_operation() -> migrations.RunPython:
    def forward(apps, schema_editor):
        if is_postgres(schema_editor.connection):
            schema_editor.execute(grant_sql(app_role()))

    return migrations.RunPython(forward, migrations.RunPython.noop)


def apply_scope(scope, conn=connection) -> None:
    """Write the scope's tenants into the connection (PostgreSQL only; a no-op until a connection
    exists — the connection_created hook applies the active scope when one opens)."""
    if not is_postgres(conn) or conn.connection is None:
        return
    _write(conn, scope)


SET_SQL = (
    "SELECT set_config('app.tenant_ids', %s, false), set_config('app.all_tenants', %s, false),"
    " set_config('app.agency_id', %s, false)"
)

# What the server session is known to hold, kept on the Django connection as
# ``(driver connection, (tenant_ids, all_tenants))``. Only a value written in autocommit — outside
# any transaction, so committed the moment it is written and never undone by a rollback — is
# known. A write inside a transaction forgets it (a rollback to a savepoint or of the whole
# transaction could undo that write) until the next write in autocommit, and a new connection
# always writes. So a write is skipped only when the server holds exactly those values for certain.
_KNOWN = "_kuangan_rls_known"


def settings_of(scope) -> tuple[str, str, str]:
    """The three settings for ``scope`` (None: no scope at all — nothing is visible): its tenants,
    whether it is the operator's, and the regulator agency it acts for (agency-owned records)."""
    if scope is None:
        return "", "off", ""
    agency = str(scope.agency_id) if scope.is_regulator and scope.agency_id is not None else ""
    return ",".join(sorted(str(t) for t in scope.tenant_ids)), "on" if scope.is_platform else "off", agency


def _write(conn, scope, force: bool = False) -> None:
    values = settings_of(scope)
    known = getattr(conn, _KNOWN, None)
    if not force and known is not None and known[0] is conn.connection and known[1] == values:
        return
    in_transaction = conn.in_atomic_block or not conn.get_autocommit()
    setattr(conn, _KNOWN, None)  # unknown while the write runs (it may fail half way)
    with conn.cursor() as cursor:
        cursor.execute(SET_SQL, list(values))
    if not in_transaction:
        setattr(conn, _KNOWN, (conn.connection, values))


def on_connection_created(sender, connection, **kwargs) -> None:
    if is_postgres(connection):
        from tenants.scope import active_scope

        _write(connection, active_scope(), force=True)


def set_read_only(conn=connection) -> None:
    """The rest of this transaction may not write (regulators): PostgreSQL refuses INSERT, UPDATE
    and DELETE with "cannot execute … in a read-only transaction". Switching a transaction to
    read-only is allowed at any point in it."""
    if is_postgres(conn):
        with conn.cursor() as cursor:
            cursor.execute("SET TRANSACTION READ ONLY")
