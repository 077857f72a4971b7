"""The answer workbook's 「印刷用」 sheet: what prints, built from formulas on the 回答 sheet, so that the paper
always follows what the section typed, and every character of every answer prints once, in order.

The 回答 sheet keeps one row per measure, each answer whole in its cell (what the upload reads). A cell cannot
print more than Excel's tallest row (409 points), so here each measure is a block of rows of one fixed height
(ROW_HEIGHT; LibreOffice does not fit row heights to formula results, so every height is set when the
workbook is written). Each row shows one piece of each long text:

- the report's own text and the office's comment, which the section cannot change, are cut here in Python
  (auditreg.xlsx.split_text) into pieces that fit a row;
- the answer (措置の内容) and the reason (措置しない理由), which the section edits, are cut by formulas on
  the 回答 cell: a row takes at most `chars` characters holding at most `breaks` line breaks (so that it
  fits the row in Excel's wider font metrics and in LibreOffice's), cut preferably at the last line break
  or 「。」 in the last quarter of that span, and never between a character and what joins it (a combining
  mark, a variation selector, a low surrogate, the character after a ZWJ). One line break at a cut is
  taken by the row boundary. `chunks` is the same rule in Python: it sizes each block for the text as
  downloaded, and the tests compare it with what LibreOffice calculates.

An answer made longer in the workbook than its block holds is not cut silently: the line above the table
then says so (OVERFLOW). A row never splits across pages, and every row after a measure's first says whose
it is (「番号（続き）」), so a page that starts inside a measure names it.
The hidden helper columns to the right hold the formulas' working (per cut text: start, length, skipped line
break, the next `chars` characters, the characters around the cut, how far the cut steps back; then the
overflow flag and the code point bounds of _JOINING).
"""

import copy
import datetime

from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from auditreg import xlsx

from .layout import EDITABLE, LOCKED, SHEET

PRINT_SHEET = "印刷用"
ROW_HEIGHT = 158.0  # points: four rows a page as Excel scales the sheet to the page width (six in LibreOffice)
LINES = int((ROW_HEIGHT - xlsx.ROW_PADDING) / (xlsx.FONT_SIZE * xlsx.LINE_HEIGHT))  # 12 lines at 10 pt
MAX_BACK = 10  # characters a cut steps back to keep a sequence whole (a ZWJ family of four is 7)
BREAKS = 2  # line breaks a formula-cut piece may hold (each may leave a short line)
FIRST_BODY_ROW = 5
OVERFLOW = (
    "※印刷用シートに入りきらない回答があります（回答シートで長くした措置）。回答シートの全文は取り込まれます。"
    "全文を印刷するには、アップロードしてから様式をダウンロードし直してください。"
)

# a date as 和暦 (令和7年6月30日); 2019-05-01..12-31 as 令和元年 (Excel's own "gannen" code is not read by
# LibreOffice, which shows a serial number for it; this form shows the same in both)
WAREKI_FORMAT = '[>=43831][$-411]ggge"年"m"月"d"日";[>=43586]"令和元年"m"月"d"日";[$-411]ggge"年"m"月"d"日"'

# code points that must stay with the character before them: combining marks, ZWNJ/ZWJ, voiced kana marks,
# the high surrogate of the variation selectors supplement and every low surrogate (Excel counts UTF-16
# units), variation selectors, half marks, skin tones, tags and ideographic variation selectors
_JOINING = [
    (0x0300, 0x0370),
    (0x1AB0, 0x1B00),
    (0x1DC0, 0x1E00),
    (0x200C, 0x200E),
    (0x20D0, 0x2100),
    (0x3099, 0x309B),
    (0xDB40, 0xDB41),
    (0xDC00, 0xE000),
    (0xFE00, 0xFE10),
    (0xFE20, 0xFE30),
    (0x1F3FB, 0x1F400),
    (0xE0000, 0xE01F0),
]
_ZWJ = 0x200D

THIN = Side(style="thin", color="808080")
WRAP = Alignment(wrap_text=True, vertical="top")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def joins_previous(text: str, i: int) -> bool:
    """Whether text[i] must not start a piece (it belongs with the character before it)."""
    if i <= 0 or i >= len(text):
        return False
    code = ord(text[i])
    return any(lo <= code < hi for lo, hi in _JOINING) or ord(text[i - 1]) == _ZWJ


