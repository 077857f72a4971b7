"""An inquiry round (照会) as the people involved click through it in a browser:

the audit office creates a round (データ取込・照会 → 照会 → 新しい照会を作成する) → 広報広聴課 is 「未開封」 →
the section's staff opens 照会 from the header, downloads the answer workbook (「ダウンロード済」), fills it
in (a status the workbook's drop-down offers, the measure's text, a date), uploads it, sees the preview
(every changed field old → new), confirms (「回答済（課長承認待ち）」) → the measure page shows the draft
with exactly those values → a head approves it there → the round shows 「課長承認済」. Another section's
staff gets 404 for the round, its workbook and an upload. axe-core checks every inquiry page on the way.

The browser tests share one server and database per session. The conftest's 意見01 measure is kept as
it is (test_accessibility.py checks its measure page with the draft form), and 指摘01-03 and 意見02 are
used by the other journeys, so this test assigns 意見03 (the report names 交通政策課) to 広報広聴課 on
screen and runs the round on that: it leaves 意見03's report awaiting the audit office's review, which
no other browser test looks at."""

import datetime
import re
import shutil
from pathlib import Path

import pytest

from .helpers import (
    HAS_AXE,
    SECTION,
    assign,
    axe_blocking_violations,
    change_rows,
    csrf_token,
    expect,
    messages,
    nav,
    summary_row,
)
from .test_accessibility import NAMELESS_BUTTONS, ORPHAN_LABELS, UNLABELLED_CONTROLS

pytestmark = pytest.mark.browser

CODE = "意見03"
FINDING_LABEL = "意見03 金沢 MaaS コンソーシアムの情報開示"  # its box on the round form: code and title
BUREAU, SECTION_NAME = SECTION.split(" ")
TITLE = "令和7年度 第1回 措置状況照会（ブラウザ試験）"
NOTE = "意見03 の措置状況を回答様式に記入してください。"
ANSWER_TEXT = "コンソーシアム全体の収支報告を、事務費を勘定科目に細分化した形で公表する準備を進めている。"
ITEM_LABEL = "措置の報告"  # the preview's kind of an inquiry answer
WANTED_STATUS = "措置中"  # a status that needs neither 措置年月日 nor a reason: the date goes to 完了予定日
NAV_OFFICE = "データ取込・照会"
NAV_SECTION = "照会"
UPLOAD_LABEL = re.compile("^記入した回答様式")
APPROVE = "課長として承認し、監査事務局へ提出する"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DANGLING_DESCRIBEDBY = """el => (el.getAttribute('aria-describedby') || '').split(/\\s+/)
  .filter(id => id && !document.getElementById(id))"""


def wareki(day: datetime.date) -> str:
    return f"令和{day.year - 2018}年{day.month}月{day.day}日"


# -- page helpers -------------------------------------------------------------------------------------


def section_row(page):
    """広報広聴課's row in the round page's 課ごとの回答状況 / 回答状況 table."""
    row = page.locator("#sections tbody tr").filter(
        has=page.locator("td:nth-child(2)", has_text=re.compile(f"^{SECTION_NAME}$"))
    )
    expect(row).to_have_count(1)
    return row


def cells(row) -> list[str]:
    return [c.strip() for c in row.locator("td").all_inner_texts()]


def meta_value(page, term: str):
    """The <dd> after the <dt> whose text is exactly `term` (on the measure page: the open report's list)."""
    dt = page.locator("dl.meta dt").filter(has_text=re.compile(f"^{re.escape(term)}$"))
    expect(dt).to_have_count(1)
    return dt.locator("xpath=following-sibling::dd[1]")


def open_round_from_list(page, title: str) -> int:
    expect(page.get_by_role("heading", level=1)).to_have_text("照会（措置状況の回答依頼）")
    page.locator("#rounds").get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"照会：{title}")
    return int(re.search(r"/imports/inquiries/(\d+)/$", page.url).group(1))


