"""Load and concurrency check: gunicorn on PostgreSQL on loopback, a realistic mix of requests from
several users at once for a bounded time, then a check that there were no server errors and that the
database holds exactly the writes the server accepted. Prints one JSON document.

    .venv/bin/python bench/load.py                 # 60 s, 16 concurrent users
    .venv/bin/python bench/load.py --short         # 10 s, 8 users (CI)

Needs PostgreSQL (LOAD_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/auditreg_load; the
database is dropped and re-created)."""

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


def prepare(db_url: str, n_sections: int) -> dict:
    """Fresh database, the report imported, one staff user and one assigned measure per section."""
    import psycopg

    base, name = db_url.rsplit("/", 1)
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
    from findings.bundle.service import import_report_bundle

    import_report_bundle(settings.REPORT_FIXTURE_DIR)
    from auditreg.models import Section, User
    from findings import services
    from findings.models import Finding, MeasureStatus

    auditor = User.objects.create_user("load-auditor", password=PASSWORD, role="auditor", last_name="監査")
    findings = list(Finding.objects.filter(report__code="kanazawa-2024-dx").order_by("order"))
    sections = list(Section.objects.order_by("bureau__order", "order")[:n_sections])
    writers = []
    for i, section in enumerate(sections):  # one writer per section, each on its own finding
        user = User.objects.create_user(
            f"load-staff-{i}",
            password=PASSWORD,
            role="section_staff",
            section=section,
            last_name="担当",
            first_name=str(i),
        )
        (measure,) = services.finding_assign(finding=findings[i], sections=[section], reply_by=None, by=auditor)
        writers.append({"username": user.username, "measure": measure.pk})
    return {
        "auditor": "load-auditor",
        "writers": writers,
        "report": findings[0].report_id,
        "finding": findings[3].pk,
        "status_in_progress": MeasureStatus.objects.get(code="in_progress").pk,
    }


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


def run_user(base, plan, role, deadline, results, accepted, lock):
    try:
        _run_user(base, plan, role, deadline, results, accepted, lock)
    except Exception as exc:  # a client that dies is a failure of the run, not a silent gap
        results.append((599, 0.0))
        print(f"client {role['username']} failed: {exc!r}", file=sys.stderr)


def _run_user(base, plan, role, deadline, results, accepted, lock):
    client = Client(base)
    client.login(role["username"])
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
            results.append((status, dt))
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
            results.append((status, dt))
            if status == 302:
                with lock:
                    accepted.setdefault(role["measure"], []).append(text)
        else:
            status, _, dt = client.request(rnd.choice(reads))
            results.append((status, dt))
        n += 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--short", action="store_true", help="10 s, 8 users (CI)")
    args = parser.parse_args()
    if args.short:
        args.seconds, args.users = 10, 8
    db_url = os.environ.get("LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/auditreg_load")
    plan = prepare(db_url, n_sections=max(1, args.users // 2))
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
            "auditreg.wsgi:application",
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
    results, accepted, lock = [], {}, threading.Lock()
    roles = [dict(w) for w in plan["writers"]] + [{"username": plan["auditor"]}] * (args.users - len(plan["writers"]))
    deadline = time.time() + args.seconds
    started = time.time()
    threads = [
        threading.Thread(target=run_user, args=(base, plan, r, deadline, results, accepted, lock))
        for r in roles[: args.users]
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - started
    server.terminate()
    server.wait(timeout=30)

    # the database holds exactly the accepted writes: the last accepted text, one change-log row each
    from auditreg.models import ChangeLog
    from findings.models import MeasureReport

    lost = 0
    for measure_id, texts in accepted.items():
        report = MeasureReport.objects.get(measure_id=measure_id)
        logged = ChangeLog.objects.filter(
            object_type="findings.measurereport", object_id=report.pk, action__in=["report.created", "report.edited"]
        ).count()
        if report.text != texts[-1] or logged != len(texts):
            lost += 1
    latencies = sorted(dt for _, dt in results)
    errors = sum(1 for status, _ in results if status >= 500)
    summary = {
        "seconds": round(elapsed, 1),
        "concurrency": len(threads),
        "gunicorn_workers": args.workers,
        "requests": len(results),
        "requests_per_second": round(len(results) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
        "server_errors": errors,
        "accepted_writes": sum(len(t) for t in accepted.values()),
        "refused_writes": sum(1 for status, _ in results if status == 409),
        "measures_written": len(accepted),
        "lost_writes": lost,
    }
    print(json.dumps(summary, ensure_ascii=False))
    if errors or lost:
        sys.exit(1)


if __name__ == "__main__":
    main()
