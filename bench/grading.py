"""Benchmark (not a test): the three grading figures of issue 5, side by side in one run.

    .venv/bin/python bench/grading.py [--sqlite] [--mines 2000] [--items 400] [--repeat 200] [--keep]

What it does:
1. creates a fresh database — on PostgreSQL (``kuangan_bench_grading`` on BENCH_PG, default
   postgres://postgres@127.0.0.1:5432, dropped again at the end) with an ordinary login role for
   the app, so that row-level security is in force as in production; or, with ``--sqlite``, a
   SQLite file in a temporary directory — and runs the migrations;
2. builds a coal-style standard version of ``--items`` items (400) in 20 leaf parts under 5
   top-level parts, with level rules (一级 90 with part minimums and a clean accident record,
   二级 80 / every part 80, 三级 70 / every part 70);
3. builds ``--mines`` mines (2,000) in two groups (bulk rows: org units, mine profiles in Guizhou,
   grade certificates with their award events, some lapsed, assessments in every state, a few
   accidents), a group admin per group and a provincial regulator whose region covers them all;
4. scores one assessment of that standard at a coal mine: every item touched, about a quarter
   with deductions (40 with a 2000×1500 photo as evidence, its thumbnail made as an upload makes
   it, a few with a PDF), some not applicable, some adjusted by the reviewer;
5. measures, in this process, as the app's ordinary role (RLS) under each user's own scope:
   a. recomputing the 400-item assessment (``grading.assessment_selectors.result``: the standard
      in three queries, the marks, the mine's history, ``grading.scoring.evaluate``), many times;
   b. the grading dashboard (``grading.dashboard.board``) for the regulator (2,000 mines), a group
      admin (1,000) and one subsidiary (100), and the whole dashboard page (GET /grading/dashboard/);
   c. the PDF report of the 400-item assessment (``grading.report.report_pdf``), a few times;
6. prints p50/p95 and queries of each (statements that only write the scope into the connection,
   ``set_config(...)``, are not counted), against the goals: recompute < 50 ms, dashboard
   < 200 ms, PDF < 5 s. A measure stops after 30 s of runs and reports how many it made.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pgdb import BenchDatabase  # noqa: E402 — beside this script

DB = BenchDatabase("kuangan_bench_grading", "kuangan_bench_grading_app")
APP_ROLE = DB.app_role

BENCH_PASSWORD = "Kuangan-bench-2026"  # never used to log in: the bench forces logins
GOALS = {"recompute": 50.0, "dashboard": 200.0, "pdf": 5000.0}  # milliseconds


# --- database -----------------------------------------------------------------------------------


def setup_django(sqlite: bool, var_dir: Path) -> None:
    os.environ["KUANGAN_VAR_DIR"] = str(var_dir)  # evidence files and the SQLite file live here
    if sqlite:
        os.environ["DATABASE_URL"] = f"sqlite:///{var_dir / 'bench.sqlite3'}"
    else:
        os.environ["DATABASE_URL"] = DB.url()  # the owner: migrations and the data set
        os.environ["DATABASE_APP_ROLE"] = APP_ROLE
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "compliance.settings")
    import django

    django.setup()


def connect_as_app_role() -> None:
    """From here on, connect as the application's ordinary role: row-level security applies."""
    from django.db import connections

    default = connections["default"]
    if default.vendor != "postgresql":
        return
    connections.close_all()
    default.settings_dict["USER"], default.settings_dict["PASSWORD"] = APP_ROLE, ""


# --- data ---------------------------------------------------------------------------------------

TOPS = ["重大灾害防治", "专业管理", "安全基础管理", "质量控制", "持续改进"]
LEAVES = [
    "通风",
    "地质灾害防治与测量",
    "采煤",
    "掘进",
    "机电",
    "运输",
    "调度和应急管理",
    "职业卫生",
    "理念目标和矿长安全承诺",
    "组织机构",
    "安全生产责任制",
    "从业人员素质",
    "安全风险分级管控",
    "事故隐患排查治理",
    "应急救援",
    "安全投入",
    "安全培训",
    "现场管理",
    "设备设施",
    "绩效评定",
]
ITEM_TITLES = [
    "建立健全{part}管理制度并严格执行",
    "按规定配备{part}专业技术人员",
    "{part}台账、图纸、记录齐全并及时更新",
    "{part}现场检查发现的问题按期整改闭环",
    "编制{part}作业规程并组织贯彻学习",
]
REASONS = [
    ("局部通风机未挂牌管理", "1201回采工作面"),
    ("瓦斯检查记录不全，缺少夜班记录", "调度室"),
    ("安全监控传感器未按期调校", "+450m水平运输大巷"),
    ("特种作业人员证件过期仍在岗", "主井绞车房"),
    ("隐患排查治理台账未闭环", "安全科"),
    ("应急预案未按规定演练", "矿部"),
]