def chunks(text: str, chars: int, breaks: int = BREAKS) -> list[str]:
    """The pieces the print formulas cut `text` into (code points, as LibreOffice counts), in order. Joined
    with the line break each skipped, they give the text back."""
    pieces, s = [], 0
    while s < len(text):
        q = text[s : s + chars]
        nl = [i for i, ch in enumerate(q) if ch == "\n"]
        if len(nl) > breaks:
            e = nl[breaks]
        elif s + len(q) >= len(text):
            e = len(q)
        elif nl and 4 * (nl[-1] + 1) > 3 * chars:
            e = nl[-1]
        elif (p := q.rfind("。")) >= 0 and 4 * (p + 1) > 3 * chars:
            e = p + 1
        else:
            back = 0
            while back < MAX_BACK and joins_previous(text, s + chars - back):
                back += 1
            e = chars - back
        pieces.append(text[s : s + e])
        s += e + (1 if s + e < len(text) and text[s + e] == "\n" else 0)
    return pieces


def capacity(width: float, size: float = xlsx.FONT_SIZE) -> int:
    """Characters a formula-cut piece may hold in a column `width` wide: every one full width, and each of
    BREAKS line breaks (and the last paragraph) leaving at most one short line."""
    return (LINES - BREAKS - 1) * xlsx.chars_per_line(width, size) // 2


# -- the formulas -----------------------------------------------------------------------------------------


def _joins(w: str, i: int) -> str:
    """Whether character `i` of the window cell `w` must stay with the one before it (JOINING_RANGE holds
    the code point bounds, the odd-numbered ones starting a range)."""
    code = f"_xlfn.UNICODE(MID({w},{i},1))"
    inside = f"MOD(IFERROR(MATCH({code},{JOINING_RANGE},1),0),2)=1"
    return f"OR({inside},IFERROR(_xlfn.UNICODE(MID({w},{i - 1},1)),0)={_ZWJ})"


def _formulas(t: str, ref: dict[str, str], n: int) -> dict[str, str]:
    """The helper formulas of one piece of text cell `t`: `ref` names this row's helper cells (s: start,
    e: length, k: skip, q: the next `n` characters, w: the characters around the cut at `n`, b: how far
    the cut steps back)."""
    s, e, q, w = ref["s"], ref["e"], ref["q"], ref["w"]
    nl = "CHAR(10)"

    def last(ch):
        return f'IFERROR(FIND(CHAR(1),SUBSTITUTE({q},{ch},CHAR(1),LEN({q})-LEN(SUBSTITUTE({q},{ch},"")))),0)'

    # w holds the characters at s+n-MAX_BACK … s+n: the one at s+n-k is w's (MAX_BACK + 1 - k)th
    back = str(MAX_BACK)  # the first k from 0 at which the piece may end k characters early
    for k in reversed(range(MAX_BACK)):
        back = f"IF(NOT({_joins(w, MAX_BACK + 1 - k)}),{k},{back})"
    dot = '"。"'
    length = (
        f"IF({s}>LEN({t}),0,IFERROR(FIND(CHAR(1),SUBSTITUTE({q},{nl},CHAR(1),{BREAKS + 1}))-1,"
        f"IF({s}+LEN({q})>LEN({t}),LEN({q}),IF({last(nl)}*4>{3 * n},{last(nl)}-1,"
        f"IF({last(dot)}*4>{3 * n},{last(dot)},{n}-{ref['b']})))))"
    )
    return {
        "q": f"=MID({t},{s},{n})",
        "w": f"=MID({t},{s}+{n - MAX_BACK},{MAX_BACK + 1})",
        "b": "=" + back,
        "e": "=" + length,
        "k": f"=IF(AND({s}<=LEN({t}),MID({t},{s}+{e},1)={nl}),1,0)",
        "piece": f'=IF({e}>0,MID({t},{s},{e}),"")',
    }


# -- the sheet ------------------------------------------------------------------------------------------------

# the printed columns: the 回答 sheet's, without the hidden 措置ID
COLUMNS = [c for c in LOCKED + EDITABLE if c[0] != "id"]
KEYS = [key for key, *_ in COLUMNS]
WIDTHS = [width for *_, width in COLUMNS]
SIZES = {"finding_text": 9}  # as on the 回答 sheet
STATIC_CUT = ("title", "finding_text", "comment")  # the section cannot change these: cut here
FORMULA_CUT = ("text", "reason")  # edited by the section: cut by formulas
DATES = ("completed_on", "planned_completion_on")


