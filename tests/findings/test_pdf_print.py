"""The printed 措置状況 (findings.print_pages, findings.renderers.render_pdf and the published HTML):
rows of any length continue under a repeated header as 「番号（続き）」, pages are full, the PDF is
tagged (PDF/UA-1) with the font embedded and no software versions, the 前文, 講じた措置 / 今後の予定
apart, the order by number, and the changes since the last publication.

Data: the dated history of test_status_report, plus 指摘02 assigned to 広報広聴課 with one accepted
report of 10,000 characters and a planned completion date of 2026-03-31.
"""

import datetime
import io
import logging
import re
from unittest.mock import patch
from urllib.parse import urlencode

import pytest
from django.test import override_settings
from django.urls import reverse
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from findings import print_pages, publishing, renderers
from findings.models import Finding, Publication
from findings.services import report_accept, report_save_draft, report_submit
from findings.status_report import build
from jobs.models import Job
from tests.findings.status_report_helpers import at, build_history, jst, status
from tests.findings.test_exports import embedded_fonts, pdf_pages

pytestmark = pytest.mark.django_db

AS_OF = datetime.date(2025, 12, 31)
PLANNED = datetime.date(2026, 3, 31)
HEADER = ["番号", "区分", "報告書該当箇所", "監査の結果（要旨）", "所管局・所管課", "講じた措置（対応）の内容"]
HEADER += ["今後の予定（完了予定）", "措置状況", "措置年月日"]


def long_text(report, n: int) -> str:
    """n characters of the report's own Japanese (① ② ③ of its findings), in paragraphs."""
    parts, size = [], 0
    for f in Finding.objects.filter(report=report).order_by("order"):
        for block in (f.detected, f.problem, f.recommendation):
            block = block.strip()
            if block:
                parts.append(block)
                size += len(block) + 1
        if size >= n:
            break
    text = "\n".join(parts)[:n]
    assert len(text) == n
    return text


def accept_with_plan(h, measure, *, text, planned, drafted, reviewed):
    staff, head = h.people(measure)
    values = {
        "status": status("in_progress"),
        "reported_on": drafted.date(),
        "text": text,
        "planned_completion_on": planned,
        "completed_on": None,
        "reason": "",
    }
    with at(drafted):
        r = report_save_draft(measure=measure, by=staff, values=values, version=None)
    with at(drafted + datetime.timedelta(hours=1)):
        r = report_submit(report=r, by=head)
    with at(reviewed):
        return report_accept(report=r, by=h.auditor)


@pytest.fixture
def long_history(make_user, report):
    h = build_history(make_user, report)
    (measure,) = h.assign("指摘02", [h.section_a], jst(2025, 9, 1, 9))
    h.long_text = long_text(report, 10_000)
    accept_with_plan(
        h, measure, text=h.long_text, planned=PLANNED, drafted=jst(2025, 12, 1, 10), reviewed=jst(2025, 12, 5, 15)
    )
    return h


@pytest.fixture
def long_pdf(long_history, report):
    built = build(reports=[report], as_of=AS_OF, order="number")
    return renderers.render_pdf(built)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def body_fill(page) -> float:
    """How far down the body the page's text reaches, 0–1 (running header and footer left out)."""
    height = float(page.mediabox.height)
    top = height - print_pages.MARGIN_TOP_MM * print_pages.MM
    bottom = print_pages.MARGIN_BOTTOM_MM * print_pages.MM
    lowest = []

    def visit(text, cm, tm, font, size):
        y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]
        if text.strip() and bottom < y < top:
            lowest.append(y)

    page.extract_text(visitor_text=visit)
    return (top - min(lowest)) / (top - bottom)


# -- a row of any length -------------------------------------------------------------------------


