"""The 照会 answer workbook with answers longer than Excel's tallest row holds (409 points: about 900 characters
in the 58-wide answer column at 10 pt). Before, such a row was capped at 409 points and the end of the answer
was cut off on paper. Now a long text prints smaller (down to MIN_FONT_SIZE, about 2,600 characters): on paper
every answer is whole, and the upload still reads it back unchanged. Data: one section's 33 measures with
accepted reports of 1,200–2,200 characters."""

import datetime
import io

import pytest
from openpyxl import load_workbook

from auditreg import xlsx
from auditreg.choices import Role
from auditreg.models import Section
from findings.models import Finding, MeasureReport
from imports import inquiry, pipeline
from imports.choices import BatchKind
from imports.inquiry.workbook import MIN_FONT_SIZE
from tests.factories import long_measures
from tests.libreoffice import columns_below_header, needs_libreoffice, page_count, squash, to_pdf, words

from .helpers import upload

pytestmark = pytest.mark.django_db

WIDTHS = [w for *_, w in inquiry.LOCKED + inquiry.EDITABLE]
TEXT = len(inquiry.LOCKED) + inquiry.FIELD_ORDER.index("text")  # 0-based column of the answer


@pytest.fixture
def long_answers(make_user, report):
    long_measures(report, low=1200, high=2200, sections=1)
    section = Section.objects.order_by("bureau__order", "order").first()
    staff = make_user("long_answer_staff", Role.SECTION_STAFF, section)
    round_ = inquiry.round_create(
        title="令和7年度 措置状況照会（長い回答）",
        reply_by=datetime.date(2026, 1, 30),
        findings=list(Finding.objects.filter(report=report)),
        sections=[section],
        by=make_user("long_answer_auditor", Role.AUDITOR),
    )
    content = inquiry.section_workbook(inquiry_round=round_, section=section, by=None)
    return round_, section, staff, content


def _rows(ws):
    """Each measure's (row, values)."""
    return [(r, [ws.cell(row=r, column=c).value for c in range(1, len(WIDTHS) + 1)]) for r in range(6, ws.max_row + 1)]


def test_every_text_fits_its_rows_and_long_answers_are_kept_whole(long_answers):
    round_, section, _, content = long_answers
    ws = load_workbook(io.BytesIO(content))[inquiry.SHEET]
    rows = _rows(ws)
    assert len(rows) == 33
    for r, values in rows:
        height = ws.row_dimensions[r].height
        assert height <= xlsx.MAX_ROW_HEIGHT
        for c, value in enumerate(values[1:], start=2):
            if isinstance(value, str) and value:
                pt = ws.cell(row=r, column=c).font.sz
                assert pt >= MIN_FONT_SIZE
                lines = xlsx.line_count(value, xlsx.chars_per_line(WIDTHS[c - 1], pt))
                assert lines * pt * xlsx.LINE_HEIGHT <= height, (r, c, lines, pt, height)
    # the answers are the accepted reports' texts, whole, and most print smaller than 10 pt to fit
    expected = {m.pk: m.latest_report.text for m in inquiry.section_items(round_, section_ids=[section.pk])}
    assert {values[0]: values[TEXT] for _, values in rows} == {pk: t.strip() for pk, t in expected.items()}
    assert max(len(values[TEXT]) for _, values in rows) > 2000
    assert sum(ws.cell(row=r, column=TEXT + 1).font.sz < xlsx.FONT_SIZE for r, _ in rows) > 20


def test_an_unchanged_long_answer_workbook_uploads_as_unchanged(long_answers):
    round_, section, staff, content = long_answers
    batch = pipeline.stage(
        kind=BatchKind.INQUIRY, upload=upload(content, "answer.xlsx"), by=staff, inquiry_round=round_, section=section
    )
    assert batch.problems == []
    assert batch.summary == {inquiry.ITEM_LABEL: {"created": 0, "updated": 0, "unchanged": 33, "deleted": 0}}


@needs_libreoffice
def test_libreoffice_prints_every_long_answer_whole(long_answers, tmp_path):
    _, _, _, content = long_answers
    pdf = to_pdf(content, tmp_path, "long-answers")
    ws = load_workbook(io.BytesIO(content))[inquiry.SHEET]
    headers = [str(c.value) for c in ws[5]]
    n = page_count(pdf)
    printed = columns_below_header(words(pdf), headers[1:], range(1, n + 1))
    rows = _rows(ws)
    for c, name in enumerate(headers[1:], start=1):
        expected = "".join(squash(_shown(values[c])) for _, values in rows)
        assert printed[c - 1] == expected, f"column {name.splitlines()[0]} differs on paper"


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return f"{value.year}/{value.month}/{value.day}"
    return str(value)


