"""The printed 措置状況 table cut into A4 pages before WeasyPrint lays it out.

WeasyPrint repeats a table's header on every page, but it cannot label a row that continues from
the previous page, and a row that must not break pushes itself to the next page and leaves the
page before it mostly blank. So the rows are measured here, with the embedded font's own advance
widths (fontTools, already a WeasyPrint dependency), and packed into pages: a row that does not fit
is cut at a line and its rest starts the next page as 「番号（続き）」. Each page is then its own
small fixed-layout table, which is also what keeps WeasyPrint's layout linear in the number of rows.

Every cell is printed as the lines measured here (joined by line breaks), so a row is exactly as
tall as planned; each page also keeps a small reserve. findings.renderers checks after layout that
every planned page came out as exactly one printed page, planning again with a larger reserve if
one did not.
"""

import functools
import re
from dataclasses import dataclass, field

from django.conf import settings

MM = 72 / 25.4  # points per millimetre
FONT_PATH = settings.BASE_DIR / "static" / "fonts" / "ipaexg.ttf"  # the embedded body font (IPAexGothic)

# Page geometry (A4 landscape) and type, in points; the print CSS is generated from these numbers.
PAGE_WIDTH_MM, PAGE_HEIGHT_MM = 297, 210
MARGIN_TOP_MM, MARGIN_BOTTOM_MM, MARGIN_SIDE_MM = 14, 12, 10
BODY_WIDTH = (PAGE_WIDTH_MM - 2 * MARGIN_SIDE_MM) * MM
BODY_HEIGHT = (PAGE_HEIGHT_MM - MARGIN_TOP_MM - MARGIN_BOTTOM_MM) * MM
FONT_PT = 8.5
LINE_PT = 11.0
PAD_V, PAD_H = 2.0, 3.0
BORDER = 0.5
TITLE_PT, TITLE_LINE_PT = 11.0, 16.0
GAP_PT = 6.0  # below the title block, above the table
MIN_LINES = 3  # a row is cut only if at least this many of its lines fit on the page
RESERVE_PT = 6.0  # kept free at the foot of each page

# 番号 … 措置年月日 as printed: (header, width in mm); the widths add up to the 277 mm body.
PRINT_COLUMNS = [
    ("番号", 18),
    ("区分", 10),
    ("報告書\n該当箇所", 16),
    ("監査の結果（要旨）", 40),
    ("所管局・所管課", 31),
    ("講じた措置（対応）の内容", 86),
    ("今後の予定\n（完了予定）", 27),
    ("措置状況", 22),
    ("措置年月日", 27),
]
CONTINUED = "（続き）"
CENTERED = {1, 2, 7}  # 区分, 報告書該当箇所, 措置状況


@dataclass
class Piece:
    """One printed row: a whole table row, or the part of one that fits on a page."""

    cells: list[str]
    continued: bool = False  # the rest of a row begun on the previous page


@dataclass
class Page:
    rows: list[Piece] = field(default_factory=list)


@functools.cache
def _advances() -> tuple[dict[str, float], float]:
    """Advance width of every character of the font, in em, and the width used for the others."""
    from fontTools.ttLib import TTFont  # imported here: only the PDF's line measuring reads the font

    font = TTFont(FONT_PATH, lazy=True)
    per_em = font["head"].unitsPerEm
    metrics = font["hmtx"].metrics
    widths = {chr(code): metrics[glyph][0] / per_em for code, glyph in font.getBestCmap().items()}
    return widths, 1.0


# A break is allowed around every CJK character; a run of other non-space characters (a Latin word,
# a number, a URL) only breaks where it is wider than a whole line (the CSS says overflow-wrap: anywhere).
_TOKENS = re.compile(r"[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]+|\s+|.", re.S)
_SPACES = re.compile(r"[ \t\u3000]*[ \t][ \t\u3000]*")
# 行頭禁則 and 行末禁則 (JIS X 4051, the common set): never at the start / at the end of a line.
NO_START = set(
    "、。，．,.）〕］｝〉》」』】〙〗〟’”)]}"
    "ヽヾーァィゥェォッャュョヮヵヶぁぃぅぇぉっゃゅょゎゕゖ々〻"
    "‐゠–〜～？！?!‼⁇⁈⁉・：；:;"
)
NO_END = set("（〔［｛〈《「『【〘〖〝‘“([{")
SLACK_EM = 0.25  # allowance for kerning and rounding


def wrap(text: str, width_pt: float, font_pt: float = FONT_PT) -> list[str]:
    """The lines of `text` (white-space: pre-line) in a box `width_pt` wide: greedy, with 行頭・行末
    禁則 by pushing characters to the next line (追い出し). The renderer prints exactly these lines."""
    widths, other = _advances()
    capacity = width_pt / font_pt - SLACK_EM  # in em
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines += _wrap_paragraph(_SPACES.sub(" ", paragraph).strip(" "), capacity, widths, other)
    return lines


