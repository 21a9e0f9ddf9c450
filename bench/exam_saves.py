"""Benchmark (not a test): 500 simulated workers each answering a 50-question exam against
gunicorn + PostgreSQL on this machine, next to a trivial authenticated endpoint in the same run.

    .venv/bin/python bench/exam_saves.py [--workers 500] [--questions 50] [--concurrency 50]

What it does:
1. creates a fresh database (``kuangan_bench``, dropped again at the end) on the PostgreSQL at
   BENCH_PG (default postgres://postgres@127.0.0.1:5432), and an ordinary login role for the app
   so that row-level security is in force as in production; runs the migrations;
2. creates a group with a mine and a team, N workers with logins and API tokens, a bank of
   questions and a paper of 50 single-choice questions assigned to everyone;
3. counts the queries of one answer save in-process (CaptureQueriesContext);
4. starts gunicorn (2 × cores sync workers, persistent database connections) on a free port;
5. with httpx (async, at most ``--concurrency`` requests in flight):
   a. every worker calls GET /api/v1/me/ as many times as it has questions (the trivial
      endpoint: token check and scope resolution, nothing else);
   b. every worker starts an attempt (timed on its own);
   c. every worker saves an answer to each of its questions, one by one;
   d. paced: all workers at once at a human pace (a think time between requests, mean
      ``--think`` seconds), half answer saves and half trivial requests, for ``--paced-seconds``;
6. prints requests per second and p50/p95/p99 latency of both, their ratio, and the queries of a
   save. Goal (issue #4): save throughput ≥ 0.5 × trivial (closed loop: capacity), save p95
   < 150 ms (paced: what a worker in an exam hall feels; the closed loop's p95 is queueing).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pgdb import BenchDatabase  # noqa: E402 — beside this script

DB = BenchDatabase("kuangan_bench", "kuangan_bench_app")
APP_ROLE = DB.app_role


def setup_django() -> None:
    os.environ["DATABASE_URL"] = DB.url()  # the owner: migrations and the data set
    os.environ["DATABASE_APP_ROLE"] = APP_ROLE
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "compliance.settings")
    import django

    django.setup()


def resident_id(n: int) -> str:
    from stdnum.cn import ric

    body = f"520201{1970 + n // 1000 % 30}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def build_data(workers: int, questions: int) -> dict:
    """Everything through the services, except bulk rows where the services would take minutes
    (people, logins, the question bank); one extra worker is kept for the in-process count."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from compliance.tokens.services import api_token_issue
    from compliance.training.models import ExamPaper, PaperSection, Question, QuestionOption
    from tenants import roles, services
    from tenants.models import Membership, OrgUnit, Person
    from tenants.scope import dangerously_platform_scope

    call_command("migrate", verbosity=0)
    user_model = get_user_model()
    from stdnum.cn import uscc

    body = "91520000MA0BENCH1"
    tenant = services.tenant_create(name="压测矿业集团", credit_code=body + uscc.calc_check_digit(body))
    with dangerously_platform_scope() as platform:
        hq = OrgUnit.objects.get(tenant=tenant, parent__isnull=True)
        mine = services.org_unit_create(
            scope=platform,
            parent=hq,
            kind="mine",
            name="压测一矿",
            mine_profile={"mine_type": "coal_underground", "region_code": "520201"},
        )
        team = services.org_unit_create(scope=platform, parent=mine, kind="team", name="综采一队")
        people = [
            services.person_build(
                org_unit=team,
                resident_id=resident_id(i),
                name=f"工人{i:03d}",
                employee_no=f"BENCH-{i:04d}",
                post_category="other",
            )
            for i in range(workers + 1)
        ]
        Person.objects.bulk_create(people)
        users = user_model.objects.bulk_create(
            [user_model(username=f"bench-{i:04d}", password="!") for i in range(workers + 1)]
        )
        for person, user in zip(people, users, strict=True):
            person.user = user
        Person.objects.bulk_update(people, ["user"])
        Membership.objects.bulk_create(
            [Membership(tenant=tenant, user=u, org_unit=team, role=roles.WORKER) for u in users]
        )
        bank = Question.objects.bulk_create(
            [
                Question(tenant=tenant, org_unit=hq, type="single", stem=f"压测题 {i}：下列说法正确的是？")
                for i in range(questions + 10)
            ]
        )
        QuestionOption.objects.bulk_create(
            [
                QuestionOption(tenant=tenant, question=q, position=p, text=f"选项 {p}", is_correct=p == 0)
                for q in bank
                for p in range(4)
            ]
        )
        paper = ExamPaper.objects.create(
            tenant=tenant,
            org_unit=mine,
            title="压测考试",
            audience_post_categories=["other"],
            duration_minutes=120,
        )
        PaperSection.objects.create(
            tenant=tenant, paper=paper, question_type="single", count=questions, points=2
        )
    tokens = [api_token_issue(user=u, name="bench")[1] for u in users]
    return {"paper": str(paper.pk), "tokens": tokens[:-1], "spare_token": tokens[-1]}