def _entry_ref(key: str, row: int) -> str:
    col = [k for k, *_ in LOCKED + EDITABLE].index(key) + 1
    return f"'{SHEET}'!${get_column_letter(col)}${row}"


def _static_pieces(key: str, value) -> list:
    if not isinstance(value, str) or not value:
        return [value]
    size = SIZES.get(key, xlsx.FONT_SIZE)
    lines = int((ROW_HEIGHT - xlsx.ROW_PADDING) / (size * xlsx.LINE_HEIGHT))
    return xlsx.split_text(value, xlsx.chars_per_line(WIDTHS[KEYS.index(key)], size), lines)


def build(wb, *, title: str, section_line: str, reply_by: datetime.date, header: str, entries: list[dict]):
    """Add the 印刷用 sheet. `entries`: per measure, its 回答 row (`row`) and its values by column key."""
    ws = wb.create_sheet(PRINT_SHEET)
    _heading(ws, title, section_line, reply_by)
    r = FIRST_BODY_ROW
    styles = _column_styles(ws)
    for entry in entries:
        r += _block(ws, r, entry, styles)
    last_row, last_col = max(r - 1, FIRST_BODY_ROW), get_column_letter(len(COLUMNS))
    flags = get_column_letter(FLAG_COLUMN)
    warning = ws.cell(row=3, column=1, value=f'=IF(SUM({flags}{FIRST_BODY_ROW}:{flags}{last_row})>0,"{OVERFLOW}","")')
    warning.font = Font(name=xlsx.FONT_NAME, size=xlsx.FONT_SIZE, family=3, charset=128, bold=True, color="C00000")
    warning.alignment = WRAP
    ws.merge_cells(f"A3:{last_col}3")
    ws.row_dimensions[3].height = 28
    head_row = FIRST_BODY_ROW - 1
    xlsx.print_setup(ws, widths=WIDTHS, title_rows=f"{head_row}:{head_row}", header=header)
    ws.print_area = f"A1:{last_col}{last_row}"
    for i, bound in enumerate(b for pair in _JOINING for b in pair):
        ws.cell(row=1 + i, column=BOUNDS_COLUMN, value=bound)
    for col in range(len(COLUMNS) + 1, BOUNDS_COLUMN + 1):
        ws.column_dimensions[get_column_letter(col)].hidden = True
    # locked and protected without a password (a guide, as on the 回答 sheet: the upload never reads it)
    ws.protection.sheet = True
    return ws


def _heading(ws, title, section_line, reply_by) -> None:
    last_col = get_column_letter(len(COLUMNS))
    ws.cell(row=1, column=1, value=f"照会：{title}（印刷用）").font = xlsx.TITLE_FONT
    ws.merge_cells(f"A1:{last_col}1")
    ws.cell(row=2, column=1, value="回答期限").font = xlsx.BOLD_FONT
    ws.merge_cells("A2:B2")
    due = ws.cell(row=2, column=3, value=reply_by)  # a date cell, shown as 和暦
    due.number_format, due.font, due.alignment = WAREKI_FORMAT, xlsx.BOLD_FONT, Alignment(horizontal="left")
    ws.cell(row=2, column=4, value=section_line).font = xlsx.BODY_FONT
    ws.merge_cells(f"D2:{last_col}2")
    head_row = FIRST_BODY_ROW - 1
    for c, (_, label, _, _) in enumerate(COLUMNS, start=1):
        xlsx.HEAD.apply(ws.cell(row=head_row, column=c, value=label))
    height = xlsx.row_height([c[1] for c in COLUMNS], [xlsx.chars_per_line(w) for w in WIDTHS]) or 18.0
    ws.row_dimensions[head_row].height = height


# hidden helper columns right of the printed ones: per formula-cut text its start, length and skip; then a
# flag, 1 on a block's last row when text is left over
_PARTS = ["s", "e", "k", "q", "w", "b"]
HELPER = {key: len(COLUMNS) + 2 + len(_PARTS) * i for i, key in enumerate(FORMULA_CUT)}
FLAG_COLUMN = len(COLUMNS) + 2 + len(_PARTS) * len(FORMULA_CUT)
BOUNDS_COLUMN = FLAG_COLUMN + 1  # rows 1…: the code point bounds of _JOINING, for MATCH
JOINING_RANGE = f"${get_column_letter(BOUNDS_COLUMN)}$1:${get_column_letter(BOUNDS_COLUMN)}${2 * len(_JOINING)}"
CAPACITY = {key: capacity(WIDTHS[KEYS.index(key)], SIZES.get(key, xlsx.FONT_SIZE)) for key in FORMULA_CUT}
_FONTS = {size: Font(name=xlsx.FONT_NAME, size=size, family=3, charset=128) for size in {xlsx.FONT_SIZE, 9}}


