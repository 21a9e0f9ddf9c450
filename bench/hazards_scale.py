"""Benchmark (not a test): the hidden-danger register and its dashboard at province scale (issue 17).

    .venv/bin/python bench/hazards_scale.py [--sqlite] [--mines 2000] [--hazards 1000000]
                                            [--repeat 50] [--keep]

What it does:
1. creates a fresh database — on PostgreSQL (``kuangan_bench_hazards`` on BENCH_PG, default
   postgres://postgres@127.0.0.1:5432, dropped again at the end) with an ordinary login role for
   the app, so that row-level security is in force as in production; or, with ``--sqlite``, a
   SQLite file in a temporary directory — and runs the migrations;
2. builds ``--mines`` mines (2,000) in two groups of 10 subsidiaries, all in Guizhou (52), two
   thirds coal (``benchkit.build_groups``, as the duties benchmark), the provincial regulator;
   then ``--hazards`` (1,000,000) hazards found over the last three years, spread over the mines
   and bulk inserted: about 3 % 重大 (reported to the regulator), found by self-checks (most),
   inspections, workers (随手拍, some still waiting to be confirmed or rejected), regulators and
   other capabilities' conditions; the older a hazard, the likelier it is closed — most recent ones
   are in every open state, some past their deadline (escalated), a few old ones still open;
   no history rows (only a hazard's own page reads them);
3. measures, in this process, as the app's ordinary role (RLS) under each user's own scope, for
   the provincial regulator (2,000 mines) and a group admin (1,000):
   a. the register page (GET /hazards/, first page of 50) and the same filtered to open and
      overdue (``?status=open&overdue=1``);
   b. the dashboard page (GET /hazards/dashboard/) and its chart (``chart.svg``);
   c. the API list (GET /api/v1/hazards/, first page of 50) and the same filtered;
4. prints p50/p95 and queries of each (``set_config(...)`` statements not counted) against the
   goal p95 < 200 ms. A measure stops after 30 s of runs and reports how many it made.

Small-scale check on SQLite: ``bench/hazards_scale.py --sqlite --mines 20 --hazards 2000 --repeat 5``.
"""

from __future__ import annotations

import argparse
import datetime
import random
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

DB = BenchDatabase("kuangan_bench_hazards", "kuangan_bench_hazards_app")
YEARS = 3


def _state(rng: random.Random, age: int, source: str) -> str:
    """A hazard's status by its age in days: the older, the likelier closed."""
    r = rng.random()
    if source == "worker_report":
        if age < 7 and r < 0.5:
            return "reported"
        if r < 0.12:
            return "rejected"
        r = rng.random()
    if age > 90:
        table = (("closed", 0.975), ("accepted", 0.985), ("rectifying", 1.0))
    elif age > 30:
        table = (("closed", 0.80), ("accepted", 0.85), ("awaiting_acceptance", 0.90), ("rectifying", 1.0))
    else:
        table = (
            ("closed", 0.20),
            ("accepted", 0.30),
            ("awaiting_acceptance", 0.50),
            ("rectifying", 0.85),
            ("registered", 1.0),
        )
    for status, upto in table:
        if r < upto:
            return status
    return "closed"


