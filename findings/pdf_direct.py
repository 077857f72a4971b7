"""The table pages of the printed 措置状況 written as PDF directly, tagged as WeasyPrint tags them.

findings.print_pages has already cut every cell into its printed lines and every page into its rows,
so a table page is only placing those lines: the header row, the rows, the borders, the running head
and the page number. WeasyPrint spends about a millisecond on each printed line (a Pango layout to
split it, one to measure it, one to draw it), which made a 3,000-row report a two-minute job; here a
line costs a few microseconds. The pages between the first (title block, preamble) and the last (the
summary after the table) are written here; those two are still laid out by WeasyPrint, and
findings.pdf_join joins the three parts into one document with one structure tree.

The geometry is WeasyPrint's for the print CSS of templates/findings/reports/status_report.html, from
the numbers in findings.print_pages (collapsed 0.5 pt borders, 2 pt / 3 pt padding, 11 pt lines of
8.5 pt IPAexGothic, a baseline 0.88 em below the top of the glyph box, the margin boxes centred in the
page margins). tests/findings/test_pdf_print.py renders the same report both ways and compares the
text and its positions.

Tagging follows PDF/UA-1 as WeasyPrint writes it: each page is a Part holding a Table (THead, TBody,
TR, TH with /Scope /Column, TD with /Headers); each printed line is a marked-content sequence of its
cell; borders, backgrounds, running head and page number are artifacts.
"""

import functools
import zlib

from . import print_pages as g

MM = g.MM
PAGE_W, PAGE_H = g.PAGE_WIDTH_MM * MM, g.PAGE_HEIGHT_MM * MM
HEAD_PT = 8.0  # the margin boxes' type (the CSS's @top-left, @top-right, @bottom-center)
HEAD_GREY = "0.266667 0.266667 0.266667"  # #444
BORDER_GREY = "0.4 0.4 0.4"  # #666
HEADER_FILL = "0.866667 0.905882 0.945098"  # #dde7f1
CONTINUED_GREY = "0.2 0.2 0.2"  # #333
TOP_LEFT_MM = 210  # the running title's margin box, as wide as the CSS makes it


@functools.cache
def _font():
    """The body font's glyph ids, ascent, descent and bounding box, read once per process; the advance
    widths are print_pages' own (the ones the lines were measured with)."""
    from fontTools.ttLib import TTFont  # imported here: only the PDF needs it

    font = TTFont(g.FONT_PATH, lazy=True)
    per_em = font["head"].unitsPerEm
    order = {name: i for i, name in enumerate(font.getGlyphOrder())}
    head = font["head"]
    return {
        "gids": {chr(code): order[name] for code, name in font.getBestCmap().items()},
        "advances": g._advances()[0],
        "ascent": font["hhea"].ascent / per_em,
        "descent": font["hhea"].descent / per_em,
        "bbox": [round(v * 1000 / per_em) for v in (head.xMin, head.yMin, head.xMax, head.yMax)],
    }


class _Text:
    """The glyphs used so far (for the subset, the widths and the ToUnicode map)."""

    def __init__(self):
        self.font = _font()
        self.used: dict[int, str] = {}  # glyph id -> the character it first stood for

    def width(self, text: str, size: float) -> float:
        adv = self.font["advances"]
        return sum(adv.get(c, 1.0) for c in text) * size

    def hex(self, text: str) -> bytes:
        gids, used = self.font["gids"], self.used
        out = []
        for c in text:
            gid = gids.get(c, 0)  # .notdef: the font has no glyph (WeasyPrint would fall back to another font)
            used.setdefault(gid, c)
            out.append(b"%04x" % gid)
        return b"<" + b"".join(out) + b">"


def _fmt(v: float) -> bytes:
    return (b"%.3f" % v).rstrip(b"0").rstrip(b".")


class _Page:
    """One page's content stream and the structure elements its marked content belongs to."""

    def __init__(self, text: _Text):
        self.ops: list[bytes] = []
        self.text = text
        self.owners: list[int] = []  # MCID -> index of the owning element in the part's element list

    def line(self, s: str, x: float, baseline: float, size: float, colour: str, owner: int | None) -> None:
        """A line of text at x, its baseline `baseline` points below the page's top."""
        y = PAGE_H - baseline
        body = b"BT /F1 %s Tf %s rg 1 0 0 1 %s %s Tm %s Tj ET" % (
            _fmt(size),
            colour.encode(),
            _fmt(x),
            _fmt(y),
            self.text.hex(s),
        )
        if owner is None:
            self.ops.append(b"/Artifact <</Type /Pagination>> BDC " + body + b" EMC")
        else:
            mcid = len(self.owners)
            self.owners.append(owner)
            self.ops.append(b"/Span <</MCID %d>> BDC %s EMC" % (mcid, body))


