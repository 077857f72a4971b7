"""Importing the whole real report through the browser, on a fresh database, timed as a person waits.

For each run: a scratch SQLite database (migrate only, no report), one auditor, `manage.py runserver`
on a free port, Chromium logs in through the form and uploads the zipped fixture bundle on データ取込
(/imports/); the times are from the click to the page loaded: 検証して内容を確認する → preview,
この内容で取り込む → success message, and the same file uploaded again → the preview saying nothing
changes. After confirming, `manage.py shell -c` against that database must count 35 findings and
162 systems, or the command fails. Prints one JSON document.

    .venv/bin/python bench/browser_import.py [--runs 3]

The launcher (server environment, `manage.py` calls, free port, waiting for the server, Chromium path
and flags) is imported from tests/browser/conftest.py, which has no side effects on import: the bench
runs the app exactly as the browser tests do.
"""

import argparse
import io
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.pop("BROWSER_DATABASE_URL", None)  # the conftest would use PostgreSQL with it; the bench is SQLite

from tests.browser.conftest import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    _manage,
    _server_env,
    running_server,
)

FIXTURE = ROOT / "fixtures" / "kanazawa-2024-dx"
USERNAME = "bench-auditor"
PASSWORD = "Bench-Import-Pass-2025!"
EXPECTED = {"findings": 35, "systems": 162}
TIMEOUT_MS = 300_000  # one step; the real report previews in seconds

SEED = f"""
from auditreg.models import User
user = User(username={USERNAME!r}, role="auditor", last_name="計測", first_name="監査", is_active=True)
user.set_password({PASSWORD!r})
user.save()
"""
COUNT = """
import json
from findings.models import Finding
from systems.models import InformationSystem
print("COUNTS " + json.dumps({"findings": Finding.objects.count(), "systems": InformationSystem.objects.count()}))
"""


class BenchFailed(SystemExit):
    def __init__(self, message: str):
        super().__init__(f"browser_import: FAILED: {message}")


def bundle_zip(path: Path) -> int:
    """The fixture folder zipped in its folder, as a person zips it; returns the size in bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for p in sorted(FIXTURE.rglob("*")):
            if p.is_file():
                archive.writestr(f"{FIXTURE.name}/{p.relative_to(FIXTURE)}", p.read_bytes())
    path.write_bytes(buffer.getvalue())
    return path.stat().st_size


def server_seconds(page) -> float | None:
    """The batch page's own 処理時間 (the server's time for the preview or for applying)."""
    dd = page.locator("dl.meta dt", has_text="処理時間").locator("xpath=following-sibling::dd[1]")
    if not dd.count():
        return None
    return float(dd.inner_text().split()[0])


def check_batch_page(page, state: str) -> None:
    shown = page.locator("#batch-state").inner_text().strip()
    if shown != state:
        problems = page.locator("#problems").inner_text() if page.locator("#problems").count() else ""
        raise BenchFailed(f"the batch is {shown!r}, expected {state!r} ({page.url})\n{problems[:2000]}")


def upload(page, bundle: Path) -> float:
    """データ取込・照会 → choose the file → click 検証して内容を確認する; seconds until the preview has loaded."""
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="データ取込・照会").click()
    page.wait_for_url("**/imports/")
    page.get_by_label(re.compile("^ファイル")).set_input_files(str(bundle))
    button = page.get_by_role("button", name="検証して内容を確認する")
    started = time.perf_counter()
    with page.expect_navigation(url=re.compile(r"/imports/\d+/$"), wait_until="load", timeout=TIMEOUT_MS):
        button.click()
    return time.perf_counter() - started


def one_run(browser, bundle: Path) -> dict:
    root = Path(tempfile.mkdtemp(prefix="bench-browser-import-"))
    try:
        env = _server_env(root)
        _manage(env, "migrate", "--noinput")
        _manage(env, "shell", "-c", SEED)
        with running_server(env, root) as (base_url, _log):
            context = browser.new_context(base_url=base_url, locale="ja-JP", timezone_id="Asia/Tokyo")
            context.set_default_timeout(TIMEOUT_MS)
            try:
                page = context.new_page()
                page.goto("/login/")
                page.fill("#id_username", USERNAME)
                page.fill("#id_password", PASSWORD)
                page.get_by_role("button", name="ログイン").click()
                page.wait_for_url(lambda url: "/login/" not in url)

                result = {"upload_to_preview": upload(page, bundle)}
                check_batch_page(page, "確認待ち")
                if page.locator("#no-change").count():
                    raise BenchFailed("the first upload on an empty database previews as 'nothing changes'")
                result["server_preview"] = server_seconds(page)

                started = time.perf_counter()
                with page.expect_navigation(wait_until="load", timeout=TIMEOUT_MS):
                    page.get_by_role("button", name="この内容で取り込む").click()
                result["confirm_to_success"] = time.perf_counter() - started
                message = page.locator("ul.messages").inner_text() if page.locator("ul.messages").count() else ""
                if "取り込みました" not in message:
                    raise BenchFailed(f"no success message after confirming: {message!r}")
                check_batch_page(page, "取込済")
                result["server_apply"] = server_seconds(page)
                result["message"] = message.strip()

                out = _manage(env, "shell", "-c", COUNT)
                counts = json.loads(next(line for line in out.splitlines() if line.startswith("COUNTS "))[7:])
                if counts != EXPECTED:
                    raise BenchFailed(f"after confirming the database holds {counts}, expected {EXPECTED}")
                result["counts"] = counts

                result["reimport_to_preview"] = upload(page, bundle)
                check_batch_page(page, "確認待ち")
                if not page.locator("#no-change").is_visible():
                    changes = page.locator("main").inner_text()[:2000]
                    raise BenchFailed(f"the re-import does not say that nothing changes:\n{changes}")
                result["server_reimport_preview"] = server_seconds(page)
            finally:
                context.close()
            return result
    finally:
        shutil.rmtree(root, ignore_errors=True)


def stats(values: list[float]) -> dict:
    return {"median": round(statistics.median(values), 3), "max": round(max(values), 3)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if not CHROMIUM.exists():
        raise BenchFailed(f"Chromium is not at {CHROMIUM} (apt-get install chromium, or BROWSER_TESTS_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-bundle-") as folder:
        bundle = Path(folder) / f"{FIXTURE.name}.zip"
        size = bundle_zip(bundle)
        runs = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                for _ in range(args.runs):
                    runs.append(one_run(browser, bundle))
                version = browser.version
            finally:
                browser.close()

    steps = ("upload_to_preview", "confirm_to_success", "reimport_to_preview")
    server = ("server_preview", "server_apply", "server_reimport_preview")
    print(
        json.dumps(
            {
                "server": "runserver (manage.py runserver --noreload, auditreg.settings.local, DEBUG=1)",
                "database": "SQLite, a new file per run (migrate only, then the upload)",
                "browser": f"Chromium {version} (headless, Playwright)",
                "runs": args.runs,
                "file": {
                    "name": bundle.name,
                    "bytes": size,
                    "members": sum(1 for p in FIXTURE.rglob("*") if p.is_file()),
                },
                "seconds": {step: stats([r[step] for r in runs]) for step in steps},
                "server_seconds": {step: stats([r[step] for r in runs if r[step] is not None]) for step in server},
                "per_run": [{step: round(r[step], 3) for step in steps} for r in runs],
                "verified": runs[-1]["counts"] | {"every_run": all(r["counts"] == EXPECTED for r in runs)},
                "confirm_message": runs[-1]["message"],
            },
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
