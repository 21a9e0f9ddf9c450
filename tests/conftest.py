"""Shared fixtures: two tenants, each with every role, and regulators inside and outside the
jurisdiction. Most tests need nothing else."""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field

import pytest
from django.test import Client

from tenants import roles, services
from tenants.models import OrgUnit, Person, RegulatorAgency, Tenant
from tenants.scope import activate, dangerously_platform_scope
from tenants.selectors import scope_for_user

from .factories import credit_code, resident_id

PASSWORD = "Kuangan-test-2026"
CI = os.environ.get("CI", "").lower() == "true"


def pytest_collection_modifyitems(config, items):
    """On a plain machine, tests that need PostgreSQL, Redis or Chromium are skipped with the
    reason; under CI=true nothing may be skipped, so they run and fail loudly instead.

    Then the order: tests on the shared world first, those that remove it (``no_world``) next,
    then those reading the seeded demo (built once for them all), and the transactional ones last,
    since each of those empties every table when it ends and the next test on the world must
    commit it again. The order is deterministic, so every xdist
    worker collects the same; each worker runs its share in this order."""
    from .environment import missing_requirements

    for item in items:
        for marker in ("postgres", "redis", "browser"):
            if item.get_closest_marker(marker):
                reason = missing_requirements(marker)
                if reason and not CI:
                    item.add_marker(pytest.mark.skip(reason=reason))
    items.sort(key=_run_order)  # stable: the files' own order within each group


_TRANSACTIONAL = {"transactional_db", "live_server", "browser_world"}


def _run_order(item) -> int:
    if not _uses_db(item):
        return 5  # last, as pytest-django orders them
    db = item.get_closest_marker("django_db")
    transactional = bool(_TRANSACTIONAL & set(item.fixturenames)) or bool(db and db.kwargs.get("transaction"))
    if transactional:
        # A transactional test empties the reference data the migrations ship along with
        # everything else; the ones that need it come first, before any other has run.
        return 3 if item.get_closest_marker("shipped_data") else 4
    if "seeded_demo" in item.fixturenames:
        return 2  # one demo build for all of them (see _DEMO)
    return 1 if item.get_closest_marker("no_world") else 0


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    _fuzz_summary(terminalreporter)
    skipped = terminalreporter.stats.get("skipped", [])
    if CI and skipped:
        terminalreporter.write_line(
            f"CI=true: {len(skipped)} tests were skipped; nothing may be skipped in CI.", red=True
        )


def _fuzz_summary(terminalreporter) -> None:
    """One line for CI logs from tests/security/test_api_fuzz.py (items are per operation and
    identity; each records its request count, which xdist carries back from the workers)."""
    import re

    operations, requests, failed = set(), 0, set()
    for reports in terminalreporter.stats.values():
        for report in reports:
            found = re.search(r"::test_api_fuzz\[(.+?)\]\[", getattr(report, "nodeid", ""))
            if not found or not hasattr(report, "when"):  # a report, not a deselected item
                continue
            operations.add(found.group(1))
            requests += dict(getattr(report, "user_properties", ())).get("fuzz_requests", 0)
            if getattr(report, "failed", False):
                failed.add(report.nodeid)
    if operations:
        terminalreporter.write_line(
            f"fuzz: {len(operations)} operations, {requests} requests, {len(failed)} failures",
            red=bool(failed),
        )


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if CI and reporter is not None and reporter.stats.get("skipped") and exitstatus == 0:
        session.exitstatus = 1


APP_ROLE = os.environ.get("TEST_DATABASE_APP_ROLE", "")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """On PostgreSQL with TEST_DATABASE_APP_ROLE set (as in CI), the test database is created and
    migrated by the owner from DATABASE_URL, and every test then connects as the application's
    ordinary role — so row-level security and the audit grants are what the tests run against."""
    from django.db import connections

    default = connections["default"]
    if default.vendor != "postgresql" or not APP_ROLE:
        yield
        return
    owner = (default.settings_dict["USER"], default.settings_dict["PASSWORD"])
    with django_db_blocker.unblock(), default.cursor() as cursor:
        # Test-only: transactional tests empty every table between tests with TRUNCATE.
        cursor.execute(f"GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}")
    connections.close_all()
    default.settings_dict["USER"], default.settings_dict["PASSWORD"] = APP_ROLE, ""
    OWNER_CREDENTIALS.update(user=owner[0], password=owner[1])
    yield
    connections.close_all()
    default.settings_dict["USER"], default.settings_dict["PASSWORD"] = owner


