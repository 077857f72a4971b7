"""Real-browser tests: Chromium (Debian's /usr/bin/chromium) driven by Playwright against the app
running in its own process.

These tests do NOT use pytest-django's test database. The rest of the suite imports the report once
per session and rolls every test back, which a live server in another process could not see. Instead
this conftest builds a scratch SQLite database in a temporary folder (migrate, import the report,
create named users), starts `manage.py runserver` on a free port against it, and stops it at the end.

Run: .venv/bin/pytest tests/browser -q -m browser -p no:randomly
(skipped with a reason when Chromium or playwright is missing; BROWSER_TESTS_CHROMIUM names another binary).
Screenshots of the main pages go to test-artifacts/screenshots/ (git-ignored).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("BROWSER_TESTS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = BASE_DIR / "test-artifacts" / "screenshots"
PASSWORD = "Browser-Test-Pass-2025!"
SERVER_START_TIMEOUT = 60

# username -> (role, (bureau, section) or None, family name, given name)
USERS = {
    "b-auditor": ("auditor", None, "監査", "一郎"),
    "b-head1": ("section_head", ("都市政策局", "広報広聴課"), "広報", "課長一"),
    "b-head2": ("section_head", ("都市政策局", "広報広聴課"), "広報", "課長二"),
    "b-staff": ("section_staff", ("都市政策局", "広報広聴課"), "広報", "担当"),
    "b-other": ("section_staff", ("市民局", "市民課"), "市民", "担当"),
}

# Run inside `manage.py shell -c`: create the users, assign one opinion (意見01) to 広報広聴課 so the
# accessibility checks have a measure page with its forms, and print the ids the tests navigate to.
SEED = """
import datetime, json
from django.utils import timezone
from auditreg.models import Section, User
from findings.models import AuditReport, Finding
from findings.services import finding_assign

users = json.loads({users!r})
for username, (role, section_key, last, first) in users.items():
    section = Section.objects.get(bureau__name=section_key[0], name=section_key[1]) if section_key else None
    user = User(username=username, role=role, section=section, last_name=last, first_name=first, is_active=True)
    user.set_password({password!r})
    user.save()
