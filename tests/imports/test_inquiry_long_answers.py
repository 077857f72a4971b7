"""The 照会 answer workbook with answers far longer than a cell prints (Excel's tallest row, 409 points, holds
about 900 characters in the answer column at 10 pt). The 回答 sheet keeps one row per measure with the whole
answer (what the upload reads); the 印刷用 sheet prints it whole, once, in order, through formulas on the
回答 cells, so an answer edited in the workbook prints as edited. Data: one section's 33 measures with accepted
reports of 400–800 characters, two of them replaced by answers of 6,000 and 10,000 characters with line
breaks and blank lines."""

import datetime
import io
import shutil
import subprocess

import pytest
from openpyxl import load_workbook

from auditreg import xlsx
from auditreg.choices import Role
from auditreg.models import Section
from findings.models import Finding, MeasureReport
from imports import inquiry, pipeline
from imports.choices import BatchKind
from imports.inquiry import printsheet
from tests.factories import long_measures
from tests.libreoffice import FOOTER_BAND, columns_below_header, needs_libreoffice, page_count, squash, to_pdf, words

from .helpers import upload

pytestmark = pytest.mark.django_db

TEXT = [k for k, *_ in inquiry.LOCKED + inquiry.EDITABLE].index("text") + 1  # the answer's column on 回答


def _answer(n: int, every: int, seed: str) -> str:
    """`n` characters of numbered sentences (each number once, so a piece printed twice or out of order shows),
    a line break after every `every` sentences and a blank line after every 3 × `every`."""
    parts, i = [], 0
    while sum(len(p) for p in parts) < n:
        i += 1
        parts.append(f"{seed}{i}として、所管課は関係部署と協議のうえ事務の手順を見直し、その結果を文書にまとめた。")
        if i % every == 0:
            parts.append("\n\n" if i % (3 * every) == 0 else "\n")
    return "".join(parts)[:n].strip()


SIX = _answer(6000, 4, "第")
TEN = _answer(10000, 3, "項目")


@pytest.fixture
def long_round(make_user, report):
    long_measures(report, low=400, high=800, sections=1)
    section = Section.objects.order_by("bureau__order", "order").first()
    findings = list(Finding.objects.filter(report=report).order_by("order"))
    for finding, text in ((findings[2], SIX), (findings[5], TEN)):
        MeasureReport.objects.filter(measure__finding=finding, measure__section=section).update(text=text)
    staff = make_user("long_answer_staff", Role.SECTION_STAFF, section)
    round_ = inquiry.round_create(
        title="令和7年度 措置状況照会（長い回答）",
        reply_by=datetime.date(2026, 1, 30),
        findings=findings,
        sections=[section],
        by=make_user("long_answer_auditor", Role.AUDITOR),
    )
    content = inquiry.section_workbook(inquiry_round=round_, section=section, by=None)
    return round_, section, staff, content


def _answers(content) -> list[str]:
    ws = load_workbook(io.BytesIO(content))[inquiry.SHEET]
    return [ws.cell(row=r, column=TEXT).value or "" for r in range(6, ws.max_row + 1)]


def test_the_answer_sheet_has_one_row_per_measure_holding_the_whole_answer(long_round):
    round_, section, _, content = long_round
    ws = load_workbook(io.BytesIO(content))[inquiry.SHEET]
    ids = [ws.cell(row=r, column=1).value for r in range(6, ws.max_row + 1)]
    expected = {m.pk: m.latest_report.text.strip() for m in inquiry.section_items(round_, section_ids=[section.pk])}
    assert len(ids) == 33 and set(ids) == set(expected)  # no continuation rows any more
    assert dict(zip(ids, _answers(content), strict=True)) == expected
    assert SIX in expected.values() and TEN in expected.values()
    for r in range(6, ws.max_row + 1):
        assert ws.row_dimensions[r].height <= xlsx.MAX_ROW_HEIGHT


def test_the_print_sheet_is_protected_formulas_on_the_answer_cells(long_round):
    content = long_round[3]
    wb = load_workbook(io.BytesIO(content))
    assert wb.sheetnames[:2] == [inquiry.SHEET, printsheet.PRINT_SHEET]
    ws = wb[printsheet.PRINT_SHEET]
    assert ws.protection.sheet
    answer_col = printsheet.KEYS.index("text") + 1
    formulas = [ws.cell(row=r, column=answer_col).value for r in range(printsheet.FIRST_BODY_ROW, ws.max_row + 1)]
    assert formulas and all(isinstance(f, str) and f"'{inquiry.SHEET}'!$I$" in f for f in formulas)
    # every body row is one fixed height that holds a full piece of the answer at Excel's metrics
    cap = printsheet.capacity(printsheet.WIDTHS[answer_col - 1])
    per_line = xlsx.chars_per_line(printsheet.WIDTHS[answer_col - 1])
    for piece in printsheet.chunks(TEN, cap) + printsheet.chunks(SIX, cap):
        lines = xlsx.line_count(piece, per_line)
        assert lines * xlsx.FONT_SIZE * xlsx.LINE_HEIGHT + xlsx.ROW_PADDING <= printsheet.ROW_HEIGHT, piece
    for r in range(printsheet.FIRST_BODY_ROW, ws.max_row + 1):
        assert ws.row_dimensions[r].height == printsheet.ROW_HEIGHT


