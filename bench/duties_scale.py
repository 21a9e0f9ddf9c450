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
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchkit import (  # noqa: E402 — beside this script
    BATCH,
    Measures,
    analyze,
    backend_name,
    bench_database,
    build_groups,
    build_regulator,
    connect_as_app_role,
)
from pgdb import BenchDatabase  # noqa: E402

DB = BenchDatabase("kuangan_bench_duties", "kuangan_bench_duties_app")


# --- data ---------------------------------------------------------------------------------------
def build(mines: int, days: int) -> dict:
    from compliance.duties.models import (
        LEADER_POSTS,
        Education,
        PostAppointment,
        PostFiling,
        ShiftPlan,
        ShiftRecord,
        required_posts,
    )
    from tenants.models import Person

    today = datetime.date.today()
    first_this = today.replace(day=1)
    last_prev = first_this - datetime.timedelta(days=1)
    first_prev = last_prev.replace(day=1)
    start = today - datetime.timedelta(days=days)
    out: dict = {"groups": [], "month": f"{first_prev:%Y-%m}", "records": 0}
    tz = datetime.timezone(datetime.timedelta(hours=8))
    serial = 0
    groups = build_groups(mines, name="压测带班集团", credit_body="91520000MA0BDUT", login="bench-duties")
    for g, group in enumerate(groups):
        tenant, units = group["tenant"], group["mines"]
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
        out["groups"].append(group)
    _agency, out["regulator"] = build_regulator(
        name="贵州省矿山安全监察局（带班压测）", login="bench-duties-regulator"
    )
    return out


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
    measures = Measures(args.repeat)
    with bench_database(DB, sqlite=args.sqlite, keep=args.keep, prefix="kuangan-bench-duties-"):
        from compliance.duties import selectors
        from tenants.scope import activate, dangerously_platform_scope
        from tenants.selectors import scope_for_user

        print(f"building {args.mines} mines with rosters and {args.days} days of shifts …", flush=True)
        built = time.perf_counter()
        with dangerously_platform_scope():
            world = build(args.mines, args.days)
        print(f"built in {time.perf_counter() - built:.0f} s", flush=True)
        analyze()
        connect_as_app_role(DB)
        backend = backend_name()
        regulator, admin = world["regulator"], world["groups"][0]["admin"]
        month = world["month"]

        coverage = f"/duties/shifts/?month={month}"
        measures.page(regulator, coverage, f"coverage page, regulator ({args.mines} mines)")
        measures.page(admin, coverage, f"coverage page, group admin ({args.mines // 2})")
        with activate(scope_for_user(regulator)) as scope:
            mines = list(selectors.mines(scope))
            first, last = selectors.month_bounds(*map(int, month.split("-")))
            measures.call(
                f"coverage selector, all {len(mines)} mines",
                lambda: selectors.coverage(scope, mines, first=first, last=last),
            )
        measures.page(regulator, "/duties/posts/", "roster list page, regulator")
        measures.page(regulator, "/api/v1/duties/rosters/", "roster list API, regulator")

    measures.print(
        f"backend: {backend}; {args.mines} mines, {world['records']:,} shift records, month {month}", width=46
    )
    print(f"total run {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
