"""Frozen, numbered 措置状況 publications (findings.publishing) and the public page /publications/N/.

Data: the dated history of test_status_report. As of 2025-06-30: 指摘01 措置中, 意見04 未着手 (A 未着手,
B 措置中), 意見19 措置予定・検討中, 意見01 and 意見02 未着手, 意見16 not yet assigned. As of 2025-12-31:
指摘01 措置済, 意見04 措置中, 意見16 措置中, 意見19 措置予定・検討中, 意見01 未着手, 意見02 措置しない.

Only two tests render a real PDF; the others stub the PDF renderer (the PDF itself is tested in
test_exports).
"""

import copy
import datetime
import hashlib
import io
import re
from unittest.mock import patch

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db.models import QuerySet
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from auditreg.choices import Role
from auditreg.models import ChangeLog
from findings import publishing
from findings.models import AuditReport, Finding, Measure, MeasureReport, MeasureStatus, Publication, PublicationFile
from findings.publishing import publish, read_file
from findings.renderers import render_csv
from findings.services import WorkflowError
from findings.status_report import build
from jobs.models import Job
from tests.findings.status_report_helpers import TEXT, build_history, jst

pytestmark = pytest.mark.django_db

MID = datetime.date(2025, 6, 30)
END = datetime.date(2025, 12, 31)
TITLE_END = "令和6年度包括外部監査の結果に対する措置状況（令和7年12月31日現在）"
FORMATS = {"html", "pdf", "xlsx", "csv"}
CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
FAKE_PDF = b"%PDF-1.7\n% stub: the real PDF is tested in test_exports\n%%EOF\n"
UNASSIGNED_AT_END = [  # in the report's order
    "指摘02",
    "指摘03",
    "意見03",
    *[f"意見{n:02d}" for n in range(5, 16)],
    *[f"意見{n:02d}" for n in range(17, 19)],
    *[f"意見{n:02d}" for n in range(20, 31)],
]


@pytest.fixture
def history(make_user, report):
    return build_history(make_user, report)


@pytest.fixture
def stub_pdf():
    with patch("findings.renderers.render_pdf", return_value=FAKE_PDF) as stub:
        yield stub


def make(history, number, as_of, *, per="finding", published_on=None, by=None, reports=None):
    return publish(
        reports=reports or [history.report],
        as_of=as_of,
        per=per,
        number=number,
        published_on=published_on or as_of + datetime.timedelta(days=20),
        by=by or history.auditor,
    )


def stored(publication) -> dict[str, bytes]:
    """Every stored file of a publication, read straight from the storage."""
    result = {}
    for f in PublicationFile.objects.filter(publication=publication):
        with f.file.storage.open(f.file.name, "rb") as fh:
            result[f.format] = fh.read()
    return result


def public(number, fmt=None):
    url = (
        reverse("publication_detail", args=[number]) if fmt is None else reverse("publication_file", args=[number, fmt])
    )
    return Client().get(url)  # anonymous, no login


def everything_written() -> dict:
    names = set()
    storage = storages["publications"]
    if storage.exists("publications"):
        for folder in storage.listdir("publications")[0]:
            names |= {f"{folder}/{n}" for n in storage.listdir(f"publications/{folder}")[1]}
    return {
        "publications": list(Publication.objects.order_by("pk").values()),
        "files": list(PublicationFile.objects.order_by("pk").values()),
        "log": ChangeLog.objects.filter(action__startswith="publication").count(),
        "stored": names,
    }


# -- publishing --------------------------------------------------------------------------------


