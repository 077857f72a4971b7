"""The 措置状況 in Excel, PDF and CSV (findings.renderers), the page /findings/status/ and its downloads,
and the status_report command. Data: the dated history of test_status_report, as of 2025-12-31.

Expected figures are typed from that history: 33 findings of which 指摘01 措置済 (2025-12-01), 意見04 and
意見16 措置中, 意見19 措置予定・検討中, 意見01 未着手, 意見02 措置しない, the 27 others 未割当.
"""

import csv
import datetime
import io
import zipfile
from urllib.parse import unquote, urlencode

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from openpyxl import load_workbook
from pypdf import PdfReader

from auditreg.choices import Role
from findings import renderers
from findings.models import AuditReport, Finding
from findings.status_report import COLUMNS, build, table_cells
from tests.checkboxes import checkboxes
from tests.findings.status_report_helpers import TEXT, build_history, jst

pytestmark = pytest.mark.django_db

AS_OF = datetime.date(2025, 12, 31)
TITLE = "令和6年度包括外部監査の結果に対する措置状況（令和7年12月31日現在）"
SHEETS = ["措置状況", "集計", "指摘・意見", "措置履歴", "情報システム", "DX予算"]
HEADER_ROW = 6
SUMMARY = [  # 区分, 未割当, 未着手, 措置予定・検討中, 措置中, 措置済, 措置しない, 計
    ["指摘", 2, 0, 0, 0, 1, 0, 3],
    ["意見", 25, 1, 1, 2, 0, 1, 30],
    ["計", 27, 1, 1, 2, 1, 1, 33],
]
HYPERLINK = '=HYPERLINK("http://evil.example/","詳細はこちら")'
PLUS = "+cmd|' /C calc'!A0"


@pytest.fixture
def history(make_user, report):
    return build_history(make_user, report)


@pytest.fixture
def built(history, report):
    return build(reports=[report], as_of=AS_OF)


@pytest.fixture
def office(client, history):
    client.force_login(history.auditor)
    return client


def status_url(report, **params) -> str:
    query = {"reports": report.pk, "as_of": AS_OF.isoformat()} | params
    return f"{reverse('findings:status_report')}?{urlencode(query)}"


def workbook(content: bytes):
    return load_workbook(io.BytesIO(content))