def _columns():
    """Each column's left edge (pt from the page's left), content width and header lines."""
    x = g.MARGIN_SIDE_MM * MM + g.BORDER / 2
    out = []
    for (_header, width_mm), (lines, _css) in zip(g.PRINT_COLUMNS, g.header_cells(), strict=True):
        out.append((x, width_mm * MM, lines.split("\n")))
        x += width_mm * MM
    return out, x


def _printed_lines(cell: str) -> int:
    """How many lines WeasyPrint prints for a cell (white-space: pre-line): a line break that ends the
    cell starts no line of its own."""
    return cell.count("\n") + 1 - cell.endswith("\n")


def _pitch(n_lines: int) -> float:
    """A row's height as WeasyPrint lays it out: its lines, the padding and one (collapsed) border."""
    return n_lines * g.LINE_PT + 2 * g.PAD_V + g.BORDER


class TablePages:
    """The table pages laid out: their content streams, structure elements and the glyphs used."""

    def __init__(self, title: str, as_of: str):
        self.text = _Text()
        self.elements: list[dict] = []  # structure elements: {"S", "parent", "kids", "page", "attrs"}
        self.pages: list[_Page] = []
        self.title_lines = g.wrap(title, TOP_LEFT_MM * MM - 0.01, HEAD_PT)
        self.as_of = f"{as_of}現在"
        self.columns, self.right = _columns()
        self.page_height = PAGE_H

    def emit(self, out, *, pages_root: int, document: int, first_key: int):
        """Written into findings.pdf_join's output: see _emit."""
        return _emit(self, out, pages_root=pages_root, document=document, first_key=first_key)

    def element(self, kind: str, parent: int | None, page: int, attrs: bytes = b"") -> int:
        self.elements.append({"S": kind, "parent": parent, "kids": [], "page": page, "attrs": attrs})
        i = len(self.elements) - 1
        if parent is not None:
            self.elements[parent]["kids"].append(("elem", i))
        return i

    def add_page(self, rows, number: int, total: int) -> None:
        page = _Page(self.text)
        k = len(self.pages)
        self.pages.append(page)
        part = self.element("Part", None, k)
        table = self.element("Table", part, k)
        top = g.MARGIN_TOP_MM * MM + g.BORDER / 2  # the table's first grid line, pt below the page's top
        heights = [_pitch(max(len(h) for _, _, h in self.columns))]
        heights += [_pitch(max(_printed_lines(c) for c in piece.cells)) for piece in rows]
        self._grid(page, top, heights)
        head = self.element("THead", table, k)
        tr = self.element("TR", head, k)
        ids = []
        for i, (x, width, lines) in enumerate(self.columns):
            ident = b"h%d-%d" % (number, i)
            ids.append(ident)
            th = self.element("TH", tr, k, b" /ID (%s) /A << /O /Table /Scope /Column >>" % ident)
            self._cell(page, th, x, width, top, lines, centred=True, colour="0 0 0")
        body = self.element("TBody", table, k)
        y = top + heights[0]
        for piece, height in zip(rows, heights[1:], strict=True):
            tr = self.element("TR", body, k)
            for i, ((x, width, _), cell) in enumerate(zip(self.columns, piece.cells, strict=True)):
                td = self.element("TD", tr, k, b" /A << /O /Table /Headers [(%s)] >>" % ids[i])
                continued = i == 0 and piece.continued
                self._cell(
                    page,
                    td,
                    x,
                    width,
                    y,
                    cell.split("\n") if cell else [],
                    centred=i in g.CENTERED and not continued,
                    colour=CONTINUED_GREY if continued else "0 0 0",
                )
            y += height
        self._margins(page, number, total)  # drawn last, as WeasyPrint draws the page's margin boxes

    def _cell(self, page, owner, x, width, top, lines, *, centred, colour) -> None:
        left = x + g.BORDER / 2 + g.PAD_H
        inner = width - 2 * g.PAD_H - g.BORDER
        first = top + g.BORDER / 2 + g.PAD_V + (g.LINE_PT - g.FONT_PT) / 2 + self.text.font["ascent"] * g.FONT_PT
        for n, line in enumerate(lines):
            line = line.lstrip(" ")  # white-space: pre-line drops the spaces that start a line
            if not line:
                continue
            at = left + (inner - self.text.width(line, g.FONT_PT)) / 2 if centred else left
            page.line(line, at, first + n * g.LINE_PT, g.FONT_PT, colour, owner)
            self.elements[owner]["kids"].append(("mcid", len(page.owners) - 1))

    def _grid(self, page, top: float, heights: list[float]) -> None:
        left = self.columns[0][0]
        right = self.right
        ops = [b"/Artifact BMC q %s rg" % HEADER_FILL.encode()]
        ops.append(
            b"%s %s %s %s re f" % (_fmt(left), _fmt(PAGE_H - top - heights[0]), _fmt(right - left), _fmt(heights[0]))
        )
        ops.append(b"%s RG %s w 2 J" % (BORDER_GREY.encode(), _fmt(g.BORDER)))
        y = top
        edges = [y]
        for h in heights:
            y += h
            edges.append(y)
        for y in edges:
            ops.append(b"%s %s m %s %s l" % (_fmt(left), _fmt(PAGE_H - y), _fmt(right), _fmt(PAGE_H - y)))
        for x in [c[0] for c in self.columns] + [right]:
            ops.append(b"%s %s m %s %s l" % (_fmt(x), _fmt(PAGE_H - edges[0]), _fmt(x), _fmt(PAGE_H - edges[-1])))
        ops.append(b"S Q EMC")
        page.ops.append(b"\n".join(ops))

    def _margins(self, page, number: int, total: int) -> None:
        """The running title (top left), the date (top right) and 「n / N」 (bottom centre)."""
        font = self.text.font
        box_h = (font["ascent"] - font["descent"]) * HEAD_PT  # line-height: normal
        lines = self.title_lines
        top = (g.MARGIN_TOP_MM * MM - box_h * len(lines)) / 2
        for n, line in enumerate(lines):
            page.line(line, g.MARGIN_SIDE_MM * MM, top + n * box_h + font["ascent"] * HEAD_PT, HEAD_PT, HEAD_GREY, None)
        right = PAGE_W - g.MARGIN_SIDE_MM * MM
        baseline = (g.MARGIN_TOP_MM * MM - box_h) / 2 + font["ascent"] * HEAD_PT
        page.line(self.as_of, right - self.text.width(self.as_of, HEAD_PT), baseline, HEAD_PT, HEAD_GREY, None)
        label = f"{number} / {total}"
        bottom = PAGE_H - g.MARGIN_BOTTOM_MM * MM + (g.MARGIN_BOTTOM_MM * MM - box_h) / 2 + font["ascent"] * HEAD_PT
        page.line(label, (PAGE_W - self.text.width(label, HEAD_PT)) / 2, bottom, HEAD_PT, "0 0 0", None)


