"""The 措置状況 workbook as printed: row heights from the wrapped text, long measures continued under
「番号（続き）」, and — rendered by LibreOffice to PDF — every cell's text whole on paper, the header row on
every page, and a page count close to what the text needs. Data: the real report's 33 findings, each with
an accepted measure of 800–2,000 characters (every fifth with two sections, so two such texts in one row)."""

import datetime
import io
import math

import pytest
from openpyxl import load_workbook

from auditreg import xlsx
from findings import renderers
from findings.status_report import COLUMNS, build
from tests.factories import long_measures
from tests.libreoffice import columns_below_header, needs_libreoffice, page_count, squash, to_pdf, words

pytestmark = pytest.mark.django_db
AS_OF = datetime.date(2025, 12, 31)


@pytest.fixture
def long_report(report):
    long_measures(report)
    return build(reports=[report], as_of=AS_OF)


def table(content: bytes) -> list[list]:
    ws = load_workbook(io.BytesIO(content))["措置状況"]
    return [
        ["" if v is None else v for v in row]
        for row in ws.iter_rows(min_row=renderers.HEADER_ROW + 1, values_only=True)
    ]


def test_measure_texts_are_long(long_report):
    lengths = [len(r.text) for r in long_report.rows]
    assert len(lengths) == 33 and min(lengths) >= 800 and max(lengths) > 2000  # two sections: two texts


def test_rows_are_as_tall_as_their_text_and_long_texts_continue(long_report):
    content = renderers.render_xlsx(long_report, data_sheets=False)
    ws = load_workbook(io.BytesIO(content))["措置状況"]
    rows = table(content)
    # continuation rows: the texts of a row, joined back, are the row's texts exactly
    by_code: dict[str, list[list]] = {}
    for r in rows:
        by_code.setdefault(r[0].removesuffix("（続き）"), []).append(r)
    assert len(by_code) == 33
    for source in long_report.rows:
        printed = by_code[source.code]
        assert [r[0] for r in printed[1:]] == [f"{source.code}（続き）"] * (len(printed) - 1)
        text = "".join(r[5] for r in printed)
        assert squash(text) == squash(source.text)
        assert printed[0][6] == source.status and all(r[6] == "" for r in printed[1:])
        if len(source.text) > 1200:
            assert len(printed) > 1  # more than the tallest row holds in a 64-wide column
    # every row tall enough for its tallest cell, within Excel's 409 points
    per_line = [xlsx.chars_per_line(w) for w in renderers.WIDTHS]
    for i, values in enumerate(rows, start=renderers.HEADER_ROW + 1):
        lines = max(xlsx.line_count(str(v), n) for v, n in zip(values, per_line, strict=True) if v != "")
        height = ws.row_dimensions[i].height
        assert height is not None and height <= xlsx.MAX_ROW_HEIGHT
        assert height >= lines * xlsx.FONT_SIZE * xlsx.LINE_HEIGHT, (i, lines, height)
    # the header row repeats, and the page header (title) is left off the first page, which has the title
    assert ws.print_title_rows == f"${renderers.HEADER_ROW}:${renderers.HEADER_ROW}"
    assert ws.HeaderFooter.differentFirst and ws.oddHeader.center.text == long_report.title
    assert ws.firstHeader.center.text is None


def test_chars_per_line_counts_japanese_as_full_width():
    assert xlsx.text_width("指摘01") == 6
    assert xlsx.line_count("あ" * 30, 60) == 1 and xlsx.line_count("あ" * 31, 60) == 2
    assert xlsx.line_count("a\n\nb", 10) == 3  # an empty line is a line
    text = "。".join(["措置の内容" * 20] * 30)
    pieces = xlsx.split_text(text, 40, 10)
    assert "".join(pieces) == text and all(xlsx.line_count(p, 40) <= 10 for p in pieces)
    assert all(p.endswith("。") for p in pieces[:-1])  # cut at a sentence end


def test_published_workbook_names_its_number_and_date(long_report):
    content = renderers.render_xlsx(
        long_report, data_sheets=False, publication={"number": 7, "published_on_wareki": "令和8年1月15日"}
    )
    book = load_workbook(io.BytesIO(content))
    assert book["措置状況"]["A5"].value == "公表番号：第7号（令和8年1月15日公表）"
    assert book["集計"]["A2"].value == "公表番号：第7号（令和8年1月15日公表）"
    assert book["措置状況"].oddHeader.center.text.endswith("第7号")


@needs_libreoffice
def test_libreoffice_prints_every_cell_whole(long_report, tmp_path):
    content = renderers.render_xlsx(long_report, data_sheets=False)
    pdf = to_pdf(content, tmp_path, "status")
    n = page_count(pdf)
    status_pages = range(1, n)  # the last page is the 集計 sheet
    printed = columns_below_header(words(pdf), COLUMNS, status_pages)
    rows = table(content)
    for c, name in enumerate(COLUMNS):
        expected = "".join(squash(str(r[c])) for r in rows)
        assert printed[c] == expected, f"column {name} differs on paper"
    # no mostly blank pages: the pages the 措置 column's lines need, packed, and at most half as many again
    text = words(pdf)
    assert any(w.page == n and w.text == "措置済率" for w in text)
    lines = sum(xlsx.line_count(str(r[5]), xlsx.chars_per_line(renderers.WIDTHS[5])) for r in rows)
    per_page = 470 / (xlsx.FONT_SIZE * xlsx.LINE_HEIGHT)  # lines in an A4 landscape page at 100 %, below the header
    assert 0.6 * lines / per_page <= len(status_pages) <= math.ceil(1.5 * lines / per_page), (len(status_pages), lines)
