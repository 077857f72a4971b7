"""The 照会 answer workbook as LibreOffice prints it: one page wide, the header row on every page, every
cell whole (no clipped rows), and the internal 措置ID column neither shown nor printed. Data: the real
report's 33 findings for one section, each with an accepted measure as long as a row holds (400–800
characters: Excel's tallest row, 409 points, holds about 850 characters in the 58-wide column)."""

import datetime
import io
import math
import re

import pytest
from openpyxl import load_workbook

from auditreg import wareki, xlsx
from auditreg.choices import Role
from auditreg.models import Section
from findings.models import Finding
from imports import inquiry
from imports.inquiry import printsheet
from tests.factories import long_measures
from tests.libreoffice import columns_below_header, needs_libreoffice, page_count, squash, to_pdf, words

pytestmark = pytest.mark.django_db


@pytest.fixture
def answer(make_user, report):
    long_measures(report, low=400, high=800, sections=1)
    section = Section.objects.order_by("bureau__order", "order").first()
    auditor = make_user("print_auditor", Role.AUDITOR)
    round_ = inquiry.round_create(
        title="令和7年度 第2回 措置状況照会",
        reply_by=datetime.date(2026, 1, 30),
        findings=list(Finding.objects.filter(report=report)),
        sections=[section],
        note="各課の措置の状況を、期限までに回答してください。" * 4,
        by=auditor,
    )
    return inquiry.section_workbook(inquiry_round=round_, section=section, by=None)


def test_rows_hold_their_text(answer):
    ws = load_workbook(io.BytesIO(answer))[inquiry.SHEET]
    widths = [w for *_, w in inquiry.LOCKED + inquiry.EDITABLE]
    rows = list(ws.iter_rows(min_row=6, values_only=True))
    assert len(rows) == 33
    sizes = [ws.cell(row=6, column=c).font.sz for c in range(1, len(widths) + 1)]
    assert sizes[3] == 9  # the report's text, smaller, so that a row holds it
    for i, values in enumerate(rows, start=6):
        needed = max(
            xlsx.line_count(v, xlsx.chars_per_line(w, pt)) * pt * xlsx.LINE_HEIGHT
            for v, w, pt in zip(values, widths, sizes, strict=True)
            if isinstance(v, str) and v
        )
        height = ws.row_dimensions[i].height
        assert needed <= height < xlsx.MAX_ROW_HEIGHT, (i, needed, height)


@needs_libreoffice
def test_libreoffice_prints_the_answer_workbook_one_page_wide_and_whole(answer, tmp_path):
    """Page 1: the 回答 sheet's heading lines (its print area); then the 印刷用 sheet, one page wide, its header
    row on every page, every column's text whole and once, dates in 和暦, and no 措置ID."""
    pdf = to_pdf(answer, tmp_path, "inquiry")
    wb = load_workbook(io.BytesIO(answer))
    ws = wb[inquiry.SHEET]
    headers = [str(c.value) for c in wb[printsheet.PRINT_SHEET][printsheet.FIRST_BODY_ROW - 1]][: len(printsheet.KEYS)]
    n = page_count(pdf)
    found = words(pdf)
    assert {w.page for w in found if "黄色の列だけを入力" in w.text} == {1}
    printed = columns_below_header(found, headers, range(2, n + 1))
    rows = list(ws.iter_rows(min_row=6, values_only=True))
    for c, key in enumerate(printsheet.KEYS):
        entry_col = [k for k, *_ in inquiry.LOCKED + inquiry.EDITABLE].index(key)
        expected = "".join(squash(_shown(r[entry_col])) for r in rows)
        if key == "code":  # the rows after a measure's first say whose they are: 指摘01（続き）
            ps = wb[printsheet.PRINT_SHEET]
            labels = [ps.cell(row=r, column=1).value for r in range(printsheet.FIRST_BODY_ROW, ps.max_row + 1)]
            # a row with no locked text labels itself when its answer or reason has a piece (every row, here)
            labels = [re.sub(r'^=IF\(.*,"(.+)"&CHAR\(10\)&"(（続き）)",""\)$', r"\1\2", v) for v in labels]
            assert "".join(squash(v) for v in labels if "続き" not in v) == expected
            expected = "".join(squash(v) for v in labels)
        assert printed[c] == expected, f"column {headers[c]} differs on paper"
    # the 措置ID neither prints as a header nor as a value
    assert not any(w.text.startswith("措置ID") for w in found)
    ids = {str(r[0]) for r in rows}
    assert not any(w.text in ids for w in found if w.x < 60)
    # at least four of the fixed-height rows a page (Excel's scale; LibreOffice's is smaller), plus the first page
    body = wb[printsheet.PRINT_SHEET].max_row - printsheet.FIRST_BODY_ROW + 1
    assert n - 1 <= math.ceil(body / 4) + 1, (n, body)


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return wareki.format_date(value.date())
    return str(value)
