"""Benchmark harness: server-side time (median and p95 of warmed, repeated requests) and SQL query
count of the main pages and exports at scale on PostgreSQL, side by side with the Django admin
changelist over the same findings and the raw SQL of each page's main query. Prints one JSON document.

    .venv/bin/python bench/run.py                      # full scale: 30,000 findings (generates once, ~3 min)
    .venv/bin/python bench/run.py --short              # CI: 300 findings, fails if a query bound is exceeded

BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/auditreg_bench_<findings>) is created
if missing, migrated, the real report imported and synthetic data generated; later runs reuse it."""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Query bounds per page (fail in --short mode when exceeded); equal at every scale by construction.
BOUNDS = {
    # session, user, the user's saved filters (issue 14: also their default view), 3 filter option lists
    # (reports, bureaus, and the city's kinds with the reports' areas and the statuses in one query), count,
    # rows (status label, nearest reply-by and overdue inside), subjects, sections (assigned and named, one
    # UNION)
    "findings_list": 10,
    "findings_filtered": 12,  # + the submitted 局 checked by its form field, + that 局's sections
    # every follow-up filter (issue 14): status, 局 and 課, overdue, reply-by range, report, organisation
    # order: + the submitted report, 局 and 課 checked by their fields, + the report's 見出し and systems, the
    # 局's sections
    "findings_followup": 16,
    "findings_search": 10,
    "findings_search_2": 10,
    "findings_search_4": 10,
    "finding_detail": 9,
    # session, user, statuses, the groups (window functions), page count, page rows, sections, open reports
    "worklist": 8,
    # + this month's overdue measures (the per-section counts come from MeasureCount); + the city's kinds,
    # findings by 局, overdue findings by age, the publications' 措置済率 (the charts); the awaiting
    # reports' count rides on their rows (a window)
    "dashboard": 14,
    "measure_save": 25,
    "admin_changelist": 20,
    "admin_changelist_filtered": 20,
    "admin_changelist_search": 20,
}

# a 2-character and a 4-character search term of the same selectivity in the synthetic data
SEARCH_2, SEARCH_4 = "給食", "学校給食"

# Ratio goals (issue #16): page -> (ratio, goal, CI bound). x_floor_p95 is the page's p95 over the
# p95 of the minimal authenticated view running the page's rows query; x_sql_median the page's median
# over the same view replaying all of the page's SQL. The goal is printed as met or not; --short fails
# when a ratio passes its CI bound by more than NOISE. The CI bound is the goal where it is met, else
# the level reached at 300 findings (median of three runs), so that CI catches a regression either way.
GOALS = {
    "findings_list": ("x_floor_p95", 2.0, 2.75),  # not met at 300: 2.35-2.81 (docs/scaling.md)
    "findings_filtered": ("x_floor_p95", 2.0, 2.0),
    "findings_search": ("x_floor_p95", 2.0, 2.0),
    "dashboard": ("x_sql_median", 1.3, 1.8),  # not met at 300: 1.42-2.08
}
SEARCH_GOAL = 3.0  # the 2-character search's SQL within 3x the 4-character one's
# The spread (max - min) of these ratios over three interleaved --short runs on the shared 2-core
# machine at load average 11-17 was 0.21-0.66 (docs/scaling.md): a ratio past its bound by more
# than that is not noise.
NOISE = 0.7
# each page's query count in the last full-scale run (bench/run.py --pages-only at 30,000 findings);
# --short fails when a page's count at 300 findings differs: a page must cost the same at every size
QUERIES_30000 = ROOT / "bench" / "queries-30000.json"


def report_table(result: dict) -> str:
    """The human summary (stderr): each page's median and p95 beside its floors, and the ratios."""
    lines = [
        f"{'page':<20} {'median':>8} {'p95':>8} {'floor':>8} {'floor95':>8} {'sql':>8} {'raw':>7}"
        f" {'x_floor95':>9} {'x_sql':>6} {'q':>3}  goal"
    ]
    for name, f in result["pages"].items():
        if "floors" not in f:
            continue
        fl = f["floors"]
        goal = GOALS.get(name)
        mark = f"{goal[0]} <= {goal[1]}: {'ok' if f[goal[0]] <= goal[1] else 'NOT MET'}" if goal else ""
        lines.append(
            f"{name:<20} {f['median_ms']:>8.1f} {f['p95_ms']:>8.1f} {fl['floor_rows']['median_ms']:>8.1f}"
            f" {fl['floor_rows']['p95_ms']:>8.1f} {fl['floor_sql']['median_ms']:>8.1f}"
            f" {fl['raw_rows']['median_ms']:>7.2f}"
            f" {f['x_floor_p95']:>9.2f} {f['x_sql_median']:>6.2f} {f['queries']:>3}  {mark}"
        )
    s = result["search_2_vs_4"]
    lines.append(
        f"2- vs 4-character search: SQL {s['sql_median']}x, page {s['page_median']}x (goal SQL <= {SEARCH_GOAL})"
    )
    lines.append(f"load average: {result['load_average']}")
    return "\n".join(lines)


