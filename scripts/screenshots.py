"""Screenshots of every page of the app, at 1366 × 768 and 390 × 844, as the role that uses it.

    PYTHONPATH=. .venv/bin/python scripts/screenshots.py [--only NAME ...] [--out DIR]

A scratch SQLite database gets the demo data as `./scripts/run.sh` makes it (migrate, import_report,
seed_demo: one account per role, the report's sections assigned), plus a little follow-up so that every
state has a page: a draft, a report awaiting review, a returned one, an accepted one published as 第1号
and progress after it, evidence, an inquiry round and a scheduled reorganisation. The server runs with
DEBUG off (as in production, so the 404/403/500 pages are the app's own; static files via --insecure)
with the job worker beside it. Pages reached by a form (confirmation pages, results, previews) are
reached through that form.

Every URL of the urlconfs (django.urls.get_resolver(), the admin apart) must be either in PAGES or in
NOT_PAGES (downloads, POST-only endpoints): a new page that is in neither fails the run, so it is not
forgotten. Images go to test-artifacts/screenshots/pages/<page>-<width>.png (git-ignored), with an
index.txt listing page, role and address.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.pop("BROWSER_DATABASE_URL", None)  # the launcher would use PostgreSQL with it; this is SQLite

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, _manage, _server_env, running_server  # noqa: E402

OUT = ROOT / "test-artifacts" / "screenshots" / "pages"
WIDTHS = {1366: 768, 390: 844}
FIXTURE = ROOT / "fixtures" / "kanazawa-2024-dx"

# URL names that are not pages: files, JSON, and endpoints that only take a POST and redirect
NOT_PAGES = {
    "favicon": "file",
    "logout": "POST, redirects to the login page",
    "findings:finding_export_csv": "CSV download",
    "findings:saved_filter_save": "POST, redirects to the list",
    "findings:saved_filter_delete": "POST, redirects to the list",
    "findings:saved_filter_default": "POST, redirects to the list",
    "findings:measure_save": "POST; its error state is the measure page (measure-errors)",
    "findings:report_submit": "POST, redirects to the measure page",
    "findings:report_section_return": "POST, redirects to the measure page",
    "findings:report_review": "POST; its error state is the measure page (measure-review-errors)",
    "findings:evidence_upload": "POST, redirects to the measure page",
    "findings:evidence_download": "file download",
    "findings:status_export": "POST, redirects to the job page (job-detail)",
    "findings:bulk_run": "POST, redirects to the result page (bulk-result)",
    "findings:reorganisation_action": "POST, redirects to the reorganisation page",
    "systems:system_export_csv": "CSV download",
    "budgets:budget_export_csv": "CSV download",
    "budgets:project_export_csv": "CSV download",
    "imports:template": "Excel download",
    "imports:bundle_zip": "zip download",
    "imports:batch_confirm": "POST, redirects to the batch page",
    "imports:batch_discard": "POST, redirects to the batch page",
    "imports:round_workbook": "Excel download",
    "imports:round_upload": "POST, redirects to the batch preview (import-preview)",
    "imports:round_close": "POST, redirects to the round page",
    "jobs:job_status": "JSON polled by the job page",
    "jobs:job_download": "file download",
    "jobs:job_retry": "POST, redirects to the job page",
    "publication_file": "the publication's files (PDF, Excel, CSV, zip)",
    "session_extend": "POST (JSON) from the idle-timeout warning",
}

WALK = """
import json
from django.urls import URLResolver, get_resolver
def walk(patterns, ns=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.namespace != "admin":
                yield from walk(p.url_patterns, ns + (p.namespace + ":" if p.namespace else ""))
        else:
            yield ns + (p.name or "")
print("URLS " + json.dumps(sorted(set(walk(get_resolver().url_patterns)))))
"""

# The follow-up that gives every state a page; prints the ids the pages need.
SEED = """
import datetime, json
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from auditreg.models import Section, User
from findings import publishing, reorganisation, services
from findings.models import AuditReport, Finding, Measure, MeasureStatus
from imports.inquiry.services import round_create
from systems.models import InformationSystem
from budgets.models import DxProject

today = timezone.localdate()
staff, head, auditor = (User.objects.get(username=u) for u in ("demo-staff", "demo-head", "demo-auditor"))
report = AuditReport.objects.get(code=settings.REPORT_FIXTURE_DIR.name)  # the report import_report loaded
# the demo section gets four more findings (beside those the report names), so each state has one
for f in Finding.objects.filter(report=report).exclude(measures__section=staff.section).order_by("pk")[:4]:
    sections = [m.section for m in f.measures.select_related("section")] + [staff.section]
    services.finding_assign(finding=f, sections=sections, reply_by=today + datetime.timedelta(days=45), by=auditor)
own = list(Measure.objects.filter(section=staff.section).select_related("finding").order_by("finding__pk"))
def draft(m, code, text):
    return services.report_save_draft(measure=m, by=staff, version=None, values={
        "status": MeasureStatus.objects.get(code=code), "reported_on": today, "text": text,
        "completed_on": today if code == "done" else None, "planned_completion_on": None, "reason": ""})
accepted, submitted, returned, drafted = own[:4]
r = draft(accepted, "in_progress", "庁内の運用手順を改め、研修を実施した。今後は年1回、点検する。" * 3)
services.report_accept(report=services.report_submit(report=r, by=head), by=auditor, comment="")
services.evidence_add(measure=accepted, by=staff, upload=SimpleUploadedFile(
    "確認表.pdf", b"%PDF-1.4\\n1 0 obj<</Type/Catalog>>endobj\\ntrailer<</Root 1 0 R>>\\n%%EOF\\n",
    content_type="application/pdf"))
publication = publishing.publish(reports=[report], as_of=today, per="finding", number=1, published_on=today,
                                 by=auditor)
# progress after the publication: a section user of another section must not see it
r = draft(accepted, "done", "運用手順の改定を完了した。")
services.report_accept(report=services.report_submit(report=r, by=head), by=auditor, comment="")
services.report_submit(report=draft(submitted, "planned", "来年度の予算要求に合わせて検討する。"), by=head)
r = services.report_submit(report=draft(returned, "in_progress", "契約を見直している。"), by=head)
services.report_return(report=r, by=auditor, comment="見直しの時期と内容を具体的に書いてください。")
draft(drafted, "planned", "仕様書の見直しを検討している。")
inquiry = round_create(title="令和7年度 措置状況の照会", reply_by=today + datetime.timedelta(days=30),
                       findings=[m.finding for m in own], sections=[staff.section], note="期限までに回答してください。",
                       by=auditor)
# another section's finding that the demo section has no part in
other = (Measure.objects.exclude(finding__measures__section=staff.section).select_related("section")
         .order_by("section__bureau__order", "section__order").first())
targets = list(Section.objects.filter(bureau=other.section.bureau).exclude(pk=other.section.pk)[:2])
change = reorganisation.prepare(from_section=other.section, to_sections=targets,
                                effective_on=today + datetime.timedelta(days=30), by=auditor, note="機構改革（予定）")
system = InformationSystem.objects.filter(budgets__isnull=False).order_by("pk").first()  # one with its budget table
print("SEED-JSON " + json.dumps({
    "own_finding": accepted.finding_id, "drafted": drafted.pk, "submitted": submitted.pk,
    "returned": returned.pk, "accepted": accepted.pk, "other_finding": other.finding_id,
    "round": inquiry.pk, "reorg": change.pk, "from_section": other.section.pk,
    "to_sections": [s.pk for s in targets], "system": system.pk,
    "project": DxProject.objects.order_by("pk").first().pk, "report": report.code,
    "publication": publication.number, "user": staff.pk}))
"""

# how far the page is wider than the window, and which boxes scroll sideways inside it
OVERFLOW = """() => {
  const doc = document.documentElement;
  const inner = [...document.querySelectorAll("main *")].filter(e => e.scrollWidth > e.clientWidth + 1
    && ["auto", "scroll"].includes(getComputedStyle(e).overflowX))
    .map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className ? "." + e.className : ""));
  return [doc.scrollWidth - doc.clientWidth, inner.join(" ")];
}"""

RENDER_500 = """
from django.test import RequestFactory
from django.views.defaults import server_error
print("HTML-START" + server_error(RequestFactory().get("/")).content.decode())
"""

# (page name, URL name, role, address with {ids}); the address "flow:<name>" is reached by FLOWS[name]
PAGES = [
    ("login", "login", "anonymous", "/login/"),
    ("login-error", "login", "anonymous", "flow:login_error"),
    ("public-publication", "publication_detail", "anonymous", "/publications/{publication}/"),
    ("error-404", None, "staff", "/findings/999999/"),
    ("error-403", None, "staff", "/findings/dashboard/"),
    ("error-500", None, "anonymous", "flow:server_error"),
    ("home-staff", "home", "staff", "/"),
    ("worklist", "findings:worklist", "staff", "/findings/mine/"),
    ("finding-list-staff", "findings:finding_list", "staff", "/findings/"),
    ("finding-own-staff", "findings:finding_detail", "staff", "/findings/{own_finding}/"),
    ("finding-other-staff", "findings:finding_detail", "staff", "/findings/{other_finding}/"),
    ("measure-draft-staff", "findings:measure_detail", "staff", "/findings/measures/{drafted}/"),
    ("measure-errors", "findings:measure_detail", "staff", "flow:measure_errors"),
    ("measure-returned-staff", "findings:measure_detail", "staff", "/findings/measures/{returned}/"),
    ("measure-accepted-staff", "findings:measure_detail", "staff", "/findings/measures/{accepted}/"),
    ("round-list-staff", "imports:round_list", "staff", "/imports/inquiries/"),
    ("round-detail-staff", "imports:round_detail", "staff", "/imports/inquiries/{round}/"),
    ("password-change", "password_change", "staff", "/accounts/password/"),
    ("password-change-errors", "password_change", "staff", "flow:password_errors"),
    ("report-list", "findings:report_list", "staff", "/findings/reports/"),
    ("report-detail", "findings:report_detail", "staff", "/findings/reports/{report}/"),
    ("system-list", "systems:system_list", "staff", "/systems/"),
    ("system-detail", "systems:system_detail", "staff", "/systems/{system}/"),
    ("budget-tree", "budgets:budget_tree", "staff", "/budgets/"),
    ("project-list", "budgets:project_list", "staff", "/budgets/projects/"),
    ("project-detail", "budgets:project_detail", "staff", "/budgets/projects/{project}/"),
    ("measure-draft-head", "findings:measure_detail", "head", "/findings/measures/{drafted}/"),
    ("deputies", "deputies", "head", "/accounts/deputies/"),
    ("worklist-head", "findings:worklist", "head", "/findings/mine/"),
    ("bureau-worklist", "findings:bureau_worklist", "bureau", "/findings/bureau/"),
    ("measure-draft-bureau", "findings:measure_detail", "bureau", "/findings/measures/{drafted}/"),
    ("dashboard", "findings:dashboard", "auditor", "/findings/dashboard/"),
    ("finding-list-auditor", "findings:finding_list", "auditor", "/findings/"),
    ("finding-detail-auditor", "findings:finding_detail", "auditor", "/findings/{own_finding}/"),
    ("finding-assign", "findings:finding_assign", "auditor", "/findings/{own_finding}/assign/"),
    ("measure-review", "findings:measure_detail", "auditor", "/findings/measures/{submitted}/"),
    ("measure-review-errors", "findings:measure_detail", "auditor", "flow:review_errors"),
    ("status-report", "findings:status_report", "auditor", "/findings/status/"),
    ("publication-list", "findings:publication_list", "auditor", "/findings/publications/"),
    ("publication-confirm", "findings:publication_create", "auditor", "flow:publication_confirm"),
    ("publication-page", "findings:publication_page", "auditor", "/findings/publications/{publication}/"),
    ("job-detail", "jobs:job_detail", "auditor", "flow:job"),
    ("bulk-select-assign", "findings:bulk_select", "auditor", "/findings/bulk/?action=assign&report={report}"),
    ("bulk-select-extend", "findings:bulk_select", "auditor", "/findings/bulk/?action=extend"),
    ("bulk-select-accept", "findings:bulk_select", "auditor", "/findings/bulk/?action=accept"),
    ("bulk-select-remind", "findings:bulk_select", "auditor", "/findings/bulk/?action=remind"),
    ("bulk-confirm", "findings:bulk_confirm", "auditor", "flow:bulk_confirm"),
    ("bulk-result", "findings:bulk_result", "auditor", "flow:bulk_result"),
    ("reorganisation-list", "findings:reorganisation_list", "auditor", "/findings/reorganisations/"),
    ("reorganisation-preview", "findings:reorganisation_preview", "auditor", "flow:reorganisation_preview"),
    ("reorganisation-detail", "findings:reorganisation_detail", "auditor", "/findings/reorganisations/{reorg}/"),
    ("round-list-auditor", "imports:round_list", "auditor", "/imports/inquiries/"),
    ("round-create", "imports:round_create", "auditor", "/imports/inquiries/new/"),
    ("round-detail-auditor", "imports:round_detail", "auditor", "/imports/inquiries/{round}/"),
    ("import-list", "imports:import_list", "auditor", "/imports/"),
    ("import-upload", "imports:import_upload", "auditor", "/imports/new/"),
    ("import-preview", "imports:batch_detail", "auditor", "flow:import_preview"),
    ("dashboard-commissioner", "findings:dashboard", "commissioner", "/findings/dashboard/"),
    ("status-report-commissioner", "findings:status_report", "commissioner", "/findings/status/"),
    ("finding-detail-commissioner", "findings:finding_detail", "commissioner", "/findings/{own_finding}/"),
    ("home-admin", "home", "admin", "/"),
    ("account-review", "account_review", "admin", "/accounts/review/"),
    ("admin-index", None, "admin", "/admin/"),
    ("admin-users", None, "admin", "/admin/auditreg/user/"),
]

USERNAMES = {
    "staff": "demo-staff",
    "head": "demo-head",
    "bureau": "demo-bureau",
    "auditor": "demo-auditor",
    "commissioner": "demo-commissioner",
    "admin": "demo-admin",
}


def check_coverage(url_names: list[str]) -> None:
    covered = {p[1] for p in PAGES} | set(NOT_PAGES)
    missing = [name for name in url_names if name not in covered]
    if missing:
        raise SystemExit(f"pages without a screenshot (add them to PAGES or NOT_PAGES): {', '.join(missing)}")


def bundle_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(FIXTURE.rglob("*")):
            if path.is_file():
                archive.write(path, f"{FIXTURE.name}/{path.relative_to(FIXTURE)}")
    return buffer.getvalue()


def flow_login_error(page, ids, env):
    page.goto("/login/")
    page.fill("#id_username", "demo-staff")
    page.fill("#id_password", "wrong-password")
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_load_state()


def flow_server_error(page, ids, env):
    body = _manage(env, "shell", "-c", RENDER_500).split("HTML-START", 1)[1]
    page.route("**/__500__/", lambda route: route.fulfill(status=500, body=body, content_type="text/html"))
    page.goto("/__500__/")


def flow_measure_errors(page, ids, env):
    page.goto(f"/findings/measures/{ids['drafted']}/")
    page.get_by_label("措置（対応）の内容").fill("")
    page.get_by_label("措置状況").select_option(label="措置済")
    page.get_by_role("button", name="下書きを保存").click()
    page.wait_for_load_state()


def flow_review_errors(page, ids, env):
    page.goto(f"/findings/measures/{ids['submitted']}/")
    page.get_by_role("button", name="差し戻す").click()
    page.wait_for_load_state()


def flow_password_errors(page, ids, env):
    page.goto("/accounts/password/")
    page.locator("input[type=password]").nth(0).fill("wrong")
    page.locator("input[type=password]").nth(1).fill("short")
    page.locator("input[type=password]").nth(2).fill("other")
    page.get_by_role("button", name="パスワードを変更する").click()
    page.wait_for_load_state()


def flow_publication_confirm(page, ids, env):
    page.goto("/findings/status/")
    page.get_by_role("link", name="この内容で公表する…").click()
    page.wait_for_load_state()


def flow_job(page, ids, env):
    page.goto("/findings/status/")
    page.get_by_role("button", name="PDF を作成").click()
    page.wait_for_url(re.compile(r"/jobs/\d+/$"))
    page.get_by_role("link", name=re.compile("をダウンロード$")).wait_for(timeout=120_000)


def flow_bulk_confirm(page, ids, env):
    page.goto(f"/findings/bulk/?action=assign&report={ids['report']}&state=unassigned")
    page.locator("#bulk-items input[name=items]").first.check()
    page.locator("input[data-section]").first.check()
    page.get_by_role("button", name="確認へ進む").click()
    page.wait_for_load_state()


def flow_bulk_result(page, ids, env):
    flow_bulk_confirm(page, ids, env)
    page.get_by_role("button", name="実行する").click()
    page.wait_for_url(re.compile(r"/findings/bulk/result/"))


def flow_reorganisation_preview(page, ids, env):
    to = "&".join(f"to_sections={pk}" for pk in ids["to_sections"])
    page.goto(f"/findings/reorganisations/preview/?from_section={ids['from_section']}&{to}&effective_on=2099-04-01")


def flow_import_preview(page, ids, env):
    page.goto("/imports/new/")
    page.get_by_label(re.compile("^ファイル")).set_input_files(
        files=[{"name": f"{FIXTURE.name}.zip", "mimeType": "application/zip", "buffer": bundle_zip()}]
    )
    page.get_by_role("button", name="検証して内容を確認する").click()
    page.wait_for_url(re.compile(r"/imports/\d+/$"), timeout=300_000)


FLOWS = {name[5:]: globals()[name] for name in list(globals()) if name.startswith("flow_")}


def seed(env) -> tuple[dict, dict]:
    """The demo data as run.sh makes it, the follow-up above; returns (passwords by username, ids)."""
    _manage(env, "migrate", "--noinput")
    _manage(env, "import_report", "fixtures/kanazawa-2024-dx")
    demo = _manage(env, "seed_demo", "--force")
    passwords = dict(re.findall(r"^\s+\S+\s+(demo-\S+)\s+(\S+)", demo, re.MULTILINE))
    out = _manage(env, "shell", "-c", SEED)
    ids = json.loads(next(line for line in out.splitlines() if line.startswith("SEED-JSON "))[10:])
    return passwords, ids


def login(context, username: str, password: str) -> None:
    page = context.new_page()
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    page.close()


def shoot(browser, base_url, sessions, spec, ids, env, out: Path) -> list[str]:
    name, _url_name, role, address = spec
    lines = []
    for width, height in WIDTHS.items():
        context = browser.new_context(
            base_url=base_url,
            locale="ja-JP",
            timezone_id="Asia/Tokyo",
            viewport={"width": width, "height": height},
            storage_state=sessions.get(role),
        )
        context.set_default_timeout(30_000)
        page = context.new_page()
        if address.startswith("flow:"):
            FLOWS[address[5:]](page, ids, env)
        else:
            page.goto(address.format(**ids))
        path = out / f"{name}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        overflow, inner = page.evaluate(OVERFLOW)
        lines.append(
            f"{name}-{width}.png\t{role}\t{page.url.removeprefix(base_url)}\t横はみ出し {overflow}px"
            + (f"\t横スクロールする要素 {inner}" if inner else "")
        )
        context.close()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="page names (default: every page)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="auditreg-shots-") as tmp:
        root = Path(tmp)
        env = _server_env(root) | {"DEBUG": "0"}
        urls = json.loads(next(s for s in _manage(env, "shell", "-c", WALK).splitlines() if s.startswith("URLS "))[5:])
        check_coverage(urls)
        passwords, ids = seed(env)
        specs = [p for p in PAGES if not args.only or p[0] in args.only]
        with running_server(env, root, worker=True, insecure=True) as (base_url, _log), sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            sessions = {}
            for role, username in USERNAMES.items():
                context = browser.new_context(base_url=base_url, locale="ja-JP")
                login(context, username, passwords[username])
                sessions[role] = context.storage_state()
                context.close()
            index = [line for spec in specs for line in shoot(browser, base_url, sessions, spec, ids, env, args.out)]
            browser.close()
    (args.out / "index.txt").write_text("\n".join(index) + "\n", encoding="utf-8")
    print("\n".join(index))


if __name__ == "__main__":
    main()