# a surrogate pair, an ideographic variation sequence, combining voiced marks, a ZWJ sequence, a combining accent
JOINED = "𠮷野家の葛\U000e0100飾区" + "か\u3099き\u309a" + "👨\u200d👩\u200d👧" + "e\u0301"


def test_the_chunks_give_the_text_back_and_never_split_a_character():
    tricky = (JOINED + "。\n") * 400
    for text in (SIX, TEN, tricky, JOINED * 300, "\n\n\n" + SIX[:500], "。" * 700):
        for cap in (50, 252, 500):
            pieces = printsheet.chunks(text, cap)
            # joined with the line break each skipped, the pieces are the text
            rebuilt, s = "", 0
            for piece in pieces:
                assert text.startswith(piece, s)
                s += len(piece)
                rebuilt += piece
                if s < len(text) and text[s] == "\n" and piece is not pieces[-1]:
                    rebuilt, s = rebuilt + "\n", s + 1
            assert rebuilt == text
            assert all(len(p) <= cap and p.count("\n") <= printsheet.BREAKS for p in pieces)
            s = 0
            for piece in pieces[:-1]:
                s += len(piece)
                if text[s] == "\n":
                    s += 1
                assert not printsheet.joins_previous(text, s), (cap, s, text[s - 2 : s + 2])


def _printed(pdf, content, key, *, allow_blank=False) -> str:
    """Column `key` as printed on the 印刷用 pages (the 回答 sheet prints its heading lines only)."""
    ws = load_workbook(io.BytesIO(content))[printsheet.PRINT_SHEET]
    headers = [str(ws.cell(row=printsheet.FIRST_BODY_ROW - 1, column=c).value) for c in range(1, 12)]
    found = words(pdf)
    cover = {w.page for w in found if "黄色の列だけを入力" in w.text}
    assert cover == {1}, cover  # page 1: the 回答 sheet's heading lines, without its table
    assert not any(w.page == 1 and w.text.startswith("措置（対応）") for w in found)
    printed = [""] * len(headers)
    for page in range(2, page_count(pdf) + 1):
        on_page = [w for w in found if w.page == page]
        head = min(w.y for w in on_page if w.text == "番号")
        if not any(head + 20 < w.y < w.page_height - FOOTER_BAND for w in on_page):
            # a page of the rows an answer shortened in the workbook left empty: blank below its header
            assert allow_blank, f"page {page} is blank"
            continue
        columns = columns_below_header(found, headers, range(page, page + 1))
        printed = [a + b for a, b in zip(printed, columns, strict=True)]
    return printed[printsheet.KEYS.index(key)]


def _printed_answers(pdf, content, *, allow_blank=False) -> str:
    return _printed(pdf, content, "text", allow_blank=allow_blank)


def _labels(content) -> str:
    """The 番号 column as it should print: a row that holds no locked text is labelled only when a piece of
    its measure's answer or reason falls in it."""
    wb = load_workbook(io.BytesIO(content))
    ws, ps = wb[inquiry.SHEET], wb[printsheet.PRINT_SHEET]
    texts = {}
    for r in range(6, ws.max_row + 1):
        texts[ws.cell(row=r, column=2).value] = [ws.cell(row=r, column=c).value or "" for c in (TEXT, TEXT + 3)]
    out, code, k = [], None, 0
    for r in range(printsheet.FIRST_BODY_ROW, ps.max_row + 1):
        v = ps.cell(row=r, column=1).value
        if v in texts:
            code, k = v, 0
        k += v not in texts
        if isinstance(v, str) and v.startswith("="):
            answer, reason = texts[code]
            cap = printsheet.CAPACITY
            shown = k < len(printsheet.chunks(answer, cap["text"])) or k < len(printsheet.chunks(reason, cap["reason"]))
            v = f"{code}（続き）" if shown else ""
        out.append(squash(v))
    return "".join(out)


@needs_libreoffice
def test_libreoffice_prints_every_answer_character_once_and_in_order(long_round, tmp_path):
    content = long_round[3]
    pdf = to_pdf(content, tmp_path, "long-answers")
    printed = _printed_answers(pdf, content)
    expected = squash("".join(_answers(content)))
    assert printed == expected  # nothing twice, nothing missing, nothing out of order
    assert squash(SIX) in printed and squash(TEN) in printed