def check(result: dict, reference: dict | None) -> list[str]:
    """What fails --short: a ratio past its bound by more than NOISE, a query count that differs from
    the committed 30,000-finding run's (the same page must cost the same queries at every size)."""
    failures = []
    for name, (ratio, _, bound) in GOALS.items():
        value = result["pages"][name][ratio]
        if value > bound + NOISE:
            failures.append(f"{name}: {ratio} {value} > CI bound {bound} + noise {NOISE}")
    if result["search_2_vs_4"]["sql_median"] > SEARCH_GOAL + NOISE:
        failures.append(f"2-character search: {result['search_2_vs_4']['sql_median']}x the 4-character one")
    for name, queries in (reference or {}).items():
        mine = result["pages"].get(name)
        if mine and mine["queries"] != queries:
            failures.append(f"{name}: {mine['queries']} queries here, {queries} at 30,000 findings")
    return failures


def ensure_database(url: str, findings: int):
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="auditreg.settings.local")
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [*manage, "import_report", "fixtures/kanazawa-2024-dx"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    probe = subprocess.run(
        [
            *manage,
            "shell",
            "-c",
            "from findings.models import Finding;"
            "print(Finding.objects.filter(report__code__startswith='synthetic-').count())",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    have = int(probe.stdout.strip().splitlines()[-1])
    if abs(have - findings) > 30:
        subprocess.run(
            [*manage, "generate_data", "--findings", str(findings), "--replace"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=sys.stderr,  # stdout: only the JSON
        )
    # Planner statistics and the visibility map as autovacuum would leave them on a running system:
    # right after a bulk load PostgreSQL has no statistics yet and picks plans 10-100× slower (seen:
    # the filtered list at 1.8 s, the real report's Excel at 2.3 s), which measures the moment, not the code.
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")


def import_timings(url: str) -> dict:
    """First import into an empty database and a re-import (no-op), each in a fresh process."""
    import psycopg

    base, name = url.rsplit("/", 1)
    scratch = f"{name}_import"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
        conn.execute(f"CREATE DATABASE \"{scratch}\" ENCODING 'UTF8' TEMPLATE template0")
    env = dict(os.environ, DATABASE_URL=f"{base}/{scratch}", DJANGO_SETTINGS_MODULE="auditreg.settings.local")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    code = (
        "import time,django;django.setup();from findings.bundle.importer import import_report_bundle as i;"
        "t=time.perf_counter();i('fixtures/kanazawa-2024-dx');print(time.perf_counter()-t)"
    )
    first = float(
        subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
        ).stdout.split()[-1]
    )
    again = float(
        subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
        ).stdout.split()[-1]
    )
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
    return {"first_s": round(first, 3), "reimport_s": round(again, 3)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--findings", type=int, default=30000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--short", action="store_true")
    parser.add_argument("--pages-only", action="store_true", help="the pages and their floors only")
    args = parser.parse_args()
    if args.short:
        args.findings, args.repeat = 300, 10
    url = os.environ.get("BENCH_DATABASE_URL") or f"postgres://postgres@127.0.0.1:5432/auditreg_bench_{args.findings}"
    ensure_database(url, args.findings)
    os.environ.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="auditreg.settings.local",
        DEBUG="0",
        ALLOWED_HOSTS="testserver,localhost",
    )
    import django

    django.setup()
    sys.path.insert(0, str(ROOT / "bench"))
    import floor
    from django.conf import settings

    settings.ROOT_URLCONF = "floor"  # the project's URLs plus the floors (bench/floor.py)
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from auditreg.models import Section, User
    from findings import renderers, status_report
    from findings.filtersets import FindingFilterSet
    from findings.models import AuditReport, Finding, Measure, MeasureReport, MeasureStatus
    from findings.selectors import finding_list
    from findings.workflow_selectors import measure_rows

    auditor = User.objects.get(username="synthetic-auditor0")
    admin, _ = User.objects.get_or_create(
        username="bench-admin", defaults={"role": "admin", "is_staff": True, "is_superuser": True, "last_name": "計測"}
    )
    busiest = (
        Measure.objects.filter(finding__report__code__startswith="synthetic-")
        .values("section_id")
        .annotate(n=django.db.models.Count("pk"))
        .order_by("-n")
        .first()
    )
    section = Section.objects.get(pk=busiest["section_id"])
    staff = User.objects.get(username=f"synthetic-staff{section.pk}")
    big_finding = (
        Finding.objects.filter(report__code__startswith="synthetic-")
        .annotate(n=django.db.models.Count("measures"))
        .order_by("-n")
        .first()
    )
    clients = {}
    for user in (auditor, admin, staff):
        c = Client()
        c.force_login(user)
        clients[user.username] = c
    from auditreg.runtime import tune_gc

    tune_gc()  # as auditreg/wsgi.py does once the app is loaded, so the figures are those of the served app

    def measure(name, fn, repeat=args.repeat, warm=3):
        for _ in range(warm):
            fn()
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        reset_queries()
        with CaptureQueriesContext(connection) as ctx:
            fn()
        times.sort()
        return {
            "median_ms": round(statistics.median(times) * 1000, 1),
            "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)] * 1000, 1),
            "queries": len(ctx),
        }

    def interleaved(fns: dict, repeat, warm=3) -> dict:
        """Each variant timed in turn within every round (the order rotating), so that a burst of load
        on the shared machine falls on all of them alike. Median, p95 and the raw times; query count."""
        for _ in range(warm):
            for fn in fns.values():
                fn()
        times = {k: [] for k in fns}
        names = list(fns)
        for i in range(repeat):
            for k in names[i % len(names) :] + names[: i % len(names)]:
                t = time.perf_counter()
                fns[k]()
                times[k].append(time.perf_counter() - t)
        out = {}
        for k, fn in fns.items():
            reset_queries()
            with CaptureQueriesContext(connection) as ctx:
                fn()
            ts = sorted(times[k])
            out[k] = {
                "median_ms": round(statistics.median(ts) * 1000, 2),
                "p95_ms": round(ts[max(0, int(len(ts) * 0.95) - 1)] * 1000, 2),
                "queries": len(ctx),
                "times_ms": [round(t * 1000, 2) for t in times[k]],
            }
        return out

    def get(client, url):
        def fn():
            r = clients[client].get(url)
            if getattr(r, "streaming", False):
                b"".join(r.streaming_content)
            assert r.status_code == 200, (url, r.status_code)

        return fn

    def raw(qs):
        sql, params = qs.query.sql_with_params()

        def fn():
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                cursor.fetchall()

        return fn

    bureau = section.bureau

    # The pages with their floors: each is timed interleaved with (a) a minimal authenticated view
    # (bench/floor.py: the project's middleware, session and login) running the page's main rows query
    # and rendering the rows through a trivial template, (b) the same view replaying all of the page's
    # own SQL through the framework's cursor, (c) the raw rows query on a cursor. Interleaving makes
    # the ratios robust to the machine's load, which the absolute times are not.
    followup = {
        "report": str(
            AuditReport.objects.filter(code__startswith="synthetic-")
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        ),
        "bureau": str(bureau.pk),
        "section": str(section.pk),
        "status": "open",
        "overdue": "1",
        "due_from": "2000-01-01",
        "due_to": "2099-12-31",
        "sort": "organisation",
    }

    def list_rows(data):
        def rows(request):
            qs = finding_list(user=request.user, filterset_class=FindingFilterSet, data=data or None).qs
            return qs.prefetch_related(None)[:50]

        return rows

    def detail_rows(request):
        return Finding.objects.filter(pk=big_finding.pk).select_related("report", "group")

    def worklist_rows(request):
        return measure_rows(Measure.objects.for_user(request.user)).order_by(
            "reply_by", "finding__report_id", "finding__order"
        )[:100]

    def overdue_rows(request):
        return measure_rows(Measure.objects.for_user(request.user).filter(reply_by__lt=timezone.localdate())).order_by(
            "reply_by", "finding__order", "pk"
        )[:100]

    pages = {
        "findings_list": ("synthetic-auditor0", "/findings/", list_rows({})),
        "findings_filtered": (
            "synthetic-auditor0",
            f"/findings/?kind=意見&area=DX&bureau={bureau.pk}",
            list_rows({"kind": "意見", "area": "DX", "bureau": str(bureau.pk)}),
        ),
        # every follow-up filter of issue 14 at once, in the organisation's order
        "findings_followup": (
            "synthetic-auditor0",
            f"/findings/?report={followup['report']}&bureau={bureau.pk}&section={section.pk}&status=open&overdue=1"
            "&due_from=2000-01-01&due_to=2099-12-31&sort=organisation",
            list_rows(followup),
        ),
        "findings_search": ("synthetic-auditor0", "/findings/?q=台帳の整備", list_rows({"q": "台帳の整備"})),
        # a 2-character and a 4-character term of the same selectivity (one topic in twelve)
        "findings_search_2": ("synthetic-auditor0", f"/findings/?q={SEARCH_2}", list_rows({"q": SEARCH_2})),
        "findings_search_4": ("synthetic-auditor0", f"/findings/?q={SEARCH_4}", list_rows({"q": SEARCH_4})),
        "finding_detail": ("synthetic-auditor0", f"/findings/{big_finding.pk}/", detail_rows),
        "worklist": (staff.username, "/findings/mine/", worklist_rows),
        "dashboard": ("synthetic-auditor0", "/findings/dashboard/", overdue_rows),
    }
    result = {
        "database": connection.vendor,
        "scale": {
            "findings": Finding.objects.count(),
            "measures": Measure.objects.count(),
            "measure_reports": MeasureReport.objects.count(),
            "history_entries": django.apps.apps.get_model("auditreg", "ChangeLog").objects.count(),
            "reports": AuditReport.objects.count(),
        },
        "pages": {},
    }
    admin_fn = get("bench-admin", "/admin/findings/finding/")
    admin_figures = measure("admin_changelist", admin_fn)
    result["pages"]["admin_changelist"] = admin_figures
    # the admin changelist asked the same question where it can: x_admin compares every page with the
    # unfiltered changelist (as before), x_admin_same_query with the changelist filtered or searched alike
    # (the admin has no 局 filter: kind and area only)
    admin_same = {
        "findings_list": admin_figures,
        "findings_filtered": measure(
            "admin_filtered", get("bench-admin", f"/admin/findings/finding/?kind__exact={quote('意見')}&area__exact=DX")
        ),
        "findings_search": measure(
            "admin_search", get("bench-admin", f"/admin/findings/finding/?q={quote('台帳の整備')}")
        ),
    }
    result["pages"]["admin_changelist_filtered"] = admin_same["findings_filtered"]
    result["pages"]["admin_changelist_search"] = admin_same["findings_search"]
    result["load_average"] = {"before": os.getloadavg()}
    # the floor's own queries (session, user): dropped from each page's replay, the floor runs them itself
    floor.REPLAY["_bare"] = []
    with CaptureQueriesContext(connection) as ctx:
        get("synthetic-auditor0", "/bench-floor/sql/_bare/")()
    own_sql = {q["sql"] for q in ctx.captured_queries}
    for name, (user, page_url, rows) in pages.items():
        path, _, query = page_url.partition("?")
        safe = path + (
            "?" + "&".join(f"{k}={quote(v)}" for k, v in (p.split("=", 1) for p in query.split("&"))) if query else ""
        )
        page = get(user, safe)
        with CaptureQueriesContext(connection) as ctx:
            page()
        floor.REPLAY[name] = [q["sql"] for q in ctx.captured_queries if q["sql"] not in own_sql]
        floor.ROWS[name] = rows
        request = type("R", (), {"user": User.objects.get(username=user)})()
        variants = interleaved(
            {
                "page": page,
                "floor_rows": get(user, f"/bench-floor/rows/{name}/"),
                "floor_sql": get(user, f"/bench-floor/sql/{name}/"),
                "raw_rows": raw(rows(request)),
            },
            repeat=args.repeat,
        )
        figures = variants.pop("page")
        figures["floors"] = variants
        figures["x_floor_median"] = round(figures["median_ms"] / variants["floor_rows"]["median_ms"], 2)
        figures["x_floor_p95"] = round(figures["p95_ms"] / variants["floor_rows"]["p95_ms"], 2)
        figures["x_sql_median"] = round(figures["median_ms"] / variants["floor_sql"]["median_ms"], 2)
        figures["x_sql_p95"] = round(figures["p95_ms"] / variants["floor_sql"]["p95_ms"], 2)
        figures["x_raw"] = round(figures["median_ms"] / max(variants["raw_rows"]["median_ms"], 0.01), 1)
        figures["replayed_queries"] = len(floor.REPLAY[name])
        if name.startswith("findings_"):
            data = dict(p.split("=", 1) for p in query.split("&")) if query else None
            full = finding_list(user=auditor, filterset_class=FindingFilterSet, data=data).qs
            figures["rows_matched"] = full.count()  # so that a page showing nothing is seen as such
            figures["x_admin"] = round(figures["median_ms"] / max(admin_figures["median_ms"], 0.01), 2)
            if name in admin_same:
                figures["x_admin_same_query"] = round(
                    figures["median_ms"] / max(admin_same[name]["median_ms"], 0.01), 2
                )
        result["pages"][name] = figures
    s2, s4 = result["pages"]["findings_search_2"], result["pages"]["findings_search_4"]
    result["search_2_vs_4"] = {
        "page_median": round(s2["median_ms"] / s4["median_ms"], 2),
        "sql_median": round(s2["floors"]["floor_sql"]["median_ms"] / s4["floors"]["floor_sql"]["median_ms"], 2),
        "raw_rows_median": round(s2["floors"]["raw_rows"]["median_ms"] / s4["floors"]["raw_rows"]["median_ms"], 2),
    }
    result["load_average"]["after_pages"] = os.getloadavg()

    if not args.pages_only:  # the write, the exports, the import (not needed to measure the ratios' noise)
        own = Measure.objects.filter(section=section).order_by("pk").first()
        status = MeasureStatus.objects.get(code="in_progress")
        counter = iter(range(10**6))

        def save():
            open_report = own.reports.filter(state__in=["draft", "returned"]).first()
            data = {"status": status.pk, "reported_on": "2025-06-30", "text": f"計測 {next(counter)}"}
            if open_report:
                data["version"] = open_report.version
            elif own.reports.filter(state="submitted").exists():
                own.reports.filter(state="submitted").update(state="returned", approved_by=None, approved_at=None)
                data["version"] = own.reports.get(state="returned").version
            r = clients[staff.username].post(f"/findings/measures/{own.pk}/save/", data)
            assert r.status_code == 302, r.status_code

        result["pages"]["measure_save"] = measure("measure_save", save)

        real = AuditReport.objects.get(code="kanazawa-2024-dx")
        built = status_report.build(reports=[real], as_of=timezone.localdate())
        for fmt in ("xlsx", "pdf", "csv"):
            render, _ = renderers.RENDERERS[fmt]
            result["pages"][f"status_report_{fmt}"] = measure(
                f"status_{fmt}", lambda r=render: r(built), repeat=5 if fmt == "pdf" else args.repeat, warm=1
            )
        # a large xlsx: every synthetic finding in one status report, time and peak Python memory
        many = list(AuditReport.objects.filter(code__startswith="synthetic-").order_by("code"))
        t = time.perf_counter()
        big = status_report.build(reports=many, as_of=datetime.date.today(), per="finding")
        build_s = time.perf_counter() - t
        t = time.perf_counter()
        content = renderers.render_xlsx(big, data_sheets=False)
        xlsx_s = time.perf_counter() - t
        rows, size = len(big.rows), len(content)
        tracemalloc.start()
        renderers.render_xlsx(big, data_sheets=False)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        del big, content
        # the whole export as a request runs it: build (every row in memory) and render, one peak
        tracemalloc.start()
        renderers.render_xlsx(
            status_report.build(reports=many, as_of=datetime.date.today(), per="finding"), data_sheets=False
        )
        peak_all = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        result["large_xlsx"] = {
            "rows": rows,
            "build_s": round(build_s, 2),
            "render_s": round(xlsx_s, 2),
            "total_s": round(build_s + xlsx_s, 2),
            "bytes": size,
            "peak_python_mb": round(peak / 1024 / 1024, 1),
            "peak_python_mb_build_and_render": round(peak_all / 1024 / 1024, 1),
        }
        result["import_real_report"] = import_timings(url)
    over = {k: v["queries"] for k, v in result["pages"].items() if k in BOUNDS and v["queries"] > BOUNDS[k]}
    result["query_bounds_exceeded"] = over
    reference = json.loads(QUERIES_30000.read_text()) if args.short and QUERIES_30000.exists() else None
    result["failures"] = check(result, reference) + [f"{k}: {v} queries > bound" for k, v in over.items()]
    print(json.dumps(result, ensure_ascii=False, indent=1))
    print(report_table(result), file=sys.stderr)
    if args.short and result["failures"]:
        print("\n".join(result["failures"]), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