# --- the test world, built once per worker ---------------------------------------------------------
# The world is committed once, when the first test that asks for it starts, and every test runs
# in a transaction rolled back afterwards (pytest-django's ``db``), so it is the same for every
# test. Tests that do not ask for it pass with or without it in the database.
# A transactional test (live server, concurrency) empties every table when it ends, and a test
# marked ``no_world`` (the operator's commands, which count whole tables) has the world removed
# first; the world is committed again before the next database test that expects it.
_WORLD: dict = {"template": None, "rows": {}}
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _row_keys() -> dict[str, tuple[str, set]]:
    """Every table's primary-key column and the keys of its rows."""
    from django.db import connection

    keys = {}
    # As the platform: on PostgreSQL row-level security hides every tenant's rows from no scope.
    with dangerously_platform_scope(), connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            column = connection.introspection.get_primary_key_column(cursor, table)
            if column is None:
                continue
            cursor.execute(f'SELECT "{column}" FROM "{table}"')
            keys[table] = (column, {row[0] for row in cursor.fetchall()})
    return keys


def _commit_world(django_db_blocker) -> None:
    from django.test import override_settings

    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        before = _row_keys()
        _WORLD["template"] = build_world()
        # The rows the world added, table by table: what ``_remove_world`` deletes.
        _WORLD["rows"] = {
            table: (column, added)
            for table, (column, keys) in _row_keys().items()
            if (added := keys - before.get(table, (None, set()))[1])
        }


def _world_in_db() -> bool:
    # As the platform: on PostgreSQL row-level security hides every tenant from no scope at all.
    with dangerously_platform_scope():
        return Tenant.objects.filter(pk=_WORLD["template"].a.tenant.pk).exists()


def _remove_world() -> None:
    _remove_rows(_WORLD["rows"])


def _remove_rows(rows: dict) -> None:
    """Deletes these rows ({table: (key column, keys)}: what the world or the demo added; nothing
    else is left between tests), as the database owner: the application role may not delete
    audit events."""
    from django.db import connection

    def statements():
        for table, (column, added) in rows.items():
            yield f'DELETE FROM "{table}" WHERE "{column}" = %s', [(key,) for key in added]

    if connection.vendor == "postgresql":
        import psycopg

        s = connection.settings_dict
        owner = OWNER_CREDENTIALS or {"user": s["USER"], "password": s["PASSWORD"]}
        with psycopg.connect(
            host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, dbname=s["NAME"],
            user=owner["user"], password=owner["password"] or None, autocommit=True,
        ) as conn, conn.cursor() as cursor:  # fmt: skip
            # The owner is a superuser in CI: no row-level security; replica mode skips the
            # foreign-key checks, so the order of the deletes does not matter.
            cursor.execute("SET session_replication_role = replica")
            for sql, params in statements():
                cursor.executemany(sql, params)
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys = OFF")
        for sql, params in statements():
            cursor.executemany(sql, params)
        cursor.execute("PRAGMA foreign_keys = ON")


def _uses_db(item) -> bool:
    return bool(item.get_closest_marker("django_db")) or bool(
        {"db", "transactional_db", "world", "browser_world", "live_server"} & set(item.fixturenames)
    )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    # Before any fixture of the test, so outside its transaction.
    if not _uses_db(item):
        return
    from pytest_django.plugin import blocking_manager_key

    blocker = item.config.stash[blocking_manager_key]
    reads_demo = "seeded_demo" in item.fixturenames
    with blocker.unblock():
        if _DEMO["log"] is not None and not reads_demo and _demo_in_db():
            _remove_demo()
        if _WORLD["template"] is not None:
            present = _world_in_db()
            if item.get_closest_marker("no_world") or reads_demo:
                if present:
                    _remove_world()
            elif not present:
                _commit_world(blocker)
        if reads_demo and _DEMO["log"] is not None and not _demo_in_db():
            _commit_demo(blocker)  # built before (``_committed_demo``) and removed since