def queries_per_save(data: dict) -> tuple[int, int]:
    """(queries of a whole PUT request with a token, queries of the save service alone)."""
    import json

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from compliance.training import attempts
    from compliance.training.models import Attempt
    from tenants.scope import dangerously_platform_scope

    client = Client(HTTP_AUTHORIZATION=f"Token {data['spare_token']}", HTTP_HOST="127.0.0.1")
    body = client.post(f"/api/v1/exams/{data['paper']}/attempts/").json()
    counts = []
    for q in body["questions"][:3]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.put(
                f"/api/v1/attempts/{body['id']}/answers/{q['id']}/",
                data=json.dumps({"selected": [q["options"][0]["id"]]}),
                content_type="application/json",
            )
        assert response.status_code == 200, response.content
        counts.append(len(ctx))
        if os.environ.get("BENCH_SHOW_QUERIES"):
            for x in ctx.captured_queries:
                print(f"  {x['time']:>6} {x['sql'][:150]}")
    if os.environ.get("BENCH_SHOW_QUERIES"):
        with CaptureQueriesContext(connection) as ctx:
            client.get("/api/v1/me/")
        print("trivial:")
        for x in ctx.captured_queries:
            print(f"  {x['time']:>6} {x['sql'][:150]}")
    with dangerously_platform_scope():
        attempt = Attempt.objects.get(pk=body["id"])
        with CaptureQueriesContext(connection) as ctx:
            attempts.save_answer(
                attempt, body["questions"][4]["id"], [body["questions"][4]["options"][1]["id"]]
            )
    assert len(set(counts)) == 1, counts
    # Only the save's own statements: not the scope being written into the connection (RLS).
    own = [
        x for x in ctx.captured_queries if not x["sql"].startswith(("SELECT set_config", "BEGIN", "COMMIT"))
    ]
    return counts[0], len(own)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(port: int, workers: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": DB.url(APP_ROLE),  # the app's ordinary role: row-level security applies
        "DB_CONN_MAX_AGE": "600",
        "DEBUG": "false",
        "LOG_LEVEL": "ERROR",
    }
    proc = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "compliance.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            "--log-level",
            "warning",
            "--backlog",
            "2048",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("gunicorn did not start")


class Recorder:
    def __init__(self):
        self.latencies: list[float] = []
        self.errors: dict[int, int] = {}

    async def call(self, client, method: str, url: str, gate=None, **kwargs):
        started = time.perf_counter()
        if gate is None:
            response = await client.request(method, url, **kwargs)
        else:
            async with gate:  # counted: a worker waiting here is waiting for the server too
                response = await client.request(method, url, **kwargs)
        self.latencies.append(time.perf_counter() - started)
        if response.status_code >= 300:
            self.errors[response.status_code] = self.errors.get(response.status_code, 0) + 1
        return response


