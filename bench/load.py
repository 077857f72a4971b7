"""Load and concurrency check: gunicorn on PostgreSQL on loopback, a realistic mix of requests from
several users at once for a bounded time, then a check that there were no server errors and that the
database holds exactly the writes the server accepted. Prints one JSON document.

    .venv/bin/python bench/load.py                 # 60 s, 16 concurrent users
    .venv/bin/python bench/load.py --short         # 10 s, 8 users (CI)
    LOAD_DATABASE_URL=…/auditreg_bench_30000 .venv/bin/python bench/load.py --keep   # at scale

Needs PostgreSQL (LOAD_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/auditreg_load; the
database is dropped and re-created, unless --keep: then it is used as it is, e.g. bench/run.py's
30,000-finding database, and only the load users and their measures are added). After the mix, the
same users request a minimal authenticated Django page (bench/floor.py: session, login, one rows
query, a trivial template) for as long, on the same server: the JSON gives both and their ratio."""

import argparse
import http.cookiejar
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "load-test-password-2025!"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(db_url: str, n_sections: int, keep: bool = False) -> dict:
    """The report imported, one staff user and one assigned measure per section (on a fresh database,
    or added to the one there with --keep)."""
    import psycopg

    base, name = db_url.rsplit("/", 1)
    if not keep:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
    os.environ["DATABASE_URL"] = db_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "auditreg.settings.local"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from auditreg.models import Section, User
    from findings import services
    from findings.bundle.importer import import_report_bundle
    from findings.models import Finding, MeasureStatus

    if not keep:
        import_report_bundle(settings.REPORT_FIXTURE_DIR)

    def user(username, **fields):
        u = User.objects.filter(username=username).first() or User.objects.create_user(username, **fields)
        u.set_password(PASSWORD)
        u.is_active = True
        u.save()
        return u

    auditor = user("load-auditor", role="auditor", last_name="監査")
    findings = list(Finding.objects.filter(report__code="kanazawa-2024-dx").order_by("order"))
    sections = list(Section.objects.order_by("bureau__order", "order")[:n_sections])
    writers = []
    for i, section in enumerate(sections):  # one writer per section, each on its own finding
        staff = user(f"load-staff-{i}", role="section_staff", section=section, last_name="担当", first_name=str(i))
        (measure,) = services.finding_assign(finding=findings[i], sections=[section], reply_by=None, by=auditor)
        writers.append({"username": staff.username, "measure": measure.pk})
    return {
        "auditor": "load-auditor",
        "writers": writers,
        "report": findings[0].report_id,
        "finding": findings[3].pk,
        "status_in_progress": MeasureStatus.objects.get(code="in_progress").pk,
    }


def written(measure_ids) -> dict:
    """Per measure: its open report's text and how many draft writes the change log holds for it."""
    from auditreg.models import ChangeLog
    from findings.models import MeasureReport

    out = {}
    for measure_id in measure_ids:
        report = MeasureReport.objects.filter(measure_id=measure_id).order_by("-pk").first()
        logged = (
            ChangeLog.objects.filter(
                object_type="findings.measurereport",
                object_id=report.pk,
                action__in=["report.created", "report.edited"],
            ).count()
            if report
            else 0
        )
        out[measure_id] = (report.text if report else None, logged)
    return out


class Client:
    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def request(self, path, data=None):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers={"Referer": self.base + path})
        started = time.perf_counter()
        try:
            with self.opener.open(req, timeout=60) as r:
                status, text = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read()
        return status, text.decode("utf-8", "replace"), time.perf_counter() - started

    def login(self, username):
        _, html, _ = self.request("/login/")
        status, _, _ = self.request(
            "/login/", {"csrfmiddlewaretoken": TOKEN.search(html).group(1), "username": username, "password": PASSWORD}
        )
        assert status == 302, f"login {username}: {status}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def run_user(client, plan, role, deadline, results, accepted, lock, floor=False):
    try:
        if floor:
            _run_floor_user(client, deadline, results)
        else:
            _run_user(client, plan, role, deadline, results, accepted, lock)
    except Exception as exc:  # a client that dies is a failure of the run, not a silent gap
        results.append((599, 0.0, "client failed"))
        print(f"client {role['username']} failed: {exc!r}", file=sys.stderr)


def _run_floor_user(client, deadline, results):
    """The minimal authenticated page only (bench/floor.py), as fast as the server answers."""
    while time.time() < deadline:
        status, _, dt = client.request("/bench-floor/rows/minimal/")
        results.append((status, dt, "minimal page"))


