"""Benchmark (not a test): leaders on shift and the post rosters at province scale (issue 15).

    .venv/bin/python bench/duties_scale.py [--sqlite] [--mines 2000] [--days 365] [--repeat 50] [--keep]

What it does:
1. creates a fresh database — on PostgreSQL (``kuangan_bench_duties`` on BENCH_PG, default
   postgres://postgres@127.0.0.1:5432, dropped again at the end) with an ordinary login role for
   the app, so that row-level security is in force as in production; or, with ``--sqlite``, a
   SQLite file in a temporary directory — and runs the migrations;
2. builds ``--mines`` mines (2,000) in two groups of 10 subsidiaries, all in Guizhou (52), two
   thirds coal: per mine the five posts held (a coal mine also its deputy chief engineer and six
   technicians, a few posts vacant), each appointment with its filing (some late); then
   ``--days`` (365) days of shift records at 3 shifts a day for every mine (2.19 million rows at
   full scale, bulk inserted; about 1 % without a leader, 1 % with the leader up early) and the
   last month's plan;
3. measures, in this process, as the app's ordinary role (RLS) under each user's own scope:
   a. the shift-coverage page for last month (GET /duties/shifts/?month=…) for the provincial
      regulator (2,000 mines, one page of 50) and a group admin (1,000), and the coverage selector
      over all 2,000 mines at once;
   b. the regulator's roster list (GET /duties/posts/, one page of 50 mines with warnings) and
      the same list in the API (GET /api/v1/duties/rosters/);
4. prints p50/p95 and queries of each (``set_config(...)`` statements not counted) against the
   goal p95 < 200 ms. A measure stops after 30 s of runs and reports how many it made.

Small-scale check on SQLite: ``bench/duties_scale.py --sqlite --mines 20 --days 31 --repeat 5``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pgdb import BenchDatabase  # noqa: E402 — beside this script

DB = BenchDatabase("kuangan_bench_duties", "kuangan_bench_duties_app")
APP_ROLE = DB.app_role
BENCH_PASSWORD = "Kuangan-bench-2026"  # never used to log in: the bench forces logins
GOAL_MS = 200.0
BATCH = 5000


def setup_django(sqlite: bool, var_dir: Path) -> None:
    os.environ["KUANGAN_VAR_DIR"] = str(var_dir)
    if sqlite:
        os.environ["DATABASE_URL"] = f"sqlite:///{var_dir / 'bench.sqlite3'}"
    else:
        os.environ["DATABASE_URL"] = DB.url()
        os.environ["DATABASE_APP_ROLE"] = APP_ROLE
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "compliance.settings")
    import django

    django.setup()


def connect_as_app_role() -> None:
    from django.db import connections

    default = connections["default"]
    if default.vendor != "postgresql":
        return
    connections.close_all()
    default.settings_dict["USER"], default.settings_dict["PASSWORD"] = APP_ROLE, ""


# --- data ---------------------------------------------------------------------------------------
def build(mines: int, days: int) -> dict:
    from stdnum.cn import uscc

    from compliance.duties.models import (
        LEADER_POSTS,
        Education,
        PostAppointment,
        PostFiling,
        ShiftPlan,
        ShiftRecord,
        required_posts,
    )
    from tenants import roles, services
    from tenants.models import MineProfile, OrgUnit, Person

    today = datetime.date.today()
    first_this = today.replace(day=1)
    last_prev = first_this - datetime.timedelta(days=1)
    first_prev = last_prev.replace(day=1)
    start = today - datetime.timedelta(days=days)
    out: dict = {"groups": [], "month": f"{first_prev:%Y-%m}", "records": 0}
    tz = datetime.timezone(datetime.timedelta(hours=8))
    serial = 0
    for g in range(2):
        body = f"91520000MA0BDUT{g:02d}"
        tenant = services.tenant_create(
            name=f"压测带班集团{g + 1}", credit_code=body + uscc.calc_check_digit(body)
        )
        hq = OrgUnit.objects.get(tenant=tenant, parent__isnull=True)
        admin = services.tenant_user_create(
            tenant=tenant, username=f"bench-duties-admin-{g}", password=BENCH_PASSWORD,
            role=roles.TENANT_ADMIN, org_unit=hq,
        )  # fmt: skip
        subs = [
            OrgUnit(tenant=tenant, parent=hq, kind="subsidiary", name=f"子公司{s + 1}") for s in range(10)
        ]
        for sub in subs:
            sub.path, sub.depth = f"{hq.path}{sub.id.hex}/", 1
        OrgUnit.objects.bulk_create(subs)
        units = []
        for m in range(mines // 2):
            sub = subs[m % len(subs)]
            unit = OrgUnit(tenant=tenant, parent=sub, kind="mine", name=f"{sub.name}第{m + 1}矿")
            unit.path, unit.depth = f"{sub.path}{unit.id.hex}/", 2
            units.append(unit)
        OrgUnit.objects.bulk_create(units)
        types = ["coal_underground", "coal_underground", "metal_underground"]
        MineProfile.objects.bulk_create(
            [
                MineProfile(
                    tenant=tenant, org_unit=unit, mine_type=types[n % 3], region_code=f"5202{n % 90 + 10:02d}"
                )
                for n, unit in enumerate(units)
            ]
        )
        people, appts, filings, plans = [], [], [], []
        for n, unit in enumerate(units):
            coal = n % 3 != 2
            leaders = []
            for post in required_posts(coal):
                if n % 17 == 0 and post == "tech_water":
                    continue  # a vacancy now and then
                serial += 1
                person = Person(
                    tenant=tenant, org_unit=unit, name=f"干部{serial}", employee_no=f"B{serial:07d}",
                    resident_id_cipher="bench", resident_id_digest=f"bench-{serial}",
                    resident_id_masked="5202**********0000", post_category="safety_management",
                )  # fmt: skip
                people.append(person)
                appt = PostAppointment(
                    tenant=tenant, mine=unit, post=post, person=person, started_on=start,
                    education=Education.BACHELOR, mining_field=True, years_experience=10,
                    assessment_passed_on=start + datetime.timedelta(days=60),
                )  # fmt: skip
                appts.append(appt)
                filings.append(
                    PostFiling(
                        tenant=tenant, appointment=appt, mine=unit, kind="appointment", event_on=start,
                        due_on=start + datetime.timedelta(days=15),
                        filed_on=None if n % 23 == 0 else start + datetime.timedelta(days=5),
                    )
                )  # fmt: skip
                if post in LEADER_POSTS:
                    leaders.append(person)
            day = first_prev
            while day <= last_prev:
                for shift in (1, 2, 3):
                    leader = leaders[(day.day * 3 + shift) % len(leaders)]
                    plans.append(ShiftPlan(tenant=tenant, mine=unit, on_date=day, shift=shift, leader=leader))
                day += datetime.timedelta(days=1)
            unit.bench_leaders = leaders
        Person.objects.bulk_create(people, batch_size=BATCH)
        PostAppointment.objects.bulk_create(appts, batch_size=BATCH)
        PostFiling.objects.bulk_create(filings, batch_size=BATCH)
        ShiftPlan.objects.bulk_create(plans, batch_size=BATCH)
        # A year of shift records, inserted mine by mine in batches (never all in memory).
        batch = []
        for n, unit in enumerate(units):
            leaders = unit.bench_leaders
            for d in range(days):
                day = start + datetime.timedelta(days=d + 1)
                for shift in (1, 2, 3):
                    down = datetime.datetime.combine(day, datetime.time(7 + 8 * (shift - 1) % 24), tz)
                    up = down + datetime.timedelta(hours=8)
                    k = d * 3 + shift + n
                    leader = None if k % 97 == 0 else leaders[k % len(leaders)]
                    early = k % 89 == 0
                    leader_up = (up - datetime.timedelta(hours=1) if early else up) if leader else None
                    batch.append(
                        ShiftRecord(
                            tenant=tenant, mine=unit, on_date=day, shift=shift, crew_down_at=down,
                            crew_up_at=up, leader=leader, leader_down_at=down if leader else None,
                            leader_up_at=leader_up, source="import",
                        )
                    )  # fmt: skip
                    if len(batch) >= BATCH:
                        ShiftRecord.objects.bulk_create(batch)
                        out["records"] += len(batch)
                        batch = []
            if n % 100 == 0:
                print(
                    f"  group {g + 1}: {n}/{len(units)} mines, {out['records']:,} shift records", flush=True
                )
        if batch:
            ShiftRecord.objects.bulk_create(batch)
            out["records"] += len(batch)
        out["groups"].append({"tenant": tenant, "admin": admin, "mines": units})
    agency = services.agency_create(
        name="贵州省矿山安全监察局（带班压测）", level="provincial", region_prefix="52"
    )
    out["regulator"] = services.agency_user_create(
        agency=agency, username="bench-duties-regulator", password=BENCH_PASSWORD
    )
    return out


# --- measuring ------------------------------------------------------------------------------------
def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def timed(fn, repeat: int, budget: float = 30.0) -> tuple[list[float], int]:
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


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sqlite", action="store_true", help="use a SQLite file instead of PostgreSQL")
    parser.add_argument("--mines", type=int, default=2000)
    parser.add_argument("--days", type=int, default=365, help="days of shift records per mine")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args()

    t0 = time.perf_counter()
    var_dir = Path(tempfile.mkdtemp(prefix="kuangan-bench-duties-"))
    if not args.sqlite:
        print(f"creating database {DB.name} …", flush=True)
        DB.create()
    try:
        setup_django(args.sqlite, var_dir)
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client

        from compliance.duties import selectors
        from tenants.scope import activate, dangerously_platform_scope
        from tenants.selectors import scope_for_user

        print("migrating …", flush=True)
        call_command("migrate", verbosity=0)
        print(f"building {args.mines} mines with rosters and {args.days} days of shifts …", flush=True)
        built = time.perf_counter()
        with dangerously_platform_scope():
            world = build(args.mines, args.days)
        print(f"built in {time.perf_counter() - built:.0f} s", flush=True)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        connect_as_app_role()
        backend = connection.vendor + (" (app role, RLS)" if connection.vendor == "postgresql" else "")
        regulator, admin = world["regulator"], world["groups"][0]["admin"]
        month = world["month"]
        rows = []

        def page(user, url, label):
            client = Client()
            client.force_login(user)

            def get():
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)

            print(f"measuring: {label} …", flush=True)
            times, queries = timed(get, args.repeat)
            rows.append((label, times, queries))

        page(regulator, f"/duties/shifts/?month={month}", f"coverage page, regulator ({args.mines} mines)")
        page(admin, f"/duties/shifts/?month={month}", f"coverage page, group admin ({args.mines // 2})")
        with activate(scope_for_user(regulator)) as scope:
            mines = list(selectors.mines(scope))
            first, last = selectors.month_bounds(*map(int, month.split("-")))
            print("measuring: coverage selector, all mines …", flush=True)
            times, queries = timed(
                lambda: selectors.coverage(scope, mines, first=first, last=last), args.repeat
            )
            rows.append((f"coverage selector, all {len(mines)} mines", times, queries))
        page(regulator, "/duties/posts/", "roster list page, regulator")
        page(regulator, "/api/v1/duties/rosters/", "roster list API, regulator")
    finally:
        if not args.sqlite and not args.keep:
            from django.db import connections

            connections.close_all()
            DB.drop()
        if not args.keep:
            import shutil

            shutil.rmtree(var_dir, ignore_errors=True)

    print()
    print(f"backend: {backend}; {args.mines} mines, {world['records']:,} shift records, month {month}")
    header = f"{'measure':<46}{'runs':>6}{'p50 ms':>10}{'p95 ms':>10}{'queries':>9}{'goal ms':>10}  met"
    print(header)
    print("-" * len(header))
    met_all = True
    for label, times, queries in rows:
        p50, p95 = statistics.median(times), pct(times, 95)
        met = p95 < GOAL_MS
        met_all &= met
        verdict = "yes" if met else "NO"
        print(f"{label:<46}{len(times):>6}{p50:>10.1f}{p95:>10.1f}{queries:>9}{GOAL_MS:>10.0f}  {verdict}")
    print("-" * len(header))
    print(f"goals met (p95 under the goal): {'all' if met_all else 'NOT all'}")
    print(f"load average (1, 5, 15 min) at the end: {os.getloadavg()}; machine: {os.cpu_count()} cores")
    print(f"total run {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