def render(pages, *, title: str, as_of_wareki: str, first_number: int, total: int) -> "TablePages":
    """`pages` (print_pages.Page) numbered from `first_number` of `total`, ready for findings.pdf_join."""
    part = TablePages(title, as_of_wareki)
    for k, page in enumerate(pages):
        part.add_page(page.rows, first_number + k, total)
    return part


def _emit(
    part: "TablePages", out, *, pages_root: int, document: int, first_key: int
) -> tuple[list[int], list[int], list[bytes]]:
    """Write `part`'s objects through `out` (number(), put(), put_stream(): findings.pdf_join's output),
    its pages under `pages_root` and its top elements under `document`, its pages' parent tree keys from
    `first_key`. Returns the page objects' numbers, the top elements' numbers and the parent tree entries."""
    font_no = _font_objects(part.text, out)
    page_nos = [out.number() for _ in part.pages]
    elem_nos = [out.number() for _ in part.elements]
    for k, page in enumerate(part.pages):
        content = out.number()
        out.put_stream(content, *_stream(b"\n".join(page.ops)))
        out.put(
            page_nos[k],
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %s %s] /Resources << /Font << /F1 %d 0 R >> >>"
            b" /Contents %d 0 R /Tabs /S /StructParents %d >>"
            % (pages_root, _fmt(PAGE_W), _fmt(PAGE_H), font_no, content, first_key + k),
        )
    tops = []
    for i, e in enumerate(part.elements):
        if e["parent"] is None:
            tops.append(elem_nos[i])
        parent = document if e["parent"] is None else elem_nos[e["parent"]]
        kids = b" ".join(b"%d 0 R" % elem_nos[v] if kind == "elem" else b"%d" % v for kind, v in e["kids"])
        out.put(
            elem_nos[i],
            b"<< /Type /StructElem /S /%s /P %d 0 R /Pg %d 0 R /K [%s]%s >>"
            % (e["S"].encode(), parent, page_nos[e["page"]], kids, e["attrs"]),
        )
    nums = [
        b"%d [%s]" % (first_key + k, b" ".join(b"%d 0 R" % elem_nos[o] for o in page.owners))
        for k, page in enumerate(part.pages)
    ]
    return page_nos, tops, nums


