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
    # session, user, 4 filter option lists (the 4th: kinds and areas, data tables), count, rows, 2 prefetches
    "findings_list": 10,
    "findings_filtered": 11,  # + the submitted 局 checked by its form field
    "findings_search": 10,
    "finding_detail": 9,
    "worklist": 6,  # session, user, statuses, measures, their sections, open reports
    "dashboard": 10,
    "measure_save": 25,
    "admin_changelist": 20,
    "admin_changelist_filtered": 20,
    "admin_changelist_search": 20,
}


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
        "import time,django;django.setup();from findings.bundle.service import import_report_bundle as i;"
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


def main():  # noqa: C901 - one measurement script, read top to bottom
    parser = argparse.ArgumentParser()
    parser.add_argument("--findings", type=int, default=30000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--short", action="store_true")
    args = parser.parse_args()
    if args.short:
        args.findings, args.repeat = 300, 5
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
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from auditreg.models import Section, User
    from findings import reports as renderers
    from findings import status_report
    from findings.filtersets import FindingFilterSet
    from findings.models import AuditReport, Finding, Measure, MeasureReport, MeasureStatus
    from findings.selectors import finding_list

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
    pages = {
        "findings_list": ("synthetic-auditor0", "/findings/", {}),
        "findings_filtered": (
            "synthetic-auditor0",
            f"/findings/?kind=意見&area=DX&bureau={bureau.pk}",
            {"kind": "意見", "area": "DX", "bureau": str(bureau.pk)},
        ),
        "findings_search": ("synthetic-auditor0", "/findings/?q=台帳の整備", {"q": "台帳の整備"}),
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
    for name, (user, page_url, data) in pages.items():
        path, _, query = page_url.partition("?")
        safe = path + (
            "?" + "&".join(f"{k}={quote(v)}" for k, v in (p.split("=", 1) for p in query.split("&"))) if query else ""
        )
        figures = measure(name, get(user, safe))
        full = finding_list(user=auditor, filterset_class=FindingFilterSet, data=data or None).qs
        figures["rows_matched"] = full.count()  # so that a page showing nothing is seen as such
        qs = full[:50]  # the page's own main query (the rows of page 1), run as raw SQL: the floor
        figures["raw_sql_ms"] = measure(name + "_raw", raw(qs))["median_ms"]
        figures["x_raw"] = round(figures["median_ms"] / max(figures["raw_sql_ms"], 0.01), 1)
        figures["x_admin"] = round(figures["median_ms"] / max(admin_figures["median_ms"], 0.01), 2)
        figures["x_admin_same_query"] = round(figures["median_ms"] / max(admin_same[name]["median_ms"], 0.01), 2)
        result["pages"][name] = figures
    result["pages"]["finding_detail"] = measure(
        "finding_detail", get("synthetic-auditor0", f"/findings/{big_finding.pk}/")
    )
    result["pages"]["worklist"] = measure("worklist", get(staff.username, "/findings/mine/"))
    result["pages"]["dashboard"] = measure("dashboard", get("synthetic-auditor0", "/findings/dashboard/"))

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
    print(json.dumps(result, ensure_ascii=False, indent=1))
    if args.short and over:
        sys.exit(1)


if __name__ == "__main__":
    main()