def test_publish_stores_four_files_whose_bytes_match_their_hashes_and_never_change(history, report):
    publication = make(history, 1, END, published_on=datetime.date(2026, 1, 15))
    publication.refresh_from_db()
    assert publication.number == 1 and publication.title == TITLE_END
    assert publication.as_of == END and publication.per == "finding" and publication.previous is None
    assert list(publication.reports.all()) == [report]
    assert publication.created_by == history.auditor
    files = {f.format: f for f in publication.files.all()}
    assert set(files) == FORMATS
    contents = stored(publication)
    for fmt, f in files.items():
        assert hashlib.sha256(contents[fmt]).hexdigest() == f.sha256, fmt
        assert f.size == len(contents[fmt])
        assert read_file(f) == contents[fmt]
        assert re.fullmatch(rf"publications/1/措置状況_第1号(_\w+)?\.{fmt}", f.file.name), f.file.name
    # what the files hold
    assert contents["csv"] == render_csv(build(reports=[report], as_of=END))
    html = contents["html"].decode()
    assert TITLE_END in html and "公表番号：第1号（令和8年1月15日公表）" in html
    assert "前回の公表" not in html  # the first one
    assert contents["pdf"].startswith(b"%PDF")
    pdf_text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(contents["pdf"])).pages)
    assert "公表番号：第1号" in pdf_text and "指摘01" in pdf_text
    assert load_workbook(io.BytesIO(contents["xlsx"]))["措置状況"]["A1"].value == TITLE_END
    # the snapshot holds every row and figure
    snapshot = publication.snapshot
    assert len(snapshot["rows"]) == 33 and snapshot["changes"] is None
    assert snapshot["summary"][0]["counts"] == [2, 0, 0, 0, 1, 0]
    assert snapshot["n_done"] == 1 and snapshot["done_rate"] == pytest.approx(100 / 33)
    assert ChangeLog.objects.filter(action="publication.created", object_id=publication.pk).count() == 1

    before = {
        "snapshot": copy.deepcopy(snapshot),
        "files": list(PublicationFile.objects.filter(publication=publication).order_by("pk").values()),
        "bytes": contents,
        "page": {fmt: public(1, fmt).content for fmt in FORMATS} | {None: public(1).content},
    }

    # later: a new report makes 意見19 措置済, sections are re-assigned, a label is renamed, and (to make
    # sure that a rebuild would really differ) the new facts are dated back before the publication's date
    measure = history.measures["意見19/B"]
    done = history.accepted(
        measure,
        "done",
        drafted=jst(2026, 2, 2, 10),
        reviewed=jst(2026, 2, 10, 15),
        text="リカバリ訓練を実施した。",
        completed_on=datetime.date(2026, 2, 1),
    )
    MeasureReport.objects.filter(pk=done.pk).update(reviewed_at=jst(2025, 12, 20, 15))
    (new,) = history.assign("意見03", [history.section_a], jst(2026, 2, 3, 9))
    Measure.objects.filter(pk=new.pk).update(assigned_at=jst(2025, 6, 1, 9))
    history.assign("意見16", [history.section_a, history.section_b], jst(2026, 2, 3, 9))
    MeasureStatus.objects.filter(code="done").update(label="改善済み")
    Finding.objects.filter(report=report, code="指摘01").update(title="書き換えた表題")
    rebuilt = build(reports=[report], as_of=END)
    assert rebuilt.to_json()["rows"] != before["snapshot"]["rows"]  # the live data did change
    assert rebuilt.n_done == 2 and {r.code: r.status for r in rebuilt.rows}["意見19"] == "改善済み"

    publication = Publication.objects.get(number=1)
    assert publication.snapshot == before["snapshot"]
    assert publication.title == TITLE_END
    assert list(PublicationFile.objects.filter(publication=publication).order_by("pk").values()) == before["files"]
    assert stored(publication) == before["bytes"]
    for fmt in FORMATS:
        response = public(1, fmt)
        assert response.status_code == 200
        assert response.content == before["page"][fmt] == before["bytes"][fmt]
    assert public(1).content == before["page"][None] == before["bytes"]["html"]


def test_public_page_serves_the_stored_files_to_anyone(history, stub_pdf):
    publication = make(history, 7, END)
    files = {f.format: f for f in publication.files.all()}
    page = public(7)
    assert page.status_code == 200
    assert page["Content-Type"] == CONTENT_TYPES["html"]
    assert page["ETag"] == f'"{files["html"].sha256}"'
    assert "Content-Disposition" not in page
    for fmt in FORMATS - {"html"}:
        response = public(7, fmt)
        assert response.status_code == 200
        assert response["Content-Type"] == CONTENT_TYPES[fmt]
        assert response["ETag"] == f'"{files[fmt].sha256}"'
        assert response["Content-Disposition"].lower().startswith("attachment; filename*=utf-8''")
        assert response.content == read_file(files[fmt])
    assert public(7, "pdf").content == FAKE_PDF
    assert public(8).status_code == 404  # no such publication
    assert public(7, "docx").status_code == 404
    assert public(7, "..").status_code == 404