def test_a_measure_longer_than_a_page_continues_under_the_header(long_history, report, caplog):
    built = build(reports=[report], as_of=AS_OF, order="number")
    with caplog.at_level(logging.WARNING, logger="findings.renderers"):
        content = renderers.render_pdf(built)
    assert not caplog.records, "a page overflowed its plan"  # the measured plan held on the first try
    pages = [squash(p) for p in pdf_pages(content)]
    summary_page = next(i for i, p in enumerate(pages) if "措置状況の集計" in p)
    assert summary_page == len(pages) - 1
    # every page of the table repeats the whole header row
    for i, page in enumerate(pages[: summary_page + 1]):
        if i < summary_page or "番号区分" in page:
            assert squash("".join(HEADER)) in page, i
    # 指摘02 starts on one page and goes on, page after page, as 指摘02（続き）
    start = next(i for i, p in enumerate(pages) if "指摘02" in p and "指摘02（続き）" not in p)
    continued = [i for i, p in enumerate(pages) if "指摘02（続き）" in p]
    assert len(continued) >= 6  # 10,000 characters in a 86 mm column
    assert continued == list(range(start + 1, start + 1 + len(continued)))
    # the whole text is printed, in order, each page taking up exactly where the previous one stopped
    rest = squash(long_history.long_text)
    for i in [start, *continued]:
        k = longest_prefix_in(rest, pages[i])
        assert k > 200, (i, rest[:40])
        rest = rest[k:]
    assert rest == ""
    # no mostly blank page: every page but the last is filled to its foot
    reader = PdfReader(io.BytesIO(content))
    fills = [body_fill(p) for p in reader.pages[:-1]]
    assert min(fills) > 0.8, [round(f, 2) for f in fills]


def longest_prefix_in(text: str, page: str) -> int:
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if text[:mid] in page:
            lo = mid
        else:
            hi = mid - 1
    return lo


def test_pdf_is_tagged_with_the_font_embedded_and_names_no_versions(long_pdf):
    reader = PdfReader(io.BytesIO(long_pdf))
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert str(root["/Lang"]) == "ja"
    kinds = set()

    def walk(node, depth=0):
        node = node.get_object()
        if isinstance(node, dict):
            if "/S" in node:
                kinds.add(str(node["/S"]))
            kids = node.get("/K")
            if kids is not None:
                for kid in kids if isinstance(kids, list) else [kids]:
                    walk(kid, depth + 1)

    walk(root["/StructTreeRoot"])
    assert {"/Document", "/H1", "/Table", "/TR", "/TH", "/TD", "/P"} <= kinds, kinds
    xmp = root["/Metadata"].get_object().get_data()
    assert b"pdfuaid:part" in xmp
    # no software versions anywhere in the metadata
    info = reader.metadata
    assert info["/Producer"] == "auditreg" and info["/Creator"] == "auditreg"
    assert b"WeasyPrint" not in xmp and not re.search(rb"\d+\.\d+\.\d+", xmp.replace(b"xmp.did", b""))
    # the Japanese font is embedded (a subset), nothing else is used
    fonts = embedded_fonts(long_pdf)
    assert fonts and all("IPAexGothic" in name and "/FontFile2" in keys for name, keys in fonts), fonts


# -- columns, 前文, order ---------------------------------------------------------------------------


def status_url(report, **params) -> str:
    query = {"reports": report.pk, "as_of": AS_OF.isoformat()} | params
    return f"{reverse('findings:status_report')}?{urlencode(query, doseq=True)}"