def _stream(data: bytes) -> tuple[bytes, bytes]:
    packed = zlib.compress(data, 6)
    return b"<< /Filter /FlateDecode /Length %d >>" % len(packed), packed


def _font_objects(text: _Text, out) -> int:
    """IPAexGothic cut down to the glyphs used, as a CIDFontType2 with the original glyph ids (so the
    content streams need no remapping), its widths and a ToUnicode map for text extraction."""
    font = text.font
    program = _subset(frozenset(text.used))
    gids = sorted(text.used)
    widths = b" ".join(b"%d [%d]" % (gid, round(font["advances"].get(text.used[gid], 1.0) * 1000)) for gid in gids)
    cmap = _to_unicode({gid: text.used[gid] for gid in gids if gid})
    file_no, desc, cid, tounicode, font_no = (out.number() for _ in range(5))
    packed = zlib.compress(program, 6)
    out.put_stream(file_no, b"<< /Length1 %d /Filter /FlateDecode /Length %d >>" % (len(program), len(packed)), packed)
    x0, y0, x1, y1 = font["bbox"]
    ascent, descent = round(font["ascent"] * 1000), round(font["descent"] * 1000)
    name = b"AUDREG+IPAexGothic"
    out.put(
        desc,
        b"<< /Type /FontDescriptor /FontName /%s /FontFamily (IPAexGothic) /Flags 4 /FontBBox [%d %d %d %d]"
        b" /ItalicAngle 0 /Ascent %d /Descent %d /CapHeight %d /StemV 80 /FontFile2 %d 0 R >>"
        % (name, x0, y0, x1, y1, ascent, descent, ascent, file_no),
    )
    out.put(
        cid,
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s /CIDSystemInfo << /Registry (Adobe) /Ordering"
        b" (Identity) /Supplement 0 >> /FontDescriptor %d 0 R /CIDToGIDMap /Identity /W [%s] >>" % (name, desc, widths),
    )
    out.put_stream(tounicode, *_stream(cmap))
    out.put(
        font_no,
        b"<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H /DescendantFonts [%d 0 R]"
        b" /ToUnicode %d 0 R >>" % (name, cid, tounicode),
    )
    return font_no


def _refs(numbers) -> bytes:
    return b" ".join(b"%d 0 R" % n for n in numbers)


def _subset(gids: frozenset[int]) -> bytes:
    """The font program with only these glyphs' outlines, glyph ids kept (the others left empty): HarfBuzz's
    subsetter, as WeasyPrint uses it (fontTools' took half a second on this 12,000-glyph font; this, 10 ms)."""
    import uharfbuzz as hb  # imported here: only the PDF needs it

    face = hb.Face(hb.Blob.from_file_path(str(g.FONT_PATH)))
    request = hb.SubsetInput()
    for gid in sorted(gids | {0}):
        request.glyph_set.add(gid)
    request.flags = hb.SubsetFlags.RETAIN_GIDS | hb.SubsetFlags.NO_HINTING | hb.SubsetFlags.NOTDEF_OUTLINE
    dropped = request.sets(hb.SubsetInputSets.DROP_TABLE_TAG)
    for tag in (b"GSUB", b"GPOS", b"GDEF", b"BASE", b"JSTF", b"vhea", b"vmtx", b"VORG"):
        dropped.add(int.from_bytes(tag, "big"))
    subset = hb.subset(face, request)
    if subset is None:
        raise ValueError("the font could not be subset")
    return subset.blob.data


def _to_unicode(mapping: dict[int, str]) -> bytes:
    """A ToUnicode CMap: each glyph id to the character it was written for."""
    items = sorted(mapping.items())
    chunks = []
    for start in range(0, len(items), 100):  # at most 100 entries per bfchar block
        block = items[start : start + 100]
        lines = b"\n".join(b"<%04x> <%s>" % (gid, "".join(f"{u:04x}" for u in _utf16(c)).encode()) for gid, c in block)
        chunks.append(b"%d beginbfchar\n%s\nendbfchar" % (len(block), lines))
    return (
        b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        b"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        b"1 begincodespacerange\n<0000> <ffff>\nendcodespacerange\n"
        + b"\n".join(chunks)
        + b"\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"
    )


def _utf16(c: str) -> list[int]:
    data = c.encode("utf-16-be")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
