"""What the province-scale benchmarks share (``duties_scale.py``, ``hazards_scale.py``): Django set
up on a fresh database, the groups of mines in one province, the app's ordinary role for measuring,
the timing loop and the table of results. One copy, so the figures of one benchmark are measured
exactly like those of the other.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from pgdb import BenchDatabase

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BENCH_PASSWORD = "Kuangan-bench-2026"  # never used to log in: the benches force logins
GOAL_MS = 200.0
BATCH = 5000
BUDGET_S = 30.0  # a measure stops after this many seconds of runs


# --- database -----------------------------------------------------------------------------------
def setup_django(db: BenchDatabase, sqlite: bool, var_dir: Path) -> None:
    os.environ["KUANGAN_VAR_DIR"] = str(var_dir)
    if sqlite:
        os.environ["DATABASE_URL"] = f"sqlite:///{var_dir / 'bench.sqlite3'}"
    else:
        os.environ["DATABASE_URL"] = db.url()  # the owner: migrations and the data set
        os.environ["DATABASE_APP_ROLE"] = db.app_role
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "compliance.settings")
    import django

    django.setup()


def connect_as_app_role(db: BenchDatabase) -> None:
    """From here on, connect as the application's ordinary role: row-level security applies."""
    from django.db import connections

    default = connections["default"]
    if default.vendor != "postgresql":
        return
    connections.close_all()
    default.settings_dict["USER"], default.settings_dict["PASSWORD"] = db.app_role, ""


def backend_name() -> str:
    from django.db import connection

    return connection.vendor + (" (app role, RLS)" if connection.vendor == "postgresql" else "")


def analyze(vacuum: bool = False) -> None:
    """Fresh planner statistics after the bulk load, as autovacuum would give them in time; with
    ``vacuum``, also the visibility map autovacuum would set on a table that only grew (without it
    no index-only scan can skip the table), i.e. the steady state of a register."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")


@contextmanager
def bench_database(db: BenchDatabase, *, sqlite: bool, keep: bool, prefix: str, reuse: bool = False):
    """A fresh database (PostgreSQL ``db``, or a SQLite file) with Django set up on it; dropped
    again afterwards unless ``keep``. With ``reuse``, the PostgreSQL database a ``--keep`` run
    left, migrated to the code as it is now (to measure a fix on the same data)."""
    var_dir = Path(tempfile.mkdtemp(prefix=prefix))
    if reuse:
        print(f"reusing database {db.name} …", flush=True)
    elif not sqlite:
        print(f"creating database {db.name} …", flush=True)
        db.create()
    try:
        setup_django(db, sqlite, var_dir)
        from django.core.management import call_command

        print("migrating …", flush=True)
        call_command("migrate", verbosity=0)
        yield var_dir
    finally:
        if not sqlite and not keep:
            from django.db import connections

            connections.close_all()
            db.drop()
        if not keep:
            shutil.rmtree(var_dir, ignore_errors=True)


# --- data ---------------------------------------------------------------------------------------
MINE_TYPES = ["coal_underground", "coal_underground", "metal_underground"]


def build_groups(
    mines: int, *, name: str, credit_body: str, login: str, groups: int = 2, subsidiaries: int = 10
) -> list[dict]:
    """``mines`` mines in ``groups`` groups of ``subsidiaries`` subsidiaries, bulk inserted, all
    in Guizhou (region codes 520210…520299), two thirds coal; a group admin per group.

    ``credit_body`` is the first 15 characters of the groups' credit codes (the group number and
    the check digit follow). Returns per group its tenant, HQ, admin and mines (org units)."""
    from stdnum.cn import uscc

    from tenants import roles, services
    from tenants.models import MineProfile, OrgUnit

    out = []
    for g in range(groups):
        body = f"{credit_body}{g:02d}"
        tenant = services.tenant_create(name=f"{name}{g + 1}", credit_code=body + uscc.calc_check_digit(body))
        hq = OrgUnit.objects.get(tenant=tenant, parent__isnull=True)
        admin = services.tenant_user_create(
            tenant=tenant, username=f"{login}-admin-{g}", password=BENCH_PASSWORD,
            role=roles.TENANT_ADMIN, org_unit=hq,
        )  # fmt: skip
        subs = [
            OrgUnit(tenant=tenant, parent=hq, kind="subsidiary", name=f"子公司{s + 1}")
            for s in range(subsidiaries)
        ]
        for sub in subs:
            sub.path, sub.depth = f"{hq.path}{sub.id.hex}/", 1
        OrgUnit.objects.bulk_create(subs)
        units = []
        for m in range(mines // groups):
            sub = subs[m % len(subs)]
            unit = OrgUnit(tenant=tenant, parent=sub, kind="mine", name=f"{sub.name}第{m + 1}矿")
            unit.path, unit.depth = f"{sub.path}{unit.id.hex}/", 2
            units.append(unit)
        OrgUnit.objects.bulk_create(units)
        MineProfile.objects.bulk_create(
            [
                MineProfile(
                    tenant=tenant,
                    org_unit=unit,
                    mine_type=MINE_TYPES[n % 3],
                    region_code=f"5202{n % 90 + 10:02d}",
                )  # fmt: skip
                for n, unit in enumerate(units)
            ]
        )
        out.append({"tenant": tenant, "hq": hq, "admin": admin, "mines": units})
    return out


def build_regulator(*, name: str, login: str):
    """The provincial regulator of Guizhou (prefix 52): every mine of every group above."""
    from tenants import services

    agency = services.agency_create(name=name, level="provincial", region_prefix="52")
    user = services.agency_user_create(agency=agency, username=login, password=BENCH_PASSWORD)
    return agency, user


# --- measuring ------------------------------------------------------------------------------------
def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def timed(fn, repeat: int, budget: float = BUDGET_S) -> tuple[list[float], int]:
    """Run ``fn`` once to warm up, then ``repeat`` times (or until ``budget`` seconds are spent):
    the times in ms and the queries of the last run (``set_config(...)``, which only writes the
    scope into the connection, not counted). ``BENCH_SHOW_QUERIES=1`` prints them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fn()
    times: list[float] = []
    spent = time.perf_counter()
    queries: list = []
    while len(times) < repeat:
        last = len(times) == repeat - 1 or time.perf_counter() - spent > budget
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            fn()
            times.append((time.perf_counter() - started) * 1000)
        if last:
            queries = [q for q in ctx.captured_queries if "set_config(" not in q["sql"]]
            break
    if os.environ.get("BENCH_SHOW_QUERIES"):
        for q in queries:
            print(f"  {q['time']:>6} {q['sql'][:200]}")
    return times, len(queries)