def check_page(page, name: str, found: dict) -> None:
    """The checks of test_accessibility.py on the current page; findings are collected (not raised at once)
    so that one page's problem does not hide the rest of the journey. Asserted at the end of the test."""
    problems = []
    if page.locator("html").get_attribute("lang") != "ja":
        problems.append("<html lang> is not ja")
    if page.locator("h1").count() != 1:
        problems.append(f"{page.locator('h1').count()} <h1>")
    for label, script in (
        ("unlabelled controls", UNLABELLED_CONTROLS),
        ("orphan labels", ORPHAN_LABELS),
        ("nameless buttons/links", NAMELESS_BUTTONS),
    ):
        bad = page.evaluate(script)
        if bad:
            problems.append(f"{label}: {bad}")
    if HAS_AXE:
        blocking, report = axe_blocking_violations(page)
        if blocking:
            problems.append(f"axe-core: {[v['id'] for v in blocking]}\n{report}")
    if problems:
        found[f"{name} ({page.url})"] = problems


# -- the workbook -------------------------------------------------------------------------------------


def _allowed_statuses(wb, ws, cell) -> list[str]:
    """The values the list validation on `cell` offers (it points at a range of the hidden _meta sheet)."""
    for dv in ws.data_validations.dataValidation:
        if dv.type == "list" and cell.coordinate in dv.sqref:
            formula = dv.formula1
            if formula.startswith('"'):  # an inline list "a,b,c"
                return formula.strip('"').split(",")
            m = re.fullmatch(r"'?([^'!]+)'?!\$?([A-Z]+)\$?(\d+):\$?([A-Z]+)\$?(\d+)", formula)
            assert m, formula
            sheet = wb[m[1]]
            values = [c.value for row in sheet[f"{m[2]}{m[3]}:{m[4]}{m[5]}"] for c in row]
            return [str(v) for v in values if v is not None]
    raise AssertionError(f"no drop-down on {cell.coordinate}")


def fill_workbook(source: Path, target: Path, measure: int, *, text: str, planned: datetime.date) -> dict:
    """Fill in the row of `measure` as a person would in Excel: a status from the cell's drop-down, the text,
    完了予定日. Returns what was entered, and what the row showed at download."""
    from openpyxl import load_workbook

    wb = load_workbook(source)
    ws = wb["回答"]
    assert ws.protection.sheet, "the answer sheet is protected (only the yellow cells are meant for input)"
    header_row = next(r for r in range(1, 16) if str(ws.cell(r, 1).value or "").startswith("措置ID"))
    columns = {
        str(ws.cell(header_row, c).value).split("\n")[0].strip(): c
        for c in range(1, ws.max_column + 1)
        if ws.cell(header_row, c).value
    }
    rows = [r for r in range(header_row + 1, ws.max_row + 1) if ws.cell(r, 1).value == measure]
    assert len(rows) == 1, f"measure {measure} is once in the workbook: rows {rows}"
    r = rows[0]
    editable = ["措置状況", "措置（対応）の内容", "措置年月日", "完了予定日", "措置しない理由"]
    before = {name: ws.cell(r, columns[name]).value for name in editable}
    for name in editable:
        assert ws.cell(r, columns[name]).protection.locked is False, f"{name} can be filled in"
    for name in ("措置ID", "番号", "表題"):
        assert ws.cell(r, columns[name]).protection.locked is not False, f"{name} is protected"
    assert ws.cell(r, columns["番号"]).value == CODE
    status_cell = ws.cell(r, columns["措置状況"])
    allowed = _allowed_statuses(wb, ws, status_cell)
    assert WANTED_STATUS in allowed, allowed
    assert "未着手" not in allowed, allowed  # a report never goes back to 未着手
    status_cell.value = WANTED_STATUS
    ws.cell(r, columns["措置（対応）の内容"]).value = text
    ws.cell(r, columns["完了予定日"]).value = planned
    wb.save(target)
    return {"before": before, "allowed": allowed}


# -- the journey --------------------------------------------------------------------------------------