@needs_libreoffice
def test_an_answer_edited_in_the_workbook_prints_as_edited(long_round, tmp_path):
    content = long_round[3]
    wb = load_workbook(io.BytesIO(content))
    ws = wb[inquiry.SHEET]
    rows = {ws.cell(row=r, column=TEXT).value: r for r in range(6, ws.max_row + 1)}
    edited = "【改訂】" + TEN[:3000].replace("所管課", "担当課") + "\n\n追記：令和8年3月までに完了する予定である。"
    ws.cell(row=rows[TEN], column=TEXT, value=edited)  # as a section would, in the cell
    ws.cell(row=rows[SIX], column=TEXT, value="短くした回答。")
    buffer = io.BytesIO()
    wb.save(buffer)
    edited_content = buffer.getvalue()
    pdf = to_pdf(edited_content, tmp_path, "edited")
    printed = _printed_answers(pdf, edited_content, allow_blank=True)
    assert printed == squash("".join(_answers(edited_content)))
    assert squash(edited) in printed and squash(TEN) not in printed and squash(SIX[:200]) not in printed
    # the rows the shortened answer left empty print without a 番号（続き）
    labels = _printed(pdf, edited_content, "code", allow_blank=True)
    assert labels == _labels(edited_content) and len(labels) < len(_labels(long_round[3]))


@needs_libreoffice
def test_libreoffice_calculates_the_pieces_as_the_python_rule(long_round, tmp_path):
    """LibreOffice saves what it calculated: each printed cell holds the piece `chunks` gives, also for text
    with surrogate pairs, ideographic variation selectors, combining marks and ZWJ sequences."""
    content = long_round[3]
    wb = load_workbook(io.BytesIO(content))
    ws = wb[inquiry.SHEET]
    tricky = JOINED * 60
    cap = printsheet.capacity(printsheet.WIDTHS[printsheet.KEYS.index("text")])
    assert any(len(p) < cap for p in printsheet.chunks(tricky, cap)[:-1])  # some cuts step back before a joiner
    rows = {ws.cell(row=r, column=TEXT).value: r for r in range(6, ws.max_row + 1)}
    ws.cell(row=rows[TEN], column=TEXT, value=tricky)
    calculated = _calculated(wb, tmp_path)
    ps = calculated[printsheet.PRINT_SHEET]
    col = printsheet.KEYS.index("text") + 1
    cells = [ps.cell(row=r, column=col).value for r in range(printsheet.FIRST_BODY_ROW, ps.max_row + 1)]
    expected = [p for t in _answers(buffer_of(wb)) for p in printsheet.chunks(t, cap)]
    assert [c for c in cells if c] == [p for p in expected if p]
    assert ps.cell(row=3, column=1).value in (None, "")  # no answer is longer than its block


@needs_libreoffice
def test_an_answer_grown_beyond_its_block_is_flagged_above_the_table(long_round, tmp_path):
    wb = load_workbook(io.BytesIO(long_round[3]))
    ws = wb[inquiry.SHEET]
    rows = {ws.cell(row=r, column=TEXT).value: r for r in range(6, ws.max_row + 1)}
    ws.cell(row=rows[SIX], column=TEXT, value=SIX + TEN)  # 16,000 characters where the block holds 6,000
    assert _calculated(wb, tmp_path)[printsheet.PRINT_SHEET].cell(row=3, column=1).value == printsheet.OVERFLOW


def _calculated(wb, tmp_path):
    """The workbook as LibreOffice calculated it (it stores the values when it saves)."""
    source = tmp_path / "tricky.xlsx"
    wb.save(source)
    out = tmp_path / "calc"
    out.mkdir()
    subprocess.run(
        [
            shutil.which("libreoffice") or "libreoffice",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            str(source),
        ],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        check=True,
        capture_output=True,
        timeout=240,
    )
    return load_workbook(out / "tricky.xlsx", data_only=True)


def buffer_of(wb) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_the_long_answer_workbook_uploads_as_unchanged_and_the_print_sheet_is_not_read(long_round):
    round_, section, staff, content = long_round
    batch = pipeline.stage(
        kind=BatchKind.INQUIRY, upload=upload(content, "answer.xlsx"), by=staff, inquiry_round=round_, section=section
    )
    assert batch.problems == []
    assert batch.summary == {inquiry.ITEM_LABEL: {"created": 0, "updated": 0, "unchanged": 33, "deleted": 0}}


def test_an_edited_print_sheet_changes_nothing(long_round):
    """Whatever is typed into the 印刷用 sheet (its protection has no password) is not read."""
    round_, section, staff, content = long_round
    wb = load_workbook(io.BytesIO(content))
    ps = wb[printsheet.PRINT_SHEET]
    ps.protection.sheet = False
    for r in range(printsheet.FIRST_BODY_ROW, ps.max_row + 1):
        ps.cell(row=r, column=printsheet.KEYS.index("text") + 1, value="印刷用シートに書いた別の文章")
    batch = pipeline.stage(
        kind=BatchKind.INQUIRY,
        upload=upload(buffer_of(wb), "answer.xlsx"),
        by=staff,
        inquiry_round=round_,
        section=section,
    )
    assert batch.problems == []
    assert batch.summary[inquiry.ITEM_LABEL]["unchanged"] == 33