def _run_user(client, plan, role, deadline, results, accepted, lock):
    rnd = random.Random(role["username"])
    q = urllib.parse.quote
    reads = [
        "/findings/",
        f"/findings/?report={plan['report']}&kind={q('意見')}",
        f"/findings/?q={q('パスワード')}",
        "/systems/?audited=true",
        "/budgets/",
        f"/findings/export.csv?kind={q('指摘')}",
        "/systems/export.csv",
        f"/findings/{plan['finding']}/",
    ]
    n = 0
    while time.time() < deadline:
        if role.get("measure") and rnd.random() < 0.3:
            path = f"/findings/measures/{role['measure']}/"
            status, html, dt = client.request(path)
            results.append((status, dt, "measure page"))
            version = VERSION.search(html)
            text = f"{role['username']} の報告 {n}"
            data = {
                "csrfmiddlewaretoken": TOKEN.search(html).group(1),
                "status": plan["status_in_progress"],
                "reported_on": "2025-06-30",
                "text": text,
            }
            if version:
                data["version"] = version.group(1)
            status, _, dt = client.request(f"/findings/measures/{role['measure']}/save/", data)
            results.append((status, dt, "draft save"))
            if status == 302:
                with lock:
                    accepted.setdefault(role["measure"], []).append(text)
        else:
            path = rnd.choice(reads)
            status, _, dt = client.request(path)
            results.append((status, dt, urllib.parse.unquote(path)))
        n += 1


def phase(base, plan, roles, seconds, floor=False) -> tuple[dict, dict]:
    """All users at once for `seconds`: the mix (or the floor page). Returns its figures and the
    writes the server accepted (measure -> texts in order)."""
    results, accepted, lock = [], {}, threading.Lock()
    clients = []
    for r in roles:  # logged in before the clock starts (password hashing is not what is measured)
        clients.append(Client(base))
        clients[-1].login(r["username"])
    deadline = time.time() + seconds
    started = time.time()
    threads = [
        threading.Thread(target=run_user, args=(c, plan, r, deadline, results, accepted, lock, floor))
        for c, r in zip(clients, roles, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - started
    latencies = sorted(dt for _, dt, _ in results)
    return {
        "seconds": round(elapsed, 1),
        "requests": len(results),
        "requests_per_second": round(len(results) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000, 1),
        "server_errors": sum(1 for status, _, _ in results if status >= 500),
        "refused_writes": sum(1 for status, _, _ in results if status == 409),
        "per_request": per_request(results),
    }, accepted


def per_request(results) -> dict:
    """Each kind of request: how many, median and largest time (where the mix's time goes)."""
    by = {}
    for _, dt, label in results:
        by.setdefault(label, []).append(dt)
    return {
        label: {"n": len(ts), "median_ms": round(statistics.median(ts) * 1000, 1), "max_ms": round(max(ts) * 1000, 1)}
        for label, ts in sorted(by.items(), key=lambda kv: -sum(kv[1]))
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--short", action="store_true", help="10 s, 8 users (CI)")
    parser.add_argument("--keep", action="store_true", help="use LOAD_DATABASE_URL's data as it is (at scale)")
    parser.add_argument("--no-floor", action="store_true", help="skip the minimal page's run")
    args = parser.parse_args()
    if args.short:
        args.seconds, args.users = 10, 8
    db_url = os.environ.get("LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/auditreg_load")
    plan = prepare(db_url, n_sections=max(1, args.users // 2), keep=args.keep)
    before = written([w["measure"] for w in plan["writers"]])
    port = free_port()
    env = dict(
        os.environ,
        DATABASE_URL=db_url,
        DJANGO_SETTINGS_MODULE="auditreg.settings.local",
        DEBUG="0",
        SECRET_KEY="load-test-only-" + "x" * 40,
    )
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "floor_wsgi:application",  # the project's app, plus bench/floor.py's minimal page
            "--pythonpath",
            str(ROOT / "bench"),
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(args.workers),
            "--threads",
            "2",
            "--access-logfile",
            "/dev/null",
            "--error-logfile",
            "-",
            "--env",
            "DJANGO_SETTINGS_MODULE=auditreg.settings.local",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/login/", timeout=2)
            break
        except Exception:
            time.sleep(0.2)
    roles = [dict(w) for w in plan["writers"]] + [{"username": plan["auditor"]}] * (args.users - len(plan["writers"]))
    roles = roles[: args.users]
    load_before = os.getloadavg()
    try:
        mix, accepted = phase(base, plan, roles, args.seconds)
        floor = None if args.no_floor else phase(base, plan, roles, args.seconds, floor=True)[0]
    finally:  # never leave the server running
        server.terminate()
        server.wait(timeout=30)

    # the database holds exactly the accepted writes: the last accepted text, one change-log row each
    after = written(list(accepted))
    lost = 0
    for measure_id, texts in accepted.items():
        text, logged = after[measure_id]
        if text != texts[-1] or logged - before[measure_id][1] != len(texts):
            lost += 1
    from findings.models import Finding

    summary = {
        "findings": Finding.objects.count(),
        "concurrency": len(roles),
        "gunicorn_workers": args.workers,
        "load_average": {"before": load_before, "after": os.getloadavg()},
        **mix,
        "accepted_writes": sum(len(t) for t in accepted.values()),
        "measures_written": len(accepted),
        "lost_writes": lost,
    }
    if floor:
        summary["floor"] = floor
        summary["x_floor_requests_per_second"] = round(floor["requests_per_second"] / mix["requests_per_second"], 2)
        summary["x_floor_p50"] = round(mix["p50_ms"] / floor["p50_ms"], 2)
        summary["x_floor_p99"] = round(mix["p99_ms"] / floor["p99_ms"], 2)
    errors = mix["server_errors"] + (floor["server_errors"] if floor else 0)
    print(json.dumps(summary, ensure_ascii=False))
    if errors or lost:
        sys.exit(1)


if __name__ == "__main__":
    main()
