"""Benchmark (not a test): monitoring systems posting alarms concurrently (issue 21).

    .venv/bin/python bench/alarms_ingest.py [--sqlite] [--mines 500] [--rate 200] [--seconds 60]
                                            [--threads 32] [--retries 0.2] [--keep]

What it does:
1. creates a fresh database (PostgreSQL ``kuangan_bench_alarms`` on BENCH_PG with the app's
   ordinary role, so row-level security is in force; or ``--sqlite``) and runs the migrations;
2. builds ``--mines`` mines in two groups (``benchkit.build_groups``) and one alarm feed key per
   mine (bulk inserted);
3. posts alarms for ``--seconds`` at ``--rate`` posts a second (an open loop: each post has its
   start time, whatever the answers), from ``--threads`` threads through Django's test client in
   this process (no web server: the figures are the application's and the database's), each
   post by the feed of a random mine; a share ``--retries`` of the posts repeats an earlier one
   of the same mine (a system retrying after a timeout), sometimes while the first is in flight;
4. checks that every alarm is stored exactly once (rows = distinct (mine, alarm id) posted, no
   key twice), that every first post answered 201 or 200 and every repeat 200 or 201 — never an
   error — and prints p50/p95/p99 per post against the goal p95 < 100 ms, and the rate reached.

Quick check on SQLite (seconds): ``bench/alarms_ingest.py --quick`` (= ``--sqlite --mines 10
--rate 20 --seconds 3 --threads 4``).
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import statistics
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchkit import backend_name, bench_database, build_groups, connect_as_app_role, pct  # noqa: E402
from pgdb import BenchDatabase  # noqa: E402

DB = BenchDatabase("kuangan_bench_alarms", "kuangan_bench_alarms_app")
GOAL_MS = 100.0
KINDS = ["gas", "co", "wind_speed", "fan_power", "water_level"]


def build(mines: int) -> list[tuple[object, str]]:
    """The groups, and (mine, feed key) for every mine."""
    import secrets

    from compliance.alarms import services
    from compliance.alarms.models import AlarmFeed

    groups = build_groups(mines, name="报警基准集团", credit_body="91520000MA0BALM", login="bench-alarms")
    feeds, out = [], []
    for group in groups:
        for mine in group["mines"]:
            key = services.FEED_KEY_START + secrets.token_urlsafe(32)
            feeds.append(
                AlarmFeed(tenant=group["tenant"], mine=mine, name="基准监控系统", key_prefix=key[:12],
                          key_hash=services.feed_key_hash(key))
            )  # fmt: skip
            out.append((mine, key))
    AlarmFeed.objects.bulk_create(feeds)
    return out


def plan(
    feeds, rate: int, seconds: float, retries: float, seed: int = 7
) -> list[tuple[float, int, dict, bool]]:
    """(start second, feed index, body, is a repeat) for every post, in start order."""
    rng = random.Random(seed)
    posts, sent = [], []
    now = datetime.datetime.now(datetime.UTC)
    for n in range(int(rate * seconds)):
        at = n / rate
        if sent and rng.random() < retries:
            index, body = sent[rng.randrange(max(0, len(sent) - 50), len(sent))]  # a recent one
            posts.append((at, index, body, True))
            continue
        index = rng.randrange(len(feeds))
        body = {
            "source_id": f"B-{n:08d}",
            "system": "safety_monitoring",
            "kind": KINDS[n % len(KINDS)],
            "point_code": f"T{rng.randrange(1, 40):04d}",
            "value": "1.25",
            "unit": "%",
            "limit": "1.00",
            "occurred_at": (now - datetime.timedelta(seconds=rng.randrange(1, 600))).isoformat(),
        }
        sent.append((index, body))
        posts.append((at, index, body, False))
    return posts


def run(feeds, posts, threads: int) -> tuple[list[float], Counter, float]:
    """Post everything on schedule from ``threads`` threads; (latencies ms, answers, seconds)."""
    from django.db import connection
    from django.test import Client

    latencies: list[float] = []
    answers: Counter = Counter()
    lock = threading.Lock()
    queue = list(enumerate(posts))
    cursor = {"next": 0}
    start = time.perf_counter() + 0.2

    def worker():
        client = Client(HTTP_HOST="127.0.0.1")
        while True:
            with lock:
                if cursor["next"] >= len(queue):
                    break
                _n, (at, index, body, repeat) = queue[cursor["next"]]
                cursor["next"] += 1
            delay = start + at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            began = time.perf_counter()
            response = client.post(
                "/api/v1/alarms/ingest/", json.dumps(body), content_type="application/json",
                HTTP_AUTHORIZATION=f"Token {feeds[index][1]}",
            )  # fmt: skip
            took = (time.perf_counter() - began) * 1000
            with lock:
                latencies.append(took)
                answers[("repeat" if repeat else "first", response.status_code)] += 1
        connection.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return latencies, answers, time.perf_counter() - start


def check(feeds, posts) -> tuple[int, int, int]:
    """(rows stored, distinct alarms posted, keys stored more than once)."""
    from django.db.models import Count

    from compliance.alarms.models import Alarm
    from tenants.scope import dangerously_platform_scope

    wanted = {(str(feeds[index][0].pk), body["source_id"]) for _at, index, body, _r in posts}
    with dangerously_platform_scope():
        rows = Alarm.objects.count()
        twice = Alarm.objects.values("mine_id", "source_id").annotate(n=Count("pk")).filter(n__gt=1).count()
    return rows, len(wanted), twice


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sqlite", action="store_true", help="use a SQLite file instead of PostgreSQL")
    parser.add_argument("--mines", type=int, default=500)
    parser.add_argument("--rate", type=int, default=200, help="posts a second")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument(
        "--retries", type=float, default=0.2, help="share of posts that repeat an earlier one"
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument("--quick", action="store_true", help="a few seconds on SQLite: does it work")
    args = parser.parse_args()
    if args.quick:
        args.sqlite, args.mines, args.rate, args.seconds, args.threads = True, 10, 20, 3, 4

    t0 = time.perf_counter()
    with bench_database(DB, sqlite=args.sqlite, keep=args.keep, prefix="kuangan-bench-alarms-"):
        from django.conf import settings

        from tenants.scope import dangerously_platform_scope

        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]
        print(f"building {args.mines} mines and their feed keys …", flush=True)
        with dangerously_platform_scope():
            feeds = build(args.mines)
        connect_as_app_role(DB)
        posts = plan(feeds, args.rate, args.seconds, args.retries)
        print(
            f"posting {len(posts):,} alarms over {args.seconds:.0f} s from {args.threads} threads …",
            flush=True,
        )
        latencies, answers, took = run(feeds, posts, args.threads)
        rows, distinct, twice = check(feeds, posts)
        backend = backend_name()

    errors = sum(n for (_kind, code), n in answers.items() if code not in (200, 201))
    p95 = pct(latencies, 95)
    print()
    print(f"backend: {backend}; {args.mines} mines, {len(posts):,} posts ({args.retries:.0%} repeats), "
          f"{args.threads} threads")  # fmt: skip
    print(f"answers: {dict(sorted(answers.items()))}")
    print(f"rate reached: {len(posts) / took:.0f} posts/s (asked {args.rate})")
    verdict = "met" if p95 < GOAL_MS else "NOT met"
    print(
        f"latency per post: p50 {statistics.median(latencies):.1f} ms, p95 {p95:.1f} ms, "
        f"p99 {pct(latencies, 99):.1f} ms (goal p95 < {GOAL_MS:.0f} ms: {verdict})"
    )
    once = rows == distinct and twice == 0
    print(f"stored: {rows:,} rows for {distinct:,} distinct alarms posted; keys stored twice: {twice} "
          f"→ {'exactly once' if once else 'NOT exactly once'}")  # fmt: skip
    print(f"errors: {errors}; total run {time.perf_counter() - t0:.0f} s")
    return 0 if once and errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