LONG = "".join(
    f"第{i}項として、所管課は関係部署と協議のうえ事務の手順を見直し、その結果を文書にまとめた。" for i in range(1, 200)
)[:6000]


@pytest.fixture
def very_long_answer(make_user, report):
    """One section's 33 measures with answers of 400–800 characters, one of them 6,000 characters long."""
    long_measures(report, low=400, high=800, sections=1)
    section = Section.objects.order_by("bureau__order", "order").first()
    finding = Finding.objects.filter(report=report).order_by("order")[2]
    MeasureReport.objects.filter(measure__finding=finding, measure__section=section).update(text=LONG)
    staff = make_user("very_long_staff", Role.SECTION_STAFF, section)
    round_ = inquiry.round_create(
        title="令和7年度 措置状況照会（6,000字の回答）",
        reply_by=datetime.date(2026, 1, 30),
        findings=list(Finding.objects.filter(report=report)),
        sections=[section],
        by=make_user("very_long_auditor", Role.AUDITOR),
    )
    content = inquiry.section_workbook(inquiry_round=round_, section=section, by=None)
    return round_, section, staff, content


def _continued(ws):
    """The rows that continue an answer for print: (row, 番号, answer piece)."""
    return [
        (r, ws.cell(row=r, column=2).value, ws.cell(row=r, column=TEXT + 1).value)
        for r in range(6, ws.max_row + 1)
        if ws.cell(row=r, column=1).value == inquiry.CONTINUATION
    ]


def test_a_6000_character_answer_keeps_its_cell_whole_and_continues_below(very_long_answer):
    _, _, _, content = very_long_answer
    ws = load_workbook(io.BytesIO(content))[inquiry.SHEET]
    rows = [(r, v) for r, v in _rows(ws) if v[0] != inquiry.CONTINUATION]
    assert len(rows) == 33
    ((main, values),) = [(r, v) for r, v in rows if v[TEXT] and len(v[TEXT]) > 2600]
    assert values[TEXT] == LONG  # the cell the upload reads holds the whole answer
    continued = _continued(ws)
    assert [r for r, _, _ in continued] == list(range(main + 1, main + 1 + len(continued)))
    assert len(continued) >= 1 and {n for _, n, _ in continued} == {f"{values[1]}（続き）"}
    rest = "".join(p for _, _, p in continued)
    assert LONG.endswith(rest) and 2000 < len(LONG) - len(rest) <= 2700  # the row holds about 2,600 at 6 pt
    for r, _, piece in continued:
        cell = ws.cell(row=r, column=TEXT + 1)
        assert cell.protection.locked and cell.font.sz == MIN_FONT_SIZE
        assert (
            xlsx.line_count(piece, xlsx.chars_per_line(WIDTHS[TEXT], MIN_FONT_SIZE))
            * MIN_FONT_SIZE
            * (xlsx.LINE_HEIGHT)
            <= ws.row_dimensions[r].height
            <= xlsx.MAX_ROW_HEIGHT
        )


def test_the_continuation_rows_are_not_read_back(very_long_answer):
    round_, section, staff, content = very_long_answer
    batch = pipeline.stage(
        kind=BatchKind.INQUIRY, upload=upload(content, "answer.xlsx"), by=staff, inquiry_round=round_, section=section
    )
    assert batch.problems == []
    assert batch.summary == {inquiry.ITEM_LABEL: {"created": 0, "updated": 0, "unchanged": 33, "deleted": 0}}


@needs_libreoffice
def test_libreoffice_prints_a_6000_character_answer_whole(very_long_answer, tmp_path):
    _, _, _, content = very_long_answer
    pdf = to_pdf(content, tmp_path, "very-long-answer")
    ws = load_workbook(io.BytesIO(content))[inquiry.SHEET]
    headers = [str(c.value) for c in ws[5]]
    printed = columns_below_header(words(pdf), headers[1:], range(1, page_count(pdf) + 1))[TEXT - 1]
    rest = squash("".join(p for _, _, p in _continued(ws)))
    cut = len(squash(LONG)) - len(rest)
    start = printed.index(squash(LONG)[:cut])  # the answer's own cell, from its start to the estimated cut
    end = printed.index(rest, start)  # then the continuation rows, to the end of the answer
    # in between only the answer's own words that LibreOffice fits in the row beyond the cut (printed twice)
    overlap = printed[start + cut : end]
    assert rest.startswith(overlap), overlap[:80]
    print(f"printed twice at the cut: {len(overlap)} characters")
