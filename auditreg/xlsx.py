"""Excel (.xlsx) for every workbook the app writes: one set of styles, row heights estimated from the
text (Japanese characters are full width), one print setup (A4, one page wide, titles repeated, header
and footer clear of the body), and a fast row writer for the large exports.

The row height is an estimate made as Excel lays text out in 10pt ＭＳ ゴシック (a width unit is one
half-width character of the body font, because the workbook's default font is the body font). LibreOffice
draws the same text in narrower lines, so its rows come out a little roomier, never clipped.
"""

import io
import re
import shutil
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterable
from copy import copy
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.properties import PageSetupProperties

FONT_NAME = "ＭＳ ゴシック"
FONT_SIZE = 10
BODY_FONT = Font(name=FONT_NAME, size=FONT_SIZE, family=3, charset=128)
BOLD_FONT = Font(name=FONT_NAME, size=FONT_SIZE, family=3, charset=128, bold=True)
TITLE_FONT = Font(name=FONT_NAME, size=14, family=3, charset=128, bold=True)
THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
PLAIN = Alignment()
HEADER_FILL = PatternFill("solid", fgColor="DDE7F1")
LOCKED_FILL = PatternFill("solid", fgColor="EEEEEE")
INPUT_FILL = PatternFill("solid", fgColor="FFF9D6")
MONEY_FORMAT = "#,##0;-#,##0;0"

MAX_ROW_HEIGHT = 409.0  # points: the tallest row Excel holds
LINE_HEIGHT = 1.25  # points per wrapped line, × the font size (Excel draws 10pt ＭＳ ゴシック in 12.5pt lines)
ROW_PADDING = 4.0  # points above and below the text
MARGIN_SIDE, MARGIN_TOP, MARGIN_HEADER = (
    0.4,
    0.8,
    0.3,
)  # inches; the header and footer print in the top and bottom bands
MAX_CELL = 32_000  # Excel holds at most 32,767 characters in a cell
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # what an xlsx cell cannot hold
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])  # _ILLEGAL's ASCII part, in UTF-8