def test_second_publication_shows_the_changes_since_the_first(history, stub_pdf):
    first = make(history, 1, MID)
    assert first.snapshot["changes"] is None
    second = make(history, 2, END)
    assert second.previous == first
    changes = second.snapshot["changes"]
    assert changes["previous_number"] == 1
    assert changes["completed"] == ["指摘01"]  # 措置中 → 措置済
    assert "意見04" in changes["progressed"]  # 未着手 → 措置中
    assert "意見02" in changes["progressed"]  # 未着手 → 措置しない
    assert not {"指摘01", "意見19", "意見01"} & set(changes["progressed"])  # done, or unchanged
    # still open: everything but 指摘01 (措置済) and 意見02 (措置しない), in the table's order
    assert changes["still_open"] == ["意見04", "意見16", "意見01", "意見19", *UNASSIGNED_AT_END]
    html = stored(second)["html"].decode()
    assert "前回の公表（第1号）からの変化" in html
    assert "新たに措置済となったもの：1 件（指摘01）" in html
    assert "引き続き未完了のもの：31 件" in html
    # the first publication is untouched by the second
    assert Publication.objects.get(number=1).snapshot["changes"] is None
    # per section, the rows are told apart by section
    third = make(history, 3, END, per="section")
    assert third.previous == second
    fourth = make(history, 4, datetime.date(2026, 1, 1), per="section")
    assert fourth.snapshot["changes"]["completed"] == []
    assert fourth.snapshot["changes"]["progressed"] == ["意見19（デジタル行政戦略課）"]  # 検討中 → 措置中


def test_a_renamed_status_label_changes_nothing_in_the_next_publication(history, stub_pdf):
    """The rename bug (issue 12): publications compared labels, so 措置済 renamed 改善済み between two
    publications made 指摘01 look newly completed. Snapshots now hold codes; labels only print."""
    first = make(history, 1, END)
    assert {r["code"]: r["status_code"] for r in first.snapshot["rows"]}["指摘01"] == "done"
    MeasureStatus.objects.filter(code="done").update(label="改善済み")
    second = make(history, 2, END)
    changes = second.snapshot["changes"]
    assert changes["completed"] == [] and changes["progressed"] == []
    assert "指摘01" not in changes["still_open"]
    # the new label is what the second publication prints, the first keeps what it printed
    assert "改善済み" in stored(second)["csv"].decode("utf-8-sig")
    assert "改善済み" not in stored(first)["csv"].decode("utf-8-sig")
    assert first.snapshot["status_labels"]["done"] == "措置済"


def test_newly_assigned_finding_counts_as_progressed(history, stub_pdf):
    make(history, 1, MID)
    second = make(history, 2, END)
    assert second.snapshot["changes"]["progressed"] == ["意見04", "意見16", "意見02"]


def test_changes_compare_with_the_previous_publication_of_the_same_report(history, stub_pdf):
    earlier = AuditReport.objects.get(code="kanazawa-2021-citizen")
    other = make(history, 1, MID, reports=[earlier])
    assert other.title.startswith("令和3年度包括外部監査")
    first = make(history, 2, MID)
    assert first.previous is None  # publication 1 was of another report
    second = make(history, 3, END, reports=[history.report, earlier])
    assert second.previous == first and len(second.snapshot["rows"]) == 35


# -- refusals ----------------------------------------------------------------------------------


def test_duplicate_number_is_refused_and_nothing_is_written(history, stub_pdf):
    make(history, 1, MID)
    before = everything_written()
    with pytest.raises(WorkflowError, match="第1号"):
        make(history, 1, END)
    assert everything_written() == before
    # the same when two auditors race: the check passes, the unique constraint refuses
    with patch.object(QuerySet, "exists", return_value=False), pytest.raises(WorkflowError, match="第1号"):
        make(history, 1, END)
    assert everything_written() == before
    # and the number still works for the one publication that has it
    assert len(stored(Publication.objects.get(number=1))) == 4


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SECTION_STAFF, Role.SECTION_HEAD, None])
def test_only_an_auditor_publishes(history, make_user, stub_pdf, role):
    user = AnonymousUser() if role is None else make_user("not_auditor", role)
    before = everything_written()
    with pytest.raises(PermissionDenied):
        make(history, 1, END, by=user)
    assert everything_written() == before
    stub_pdf.assert_not_called()


def test_inactive_auditor_cannot_publish(history, make_user, stub_pdf):
    with pytest.raises(PermissionDenied):
        make(history, 1, END, by=make_user("former", Role.AUDITOR, is_active=False))
    assert not Publication.objects.exists()