class Measures:
    """The rows of the result table, measured one after the other."""

    def __init__(self, repeat: int):
        self.repeat = repeat
        self.rows: list[tuple[str, list[float], int]] = []

    def call(self, label: str, fn) -> None:
        print(f"measuring: {label} …", flush=True)
        times, queries = timed(fn, self.repeat)
        self.rows.append((label, times, queries))

    def page(self, user, url: str, label: str) -> None:
        """GET ``url`` as ``user`` (a forced login, so its own scope), expecting 200."""
        from django.test import Client

        client = Client()
        client.force_login(user)

        def get():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        self.call(label, get)

    def print(self, heading: str, goal_ms: float = GOAL_MS, width: int = 50) -> bool:
        print()
        print(heading)
        columns = f"{'runs':>6}{'p50 ms':>10}{'p95 ms':>10}{'queries':>9}{'goal ms':>10}  met"
        header = f"{'measure':<{width}}{columns}"
        print(header)
        print("-" * len(header))
        met_all = True
        for label, times, queries in self.rows:
            p50, p95 = statistics.median(times), pct(times, 95)
            met = p95 < goal_ms
            met_all &= met
            verdict = "yes" if met else "NO"
            figures = f"{len(times):>6}{p50:>10.1f}{p95:>10.1f}{queries:>9}{goal_ms:>10.0f}"
            print(f"{label:<{width}}{figures}  {verdict}")
        print("-" * len(header))
        print(f"goals met (p95 under the goal): {'all' if met_all else 'NOT all'}")
        print(f"load average (1, 5, 15 min) at the end: {os.getloadavg()}; machine: {os.cpu_count()} cores")
        return met_all