# --- the seeded demo, committed once per worker for the tests that only read it --------------------
# ``seed_demo`` takes the better part of a minute; the tests that read what it built (and roll back
# whatever they change, as every ``db`` test does) share one build per worker. They are ordered
# after the other tests on the database (``_run_order``); the first test after them that does not
# read the demo removes it, as the world is removed.
_DEMO: dict = {"log": None, "logins": None, "rows": {}, "chains": []}


@dataclass(frozen=True)
class SeededDemo:
    log: str  # what ``seed_demo`` printed (its summary and the logins table)
    logins: str  # what ``seed_demo --json`` prints: the demo logins


def _demo_in_db() -> bool:
    from tenants.demo import TENANTS

    with dangerously_platform_scope():
        return Tenant.objects.filter(credit_code=TENANTS[0].credit_code).exists()


def _commit_demo(django_db_blocker) -> None:
    import json
    from io import StringIO

    from django.core.management import call_command
    from django.db import transaction
    from django.test import override_settings

    from compliance.audit.models import AuditChain
    from tenants.demo import existing_logins

    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        before = _row_keys()
        # As the operator runs it, in one transaction (as seed_demo's own tests do).
        with dangerously_platform_scope(), transaction.atomic():
            # Chains the demo extends but did not start: their heads are put back on removal.
            _DEMO["chains"] = list(AuditChain.objects.values("key", "last_seq", "last_hash"))
            out = StringIO()
            call_command("seed_demo", stdout=out, stderr=StringIO())
            _DEMO["log"] = out.getvalue()
            _DEMO["logins"] = json.dumps(existing_logins()[0], ensure_ascii=False, indent=2)
        _DEMO["rows"] = {
            table: (column, added)
            for table, (column, keys) in _row_keys().items()
            if (added := keys - before.get(table, (None, set()))[1])
        }


def _remove_demo() -> None:
    from compliance.audit.models import AuditChain

    _remove_rows(_DEMO["rows"])
    with dangerously_platform_scope():
        for head in _DEMO["chains"]:
            AuditChain.objects.filter(key=head["key"]).update(
                last_seq=head["last_seq"], last_hash=head["last_hash"]
            )


@pytest.fixture(scope="session")
def _committed_demo(django_db_setup, django_db_blocker) -> None:
    # Session-scoped, so it is set up on the test database and before the test's transaction
    # begins; a later removal is made good by ``pytest_runtest_setup``.
    if _DEMO["log"] is None:
        _commit_demo(django_db_blocker)


@pytest.fixture
def seeded_demo(_committed_demo, db) -> SeededDemo:
    """The demo as ``seed_demo`` builds it, committed once per worker (see ``_DEMO``); the test
    runs in a transaction rolled back afterwards, like every ``db`` test."""
    assert _demo_in_db()
    return SeededDemo(log=_DEMO["log"], logins=_DEMO["logins"])


OWNER_CREDENTIALS: dict = {}


@pytest.fixture
def owner_cursor(db):
    """A cursor that acts as the tables' owner (someone with direct database access)."""
    from django.db import connection

    if connection.vendor != "postgresql" or not OWNER_CREDENTIALS:
        with connection.cursor() as cursor:
            yield cursor
        return
    import psycopg

    s = connection.settings_dict
    with psycopg.connect(
        host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, dbname=s["NAME"],
        user=OWNER_CREDENTIALS["user"], password=OWNER_CREDENTIALS["password"] or None, autocommit=True,
    ) as conn, conn.cursor() as cursor:  # fmt: skip
        yield cursor


@pytest.fixture(autouse=True)
def _fast_passwords(settings, tmp_path):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@dataclass
class TenantWorld:
    tenant: Tenant
    hq: OrgUnit
    subsidiary: OrgUnit
    mine: OrgUnit  # coal, in Guizhou (52…)
    other_mine: OrgUnit  # second mine of the subsidiary
    team: OrgUnit
    other_team: OrgUnit
    users: dict = field(default_factory=dict)  # role → User
    people: list = field(default_factory=list)
    worker_person: Person | None = None

    def scope(self, role: str):
        return scope_for_user(self.users[role])


