"""Long work off the request, in a real browser against runserver with the worker beside it (the conftest
starts `manage.py db_worker` as scripts/run.sh does): a large export shows its progress on the job page,
refreshed by the page's own script, then downloads; publishing goes through the confirmation page and the
worker to the publication's page, which links every format and the zip; the zip's HTML passes axe-core."""

import datetime
import hashlib
import io
import re
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from .helpers import HAS_AXE, axe_blocking_violations, expect, messages

pytestmark = pytest.mark.browser

JOB_TIMEOUT = 90_000  # ms: the 2 CI cores are shared with the server and the browser


def assert_no_blocking_axe(page):
    if HAS_AXE:
        blocking, report = axe_blocking_violations(page)
        assert blocking == [], report


def all_axe_violations(page) -> tuple[list, str]:
    from axe_playwright_python.sync_playwright import Axe

    from .helpers import AXE_TAGS

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS + ["best-practice"]}})
    return results.response["violations"], results.generate_report()


def test_large_export_shows_progress_then_downloads(people, screenshots, today_tokyo):
    auditor = people.as_user("b-auditor", start=None)
    auditor.goto("/findings/status/")
    expect(auditor.get_by_role("heading", level=1)).to_have_text("措置状況（公表資料）")
    # the PDF of the whole report is above the threshold: a button that starts a job, not a link
    expect(auditor.get_by_role("link", name="PDF", exact=True)).to_have_count(0)
    # The PDF takes about a second now: the page's state polls are held until the in-progress page has
    # been looked at (screenshot, axe), or its reload on the job's end would pull the page away meanwhile.
    held, holding = [], [True]

    def hold(route):
        if holding[0]:
            held.append(route)
        else:
            route.continue_()

    auditor.route("**/jobs/*/status.json", hold)
    auditor.get_by_role("button", name="PDF を作成").click()
    expect(auditor.get_by_role("heading", level=1)).to_have_text("措置状況の書き出し")
    job_url = auditor.url
    assert re.search(r"/jobs/\d+/$", job_url)

    state = auditor.locator("#job-state")
    assert state.inner_text() in ("待機中", "作成中")  # the page comes first, the file after
    expect(auditor.get_by_role("status")).to_contain_text("自動で更新されます")
    screenshots(auditor, "jobs-01-export-in-progress")
    assert_no_blocking_axe(auditor)
    for _ in range(100):  # the page's first poll (a second after it loaded) is waiting here: the page went on polling
        if held:
            break
        auditor.wait_for_timeout(100)
    assert held
    holding[0] = False
    for route in held:  # the held poll goes on to the server now, and every later one at once
        route.continue_()

    # nobody touches the page: its script polls the state and shows the download when the worker is done
    link = auditor.get_by_role("link", name=re.compile("をダウンロード$"))
    expect(link).to_be_visible(timeout=JOB_TIMEOUT)
    expect(state).to_have_text("完了")
    assert auditor.url == job_url
    screenshots(auditor, "jobs-02-export-done")
    with auditor.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.failure() is None
    assert download.suggested_filename == f"措置状況_{today_tokyo.isoformat()}.pdf"
    pdf = PdfReader(io.BytesIO(Path(download.path()).read_bytes()))
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert "指摘01" in text and "意見30" in text

    # the file is only for the person who asked or the audit office: a section user is refused
    other = people.as_user("b-staff", start=None)
    assert other.goto(job_url + "download/").status == 403


def test_publish_confirm_then_the_publication_page_links_every_format_and_the_zip(people, screenshots, today_tokyo):
    auditor = people.as_user("b-auditor", start=None)
    auditor.goto("/findings/status/")
    auditor.get_by_role("link", name="この内容で公表する…").click()
    expect(auditor.get_by_role("heading", level=1)).to_contain_text("公表の確認：")
    frozen = auditor.locator("#frozen")
    expect(frozen).to_contain_text("33 行")
    expect(frozen).to_contain_text("指摘・意見33 件")
    counts = auditor.locator("#frozen-counts")
    total_row = counts.locator("tbody tr.total")
    expect(total_row.locator("td").last).to_have_text("33")
    number = int(auditor.get_by_label(re.compile("^公表番号")).input_value())
    published_on = today_tokyo
    if auditor.locator("#same-content").count():  # an earlier journey published the same content today
        published_on = today_tokyo + datetime.timedelta(days=1)
        auditor.get_by_label("前回の公表と同じ内容でも公表する").check()
    auditor.get_by_label(re.compile("^公表日")).fill(published_on.isoformat())
    screenshots(auditor, "jobs-03-publication-confirm")
    assert_no_blocking_axe(auditor)
    auditor.get_by_role("button", name="この内容で公表する（取り消せません）").click()

    # the job's page, then the app's page of the publication with the success message
    auditor.wait_for_url(f"**/findings/publications/{number}/", timeout=JOB_TIMEOUT)
    expect(messages(auditor)).to_contain_text(f"第{number}号として公表しました。")
    expect(auditor.get_by_role("heading", level=1)).to_contain_text(f"第{number}号")
    files = auditor.locator("#publication-files")
    hrefs = files.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    base = f"/publications/{number}/"
    assert hrefs == [base, base + "pdf/", base + "xlsx/", base + "csv/", base + "zip/"]
    screenshots(auditor, "jobs-04-publication-page")
    assert_no_blocking_axe(auditor)

    with auditor.expect_download() as download_info:
        files.get_by_role("link", name=re.compile("^一式（zip")).click()
    download = download_info.value
    assert download.suggested_filename == f"措置状況_第{number}号.zip"
    archive = zipfile.ZipFile(download.path())
    stem = f"措置状況_第{number}号"
    assert archive.namelist() == [f"{stem}.html", f"{stem}.pdf", f"{stem}.xlsx", f"{stem}.csv", "SHA256SUMS"]
    for line in archive.read("SHA256SUMS").decode().splitlines():
        digest, name = line.split("  ", 1)
        assert hashlib.sha256(archive.read(name)).hexdigest() == digest, name
    html = archive.read(f"{stem}.html").decode()

    # the zip's HTML stands alone (no request at all when it is opened) and passes axe-core: no violations
    page = people.anonymous()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.set_content(html)
    assert requests == []
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("body")).to_contain_text(f"公表番号：第{number}号")
    if HAS_AXE:
        violations, report = all_axe_violations(page)
        assert violations == [], report
    # the public page serves the same bytes
    public = people.anonymous()
    response = public.goto(base)
    assert response.status == 200 and response.body() == html.encode()