def build_standard(items: int):
    from compliance.grading.models import Item, LevelRule, Part, Standard, StandardVersion

    standard = Standard.objects.create(
        code="bench-coal",
        name="煤矿安全生产标准化管理体系（压测）",
        method="weighted_parts",
        mine_types=["coal_underground"],
    )
    version = StandardVersion.objects.create(
        standard=standard,
        label="2020",
        document_no="煤安监行管〔2020〕16号",
        effective_from=datetime.date(2020, 7, 1),
        preconditions=["licences_valid"],
        recheck_months=36,
    )
    tops = Part.objects.bulk_create(
        [
            Part(version=version, code=f"P{t + 1}", name=name, weight=Decimal(w), position=t)
            for t, (name, w) in enumerate(zip(TOPS, (30, 20, 20, 20, 10), strict=True))
        ]
    )
    leaves = Part.objects.bulk_create(
        [
            Part(
                version=version,
                parent=tops[n // 4],
                code=f"P{n // 4 + 1}.{n % 4 + 1}",
                name=LEAVES[n],
                position=n % 4,
            )
            for n in range(20)
        ]
    )
    per_leaf = items // len(leaves)
    rows = []
    for n in range(items):
        leaf = leaves[min(n // per_leaf, len(leaves) - 1)]
        rows.append(
            Item(
                version=version,
                part=leaf,
                code=f"{leaf.code}.{n % per_leaf + 1}",
                title=ITEM_TITLES[n % len(ITEM_TITLES)].format(part=leaf.name)
                + f"（第{n % per_leaf + 1}条）",
                max_points=Decimal(5),
                guidance="每处不符合扣1分，扣完为止",
                is_veto=n == 3,
                position=n,
            )
        )
    Item.objects.bulk_create(rows)
    lookback = {"general": 1, "large": 2, "major": 2, "grave": 3}
    LevelRule.objects.create(
        version=version,
        level=1,
        min_total=90,
        part_minimums={"P1": 90, "P2": 90, "P3": 85},
        fatal_lookback_years=lookback,
        clean_history_days=365,
    )
    LevelRule.objects.create(version=version, level=2, min_total=80, min_every_part=80)
    LevelRule.objects.create(version=version, level=3, min_total=70, min_every_part=70)
    return version


def build_mines(mines: int, version) -> dict:
    """Two groups of ``mines / 2`` mines each (10 subsidiaries each), in bulk."""
    from stdnum.cn import uscc

    from compliance.grading.models import Accident, Assessment, GradeCertificate, GradeEvent
    from tenants import roles, services
    from tenants.models import MineProfile, OrgUnit

    rng = random.Random(5)
    today = datetime.date.today()
    out: dict = {"groups": []}
    mine_types = ["coal_underground"] * 6 + [
        "metal_underground",
        "metal_open_pit",
        "tailings_pond",
        "coal_open_pit",
    ]
    for g in range(2):
        body = f"91520000MA0BGRD{g:02d}"
        tenant = services.tenant_create(
            name=f"压测矿业集团{g + 1}", credit_code=body + uscc.calc_check_digit(body)
        )
        hq = OrgUnit.objects.get(tenant=tenant, parent__isnull=True)
        admin = services.tenant_user_create(
            tenant=tenant,
            username=f"bench-admin-{g}",
            password=BENCH_PASSWORD,
            role=roles.TENANT_ADMIN,
            org_unit=hq,
        )
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
        far = today + datetime.timedelta(days=900)
        MineProfile.objects.bulk_create(
            [
                MineProfile(
                    tenant=tenant,
                    org_unit=unit,
                    mine_type=mine_types[n % len(mine_types)],
                    region_code=f"5202{n % 90 + 10:02d}",
                    mining_licence_no=f"C52{n:08d}",
                    mining_licence_expires=far,
                    safety_licence_no=f"(黔)MK安许证字[{n}]",
                    safety_licence_expires=far,
                    business_licence_no=f"9152{n:014d}",
                    business_licence_expires=far,
                    production_started_on=today - datetime.timedelta(days=rng.randint(200, 4000)),
                )
                for n, unit in enumerate(units)
            ]
        )
        certificates, events = [], []
        for n, unit in enumerate(units):
            if rng.random() > 0.75:
                continue  # about a quarter never graded
            level = rng.choice([1, 2, 2, 3, 3, 3])
            awarded = today - datetime.timedelta(days=rng.randint(30, 1300))
            status = GradeCertificate.Status.VALID if rng.random() > 0.1 else GradeCertificate.Status.LAPSED
            cert = GradeCertificate(
                tenant=tenant,
                mine=unit,
                number=f"BZH-{g}-{n:05d}",
                awarded_level=level,
                level=level,
                awarded_on=awarded,
                recheck_due=awarded + datetime.timedelta(days=3 * 365),
                status=status,
            )
            certificates.append(cert)
            events.append(
                GradeEvent(
                    tenant=tenant,
                    certificate=cert,
                    kind=GradeEvent.Kind.AWARDED,
                    occurred_on=awarded,
                    to_level=level,
                    reason="自评及集团审核通过",
                )
            )
        GradeCertificate.objects.bulk_create(certificates)
        GradeEvent.objects.bulk_create(events)
        statuses = ["draft", "submitted", "under_review", "approved"]
        Assessment.objects.bulk_create(
            [
                Assessment(
                    tenant=tenant,
                    mine=unit,
                    version=version,
                    status=statuses[n % 4],
                    assessed_on=today - datetime.timedelta(days=n % 200),
                    created_by=admin,
                )
                for n, unit in enumerate(units)
                if n % 5 == 1  # a fifth of the mines have an assessment, in every state
            ]
        )
        Accident.objects.bulk_create(
            [
                Accident(
                    tenant=tenant,
                    mine=unit,
                    occurred_on=today - datetime.timedelta(days=rng.randint(10, 1500)),
                    accident_class="general",
                    deaths=rng.choice([0, 0, 1]),
                    injuries=rng.randint(0, 3),
                    description="运输大巷矿车掉道伤人",
                )
                for n, unit in enumerate(units)
                if n % 33 == 0
            ]
        )
        out["groups"].append(
            {"tenant": tenant, "hq": hq, "admin": admin, "subsidiary": subs[0], "mines": units}
        )
    agency = services.agency_create(
        name="贵州省矿山安全监察局（压测）", level="provincial", region_prefix="52"
    )
    out["regulator"] = services.agency_user_create(
        agency=agency, username="bench-regulator", password=BENCH_PASSWORD
    )
    return out


def photo(n: int) -> bytes:
    """A photo-like JPEG (noise over a gradient compresses like a real picture), 2000×1500."""
    import io

    from PIL import Image

    size = (2000, 1500)
    noise = Image.effect_noise(size, 40).convert("RGB")
    gradient = Image.linear_gradient("L").resize(size).convert("RGB")
    tint = Image.new("RGB", size, (90 + n * 7 % 120, 110, 60 + n * 13 % 150))
    image = Image.blend(Image.blend(noise, gradient, 0.5), tint, 0.4)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def build_assessment(version, group: dict):
    """The 400-item assessment: every item scored, a quarter with deductions, photos and scans."""
    from compliance import storage
    from compliance.grading.models import Assessment, Deduction, Item, ItemScore
    from compliance.reports import evidence

    tenant, admin = group["tenant"], group["admin"]
    mine = group["mines"][0]  # an underground coal mine (build_mines: types cycle from coal)
    assessment = Assessment.objects.create(
        tenant=tenant,
        mine=mine,
        version=version,
        status=Assessment.Status.UNDER_REVIEW,
        assessed_on=datetime.date.today(),
        created_by=admin,
        reviewer=admin,
    )
    photos = []
    for n in range(40):
        name = storage.save(f"grading/bench/photo-{n}.jpg", photo(n), overwrite=True)
        evidence.store_thumbnail(name)  # as an upload does (grading.evidence.store)
        photos.append(name)
    storage.save("grading/bench/scan.pdf", b"%PDF-1.4\n% bench scan\n", overwrite=True)
    rng = random.Random(11)
    scores, deductions = [], []
    for n, item in enumerate(Item.objects.filter(version=version).order_by("position")):
        na = n % 29 == 7
        found = [] if na or n == 3 else [REASONS[(n + k) % len(REASONS)] for k in range(1 + (n % 8 == 0))]
        found = found if (n % 4 == 0) else []
        score = ItemScore(
            tenant=tenant,
            assessment=assessment,
            item=item,
            not_applicable=na,
            reason="本矿无此系统，不适用" if na else "",
            deducted=Decimal(len(found)),
            review_score=Decimal(3) if n % 37 == 5 and not na else None,
            review_comment="审核组现场核查后调整" if n % 37 == 5 and not na else "",
            row_version=1,
            updated_by=admin,
        )
        scores.append(score)
        for position, (reason, location) in enumerate(found):
            evidence = photos[len(deductions) % 40] if len(deductions) < 40 else ""
            if not evidence and rng.random() < 0.1:
                evidence = "grading/bench/scan.pdf"
            deductions.append(
                Deduction(
                    tenant=tenant,
                    item_score=score,
                    points=Decimal(1),
                    reason=reason,
                    location=location,
                    evidence=evidence,
                    evidence_name=Path(evidence).name if evidence else "",
                    created_by=admin,
                    position=position,
                )
            )
    ItemScore.objects.bulk_create(scores)
    Deduction.objects.bulk_create(deductions)
    return assessment, len(deductions), sum(1 for s in scores if s.not_applicable)


# --- measuring ------------------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def timed(fn, repeat: int, budget: float = 30.0) -> tuple[list[float], int]:
    """Milliseconds of each call, and the queries of the last one (set_config excluded). The
    first call warms the process (imports, connection) and is not counted; the runs stop early
    once ``budget`` seconds are spent, so a slow measure still reports what it measured."""
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
            print(f"  {q['time']:>6} {q['sql'][:160]}")
    return times, len(queries)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sqlite", action="store_true", help="use a SQLite file instead of PostgreSQL")
    parser.add_argument("--mines", type=int, default=2000)
    parser.add_argument("--items", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=200, help="recomputations to time")
    parser.add_argument("--dashboard-repeat", type=int, default=50)
    parser.add_argument("--pdf-repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args()

    t0 = time.perf_counter()
    var_dir = Path(tempfile.mkdtemp(prefix="kuangan-bench-grading-"))
    if not args.sqlite:
        print(f"creating database {DB.name} …", flush=True)
        DB.create()
    try:
        setup_django(args.sqlite, var_dir)
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client

        from compliance.grading import assessment_selectors, dashboard, report
        from tenants.scope import activate, dangerously_platform_scope
        from tenants.selectors import scope_for_user

        print("migrating …", flush=True)
        call_command("migrate", verbosity=0)
        print(f"building a {args.items}-item standard, {args.mines} mines and the assessment …", flush=True)
        with dangerously_platform_scope():
            version = build_standard(args.items)
            world = build_mines(args.mines, version)
            assessment, n_deductions, n_na = build_assessment(version, world["groups"][0])
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # planner statistics, as a database in use has them
        connect_as_app_role()
        backend = connection.vendor + (" (app role, RLS)" if connection.vendor == "postgresql" else "")
        admin, other_admin = world["groups"][0]["admin"], world["groups"][1]["admin"]
        subsidiary = world["groups"][0]["subsidiary"]
        regulator = world["regulator"]
        rows = []

        # a. recompute
        print(f"measuring: recompute ×{args.repeat} …", flush=True)
        with activate(scope_for_user(admin)):
            from compliance.grading.models import Assessment

            fetched = Assessment.objects.select_related(
                "mine", "mine__mine_profile", "version__standard"
            ).get(pk=assessment.pk)
            times, queries = timed(lambda: assessment_selectors.result(fetched, reviewed=True), args.repeat)
            result = assessment_selectors.result(fetched, reviewed=True)
        rows.append(("recompute", f"recompute {args.items}-item assessment", times, queries, args.repeat))
        # Where the recompute's time goes: the reads (standard, marks, history) and the pure scoring.
        with activate(scope_for_user(admin)):
            from compliance.grading.history import mine_history
            from compliance.grading.scoring import StandardSpec, evaluate

            spec = StandardSpec.load(fetched.version)
            marks = assessment_selectors.marks_of(fetched)
            history = mine_history(fetched.mine, datetime.date.today(), spec.preconditions)
            parts = {
                "  of which StandardSpec.load (3 queries)": lambda: StandardSpec.load(fetched.version),
                "  of which marks_of (1 query)": lambda: assessment_selectors.marks_of(fetched),
                "  of which evaluate (no query)": lambda: evaluate(
                    spec, marks, history, datetime.date.today(), reviewed=True
                ),
            }
            for label, fn in parts.items():
                times, queries = timed(fn, args.repeat)
                rows.append(("recompute", label, times, queries, args.repeat))

        # b. dashboard: the selector under three scopes, then the whole page
        board_counts = {}
        for label, user, unit in (
            (f"dashboard, regulator ({args.mines} mines)", regulator, None),
            (f"dashboard, group admin ({args.mines // 2} mines)", other_admin, None),
            ("dashboard, one subsidiary (unit filter)", admin, subsidiary),
        ):
            print(f"measuring: {label} …", flush=True)
            with activate(scope_for_user(user)) as scope:
                times, queries = timed(
                    lambda scope=scope, unit=unit: dashboard.board(scope=scope, unit=unit),
                    args.dashboard_repeat,
                )
                board_counts[label] = dashboard.board(scope=scope, unit=unit)
            rows.append(("dashboard", label, times, queries, args.dashboard_repeat))
        for label, user in (
            ("dashboard page GET, regulator", regulator),
            ("dashboard page GET, group admin", admin),
        ):
            client = Client()
            client.force_login(user)

            def get(client=client):
                response = client.get("/grading/dashboard/")
                assert response.status_code == 200, response.status_code

            times, queries = timed(get, args.dashboard_repeat)
            rows.append(("dashboard", label, times, queries, args.dashboard_repeat))

        # c. the PDF report
        print(f"measuring: PDF ×{args.pdf_repeat} …", flush=True)
        with activate(scope_for_user(admin)):
            pdf_times, cpu_times = [], []
            for _ in range(args.pdf_repeat):
                started, cpu = time.perf_counter(), time.process_time()
                pdf = report.report_pdf(fetched)
                pdf_times.append((time.perf_counter() - started) * 1000)
                cpu_times.append((time.process_time() - cpu) * 1000)
            from django.test.utils import CaptureQueriesContext

            from compliance.reports import pdf as reports_pdf

            # The phases of one report: reading and thumbnails, the template, layout, writing.
            phases = {}
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as ctx:
                context = report.report_context(fetched)
            phases["read + thumbnails"] = time.perf_counter() - started
            pdf_queries = len([q for q in ctx.captured_queries if "set_config(" not in q["sql"]])
            started = time.perf_counter()
            html = report.report_html(context)
            phases["template"] = time.perf_counter() - started
            started = time.perf_counter()
            images = {src: (data, "image/jpeg") for src, data in context["images"].items()}
            document = reports_pdf.render(html, resources=images)
            phases["layout"] = time.perf_counter() - started
            started = time.perf_counter()
            document.write_pdf()
            phases["write"] = time.perf_counter() - started
            pages = len(document.pages)
        rows.append(("pdf", f"PDF report, {args.items} items", pdf_times, pdf_queries, args.pdf_repeat))
    finally:
        if not args.sqlite and not args.keep:
            from django.db import connections

            connections.close_all()
            DB.drop()
        if not args.keep:
            import shutil

            shutil.rmtree(var_dir, ignore_errors=True)  # the evidence photos (and the SQLite file)

    print()
    print(
        f"backend: {backend}; {args.items} items in 20 parts, {n_deductions} deductions "
        f"(40 with a 2000×1500 photo), {n_na} not applicable; total {result.total}, level {result.level}"
    )
    header = f"{'measure':<46}{'runs':>6}{'p50 ms':>10}{'p95 ms':>10}{'queries':>9}{'goal ms':>10}  met"
    print(header)
    print("-" * len(header))
    met_all = True
    for kind, label, times, queries, _planned in rows:
        runs = len(times)
        p50, p95 = statistics.median(times), pct(times, 95)
        goal = GOALS[kind]
        met = p95 < goal
        met_all &= met
        print(
            f"{label:<46}{runs:>6}{p50:>10.1f}{p95:>10.1f}{queries:>9}{goal:>10.0f}  {'yes' if met else 'NO'}"
        )
    print("-" * len(header))
    print(
        f"PDF: {len(pdf):,} bytes, {pages} pages; CPU time per PDF p50 {statistics.median(cpu_times):.0f} ms "
        "(the wall time above includes waiting for the CPU on a busy machine)"
    )
    print("PDF phases (one run, wall): " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in phases.items()))
    for label, board in board_counts.items():
        levels = ", ".join(f"{f.label} {f.value}" for f in board.levels)
        print(f"{label}: {board.total} mines — {levels}")
    print(f"goals met (p95 under the goal): {'all' if met_all else 'NOT all'}")
    print(f"load average (1, 5, 15 min) at the end: {os.getloadavg()}; machine: {os.cpu_count()} cores")
    print(f"total run {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