def data_rows(ws) -> list[list]:
    """The table of the 措置状況 sheet below its header row, empty cells as ""."""
    return [["" if v is None else v for v in row] for row in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True)]


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def pdf_pages(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def embedded_fonts(content: bytes) -> list[tuple[str, set]]:
    """(BaseFont, keys of its FontDescriptor) of every font the pages use, descendant fonts included."""
    found = []
    for page in PdfReader(io.BytesIO(content)).pages:
        fonts = page["/Resources"].get_object().get("/Font")
        for ref in (fonts.get_object() if fonts else {}).values():
            font = ref.get_object()
            for f in [font] + [d.get_object() for d in font.get("/DescendantFonts", [])]:
                if "/FontDescriptor" in f:
                    found.append((str(f["/BaseFont"]), set(f["/FontDescriptor"].get_object().keys())))
    return found


# -- Excel -------------------------------------------------------------------------------------


def test_xlsx_report_sheet(built, report):
    wb = workbook(renderers.render_xlsx(built))
    assert wb.sheetnames == SHEETS
    ws = wb["措置状況"]
    assert ws["A1"].value == TITLE
    assert ws["A2"].value == "テーマ：DX 及び情報システムに関する財務事務の執行並びに事業管理について"
    assert ws["A4"].value == "報告書の公表：令和7年4月11日（金沢市監査公表第8号）"
    assert [c.value for c in ws[HEADER_ROW]] == COLUMNS
    rows = data_rows(ws)
    assert len(rows) == 33
    assert rows[0] == [
        "指摘01",
        "指摘",
        "80頁",
        Finding.objects.get(report=report, code="指摘01").title,
        "都市政策局 広報広聴課",
        TEXT["指摘01/2"],
        "措置済",
        "令和7年12月1日",
    ]
    statuses = {r[0]: r[6] for r in rows}
    assert [statuses[c] for c in ["指摘01", "意見04", "意見16", "意見01", "意見02", "意見19", "指摘02"]] == [
        "措置済",
        "措置中",
        "措置中",
        "未着手",
        "措置しない",
        "措置予定・検討中",
        "未割当",
    ]
    assert rows[1][4] == "都市政策局 広報広聴課\n総務局 デジタル行政戦略課"
    assert [r[7] for r in rows if r[7]] == ["令和7年12月1日"]  # only the finding done by then has a date
    assert [r[0] for r in rows] == [table_cells(built, r)[0] for r in built.rows]
    # print-ready: header frozen and repeated, A4 landscape fitted to the width
    assert ws.freeze_panes == "A7"
    assert ws.print_title_rows == "$6:$6"
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert int(ws.page_setup.fitToWidth) == 1 and ws.sheet_properties.pageSetUpPr.fitToPage


def test_xlsx_dates_per_section_in_wareki(history, report):
    per_section = build(reports=[report], as_of=AS_OF, per="section")
    rows = data_rows(workbook(renderers.render_xlsx(per_section, data_sheets=False))["措置状況"])
    assert len(rows) == 34
    dated = {(r[0], r[4]): r[7] for r in rows if r[7]}
    assert dated == {
        ("指摘01", "都市政策局 広報広聴課"): "令和7年12月1日",
        ("意見04", "都市政策局 広報広聴課"): "令和7年9月1日",
    }


def test_xlsx_summary_sheet(built):
    ws = workbook(renderers.render_xlsx(built, data_sheets=False))["集計"]
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    assert values[0][0] == TITLE
    assert values[2] == ["区分", "未割当", "未着手", "措置予定・検討中", "措置中", "措置済", "措置しない", "計"]
    assert values[3:6] == SUMMARY
    rate_row = next(r for r in values if r[0] == "措置済率")
    assert rate_row[1] == pytest.approx(1 / 33)
    assert ws.cell(row=values.index(rate_row) + 1, column=2).number_format == "0.0%"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9


def test_xlsx_data_sheets(built):
    wb = workbook(renderers.render_xlsx(built))
    findings = list(wb["指摘・意見"].iter_rows(min_row=2, values_only=True))
    # the report by its name as printed, not by the register's internal code
    assert len(findings) == 33 and findings[0][:3] == ("令和6年度包括外部監査", "指摘01", "指摘")
    assert all("kanazawa-2024-dx" not in str(v) for row in findings for v in row)
    systems = wb["情報システム"]
    assert systems.max_row == 1 + 162
    assert [r[0] for r in systems.iter_rows(min_row=2, values_only=True)] == list(range(1, 163))
    budget = list(wb["DX予算"].iter_rows(min_row=2, values_only=True))
    totals = [r for r in budget if r[0] == "合計"]
    assert len(totals) == 1
    assert totals[0][4:] == (430_968, 396_953, 430_968 - 396_953)
    field_totals = {r[3]: r[4:6] for r in budget if isinstance(r[3], str) and r[3].endswith("合計")}
    assert field_totals == {
        "産業合計": (146_123, 141_131),
        "地域合計": (27_480, 20_264),
        "文化合計": (57_900, 54_198),
        "教育合計": (19_700, 13_216),
        "行政合計": (179_765, 168_144),
    }
    lines = [r for r in budget if r[0] != "合計" and not (isinstance(r[3], str) and r[3].endswith("合計"))]
    assert len(lines) == 92
    for name in SHEETS[2:]:
        assert wb[name].freeze_panes == "A2" and wb[name].print_title_rows == "$1:$1"
    # the write-only workbook is a valid zip with one worksheet part per sheet
    with zipfile.ZipFile(io.BytesIO(renderers.render_xlsx(built))) as z:
        assert len([n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]) == 6


def test_xlsx_budget_sheet_keeps_each_reports_lines_together(report):
    from tests.factories import bulk_report

    second = bulk_report(3, code="second-dx")
    built = build(reports=[report, second], as_of=AS_OF)
    budget = list(workbook(renderers.render_xlsx(built))["DX予算"].iter_rows(min_row=2, values_only=True))
    lines = [r for r in budget if r[0] != "合計" and not (isinstance(r[3], str) and r[3].endswith("合計"))]
    assert len(lines) == 92 + 2
    fields = [r[0] for r in lines]
    assert "合成" not in fields[:92] and fields[92:] == ["合成", "合成"]


def test_xlsx_history_sheet_holds_only_what_was_accepted_by_the_date(history, report):
    ws = workbook(renderers.render_xlsx(build(reports=[report], as_of=datetime.date(2025, 6, 30))))["措置履歴"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    texts = {r[6] for r in rows}
    assert TEXT["指摘01/2"] not in texts  # accepted 2025-12-10
    assert TEXT["意見01/draft"] not in texts  # a draft
    assert {r[4] for r in rows} == {"受理"}
    assert len(rows) == 3  # 指摘01 措置中, 意見04/B 措置中, 意見19 措置予定・検討中


def test_xlsx_history_sheet_rows(built):
    ws = workbook(renderers.render_xlsx(built))["措置履歴"]
    assert [c.value for c in ws[1]][:6] == ["番号", "局", "所管課", "報告日", "段階", "措置状況"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    # the accepted reports up to the as-of date, in the report's order then the organisation's, oldest first
    assert {r[4] for r in rows} == {"受理"}
    assert [(r[0], r[2], r[5]) for r in rows[:2]] == [
        ("指摘01", "広報広聴課", "措置中"),
        ("指摘01", "広報広聴課", "措置済"),
    ]
    assert rows[1][7] == "令和7年12月1日"  # 措置年月日 in 和暦
    # the history's accepted reports by 2025-12-31 (drafts, returns, pending and later ones are not in it)
    assert [(r[0], r[5]) for r in rows] == [
        ("指摘01", "措置中"),
        ("指摘01", "措置済"),
        ("意見02", "措置しない"),
        ("意見04", "措置済"),
        ("意見04", "措置中"),
        ("意見16", "措置中"),
        ("意見19", "措置予定・検討中"),
    ]


def test_xlsx_history_sheet_review_time_is_local_time_in_wareki(built):
    ws = workbook(renderers.render_xlsx(built))["措置履歴"]
    reviewed = {(r[0], r[5]): r[12] for r in ws.iter_rows(min_row=2, values_only=True) if r[4] == "受理"}
    # accepted at 2025-06-10 06:00 UTC: 15:00 in Japan, printed in 和暦 as every date a person reads
    assert reviewed[("指摘01", "措置中")] == "令和7年6月10日 15:00"
    assert ("意見19", "措置中") not in reviewed  # accepted at 00:30 on 1 January: after the as-of date


def _assign_with_text(history, code, text):
    """A finding assigned to one section of history, with one accepted report carrying `text`."""
    (measure,) = history.assign(code, [history.section_a], jst(2025, 5, 1, 9))
    history.accepted(measure, "in_progress", drafted=jst(2025, 6, 1, 10), reviewed=jst(2025, 6, 2, 10), text=text)


def test_formula_like_text_stays_text(history, report):
    _assign_with_text(history, "指摘02", HYPERLINK)
    _assign_with_text(history, "指摘03", PLUS)
    built = build(reports=[report], as_of=AS_OF)
    content = renderers.render_xlsx(built)
    ws = workbook(content)["措置状況"]
    cells = {row[0].value: row[5] for row in ws.iter_rows(min_row=HEADER_ROW + 1)}
    for code, text in [("指摘02", HYPERLINK), ("指摘03", PLUS)]:
        assert cells[code].value == text
        assert cells[code].data_type == "s"
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet  # no formula element anywhere
    # the 措置履歴 sheet carries the same texts, also as text
    history_cells = [r[6] for r in workbook(content)["措置履歴"].iter_rows(min_row=2)]
    assert {c.data_type for c in history_cells if c.value in (HYPERLINK, PLUS)} == {"s"}
    rows = {r[0]: r for r in csv_rows(renderers.render_csv(built))}
    assert rows["指摘02"][5] == "'" + HYPERLINK
    assert rows["指摘03"][5] == "'" + PLUS
    assert rows["指摘01"][5] == TEXT["指摘01/2"]  # ordinary text untouched


# -- CSV ---------------------------------------------------------------------------------------


def test_csv(built):
    content = renderers.render_csv(built)
    assert content.startswith(b"\xef\xbb\xbf")
    text = content.decode("utf-8")
    assert text.count("\r\n") == 34  # header + 33 records; line breaks inside cells are bare \n
    rows = csv_rows(content)
    assert rows[0] == COLUMNS
    assert len(rows) == 34
    xlsx = data_rows(workbook(renderers.render_xlsx(built, data_sheets=False))["措置状況"])
    assert rows[1:] == xlsx
    # a multi-line cell is quoted and keeps its line break; the record separator is CRLF
    assert '"都市政策局 広報広聴課\n総務局 デジタル行政戦略課"' in text
    assert text.split("\r\n")[0] == "\ufeff" + ",".join(COLUMNS)


# -- PDF ---------------------------------------------------------------------------------------


def test_pdf(built, report):
    content = renderers.render_pdf(built)
    assert content.startswith(b"%PDF")
    pages = pdf_pages(content)
    n = len(pages)
    assert n >= 2  # 33 rows do not fit on one A4 page
    text = "\n".join(pages)
    assert TITLE in text.replace("\n", "")
    for code in Finding.objects.filter(report=report).values_list("code", flat=True):
        assert code in text, code
    for i, page in enumerate(pages, start=1):
        assert f"{i} / {n}" in page
        assert "令和7年12月31日現在" in page
    assert "措置済率" in text and "3.0%" in text
    fonts = embedded_fonts(content)
    assert fonts, "no font with a descriptor"
    assert all("IPAexGothic" in name for name, _ in fonts), fonts
    assert any("IPAexGothic" in name and {"/FontFile2", "/FontFile3"} & keys for name, keys in fonts)
    assert all({"/FontFile", "/FontFile2", "/FontFile3"} & keys for _, keys in fonts)  # nothing left unembedded


# -- the page and its downloads ----------------------------------------------------------------


def test_page(office, report):
    response = office.get(status_url(report))
    assert response.status_code == 200
    html = response.content.decode()
    assert TITLE in html
    assert len(response.context["rows"]) == 33
    assert response.context["report"].summary[0]["counts"] == SUMMARY[0][1:7]
    for fmt in ("xlsx", "csv"):  # links under the threshold (settings.EXPORT_SYNC_MAX_ROWS)
        assert f"format={fmt}" in html
    assert 'name="format" value="pdf"' in html and "PDF を作成" in html  # the PDF is a background job
    assert "publications/new/" in html  # an auditor may publish


def test_page_defaults_to_the_latest_report_and_today(office, report):
    response = office.get(reverse("findings:status_report"))
    assert response.status_code == 200
    assert response.context["report"].reports[0]["code"] == "kanazawa-2024-dx"
    assert response.context["report"].as_of == timezone.localdate().isoformat()


def test_the_reports_are_checkboxes_that_send_the_report_ids(office, report):
    """No Ctrl+click listbox: a fieldset 報告書 (its help shown) with a labelled box per report, value its
    id as the listbox sent; ticking both carries the earlier report over, as choosing both did."""
    html = office.get(reverse("findings:status_report")).content.decode()
    assert '<select name="reports"' not in html
    reports = list(AuditReport.objects.order_by("-fiscal_year", "code"))
    boxes = checkboxes(html, "reports")
    assert [(b.value, b.label, b.checked) for b in boxes] == [(str(r.pk), r.theme, r is reports[0]) for r in reports]
    assert all(b.legends == ("報告書",) for b in boxes)
    assert "過年度の報告書の項目も併せて掲載します" in html
    query = [(b.name, b.value) for b in boxes] + [("as_of", AS_OF.isoformat())]
    response = office.get(f"{reverse('findings:status_report')}?{urlencode(query)}")
    assert response.status_code == 200
    assert [r["code"] for r in response.context["report"].reports] == [r.code for r in reports]
    ticked = [b.value for b in checkboxes(response.content.decode(), "reports") if b.checked]
    assert ticked == [str(r.pk) for r in reports]
    refused = office.get(f"{reverse('findings:status_report')}?reports=abc&as_of={AS_OF.isoformat()}")
    assert refused.status_code == 400
    message = "“abc” は無効な値です。"
    assert refused.context["form"].errors["reports"] == [message]
    assert f'<div class="error" id="id_reports_error"><div>{escape(message)}</div></div>' in refused.content.decode()


def test_bad_choice_is_a_form_error(office, report):
    assert office.get(status_url(report, as_of="2025-13-01")).status_code == 400
    assert office.get(status_url(report, per="bureau")).status_code == 400
    assert office.get(status_url(report, status="完了")).status_code == 400
    assert office.get(status_url(report, format="xlsx", as_of="yesterday")).status_code == 400


def test_xlsx_download(office, report, built):
    response = office.get(status_url(report, format="xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = response["Content-Disposition"]
    assert disposition.lower().startswith("attachment; filename*=utf-8''")
    assert unquote(disposition.split("''", 1)[1]) == "措置状況_2025-12-31.xlsx"
    wb = workbook(response.content)
    assert wb.sheetnames == SHEETS
    assert data_rows(wb["措置状況"]) == data_rows(workbook(renderers.render_xlsx(built))["措置状況"])
    assert [list(r) for r in wb["集計"].iter_rows(min_row=4, max_row=6, values_only=True)] == SUMMARY


def test_csv_download(office, report, built):
    response = office.get(status_url(report, format="csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert unquote(response["Content-Disposition"].split("''", 1)[1]) == "措置状況_2025-12-31.csv"
    assert response.content == renderers.render_csv(built)


def test_filters_apply_to_the_page_and_every_download(office, report):
    page = office.get(status_url(report, kind="指摘"))
    assert [c[0] for c in page.context["rows"]] == ["指摘01", "指摘02", "指摘03"]
    # the download links carry the filter
    assert "kind=%E6%8C%87%E6%91%98" in page.content.decode()
    xlsx = workbook(office.get(status_url(report, kind="指摘", format="xlsx")).content)
    assert [r[0] for r in data_rows(xlsx["措置状況"])] == ["指摘01", "指摘02", "指摘03"]
    assert [list(r) for r in xlsx["集計"].iter_rows(min_row=4, max_row=6, values_only=True)] == [
        ["指摘", 2, 0, 0, 0, 1, 0, 3],
        ["意見", 0, 0, 0, 0, 0, 0, 0],
        ["計", 2, 0, 0, 0, 1, 0, 3],
    ]
    rows = csv_rows(office.get(status_url(report, kind="指摘", format="csv")).content)
    assert [r[0] for r in rows[1:]] == ["指摘01", "指摘02", "指摘03"]
    # other filters: bureau, section, status
    from auditreg.models import Bureau, Section

    bureau = Bureau.objects.get(name="総務局")
    section = Section.objects.get(bureau=bureau, name="デジタル行政戦略課")
    rows = csv_rows(office.get(status_url(report, bureau=bureau.pk, format="csv")).content)
    assert [r[0] for r in rows[1:]] == ["意見04", "意見01", "意見02", "意見19"]
    rows = csv_rows(office.get(status_url(report, section=section.pk, per="section", format="csv")).content)
    assert [(r[0], r[6]) for r in rows[1:]] == [
        ("意見01", "未着手"),
        ("意見02", "措置しない"),
        ("意見04", "措置中"),
        ("意見19", "措置予定・検討中"),
    ]
    page = office.get(status_url(report, status="措置中"))
    assert [c[0] for c in page.context["rows"]] == ["意見04", "意見16"]
    assert page.context["report"].n_findings == 2
    # the PDF too (rendered once), made as a background job (run at once by the test settings) and downloaded
    started = office.post(status_url(report, kind="指摘").replace("/status/?", "/status/export/?"), {"format": "pdf"})
    assert started.status_code == 302
    pdf = office.get(started["Location"] + "download/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    text = "\n".join(pdf_pages(pdf.content))
    assert all(code in text for code in ["指摘01", "指摘02", "指摘03"])
    assert "意見" not in text.split("措置状況の集計")[0].split("措置年月日", 1)[1]  # no 意見 row in the table
    assert "1 / 1" in text


@pytest.mark.parametrize(
    "role, expected",
    [(Role.AUDITOR, 200), (Role.ADMIN, 200), (Role.SECTION_STAFF, 403), (Role.SECTION_HEAD, 403)],
)
def test_only_the_audit_office_opens_the_status_report(client, make_user, report, role, expected):
    client.force_login(make_user("someone", role))
    assert client.get(status_url(report)).status_code == expected
    assert client.get(status_url(report, format="csv")).status_code == expected


def test_anonymous_is_sent_to_login(client, report):
    for url in (status_url(report), status_url(report, format="csv")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login") + "?next=")


def test_inactive_auditor_is_refused(client, make_user, report):
    user = make_user("gone", Role.AUDITOR, is_active=False)
    client.force_login(user)
    assert client.get(status_url(report)).status_code in (302, 403)


# -- the command -------------------------------------------------------------------------------


def test_command_writes_the_same_rows(built, tmp_path):
    out = tmp_path / "措置状況.csv"
    stdout = io.StringIO()
    call_command(
        "status_report",
        "--report",
        "kanazawa-2024-dx",
        "--as-of",
        "2025-12-31",
        "--format",
        "csv",
        "-o",
        str(out),
        stdout=stdout,
    )
    assert out.read_bytes() == renderers.render_csv(built)
    assert "33 行" in stdout.getvalue() and TITLE in stdout.getvalue()


def test_command_with_two_reports_and_xlsx(history, report, tmp_path):
    out = tmp_path / "two.xlsx"
    call_command(
        "status_report",
        "--report",
        str(report.pk),
        "--report",
        "kanazawa-2021-citizen",
        "--as-of",
        "2025-06-30",
        "--per",
        "section",
        "--format",
        "xlsx",
        "-o",
        str(out),
        stdout=io.StringIO(),
    )
    rows = data_rows(load_workbook(out)["措置状況"])
    assert len(rows) == 6 + 28 + 2
    assert rows[-1][0] == "令和3年度 意見2"
    assert ("令和6年度 指摘01", "措置中") in {(r[0], r[6]) for r in rows}


@pytest.mark.parametrize(
    "args, message",
    [
        (["--report", "kanazawa-2024-dx", "--as-of", "2025-13-01"], "YYYY-MM-DD"),
        (["--report", "kanazawa-2024-dx", "--as-of", "31/12/2025"], "YYYY-MM-DD"),
        (["--report", "no-such-report", "--as-of", "2025-12-31"], "no-such-report"),
        (["--report", "999999", "--as-of", "2025-12-31"], "999999"),
    ],
)
def test_command_refuses_bad_arguments(db, tmp_path, args, message):
    out = tmp_path / "x.csv"
    with pytest.raises(CommandError, match=message):
        call_command("status_report", *args, "--format", "csv", "-o", str(out), stdout=io.StringIO())
    assert not out.exists()