@dataclass
class World:
    a: TenantWorld
    b: TenantWorld
    regulator_in: object  # provincial agency user for 52 (Guizhou): sees both tenants' Guizhou mines
    regulator_out: object  # agency user for 11 (Beijing): sees nothing here
    agency_in: RegulatorAgency = None


def build_tenant(label: str, *, seed: int, mine_region: str, other_region: str) -> TenantWorld:
    tenant = services.tenant_create(name=f"{label}矿业集团", credit_code=credit_code(seed))
    with dangerously_platform_scope() as platform:
        hq = OrgUnit.objects.get(tenant=tenant, parent__isnull=True)
        sub = services.org_unit_create(scope=platform, parent=hq, kind="subsidiary", name=f"{label}子公司")
        mine = services.org_unit_create(
            scope=platform,
            parent=sub,
            kind="mine",
            name=f"{label}一矿",
            mine_profile={"mine_type": "coal_underground", "region_code": mine_region},
        )
        other_mine = services.org_unit_create(
            scope=platform,
            parent=sub,
            kind="mine",
            name=f"{label}二矿",
            mine_profile={"mine_type": "metal_underground", "region_code": other_region},
        )
        team = services.org_unit_create(scope=platform, parent=mine, kind="team", name=f"{label}综采一队")
        other_team = services.org_unit_create(
            scope=platform, parent=other_mine, kind="team", name=f"{label}掘进队"
        )
    world = TenantWorld(tenant, hq, sub, mine, other_mine, team, other_team)
    where = {
        roles.TENANT_ADMIN: hq,
        roles.HQ_AUDITOR: hq,
        roles.SAFETY_MANAGER: mine,
        roles.TEAM_LEADER: team,
    }
    for role, unit in where.items():
        world.users[role] = services.tenant_user_create(
            tenant=tenant, username=f"{label.lower()}-{role}", password=PASSWORD, role=role, org_unit=unit
        )
    with dangerously_platform_scope() as platform:
        for index, (unit, category) in enumerate(
            [(team, "other"), (team, "special_operation"), (mine, "principal"), (other_team, "other")]
        ):
            world.people.append(
                services.person_create(
                    scope=platform,
                    org_unit=unit,
                    resident_id=resident_id(mine_region, seq=seed * 10 + index),
                    name=f"{label}员工{index}",
                    employee_no=f"{label}-{index:03d}",
                    post_category=category,
                    operation_type="electrician" if category == "special_operation" else "",
                )
            )
        world.worker_person = world.people[0]
        world.users[roles.WORKER] = services.person_login_create(
            scope=platform, person=world.worker_person, username=f"{label.lower()}-worker", password=PASSWORD
        )
    return world


def build_world() -> World:
    """Two tenants with every role, a regulator whose jurisdiction holds a mine of each, and one
    whose jurisdiction holds none."""
    a = build_tenant("A", seed=1, mine_region="520201", other_region="530102")
    b = build_tenant("B", seed=2, mine_region="520302", other_region="140105")
    agency_in = services.agency_create(name="贵州煤矿安全监察局", level="provincial", region_prefix="52")
    agency_out = services.agency_create(name="北京市应急管理局", level="provincial", region_prefix="11")
    regulator_in = services.agency_user_create(agency=agency_in, username="reg-in", password=PASSWORD)
    regulator_out = services.agency_user_create(agency=agency_out, username="reg-out", password=PASSWORD)
    return World(a=a, b=b, regulator_in=regulator_in, regulator_out=regulator_out, agency_in=agency_in)


@pytest.fixture(scope="session")
def _committed_world(django_db_setup, django_db_blocker) -> None:
    # Session-scoped, so it is set up before the test's transaction begins.
    if _WORLD["template"] is None:
        _commit_world(django_db_blocker)


@pytest.fixture
def world(_committed_world, db) -> World:
    """The world committed for this worker; a copy, so a test may change the objects freely
    (the database rolls back, as with Django's setUpTestData)."""
    return copy.deepcopy(_WORLD["template"])


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def as_user():
    return login


@pytest.fixture
def in_scope():
    """``with in_scope(user): ...`` — run ORM code as that user would see it."""
    return lambda user: activate(scope_for_user(user))
