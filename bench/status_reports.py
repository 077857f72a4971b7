"""Render times of the 措置状況, printed as one JSON document with the machine's load average beside them.

1. `long_texts`: the real 33-finding report with every measure holding 800–2,000 characters (every fifth
   finding with two sections), on a scratch SQLite file: xlsx (without and with the data sheets) and CSV;
   PDF too with --pdf.
2. `downloaded`: the Excel a user downloads (build + render, with the data sheets) over every synthetic
   report of a generated database (findings.management.commands.generate_data) at each --sizes, beside the
   same without the data sheets and a floor measured in the same run: the raw rows query (the findings of
   those reports, fetched as tuples). SQL query counts of both, peak Python memory (tracemalloc, a separate
   run) and the process's peak RSS.

    .venv/bin/python bench/status_reports.py                    # sizes 3000 and 30000 (PostgreSQL)
    .venv/bin/python bench/status_reports.py --sizes 300 --repeat 1

Each size's database is BENCH_DATABASE_URL with the size appended (default
postgres://postgres@127.0.0.1:5432/auditreg_bench_status_<size>), created and generated once, reused after.
"""

import argparse
import datetime
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def timed(fn, repeat: int) -> dict:
    """Median and all wall times of `repeat` runs; the result of the last."""
    times, value = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - started)
    return {"median_s": round(statistics.median(times), 3), "runs_s": [round(t, 3) for t in times]}, value


def peak_mb(fn) -> float:
    """The Python heap peak of one traced run (tracing slows the code, so it is not timed)."""
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return round(peak / 1024 / 1024, 1)


def long_texts(args) -> dict:
    """In a child process (its own Django, on a scratch SQLite file)."""
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); from bench.status_reports import _long_texts;"
        f" _long_texts({args.repeat}, {args.pdf})"
    )
    scratch = ROOT / "var" / "bench-status.sqlite3"
    scratch.parent.mkdir(exist_ok=True)
    scratch.unlink(missing_ok=True)
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{scratch}", DJANGO_SETTINGS_MODULE="auditreg.settings.local")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _long_texts(repeat: int, pdf: bool):
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from findings import renderers as reports
    from findings import status_report
    from findings.bundle.importer import import_report_bundle
    from findings.models import AuditReport
    from tests.factories import long_measures

    import_report_bundle(settings.REPORT_FIXTURE_DIR)
    real = AuditReport.objects.get(code="kanazawa-2024-dx")
    long_measures(real)
    built = status_report.build(reports=[real], as_of=datetime.date.today())
    texts = [len(r.text) for r in built.rows]
    result = {"rows": len(built.rows), "measure_chars": [min(texts), max(texts)], "load_before": load()}
    cases = {
        "xlsx": lambda: reports.render_xlsx(built, data_sheets=False),
        "xlsx_with_data_sheets": lambda: reports.render_xlsx(built),
        "csv": lambda: reports.render_csv(built),
    }
    if pdf:
        cases["pdf"] = lambda: reports.render_pdf(built)
    for name, fn in cases.items():
        fn()  # warm
        figures, content = timed(fn, repeat)
        result[name] = figures | {"bytes": len(content), "peak_python_mb": peak_mb(fn)}
    result["load_after"] = load()
    print(json.dumps(result, ensure_ascii=False))


def ensure_database(url: str, findings: int) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="auditreg.settings.local")
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
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
    if abs(int(probe.stdout.split()[-1]) - findings) > 30:
        subprocess.run([*manage, "import_report", "fixtures/kanazawa-2024-dx"], cwd=ROOT, env=env, check=True)
        subprocess.run(
            [*manage, "generate_data", "--findings", str(findings), "--replace"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=sys.stderr,
        )
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE)")


def downloaded(url: str, size: int, repeat: int) -> dict:
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); from bench.status_reports import _downloaded;"
        f" _downloaded({repeat})"
    )
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="auditreg.settings.local")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _downloaded(repeat: int):
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from findings import renderers as reports
    from findings import status_report
    from findings.models import AuditReport, Finding

    many = list(AuditReport.objects.filter(code__startswith="synthetic-").order_by("code"))
    as_of = datetime.date.today()

    def floor():  # the raw rows query: the report's findings as tuples, no ORM
        sql, params = Finding.objects.filter(report__in=many).values_list("pk", "code", "title").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def without():
        return reports.render_xlsx(status_report.build(reports=many, as_of=as_of), data_sheets=False)

    def with_data():
        return reports.render_xlsx(status_report.build(reports=many, as_of=as_of))

    result = {"reports": len(many), "load_before": load()}
    cases = {"floor_rows_query": floor, "xlsx_without_data_sheets": without, "xlsx_with_data_sheets": with_data}
    if len(many) < 300:  # below 10,000 findings; a run of the large ones warms what it needs itself
        for fn in cases.values():
            fn()  # warm
    runs = {name: [] for name in cases}
    for _ in range(repeat):  # interleaved, so that a busy moment hits every case alike
        for name, fn in cases.items():
            started = time.perf_counter()
            fn()
            runs[name].append(time.perf_counter() - started)
    for name, fn in cases.items():
        with CaptureQueriesContext(connection) as ctx:
            value = fn()
        result[name] = {
            "median_s": round(statistics.median(runs[name]), 3),
            "runs_s": [round(t, 3) for t in runs[name]],
            "queries": len(ctx.captured_queries),
        }
        if isinstance(value, bytes):
            result[name]["bytes"] = len(value)
            result[name]["peak_python_mb"] = peak_mb(fn)
    result["rows"] = len(status_report.build(reports=many, as_of=as_of).rows)
    result["ratio_with_to_without"] = round(
        result["xlsx_with_data_sheets"]["median_s"] / result["xlsx_without_data_sheets"]["median_s"], 2
    )
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    result["load_after"] = load()
    print(json.dumps(result, ensure_ascii=False))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="3000,30000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pdf", action="store_true", help="time the PDF of the long texts too")
    parser.add_argument("--skip-long", action="store_true")
    args = parser.parse_args()
    result = {"cpus": os.cpu_count(), "load_at_start": load()}
    if not args.skip_long:
        result["long_texts"] = long_texts(args)
    base = os.environ.get("BENCH_DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/auditreg_bench_status"
    for size in [int(s) for s in args.sizes.split(",") if s]:
        url = f"{base}_{size}"
        ensure_database(url, size)
        result[f"downloaded_{size}"] = downloaded(url, size, args.repeat)
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