report = AuditReport.objects.get(code="kanazawa-2024-dx")
findings = {{f.code: f.pk for f in Finding.objects.filter(report=report)}}
opinion = Finding.objects.get(report=report, code="意見01")
finding_assign(
    finding=opinion,
    sections=[Section.objects.get(bureau__name="都市政策局", name="広報広聴課")],
    reply_by=timezone.localdate() + datetime.timedelta(days=90),
    by=User.objects.get(username="b-auditor"),
)
measure = opinion.measures.get()
print("SEED-JSON " + json.dumps({{"findings": findings, "a11y_measure": measure.pk}}))
"""


def skip_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "browser tests need the playwright package (.venv/bin/pip install playwright axe-playwright-python)"
    return None


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: real-browser test (Chromium via Playwright against a live server)")


def pytest_collection_modifyitems(config, items):
    reason = skip_reason()
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            # under pytest-xdist (scripts/test.sh: --dist loadgroup) every journey runs on one worker,
            # against the one live server that worker starts
            item.add_marker(pytest.mark.xdist_group("browser"))
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@dataclass
class LiveApp:
    base_url: str
    root: Path
    findings: dict[str, int]
    a11y_measure: int
    log: Path  # the server's output, for a test that fails oddly
    env: dict = dataclasses.field(default_factory=dict, repr=False)  # the server's settings, for manage()

    def manage(self, *args, timeout=300) -> str:
        """A management command against this server's database and files (e.g. a journey's own seed)."""
        return _manage(self.env, *args, timeout=timeout)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url(root: Path) -> str:
    """A scratch SQLite file, or with BROWSER_DATABASE_URL a PostgreSQL database made afresh (CI)."""
    url = os.environ.get("BROWSER_DATABASE_URL")
    if not url:
        return f"sqlite:///{root / 'db.sqlite3'}"
    import psycopg

    base, name = url.rsplit("/", 1)
    if os.environ.get("PYTEST_XDIST_WORKER"):  # a database of its own per pytest-xdist worker (gw0, gw1 …)
        name = f"{name}_{os.environ['PYTEST_XDIST_WORKER']}"
        url = f"{base}/{name}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
    return url


def _server_env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "PYTEST_"))}
    env |= {
        "DJANGO_SETTINGS_MODULE": "auditreg.settings.local",
        "DEBUG": "1",
        "DATABASE_URL": _database_url(root),
        "EVIDENCE_ROOT": str(root / "evidence"),
        "PUBLICATION_ROOT": str(root / "publications"),
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    return env


def _manage(env, *args, timeout=300) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {args[0]} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


def _wait_until_up(proc: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited ({proc.returncode}):\n{log.read_text(errors='replace')[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer {url} within {SERVER_START_TIMEOUT}s:\n{log.read_text()[-4000:]}")


def _stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def running_server(env: dict, root: Path, *, worker: bool = False, insecure: bool = False):
    """`manage.py runserver` on a free port against the scratch database in `env`; yields (base URL, log
    path) once it answers, and stops it afterwards. With `worker`, the background-job worker
    (`manage.py db_worker`, as scripts/run.sh starts it) runs beside it, logging to worker.log. With
    `insecure`, the static files are served with DEBUG off too (scripts/screenshots.py).
    Also used by bench/browser_import.py."""
    port = _free_port()
    log = root / "server.log"
    procs = []
    with log.open("wb") as log_file:
        procs.append(
            subprocess.Popen(
                [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
                + (["--insecure"] if insecure else []),
                cwd=BASE_DIR,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    if worker:
        with (root / "worker.log").open("wb") as worker_log:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "manage.py", "db_worker", "--interval", "0.5", "--no-startup-delay"],
                    cwd=BASE_DIR,
                    env=env,
                    stdout=worker_log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(procs[0], base_url + "/login/", log)
        yield base_url, log
    finally:
        for proc in procs:
            _stop(proc)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("browser-app")
    env = _server_env(root)
    _manage(env, "migrate", "--noinput")
    _manage(env, "import_report", "fixtures/kanazawa-2024-dx")
    out = _manage(env, "shell", "-c", SEED.format(users=json.dumps(USERS), password=PASSWORD))
    seeded = json.loads(next(line for line in out.splitlines() if line.startswith("SEED-JSON "))[10:])
    with running_server(env, root, worker=True) as (base_url, log):
        yield LiveApp(
            base_url=base_url,
            root=root,
            findings=seeded["findings"],
            a11y_measure=seeded["a11y_measure"],
            log=log,
            env=env,
        )


@pytest.fixture(scope="session")
def browser():
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def screenshots():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def shoot(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return shoot


class Browsers:
    """One browser context per person (separate cookies, as on separate PCs). Each person logs in
    through the login form once per session; later tests reuse that session's cookies."""

    def __init__(self, browser, app: LiveApp, sessions: dict):
        self.browser, self.app, self.sessions, self.contexts = browser, app, sessions, []

    def _context(self, storage_state=None):
        context = self.browser.new_context(
            base_url=self.app.base_url,
            locale="ja-JP",
            timezone_id="Asia/Tokyo",
            viewport={"width": 1280, "height": 900},
            accept_downloads=True,
            storage_state=storage_state,
        )
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        return context

    def anonymous(self):
        return self._context().new_page()

    def as_user(self, username: str, *, start: str | None = "/"):
        """A page logged in as `username`; like a fresh login, it shows `start` (監査報告書 by default;
        None: a blank page, for a test that goes somewhere itself)."""
        if username in self.sessions:
            page = self._context(self.sessions[username]).new_page()
            if start is None:
                return page
            page.goto(start)
            if "/login/" not in page.url:
                return page
        page = self.anonymous()
        login(page, username)
        self.sessions[username] = page.context.storage_state()
        return page

    def close(self):
        for context in self.contexts:
            context.close()


def login(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    family, given = USERS[username][2:]
    assert f"{family} {given}" in page.locator("header.site .account").inner_text()


@pytest.fixture(scope="session")
def login_sessions() -> dict:
    return {}


@pytest.fixture
def people(browser, live_app, login_sessions):
    browsers = Browsers(browser, live_app, login_sessions)
    yield browsers
    browsers.close()


@pytest.fixture
def today_tokyo() -> datetime.date:
    """The server's today (TIME_ZONE is Asia/Tokyo), which pre-fills dates and names the downloads; taken
    when each journey starts (a session-wide value was a day behind for journeys run after midnight JST,
    15:00 UTC: CI failed on it)."""
    return datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=9))).date()


@pytest.fixture(scope="session")
def small_pdf(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("uploads") / "確認表.pdf"
    path.write_bytes(
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )
    return path