def test_tampered_file_is_never_served(history, stub_pdf):
    publication = make(history, 1, END)
    files = {f.format: f for f in publication.files.all()}
    storage = storages["publications"]
    original = stored(publication)
    # a same-size change of one byte in the stored HTML, and a different CSV
    html = bytearray(original["html"])
    html[html.index(b"<h1>") + 1] = ord("H")
    for fmt, content in [("html", bytes(html)), ("csv", "\ufeff番号\r\n=1+1\r\n".encode())]:
        name = files[fmt].file.name
        storage.delete(name)
        assert storage.save(name, ContentFile(content)) == name
    for fmt in ("html", "csv"):
        f = PublicationFile.objects.get(pk=files[fmt].pk)
        with pytest.raises(ValueError, match="改変"):
            read_file(f)
    client = Client(raise_request_exception=False)
    for url in (reverse("publication_detail", args=[1]), reverse("publication_file", args=[1, "csv"])):
        response = client.get(url)
        assert response.status_code == 500
        assert b"=1+1" not in response.content and b"<H1>" not in response.content
    # the untouched files are still served
    assert public(1, "xlsx").content == original["xlsx"]
    assert read_file(files["pdf"]) == FAKE_PDF


def test_public_files_hold_only_what_was_accepted_by_the_date(history, stub_pdf):
    publication = make(history, 1, END)
    wb = load_workbook(io.BytesIO(stored(publication)["xlsx"]))
    cells = {c for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)}
    assert TEXT["意見01/draft"] not in cells  # a draft never submitted
    assert TEXT["意見04/B-returned"] not in cells  # returned, then redrafted
    assert TEXT["意見16/2"] not in cells  # submitted, awaiting review
    assert TEXT["意見19/2"] not in cells  # accepted on 2026-01-01, after the date
    assert "根拠資料を添付してください。" not in cells  # the office's comment on a return
    assert not {c for c in cells if "担当" in c or "課長" in c}  # staff names


# -- through the pages -------------------------------------------------------------------------


def test_publish_through_the_pages(client, history, report):
    client.force_login(history.auditor)
    # the filters of the status page are not applied to a publication: it holds every item
    query = f"reports={report.pk}&as_of=2025-12-31&per=finding&kind=%E6%8C%87%E6%91%98"
    url = f"{reverse('findings:publication_create')}?{query}"
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["form"].initial["number"] == 1
    assert TITLE_END in page.content.decode()
    response = client.post(url, {"number": 5, "published_on": "2026-01-20"})
    # the freezing is a background job (run at once by the test settings' immediate backend); its page goes on
    # to the app's page of the publication, with the success message once
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("jobs:job_detail", args=[job.pk])
    landed = client.get(response["Location"], follow=True)
    assert landed.redirect_chain == [(reverse("findings:publication_page", args=[5]), 302)]
    assert [str(m) for m in landed.context["messages"]] == ["第5号として公表しました。内容は今後変わりません。"]
    again = client.get(reverse("jobs:job_detail", args=[job.pk]), follow=True)
    assert again.redirect_chain == landed.redirect_chain and not list(again.context["messages"])
    page_html = landed.content.decode()
    for link in ["/publications/5/", "/publications/5/pdf/", "/publications/5/xlsx/", "/publications/5/csv/"]:
        assert f'href="{link}"' in page_html, link
    assert 'href="/publications/5/zip/"' in page_html
    publication = Publication.objects.get(number=5)
    assert job.requested_by == history.auditor
    assert publication.as_of == END and publication.published_on == datetime.date(2026, 1, 20)
    assert len(publication.snapshot["rows"]) == 33
    shown = public(5)
    assert shown.status_code == 200
    html = shown.content.decode()
    assert TITLE_END in html and "公表番号：第5号（令和8年1月20日公表）" in html and "意見30" in html
    pdf = public(5, "pdf")
    assert pdf.content.startswith(b"%PDF")
    assert "公表番号：第5号" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    # the next number is offered, a used one is refused with a message on the form
    with patch("findings.renderers.render_pdf", return_value=FAKE_PDF):
        page = client.get(url)
        assert page.context["form"].initial["number"] == 6
        again = client.post(url, {"number": 5, "published_on": "2026-01-21"})
    assert again.status_code == 200
    assert "第5号 はすでに使われています" in again.content.decode()
    assert Publication.objects.count() == 1
    # the list of publications shows it
    listing = client.get(reverse("findings:publication_list"))
    assert listing.status_code == 200 and "第5号" in listing.content.decode()


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SECTION_STAFF, Role.SECTION_HEAD])
def test_publish_page_is_for_auditors_only(client, make_user, report, role):
    client.force_login(make_user("someone", role))
    url = f"{reverse('findings:publication_create')}?reports={report.pk}&as_of=2025-12-31"
    assert client.get(url).status_code == 403
    assert client.post(url, {"number": 1, "published_on": "2026-01-20"}).status_code == 403
    assert not Publication.objects.exists()
    listing = client.get(reverse("findings:publication_list")).status_code
    assert listing == (200 if role == Role.ADMIN else 403)


