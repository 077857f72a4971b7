"""The 照会 answer workbook as LibreOffice prints it: one page wide, the header row on every page, every
cell whole (no clipped rows), and the internal 措置ID column neither shown nor printed. Data: the real
report's 33 findings for one section, each with an accepted measure as long as a row holds (400–800
characters: Excel's tallest row, 409 points, holds about 850 characters in the 58-wide column)."""

import datetime
import io
import math

import pytest
from openpyxl import load_workbook

from auditreg import xlsx
from auditreg.choices import Role
from auditreg.models import Section
from findings.models import Finding
from imports import inquiry
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
    pdf = to_pdf(answer, tmp_path, "inquiry")
    ws = load_workbook(io.BytesIO(answer))[inquiry.SHEET]
    headers = [str(c.value) for c in ws[5]]
    n = page_count(pdf)
    found = words(pdf)
    # every page carries the header row of all the visible columns: the table is one page wide
    printed = columns_below_header(found, headers[1:], range(1, n + 1))
    rows = list(ws.iter_rows(min_row=6, values_only=True))
    for c, name in enumerate(headers[1:], start=1):
        expected = "".join(squash(_shown(r[c])) for r in rows)
        assert printed[c - 1] == expected, f"column {name.splitlines()[0]} differs on paper"
    # the 措置ID neither prints as a header nor as a value
    assert not any(w.text.startswith("措置ID") for w in found)
    ids = {str(r[0]) for r in rows}
    assert not any(w.text in ids for w in found if w.x < 60)
    # the pages the rows need, packed, and at most half as many again
    height = sum(ws.row_dimensions[i].height for i in range(6, 6 + len(rows)))
    page = xlsx.page_lines([w for *_, w in inquiry.LOCKED + inquiry.EDITABLE][1:]) * xlsx.FONT_SIZE * xlsx.LINE_HEIGHT
    assert math.floor(0.5 * height / page) <= n <= math.ceil(1.5 * height / page) + 1, (n, height, page)


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return f"{value.year}/{value.month}/{value.day}"
    return str(value)