def _block(ws, r, entry, styles) -> int:
    """One measure's rows from row `r`: as many as its longest text needs as downloaded; returns how many."""
    pieces = {key: _static_pieces(key, entry.get(key)) for key in STATIC_CUT}
    counts = [len(p) for p in pieces.values()]
    counts += [len(chunks(entry.get(key) or "", CAPACITY[key])) for key in FORMULA_CUT]
    rows = max([*counts, 1])
    for k in range(rows):
        values = {key: pieces[key][k] if k < len(pieces[key]) else None for key in STATIC_CUT}
        # every row after the first says whose it is (it may start a page), unless it holds nothing: a row
        # left empty by an answer shortened in the workbook
        label = f"{entry['code']}\n（続き）"
        if k == 0 or any(values.values()):
            values["code"] = entry["code"] if k == 0 else label
        else:
            cut = "+".join(f"LEN({get_column_letter(KEYS.index(key) + 1)}{r + k})" for key in FORMULA_CUT)
            values["code"] = f'=IF({cut}>0,"{entry["code"]}"&CHAR(10)&"（続き）","")'
        if k == 0:
            values["official"], values["stage"] = entry.get("official"), entry.get("stage")
            for key in ("status", *DATES):
                ref = _entry_ref(key, entry["row"])
                values[key] = f'=IF({ref}="","",{ref})'
        for key in FORMULA_CUT:
            values[key] = _cut_cells(ws, r + k, key, entry["row"], first=k == 0)
        if k == rows - 1:
            left = [
                f"{_helper(key, 0, r + k)}+{_helper(key, 1, r + k)}+{_helper(key, 2, r + k)}" for key in FORMULA_CUT
            ]
            left = [f"{x}<=LEN({_entry_ref(key, entry['row'])})" for x, key in zip(left, FORMULA_CUT, strict=True)]
            ws.cell(row=r + k, column=FLAG_COLUMN, value=f"=IF(OR({','.join(left)}),1,0)")
        for c, key in enumerate(KEYS, start=1):
            cell = ws.cell(row=r + k, column=c, value=values.get(key))
            cell._style = copy.copy(styles[key])  # noqa: SLF001 - one style object per column, not one lookup per cell
        ws.row_dimensions[r + k].height = ROW_HEIGHT
    return rows


def _column_styles(ws) -> dict:
    """Each printed column's cell style, made once per sheet (setting font, border and alignment on every
    cell cost openpyxl 2 s for 5,000 cells)."""
    styles = {}
    for c, key in enumerate(KEYS, start=1):
        cell = ws.cell(row=FIRST_BODY_ROW, column=c)
        cell.font, cell.alignment, cell.border = _FONTS[SIZES.get(key, xlsx.FONT_SIZE)], WRAP, BORDER
        if key in DATES:
            cell.number_format = WAREKI_FORMAT
        styles[key] = copy.copy(cell._style)  # noqa: SLF001
    return styles


def _helper(key, i, row) -> str:
    return f"{get_column_letter(HELPER[key] + i)}{row}"


def _next(key, row) -> str:
    """Where the piece after the one in `row` starts."""
    return f"{_helper(key, 0, row)}+{_helper(key, 1, row)}+{_helper(key, 2, row)}"


def _cut_cells(ws, row, key, entry_row, *, first) -> str:
    """Write one piece's helper cells (start: 1, or the row above's start + length + skip); returns the
    formula of the printed piece."""
    start = 1 if first else f"={_next(key, row - 1)}"
    ws.cell(row=row, column=HELPER[key], value=start)
    ref = {part: _helper(key, i, row) for i, part in enumerate(_PARTS)}
    f = _formulas(_entry_ref(key, entry_row), ref, CAPACITY[key])
    for i, part in enumerate(_PARTS[1:], start=1):
        ws.cell(row=row, column=HELPER[key] + i, value=f[part])
    return f["piece"]


__all__ = ["PRINT_SHEET", "WAREKI_FORMAT", "build", "capacity", "chunks", "joins_previous"]