def test_status_report_pdf_with_preamble_and_the_planned_date(client, long_history, report, settings):
    settings.STATUS_REPORT_PREAMBLE = {
        "legal_basis": "地方自治法（昭和22年法律第67号）第252条の38第6項",
        "notifier": "◯◯市長",
        "commissioners": ["既定の監査委員"],
    }
    client.force_login(long_history.auditor)
    # a PDF is always a background job (jobs/; the test settings run it at once): start it, then download
    query = status_url(
        report,
        kind="指摘",
        order="number",
        preamble="on",
        notifier="◯◯市長 山田 太郎",
        notified_on="2026-02-02",
        commissioners="◯◯市監査委員 加藤 一郎\n◯◯市監査委員 中村 二郎",
    ).partition("?")[2]
    started = client.post(f"{reverse('findings:status_export')}?{query}", {"format": "pdf"})
    assert started.status_code == 302
    job = Job.objects.get()
    response = client.get(reverse("jobs:job_download", args=[job.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = squash("".join(pdf_pages(response.content)))
    preamble = (
        "地方自治法（昭和22年法律第67号）第252条の38第6項の規定により、◯◯市長山田太郎から"
        "令和8年2月2日付けで包括外部監査の結果に基づき講じた措置について通知があったので、次のとおり公表します。"
    )
    assert preamble in text
    assert (
        text.index("◯◯市監査委員加藤一郎")
        < text.index("◯◯市監査委員中村二郎")
        < text.index("措置状況（令和7年12月31日現在）")
    )
    assert "既定の監査委員" not in text
    # 指摘 by number: 指摘01, 指摘02, 指摘03
    assert text.index("指摘01") < text.index("指摘02") < text.index("指摘03")
    # 今後の予定（完了予定）: the planned date of the open measure of 指摘02
    assert "令和8年3月31日" in text


def test_preamble_fields_fall_back_to_settings_and_are_off_unless_asked(long_history, report, settings):
    settings.STATUS_REPORT_PREAMBLE = {
        "legal_basis": "根拠法令の既定",
        "notifier": "既定の市長",
        "commissioners": ["委員甲"],
    }
    built = build(reports=[report], as_of=AS_OF)
    assert "根拠法令の既定" not in renderers.render_html(built)
    built.preamble = renderers.preamble()
    html = renderers.render_html(built)
    assert "根拠法令の既定の規定により、既定の市長から包括外部監査の結果に基づき講じた措置" in html
    assert "委員甲" in html


def test_planned_dates_per_section_and_cleared_once_done(long_history, report):
    built = build(reports=[report], as_of=AS_OF)
    rows = {r.code: renderers.print_cells(built, r) for r in built.rows}
    assert [len(c) for c in rows.values()] == [len(HEADER)] * len(rows)
    assert rows["指摘02"][5] == long_history.long_text and rows["指摘02"][6] == "令和8年3月31日"
    assert rows["指摘01"][6] == "" and rows["指摘01"][8] == "令和7年12月1日"  # done: its date, no plan
    per_section = build(reports=[report], as_of=AS_OF, per="section")
    assert {r.planned_on for r in per_section.rows if r.code == "指摘02"} == {PLANNED.isoformat()}


def test_order_by_number_or_by_organisation(long_history, report):
    by_number = build(reports=[report], as_of=AS_OF, order="number")
    listed = list(Finding.objects.filter(report=report).order_by("order").values_list("code", flat=True))
    assert [r.code for r in by_number.rows] == listed
    by_org = build(reports=[report], as_of=AS_OF)
    assert [r.code for r in by_org.rows] != listed
    keys = [(r.bureau_order, r.section_order) for r in by_org.rows]
    assert keys == sorted(keys)
    assert by_number.summary == by_org.summary


def test_published_html_keeps_whole_rows(long_history, report):
    html = renderers.render_html(build(reports=[report], as_of=AS_OF))
    assert "（続き）" not in html and html.count('<table class="status">') == 1
    assert long_history.long_text.replace("\n", "") in html.replace("\n", "")


# -- publications ---------------------------------------------------------------------------------


def test_publication_keeps_its_preamble_and_prints_the_changes(long_history, report):
    h = long_history
    preamble = renderers.preamble(
        notifier="◯◯市長", notified_on=datetime.date(2026, 1, 20), commissioners=["委員 甲", "委員 乙"]
    )
    first = publishing.publish(
        reports=[report], as_of=datetime.date(2025, 6, 30), per="finding", number=1,
        published_on=datetime.date(2025, 7, 15), by=h.auditor,
    )  # fmt: skip
    second = publishing.publish(
        reports=[report], as_of=AS_OF, per="finding", number=2, published_on=datetime.date(2026, 2, 1),
        by=h.auditor, order="number", preamble=preamble,
    )  # fmt: skip
    second = Publication.objects.get(pk=second.pk)
    assert not Publication.objects.get(pk=first.pk).with_preamble
    assert second.with_preamble and second.row_order == "number"
    assert second.preamble_notifier == "◯◯市長" and second.preamble_notified_on == datetime.date(2026, 1, 20)
    assert second.preamble_commissioners == ["委員 甲", "委員 乙"]
    assert second.preamble_legal_basis.endswith("第252条の38第6項")
    pdf = publishing.read_file(second.files.get(format="pdf"))
    text = squash("".join(pdf_pages(pdf)))
    assert "令和8年1月20日付けで包括外部監査の結果に基づき講じた措置" in text
    assert text.index("令和8年2月1日") < text.index("委員甲")  # the 公表日 above the names
    assert "前回の公表（第1号）からの変化" in text and "新たに措置済となったもの" in text


# -- the page model -------------------------------------------------------------------------------

WORDS = ["監査", "措置", "の", "状況", "、", "。", "「", "」", "（", "）", "令和7年", "ID", "システム", "ッ", "ー", " "]
PARAGRAPHS = st.lists(st.lists(st.sampled_from(WORDS), max_size=120).map("".join), min_size=1, max_size=4)


@settings(max_examples=60, deadline=None)
@given(paragraphs=PARAGRAPHS, width=st.sampled_from([40, 86, 31]))
def test_wrapped_lines_fit_keep_the_text_and_follow_kinsoku(paragraphs, width):
    # 禁則 can hold only where a line may end and the next begin: a run of 禁則 characters nearly a line
    # long (「「「の、、、、、、 in a 9-character column) has no such place, and the text must still fit
    kinsoku = print_pages.NO_START | print_pages.NO_END
    assume(all(max(map(len, re.split(f"[^{re.escape(''.join(kinsoku))}]", p))) <= 4 for p in paragraphs))
    advances, other = print_pages._advances()
    inner = print_pages._inner(width)
    lines = print_pages.wrap("\n".join(paragraphs), inner)
    assert squash("".join(lines)) == squash("".join(paragraphs))
    assert len(lines) == sum(len(print_pages.wrap(p, inner)) for p in paragraphs)
    for line in lines:
        assert sum(advances.get(c, other) for c in line) * print_pages.FONT_PT <= inner
    for paragraph in paragraphs:
        cut = print_pages.wrap(paragraph, inner)
        for line in cut[1:]:
            assert line[:1] not in print_pages.NO_START, cut  # 行頭禁則
        for line in cut[:-1]:
            assert line[-1:] not in print_pages.NO_END, cut  # 行末禁則


@pytest.mark.parametrize("text", ["「「「の、、、、、、", "監査、、、、、、、、、"])
def test_a_run_of_kinsoku_characters_longer_than_a_line_still_fits_and_keeps_the_text(text):
    """No place to break obeys 禁則 here: the text is kept whole and no line runs over the column."""
    advances, other = print_pages._advances()
    inner = print_pages._inner(31)
    lines = print_pages.wrap(text, inner)
    assert "".join(lines) == text
    assert all(sum(advances.get(c, other) for c in line) * print_pages.FONT_PT <= inner for line in lines)


def test_paginate_cuts_a_tall_row_and_labels_its_rest():
    cells = ["意見07", "意見", "12頁", "要旨", "総務局 行政経営課", "あ" * 5000, "", "措置中", ""]
    short = ["意見08", "意見", "13頁", "要旨", "総務局 行政経営課", "短い措置。", "", "措置中", ""]
    pages = print_pages.paginate([short, cells, short], first_page_used=100)
    pieces = [(i, p) for i, page in enumerate(pages) for p in page.rows]
    tall = [(i, p) for i, p in pieces if "あ" in p.cells[5]]
    assert len(tall) >= 4 and tall[0][0] == 0  # begun on the first page, under the short row
    assert [p.continued for _, p in tall] == [False] + [True] * (len(tall) - 1)
    assert all(squash(p.cells[0]) == "意見07（続き）" for _, p in tall[1:])
    assert "".join(squash(p.cells[5]) for _, p in tall) == "あ" * 5000
    for page in pages:
        used = print_pages.header_height() + sum(
            print_pages.row_height(max(c.count("\n") + 1 for c in p.cells)) for p in page.rows
        )
        assert used <= print_pages.BODY_HEIGHT - (100 if page is pages[0] else 0)


def test_publishing_from_the_page_keeps_the_preamble_chosen_there(client, long_history, report):
    client.force_login(long_history.auditor)
    query = urlencode(
        {
            "reports": report.pk,
            "as_of": AS_OF.isoformat(),
            "order": "number",
            "preamble": "on",
            "notifier": "◯◯市長",
            "notified_on": "2026-01-20",
            "commissioners": "委員 甲\n委員 乙",
        }
    )
    url = f"{reverse('findings:publication_create')}?{query}"
    with patch("findings.renderers.render_pdf", return_value=b"%PDF-1.7\n%%EOF\n") as stub:
        response = client.post(url, {"number": 5, "published_on": "2026-02-01"})
    assert response.status_code == 302
    publication = Publication.objects.get(number=5)
    assert publication.with_preamble and publication.row_order == "number"
    assert publication.preamble_notifier == "◯◯市長" and publication.preamble_commissioners == ["委員 甲", "委員 乙"]
    assert publication.preamble_notified_on == datetime.date(2026, 1, 20)
    rendered = stub.call_args.args[0]
    assert rendered.preamble["notifier"] == "◯◯市長" and rendered.order == "number"
    assert publication.snapshot["preamble"] == rendered.preamble


def test_table_pages_written_directly_print_as_weasyprint_lays_them_out(long_history, report, monkeypatch):
    """A report of FRAMED_PAGES planned pages or more: first and last page laid out by WeasyPrint, the table
    pages between written by findings.pdf_direct, joined. The same pages and text as one WeasyPrint document,
    page numbers running on, one structure tree, and every line of every table page where WeasyPrint puts it."""
    built = build(reports=[report], as_of=AS_OF, order="number")
    with override_settings(PDF_PROCESSES=1):  # in this process
        framed = renderers.render_pdf(built)
        monkeypatch.setattr(renderers, "FRAMED_PAGES", 10**6)
        whole = renderers.render_pdf(built)  # one WeasyPrint document
    assert_same_document(framed, whole, built)
    a, b = PdfReader(io.BytesIO(framed)), PdfReader(io.BytesIO(whole))
    for k in range(1, len(a.pages) - 1):  # the table pages: each text run at WeasyPrint's place
        mine, theirs = text_runs(a.pages[k]), text_runs(b.pages[k])
        assert [t for t, _, _ in mine] == [t for t, _, _ in theirs]
        for (text, x, y), (_, x2, y2) in zip(mine, theirs, strict=True):
            assert abs(x - x2) < 0.05 and abs(y - y2) < 0.05, (k, text, x, x2, y, y2)


def test_a_summary_that_runs_past_the_last_table_page_is_numbered_in_the_total(long_history, report, monkeypatch):
    """The last planned page is laid out first, numbered as if what follows the table fits on it; a long
    section of changes that starts pages of its own makes the count larger, and every page says so."""
    built = build(reports=[report], as_of=AS_OF, order="number")
    changes = {
        "previous_number": 1,
        "completed": [f"意見{i:03}" for i in range(900)],
        "progressed": [],
        "still_open": [],
    }
    with override_settings(PDF_PROCESSES=1):
        framed = renderers.render_pdf(built, changes=changes)
        monkeypatch.setattr(renderers, "FRAMED_PAGES", 10**6)
        whole = renderers.render_pdf(built, changes=changes)
    planned = len(renderers._context(built, for_print=True, publication=None, changes=changes, reserve=0)["pages"])
    assert len(PdfReader(io.BytesIO(framed)).pages) > planned  # the changes ran on past the last table page
    assert_same_document(framed, whole, built)


def text_runs(page) -> list[tuple[str, float, float]]:
    """Each text run of `page` with the position (pt, from the bottom left) where it starts."""
    runs = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            runs.append((text.strip(), round(x, 2), round(y, 2)))

    page.extract_text(visitor_text=visit)
    return sorted(runs, key=lambda r: (-r[2], r[1]))


def assert_same_document(joined: bytes, whole: bytes, built) -> None:
    """`joined` (laid out in parts) prints what `whole` (one document) prints, with one structure tree."""
    one, parts = PdfReader(io.BytesIO(whole)), PdfReader(io.BytesIO(joined))
    assert len(parts.pages) == len(one.pages) > 4  # several parts, the last with the summary
    texts = pdf_pages(joined)
    assert [squash(t) for t in texts] == [squash(t) for t in pdf_pages(whole)]
    n = len(texts)
    for i, text in enumerate(texts, start=1):
        assert f"{i} / {n}" in text
        assert report_title(built) in squash(text)
    root = parts.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"]) and str(root["/Lang"]) == "ja"
    assert b"pdfuaid:part" in root["/Metadata"].get_object().get_data()
    assert parts.metadata["/Producer"] == "auditreg" and parts.metadata["/Creator"] == "auditreg"
    # every page's marked content maps back to elements of the one tree, whose /Document holds them all
    tree = root["/StructTreeRoot"]
    (document,) = [k.get_object() for k in tree["/K"]]
    assert document["/S"] == "/Document"
    nums = tree["/ParentTree"]["/Nums"]
    assert [int(nums[i]) for i in range(0, len(nums), 2)] == list(range(n))
    for k, page in enumerate(parts.pages):
        assert int(page["/StructParents"]) == k
        for elem in nums[2 * k + 1]:
            elem = elem.get_object()
            assert elem["/Pg"].get_object() == page.get_object()
            while "/P" in elem and elem["/P"].get_object() is not tree.get_object():
                elem = elem["/P"].get_object()
            assert elem is document
    kinds = set()

    def walk(node):
        node = node.get_object()
        if isinstance(node, dict) and "/S" in node:
            kinds.add(str(node["/S"]))
            kids = node.get("/K")
            for kid in kids if isinstance(kids, list) else [kids]:
                walk(kid)

    walk(document)
    assert {"/Document", "/H1", "/Table", "/TR", "/TH", "/TD", "/P", "/H2"} <= kinds, kinds
    assert [o["/Title"] for o in flat(parts.outline)] == [o["/Title"] for o in flat(one.outline)]
    assert embedded_fonts(joined) and all("IPAexGothic" in name for name, _ in embedded_fonts(joined))


def report_title(built) -> str:
    return squash(built.title)


def flat(outline):
    for item in outline:
        yield from flat(item) if isinstance(item, list) else [item]
