"""PDF render times of the 措置状況 at several sizes, beside a floor measured in the same run.

Cases (each in its own child process, so that its peak RSS is its own):
- ``real``: the report's 33 findings, every one assigned, every measure holding 800–2,000 characters;
- ``rows=N``: a synthetic report of N findings, one measure each of 150–450 characters (the length
  of the rows of `generate_data`, whose 300-row PDF took 31–37 s in issue #16);
- ``floor``: WeasyPrint rendering a trivial one-page HTML with the same embedded font.

Each report case is rendered both ways, alternated in fresh processes (serial, parallel, serial, …):
``serial`` with PDF_PROCESSES = 1, ``parallel`` as the job worker and `manage.py status_report` do it
(the parts on two cores, findings.pdf_parallel). Wall seconds are what the user waits for; CPU seconds
are this process's plus the forked child's. Peak RSS is this process's plus its child's (an upper
bound of the total: the child's pages shared with its parent count twice).

Runs on a scratch SQLite file (var/bench-pdf.sqlite3, or BENCH_DATABASE_URL) and prints one JSON
document with seconds, pages, bytes and peak RSS per case, and the load average before and after.

    .venv/bin/python bench/pdf_render.py [--rows 300 1000 3000] [--repeat 2] [--profile real]
"""

import argparse
import datetime
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = ROOT / "var" / "bench-pdf.sqlite3"
AS_OF = datetime.date(2026, 3, 31)


def setup_django(fresh: bool):
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{SCRATCH}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auditreg.settings.local")
    if fresh and "postgres" not in os.environ["DATABASE_URL"]:
        SCRATCH.parent.mkdir(exist_ok=True)
        SCRATCH.unlink(missing_ok=True)
    import django

    django.setup()


def texts(rng: random.Random, n: int, pool: list[str], lengths: tuple[int, int]) -> list[str]:
    """n measure texts of the given lengths, cut from the report's own sentences (real Japanese
    with its mix of kanji, kana, digits and punctuation), with paragraph breaks."""
    out = []
    for _ in range(n):
        target = rng.randint(*lengths)
        parts, size = [], 0
        while size < target:
            s = rng.choice(pool)
            parts.append(s + ("\n" if rng.random() < 0.2 else ""))
            size += len(parts[-1])
        out.append("".join(parts)[:target])
    return out


def prepare():
    """The scratch database: the real report with every finding assigned, and synthetic reports."""
    from django.conf import settings
    from django.core.management import call_command

    if "postgres" in os.environ["DATABASE_URL"]:
        call_command("flush", "--noinput", verbosity=0)
    call_command("migrate", verbosity=0)
    from auditreg.choices import Role
    from auditreg.models import Section, User
    from findings.bundle.importer import import_report_bundle
    from findings.models import AuditReport, Finding

    import_report_bundle(settings.REPORT_FIXTURE_DIR)
    office = User.objects.create(username="bench_auditor", role=Role.AUDITOR, last_name="監査")
    section = Section.objects.order_by("pk").first()
    drafter = User.objects.create(username="bench_staff", role=Role.SECTION_STAFF, section=section, last_name="担当")
    head = User.objects.create(username="bench_head", role=Role.SECTION_HEAD, section=section, last_name="課長")
    pool = [
        s + "。"
        for f in Finding.objects.all()
        for s in f"{f.detected}{f.problem}{f.recommendation}".replace("\n", "").split("。")
        if len(s) > 10
    ]
    real = AuditReport.objects.get(code="kanazawa-2024-dx")
    sections = list(Section.objects.order_by("bureau__order", "order")[:40])
    assign(real, sections, office, drafter, head, pool, random.Random(15), (800, 2000), two_sections_every=3)


def assign(report, sections, office, drafter, head, pool, rng, lengths, two_sections_every=0):
    """Every finding gets a measure (every n-th one in two sections), each with one accepted report."""
    from django.utils import timezone

    from findings.choices import ReportState
    from findings.models import Measure, MeasureReport, MeasureStatus

    statuses = {s.code: s for s in MeasureStatus.objects.all()}
    codes = ["planned", "in_progress", "in_progress", "done"]
    at = timezone.make_aware(datetime.datetime(2025, 6, 1, 9))
    measures = []
    for i, f in enumerate(report.findings.order_by("order")):
        for k in range(2 if two_sections_every and i % two_sections_every == 0 else 1):
            code = rng.choice(codes)
            measures.append(
                Measure(
                    finding=f,
                    section=sections[(i + k) % len(sections)],
                    assigned_by=office,
                    assigned_at=at,
                    status=statuses[code],
                )
            )
    Measure.objects.bulk_create(measures)
    bodies = texts(rng, len(measures), pool, lengths)
    reports = []
    for m, body in zip(measures, bodies, strict=True):
        done = m.status.code == "done"
        reports.append(
            MeasureReport(
                measure=m,
                state=ReportState.ACCEPTED,
                status=m.status,
                reported_on=datetime.date(2025, 9, 1),
                text=body,
                planned_completion_on=datetime.date(2026, 3, 31) if not done else datetime.date(2025, 8, 31),
                completed_on=datetime.date(2025, 8, 20) if done else None,
                drafted_by=drafter,
                drafted_at=at,
                last_edited_by=drafter,
                updated_at=at,
                approved_by=head,
                approved_at=at,
                reviewed_by=office,
                reviewed_at=at + datetime.timedelta(days=10),
            )
        )
    MeasureReport.objects.bulk_create(reports)