def test_anonymous_is_sent_to_login_for_publishing(client, report):
    response = client.post(reverse("findings:publication_create"), {"number": 1, "published_on": "2026-01-20"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not Publication.objects.exists()


def test_publish_renders_the_pdf_once(history, stub_pdf):
    """The stub used above is the renderer publish() calls, and it is called once per publication."""
    make(history, 1, END)
    stub_pdf.assert_called_once()
    assert publishing.renderers.render_pdf is stub_pdf


# -- publishing with care: the confirmation page, same content, the app page, the zip --------------


def confirm_url(report, as_of=END, **extra):
    from urllib.parse import urlencode

    return f"{reverse('findings:publication_create')}?{urlencode({'reports': report.pk, 'as_of': as_of, **extra})}"


def test_confirmation_page_shows_exactly_what_will_be_frozen(client, history, report, stub_pdf):
    client.force_login(history.auditor)
    # a filter on the status page does not narrow a publication: the page shows the whole report
    page = client.get(confirm_url(report, kind="指摘", status="措置中"))
    assert page.status_code == 200
    expected = build(reports=[report], as_of=END)  # independent: what publish() builds
    shown = page.context["preview"].report
    assert shown.to_json() == expected.to_json()
    assert len(shown.rows) == 33 and shown.n_findings == 33
    html = page.content.decode()
    assert "33 行" in html and "この報告書の最初の公表" in html
    # the counts by 区分 × status, as in the report computed independently above
    counts = re.findall(r'<td class="num">(\d+)</td>', html.split('id="frozen-counts"')[1].split("</table>")[0])
    flat = [str(c) for s in expected.summary for c in [*s["counts"], s["total"]]]
    assert counts == flat + [str(c) for c in expected.totals] + ["33"]
    assert [s["kind"] for s in expected.summary] == ["指摘", "意見"]
    assert "confirm_same_content" not in html  # nothing to confirm on a first publication
    assert 'name="number" value="1"' in html
    assert page.context["preview"].digest == publishing.content_digest(expected.to_json())


def test_same_content_as_the_last_publication_needs_confirmation_and_is_refused_on_the_same_day(
    client, history, report, stub_pdf
):
    client.force_login(history.auditor)
    new_year = datetime.date(2026, 1, 1)  # after the history's last accepted report (1 January, 00:30)
    first = make(history, 1, new_year, published_on=datetime.date(2026, 1, 15))
    assert publishing.content_digest(first.snapshot) == publishing.content_digest(
        build(reports=[report], as_of=new_year).to_json()
    )
    assert publishing.content_digest(first.snapshot) != publishing.content_digest(
        build(reports=[report], as_of=END).to_json()
    )
    # a later date with no accepted report in between: the same content, under another title
    later = datetime.date(2026, 1, 31)
    page = client.get(confirm_url(report, as_of=later))
    assert page.context["preview"].same_as_previous
    assert page.context["preview"].report.title != first.title
    html = page.content.decode()
    assert 'id="same-content"' in html and "前回の公表（" in html and "第1号" in html
    assert 'name="confirm_same_content"' in html

    refused = client.post(confirm_url(report, as_of=later), {"number": 2, "published_on": "2026-02-01"})
    assert refused.status_code == 200 and not Job.objects.exists()
    assert "前回の公表（第1号）と内容が同じです" in refused.content.decode()
    same_day = client.post(
        confirm_url(report, as_of=later), {"number": 2, "published_on": "2026-01-15", "confirm_same_content": "on"}
    )
    assert same_day.status_code == 200 and not Job.objects.exists()
    assert "同じ内容の公表が同じ公表日（令和8年1月15日）にすでにあります（第1号）" in same_day.content.decode()
    # the service refuses too, whoever calls it
    with pytest.raises(WorkflowError, match="内容が同じ"):
        make(history, 2, later, published_on=datetime.date(2026, 2, 1))
    assert Publication.objects.count() == 1

    confirmed = client.post(
        confirm_url(report, as_of=later), {"number": 2, "published_on": "2026-02-01", "confirm_same_content": "on"}
    )
    assert confirmed.status_code == 302
    second = Publication.objects.get(number=2)
    assert second.previous == first and second.as_of == later

    # new content is no longer "the same": an accepted report changes a row
    history.accepted(
        history.measures["意見19/B"],
        "done",
        drafted=jst(2026, 2, 2, 10),
        reviewed=jst(2026, 2, 3, 15),
        text="完了した。",
        completed_on=datetime.date(2026, 2, 1),
    )
    page = client.get(confirm_url(report, as_of=datetime.date(2026, 2, 28)))
    assert not page.context["preview"].same_as_previous and "から変化あり" in page.content.decode()


def test_publication_app_page_is_for_the_office_and_links_every_format(client, history, make_user, stub_pdf):
    publication = make(history, 4, END)
    url = reverse("findings:publication_page", args=[4])
    client.force_login(history.auditor)
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "第4号" in html and publication.title in html
    for f in publication.files.all():
        assert f.sha256 in html or f.format == "html"
    for link in ["/publications/4/", "/publications/4/pdf/", "/publications/4/xlsx/", "/publications/4/csv/"]:
        assert f'href="{link}"' in html
    assert 'href="/publications/4/zip/"' in html
    assert client.get(reverse("findings:publication_page", args=[5])).status_code == 404
    client.force_login(history.staff_a)
    assert client.get(url).status_code == 403
    client.force_login(make_user("admin1", Role.ADMIN))
    assert client.get(url).status_code == 200


def test_zip_package_holds_every_format_and_checksums_and_is_reproducible(history, stub_pdf):
    import zipfile

    publication = make(history, 9, END)
    response = public(9, "zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert "%E6%8E%AA%E7%BD%AE%E7%8A%B6%E6%B3%81_%E7%AC%AC9%E5%8F%B7.zip" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None
    names = archive.namelist()
    assert names == [f"措置状況_第9号.{fmt}" for fmt in ("html", "pdf", "xlsx", "csv")] + ["SHA256SUMS"]
    contents = stored(publication)
    for fmt in ("html", "pdf", "xlsx", "csv"):
        assert archive.read(f"措置状況_第9号.{fmt}") == contents[fmt]
    # SHA256SUMS in the `sha256sum -c` format, each line matching the file in the zip
    lines = archive.read("SHA256SUMS").decode().splitlines()
    assert len(lines) == 4
    for line in lines:
        digest, name = line.split("  ", 1)
        assert hashlib.sha256(archive.read(name)).hexdigest() == digest
    # the HTML stands alone: no script, no stylesheet link, no external reference
    html = archive.read("措置状況_第9号.html").decode()
    assert "<style>" in html
    for external in ["<script", "<link", "src=", "url(", "http://", "https://", "@import"]:
        assert external not in html, external
    # the same bytes every time (a checksum published beside it stays valid)
    assert public(9, "zip").content == response.content
    assert public(10, "zip").status_code == 404


def test_zip_refuses_a_tampered_file(history, stub_pdf):
    publication = make(history, 3, END)
    f = publication.files.get(format="csv")
    f.file.storage.delete(f.file.name)
    f.file.storage.save(f.file.name, ContentFile(b"forged"))
    with pytest.raises(ValueError, match="改変"):
        publishing.package(publication)


def test_confirmation_and_publication_pages_run_a_fixed_number_of_queries(
    client, history, report, stub_pdf, django_assert_max_num_queries
):
    client.force_login(history.auditor)
    make(history, 1, END)
    url = confirm_url(report, as_of=datetime.date(2026, 1, 31))
    with django_assert_max_num_queries(25) as first:
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("findings:publication_page", args=[1])).status_code == 200
    # more publications and more assigned findings do not add queries
    make(history, 2, datetime.date(2026, 1, 31), published_on=datetime.date(2026, 3, 1))
    history.assign("意見03", [history.section_a], jst(2026, 2, 3, 9))
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert client.get(confirm_url(report, as_of=datetime.date(2026, 2, 28))).status_code == 200
