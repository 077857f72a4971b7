"""The dashboard at two sizes, side by side (issue #16.3): is it flat in the number of measures?

    .venv/bin/python bench/dashboard_scale.py                 # ~30,000 and ~300,000 measures
    .venv/bin/python bench/dashboard_scale.py --prefix mine   # databases mine_m30k and mine_m300k

Builds (or reuses) one PostgreSQL database per size: migrated, the real report imported and
`generate_data` run with few reports and log entries per measure (they are not what the dashboard
counts, and they make generation slow). One process serves each database (bench/dashboard_scale.py
--serve URL); this one asks them in turn, so that a burst of load on the shared machine falls on both
sizes alike. Each round, on each database:

- the page drawn (its cache emptied first): the whole request, and each of its queries timed at the
  cursor (an execute wrapper: perf_counter around the call, no debug cursor);
- the page from its cache (the request after it).

Prints one JSON document (the raw figures, the ratios large/small) and a table on stderr."""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = {"m30k": 30_000, "m300k": 300_000}  # measures
MEASURES_PER_FINDING = 3.4  # what generate_data's default (--measures-per-finding 3.9) gives, one to six
GOAL = 2.0  # the drawn page's SQL at 300,000 measures within 2x what it is at 30,000 (issue #16.3)


def ensure_database(url: str, measures: int) -> None:
    """Create, migrate and fill the database unless it holds about `measures` measures already."""
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="auditreg.settings.local")
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    with psycopg.connect(url) as conn:
        have = conn.execute("SELECT count(*) FROM findings_measure").fetchone()[0]
    if abs(have - measures) <= measures * 0.05:
        return
    subprocess.run(
        [*manage, "import_report", "fixtures/kanazawa-2024-dx"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    findings = round(measures / MEASURES_PER_FINDING)
    generate = ["generate_data", "--findings", str(findings), "--reports-per-measure", "0.6", "--log-per-report", "0"]
    subprocess.run([*manage, *generate, "--replace"], cwd=ROOT, env=env, check=True, stdout=sys.stderr)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")  # the statistics a running system would have (see bench/run.py)


# -- one database, served in its own process ------------------------------------------------------------


def serve(url: str) -> None:
    """Answer the parent's commands (one JSON per line on stdin): "scale", "draw", "cached", "explain"."""
    os.environ.update(
        DATABASE_URL=url, DJANGO_SETTINGS_MODULE="auditreg.settings.local", DEBUG="0", ALLOWED_HOSTS="testserver"
    )
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from auditreg.models import User
    from auditreg.runtime import tune_gc
    from findings import dashboard_cache
    from findings.models import Finding, Measure, MeasureReport

    client = Client()
    client.force_login(User.objects.get(username="synthetic-auditor0"))
    tune_gc()  # as served (auditreg/wsgi.py)
    queries: list = []

    def timed(execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append((sql, params, time.perf_counter() - t))

    def get() -> float:
        t = time.perf_counter()
        response = client.get("/findings/dashboard/")
        elapsed = time.perf_counter() - t
        assert response.status_code == 200, response.status_code
        return elapsed

    for line in sys.stdin:
        command = json.loads(line)
        if command == "scale":
            answer = {
                "findings": Finding.objects.count(),
                "measures": Measure.objects.count(),
                "measure_reports": MeasureReport.objects.count(),
            }
        elif command in ("draw", "cached"):
            if command == "draw":
                dashboard_cache.forget()
            queries.clear()
            with connection.execute_wrapper(timed):
                page = get()
            answer = {"page_s": page, "queries": [[sql[:160], q] for sql, _, q in queries]}
        elif command == "explain":  # the drawn page's queries, each with its plan
            dashboard_cache.forget()
            queries.clear()
            with connection.execute_wrapper(timed):
                get()
            answer = []
            with connection.cursor() as cursor:
                for sql, params, _ in queries:
                    cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
                    answer.append({"sql": sql, "plan": [r[0] for r in cursor.fetchall()]})
        else:
            answer = {"error": f"unknown command {command!r}"}
        print(json.dumps(answer, ensure_ascii=False), flush=True)


class Server:
    def __init__(self, url: str):
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", url],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self, command: str):
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self):
        self.process.stdin.close()
        self.process.wait()


# -- the comparison ----------------------------------------------------------------------------------------


def _stats(values: list[float]) -> dict:
    ts = sorted(values)
    return {
        "median_ms": round(statistics.median(ts) * 1000, 2),
        "p95_ms": round(ts[max(0, int(len(ts) * 0.95) - 1)] * 1000, 2),
    }


def measure(servers: dict, rounds: int, warm: int = 2) -> dict:
    """Each round asks every database for the page drawn then cached, the order of the databases
    alternating; the load average is read before and after."""
    for _ in range(warm):
        for s in servers.values():
            s.ask("draw"), s.ask("cached")
    raw = {name: {"draw": [], "cached": []} for name in servers}
    loads = [os.getloadavg()]
    names = list(servers)
    for i in range(rounds):
        for name in names if i % 2 == 0 else names[::-1]:
            raw[name]["draw"].append(servers[name].ask("draw"))
            raw[name]["cached"].append(servers[name].ask("cached"))
    loads.append(os.getloadavg())
    result = {"rounds": rounds, "load_average": {"before": loads[0], "after": loads[1]}, "sizes": {}}
    for name, r in raw.items():
        drawn = r["draw"]
        counts = sorted({len(d["queries"]) for d in drawn})
        n = counts[0]
        per_query = [
            {"sql": drawn[0]["queries"][i][0], **_stats([d["queries"][i][1] for d in drawn if len(d["queries"]) == n])}
            for i in range(n)
        ]
        result["sizes"][name] = {
            "drawn": _stats([d["page_s"] for d in drawn]),
            "drawn_sql": _stats([sum(q for _, q in d["queries"]) for d in drawn]),
            "drawn_queries": counts[0] if len(counts) == 1 else counts,
            "per_query": per_query,
            "cached": _stats([c["page_s"] for c in r["cached"]]),
            "cached_sql": _stats([sum(q for _, q in c["queries"]) for c in r["cached"]]),
            "cached_queries": len(r["cached"][-1]["queries"]),
        }
    small, large = (result["sizes"][n] for n in names)
    result["ratio_large_to_small"] = {
        k: round(large[k]["median_ms"] / small[k]["median_ms"], 2)
        for k in ("drawn", "drawn_sql", "cached", "cached_sql")
    }
    result["ratio_large_to_small"]["drawn_sql_p95"] = round(
        large["drawn_sql"]["p95_ms"] / small["drawn_sql"]["p95_ms"], 2
    )
    result["goal"] = {"drawn_sql_within": GOAL, "met": result["ratio_large_to_small"]["drawn_sql"] <= GOAL}
    return result


def table(result: dict) -> str:
    names = list(result["sizes"])
    lines = [f"{'':<34}" + "".join(f"{n + ' ' + str(result['scale'][n]['measures']):>26}" for n in names) + "   ratio"]
    for k in ("drawn", "drawn_sql", "cached", "cached_sql"):
        cells = "".join(
            f"{result['sizes'][n][k]['median_ms']:>14.2f} / {result['sizes'][n][k]['p95_ms']:>9.2f}" for n in names
        )
        lines.append(f"{k + ' (median / p95 ms)':<34}{cells}   {result['ratio_large_to_small'][k]:.2f}")
    lines.append(
        f"{'queries drawn / cached':<34}"
        + "".join(
            f"{str(result['sizes'][n]['drawn_queries']) + ' / ' + str(result['sizes'][n]['cached_queries']):>26}"
            for n in names
        )
    )
    small, large = (result["sizes"][n]["per_query"] for n in names)
    for i, (a, b) in enumerate(zip(small, large, strict=False)):
        ratio = b["median_ms"] / a["median_ms"] if a["median_ms"] else float("nan")
        lines.append(f"  q{i:<2} {a['sql'][:60]:<60} {a['median_ms']:>8.2f} {b['median_ms']:>8.2f}  {ratio:5.2f}")
    la = result["load_average"]
    lines.append(f"goal: drawn SQL within {GOAL}x: {'met' if result['goal']['met'] else 'NOT MET'}")
    lines.append(
        f"load average before {[round(x, 2) for x in la['before']]}, after {[round(x, 2) for x in la['after']]}"
    )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--prefix", default="auditreg_dash", help="database names: <prefix>_m30k, <prefix>_m300k")
    parser.add_argument("--base-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--explain", action="store_true", help="the drawn page's plans (EXPLAIN ANALYZE) instead")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    urls = {name: f"{args.base_url}/{args.prefix}_{name}" for name in SIZES}
    for name, url in urls.items():
        ensure_database(url, SIZES[name])
    servers = {name: Server(url) for name, url in urls.items()}
    try:
        if args.explain:
            print(json.dumps({name: s.ask("explain") for name, s in servers.items()}, ensure_ascii=False, indent=1))
            return
        scale = {name: s.ask("scale") for name, s in servers.items()}
        result = {"scale": scale, **measure(servers, args.rounds)}
    finally:
        for s in servers.values():
            s.close()
    print(json.dumps(result, ensure_ascii=False, indent=1))
    print(table(result), file=sys.stderr)


if __name__ == "__main__":
    main()