async def run_load(
    base: str,
    data: dict,
    questions: int,
    concurrency: int,
    max_seconds: float,
    paced_seconds: float = 0,
    think: float = 10.0,
) -> dict:
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    gate = asyncio.Semaphore(concurrency)
    results = {}
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        # Warm every gunicorn worker (imports, database connection) before measuring.
        await asyncio.gather(
            *(client.get("/api/v1/me/", headers={"Authorization": f"Token {t}"}) for t in data["tokens"][:50])
        )

        trivial = Recorder()

        async def trivial_worker(token: str):
            headers = {"Authorization": f"Token {token}"}
            for _ in range(questions):
                if time.perf_counter() > stop:
                    return
                async with gate:
                    await trivial.call(client, "GET", "/api/v1/me/", headers=headers)

        started = time.perf_counter()
        stop = started + max_seconds
        await asyncio.gather(*(trivial_worker(t) for t in data["tokens"]))
        results["trivial"] = (trivial, time.perf_counter() - started)

        # Every worker starts an attempt first (measured on its own: a start draws the paper
        # and is audited), then the answer saves are measured alone.
        starts = Recorder()
        sheets: list[tuple[dict, dict]] = []

        async def start_worker(token: str):
            headers = {"Authorization": f"Token {token}"}
            async with gate:
                response = await starts.call(
                    client, "POST", f"/api/v1/exams/{data['paper']}/attempts/", headers=headers
                )
            if response.status_code in (200, 201):
                sheets.append((headers, response.json()))

        started = time.perf_counter()
        await asyncio.gather(*(start_worker(t) for t in data["tokens"]))
        results["starts"] = (starts, time.perf_counter() - started)

        saves = Recorder()
        rng = random.Random(7)

        async def exam_worker(headers: dict, body: dict):
            for q in body["questions"]:
                if time.perf_counter() > stop:
                    return
                choice = rng.choice(q["options"])["id"]
                async with gate:
                    await saves.call(
                        client,
                        "PUT",
                        f"/api/v1/attempts/{body['id']}/answers/{q['id']}/",
                        json={"selected": [choice]},
                        headers=headers,
                    )

        started = time.perf_counter()
        stop = started + max_seconds
        await asyncio.gather(*(exam_worker(h, b) for h, b in sheets))
        results["saves"] = (saves, time.perf_counter() - started)

        # Paced: the same 500 people, each thinking between answers (exponential, mean ``think``
        # seconds) as in an exam hall, both endpoints at once so they meet the same load. This
        # is the latency a worker feels; the closed loop above measures capacity.
        if paced_seconds > 0:
            paced_trivial, paced_saves = Recorder(), Recorder()
            paced_stop = time.perf_counter() + paced_seconds

            async def paced_worker(index: int, headers: dict, body: dict):
                wait = random.Random(index)
                await asyncio.sleep(wait.uniform(0, think))  # people do not all click at once
                while time.perf_counter() < paced_stop:
                    # Through the same gate as the closed loop (as many requests in flight as the
                    # client has connections): hundreds of requests queued inside httpx's pool
                    # make the client itself the bottleneck (its pool rescans the queue on every
                    # event), which measured the load generator, not the server. The wait at the
                    # gate is part of the latency recorded.
                    if wait.random() < 0.5:
                        q = wait.choice(body["questions"])
                        await paced_saves.call(
                            client,
                            "PUT",
                            f"/api/v1/attempts/{body['id']}/answers/{q['id']}/",
                            gate=gate,
                            json={"selected": [wait.choice(q["options"])["id"]]},
                            headers=headers,
                        )
                    else:
                        await paced_trivial.call(client, "GET", "/api/v1/me/", gate=gate, headers=headers)
                    await asyncio.sleep(wait.expovariate(1 / think))

            started = time.perf_counter()
            await asyncio.gather(*(paced_worker(i, h, b) for i, (h, b) in enumerate(sheets)))
            elapsed = time.perf_counter() - started
            results["paced_trivial"] = (paced_trivial, elapsed)
            results["paced_saves"] = (paced_saves, elapsed)
    return results


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=500)
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--gunicorn-workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=100,
        help="stop each phase after this long (on a busy machine) and report what was measured",
    )
    parser.add_argument(
        "--paced-seconds",
        type=float,
        default=60,
        help="then run every worker at a human pace (think time between answers) for this long",
    )
    parser.add_argument(
        "--think", type=float, default=10.0, help="mean seconds between one worker's requests when paced"
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args()

    t0 = time.perf_counter()
    print(f"creating database {DB.name} …", flush=True)
    DB.create()
    proc = None
    try:
        setup_django()
        print(
            f"migrating and creating {args.workers} workers with tokens, a {args.questions}-question paper …",
            flush=True,
        )
        data = build_data(args.workers, args.questions)
        request_queries, service_queries = queries_per_save(data)
        from django.db import connections

        connections.close_all()
        port = free_port()
        print(f"starting gunicorn with {args.gunicorn_workers} workers on port {port} …", flush=True)
        proc = start_gunicorn(port, args.gunicorn_workers)
        print(f"load: {args.workers} workers, concurrency {args.concurrency} …", flush=True)
        results = asyncio.run(
            run_load(
                f"http://127.0.0.1:{port}",
                data,
                args.questions,
                args.concurrency,
                args.max_seconds,
                args.paced_seconds,
                args.think,
            )
        )
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        if not args.keep:
            from django.db import connections

            connections.close_all()
            DB.drop()

    trivial, trivial_time = results["trivial"]
    saves, save_time = results["saves"]
    starts, start_time = results["starts"]
    rows = [
        ("GET /api/v1/me/ (trivial)", trivial, trivial_time),
        ("PUT …/answers/{q}/ (save)", saves, save_time),
    ]
    print()
    print(
        f"{'endpoint':<30}{'requests':>10}{'errors':>8}{'req/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
    )
    print("-" * 85)
    rates = {}
    for label, rec, seconds in rows:
        rate = len(rec.latencies) / seconds
        rates[label] = rate
        print(
            f"{label:<30}{len(rec.latencies):>10}{sum(rec.errors.values()):>8}{rate:>10.0f}"
            f"{pct(rec.latencies, 50):>9.1f}{pct(rec.latencies, 95):>9.1f}{pct(rec.latencies, 99):>9.1f}"
        )
    print("-" * 85)
    ratio = rates[rows[1][0]] / rates[rows[0][0]]
    paced_p95 = None
    if "paced_saves" in results:
        print(
            f"paced: {args.workers} workers at once, mean {args.think:.0f} s between one worker's requests "
            f"(half saves, half trivial), {args.paced_seconds:.0f} s"
        )
        for label, key in (
            ("GET /api/v1/me/ (trivial)", "paced_trivial"),
            ("PUT …/answers/{q}/ (save)", "paced_saves"),
        ):
            rec, seconds = results[key]
            print(
                f"{label:<30}{len(rec.latencies):>10}{sum(rec.errors.values()):>8}"
                f"{len(rec.latencies) / seconds:>10.0f}{pct(rec.latencies, 50):>9.1f}"
                f"{pct(rec.latencies, 95):>9.1f}{pct(rec.latencies, 99):>9.1f}"
            )
        print("-" * 85)
        paced_p95 = pct(results["paced_saves"][0].latencies, 95)
    save_p95 = pct(saves.latencies, 95)
    print(
        f"attempt starts: {len(starts.latencies)} in {start_time:.0f} s, "
        f"p50 {pct(starts.latencies, 50):.0f} ms, p95 {pct(starts.latencies, 95):.0f} ms "
        f"(each draws {args.questions} of {args.questions + 10} questions and is audited)"
    )
    print(
        f"save / trivial throughput ratio: {ratio:.2f}  (goal ≥ 0.50: {'met' if ratio >= 0.5 else 'NOT met'})"
    )
    print(f"save p95 at saturation (closed loop, {args.concurrency} in flight): {save_p95:.1f} ms")
    if paced_p95 is not None:
        print(
            f"save p95 when paced: {paced_p95:.1f} ms  "
            f"(goal < 150 ms: {'met' if paced_p95 < 150 else 'NOT met'})"
        )
    print(
        f"queries per save: {request_queries} for the whole request with a token "
        f"({service_queries} SQL statements in save_answer itself, the rest is token, scope, RLS settings "
        "and the transaction), the same for every question"
    )
    if trivial.errors or saves.errors or starts.errors:
        print(f"errors: trivial {trivial.errors}, saves {saves.errors}, starts {starts.errors}")
    planned = args.workers * args.questions
    for label, rec in (("trivial", trivial), ("saves", saves)):
        if len(rec.latencies) < planned:
            done = len(rec.latencies)
            print(
                f"{label}: stopped after --max-seconds={args.max_seconds:.0f}: {done} of {planned} requests"
            )
    print(f"load average (1, 5, 15 min) at the end: {os.getloadavg()}")
    print(
        f"gunicorn: {args.gunicorn_workers} sync workers; machine: {os.cpu_count()} cores; "
        f"total run {time.perf_counter() - t0:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