def test_inquiry_round_download_answer_approve_and_scope(people, live_app, screenshots, today_tokyo, tmp_path):
    finding = live_app.findings[CODE]
    reply_by = today_tokyo + datetime.timedelta(days=30)
    planned = today_tokyo + datetime.timedelta(days=120)
    a11y: dict[str, list[str]] = {}

    # --- the audit office assigns 意見03 to 広報広聴課 on screen (the report names another section)
    auditor = people.as_user("b-auditor")
    assign(auditor, finding, SECTION, reply_by=(today_tokyo + datetime.timedelta(days=90)).isoformat())

    # --- データ取込・照会 → 照会 → 新しい照会を作成する
    nav(auditor, NAV_OFFICE)
    expect(auditor.get_by_role("heading", level=1)).to_have_text("データ取込")
    check_page(auditor, "import list (auditor)", a11y)
    auditor.get_by_role("link", name=re.compile("^照会")).click()
    expect(auditor.get_by_role("heading", level=1)).to_have_text("照会（措置状況の回答依頼）")
    check_page(auditor, "round list (auditor)", a11y)
    auditor.get_by_role("link", name="新しい照会を作成する").click()
    expect(auditor.get_by_role("heading", level=1)).to_have_text("照会の作成")
    check_page(auditor, "round form (auditor)", a11y)

    auditor.get_by_label("件名").fill(TITLE)
    auditor.get_by_label("回答期限").fill("1900-01-01")  # the browser accepts it; the server does not
    auditor.get_by_label("依頼文（任意）").fill(NOTE)
    # 指摘・意見: checkboxes under a heading per report, narrowed by their search box (no Ctrl+click)
    findings = auditor.get_by_role("group", name=re.compile("^指摘・意見"))
    findings.get_by_label("番号・表題・報告書で絞り込む").fill("意見03")
    expect(findings.locator("[data-pick-row]:visible")).to_have_count(1)
    expect(findings.locator("[data-picker-count]")).to_have_text("0 件を選択中")
    findings.get_by_role("checkbox", name=FINDING_LABEL, exact=True).check()
    expect(findings.locator("[data-picker-count]")).to_have_text("1 件を選択中")
    ticked = "bs => bs.filter(b => b.checked).map(b => b.labels[0].textContent)"
    assert auditor.locator("input[name=findings]").evaluate_all(ticked) == [FINDING_LABEL]
    # the section picker: checkboxes grouped by 局, narrowed by the search box (no Ctrl+click)
    auditor.get_by_label("課・局の名前で絞り込む").fill(SECTION_NAME)
    auditor.locator("fieldset[data-bureau]", has_text=BUREAU).get_by_label(SECTION_NAME, exact=True).check()
    checked = (
        "fs => fs.flatMap(f => [...f.querySelectorAll('input[data-section]:checked')]"
        ".map(i => f.dataset.bureau + ' ' + i.labels[0].textContent))"
    )
    assert auditor.locator("fieldset[data-bureau]").evaluate_all(checked) == [SECTION]
    with auditor.expect_response(lambda r: r.url.endswith("/imports/inquiries/new/")) as refused:
        auditor.get_by_role("button", name="照会を作成する").click()
    assert refused.value.status == 400
    error = auditor.locator(".field.has-error").filter(has=auditor.get_by_label("回答期限"))
    # the field's own message (the summary at the top of the form is the one alert)
    expect(error.locator(".error")).to_have_text("1926年〜2200年の日付を入力してください。")
    expect(auditor.locator(".field.has-error")).to_have_count(1)
    assert auditor.get_by_label("回答期限").evaluate(DANGLING_DESCRIBEDBY) == []
    check_page(auditor, "round form with an error (auditor)", a11y)
    # what was entered is kept; only the date is corrected
    expect(auditor.get_by_label("件名")).to_have_value(TITLE)
    assert auditor.locator("fieldset[data-bureau]").evaluate_all(checked) == [SECTION]
    assert auditor.locator("input[name=findings]").evaluate_all(ticked) == [FINDING_LABEL]
    auditor.get_by_label("回答期限").fill(reply_by.isoformat())
    screenshots(auditor, "11-inquiry-create")
    auditor.get_by_role("button", name="照会を作成する").click()
    expect(messages(auditor)).to_contain_text(f"照会「{TITLE}」を作成しました。")
    expect(auditor.get_by_role("heading", level=1)).to_have_text(f"照会：{TITLE}")
    round_id = int(re.search(r"/imports/inquiries/(\d+)/$", auditor.url).group(1))
    round_url = f"/imports/inquiries/{round_id}/"
    workbook_url = f"/imports/inquiries/{round_id}/workbook.xlsx"
    expect(meta_value(auditor, "回答期限")).to_have_text(wareki(reply_by))
    expect(meta_value(auditor, "依頼文")).to_have_text(NOTE)

    # the round page: 広報広聴課 未開封, one measure not yet reported; the office gets no upload form
    expect(auditor.locator("#sections tbody tr")).to_have_count(1)
    row = cells(section_row(auditor))
    assert row[:7] == [BUREAU, SECTION_NAME, "未開封", "1", "1", "0", "0"], row
    assert row[7:9] == ["—", "—"], row
    items = auditor.locator("#items tbody tr")
    expect(items).to_have_count(1)
    expect(items).to_contain_text("未作成")
    measure = int(
        re.search(r"/findings/measures/(\d+)/", items.get_by_role("link", name=CODE).get_attribute("href"))[1]
    )
    expect(auditor.get_by_role("button", name="アップロードして内容を確認する")).to_have_count(0)
    screenshots(auditor, "12-inquiry-round-office")
    check_page(auditor, "round detail (auditor)", a11y)

    # the office's support download does not mark the section as having downloaded
    office_link = section_row(auditor).get_by_role("link", name=re.compile(f"^{SECTION_NAME}の回答様式をダウンロード"))
    section_id = int(re.search(r"[?&]section=(\d+)", office_link.get_attribute("href"))[1])
    with auditor.expect_download() as office_download:
        office_link.click()
    assert office_download.value.failure() is None
    auditor.reload()
    assert cells(section_row(auditor))[2] == "未開封"

    # --- 広報広聴課's staff: 照会 in the header → the round → download the workbook
    staff = people.as_user("b-staff")
    nav(staff, NAV_SECTION)
    listed = staff.locator("#rounds tbody tr").filter(has=staff.get_by_role("link", name=TITLE, exact=True))
    expect(listed).to_contain_text("未開封")
    check_page(staff, "round list (staff)", a11y)
    assert open_round_from_list(staff, TITLE) == round_id
    expect(staff.locator("#own-state")).to_have_text("未開封")
    expect(staff.locator("#sections tbody tr")).to_have_count(1)  # only its own section
    with staff.expect_download() as download_info:
        staff.get_by_role("link", name="回答様式（Excel）をダウンロード").click()
    download = download_info.value
    assert download.failure() is None
    assert download.suggested_filename == f"照会{round_id}_回答様式_{SECTION_NAME}.xlsx"
    downloaded = tmp_path / "downloaded.xlsx"
    shutil.copyfile(download.path(), downloaded)
    assert downloaded.read_bytes()[:2] == b"PK"
    staff.reload()
    expect(staff.locator("#own-state")).to_have_text("ダウンロード済")
    expect(section_row(staff).locator("td").nth(7)).to_contain_text("広報 担当")
    screenshots(staff, "13-inquiry-round-section")
    check_page(staff, "round detail (staff)", a11y)
    auditor.reload()
    assert cells(section_row(auditor))[2] == "ダウンロード済"

    # a file that is not the workbook is refused on the round page with the reason, nothing stored
    assert staff.get_by_label(UPLOAD_LABEL).evaluate(DANGLING_DESCRIBEDBY) == []
    staff.get_by_label(UPLOAD_LABEL).set_input_files(
        files=[{"name": "回答.csv", "mimeType": "text/csv", "buffer": "番号,措置状況\n意見03,措置中\n".encode()}]
    )
    with staff.expect_response(lambda r: r.url.endswith(f"{round_url}upload/")) as refused:
        staff.get_by_role("button", name="アップロードして内容を確認する").click()
    assert refused.value.status == 400
    expect(staff.locator(".field.has-error .error")).to_be_visible()
    expect(staff.locator(".error-summary[role=alert]")).to_be_visible()  # the form's one alert, on top
    assert staff.get_by_label(UPLOAD_LABEL).evaluate(DANGLING_DESCRIBEDBY) == []
    check_page(staff, "round detail with upload error (staff)", a11y)
    staff.goto(round_url)
    expect(staff.locator("#own-state")).to_have_text("ダウンロード済")

    # --- fill the workbook in (openpyxl, as Excel would) and upload it: the preview lists the change
    answer = tmp_path / download.suggested_filename
    filled = fill_workbook(downloaded, answer, measure, text=ANSWER_TEXT, planned=planned)
    assert filled["before"] == dict.fromkeys(filled["before"]), filled  # unreported: the yellow cells are empty
    staff.get_by_label(UPLOAD_LABEL).set_input_files(str(answer))
    staff.get_by_role("button", name="アップロードして内容を確認する").click()
    staff.wait_for_url(re.compile(r"/imports/\d+/$"))
    batch = int(re.search(r"/imports/(\d+)/$", staff.url)[1])
    expect(staff.get_by_role("heading", level=1)).to_have_text(f"取込 {batch}：{answer.name}")
    expect(staff.locator("#batch-state")).to_have_text("確認待ち")
    expect(staff.locator("p.crumbs").get_by_role("link", name=TITLE)).to_have_attribute("href", round_url)
    expect(staff.locator("#problems")).to_have_count(0)
    expect(staff.locator("#warnings")).to_have_count(0)
    assert summary_row(staff, ITEM_LABEL) == ["1", "0", "0", "0"]
    key = f"{CODE} / {SECTION_NAME}"
    assert change_rows(staff, ITEM_LABEL) == [
        [key, "措置状況", "—", WANTED_STATUS],  # — : there was no report before
        [key, "措置（対応）の内容", "—", ANSWER_TEXT],
        [key, "完了予定日", "—", wareki(planned)],
        [key, "報告日（時点）", "—", wareki(today_tokyo)],
    ]
    expect(staff.get_by_role("button", name="この内容で取り込む")).to_be_visible()
    screenshots(staff, "14-inquiry-preview")
    check_page(staff, "inquiry batch preview (staff)", a11y)

    # nothing is written before confirming
    look = people.as_user("b-staff", start=None)
    look.goto(f"/findings/measures/{measure}/")
    expect(look.get_by_role("heading", name="新しい報告を作成する")).to_be_visible()
    expect(look.get_by_role("heading", name=re.compile("^現在の報告"))).to_have_count(0)
    look.goto(round_url)
    expect(look.locator("#own-state")).to_have_text("ダウンロード済")

    # --- この内容で取り込む → back on the round page: 回答済（課長承認待ち）
    staff.get_by_role("button", name="この内容で取り込む").click()
    expect(messages(staff)).to_contain_text("取り込みました（作成 1・変更 0・削除 0・変更なし 0）。")
    assert staff.url.endswith(round_url)
    expect(staff.locator("#own-state")).to_have_text("回答済（課長承認待ち）")
    row = cells(section_row(staff))
    assert row[2:7] == ["回答済（課長承認待ち）", "1", "0", "1", "0"], row
    assert "広報 担当" in row[8], row
    expect(staff.locator("#items tbody tr")).to_contain_text(f"作成中・{WANTED_STATUS}（広報 担当）")
    screenshots(staff, "15-inquiry-answered")

    # the measure page (from the round's list) shows the draft with exactly the values of the workbook
    staff.locator("#items").get_by_role("link", name=CODE, exact=True).click()
    expect(staff.get_by_role("heading", level=1)).to_have_text(f"措置：{CODE}（{SECTION}）")
    assert staff.url.endswith(f"/findings/measures/{measure}/")
    expect(staff.get_by_role("heading", name="現在の報告（作成中）")).to_be_visible()
    expect(meta_value(staff, "報告日")).to_have_text(wareki(today_tokyo))
    expect(meta_value(staff, "措置状況")).to_have_text(WANTED_STATUS)
    expect(meta_value(staff, "措置（対応）の内容")).to_have_text(ANSWER_TEXT)
    expect(meta_value(staff, "完了予定日")).to_have_text(wareki(planned))
    for absent in ("措置年月日", "措置しない理由"):
        expect(staff.locator("dl.meta dt").filter(has_text=re.compile(f"^{absent}$"))).to_have_count(0)
    expect(meta_value(staff, "作成・編集")).to_contain_text("広報 担当（最終編集 広報 担当")
    expect(staff.get_by_label("措置状況").locator("option:checked")).to_have_text(WANTED_STATUS)
    expect(staff.get_by_label("報告日（この内容の時点）")).to_have_value(wareki(today_tokyo))
    expect(staff.get_by_label("措置（対応）の内容")).to_have_value(ANSWER_TEXT)
    expect(staff.get_by_label("完了予定日")).to_have_value(wareki(planned))
    expect(staff.get_by_label("措置年月日（措置済の場合）")).to_have_value("")
    expect(staff.get_by_label("措置しない理由（措置しない場合）")).to_have_value("")
    history = staff.locator("table.list").last.locator("tbody tr")
    expect(history).to_have_count(1)
    expect(history).to_contain_text("作成中")
    expect(staff.get_by_role("button", name=re.compile("承認"))).to_have_count(0)  # staff does not approve

    # --- 課長 (head1, who did not write it) approves it on the measure page, from 自課の措置
    head1 = people.as_user("b-head1")
    nav(head1, "自課の措置")
    group = head1.get_by_role("heading", level=2, name=re.compile("^課長の承認待ち"))
    group.locator("xpath=following-sibling::*[1]").get_by_role("link", name=CODE, exact=True).click()
    expect(head1.get_by_role("heading", level=1)).to_have_text(f"措置：{CODE}（{SECTION}）")
    head1.get_by_role("button", name=APPROVE).click()
    expect(messages(head1)).to_contain_text("承認し、監査事務局へ提出しました。")
    expect(head1.get_by_role("heading", name="現在の報告（課長承認済・審査待ち）")).to_be_visible()
    expect(meta_value(head1, "承認・提出")).to_contain_text("広報 課長一")

    # the round shows 課長承認済 for the section, to the office and to the section
    auditor.goto(round_url)
    row = cells(section_row(auditor))
    assert row[2:7] == ["課長承認済", "1", "0", "0", "1"], row
    expect(auditor.locator("#items tbody tr")).to_contain_text(f"課長承認済・審査待ち・{WANTED_STATUS}")
    screenshots(auditor, "16-inquiry-approved")
    staff.goto(round_url)
    expect(staff.locator("#own-state")).to_have_text("課長承認済")
    nav(auditor, NAV_OFFICE)
    auditor.get_by_role("link", name=re.compile("^照会")).click()
    listed = auditor.locator("#rounds tbody tr").filter(has=auditor.get_by_role("link", name=TITLE, exact=True))
    expect(listed).to_contain_text("課長承認済 1")

    # --- another section's staff: not in their list; 404 for the round, its workbook, an upload and the batch
    other = people.as_user("b-other")
    nav(other, NAV_SECTION)
    expect(other.get_by_role("link", name=TITLE, exact=True)).to_have_count(0)
    response = other.goto(round_url)
    assert response.status == 404
    expect(other.locator("body")).not_to_contain_text(TITLE)
    for url in (workbook_url, f"{workbook_url}?section={section_id}"):
        response = other.request.get(url)
        assert response.status == 404, url
        assert response.headers.get("content-disposition") is None, url
    other.goto("/findings/")
    forged = other.request.post(
        f"{round_url}upload/",
        multipart={
            "csrfmiddlewaretoken": csrf_token(other),
            "file": {
                "name": answer.name,
                "mimeType": XLSX,
                "buffer": answer.read_bytes(),
            },
        },
    )
    assert forged.status == 404
    assert other.goto(f"/imports/{batch}/").status == 404
    # the audit office cannot answer for a section either (403: it sees the round, but answers are the section's)
    auditor.goto(round_url)
    forged = auditor.request.post(
        f"{round_url}upload/",
        multipart={
            "csrfmiddlewaretoken": csrf_token(auditor),
            "file": {"name": answer.name, "mimeType": XLSX, "buffer": answer.read_bytes()},
        },
    )
    assert forged.status == 403
    # nothing came of it: no batch by 市民課, the round unchanged
    auditor.goto("/imports/")
    expect(auditor.locator("table.list tbody tr", has_text="市民 担当")).to_have_count(0)
    expect(auditor.locator("table.list tbody tr", has_text=answer.name)).to_have_count(1)  # the staff's answer only
    auditor.goto(round_url)
    assert cells(section_row(auditor))[2] == "課長承認済"

    assert not a11y, "\n\n".join(f"{page}:\n" + "\n".join(problems) for page, problems in a11y.items())