def _wrap_paragraph(paragraph: str, capacity: float, widths: dict, other: float) -> list[str]:
    lines: list[str] = []
    line: list[str] = []
    used = 0.0
    for token in _TOKENS.findall(paragraph):
        w = sum(widths.get(c, other) for c in token)
        if used + w <= capacity or (token.isspace() and line):
            line.append(token)
            used += w
            continue
        if token.isspace():
            continue
        carried = _carried(line, token)
        if line:
            lines.append("".join(line).rstrip(" "))
        line = [*carried, token]
        used = sum(widths.get(c, other) for t in line for c in t)
        if used > capacity:  # a word wider than the line: cut it anywhere
            line, used = _cut_anywhere("".join(line), capacity, widths, other, lines)
    lines.append("".join(line).rstrip(" "))
    return lines


def _carried(line: list[str], token: str) -> list[str]:
    """The tokens taken off the end of a full `line` to go down with `token` (追い出し): spaces at the end
    are dropped; if `token` may not start a line, the line's last tokens go with it until the next line
    starts with one that may (行頭禁則); and a token that may not end a line goes down too (行末禁則)."""
    carried: list[str] = []
    while len(line) > 1 and line[-1].isspace():  # spaces at the end of a line are not printed
        line.pop()
    if token[0] in NO_START:
        while len(line) > 1:
            carried.insert(0, line.pop())
            if carried[0][0] not in NO_START and not carried[0].isspace():
                break
    while len(line) > 1 and line[-1][-1] in NO_END:
        carried.insert(0, line.pop())
    return carried


def _cut_anywhere(text: str, capacity: float, widths: dict, other: float, lines: list[str]) -> tuple[list, float]:
    """Cut `text` into full lines (appended to `lines`); returns the last, unfinished line and its width."""
    line: list[str] = []
    used = 0.0
    for c in text:
        cw = widths.get(c, other)
        if used + cw > capacity and line:
            lines.append("".join(line))
            line, used = [], 0.0
        line.append(c)
        used += cw
    return line, used


def _inner(width_mm: float) -> float:
    return width_mm * MM - 2 * PAD_H - BORDER


def row_height(n_lines: int) -> float:
    return n_lines * LINE_PT + 2 * PAD_V + 2 * BORDER


def header_cells() -> list[tuple[str, str]]:
    """(header as printed, in its measured lines; CSS width of the content box, so that with the
    padding and its share of the borders each column is exactly its width in mm)."""
    return [("\n".join(wrap(h, _inner(w))), f"{_inner(w):.2f}pt") for h, w in PRINT_COLUMNS]


def screen_columns() -> list[tuple[str, str]]:
    total = sum(w for _, w in PRINT_COLUMNS)
    return [(h, f"{w / total * 100:.2f}%") for h, w in PRINT_COLUMNS]


def header_height() -> float:
    return row_height(max(len(wrap(h, _inner(w))) for h, w in PRINT_COLUMNS))


def front_matter_height(title: str, lines: list[str]) -> float:
    """The title and the lines under it (meta, preamble) as the template prints them on page 1."""
    height = len(wrap(title, BODY_WIDTH, TITLE_PT)) * TITLE_LINE_PT + GAP_PT
    for text in lines:
        height += len(wrap(text, BODY_WIDTH)) * LINE_PT
    return height + GAP_PT


def paginate(rows: list[list[str]], *, first_page_used: float, reserve: float = RESERVE_PT) -> list[Page]:
    """Rows (the printed cells of each) packed into pages. A row too tall for what is left of a page
    is cut there if MIN_LINES of it fit, otherwise it starts the next page; its rest goes on, as
    many pages as it needs, each piece headed 「番号（続き）」."""
    inner = [_inner(w) for _, w in PRINT_COLUMNS]
    head = header_height()
    pages = [Page()]
    left = BODY_HEIGHT - first_page_used - head - reserve
    for cells in rows:
        wrapped = [wrap(str(c), w) for c, w in zip(cells, inner, strict=True)]
        label = wrap(f"{cells[0]}{CONTINUED}", inner[0])
        continued = False
        while True:
            n = max(len(lines) for lines in wrapped)
            if row_height(n) <= left:
                pages[-1].rows.append(Piece(_cells(wrapped, n), continued))
                left -= row_height(n)
                break
            fit = int((left - row_height(0)) // LINE_PT)
            # cut here if enough of the row fits; on a page still empty, whatever fits (a row taller
            # than a whole page, or a first page whose front matter leaves less than MIN_LINES)
            if fit >= MIN_LINES or (fit >= 1 and not pages[-1].rows):
                pages[-1].rows.append(Piece(_cells(wrapped, fit), continued))
                wrapped = [label] + [lines[fit:] for lines in wrapped[1:]]
                continued = True
            pages.append(Page())
            left = BODY_HEIGHT - head - reserve
    return pages


def _cells(wrapped: list[list[str]], n: int) -> list[str]:
    """The first n lines of each cell, as printed (a continued row's first cell is 「番号（続き）」)."""
    return ["\n".join(lines[:n]) for lines in wrapped]
