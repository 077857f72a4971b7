"""Render times of the 措置状況 in each format: the real 33-finding report, and a synthetic report
of N rows (default 20,000). Runs on a scratch database (SQLite file by default, or BENCH_DATABASE_URL)
and prints one JSON document.

    .venv/bin/python bench/status_reports.py [--rows 20000]
"""

import argparse
import datetime
import json
import os
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20000)
    args = parser.parse_args()
    scratch = ROOT / "var" / "bench-status.sqlite3"
    scratch.parent.mkdir(exist_ok=True)
    if scratch.exists():
        scratch.unlink()
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{scratch}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auditreg.settings.local")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("flush", "--noinput", verbosity=0) if "postgres" in os.environ["DATABASE_URL"] else None
    call_command("migrate", verbosity=0)
    from findings import reports, status_report
    from findings.bundle.service import import_report_bundle
    from findings.models import AuditReport

    import_report_bundle(settings.REPORT_FIXTURE_DIR)
    result = {"database": django.db.connection.vendor, "real_report": {}, "synthetic": {"rows": args.rows}}
    real = AuditReport.objects.get(code="kanazawa-2024-dx")
    as_of = datetime.date.today()

    def timed(fn, *a, **kw):
        """Seconds of a plain run, then the Python heap peak of a second, traced run
        (tracing slows the code several times, so it is not timed)."""
        started = time.perf_counter()
        value = fn(*a, **kw)
        seconds = time.perf_counter() - started
        tracemalloc.start()
        fn(*a, **kw)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return value, round(seconds, 3), round(peak / 1024 / 1024, 1)

    built, s, _ = timed(status_report.build, reports=[real], as_of=as_of)
    result["real_report"]["build_s"] = s
    for fmt, (render, _) in reports.RENDERERS.items():
        content, s, mb = timed(render, built)
        result["real_report"][fmt] = {"seconds": s, "bytes": len(content), "peak_python_mb": mb}

    sys.path.insert(0, str(ROOT / "tests"))
    from tests.factories import bulk_report

    started = time.perf_counter()
    synthetic = bulk_report(args.rows, code="bench")
    result["synthetic"]["generate_s"] = round(time.perf_counter() - started, 1)
    built, s, mb = timed(status_report.build, reports=[synthetic], as_of=as_of)
    result["synthetic"]["build"] = {"seconds": s, "peak_python_mb": mb}
    for fmt in ("xlsx", "csv"):
        render, _ = reports.RENDERERS[fmt]
        content, s, mb = timed(render, built)
        result["synthetic"][fmt] = {"seconds": s, "bytes": len(content), "peak_python_mb": mb}
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