def _wrapped_lines(value: str, per_line: int) -> int:
    """The lines a cell's text wraps to in a column `per_line` half-width characters wide (0: a column of
    unknown width, where only the text's own line breaks count)."""
    if per_line and 2 * len(value) > per_line:
        if "\n" in value:
            return line_count(value, per_line)
        width = 2 * len(value) - len(value.encode("ascii", "ignore"))  # line_count of one paragraph, inlined
        return -(-width // per_line)
    if "\n" in value:
        return line_count(value, per_line or 2)
    return 1


@dataclass(frozen=True, eq=False)
class Style:
    """A cell style; instances are compared by identity (the style id is cached per workbook)."""

    font: Font = BODY_FONT
    fill: PatternFill | None = None
    border: bool = True
    align: Alignment = WRAP
    number_format: str | None = None
    locked: bool = True

    def apply(self, cell) -> None:
        cell.font = self.font
        cell.alignment = self.align
        if self.fill is not None:
            cell.fill = self.fill
        if self.border:
            cell.border = BORDER
        if self.number_format:
            cell.number_format = self.number_format
        if not self.locked:
            cell.protection = Protection(locked=False)


CELL = Style()
HEAD = Style(font=BOLD_FONT, fill=HEADER_FILL)
STRONG = Style(font=BOLD_FONT)
TITLE = Style(font=TITLE_FONT, border=False, align=PLAIN)
LINE = Style(border=False, align=PLAIN)  # a heading line above a table
NOTE = Style(border=False)  # a wrapped line of text above a table, no border
MONEY = Style(number_format=MONEY_FORMAT)
STRONG_MONEY = Style(font=BOLD_FONT, number_format=MONEY_FORMAT)
PERCENT = Style(number_format="0.0%")
LOCKED = Style(fill=LOCKED_FILL)
LOCKED_SMALL = Style(font=Font(name=FONT_NAME, size=9, family=3, charset=128), fill=LOCKED_FILL)  # reference text
INPUT = Style(fill=INPUT_FILL, locked=False)
INPUT_DATE = Style(fill=INPUT_FILL, locked=False, number_format="yyyy/m/d")


# -- text measure ---------------------------------------------------------------------------------


def text_width(text: str) -> int:
    """Display width in half-width units. Every non-ASCII character counts as full width (Japanese text; it
    over-counts half-width kana, which only makes a row taller), and the count runs in C, not per character."""
    return 2 * len(text) - len(text.encode("ascii", "ignore"))


def chars_per_line(width: float, size: float = FONT_SIZE) -> int:
    """Half-width characters on one wrapped line of a column `width` units wide, as Excel lays it out: a unit is
    7 px at 96 dpi, the cell keeps about 7 px of padding, a half-width character of 10pt is 6⅔ px; two fewer for
    the line-breaking rules (a line never starts with 、 or 。, so it may end one character early)."""
    return max(int((width * 7 - 7) / (size * 2 / 3)) - 2, 2)


def line_count(text: str, per_line: int) -> int:
    return sum(max(1, -(-text_width(p) // per_line)) for p in text.split("\n"))


def row_height(
    values: Iterable, per_line: list[int], size: float = FONT_SIZE, sizes: list[float] | None = None
) -> float | None:
    """The height (points) that shows every cell's wrapped text, or None when one line is enough. `sizes`: the
    font size of each column, when they differ (`per_line` then counts in each column's own size)."""
    sizes = sizes or [size] * len(per_line)
    lines, height = 1, 0.0
    for v, n, pt in zip(values, per_line, sizes, strict=False):
        if isinstance(v, str) and v:
            k = line_count(v, n)
            lines, height = max(lines, k), max(height, k * pt * LINE_HEIGHT)
    if lines <= 1:
        return None
    return min(height + ROW_PADDING, MAX_ROW_HEIGHT)


def max_lines(size: float = FONT_SIZE) -> int:
    """Wrapped lines that fit in the tallest row."""
    return int((MAX_ROW_HEIGHT - ROW_PADDING) / (size * LINE_HEIGHT))


def page_lines(widths: list[float], *, landscape: bool = True, reserved: float = 0.0) -> int:
    """Wrapped body lines on one printed page of a sheet set up by print_setup: the sheet is scaled to the
    page width, so the page holds more sheet height than its own; `reserved` points (the repeated header row)
    are left out."""
    width_in, height_in = (11.69, 8.27) if landscape else (8.27, 11.69)
    scale = min(1.0, (width_in - 2 * MARGIN_SIDE) * 96 / (sum(widths) * 7 + 5))
    body = (height_in - 2 * MARGIN_TOP) * 72 / scale - reserved
    return int((body - ROW_PADDING) / (FONT_SIZE * LINE_HEIGHT))


def split_text(text: str, per_line: int, lines: int) -> list[str]:
    """`text` in pieces of at most `lines` wrapped lines each, for a cell too long for one row: cut at a line
    break where one falls in the piece, else after the last 。 or 、 in its second half, else at the limit.
    The pieces joined (with the line breaks that were cut at) give the text back."""
    if "\n" not in text and 2 * len(text) <= lines * per_line:  # one paragraph that fits (most cells)
        return [text]
    pieces: list[str] = []
    current: list[str] = []
    used = 0
    for paragraph in text.split("\n"):
        rest = paragraph
        while True:
            need = max(1, -(-text_width(rest) // per_line))
            if used + need <= lines:
                current.append(rest)
                used += need
                break
            if current and need <= lines:  # the paragraph fits in a piece of its own
                pieces.append("\n".join(current))
                current, used = [], 0
                continue
            budget = (lines - used) * per_line
            cut, width = 0, 0
            for i, ch in enumerate(rest):
                width += 1 if ch.isascii() else 2
                if width > budget:
                    break
                cut = i + 1
            head = rest[:cut]
            stop = max(head.rfind("。"), head.rfind("、"))
            if stop >= len(head) // 2:
                cut = stop + 1
            current.append(rest[:cut])
            pieces.append("\n".join(current))
            current, used, rest = [], 0, rest[cut:]
            if not rest:
                break
    if current:
        pieces.append("\n".join(current))
    return pieces


def clean(value: str) -> str:
    """Text as a cell can hold it: line ends as \\n, no control characters, at most MAX_CELL characters."""
    text = _ILLEGAL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    return text if len(text) <= MAX_CELL else text[:MAX_CELL] + "…（以下略）"


# -- the workbook -----------------------------------------------------------------------------------


def new_workbook() -> Workbook:
    """An openpyxl workbook whose default (Normal) font is the body font: Excel counts column widths in its
    digit width, so a width of N holds N half-width characters. (openpyxl has no public setter for it.)"""
    wb = Workbook()
    wb._fonts = IndexedList([copy(BODY_FONT)])
    wb._named_styles["Normal"].font = copy(BODY_FONT)
    return wb


def print_setup(
    ws,
    *,
    widths: list[float],
    title_rows: str | None = None,
    header: str = "",
    header_on_first_page: bool = False,
    landscape: bool = True,
) -> None:
    """A4, one page wide (as many pages down as needed), centred, the header row(s) repeated on every page,
    "n / N" in the footer. The header text sits in its own band above the top margin, and is left off the
    first page, whose title already says it."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    margins = ws.page_margins
    margins.left = margins.right = MARGIN_SIDE
    margins.top = margins.bottom = MARGIN_TOP
    margins.header = margins.footer = MARGIN_HEADER
    for part in (ws.oddHeader, ws.firstHeader):
        part.center.text = header or None
        part.center.size = 9
    for part in (ws.oddFooter, ws.firstFooter):
        part.center.text = "&P / &N"
        part.center.size = 9
    if header and not header_on_first_page:
        ws.HeaderFooter.differentFirst = True
        ws.firstHeader.center.text = None
    if title_rows:
        ws.print_title_rows = title_rows
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width


class Book:
    """A workbook whose sheets' rows are streamed as XML. The sheets, their print setup, widths and styles are
    openpyxl's; the rows are written here (openpyxl spends about 30 µs per styled cell: the 2.7 million
    cells of a 30,000-finding export with its data sheets took minutes) and spliced in when saved."""

    def __init__(self):
        self.wb = new_workbook()
        self._scratch = self.wb.active
        self._ids: dict[int, int] = {}
        self.sheets: list[Rows] = []

    def style_id(self, style: Style) -> int:
        key = id(style)
        found = self._ids.get(key)
        if found is None:
            cell = Cell(self._scratch)
            style.apply(cell)
            found = self._ids[key] = cell.style_id
        return found

    def sheet(self, title: str, *, widths: list[float], freeze: str | None = None, **setup) -> "Rows":
        if not self.sheets:
            ws = self._scratch
            ws.title = title
        else:
            ws = self.wb.create_sheet(title)
        print_setup(ws, widths=widths, **setup)
        if freeze:
            ws.freeze_panes = freeze
        rows = Rows(self, ws, widths)
        self.sheets.append(rows)
        return rows

    def save(self) -> bytes:
        """The workbook: openpyxl's parts as it saved them, each sheet's part its head, the rows (compressed as
        they were written) and its tail, joined as one deflate stream."""
        skeleton = io.BytesIO()
        self.wb.save(skeleton)
        out = io.BytesIO()
        parts = {f"xl/worksheets/sheet{i}.xml": rows for i, rows in enumerate(self.sheets, start=1)}
        archive = _Zip(out)
        with zipfile.ZipFile(skeleton) as src:
            for info in src.infolist():
                data = src.read(info.filename)
                rows = parts.get(info.filename)
                if rows is None:
                    archive.add(info, [_deflate(data, final=True)], zlib.crc32(data), len(data))
                    continue
                body = rows.compressed()  # first: it writes the last buffered rows
                head, tail = (part.encode("utf-8") for part in _split_sheet(data.decode("utf-8"), rows))
                crc = _crc32_combine(zlib.crc32(head), rows.crc, rows.size)
                crc = _crc32_combine(crc, zlib.crc32(tail), len(tail))
                pieces = [_deflate(head, final=False), body, _deflate(tail, final=True)]
                archive.add(info, pieces, crc, len(head) + rows.size + len(tail))
        archive.close()
        return out.getvalue()


# level 1: the rows' XML compresses in a third of level 6's time, a little larger
COMPRESS_LEVEL = 1


def _compressor():
    return zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)  # raw deflate, as a zip entry holds


def _deflate(data: bytes, *, final: bool) -> bytes:
    """`data` as deflate blocks; not final: ending on a byte boundary, so that more blocks may follow."""
    c = _compressor()
    return c.compress(data) + c.flush(zlib.Z_FINISH if final else zlib.Z_SYNC_FLUSH)


def _gf2_times(matrix: list[int], vector: int) -> int:
    total, i = 0, 0
    while vector:
        if vector & 1:
            total ^= matrix[i]
        vector >>= 1
        i += 1
    return total


def _gf2_square(matrix: list[int]) -> list[int]:
    return [_gf2_times(matrix, m) for m in matrix]


def _crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """The CRC-32 of a + b from crc32(a), crc32(b) and len(b) (zlib's crc32_combine, which Python's zlib does not
    expose): a sheet's rows are checked as they are written, before the head that precedes them is known."""
    if len2 <= 0:
        return crc1
    odd = [0xEDB88320] + [1 << n for n in range(31)]  # the operator for one zero bit
    even = _gf2_square(odd)  # two zero bits
    odd = _gf2_square(even)  # four
    while True:  # apply len2 zero bytes to crc1
        even = _gf2_square(odd)
        if len2 & 1:
            crc1 = _gf2_times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = _gf2_square(even)
        if len2 & 1:
            crc1 = _gf2_times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2


class _Zip:
    """A zip archive of entries already deflated (zipfile compresses whatever it is given, so a sheet's rows
    would be compressed twice). No zip64: a part or the archive past 4 GB is refused."""

    def __init__(self, fh):
        self.fh = fh
        self.directory: list[bytes] = []

    def add(self, info: zipfile.ZipInfo, pieces: list, crc: int, size: int) -> None:
        offset = self.fh.tell()
        compressed = sum(p.size if isinstance(p, _Stored) else len(p) for p in pieces)
        if max(size, compressed, offset) >= 0xFFFFFFFF:
            raise ValueError(f"{info.filename}: too large for a workbook without zip64")
        name = info.filename.encode("utf-8")
        flags = 0x800 if not name.isascii() else 0  # bit 11: the name is UTF-8
        year, month, day, hour, minute, second = info.date_time
        dos_time = hour << 11 | minute << 5 | second // 2
        dos_date = (year - 1980) << 9 | month << 5 | day
        fields = (20, flags, zipfile.ZIP_DEFLATED, dos_time, dos_date, crc, compressed, size, len(name))
        self.fh.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", *fields, 0) + name)
        for piece in pieces:
            if isinstance(piece, _Stored):
                piece.copy_to(self.fh)
            else:
                self.fh.write(piece)
        self.directory.append(struct.pack("<4sH5H3L5H2L", b"PK\x01\x02", 20, *fields, 0, 0, 0, 0, 0, offset) + name)

    def close(self) -> None:
        start = self.fh.tell()
        for entry in self.directory:
            self.fh.write(entry)
        n, size = len(self.directory), self.fh.tell() - start
        if start >= 0xFFFFFFFF or n >= 0xFFFF:
            raise ValueError("too large for a workbook without zip64")
        self.fh.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, n, n, size, start, 0))


class _Stored:
    """Compressed rows kept in a temporary file, copied into the archive."""

    def __init__(self, file, size: int):
        self.file, self.size = file, size

    def copy_to(self, fh) -> None:
        self.file.seek(0)
        shutil.copyfileobj(self.file, fh, 1 << 20)
        self.file.close()


def _split_sheet(xml: str, rows: "Rows") -> tuple[str, str]:
    """The sheet's XML before and after its (empty) sheetData, with the used range filled in."""
    if "<sheetData/>" in xml:
        head, tail = xml.split("<sheetData/>", 1)
    else:
        head, rest = xml.split("<sheetData>", 1)
        tail = rest.split("</sheetData>", 1)[1]
    last = f"{get_column_letter(max(rows.max_col, 1))}{max(rows.n, 1)}"
    head = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{last}"/>', head, count=1)
    return head + "<sheetData>", "</sheetData>" + tail


def _more_lines(value: str, per_line: int, lines: int) -> int:
    """`lines`, or the lines `value` wraps to in a column `per_line` wide where more (_wrapped_lines, skipping a
    text too short to wrap to more lines than the row already has)."""
    if "\n" in value:
        return max(lines, line_count(value, per_line or 2))
    if per_line and 2 * len(value) > lines * per_line:
        return max(lines, -(-(2 * len(value) - len(value.encode("ascii", "ignore"))) // per_line))
    return lines


def _other_cell(value, opening: str) -> str:
    """A cell that is not a non-empty str: empty, a number, a boolean, or a str subclass's text."""
    if value is None or value == "":
        return f"{opening}/>"
    if isinstance(value, bool):
        return f'{opening} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'{opening} t="n"><v>{value!r}</v></c>'
    if isinstance(value, str):  # a str subclass (a lazy label, a SafeString): as its text
        text = _ILLEGAL.sub("", clean(str(value))).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return f'{opening} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    raise TypeError(f"unsupported cell value {type(value).__name__}")


class Rows:
    """One sheet's rows, appended in order and kept in a temporary file until the workbook is saved."""

    def __init__(self, book: Book, ws, widths: list[float]):
        self.book, self.ws = book, ws
        self.per_line = [chars_per_line(w) for w in widths]
        self.n = 0
        self.max_col = 0
        self._file = tempfile.TemporaryFile()  # the rows' XML, deflated as written (a seventh of its size)
        self._deflate = _compressor()
        self.crc, self.size = 0, 0  # of the rows' XML, uncompressed
        self._buffer: list[str] = []
        self._columns(len(widths) + 1)
        self._opening: dict[int, list[str]] = {}  # style id (or ids) -> each column's '<c r="A' … '" s="N"'

    def _columns(self, n: int) -> None:
        self._letters = [get_column_letter(i) for i in range(1, n + 1)]
        self._widths = [*self.per_line[:n], *[0] * (n - len(self.per_line))]  # 0: no width, only line breaks count
        self._opening = {}

    def _openings(self, style: Style | list[Style]) -> list[tuple[str, str]]:
        """Each column's '<c r="A' and '" s="N"' in `style` (one style: every column alike): the row's number
        goes between them."""
        key = tuple(map(id, style)) if isinstance(style, list) else id(style)
        found = self._opening.get(key)
        if found is None:
            ids = [self.book.style_id(s) for s in style] if isinstance(style, list) else [self.book.style_id(style)]
            ids = ids * len(self._letters) if len(ids) == 1 else ids
            pairs = zip(self._letters, ids, strict=False)
            found = self._opening[key] = [(f'<c r="{c}', f'" s="{s}"') for c, s in pairs]
        return found

    def append(self, values: list, style: Style | list[Style] = CELL, *, height: float | None | str = "auto") -> int:
        """One row; `style` for every cell or one per column. The height comes from the wrapped text unless
        given (None: the default height). Returns the row's number. The hot loop of the large exports: a text
        that needs no cleaning or escaping costs a few length and membership tests and one string; control
        characters are removed once per buffer of rows (see _flush)."""
        self.n += 1
        r = self.n
        if len(values) > len(self._letters):
            self._columns(len(values) + 1)
        opening = self._openings(style)
        widths = self._widths if height == "auto" else None
        lines = 1
        cells = []
        add = cells.append
        for c, value in enumerate(values):
            head, style_attr = opening[c]
            if value.__class__ is not str or not value:
                add(_other_cell(value, f"{head}{r}{style_attr}"))
                continue
            if "\r" in value or len(value) > MAX_CELL:
                value = clean(value)
            if widths is not None:
                w = widths[c]
                if "\n" in value or (w and 2 * len(value) > lines * w):  # else it cannot make the row taller
                    lines = _more_lines(value, w, lines)
            if "&" in value or "<" in value or ">" in value:
                value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            add(f'{head}{r}{style_attr} t="inlineStr"><is><t xml:space="preserve">{value}</t></is></c>')
        if widths is not None:
            height = min(lines * FONT_SIZE * LINE_HEIGHT + ROW_PADDING, MAX_ROW_HEIGHT) if lines > 1 else None
        row = f'<row r="{r}" ht="{height:.1f}" customHeight="1">' if height else f'<row r="{r}">'
        self._buffer.append(f"{row}{''.join(cells)}</row>")
        self.max_col = max(self.max_col, len(values))
        if len(self._buffer) >= 500:
            self._flush()
        return r

    def blank(self) -> int:
        self.n += 1
        return self.n

    def _flush(self):
        """The buffered rows to the file, without the characters an xlsx cell cannot hold (never in the markup,
        so one pass over the buffer removes them from every text; a row's height counted them, at most a
        line too tall)."""
        if not self._buffer:
            return
        text = "".join(self._buffer)
        data = text.encode("utf-8")
        cleaned = data.translate(None, _CONTROL_BYTES)
        if len(cleaned) != len(data) or "\ufffe" in text or "\uffff" in text:
            cleaned = _ILLEGAL.sub("", text).encode("utf-8")
        self.crc = zlib.crc32(cleaned, self.crc)
        self.size += len(cleaned)
        self._file.write(self._deflate.compress(cleaned))
        self._buffer = []

    def compressed(self) -> _Stored:
        """The rows as deflate blocks, not final (the sheet's tail follows)."""
        self._flush()
        self._file.write(self._deflate.flush(zlib.Z_SYNC_FLUSH))
        return _Stored(self._file, self._file.tell())