def build(mines: int, hazards: int) -> dict:
    from compliance.inspections.hazards.models import Hazard

    today = datetime.date.today()
    tz = datetime.timezone(datetime.timedelta(hours=8))
    span = 365 * YEARS
    agency, regulator = build_regulator(
        name="贵州省矿山安全监察局（隐患压测）", login="bench-hazards-regulator"
    )
    groups = build_groups(mines, name="压测隐患集团", credit_body="91520000MA0BHAX", login="bench-hazards")
    rng = random.Random(17)
    # Of every 100: 80 self-checks, 9 inspections, 6 workers' reports, 4 regulators, 1 condition.
    sources = ["self_check"] * 80 + ["inspection"] * 9 + ["worker_report"] * 6 + ["regulator"] * 4
    sources.append("condition")
    out: dict = {"groups": groups, "regulator": regulator, "hazards": 0, "states": {}, "mines": mines}
    per_group = hazards // len(groups)
    for g, group in enumerate(groups):
        tenant, units = group["tenant"], group["mines"]
        numbers: dict[int, int] = {}
        batch = []
        for n in range(per_group):
            unit = units[n % len(units)]
            age = int(span * (1 - rng.random() ** 1.1))  # a little more in recent years
            found_on = today - datetime.timedelta(days=age)
            source = sources[n % len(sources)]
            status = _state(rng, age, source)
            major = rng.random() < 0.03
            numbers[found_on.year] = seq = numbers.get(found_on.year, 0) + 1
            h = Hazard(
                tenant=tenant, mine=unit, number=f"YH-{found_on.year}-{seq:05d}",
                location=f"{n % 40 + 1}号工作面", description=f"压测隐患{n}：巷道支护变形，需及时处理",
                grade="major" if major else "general", source=source, status=status, found_on=found_on,
                found_by_name="压测",
            )  # fmt: skip
            if source == "condition":
                h.condition_key = f"bench.condition:{n}"
            if major and status not in ("reported", "rejected"):
                h.reported_agency = agency
                h.reported_at = datetime.datetime.combine(found_on, datetime.time(10), tz)
            if status not in ("reported", "rejected", "registered"):
                days = 60 if major else 15
                h.deadline = found_on + datetime.timedelta(days=days)
                h.responsible, h.measures = "压测责任人", "加固支护"
                if major:
                    h.target = h.funds = h.materials = h.organisation = "压测"
                    h.safety_measures = h.contingency = "压测"
                    h.stop_scope, h.stop_area = "area", h.location
            if status in ("awaiting_acceptance", "accepted", "closed"):
                done = found_on + datetime.timedelta(days=rng.randint(3, 20 if not major else 75))
                h.rectified_at = datetime.datetime.combine(done, datetime.time(16), tz)
            if status in ("accepted", "closed"):
                h.accepted_at = h.rectified_at + datetime.timedelta(days=1)
            if status == "closed":
                h.closed_at = h.accepted_at + datetime.timedelta(days=1)
            if h.deadline and status in ("registered", "rectifying", "awaiting_acceptance"):
                late = (today - h.deadline).days
                h.escalation = 2 if late > 7 else 1 if late > 0 else 0
            out["states"][status] = out["states"].get(status, 0) + 1
            batch.append(h)
            if len(batch) >= BATCH:
                Hazard.objects.bulk_create(batch)
                out["hazards"] += len(batch)
                batch = []
                if out["hazards"] % (20 * BATCH) == 0:
                    print(f"  group {g + 1}: {out['hazards']:,} hazards", flush=True)
        if batch:
            Hazard.objects.bulk_create(batch)
            out["hazards"] += len(batch)
    return out


def existing() -> dict:
    """The world of a kept database: its logins, mines and hazards by state."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from compliance.inspections.hazards.models import Hazard
    from tenants.models import OrgUnit

    users = get_user_model().objects
    states = dict(Hazard.objects.values_list("status").annotate(n=Count("pk")).order_by())
    return {
        "groups": [{"admin": users.get(username="bench-hazards-admin-0")}],
        "regulator": users.get(username="bench-hazards-regulator"),
        "hazards": sum(states.values()),
        "states": states,
        "mines": OrgUnit.objects.filter(kind="mine").count(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sqlite", action="store_true", help="use a SQLite file instead of PostgreSQL")
    parser.add_argument("--mines", type=int, default=2000)
    parser.add_argument("--hazards", type=int, default=1_000_000, help="hazards in all, over three years")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="measure on the database a --keep run left (migrated first)"
    )
    args = parser.parse_args()
    if args.reuse and args.sqlite:
        parser.error("--reuse is for PostgreSQL")

    t0 = time.perf_counter()
    measures = Measures(args.repeat)
    with bench_database(
        DB, sqlite=args.sqlite, keep=args.keep, prefix="kuangan-bench-hazards-", reuse=args.reuse
    ):
        from tenants.scope import dangerously_platform_scope

        built = time.perf_counter()
        with dangerously_platform_scope():
            if args.reuse:
                world = existing()
            else:
                print(f"building {args.mines} mines and {args.hazards:,} hazards …", flush=True)
                world = build(args.mines, args.hazards)
        build_s = time.perf_counter() - built
        print(f"{'found' if args.reuse else 'built'} in {build_s:.0f} s", flush=True)
        analyze(vacuum=True)
        connect_as_app_role(DB)
        backend = backend_name()
        regulator, admin = world["regulator"], world["groups"][0]["admin"]

        mines = world["mines"]
        who = [(regulator, f"regulator ({mines} mines)"), (admin, f"group admin ({mines // 2})")]
        for user, label in who:
            measures.page(user, "/hazards/", f"register page, {label}")
            measures.page(user, "/hazards/?status=open&overdue=1", f"register open+overdue, {label}")
            measures.page(user, "/hazards/dashboard/", f"dashboard page, {label}")
            measures.page(user, "/hazards/dashboard/chart.svg", f"dashboard chart, {label}")
            measures.page(user, "/api/v1/hazards/", f"API list, {label}")
            measures.page(user, "/api/v1/hazards/?status=open&overdue=true", f"API open+overdue, {label}")

    states = ", ".join(f"{k} {v:,}" for k, v in sorted(world["states"].items(), key=lambda kv: -kv[1]))
    measures.print(
        f"backend: {backend}; {world['mines']} mines, {world['hazards']:,} hazards over {YEARS} years "
        f"({'reused' if args.reuse else f'built in {build_s:.0f} s'})\nstates: {states}",
        width=52,
    )
    print(f"total run {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