def synthetic(rows: int):
    """A synthetic report of `rows` findings (made once per size, kept in the scratch database)."""
    from auditreg.models import User
    from findings.models import AuditReport

    code = f"bench-{rows}"
    found = AuditReport.objects.filter(code=code).first()
    if found:
        return found
    sys.path.insert(0, str(ROOT))
    from findings.models import Finding
    from tests.factories import bulk_report

    report = bulk_report(rows, code=code)
    pool = [s + "。" for f in Finding.objects.filter(report__code="kanazawa-2024-dx") for s in f.detected.split("。")]
    pool = [s for s in pool if len(s) > 10]
    users = {u.username: u for u in User.objects.filter(username__startswith="bench_")}
    sections = list(report.findings.first().report_sections.first().section.bureau.sections.order_by("order"))
    people = users["bench_auditor"], users["bench_staff"], users["bench_head"]
    assign(report, sections, *people, pool, random.Random(rows), (150, 450))
    return report


FLOOR_HTML = """<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><title>floor</title><style>
@font-face {{ font-family: "IPAexGothic"; src: url("{font}"); }}
@page {{ size: A4 landscape; }} body {{ font-family: "IPAexGothic"; font-size: 8.5pt; }}
</style></head><body><h1>措置状況</h1><p>令和7年12月31日現在の措置状況を公表します。</p></body></html>"""


def cpu_seconds() -> tuple[float, float]:
    """CPU seconds of this process and of its finished children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def run_case(case: str, repeat: int, profile: bool, mode: str = "parallel") -> dict:
    from django.conf import settings
    from pypdf import PdfReader

    from findings import pdf_parallel

    settings.PDF_PROCESSES = 1 if mode == "serial" else 2
    if mode == "parallel":  # on two cores whatever the load ("auto": as the worker does, only if a core is idle)
        pdf_parallel.core_free = lambda: True

    started = time.perf_counter()
    import weasyprint  # noqa: F401 - loaded before the timed renders, as the job worker does at start (jobs/management/commands/db_worker.py)

    import_s = time.perf_counter() - started
    from findings import renderers as reports
    from findings import status_report
    from findings.models import AuditReport

    if case == "floor":
        from weasyprint import HTML

        html = FLOOR_HTML.format(font=reports.FONT_PATH.as_uri())

        def render():
            return HTML(string=html).write_pdf()

        rows = 0
    else:
        report = AuditReport.objects.get(code="kanazawa-2024-dx") if case == "real" else synthetic(int(case[5:]))
        started = time.perf_counter()
        built = status_report.build(reports=[report], as_of=AS_OF)
        build_s = time.perf_counter() - started
        rows = len(built.rows)

        def render():
            return reports.render_pdf(built)

    times, cpu, child_cpu = [], [], []
    for _ in range(repeat):
        started, (own, children) = time.perf_counter(), cpu_seconds()
        content = render()
        times.append(round(time.perf_counter() - started, 3))
        own_after, children_after = cpu_seconds()
        cpu.append(round(own_after - own + children_after - children, 3))
        child_cpu.append(round(children_after - children, 3))
    if profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.runcall(render)
        stats = pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative")
        stats.print_stats(45)
    own_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result = {
        "case": case,
        "mode": mode,
        "rows": rows,
        "seconds": times,
        "best_s": min(times),
        "cpu_s": cpu,
        "best_cpu_s": min(cpu),
        "child_cpu_s": child_cpu,
        "pages": len(PdfReader(__import__("io").BytesIO(content)).pages),
        "bytes": len(content),
        "peak_rss_mb": round(own_rss, 1),
        "child_peak_rss_mb": round(child_rss, 1),
        "total_peak_rss_mb": round(own_rss + child_rss, 1),
    }
    result["import_s"] = round(import_s, 3)
    if case != "floor":
        result["build_s"] = round(build_s, 3)
        result["chars"] = sum(len(r.text) for r in built.rows)
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="*", default=[300, 1000, 3000])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--profile", help="a case to profile with cProfile (printed to stderr)")
    parser.add_argument("--modes", nargs="*", default=["serial", "parallel"])
    parser.add_argument("--rounds", type=int, default=1, help="how many times the modes are alternated")
    parser.add_argument("--case", help=argparse.SUPPRESS)  # internal: run one case in this process
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        setup_django(fresh=False)
        print(json.dumps(run_case(args.case, args.repeat, args.profile == args.case, args.mode)))
        return
    setup_django(fresh=True)
    started = time.perf_counter()
    prepare()
    for n in args.rows:
        synthetic(n)
    result = {"prepare_s": round(time.perf_counter() - started, 1), "cpus": os.cpu_count()}
    result["load_before"] = [round(x, 2) for x in os.getloadavg()]
    cases = ["floor", "real", *[f"rows={n}" for n in args.rows]]
    result["cases"] = []
    for case in cases:
        # the modes alternated, each in a fresh process (its own peak memory), `--rounds` times
        repeat = args.repeat if case in ("floor", "real") or int(case[5:]) <= 300 else 1
        for _ in range(args.rounds if case != "floor" else 1):
            for mode in ["serial"] if case == "floor" else args.modes:
                out = subprocess.run(
                    [sys.executable, __file__, "--case", case, "--mode", mode, "--repeat", str(repeat)]
                    + (["--profile", args.profile] if args.profile else []),
                    check=True,
                    text=True,
                    stdout=subprocess.PIPE,
                )
                result["cases"].append(json.loads(out.stdout) | {"load_1min": round(os.getloadavg()[0], 2)})
    floors = [c for c in result["cases"] if c["case"] == "floor"]
    floor, floor_cpu = min(c["best_s"] for c in floors), min(c["best_cpu_s"] for c in floors)
    for c in result["cases"]:
        c["ratio_to_floor"] = round(c["best_s"] / floor, 1)
        c["cpu_ratio_to_floor"] = round(c["best_cpu_s"] / floor_cpu, 1)
    result["load_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
